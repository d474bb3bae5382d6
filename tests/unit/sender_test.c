/*
 * sender_test.c: the 15 senders of issue 5 end to end through the request
 * path (config_load, request_route, request_check, request_response), as
 * the front runs it, driven by tests/vectors/senders.json.
 *
 * senders.json is made by make_sender_vectors.py: every signature, MAC and
 * handshake answer in it is computed with Python's hmac module (or a
 * pure-Python RFC 8032 signer), never by hookq. This file never computes a
 * signature either: it only writes each row's config and secret file, sends
 * the row's request, and then changes bodies, secrets and signature headers
 * around the vectors' signatures (tampering, rotation, wrong secrets, and a
 * sweep of malformed signature values that must all be 401 and never crash).
 *
 * Every failed check names its row and carries on, so one run lists every
 * disagreement; a test fails at its end if any check did.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "testutil.h"

#include "config.h"
#include "fields.h"
#include "headers.h"
#include "request.h"
#include "scheme.h"

/*
 * Every row of scheme_table.c is a sender this test covers, except the ones
 * schemes.json covers (scheme_test.c): those are read from that file, so a
 * new row needs no edit here. Which senders answer a handshake and which
 * check a timestamp is read from the row itself.
 */
static bool
scheme_vectors_cover(yajl_val schemes, const char *name)
{
	size_t i;

	for (i = 0; YAJL_IS_ARRAY(schemes) && i < YAJL_GET_ARRAY(schemes)->len; i++) {
		const char *path[] = { "scheme", NULL };
		yajl_val v = yajl_tree_get(YAJL_GET_ARRAY(schemes)->values[i], path, yajl_t_string);
		const char *got = v != NULL ? YAJL_GET_STRING(v) : NULL;

		if (got != NULL && strcmp(got, name) == 0)
			return true;
	}
	return false;
}

static bool
has_handshake(const struct scheme *s)
{
	return s->handshakes[0].method != NULL;
}

static bool
has_timestamp(const struct scheme *s)
{
	return s->ts_header != NULL || s->ts_item != NULL || s->ts_body[0].from != FIELD_FROM_NONE;
}

/* One row of senders.json. */
struct vrow {
	size_t index;
	const char *name;
	const char *scheme;
	const struct scheme *s;       /* scheme_find(scheme) */
	const char *secrets[SCHEME_MAX_SECRETS + 1];
	size_t nsecrets;
	const char *wrong;
	yajl_val config;              /* object or NULL */
	const char *method;           /* NULL: POST */
	const char *query;
	const char *content_type;
	yajl_val headers;             /* object or NULL */
	unsigned char *body;          /* owned, exactly len bytes (+1 so it is never NULL) */
	size_t len;
	bool has_body;
	long long now;
	long long tolerance;
	const char *expect;
	bool has_event_id, has_event_type; /* the key is there (a null value is a NULL string) */
	const char *event_id, *event_type;
	yajl_val answer;              /* object or NULL */
	bool base;
};

struct fixture {
	char *dir;
	char *conf_path, *secret_path;
	yajl_val vectors;
	struct vrow *rows;
	size_t nrows;
	unsigned long checks, failures; /* of the running test */
	unsigned long total_checks, total_failures;
};

/* --- checks that name the row and carry on ------------------------------------------- */

static void check_(struct fixture *fx, const char *row, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
check_(struct fixture *fx, const char *row, bool ok, const char *fmt, ...)
{
	va_list ap;

	fx->checks++;
	fx->total_checks++;
	if (ok)
		return;
	fx->failures++;
	fx->total_failures++;
	printf("# FAIL %s: ", row ? row : "(no row)");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define CHECK(fx, row, cond, ...) check_((fx), (row), (cond), __VA_ARGS__)

/* Ends a test: fails it when any of its checks failed. */
static void
finish(struct fixture *fx, const char *test)
{
	unsigned long c = fx->checks, f = fx->failures;

	fx->checks = 0;
	fx->failures = 0;
	printf("# %s: %lu checks\n", test, c);
	if (f != 0)
		fail_msg("%s: %lu of %lu checks failed (see the FAIL lines above)", test, f, c);
}

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (s != NULL && strcmp(*list, s) == 0)
			return true;
	return false;
}

static bool
streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static const char *
show(const char *s)
{
	return s != NULL ? s : "(null)";
}

static char *
xdup(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	return p;
}

static char *
xfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xfmt(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	return p;
}

/* --- the vectors ------------------------------------------------------------------------- */

static yajl_val
get(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };

	return YAJL_IS_OBJECT(obj) ? yajl_tree_get(obj, path, yajl_t_any) : NULL;
}

/* Reads one row leniently; test_vectors_wellformed says what is missing. */
static void
parse_row(struct vrow *r, yajl_val v, size_t index)
{
	yajl_val x;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->index = index;
	r->name = tu_str(v, "name");
	r->scheme = tu_str(v, "scheme");
	r->s = r->scheme ? scheme_find(r->scheme) : NULL;
	x = get(v, "secrets");
	if (YAJL_IS_ARRAY(x))
		for (i = 0; i < YAJL_GET_ARRAY(x)->len && r->nsecrets < SCHEME_MAX_SECRETS; i++)
			if (YAJL_IS_STRING(YAJL_GET_ARRAY(x)->values[i]))
				r->secrets[r->nsecrets++] = YAJL_GET_STRING(YAJL_GET_ARRAY(x)->values[i]);
	r->wrong = tu_str(v, "wrong_secret");
	x = get(v, "config");
	r->config = YAJL_IS_OBJECT(x) ? x : NULL;
	r->method = tu_str(v, "method");
	r->query = tu_str(v, "query");
	r->content_type = tu_str(v, "content_type");
	x = get(v, "headers");
	r->headers = YAJL_IS_OBJECT(x) ? x : NULL;
	if (tu_str(v, "body_hex") != NULL) {
		const char *hex = tu_str(v, "body_hex");

		r->body = malloc(strlen(hex) / 2 + 1);
		assert_non_null(r->body);
		r->len = tu_unhex(r->body, strlen(hex) / 2, hex);
		r->has_body = true;
	} else if (tu_str(v, "body") != NULL) {
		r->len = strlen(tu_str(v, "body"));
		r->body = malloc(r->len + 1);
		assert_non_null(r->body);
		memcpy(r->body, tu_str(v, "body"), r->len);
		r->has_body = true;
	} else {
		r->body = malloc(1);
		assert_non_null(r->body);
	}
	r->now = tu_int(v, "now", -1);
	r->tolerance = tu_int(v, "tolerance", -1);
	r->expect = tu_str(v, "expect");
	x = get(v, "event_id");
	r->has_event_id = x != NULL;
	r->event_id = YAJL_IS_STRING(x) ? YAJL_GET_STRING(x) : NULL;
	x = get(v, "event_type");
	r->has_event_type = x != NULL;
	r->event_type = YAJL_IS_STRING(x) ? YAJL_GET_STRING(x) : NULL;
	x = get(v, "answer");
	r->answer = YAJL_IS_OBJECT(x) ? x : NULL;
	r->base = YAJL_IS_TRUE(get(v, "base"));
	if (r->name == NULL)
		r->name = "(a row without a name)";
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	size_t i;

	assert_non_null(fx);
	assert_int_equal(scheme_init(), 0);
	fx->dir = tu_tmpdir();
	fx->conf_path = tu_path(fx->dir, "hookq.conf");
	fx->secret_path = tu_path(fx->dir, "s.secret");
	fx->vectors = tu_load_json("senders.json");
	if (!YAJL_IS_ARRAY(fx->vectors))
		fail_msg("senders.json is not a JSON list");
	fx->nrows = YAJL_GET_ARRAY(fx->vectors)->len;
	fx->rows = calloc(fx->nrows + 1, sizeof(*fx->rows));
	assert_non_null(fx->rows);
	for (i = 0; i < fx->nrows; i++)
		parse_row(&fx->rows[i], YAJL_GET_ARRAY(fx->vectors)->values[i], i);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	printf("# sender_test: %zu vector rows, %lu checks, %lu failed\n", fx->nrows,
	    fx->total_checks, fx->total_failures);
	for (i = 0; i < fx->nrows; i++)
		free(fx->rows[i].body);
	free(fx->rows);
	yajl_tree_free(fx->vectors);
	tu_rmtree(fx->dir);
	free(fx->conf_path);
	free(fx->secret_path);
	free(fx->dir);
	free(fx);
	return 0;
}

static const struct vrow *
base_row(struct fixture *fx, const char *scheme)
{
	size_t i;

	for (i = 0; i < fx->nrows; i++)
		if (fx->rows[i].base && streq(fx->rows[i].scheme, scheme))
			return &fx->rows[i];
	return NULL;
}

/* --- one request through hookq ----------------------------------------------------------- */

/* What to send instead of the row's own secrets, body or signature. */
struct change {
	const char *const *secrets;   /* NULL: the row's */
	size_t nsecrets;
	const unsigned char *body;    /* NULL: the row's */
	size_t len;
	const char *header;           /* a header to set (replacing the row's) ... */
	const char *value;            /* ... to this value (NULL: remove it) */
};

struct run {
	struct config *cfg;
	struct request req;
	int stage;                    /* 0: route refused, 1: check refused, 2: to be stored */
	enum outcome outcome;         /* stage 2: OUTCOME_STORED */
};

/* Writes the row's config and secret file; returns the loaded config or NULL (a failed check). */
static struct config *
load_config(struct fixture *fx, const struct vrow *r, const char *const *secrets, size_t n)
{
	struct config *cfg;
	char *cause = NULL, *text = NULL;
	size_t len = 0, i;
	FILE *m;

	m = open_memstream(&text, &len);
	assert_non_null(m);
	for (i = 0; i < n; i++)
		fprintf(m, "%s\n", secrets[i]);
	fclose(m);
	tu_write_file(fx->secret_path, text, len, 0600);
	explicit_bzero(text, len);
	free(text);

	m = open_memstream(&text, &len);
	assert_non_null(m);
	fprintf(m, "[hookq]\ndatabase = q.db\n[source s]\nscheme = %s\nsecret_file = s.secret\n",
	    r->scheme);
	if (r->tolerance >= 0)
		fprintf(m, "tolerance = %lld\n", r->tolerance);
	if (r->config != NULL)
		for (i = 0; i < YAJL_GET_OBJECT(r->config)->len; i++) {
			yajl_val v = YAJL_GET_OBJECT(r->config)->values[i];

			if (YAJL_IS_STRING(v))
				fprintf(m, "%s = %s\n", YAJL_GET_OBJECT(r->config)->keys[i],
				    YAJL_GET_STRING(v));
		}
	fclose(m);
	tu_write_file(fx->conf_path, text, len, 0644);
	free(text);

	cfg = config_load(fx->conf_path, &cause);
	CHECK(fx, r->name, cfg != NULL, "config_load refused the row's config: %s", show(cause));
	free(cause);
	return cfg;
}

/* Adds the row's headers (with ch's change) and Content-Type, as headers_add_cgi() would. */
static void
build_headers(struct headers *h, const struct vrow *r, const struct change *ch)
{
	bool done = false;
	size_t i;

	if (r->headers != NULL)
		for (i = 0; i < YAJL_GET_OBJECT(r->headers)->len; i++) {
			const char *k = YAJL_GET_OBJECT(r->headers)->keys[i];
			yajl_val v = YAJL_GET_OBJECT(r->headers)->values[i];

			if (ch != NULL && ch->header != NULL && strcasecmp(k, ch->header) == 0) {
				if (ch->value != NULL && !done)
					headers_add(h, k, ch->value);
				done = true;
				continue;
			}
			if (YAJL_IS_STRING(v))
				headers_add(h, k, YAJL_GET_STRING(v));
		}
	if (ch != NULL && ch->header != NULL && ch->value != NULL && !done)
		headers_add(h, ch->header, ch->value);
	if (r->content_type != NULL)
		headers_add(h, "Content-Type", r->content_type);
}

/*
 * Sends the row (changed by ch) as the front does: request_route, then
 * request_check at the row's now. Returns false when the config did not load.
 */
static bool
run_row(struct fixture *fx, const struct vrow *r, const struct change *ch, struct run *out)
{
	const unsigned char *body = ch && ch->body ? ch->body : r->body;
	size_t len = ch && ch->body ? ch->len : r->len;

	memset(out, 0, sizeof(*out));
	request_init(&out->req);
	out->cfg = load_config(fx, r, ch && ch->secrets ? ch->secrets : r->secrets,
	    ch && ch->secrets ? ch->nsecrets : r->nsecrets);
	if (out->cfg == NULL)
		return false;
	out->req.method = xdup(r->method ? r->method : "POST");
	out->req.source_name = xdup("s");
	if (r->query != NULL && *r->query != '\0')
		out->req.query = xdup(r->query);
	build_headers(&out->req.headers, r, ch);
	/* Exactly len bytes, not NUL-terminated, as the front reads it: ASan sees an over-read. */
	out->req.body = malloc(len ? len : 1);
	assert_non_null(out->req.body);
	if (len)
		memcpy(out->req.body, body, len);
	out->req.body_len = len;
	out->req.received_at = r->now * 1000;
	if (request_route(&out->req, out->cfg) != 0) {
		out->stage = 0;
		out->outcome = out->req.outcome;
	} else if (request_check(&out->req, r->now) != 0) {
		out->stage = 1;
		out->outcome = out->req.outcome;
	} else {
		out->stage = 2;
		out->outcome = OUTCOME_STORED;
	}
	return true;
}

static void
run_end(struct run *run)
{
	request_clear(&run->req);
	config_free(run->cfg);
	run->cfg = NULL;
}

static const char *
outcome_name(const struct run *run)
{
	static char buf[80];

	snprintf(buf, sizeof(buf), "%s%s (%s)", outcome_info(run->outcome)->name,
	    run->stage == 0 ? " from request_route" : run->stage == 1 ? " from request_check" :
	    " (request_check returned 0)", show(run->req.reason));
	return buf;
}

/* The media type of a Content-Type, lower case, without parameters. */
static void
media_type(const char *ct, char *out, size_t size)
{
	size_t n = 0;

	while (*ct == ' ')
		ct++;
	for (; *ct != '\0' && *ct != ';' && *ct != ' ' && n + 1 < size; ct++)
		out[n++] = (char)tolower((unsigned char)*ct);
	out[n] = '\0';
}

/* request_response(o) against the status, media type and exact body bytes wanted. */
static void
check_response(struct fixture *fx, const char *row, const struct request *req, enum outcome o,
    int status, const char *content_type, const char *body, size_t len, const char *what)
{
	struct response resp;
	char got_mt[128], want_mt[128];

	memset(&resp, 0, sizeof(resp));
	request_response(req, o, &resp);
	CHECK(fx, row, resp.status == status, "%s: status %d, want %d", what, resp.status, status);
	if (content_type != NULL) {
		media_type(content_type, want_mt, sizeof(want_mt));
		if (resp.content_type != NULL)
			media_type(resp.content_type, got_mt, sizeof(got_mt));
		CHECK(fx, row, resp.content_type != NULL && strcmp(got_mt, want_mt) == 0,
		    "%s: content type %s, want %s", what, show(resp.content_type), content_type);
	} else {
		/* No body: nothing to type. A 204 carries no Content-Type at all. */
		CHECK(fx, row, resp.len == 0, "%s: a body of %zu bytes where none is wanted", what,
		    resp.len);
		if (status == 204)
			CHECK(fx, row, resp.content_type == NULL, "%s: 204 with content type %s", what,
			    resp.content_type);
	}
	CHECK(fx, row, resp.len == len && (len == 0 || (resp.body != NULL &&
	    memcmp(resp.body, body, len) == 0)), "%s: body [%.*s] (%zu bytes), want [%s] (%zu bytes)",
	    what, (int)(resp.len < 400 ? resp.len : 400), resp.body ? resp.body : "", resp.len, body,
	    len);
}

/* hookq's own answer for outcome o. */
static void
check_own_response(struct fixture *fx, const char *row, const struct request *req, enum outcome o,
    const char *what)
{
	const struct outcome_info *oi = outcome_info(o);

	check_response(fx, row, req, o, oi->status, "text/plain", oi->body, strlen(oi->body), what);
}

/* A 401 that gives nothing away: a reason for the log, nothing extracted, no answer. */
static void
check_unauthorized(struct fixture *fx, const char *row, const struct run *run, const char *what)
{
	CHECK(fx, row, run->stage == 1 && run->outcome == OUTCOME_UNAUTHORIZED,
	    "%s: %s, want unauthorized", what, outcome_name(run));
	if (run->stage != 1 || run->outcome != OUTCOME_UNAUTHORIZED)
		return;
	CHECK(fx, row, run->req.reason != NULL && run->req.reason[0] != '\0',
	    "%s: 401 without a reason", what);
	CHECK(fx, row, run->req.event_id == NULL && run->req.event_type == NULL &&
	    run->req.answer_body == NULL, "%s: a 401 that extracted an id, a type or an answer", what);
	check_own_response(fx, row, &run->req, OUTCOME_UNAUTHORIZED, what);
}

/* A row that is to be stored: id, type, headers kept, and the 200 it answers. */
static void
check_stored(struct fixture *fx, const struct vrow *r, const struct run *run, const char *what)
{
	static const enum outcome OKS[] = { OUTCOME_DUPLICATE, OUTCOME_IGNORED, OUTCOME_ACCEPTED };
	size_t i;

	CHECK(fx, r->name, run->stage == 2, "%s: %s, want stored", what, outcome_name(run));
	if (run->stage != 2)
		return;
	CHECK(fx, r->name, streq(run->req.event_id, r->event_id), "%s: event_id %s, want %s", what,
	    show(run->req.event_id), show(r->event_id));
	CHECK(fx, r->name, streq(run->req.event_type, r->event_type), "%s: event_type %s, want %s",
	    what, show(run->req.event_type), show(r->event_type));
	CHECK(fx, r->name, run->req.headers_json != NULL, "%s: no headers_json", what);
	if (r->answer == NULL) {
		check_own_response(fx, r->name, &run->req, OUTCOME_STORED, what);
		return;
	}
	check_response(fx, r->name, &run->req, OUTCOME_STORED, (int)tu_int(r->answer, "status", -1),
	    tu_str(r->answer, "content_type"), show(tu_str(r->answer, "body")),
	    strlen(show(tu_str(r->answer, "body"))), what);
	/* The scheme's answer is every 200 of an event, not only the first. */
	for (i = 0; i < sizeof(OKS) / sizeof(OKS[0]); i++) {
		char *w = xfmt("%s, answered as %s", what, outcome_info(OKS[i])->name);

		check_response(fx, r->name, &run->req, OKS[i], (int)tu_int(r->answer, "status", -1),
		    tu_str(r->answer, "content_type"), show(tu_str(r->answer, "body")),
		    strlen(show(tu_str(r->answer, "body"))), w);
		free(w);
	}
}

/* The row's outcome as its expect says, everything about it checked. */
static void
check_expect(struct fixture *fx, const struct vrow *r, const struct run *run, const char *expect,
    const char *what)
{
	if (strcmp(expect, "stored") == 0) {
		check_stored(fx, r, run, what);
	} else if (strcmp(expect, "unauthorized") == 0) {
		check_unauthorized(fx, r->name, run, what);
	} else if (strcmp(expect, "handshake") == 0) {
		CHECK(fx, r->name, run->stage == 1 && run->outcome == OUTCOME_HANDSHAKE,
		    "%s: %s, want handshake", what, outcome_name(run));
		if (run->stage != 1 || run->outcome != OUTCOME_HANDSHAKE)
			return;
		CHECK(fx, r->name, run->req.event_id == NULL && run->req.headers_json == NULL,
		    "%s: a handshake made ready to store", what);
		CHECK(fx, r->name, r->answer != NULL, "%s: handshake row without an answer", what);
		if (r->answer != NULL)
			check_response(fx, r->name, &run->req, OUTCOME_HANDSHAKE,
			    (int)tu_int(r->answer, "status", -1), tu_str(r->answer, "content_type"),
			    show(tu_str(r->answer, "body")), strlen(show(tu_str(r->answer, "body"))),
			    what);
	} else if (strcmp(expect, "forbidden") == 0) {
		CHECK(fx, r->name, run->stage == 1 && run->outcome == OUTCOME_FORBIDDEN,
		    "%s: %s, want forbidden", what, outcome_name(run));
		if (run->stage == 1 && run->outcome == OUTCOME_FORBIDDEN) {
			CHECK(fx, r->name, run->req.reason != NULL && run->req.reason[0] != '\0',
			    "%s: 403 without a reason", what);
			CHECK(fx, r->name, run->req.answer_body == NULL, "%s: 403 with an answer", what);
			check_own_response(fx, r->name, &run->req, OUTCOME_FORBIDDEN, what);
		}
	} else if (strcmp(expect, "bad_request") == 0) {
		/* Verified, but the event has nothing hookq can store it under. */
		CHECK(fx, r->name, run->stage == 1 && run->outcome == OUTCOME_BAD_REQUEST,
		    "%s: %s, want bad_request", what, outcome_name(run));
		if (run->stage == 1 && run->outcome == OUTCOME_BAD_REQUEST) {
			CHECK(fx, r->name, run->req.reason != NULL && run->req.reason[0] != '\0',
			    "%s: 400 without a reason", what);
			check_own_response(fx, r->name, &run->req, OUTCOME_BAD_REQUEST, what);
		}
	} else if (strcmp(expect, "method") == 0) {
		CHECK(fx, r->name, run->stage == 0 && run->outcome == OUTCOME_METHOD,
		    "%s: %s, want method (405 from request_route)", what, outcome_name(run));
		if (run->stage == 0 && run->outcome == OUTCOME_METHOD)
			check_own_response(fx, r->name, &run->req, OUTCOME_METHOD, what);
	} else {
		CHECK(fx, r->name, false, "%s: unknown expect %s", what, expect);
	}
}

/* Runs the row changed by ch and checks it against expect. */
static void
try_row(struct fixture *fx, const struct vrow *r, const struct change *ch, const char *expect,
    const char *what)
{
	struct run run;

	if (run_row(fx, r, ch, &run))
		check_expect(fx, r, &run, expect, what);
	run_end(&run);
}

/* --- the tests --------------------------------------------------------------------------- */

/* Every row has what the test needs, names a built-in scheme, and the names are unique. */
static void
test_vectors_wellformed(void **state)
{
	static const char *const EXPECTS[] = {
		"stored", "unauthorized", "handshake", "forbidden", "method", "bad_request", NULL
	};
	struct fixture *fx = *state;
	size_t i, j;

	CHECK(fx, "senders.json", fx->nrows >= 15 * 3, "only %zu rows", fx->nrows);
	for (i = 0; i < fx->nrows; i++) {
		const struct vrow *r = &fx->rows[i];

		CHECK(fx, r->name, tu_str(YAJL_GET_ARRAY(fx->vectors)->values[i], "name") != NULL,
		    "row %zu has no name", i);
		CHECK(fx, r->name, r->s != NULL, "scheme %s is not a built-in", show(r->scheme));
		CHECK(fx, r->name, r->nsecrets >= 1, "no secrets");
		CHECK(fx, r->name, r->has_body, "neither body nor body_hex");
		CHECK(fx, r->name, r->now > 0, "no now");
		CHECK(fx, r->name, r->tolerance > 0, "no tolerance");
		CHECK(fx, r->name, in_list(EXPECTS, r->expect), "expect %s", show(r->expect));
		CHECK(fx, r->name, r->method == NULL || strcmp(r->method, "POST") == 0 ||
		    strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0, "method %s",
		    r->method);
		if (streq(r->expect, "stored"))
			CHECK(fx, r->name, r->has_event_id && r->has_event_type,
			    "a stored row without event_id and event_type");
		if (streq(r->expect, "handshake"))
			CHECK(fx, r->name, r->answer != NULL, "a handshake row without an answer");
		if (r->answer != NULL)
			CHECK(fx, r->name, tu_int(r->answer, "status", -1) > 0 &&
			    tu_str(r->answer, "body") != NULL, "an answer without status or body");
		if (r->base)
			CHECK(fx, r->name, streq(r->expect, "stored") && r->wrong != NULL &&
			    r->nsecrets == 1 && r->len >= 2,
			    "a base row must be stored, with one secret, a wrong_secret and a body");
		for (j = 0; j < i; j++)
			if (strcmp(fx->rows[j].name, r->name) == 0) {
				CHECK(fx, r->name, false, "the name is used twice");
				break;
			}
	}
	finish(fx, "test_vectors_wellformed");
}

/* Every row, as it is: outcome, id, type, and the answer. */
static void
test_rows(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	for (i = 0; i < fx->nrows; i++) {
		const struct vrow *r = &fx->rows[i];

		if (r->s == NULL || r->expect == NULL)
			continue;
		try_row(fx, r, NULL, r->expect, "as sent");
	}
	finish(fx, "test_rows");
}

/* Parses a timestamp as the scheme writes it into seconds; false when it is not one. */
static bool
parse_ts(enum scheme_ts_format fmt, const char *v, long long *out)
{
	char *end;
	long long n;

	if (v == NULL || *v == '\0')
		return false;
	if (fmt == SCHEME_TS_ISO8601) {
		struct tm tm;

		memset(&tm, 0, sizeof(tm));
		/* A fraction of a second (Twitch's nanoseconds) is dropped, as the scheme does. */
		end = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
		if (end != NULL && *end == '.')
			for (end++; *end >= '0' && *end <= '9'; end++)
				;
		if (end == NULL || strcmp(end, "Z") != 0)
			return false;
		*out = (long long)timegm(&tm);
		return true;
	}
	n = strtoll(v, &end, 10);
	if (*end != '\0')
		return false;
	if (fmt == SCHEME_TS_UNIX_MS) {
		if (n % 1000 != 0)
			return false;
		n /= 1000;
	}
	*out = n;
	return true;
}

/* The timestamp in the body's fields, in seconds. */
static bool
body_ts(const struct scheme *s, const struct headers *h, const unsigned char *body, size_t len,
    long long *ts)
{
	struct fields f;
	const char *v;
	bool ok;

	fields_init(&f, s, h, body, len, NULL);
	v = fields_first(&f, s->ts_body);
	ok = parse_ts(s->ts_format, v, ts);
	fields_clear(&f);
	return ok;
}

/* The row's timestamp in seconds, read where its scheme reads it (by this test's own parser). */
static bool
row_ts(const struct vrow *r, long long *ts)
{
	const struct scheme *s = r->s;
	struct headers h;
	bool ok = false;

	headers_init(&h);
	build_headers(&h, r, NULL);
	if (s->ts_header != NULL) {
		ok = parse_ts(s->ts_format, headers_get(&h, s->ts_header), ts);
	} else if (s->ts_item != NULL && s->sig_header != NULL) {
		const char *v = headers_get(&h, s->sig_header), *p;
		size_t n = strlen(s->ts_item);

		for (p = v; p != NULL && *p != '\0';) {
			size_t item = strcspn(p, (char[]){ s->sig_separator, '\0' });

			if (item > n && strncmp(p, s->ts_item, n) == 0) {
				char *t = strndup(p + n, item - n);

				ok = parse_ts(s->ts_format, t, ts);
				free(t);
				break;
			}
			p += item;
			if (*p != '\0')
				p++;
		}
	} else if (s->ts_body[0].from != FIELD_FROM_NONE) {
		ok = body_ts(s, &h, r->body, r->len, ts);
	}
	headers_clear(&h);
	return ok;
}

/*
 * The vectors cover what the test cannot make up: a base row for each
 * sender of the table (but those of schemes.json), the handshakes, and the tolerance bounds of each
 * timestamped scheme (exactly at it is stored, one second past it is 401).
 */
static void
test_coverage(void **state)
{
	enum { OLD_EDGE, OLD_PAST, FUTURE_EDGE, FUTURE_PAST, NBOUNDS };
	static const char *const BOUND[] = { "old edge", "old past", "future edge", "future past" };
	struct fixture *fx = *state;
	yajl_val schemes = tu_load_json("schemes.json");
	size_t i, k, b, covered = 0;

	for (k = 0; k < SCHEME_TABLE_SIZE; k++) {
		const struct scheme *s = &SCHEME_TABLE[k];
		const char *name = s->name;
		size_t bases = 0, handshakes = 0, rows = 0;
		bool bounds[NBOUNDS] = { false };

		if (scheme_vectors_cover(schemes, name))
			continue;
		covered++;

		for (i = 0; i < fx->nrows; i++) {
			const struct vrow *r = &fx->rows[i];
			long long ts, d;

			if (!streq(r->scheme, name) || r->s == NULL)
				continue;
			rows++;
			bases += r->base;
			handshakes += streq(r->expect, "handshake");
			if (r->s->ts_header == NULL && r->s->ts_item == NULL &&
			    r->s->ts_body[0].from == FIELD_FROM_NONE)
				continue;
			if (!row_ts(r, &ts))
				continue;
			d = r->now - ts;
			if (d == r->tolerance && streq(r->expect, "stored"))
				bounds[OLD_EDGE] = true;
			if (d == r->tolerance + 1 && streq(r->expect, "unauthorized"))
				bounds[OLD_PAST] = true;
			if (d == -r->tolerance && streq(r->expect, "stored"))
				bounds[FUTURE_EDGE] = true;
			if (d == -r->tolerance - 1 && streq(r->expect, "unauthorized"))
				bounds[FUTURE_PAST] = true;
		}
		CHECK(fx, name, rows > 0, "no rows for the scheme");
		CHECK(fx, name, bases == 1, "%zu base rows, want exactly 1", bases);
		if (has_handshake(s))
			CHECK(fx, name, handshakes >= 1, "no handshake row");
		if (has_timestamp(s)) {
			for (b = 0; b < NBOUNDS; b++) {
				/* The future edge is optional; a row with ts_future_ok takes the future. */
				if (b == FUTURE_EDGE || (b == FUTURE_PAST && s->ts_future_ok))
					continue;
				CHECK(fx, name, bounds[b], "no row at the tolerance bound: %s "
				    "(stored at exactly the tolerance, 401 one second past)", BOUND[b]);
			}
		}
	}
	CHECK(fx, "scheme_table.c", covered >= 15, "only %zu senders outside schemes.json", covered);
	yajl_tree_free(schemes);
	finish(fx, "test_coverage");
}

/* Flipping the first, the last, or both bytes of the body makes a base row 401. */
static void
test_tampered(void **state)
{
	struct fixture *fx = *state;
	size_t i, t;

	for (i = 0; i < fx->nrows; i++) {
		const struct vrow *r = &fx->rows[i];
		bool token = r->s != NULL && r->s->sigs[0].alg == SCHEME_TOKEN;

		if (!r->base || r->s == NULL || r->len < 2)
			continue;
		for (t = 0; t < 3; t++) {
			static const char *const WHAT[] = {
				"first body byte flipped", "last body byte flipped",
				"first and last body bytes flipped"
			};
			unsigned char *b = malloc(r->len);
			struct change ch = { .len = r->len };

			assert_non_null(b);
			memcpy(b, r->body, r->len);
			if (t != 1)
				b[0] ^= 0x01;
			if (t != 0)
				b[r->len - 1] ^= 0x01;
			ch.body = b;
			/*
			 * GitLab and Postmark sign nothing: the token authenticates the
			 * sender, not the body, so a changed body is still stored (under
			 * its own hash where the id is the body's). Every other scheme
			 * covers the body (Mailgun's only its signature fields, which a
			 * broken JSON body loses).
			 */
			if (token) {
				struct run run;

				if (run_row(fx, r, &ch, &run)) {
					CHECK(fx, r->name, run.stage == 2, "%s (token scheme): %s, want "
					    "stored", WHAT[t], outcome_name(&run));
					if (run.stage == 2 && strncmp(r->event_id, "sha256:", 7) != 0)
						CHECK(fx, r->name, streq(run.req.event_id, r->event_id),
						    "%s: event_id %s", WHAT[t], show(run.req.event_id));
					else if (run.stage == 2)
						CHECK(fx, r->name, !streq(run.req.event_id, r->event_id),
						    "%s: the body's hash did not change", WHAT[t]);
				}
				run_end(&run);
			} else {
				try_row(fx, r, &ch, "unauthorized", WHAT[t]);
			}
			free(b);
		}
	}
	finish(fx, "test_tampered");
}

/* A well-formed secret that did not sign: 401, for events and handshakes alike. */
static void
test_wrong_secret(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	for (i = 0; i < fx->nrows; i++) {
		const struct vrow *r = &fx->rows[i], *base;
		const char *one[1];
		struct change ch = { .secrets = one, .nsecrets = 1 };

		if (r->s == NULL)
			continue;
		if (r->base) {
			one[0] = r->wrong;
			try_row(fx, r, &ch, "unauthorized", "only wrong_secret");
			continue;
		}
		/* A POST handshake is answered only once the signature verified. */
		if (streq(r->expect, "handshake") && (r->method == NULL ||
		    strcmp(r->method, "POST") == 0) && (base = base_row(fx, r->scheme)) != NULL &&
		    base->wrong != NULL) {
			one[0] = base->wrong;
			try_row(fx, r, &ch, "unauthorized", "handshake under the base row's wrong_secret");
		}
	}
	finish(fx, "test_wrong_secret");
}

/* Two secret lines while a secret rotates: either order verifies; two wrong ones do not. */
static void
test_rotation(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	for (i = 0; i < fx->nrows; i++) {
		const struct vrow *r = &fx->rows[i];
		const char *two[2];
		struct change ch = { .secrets = two, .nsecrets = 2 };

		if (!r->base || r->s == NULL || r->wrong == NULL)
			continue;
		two[0] = r->wrong;
		two[1] = r->secrets[0];
		try_row(fx, r, &ch, "stored", "secrets: wrong, right");
		two[0] = r->secrets[0];
		two[1] = r->wrong;
		try_row(fx, r, &ch, "stored", "secrets: right, wrong");
		two[0] = r->wrong;
		two[1] = r->wrong;
		try_row(fx, r, &ch, "unauthorized", "secrets: wrong, wrong");
	}
	finish(fx, "test_rotation");
}

/* --- malformed signatures ---------------------------------------------------------------- */

#define MAX_SHAPES 48

struct shapes {
	size_t n;
	const char *label[MAX_SHAPES];
	char *v[MAX_SHAPES];
};

static void
shape(struct shapes *sh, const char *label, char *v)
{
	assert_true(sh->n < MAX_SHAPES);
	sh->label[sh->n] = label;
	sh->v[sh->n++] = v;
}

static void
shapes_free(struct shapes *sh)
{
	size_t i;

	for (i = 0; i < sh->n; i++)
		free(sh->v[i]);
	sh->n = 0;
}

/* unit n times, joined by sep (a NUL sep joins nothing). */
static char *
repeat(const char *unit, size_t n, char sep)
{
	size_t u = strlen(unit), i;
	char *p = malloc(n * (u + 1) + 1), *q = p;

	assert_non_null(p);
	for (i = 0; i < n; i++) {
		if (i > 0 && sep != '\0')
			*q++ = sep;
		memcpy(q, unit, u);
		q += u;
	}
	*q = '\0';
	return p;
}

/* Standard base64 of n bytes of 0xa5, padded: a well-formed value of the wrong length. */
static char *
base64_of(size_t n)
{
	static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *p = malloc(4 * (n / 3 + 1) + 1), *q = p;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i += 3) {
		unsigned v = 0xa5u << 16 | (i + 1 < n ? 0xa5u << 8 : 0) | (i + 2 < n ? 0xa5u : 0);

		*q++ = A[v >> 18 & 63];
		*q++ = A[v >> 12 & 63];
		*q++ = i + 1 < n ? A[v >> 6 & 63] : '=';
		*q++ = i + 2 < n ? A[v & 63] : '=';
	}
	*q = '\0';
	return p;
}

/* Bytes 0x01-0x1f and 0x80-0xff: no NUL, nothing printable. */
static char *
binary_mess(void)
{
	char *p = malloc(31 + 128 + 1), *q = p;
	int c;

	assert_non_null(p);
	for (c = 0x01; c <= 0x1f; c++)
		*q++ = (char)c;
	for (c = 0x80; c <= 0xff; c++)
		*q++ = (char)c;
	*q = '\0';
	return p;
}

/*
 * ~30 broken shapes of a signature value for the scheme; core is the good
 * signature item (prefix + encoded signature, or the token) the vectors
 * sent, which some shapes cut, extend or blank out. None can verify.
 */
static void
make_shapes(struct shapes *sh, const struct scheme *s, const char *core)
{
	const char *prefix = s->sigs[0].prefix ? s->sigs[0].prefix : "";
	size_t plen = strlen(prefix), clen = strlen(core);
	size_t payload = clen > plen ? clen - plen : 0;
	char sep = s->sig_separator ? s->sig_separator : ',';
	bool ed = s->sigs[0].alg == SCHEME_ED25519;
	char *t, *u;
	size_t i;

	shape(sh, "empty", xdup(""));
	shape(sh, "one space", xdup(" "));
	shape(sh, "white space", xdup("\t  \t "));
	shape(sh, "the prefix alone", xdup(plen ? prefix : "v1="));
	shape(sh, "the prefix + 1 char", xfmt("%sa", prefix));
	shape(sh, "odd hex", xfmt("%sabc", prefix));
	t = repeat("0", ed ? 127 : 63, '\0');
	shape(sh, "hex one digit short", xfmt("%s%s", prefix, t));
	free(t);
	t = repeat("g", payload ? payload : 64, '\0');
	shape(sh, "non-hex of the right length", xfmt("%s%s", prefix, t));
	free(t);
	t = repeat("*", payload ? payload : 44, '\0');
	shape(sh, "non-base64 of the right length", xfmt("%s%s", prefix, t));
	free(t);
	shape(sh, "4096 'A's", repeat("A", 4096, '\0'));
	t = repeat("A", 4096, '\0');
	shape(sh, "the prefix + 4096 'A's", xfmt("%s%s", prefix, t));
	free(t);
	shape(sh, "64 KiB of 'a'", repeat("a", 65536, '\0'));
	shape(sh, "16 separators", repeat((char[]){ sep, '\0' }, 16, '\0'));
	shape(sh, "mixed separators", repeat(",; =\t", 4, '\0'));
	t = xfmt("%s00", prefix);
	shape(sh, "40 short items", repeat(t, 40, sep));
	free(t);
	u = repeat("0", ed ? 128 : 64, '\0');
	t = xfmt("%s%s", prefix, u);
	shape(sh, "20 hex items of the right length", repeat(t, 20, sep));
	free(t);
	free(u);
	u = base64_of(ed ? 64 : 32);
	t = xfmt("%s%s", prefix, u);
	shape(sh, "20 base64 items of the right length", repeat(t, 20, sep));
	free(t);
	free(u);
	shape(sh, "control and high bytes", binary_mess());
	t = binary_mess();
	shape(sh, "the prefix + control and high bytes", xfmt("%s%s", prefix, t));
	free(t);
	t = base64_of(31);
	shape(sh, "base64 of 31 bytes", xfmt("%s%s", prefix, t));
	free(t);
	t = base64_of(33);
	shape(sh, "base64 of 33 bytes", xfmt("%s%s", prefix, t));
	free(t);
	t = base64_of(ed ? 32 : 64);
	shape(sh, "base64 of the other algorithm's length", xfmt("%s%s", prefix, t));
	free(t);
	t = repeat("ab", ed ? 32 : 64, '\0');
	shape(sh, "hex of the other algorithm's length", xfmt("%s%s", prefix, t));
	free(t);
	shape(sh, "padding only", xfmt("%s====", prefix));
	if (plen > 0)
		shape(sh, "the prefix twice", xfmt("%s%s", prefix, core));
	if (clen > plen + 4)
		shape(sh, "the signature less 4 chars", strndup(core, clen - 4));
	shape(sh, "the signature + 4 chars", xfmt("%sAAAA", core));
	if (payload > 6)
		shape(sh, "UTF-8 in the signature", xfmt("%s\xc3\xa9\xe2\x9c\x93\xe4\xb8\xad%s", prefix,
		    core + plen + 6));
	t = xdup(core);
	for (i = plen; t[i] != '\0'; i++)
		if (t[i] != '=')
			t[i] = s->sigs[0].encoding == SCHEME_HEX ? '0' :
			    s->sigs[0].encoding == SCHEME_BASE64 ? 'A' : 'x';
	shape(sh, "the right shape, all zero", t);
	shape(sh, "printf directives", xfmt("%s%%s%%n%%x%%p%%s", prefix));
	shape(sh, "escaped NULs", xfmt("%s\\x00\\0%%00", prefix));
}

/* The signature item of a header value: the first item with the signature prefix, or all of it. */
static char *
sig_core(const struct scheme *s, const char *value)
{
	const char *prefix = s->sigs[0].prefix ? s->sigs[0].prefix : "", *p;
	size_t n = strlen(prefix);

	if (s->sig_separator == '\0' || n == 0)
		return xdup(value);
	for (p = value; *p != '\0';) {
		size_t item = strcspn(p, (char[]){ s->sig_separator, '\0' });

		if (item >= n && strncmp(p, prefix, n) == 0)
			return strndup(p, item);
		p += item;
		if (*p != '\0')
			p++;
	}
	return xdup(value);
}

/*
 * Each scheme's base row with its signature header replaced by each broken
 * shape (and, where the timestamp is an item of that header, the shape next
 * to a good ts item): always 401 with a reason, never a crash.
 */
static void
test_malformed_header(void **state)
{
	struct fixture *fx = *state;
	size_t i, j, seen = 0;

	for (i = 0; i < fx->nrows; i++) {
		const struct vrow *r = &fx->rows[i];
		struct shapes sh = { 0 };
		struct headers h;
		char *core;

		if (!r->base || r->s == NULL || r->s->sig_header == NULL)
			continue;
		seen++;
		headers_init(&h);
		build_headers(&h, r, NULL);
		CHECK(fx, r->name, headers_get(&h, r->s->sig_header) != NULL,
		    "the base row has no %s header", r->s->sig_header);
		core = sig_core(r->s, headers_get(&h, r->s->sig_header) ?
		    headers_get(&h, r->s->sig_header) : "");
		headers_clear(&h);
		make_shapes(&sh, r->s, core);
		for (j = 0; j < sh.n; j++) {
			struct change ch = { .header = r->s->sig_header, .value = sh.v[j] };
			char *what = xfmt("%s: %s", r->s->sig_header, sh.label[j]);

			try_row(fx, r, &ch, "unauthorized", what);
			free(what);
			if (r->s->ts_item != NULL) {
				char *v = xfmt("%s%lld%c%s", r->s->ts_item, r->now, r->s->sig_separator,
				    sh.v[j]);

				ch.value = v;
				what = xfmt("%s: a good ts item, then %s", r->s->sig_header, sh.label[j]);
				try_row(fx, r, &ch, "unauthorized", what);
				free(what);
				free(v);
			}
		}
		/* And no signature header at all. */
		{
			struct change ch = { .header = r->s->sig_header, .value = NULL };

			try_row(fx, r, &ch, "unauthorized", "no signature header");
		}
		shapes_free(&sh);
		free(core);
	}
	CHECK(fx, "senders.json", seen >= 14, "only %zu base rows with a signature header", seen);
	finish(fx, "test_malformed_header");
}

/*
 * Each base row with its timestamp header (or ts item) replaced by broken
 * or merely different timestamps: the signature covers the timestamp as
 * sent, so every one is 401, and none may crash the parser.
 */
static void
test_malformed_timestamp(void **state)
{
	static const char *const TS[] = {
		"", " ", "abc", "-1", "0", "-0", "+1700000000", " 1700000000", "1700000000 ",
		"1700000000.5", "1e9", "0x6553f100", "17000000000000", "99999999999999999999999999",
		"-99999999999999999999999999", "9223372036854775807", "-9223372036854775808",
		"2023-11-14T22:13:20", "2023-11-14T22:13:20.123+05:00", "2023-13-45T99:99:99Z",
		"2023-11-14 22:13:20Z", "T", "Z", "\x01\x7f", "%s%n",
	};
	const size_t nitems_ts = sizeof(TS) / sizeof(TS[0]);
	struct fixture *fx = *state;
	size_t i, j, seen = 0;

	for (i = 0; i < fx->nrows; i++) {
		const struct vrow *r = &fx->rows[i];
		struct headers h;
		char *sig = NULL, *big, *bin;

		if (!r->base || r->s == NULL || (r->s->ts_header == NULL && r->s->ts_item == NULL))
			continue;
		seen++;
		if (r->s->ts_item != NULL) {
			headers_init(&h);
			build_headers(&h, r, NULL);
			sig = sig_core(r->s, headers_get(&h, r->s->sig_header) ?
			    headers_get(&h, r->s->sig_header) : "");
			headers_clear(&h);
		}
		big = repeat("9", 4096, '\0');
		bin = binary_mess();
		for (j = 0; j < nitems_ts + 2; j++) {
			const char *t = j < nitems_ts ? TS[j] : j == nitems_ts ? big : bin;
			struct change ch = { 0 };
			char *v = NULL, *what;

			/*
			 * hookq trims spaces and tabs around each item of a split
			 * header, so "ts=1700000000 ;h1=..." is the same item as
			 * "ts=1700000000": not a different timestamp.
			 */
			if (r->s->ts_item != NULL && *t != '\0' &&
			    (t[strlen(t) - 1] == ' ' || t[strlen(t) - 1] == '\t'))
				continue;
			if (r->s->ts_header != NULL) {
				ch.header = r->s->ts_header;
				ch.value = t;
			} else {
				ch.header = r->s->sig_header;
				v = xfmt("%s%s%c%s", r->s->ts_item, t, r->s->sig_separator, sig);
				ch.value = v;
			}
			what = xfmt("timestamp [%.40s]", t);
			try_row(fx, r, &ch, "unauthorized", what);
			free(what);
			free(v);
		}
		free(big);
		free(bin);
		free(sig);
	}
	CHECK(fx, "senders.json", seen >= 7, "only %zu base rows with a timestamp header or item", seen);
	finish(fx, "test_malformed_timestamp");
}

/* s as the inside of a JSON string: quotes, backslashes and control bytes escaped, the rest raw. */
static char *
json_escape(const char *s)
{
	char *p = malloc(strlen(s) * 6 + 1), *q = p;

	assert_non_null(p);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			*q++ = '\\';
			*q++ = (char)c;
		} else if (c < 0x20) {
			q += sprintf(q, "\\u%04x", c);
		} else {
			*q++ = (char)c;
		}
	}
	*q = '\0';
	return p;
}

/* s percent-encoded for a form field: every byte but letters and digits. */
static char *
form_escape(const char *s)
{
	char *p = malloc(strlen(s) * 3 + 1), *q = p;

	assert_non_null(p);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c))
			*q++ = (char)c;
		else
			q += sprintf(q, "%%%02X", c);
	}
	*q = '\0';
	return p;
}

/* The body with its first occurrence of from replaced by to (malloc'd), or NULL. */
static unsigned char *
body_replace(const unsigned char *body, size_t len, const char *from, const char *to, size_t *out)
{
	const unsigned char *at = memmem(body, len, from, strlen(from));
	size_t before, fl = strlen(from), tl = strlen(to);
	unsigned char *p;

	if (at == NULL)
		return NULL;
	before = (size_t)(at - body);
	p = malloc(len - fl + tl + 1);
	assert_non_null(p);
	memcpy(p, body, before);
	memcpy(p + before, to, tl);
	memcpy(p + before + tl, at + fl, len - before - fl);
	*out = len - fl + tl;
	return p;
}

/* The key of the row's signature field in a body: a JSON path's last name, or the form name. */
static const char *
sig_field_key(const struct scheme *s, bool form)
{
	size_t i;

	for (i = 0; i < FIELD_LIST_MAX && s->sig_body[i].from != FIELD_FROM_NONE; i++) {
		const char *dot = strrchr(s->sig_body[i].name, '.');

		if (s->sig_body[i].from == (form ? FIELD_FROM_FORM : FIELD_FROM_JSON))
			return dot != NULL ? dot + 1 : s->sig_body[i].name;
	}
	return "signature";
}

/*
 * Where the signature is in the body (Mailgun, AWS SNS): each broken shape
 * as the value of the signature field, JSON or form: 401.
 */
static void
test_malformed_body(void **state)
{
	struct fixture *fx = *state;
	size_t i, j, seen = 0;

	for (i = 0; i < fx->nrows; i++) {
		const struct vrow *r = &fx->rows[i];
		bool form = r->content_type != NULL &&
		    strncasecmp(r->content_type, "application/x-www-form-urlencoded", 33) == 0;
		struct shapes sh = { 0 };
		struct headers h;
		struct fields f;
		const char *key, *sep;
		char *core, *from;

		if (r->s == NULL || r->s->sig_header != NULL || !streq(r->expect, "stored") ||
		    !(r->base || form))
			continue;
		seen++;
		headers_init(&h);
		build_headers(&h, r, NULL);
		fields_init(&f, r->s, &h, r->body, r->len, NULL);
		core = fields_first(&f, r->s->sig_body) ? xdup(fields_first(&f, r->s->sig_body)) : NULL;
		fields_clear(&f);
		headers_clear(&h);
		CHECK(fx, r->name, core != NULL, "no signature field in the body");
		if (core == NULL)
			continue;
		/* The field's own name: Mailgun's signature.signature or signature, SNS's Signature. */
		key = sig_field_key(r->s, form);
		/* SNS's JSON is pretty-printed: "Signature": "...". */
		sep = !form && memmem(r->body, r->len, "\": \"", 4) != NULL ? " " : "";
		from = form ? xfmt("%s=%s", key, core) : xfmt("\"%s\":%s\"%s\"", key, sep, core);
		make_shapes(&sh, r->s, core);
		for (j = 0; j < sh.n; j++) {
			char *esc = form ? form_escape(sh.v[j]) : json_escape(sh.v[j]);
			char *to = form ? xfmt("%s=%s", key, esc) : xfmt("\"%s\":%s\"%s\"", key, sep,
			    esc);
			struct change ch = { 0 };
			unsigned char *b = body_replace(r->body, r->len, from, to, &ch.len);
			char *what = xfmt("%s signature: %s", form ? "form" : "JSON", sh.label[j]);

			CHECK(fx, r->name, b != NULL, "the body has no %s", from);
			if (b != NULL) {
				ch.body = b;
				try_row(fx, r, &ch, "unauthorized", what);
			}
			free(what);
			free(b);
			free(to);
			free(esc);
		}
		shapes_free(&sh);
		free(from);
		free(core);
	}
	CHECK(fx, "senders.json", seen >= 3, "%zu stored rows with the signature in the body swept"
	    " (mailgun's JSON base and form, aws-sns)", seen);
	finish(fx, "test_malformed_body");
}

/* GitLab's token is the secret itself: it is never kept with the event. */
static void
test_token_not_stored(void **state)
{
	struct fixture *fx = *state;
	size_t i, seen = 0;

	for (i = 0; i < fx->nrows; i++) {
		const struct vrow *r = &fx->rows[i];
		struct run run;

		if (r->s == NULL || r->s->sigs[0].alg != SCHEME_TOKEN || !streq(r->expect, "stored"))
			continue;
		seen++;
		if (run_row(fx, r, NULL, &run) && run.stage == 2 && run.req.headers_json != NULL) {
			size_t k;

			CHECK(fx, r->name, strstr(run.req.headers_json, r->s->sig_header) == NULL,
			    "the token header is in headers_json");
			for (k = 0; k < r->nsecrets; k++)
				CHECK(fx, r->name, strstr(run.req.headers_json, r->secrets[k]) == NULL,
				    "secret line %zu is in headers_json", k + 1);
		} else {
			CHECK(fx, r->name, false, "not stored: %s", run.cfg ? outcome_name(&run) : "");
		}
		run_end(&run);
	}
	CHECK(fx, "gitlab", seen >= 1, "no stored gitlab row");
	finish(fx, "test_token_not_stored");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_wellformed),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_coverage),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_wrong_secret),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_malformed_header),
		cmocka_unit_test(test_malformed_body),
		cmocka_unit_test(test_malformed_timestamp),
		cmocka_unit_test(test_token_not_stored),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
