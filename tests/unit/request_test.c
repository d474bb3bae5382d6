/*
 * request_test.c: the decisions of the request path (src/request.c):
 * routing, verification, id and type extraction, the allow-list, and what
 * each outcome answers. Signed requests come from tests/vectors/request.json
 * (made by make_request_vectors.py with Python's hmac module).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "config.h"
#include "request.h"
#include "scheme.h"

struct fixture {
	char *dir;
	struct config *cfg;
	yajl_val vectors;
};

static const char CONFIG[] =
    "[hookq]\n"
    "database = queue.db\n"
    "[source gh]\n"
    "scheme = github\n"
    "secret_file = gh.secret\n"
    "[source pushes]\n"
    "scheme = github\n"
    "secret_file = gh.secret\n"
    "events = push release\n"
    "[source st]\n"
    "scheme = stripe\n"
    "secret_file = st.secret\n"
    "[source gen]\n"
    "scheme = generic\n"
    "secret_file = gh.secret\n"
    "signature_header = X-Hub-Signature-256\n"
    "signature_prefix = sha256=\n"
    "[source fb]\n"
    "scheme = meta\n"
    "secret_file = gh.secret\n"
    "[source ghb]\n"
    "scheme = github\n"
    "secret_file = gh.secret\n"
    "dedup = body\n"
    "dedup_window = 90m\n";

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char *path, *cause = NULL;

	assert_int_equal(scheme_init(), 0);
	fx->dir = tu_tmpdir();
	fx->vectors = tu_load_json("request.json");
	path = tu_path(fx->dir, "gh.secret");
	tu_write_file(path, "request-test-github-secret\n", 27, 0600);
	free(path);
	path = tu_path(fx->dir, "st.secret");
	tu_write_file(path, "whsec_request_test_stripe_secret\n", 33, 0600);
	free(path);
	path = tu_path(fx->dir, "hookq.conf");
	tu_write_file(path, CONFIG, strlen(CONFIG), 0644);
	fx->cfg = config_load(path, &cause);
	if (fx->cfg == NULL)
		fail_msg("config: %s", cause);
	free(path);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	config_free(fx->cfg);
	yajl_tree_free(fx->vectors);
	tu_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

/* The vector row called name. */
static yajl_val
vector(struct fixture *fx, const char *name)
{
	size_t i;

	for (i = 0; i < YAJL_GET_ARRAY(fx->vectors)->len; i++) {
		yajl_val v = YAJL_GET_ARRAY(fx->vectors)->values[i];

		if (strcmp(tu_str(v, "name"), name) == 0)
			return v;
	}
	fail_msg("no vector %s", name);
	return NULL;
}

/* Fills req as the front would: a POST to source with the vector's body and signature. */
static void
make_request(struct request *req, const char *source, yajl_val v)
{
	const char *body = tu_str(v, "body");

	request_init(req);
	req->method = strdup("POST");
	req->source_name = strdup(source);
	req->body = (unsigned char *)strdup(body);
	req->body_len = strlen(body);
	req->received_at = 1700000000000LL;
	headers_add(&req->headers, tu_str(v, "header"), tu_str(v, "value"));
	headers_add(&req->headers, "Content-Type", "application/json");
}

/* Runs route then check, as the front does; returns the outcome, or -1 for "store it". */
static int
decide(struct fixture *fx, struct request *req, long long now)
{
	if (request_route(req, fx->cfg) != 0)
		return (int)req->outcome;
	if (request_check(req, now) != 0)
		return (int)req->outcome;
	return -1;
}

/* The source is the last path segment of the URI, without query or trailing slash. */
static void
test_source_from_uri(void **state)
{
	static const char *const cases[][2] = {
		{ "/hooks/github", "github" },
		{ "/hooks/github?x=1", "github" },
		{ "/hooks/github/", "github" },
		{ "/hooks/a/b#frag", "b" },
		{ "github", "github" },
		{ "/", "" },
		{ "", "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = request_source_from_uri(cases[i][0]);

		assert_string_equal(s, cases[i][1]);
		free(s);
	}
}

/* An unknown or missing source is 404; a method other than POST is 405. */
static void
test_route(void **state)
{
	struct fixture *fx = *state;
	struct request req;

	make_request(&req, "nope", vector(fx, "github_push"));
	assert_int_equal(request_route(&req, fx->cfg), -1);
	assert_int_equal(req.outcome, OUTCOME_NOT_FOUND);
	request_clear(&req);

	make_request(&req, "gh", vector(fx, "github_push"));
	free(req.source_name);
	req.source_name = NULL;
	assert_int_equal(request_route(&req, fx->cfg), -1);
	assert_int_equal(req.outcome, OUTCOME_NOT_FOUND);
	request_clear(&req);

	make_request(&req, "gh", vector(fx, "github_push"));
	free(req.method);
	req.method = strdup("GET");
	assert_int_equal(request_route(&req, fx->cfg), -1);
	assert_int_equal(req.outcome, OUTCOME_METHOD);
	request_clear(&req);

	make_request(&req, "gh", vector(fx, "github_push"));
	assert_int_equal(request_route(&req, fx->cfg), 0);
	assert_string_equal(req.source->name, "gh");
	request_clear(&req);
}

/* A verified GitHub request is to be stored with the delivery id and event header. */
static void
test_github_stored(void **state)
{
	struct fixture *fx = *state;
	struct request req;

	make_request(&req, "gh", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
	headers_add(&req.headers, "X-GitHub-Event", "push");
	headers_add(&req.headers, "Authorization", "Basic c2VjcmV0");
	headers_add(&req.headers, "Cookie", "session=secret");
	assert_int_equal(decide(fx, &req, 1700000000), -1);
	assert_string_equal(req.event_id, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
	assert_string_equal(req.event_type, "push");
	assert_non_null(req.headers_json);
	assert_non_null(strstr(req.headers_json, "\"x-github-event\":\"push\""));
	/* Credentials are not kept with the event. */
	assert_null(strstr(req.headers_json, "authorization"));
	assert_null(strstr(req.headers_json, "cookie"));
	assert_null(strstr(req.headers_json, "c2VjcmV0"));
	request_clear(&req);
}

/* The signature covers the body: one changed byte is 401 and nothing is extracted. */
static void
test_github_tampered(void **state)
{
	struct fixture *fx = *state;
	struct request req;

	make_request(&req, "gh", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "d1");
	req.body[2] ^= 1;
	assert_int_equal(decide(fx, &req, 1700000000), OUTCOME_UNAUTHORIZED);
	assert_non_null(req.reason);
	assert_null(req.event_id);
	request_clear(&req);
}

/* No signature header at all is 401. */
static void
test_unsigned(void **state)
{
	struct fixture *fx = *state;
	struct request req;

	request_init(&req);
	req.method = strdup("POST");
	req.source_name = strdup("gh");
	req.body = (unsigned char *)strdup("{}");
	req.body_len = 2;
	headers_add(&req.headers, "X-GitHub-Delivery", "d1");
	assert_int_equal(decide(fx, &req, 1700000000), OUTCOME_UNAUTHORIZED);
	assert_string_equal(req.reason, "missing signature header");
	request_clear(&req);
}

/* GitHub's delivery id is required: a verified request without it is 400. */
static void
test_github_missing_id(void **state)
{
	struct fixture *fx = *state;
	struct request req;

	make_request(&req, "gh", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Event", "push");
	assert_int_equal(decide(fx, &req, 1700000000), OUTCOME_BAD_REQUEST);
	request_clear(&req);
}

/* An id header longer than 256 bytes is refused rather than stored cut. */
static void
test_id_too_long(void **state)
{
	struct fixture *fx = *state;
	struct request req;
	char id[300];

	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	make_request(&req, "gh", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", id);
	assert_int_equal(decide(fx, &req, 1700000000), OUTCOME_BAD_REQUEST);
	request_clear(&req);
}

/*
 * An id or type header that is not UTF-8 is refused (400), not stored: a
 * PostgreSQL text column would refuse it, failing the batch it is in.
 */
static void
test_id_not_utf8(void **state)
{
	struct fixture *fx = *state;
	struct request req;

	make_request(&req, "gh", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "d-\xff\xfe");
	headers_add(&req.headers, "X-GitHub-Event", "push");
	assert_int_equal(decide(fx, &req, 1700000000), OUTCOME_BAD_REQUEST);
	assert_non_null(strstr(req.reason, "not UTF-8"));
	request_clear(&req);

	make_request(&req, "gh", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "d-caf\xc3\xa9");
	headers_add(&req.headers, "X-GitHub-Event", "p\xe9sh");
	assert_int_equal(decide(fx, &req, 1700000000), OUTCOME_BAD_REQUEST);
	request_clear(&req);

	/* UTF-8 beyond ASCII is fine. */
	make_request(&req, "gh", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "d-caf\xc3\xa9");
	headers_add(&req.headers, "X-GitHub-Event", "push");
	assert_int_equal(decide(fx, &req, 1700000000), -1);
	request_clear(&req);
}

/* The allow-list: a listed type is stored, another is ignored (200), no type is ignored. */
static void
test_allow_list(void **state)
{
	struct fixture *fx = *state;
	struct request req;

	make_request(&req, "pushes", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "d1");
	headers_add(&req.headers, "X-GitHub-Event", "release");
	assert_int_equal(decide(fx, &req, 1700000000), -1);
	request_clear(&req);

	make_request(&req, "pushes", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "d2");
	headers_add(&req.headers, "X-GitHub-Event", "issues");
	assert_int_equal(decide(fx, &req, 1700000000), OUTCOME_IGNORED);
	assert_int_equal(outcome_info(req.outcome)->status, 200);
	request_clear(&req);

	make_request(&req, "pushes", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "d3");
	assert_int_equal(decide(fx, &req, 1700000000), OUTCOME_IGNORED);
	request_clear(&req);
}

/* A forged request to an allow-listed source is 401, not "ignored": verification comes first. */
static void
test_allow_list_after_verify(void **state)
{
	struct fixture *fx = *state;
	struct request req;

	make_request(&req, "pushes", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "d1");
	headers_add(&req.headers, "X-GitHub-Event", "issues");
	req.body[0] = ' ';
	assert_int_equal(decide(fx, &req, 1700000000), OUTCOME_UNAUTHORIZED);
	request_clear(&req);
}

/* Stripe: id and type come from the JSON body once the signature verifies. */
static void
test_stripe_json(void **state)
{
	struct fixture *fx = *state;
	struct request req;

	make_request(&req, "st", vector(fx, "stripe_event"));
	assert_int_equal(decide(fx, &req, tu_int(vector(fx, "stripe_event"), "timestamp", 0)), -1);
	assert_string_equal(req.event_id, "evt_1");
	assert_string_equal(req.event_type, "invoice.paid");
	request_clear(&req);

	make_request(&req, "st", vector(fx, "stripe_numeric_id"));
	assert_int_equal(decide(fx, &req, 1700000000), -1);
	assert_string_equal(req.event_id, "12345");
	request_clear(&req);
}

/* Stripe's timestamp: within tolerance passes, past it is 401 even with a good MAC. */
static void
test_stripe_stale(void **state)
{
	struct fixture *fx = *state;
	struct request req;

	make_request(&req, "st", vector(fx, "stripe_event"));
	assert_int_equal(decide(fx, &req, 1700000000 + 300), -1);
	request_clear(&req);
	make_request(&req, "st", vector(fx, "stripe_event"));
	assert_int_equal(decide(fx, &req, 1700000000 + 301), OUTCOME_UNAUTHORIZED);
	request_clear(&req);
}

/* A scheme that needs JSON answers 400 to a verified body that is not JSON, too deep, or has no id. */
static void
test_stripe_malformed(void **state)
{
	struct fixture *fx = *state;
	static const char *const names[] = { "stripe_not_json", "stripe_deep", "stripe_no_id" };
	struct request req;
	size_t i;

	for (i = 0; i < 3; i++) {
		make_request(&req, "st", vector(fx, names[i]));
		assert_int_equal(decide(fx, &req, 1700000000), OUTCOME_BAD_REQUEST);
		assert_null(req.event_id);
		request_clear(&req);
	}
}

/* With no id configured, the id is sha256: and the hex of the body's hash. */
static void
test_generic_body_id(void **state)
{
	struct fixture *fx = *state;
	struct request req;

	make_request(&req, "gen", vector(fx, "github_push"));
	assert_int_equal(decide(fx, &req, 1700000000), -1);
	/* echo -n '{"ref":"refs/heads/main"}' | sha256sum */
	assert_string_equal(req.event_id,
	    "sha256:090ba1b9ca860d37bb4ca7492549a8a347caac3490f763399e6498622c9b47f9");
	assert_null(req.event_type);
	request_clear(&req);
}

/* request_event() hands the store exactly what the request holds. */
static void
test_event(void **state)
{
	struct fixture *fx = *state;
	struct store_event ev;
	struct request req;

	make_request(&req, "gh", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "d9");
	assert_int_equal(decide(fx, &req, 1700000000), -1);
	request_event(&req, &ev);
	assert_string_equal(ev.source, "gh");
	assert_string_equal(ev.event_id, "d9");
	assert_null(ev.event_type);
	assert_int_equal(ev.received_at, 1700000000000LL);
	assert_ptr_equal(ev.body, req.body);
	assert_int_equal(ev.body_len, req.body_len);
	assert_int_equal(ev.headers_len, strlen(ev.headers));
	request_clear(&req);
}

/*
 * dedup = body: the checked request carries the body's hash and the
 * source's window to the store; a dedup = id source hashes nothing.
 */
static void
test_dedup_body(void **state)
{
	struct fixture *fx = *state;
	struct store_event ev;
	struct request req;

	make_request(&req, "ghb", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "d10");
	assert_int_equal(decide(fx, &req, 1700000000), -1);
	assert_string_equal(req.event_id, "d10");
	/* echo -n '{"ref":"refs/heads/main"}' | sha256sum */
	assert_string_equal(req.body_sha256,
	    "sha256:090ba1b9ca860d37bb4ca7492549a8a347caac3490f763399e6498622c9b47f9");
	request_event(&req, &ev);
	assert_ptr_equal(ev.body_sha256, req.body_sha256);
	assert_int_equal(ev.dedup_window, 90 * 60 * 1000);
	request_clear(&req);

	make_request(&req, "gh", vector(fx, "github_push"));
	headers_add(&req.headers, "X-GitHub-Delivery", "d11");
	assert_int_equal(decide(fx, &req, 1700000000), -1);
	assert_null(req.body_sha256);
	request_event(&req, &ev);
	assert_null(ev.body_sha256);
	request_clear(&req);

	/* Nothing is hashed for a request that is refused. */
	make_request(&req, "ghb", vector(fx, "github_push"));
	assert_int_equal(decide(fx, &req, 1700000000), OUTCOME_BAD_REQUEST);
	assert_null(req.body_sha256);
	request_clear(&req);
}

/* The outcome table answers as DESIGN.md's contract says, and 401 never says why. */
static void
test_outcomes(void **state)
{
	static const int want[][2] = {
		{ OUTCOME_STORED, 200 }, { OUTCOME_DUPLICATE, 200 }, { OUTCOME_IGNORED, 200 },
		{ OUTCOME_ACCEPTED, 200 }, { OUTCOME_BAD_REQUEST, 400 },
		{ OUTCOME_UNAUTHORIZED, 401 }, { OUTCOME_NOT_FOUND, 404 }, { OUTCOME_METHOD, 405 },
		{ OUTCOME_TOO_LARGE, 413 }, { OUTCOME_UNAVAILABLE, 503 },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct outcome_info *oi = outcome_info((enum outcome)want[i][0]);

		assert_int_equal(oi->status, want[i][1]);
		assert_non_null(oi->name);
		assert_non_null(oi->body);
	}
	assert_string_equal(outcome_info(OUTCOME_UNAUTHORIZED)->body, "unauthorized\n");
}

/*
 * An answer's headers come with its outcome: Allow names the methods the
 * source takes (GET too where the scheme has a GET handshake), Retry-After
 * goes with 503 only, and ordinary answers may be cached by nobody's rule.
 */
static void
test_response_headers(void **state)
{
	struct fixture *fx = *state;
	static const struct { const char *source, *allow; } methods[] = {
		{ "gh", "POST" }, { "fb", "GET, POST" },
	};
	struct response r;
	struct request req;
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		request_init(&req);
		req.method = strdup("PUT");
		req.source_name = strdup(methods[i].source);
		assert_int_equal(request_route(&req, fx->cfg), -1);
		assert_int_equal(req.outcome, OUTCOME_METHOD);
		request_response(&req, req.outcome, &r);
		assert_int_equal(r.status, 405);
		assert_string_equal(r.allow, methods[i].allow);
		assert_false(r.retry_after);
		request_clear(&req);
	}
	make_request(&req, "gh", vector(fx, "github_push"));
	assert_int_equal(request_route(&req, fx->cfg), 0);
	request_response(&req, OUTCOME_UNAVAILABLE, &r);
	assert_int_equal(r.status, 503);
	assert_true(r.retry_after);
	assert_null(r.allow);
	request_response(&req, OUTCOME_STORED, &r);
	assert_int_equal(r.status, 200);
	assert_false(r.retry_after);
	assert_false(r.no_store);
	assert_null(r.allow);
	assert_string_equal(r.body, "stored\n");
	request_clear(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_from_uri),
		cmocka_unit_test(test_response_headers),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_github_stored),
		cmocka_unit_test(test_github_tampered),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_github_missing_id),
		cmocka_unit_test(test_id_too_long),
		cmocka_unit_test(test_id_not_utf8),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_allow_list_after_verify),
		cmocka_unit_test(test_stripe_json),
		cmocka_unit_test(test_stripe_stale),
		cmocka_unit_test(test_stripe_malformed),
		cmocka_unit_test(test_generic_body_id),
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_dedup_body),
		cmocka_unit_test(test_outcomes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
