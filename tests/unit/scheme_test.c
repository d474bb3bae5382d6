/*
 * scheme_test.c: signature verification and secrets (src/scheme.c).
 *
 * Every MAC and signature the tests expect comes from outside hookq:
 * published.json holds the senders' own published examples;
 * schemes.json (made by make_scheme_vectors.py) and hmac_key_lengths.json
 * (made by make_hmac_key_lengths.py) hold signatures computed by Python's
 * hmac module and a pure-Python RFC 8032 signer. The tests only change
 * bodies, headers and secrets around those signatures; they never compute
 * one.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "fields.h"
#include "generic_rows.h"
#include "headers.h"
#include "scheme.h"

#define TOLERANCE 300

struct fixture {
	yajl_val published;
	yajl_val schemes;
	yajl_val keylens;
};

/*
 * Scheme rows the tests build themselves, as config.c builds "generic" and
 * as a later sender row would be written.
 */

/* Every escape of the signed-content template: %%, %i, %t and %b. */
static const struct scheme TEMPLATE = {
	.name = "template",
	.sig_header = "x-sig",
	.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
	.signed_content = "100%%:%i:%t:%b",
	.ts_header = "x-ts",
	.key_format = SCHEME_KEY_RAW,
	.id = { { FIELD_FROM_HEADER, "x-id" } },
};

/* The schemes a schemes.json row may name. */
static const struct {
	const char *name;
	const struct scheme *s;
} TEST_SCHEMES[] = {
	{ "template-adhoc", &TEMPLATE },
	{ "generic-hmac-sha256-hex", &GENERIC_SHA256_HEX },
	{ "generic-hmac-sha512-hex", &GENERIC_SHA512_HEX },
	{ "generic-hmac-sha512-base64", &GENERIC_SHA512_BASE64 },
	{ "generic-ed25519-hex", &GENERIC_ED25519_HEX },
	{ "generic-ed25519-base64", &GENERIC_ED25519_BASE64 },
};

static const struct scheme *
scheme_named(const char *name)
{
	const struct scheme *s;
	size_t i;

	/* schemes.json's Slack rows were written before slack was a built-in. */
	if (strcmp(name, "slack-adhoc") == 0)
		name = "slack";
	if ((s = scheme_find(name)) != NULL)
		return s;
	for (i = 0; i < sizeof(TEST_SCHEMES) / sizeof(TEST_SCHEMES[0]); i++)
		if (strcmp(TEST_SCHEMES[i].name, name) == 0)
			return TEST_SCHEMES[i].s;
	fail_msg("no scheme called %s", name);
	return NULL;
}

/* One request to verify, and the secrets to verify it with. */
struct req {
	const char *name;
	const struct scheme *s;
	const char *lines[SCHEME_MAX_SECRETS]; /* the secret lines that signed */
	size_t nlines;
	const char *wrong;                     /* a well-formed secret that did not sign */
	struct secret secrets[SCHEME_MAX_SECRETS];
	size_t nsecrets;
	struct headers h;
	unsigned char *body;
	size_t len;
	int64_t now;
	int tolerance;
	bool valid;                            /* what the vector says of it */
};

static void
req_init(struct req *r, const char *name, const struct scheme *s)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->s = s;
	r->tolerance = TOLERANCE;
	r->valid = true;
	headers_init(&r->h);
}

static void
req_body(struct req *r, const void *p, size_t n)
{
	free(r->body);
	r->body = malloc(n + 1);
	assert_non_null(r->body);
	memcpy(r->body, p, n);
	r->len = n;
}

/* Adds a secret line (len bytes); fails the test if the scheme refuses it. */
static void
req_secret_n(struct req *r, const char *line, size_t len)
{
	const char *reason = NULL;

	assert_true(r->nsecrets < SCHEME_MAX_SECRETS);
	if (scheme_secret_parse(r->s, line, len, &r->secrets[r->nsecrets], &reason) != 0)
		fail_msg("%s: secret refused: %s", r->name, reason);
	r->nsecrets++;
}

static void
req_secret(struct req *r, const char *line)
{
	req_secret_n(r, line, strlen(line));
}

static void
req_clear_secrets(struct req *r)
{
	size_t i;

	for (i = 0; i < r->nsecrets; i++)
		scheme_secret_clear(&r->secrets[i]);
	r->nsecrets = 0;
}

/* Parses the lines that signed into the secrets. */
static void
req_right_secrets(struct req *r)
{
	size_t i;

	req_clear_secrets(r);
	for (i = 0; i < r->nlines; i++)
		req_secret(r, r->lines[i]);
}

static int
req_verify(struct req *r, const char **reason)
{
	struct scheme_params p = { r->secrets, r->nsecrets, r->tolerance, NULL };
	struct fields f;
	size_t matched;
	int rc;

	*reason = NULL;
	fields_init(&f, r->s, &r->h, r->body, r->len, NULL);
	rc = scheme_verify(r->s, &p, &f, r->now, &matched, reason);
	fields_clear(&f);
	if (rc == 0 && matched >= r->nsecrets)
		fail_msg("%s: verified under secret %zu of %zu", r->name, matched, r->nsecrets);
	return rc;
}

static void
req_free(struct req *r)
{
	req_clear_secrets(r);
	headers_clear(&r->h);
	free(r->body);
	r->body = NULL;
}

static size_t
rows_len(yajl_val rows)
{
	assert_true(YAJL_IS_ARRAY(rows));
	return YAJL_GET_ARRAY(rows)->len;
}

static yajl_val
row_at(yajl_val rows, size_t i)
{
	return YAJL_GET_ARRAY(rows)->values[i];
}

/* The row called name. */
static yajl_val
find_row(yajl_val rows, const char *name)
{
	size_t i;

	for (i = 0; i < rows_len(rows); i++)
		if (strcmp(tu_str(row_at(rows, i), "name"), name) == 0)
			return row_at(rows, i);
	fail_msg("no vector row %s", name);
	return NULL;
}

/* Fills r from a schemes.json row. */
static void
req_from_row(struct req *r, yajl_val row)
{
	const char *secrets_path[] = { "secrets", NULL };
	const char *headers_path[] = { "headers", NULL };
	yajl_val secrets, hdrs;
	const char *body, *body_hex, *expect;
	size_t i;

	req_init(r, tu_str(row, "name"), scheme_named(tu_str(row, "scheme")));
	secrets = yajl_tree_get(row, secrets_path, yajl_t_array);
	assert_non_null(secrets);
	for (i = 0; i < YAJL_GET_ARRAY(secrets)->len; i++) {
		assert_true(r->nlines < SCHEME_MAX_SECRETS);
		r->lines[r->nlines++] = YAJL_GET_STRING(YAJL_GET_ARRAY(secrets)->values[i]);
	}
	r->wrong = tu_str(row, "wrong_secret");
	hdrs = yajl_tree_get(row, headers_path, yajl_t_object);
	assert_non_null(hdrs);
	for (i = 0; i < YAJL_GET_OBJECT(hdrs)->len; i++)
		headers_add(&r->h, YAJL_GET_OBJECT(hdrs)->keys[i],
		    YAJL_GET_STRING(YAJL_GET_OBJECT(hdrs)->values[i]));
	if ((body_hex = tu_str(row, "body_hex")) != NULL) {
		unsigned char buf[256];

		req_body(r, buf, tu_unhex(buf, sizeof(buf), body_hex));
	} else {
		body = tu_str(row, "body");
		assert_non_null(body);
		req_body(r, body, strlen(body));
	}
	r->now = tu_int(row, "now", -1);
	r->tolerance = (int)tu_int(row, "tolerance", TOLERANCE);
	expect = tu_str(row, "expect");
	assert_non_null(expect);
	r->valid = strcmp(expect, "valid") == 0;
	req_right_secrets(r);
}

/* Fills r from a published.json row, as the sender's scheme reads it. */
static void
req_from_published(struct req *r, yajl_val row)
{
	const char *name = tu_str(row, "name"), *kind = tu_str(row, "scheme");
	const char *body = tu_str(row, "body"), *ts = tu_str(row, "timestamp");
	const char *result = tu_str(row, "expected_result");
	const char *sig = tu_str(row, "header_value");

	if (sig == NULL)
		sig = tu_str(row, "expected");
	if (sig == NULL)
		sig = tu_str(row, "expected_hex");
	if (strcmp(kind, "github-sha256") == 0) {
		/* docs.github.com "Validating webhook deliveries", its test values. */
		req_init(r, name, scheme_find("github"));
		headers_add(&r->h, tu_str(row, "header"), sig);
		r->lines[r->nlines++] = tu_str(row, "secret");
		r->wrong = "It's a Secret to Everybody!";
	} else if (strcmp(kind, "slack-v0") == 0) {
		/* python-slack-sdk tests/slack_sdk/signature/test_signature_verifier.py. */
		req_init(r, name, scheme_find("slack"));
		headers_add(&r->h, "X-Slack-Request-Timestamp", ts);
		headers_add(&r->h, "X-Slack-Signature", sig);
		r->lines[r->nlines++] = tu_str(row, "secret");
		r->wrong = "8f742231b10e8888abcd99yyyzzz85a6";
	} else if (strcmp(kind, "standard-webhooks-v1") == 0 ||
	    strcmp(kind, "standard-webhooks-v1a") == 0) {
		/* standard-webhooks libraries' tests; svix-server worker.rs for v1a. */
		bool v1a = strcmp(kind, "standard-webhooks-v1a") == 0;

		req_init(r, name, scheme_find("standard-webhooks"));
		headers_add(&r->h, "webhook-id", tu_str(row, "id"));
		headers_add(&r->h, "webhook-timestamp", ts);
		headers_add(&r->h, "webhook-signature", sig);
		/* A v1a row's secret is the signer's private key: verify with its public key. */
		r->lines[r->nlines++] = tu_str(row, v1a ? "public" : "secret");
		/* 24 zero bytes; for v1a, RFC 8032 TEST 1's public key (python3 b64encode). */
		r->wrong = v1a ? "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" :
		    "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	} else if (strcmp(kind, "ed25519") == 0) {
		/* RFC 8032 section 7.1, as a generic Ed25519 source over the body. */
		req_init(r, name, &GENERIC_ED25519_HEX);
		headers_add(&r->h, "X-Signature", sig);
		r->lines[r->nlines++] = tu_str(row, "public_hex");
		body = tu_str(row, "message");
		/* The Svix example's public key, in base64. */
		r->wrong = "1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=";
	} else
		fail_msg("published.json row %s: no test reads scheme %s", name, kind);
	assert_non_null(body);
	assert_non_null(sig);
	req_body(r, body, strlen(body));
	/* The vectors are old: verify them at the moment they were signed. */
	r->now = ts != NULL ? strtoll(ts, NULL, 10) : 0;
	r->valid = result == NULL || strcmp(result, "valid") == 0;
	req_right_secrets(r);
}

/*
 * Verifies the schemes.json row called name and checks the result: want (0
 * or -1), and for a refusal, a reason containing why (if not NULL). The
 * row's own "expect" must say the same.
 */
static void
check_row(struct fixture *fx, const char *name, int want, const char *why)
{
	struct req r;
	const char *reason;
	int rc;

	req_from_row(&r, find_row(fx->schemes, name));
	if (r.valid != (want == 0))
		fail_msg("%s: schemes.json expects %s", name, r.valid ? "valid" : "invalid");
	rc = req_verify(&r, &reason);
	req_free(&r);
	if (rc != want)
		fail_msg("%s: scheme_verify gave %d (%s), want %d", name, rc,
		    rc == 0 ? "accepted" : reason, want);
	if (rc != 0) {
		assert_non_null(reason);
		if (why != NULL && strstr(reason, why) == NULL)
			fail_msg("%s: refused because \"%s\", want \"%s\"", name, reason, why);
	}
}

/* Requests whose only fault is the one a test gives them: every valid vector of a scheme. */
#define MAX_BASES 32

static size_t
load_bases(struct fixture *fx, struct req *out)
{
	size_t i, n = 0;

	for (i = 0; i < rows_len(fx->published); i++) {
		assert_true(n < MAX_BASES);
		req_from_published(&out[n], row_at(fx->published, i));
		if (out[n].valid)
			n++;
		else
			req_free(&out[n]);
	}
	for (i = 0; i < rows_len(fx->schemes); i++) {
		yajl_val row = row_at(fx->schemes, i);

		if (strncmp(tu_str(row, "name"), "base_", 5) != 0)
			continue;
		assert_true(n < MAX_BASES);
		req_from_row(&out[n], row);
		assert_true(out[n].valid);
		assert_non_null(out[n].wrong);
		n++;
	}
	return n;
}

static void
free_bases(struct req *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		req_free(&b[i]);
}

/* Asserts r verifies (want 0) or is refused (want -1). */
static void
expect_verify(struct req *r, int want, const char *what)
{
	const char *reason;
	int rc = req_verify(r, &reason);

	if (rc != want)
		fail_msg("%s, %s: scheme_verify gave %d (%s), want %d", r->name, what, rc,
		    rc == 0 ? "accepted" : reason, want);
	if (rc != 0 && (reason == NULL || *reason == '\0'))
		fail_msg("%s, %s: refused without a reason", r->name, what);
}

/* As expect_verify, and the refusal must be for a MAC that did not match. */
static void
expect_mismatch(struct req *r, const char *what)
{
	const char *reason;
	int rc = req_verify(r, &reason);

	if (rc != -1)
		fail_msg("%s, %s: accepted", r->name, what);
	if (strstr(reason, "no signature matched") == NULL)
		fail_msg("%s, %s: refused because \"%s\", not for the MAC", r->name, what, reason);
}

static int
group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || scheme_init() != 0)
		return -1;
	fx->published = tu_load_json("published.json");
	fx->schemes = tu_load_json("schemes.json");
	fx->keylens = tu_load_json("hmac_key_lengths.json");
	*state = fx;
	return 0;
}

static int
group_teardown(void **state)
{
	struct fixture *fx = *state;

	yajl_tree_free(fx->published);
	yajl_tree_free(fx->schemes);
	yajl_tree_free(fx->keylens);
	free(fx);
	return 0;
}

/* --- published vectors ------------------------------------------------------ */

/* The senders' published examples the other tests lean on are all there. */
static void
test_published_rows_present(void **state)
{
	static const char *const names[] = {
		"github_docs", "slack_docs", "stdwebhooks_sign", "stdwebhooks_rust_sign",
		"stdwebhooks_multi_sig", "stdwebhooks_tampered", "svix_v1a_ed25519",
		"rfc8032_test1",
	};
	struct fixture *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_non_null(find_row(fx->published, names[i]));
}

/* Every published example verifies, or is refused, as its source says. */
static void
test_published_rows(void **state)
{
	/*
	 * GitHub's docs example, Slack's SDK test, the Standard Webhooks
	 * libraries' sign, multi-signature and tampered tests, Svix's Ed25519
	 * (v1a) example, and RFC 8032 TEST 1 as a generic Ed25519 source.
	 */
	struct fixture *fx = *state;
	struct req r;
	size_t i;

	for (i = 0; i < rows_len(fx->published); i++) {
		req_from_published(&r, row_at(fx->published, i));
		expect_verify(&r, r.valid ? 0 : -1, "as published");
		req_free(&r);
	}
}

/* The published examples are refused a second too late (if timestamped) or under a wrong secret. */
static void
test_published_rows_refused(void **state)
{
	struct fixture *fx = *state;
	struct req r;
	size_t i;

	for (i = 0; i < rows_len(fx->published); i++) {
		req_from_published(&r, row_at(fx->published, i));
		if (r.valid && r.s->ts_header != NULL) {
			r.now += TOLERANCE + 1;
			expect_verify(&r, -1, "a second past the tolerance");
			r.now -= TOLERANCE + 1;
		}
		req_clear_secrets(&r);
		req_secret(&r, r.wrong);
		expect_verify(&r, -1, "wrong secret");
		req_free(&r);
	}
}

/* --- every scheme: valid, tampered, wrong secret, rotation ------------------ */

/* Each scheme's valid request verifies (the base of the tests that follow). */
static void
test_bases_valid(void **state)
{
	struct req b[MAX_BASES];
	size_t i, n = load_bases(*state, b);

	/* 7 published rows, 10 base_ rows of schemes.json. */
	assert_true(n >= 17);
	for (i = 0; i < n; i++)
		expect_verify(&b[i], 0, "untouched");
	free_bases(b, n);
}

/* One byte of the body changed, first or last, fails every scheme. */
static void
test_body_byte_changed(void **state)
{
	struct req b[MAX_BASES];
	size_t i, n = load_bases(*state, b);

	for (i = 0; i < n; i++) {
		if (b[i].len == 0)
			continue; /* RFC 8032 TEST 1 signs the empty message */
		b[i].body[0] ^= 0x01;
		expect_mismatch(&b[i], "first body byte changed");
		b[i].body[0] ^= 0x01;
		b[i].body[b[i].len - 1] ^= 0x20;
		expect_mismatch(&b[i], "last body byte changed");
		b[i].body[b[i].len - 1] ^= 0x20;
		expect_verify(&b[i], 0, "body restored");
	}
	free_bases(b, n);
}

/* One byte appended to the body (a newline, as a proxy might add) fails every scheme. */
static void
test_body_byte_appended(void **state)
{
	struct req b[MAX_BASES];
	size_t i, n = load_bases(*state, b);

	for (i = 0; i < n; i++) {
		b[i].body[b[i].len] = '\n'; /* req_body leaves room for one byte */
		b[i].len++;
		expect_mismatch(&b[i], "newline appended");
	}
	free_bases(b, n);
}

/* An empty body under a signature of a non-empty one fails every scheme. */
static void
test_body_emptied(void **state)
{
	struct req b[MAX_BASES];
	size_t i, n = load_bases(*state, b);

	for (i = 0; i < n; i++) {
		if (b[i].len == 0)
			continue;
		b[i].len = 0;
		expect_mismatch(&b[i], "empty body");
	}
	free_bases(b, n);
}

/* A well-formed secret that did not sign fails every scheme, as do no secrets at all. */
static void
test_wrong_secret(void **state)
{
	struct req b[MAX_BASES];
	size_t i, n = load_bases(*state, b);

	for (i = 0; i < n; i++) {
		req_clear_secrets(&b[i]);
		expect_mismatch(&b[i], "no secrets");
		req_secret(&b[i], b[i].wrong);
		expect_mismatch(&b[i], "wrong secret");
	}
	free_bases(b, n);
}

/* Rotation: with two secrets, a match under either one passes; under neither fails. */
static void
test_rotation(void **state)
{
	struct req b[MAX_BASES];
	size_t i, n = load_bases(*state, b);

	for (i = 0; i < n; i++) {
		assert_int_equal(b[i].nlines, 1);
		req_clear_secrets(&b[i]);
		req_secret(&b[i], b[i].wrong);
		req_secret(&b[i], b[i].lines[0]);
		expect_verify(&b[i], 0, "second secret matches");

		req_clear_secrets(&b[i]);
		req_secret(&b[i], b[i].lines[0]);
		req_secret(&b[i], b[i].wrong);
		expect_verify(&b[i], 0, "first secret matches");

		req_clear_secrets(&b[i]);
		req_secret(&b[i], b[i].wrong);
		req_secret(&b[i], b[i].wrong);
		expect_mismatch(&b[i], "neither secret matches");
	}
	free_bases(b, n);
}

/* The most secrets a source may have (16) are all tried: the right one last still passes. */
static void
test_rotation_sixteen_secrets(void **state)
{
	struct req b[MAX_BASES];
	size_t i, k, n = load_bases(*state, b);

	for (i = 0; i < n; i++) {
		req_clear_secrets(&b[i]);
		for (k = 0; k < SCHEME_MAX_SECRETS - 1; k++)
			req_secret(&b[i], b[i].wrong);
		req_secret(&b[i], b[i].lines[0]);
		expect_verify(&b[i], 0, "16th secret matches");
	}
	free_bases(b, n);
}

/* The timestamp and id are covered by the signature: changing either fails. */
static void
test_signed_fields_covered(void **state)
{
	struct fixture *fx = *state;
	struct req r;
	char *hdr, *p;

	/* Stripe: t= one second later (still within the tolerance). */
	req_from_row(&r, find_row(fx->schemes, "base_stripe"));
	hdr = strdup(headers_get(&r.h, "stripe-signature"));
	assert_non_null(hdr);
	p = strchr(hdr, ',');
	assert_non_null(p);
	p[-1]++;
	headers_set(&r.h, "stripe-signature", hdr);
	expect_mismatch(&r, "t= changed");
	free(hdr);
	req_free(&r);

	/* Standard Webhooks, HMAC and Ed25519: webhook-id, then webhook-timestamp. */
	req_from_row(&r, find_row(fx->schemes, "base_stdwh_v1"));
	headers_set(&r.h, "webhook-id", "msg_scheme_test_2");
	expect_mismatch(&r, "webhook-id changed");
	req_free(&r);
	req_from_row(&r, find_row(fx->schemes, "base_stdwh_v1"));
	headers_set(&r.h, "webhook-timestamp", "1700000001");
	expect_mismatch(&r, "webhook-timestamp changed");
	req_free(&r);
	req_from_row(&r, find_row(fx->schemes, "base_stdwh_v1a"));
	headers_set(&r.h, "webhook-id", "msg_scheme_test_2");
	expect_mismatch(&r, "webhook-id changed");
	req_free(&r);
	req_from_row(&r, find_row(fx->schemes, "base_stdwh_v1a"));
	headers_set(&r.h, "webhook-timestamp", "1700000001");
	expect_mismatch(&r, "webhook-timestamp changed");
	req_free(&r);

	/* Slack and the template row: the timestamp header; the template row's id header. */
	req_from_row(&r, find_row(fx->schemes, "base_slack"));
	headers_set(&r.h, "x-slack-request-timestamp", "1700000001");
	expect_mismatch(&r, "timestamp changed");
	req_free(&r);
	req_from_row(&r, find_row(fx->schemes, "base_template"));
	headers_set(&r.h, "x-ts", "1700000001");
	expect_mismatch(&r, "timestamp changed");
	req_free(&r);
	req_from_row(&r, find_row(fx->schemes, "base_template"));
	headers_set(&r.h, "x-id", "msg_scheme_test_2");
	expect_mismatch(&r, "id changed");
	req_free(&r);
}

/* The body is bytes: NULs and high bytes are signed like any other. */
static void
test_binary_body(void **state)
{
	struct fixture *fx = *state;
	struct req r;

	check_row(fx, "github_binary_body", 0, NULL);
	req_from_row(&r, find_row(fx->schemes, "github_binary_body"));
	assert_int_equal(r.len, 9);
	r.len = 0; /* what strlen would see: the body starts with a NUL */
	expect_mismatch(&r, "body cut at its first NUL");
	req_free(&r);
}

/* --- multi-signature headers ------------------------------------------------- */

/* Stripe: of several v1 signatures any one matching passes; v0 is ignored. */
static void
test_stripe_multi(void **state)
{
	/*
	 * docs.stripe.com/webhooks, "Verify signatures manually": only v1
	 * signatures count; stripe-python (stripe/_webhook.py,
	 * _get_timestamp_and_signatures) keeps only items of scheme "v1".
	 */
	struct fixture *fx = *state;

	check_row(fx, "stripe_multi_one_matches", 0, NULL);
	check_row(fx, "stripe_three_wrong_then_right", 0, NULL);
	check_row(fx, "stripe_v0_only", -1, "no well-formed signature");
	check_row(fx, "stripe_v0_right_v1_wrong", -1, "no signature matched");
}

/* Standard Webhooks: a space-separated list whose unknown versions are skipped. */
static void
test_stdwh_multi(void **state)
{
	/*
	 * spec/standard-webhooks.md; the Python library's verify
	 * (libraries/python/standardwebhooks/webhooks.py) splits on " " and
	 * does "if version != 'v1': continue".
	 */
	struct fixture *fx = *state;

	check_row(fx, "stdwh_unknown_versions_skipped", 0, NULL);
	check_row(fx, "stdwh_only_unknown_versions", -1, "no well-formed signature");
	check_row(fx, "stdwh_three_wrong_then_right", 0, NULL);
	check_row(fx, "stdwh_comma_separated", -1, "no well-formed signature");
}

/* v1 (HMAC) and v1a (Ed25519) mix in one header, each checked only against its kind of secret. */
static void
test_stdwh_mixed_kinds(void **state)
{
	struct fixture *fx = *state;

	check_row(fx, "stdwh_v1_wrong_v1a_right", 0, NULL);
	check_row(fx, "stdwh_v1_right_v1a_wrong", 0, NULL);
	check_row(fx, "stdwh_v1_wrong_v1a_wrong", -1, "no signature matched");
	check_row(fx, "stdwh_v1a_under_hmac_secret", -1, "no signature matched");
	check_row(fx, "stdwh_v1_under_public_key", -1, "no signature matched");
}

/* Of the signatures in a header, the first 16 count and the 17th and later are ignored. */
static void
test_candidate_limit(void **state)
{
	/*
	 * Observed behaviour (SCHEME_MAX_CANDIDATES): a 17th signature is
	 * ignored even when it would match. Malformed items and unknown
	 * versions are dropped before the count, so they cannot push a good
	 * signature out.
	 */
	struct fixture *fx = *state;

	assert_int_equal(SCHEME_MAX_CANDIDATES, 16);
	check_row(fx, "stripe_15_wrong_then_right", 0, NULL);
	check_row(fx, "stripe_16_wrong_then_right", -1, "no signature matched");
	check_row(fx, "stdwh_15_wrong_then_right", 0, NULL);
	check_row(fx, "stdwh_16_wrong_then_right", -1, "no signature matched");
	check_row(fx, "stdwh_20_malformed_then_right", 0, NULL);
	check_row(fx, "stdwh_20_unknown_then_right", 0, NULL);
	/* Reading goes on past the 16th: a t= after it is still found. */
	check_row(fx, "stripe_ts_after_17_signatures", -1, "no signature matched");
}

/* --- encodings ----------------------------------------------------------------- */

/* Hex: upper case is accepted (sodium_hex2bin reads both cases); surrounding blanks are trimmed. */
static void
test_hex_accepted(void **state)
{
	struct fixture *fx = *state;

	check_row(fx, "github_uppercase_hex", 0, NULL);
	check_row(fx, "stripe_uppercase_hex", 0, NULL);
	check_row(fx, "github_surrounding_space", 0, NULL);
}

/* Hex that is odd, short, long, not hex, split, or without its prefix is refused. */
static void
test_hex_refused(void **state)
{
	struct fixture *fx = *state;

	check_row(fx, "github_no_prefix", -1, "no well-formed signature");
	check_row(fx, "github_wrong_prefix", -1, "no well-formed signature");
	check_row(fx, "github_odd_hex", -1, "no well-formed signature");
	check_row(fx, "github_odd_hex_short", -1, "no well-formed signature");
	check_row(fx, "github_hex_31_bytes", -1, "no well-formed signature");
	check_row(fx, "github_hex_33_bytes", -1, "no well-formed signature");
	check_row(fx, "github_non_hex", -1, "no well-formed signature");
	check_row(fx, "github_inner_space", -1, "no well-formed signature");
	check_row(fx, "github_two_values", -1, "no well-formed signature");
}

/* Base64: unpadded is accepted; other alphabets, lengths, or a missing version are refused. */
static void
test_base64(void **state)
{
	struct fixture *fx = *state;

	check_row(fx, "stdwh_unpadded_base64", 0, NULL);
	check_row(fx, "stdwh_bad_base64", -1, "no well-formed signature");
	check_row(fx, "stdwh_urlsafe_base64", -1, "no well-formed signature");
	check_row(fx, "stdwh_base64_31_bytes", -1, "no well-formed signature");
	check_row(fx, "stdwh_base64_33_bytes", -1, "no well-formed signature");
	check_row(fx, "stdwh_no_version", -1, "no well-formed signature");
}

/* Blanks around Stripe items ("t=1, v1=...") are trimmed; blanks inside an item are not. */
static void
test_stripe_blanks(void **state)
{
	/*
	 * A decision: hookq accepts a little more than stripe-python, whose
	 * header.split(",") keeps the blank in " v1" and so skips that item.
	 */
	struct fixture *fx = *state;

	check_row(fx, "stripe_spaces_around_items", 0, NULL);
	check_row(fx, "stripe_tabs_and_spaces", 0, NULL);
	check_row(fx, "stripe_space_in_timestamp", -1, "malformed timestamp");
}

/* Fills buf (len bytes, NUL-terminated) with repeatable junk made of header-ish characters. */
static void
garbage(char *buf, size_t len, unsigned int seed)
{
	static const char chars[] = "v1t0=,; \t.aZ+/_-%sha256=v1a,whsec_";
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = chars[(seed >> 16) % (sizeof(chars) - 1)];
	}
	buf[len] = '\0';
}

/* Base64 of 32 and of 64 zero bytes: well-formed signatures that match nothing. */
#define ZERO32_BASE64 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define ZERO64_BASE64 \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="

/* Appends item to buf (cap bytes) with the scheme's separator, while it fits. */
static void
append_item(char *buf, size_t cap, const struct scheme *s, const char *item)
{
	size_t n = strlen(buf);

	if (n + strlen(item) + 2 > cap)
		return;
	if (n > 0 && s->sig_separator != '\0')
		buf[n++] = s->sig_separator;
	memcpy(buf + n, item, strlen(item) + 1);
}

/* Empty, separator-only, prefix-only and 4000-byte junk signature headers are refused. */
static void
test_header_garbage(void **state)
{
	/* Also 4000 bytes of well-formed signatures that match nothing, in every scheme. */
	static const char *const fixed[] = {
		"", ",,,,", "    ", "\t \t", ", ,\t,", "=", "sha256", "t=", "v1", "v1=",
		"v1,", "v1a,", "sha256=", "sha512=", "v0=",
	};
	struct req b[MAX_BASES];
	char big[4001], item[256];
	size_t i, j, was, n = load_bases(*state, b);
	const struct scheme_sig *k;

	for (i = 0; i < n; i++) {
		const struct scheme *s = b[i].s;

		for (j = 0; j < sizeof(fixed) / sizeof(fixed[0]); j++) {
			headers_set(&b[i].h, s->sig_header, fixed[j]);
			expect_verify(&b[i], -1, fixed[j]);
		}
		for (j = 0; j < 8; j++) {
			garbage(big, sizeof(big) - 1, (unsigned int)(i * 8 + j));
			headers_set(&b[i].h, s->sig_header, big);
			expect_verify(&b[i], -1, "4000 bytes of junk");
		}
		/* Each kind of signature the scheme knows: prefix alone, then many zero ones. */
		for (k = s->sigs; k->prefix != NULL; k++) {
			size_t bytes = k->alg == SCHEME_HMAC_SHA256 ? 32 : 64;

			snprintf(item, sizeof(item), "%s", k->prefix);
			headers_set(&b[i].h, s->sig_header, item);
			expect_verify(&b[i], -1, "prefix with an empty value");
			if (k->encoding == SCHEME_HEX)
				snprintf(item, sizeof(item), "%s%0*d", k->prefix,
				    (int)bytes * 2, 0);
			else
				snprintf(item, sizeof(item), "%s%s", k->prefix,
				    bytes == 32 ? ZERO32_BASE64 : ZERO64_BASE64);
			big[0] = '\0';
			if (s->ts_item != NULL)
				append_item(big, sizeof(big), s, "t=1700000000");
			do {
				was = strlen(big);
				append_item(big, sizeof(big), s, item);
			} while (strlen(big) != was && s->sig_separator != '\0');
			headers_set(&b[i].h, s->sig_header, big);
			expect_verify(&b[i], -1, "many zero signatures");
		}
	}
	free_bases(b, n);
}

/* A request without the signature header is refused as such, in every scheme. */
static void
test_header_missing(void **state)
{
	struct req b[MAX_BASES];
	const char *reason;
	size_t i, n = load_bases(*state, b);

	for (i = 0; i < n; i++) {
		headers_remove(&b[i].h, b[i].s->sig_header);
		assert_int_equal(req_verify(&b[i], &reason), -1);
		assert_string_equal(reason, "missing signature header");
	}
	free_bases(b, n);
}

/* --- timestamps ----------------------------------------------------------------- */

/* Stripe: tolerance seconds old passes, a second older fails; any future timestamp passes. */
static void
test_stripe_timestamps(void **state)
{
	/*
	 * Stripe's libraries refuse only old timestamps: stripe-node
	 * (src/Webhooks.ts: "if (tolerance > 0 && timestampAge > tolerance)")
	 * and stripe-python (stripe/_webhook.py: "if tolerance and timestamp <
	 * time.time() - tolerance").
	 */
	struct fixture *fx = *state;

	check_row(fx, "stripe_ts_old_edge", 0, NULL);
	check_row(fx, "stripe_ts_old_past", -1, "older than the tolerance");
	check_row(fx, "stripe_ts_future_edge", 0, NULL);
	check_row(fx, "stripe_ts_future_past", 0, NULL);
	check_row(fx, "stripe_ts_future_far", 0, NULL);
	check_row(fx, "stripe_ts_15_digits", 0, NULL);
}

/* Standard Webhooks: a timestamp may be off by the tolerance either way, and no more. */
static void
test_stdwh_timestamps(void **state)
{
	/*
	 * libraries/python/standardwebhooks/webhooks.py, __verify_timestamp:
	 * "too old" below now - tolerance, "too new" above now + tolerance.
	 */
	struct fixture *fx = *state;

	check_row(fx, "stdwh_ts_old_edge", 0, NULL);
	check_row(fx, "stdwh_ts_old_past", -1, "older than the tolerance");
	check_row(fx, "stdwh_ts_future_edge", 0, NULL);
	check_row(fx, "stdwh_ts_future_past", -1, "ahead of the clock");
	check_row(fx, "stdwh_v1a_ts_old_past", -1, "older than the tolerance");
	check_row(fx, "stdwh_v1a_ts_future_past", -1, "ahead of the clock");
}

/* Timestamps that are not 1 to 15 decimal digits are refused as malformed. */
static void
test_timestamp_malformed(void **state)
{
	struct fixture *fx = *state;

	check_row(fx, "stripe_ts_16_digits", -1, "malformed timestamp");
	check_row(fx, "stripe_ts_non_numeric", -1, "malformed timestamp");
	check_row(fx, "stripe_ts_negative", -1, "malformed timestamp");
	check_row(fx, "stdwh_ts_16_digits", -1, "malformed timestamp");
	check_row(fx, "stdwh_ts_non_numeric", -1, "malformed timestamp");
	check_row(fx, "stdwh_ts_fractional", -1, "malformed timestamp");
}

/* Timestamps of 40 and 4000 bytes are refused as malformed, not copied past a buffer. */
static void
test_timestamp_long(void **state)
{
	struct fixture *fx = *state;
	struct req r;
	const char *reason;
	char ts[4001];

	req_from_row(&r, find_row(fx->schemes, "base_stdwh_v1"));
	headers_set(&r.h, "webhook-timestamp", "0000000000000000000000000000001700000000");
	assert_int_equal(req_verify(&r, &reason), -1);
	assert_string_equal(reason, "malformed timestamp");
	memset(ts, '1', sizeof(ts) - 1);
	ts[sizeof(ts) - 1] = '\0';
	headers_set(&r.h, "webhook-timestamp", ts);
	assert_int_equal(req_verify(&r, &reason), -1);
	assert_string_equal(reason, "malformed timestamp");
	req_free(&r);

	req_from_row(&r, find_row(fx->schemes, "base_stripe"));
	memcpy(ts, "t=", 2);
	strcpy(ts + 3000, ",v1=");
	headers_set(&r.h, "stripe-signature", ts);
	assert_int_equal(req_verify(&r, &reason), -1);
	assert_string_equal(reason, "malformed timestamp");
	req_free(&r);
}

/* A missing timestamp, a t= without digits, or a second t= item is refused; t= may come last. */
static void
test_timestamp_missing(void **state)
{
	struct fixture *fx = *state;

	check_row(fx, "stripe_ts_last", 0, NULL);
	check_row(fx, "stripe_ts_missing", -1, "missing timestamp in the signature header");
	check_row(fx, "stripe_ts_empty", -1, "timestamp");
	check_row(fx, "stripe_ts_twice", -1, "more than one timestamp");
	check_row(fx, "stdwh_ts_missing", -1, "missing timestamp header");
}

/* Standard Webhooks signs the webhook-id: without the header the request is refused. */
static void
test_stdwh_id_missing(void **state)
{
	check_row(*state, "stdwh_id_missing", -1, "missing id header");
}

/* Every schemes.json row verifies as its "expect" says (rows no other test names included). */
static void
test_scheme_rows(void **state)
{
	struct fixture *fx = *state;
	struct req r;
	size_t i;

	assert_true(rows_len(fx->schemes) >= 70);
	for (i = 0; i < rows_len(fx->schemes); i++) {
		req_from_row(&r, row_at(fx->schemes, i));
		assert_non_null(tu_str(row_at(fx->schemes, i), "how"));
		expect_verify(&r, r.valid ? 0 : -1, "as schemes.json expects");
		req_free(&r);
	}
}

/* --- HMAC key lengths ----------------------------------------------------------- */

/* Rebuilds a body described as {"pattern": P, "len": N}: P repeated, cut to N bytes. */
static unsigned char *
pattern_body(yajl_val row, size_t *len)
{
	const char *path[] = { "body", NULL };
	yajl_val desc = yajl_tree_get(row, path, yajl_t_object);
	const char *pat;
	unsigned char *body;
	size_t n, plen, i;

	assert_non_null(desc);
	pat = tu_str(desc, "pattern");
	n = (size_t)tu_int(desc, "len", -1);
	assert_non_null(pat);
	plen = strlen(pat);
	assert_true(plen > 0);
	body = malloc(n + 1);
	assert_non_null(body);
	for (i = 0; i < n; i++)
		body[i] = (unsigned char)pat[i % plen];
	*len = n;
	return body;
}

/* HMAC-SHA256 and HMAC-SHA512 are right under keys of 0 to 129 bytes, on small and 1 MiB bodies. */
static void
test_hmac_key_lengths(void **state)
{
	/*
	 * The lengths sit around both block sizes (64, 128 bytes: shorter keys
	 * are padded, longer ones hashed). A 0-byte key cannot come from a
	 * secret file (scheme_secret_parse refuses it) but must still work here.
	 */
	struct fixture *fx = *state;
	unsigned char keybuf[256];
	struct req r;
	size_t i, nkey, n0 = 0;

	assert_int_equal(rows_len(fx->keylens), 40);
	for (i = 0; i < rows_len(fx->keylens); i++) {
		yajl_val row = row_at(fx->keylens, i);
		const char *alg = tu_str(row, "algorithm");
		char *sig;

		req_init(&r, tu_str(row, "name"), strcmp(alg, "hmac-sha512") == 0 ?
		    &GENERIC_SHA512_HEX : &GENERIC_SHA256_HEX);
		assert_true(strcmp(alg, "hmac-sha256") == 0 || strcmp(alg, "hmac-sha512") == 0);
		nkey = tu_unhex(keybuf, sizeof(keybuf), tu_str(row, "key_hex"));
		assert_int_equal(nkey, tu_int(row, "key_len", -1));
		r.body = pattern_body(row, &r.len);
		headers_add(&r.h, "X-Signature", tu_str(row, "expected_hex"));

		/* The key as a struct secret, as any key length may be. */
		r.secrets[0].ed25519 = false;
		r.secrets[0].len = nkey;
		r.secrets[0].key = malloc(nkey + 1);
		assert_non_null(r.secrets[0].key);
		memcpy(r.secrets[0].key, keybuf, nkey);
		r.nsecrets = 1;
		expect_verify(&r, 0, "key as a struct secret");
		if (nkey == 0)
			n0++;
		else {
			/* The key's last byte changed. */
			r.secrets[0].key[nkey - 1] ^= 0x80;
			expect_mismatch(&r, "last key byte changed");
			/* The same key read from a secret file line (raw bytes). */
			req_clear_secrets(&r);
			req_secret_n(&r, (const char *)keybuf, nkey);
			assert_int_equal(r.secrets[0].len, nkey);
			expect_verify(&r, 0, "key from scheme_secret_parse");
		}
		/* The signature's last hex digit changed. */
		sig = strdup(tu_str(row, "expected_hex"));
		assert_non_null(sig);
		sig[strlen(sig) - 1] = sig[strlen(sig) - 1] == '0' ? '1' : '0';
		headers_set(&r.h, "x-signature", sig);
		expect_mismatch(&r, "last signature digit changed");
		free(sig);
		req_free(&r);
	}
	/* 0-byte keys, both algorithms, both bodies. */
	assert_int_equal(n0, 4);
}

/* --- secrets -------------------------------------------------------------------- */

/*
 * Parses line with scheme s and expects success; compares the key with
 * want (wantlen bytes) and its kind.
 */
static void
expect_secret(const struct scheme *s, const char *line, size_t len, const void *want,
    size_t wantlen, bool ed25519)
{
	struct secret sec;
	const char *reason = NULL;

	if (scheme_secret_parse(s, line, len, &sec, &reason) != 0)
		fail_msg("%s secret \"%.40s\" (%zu bytes) refused: %s", s->name, line, len, reason);
	assert_int_equal(sec.len, wantlen);
	assert_true(sec.ed25519 == ed25519);
	assert_non_null(sec.key);
	assert_memory_equal(sec.key, want, wantlen);
	scheme_secret_clear(&sec);
	assert_null(sec.key);
	assert_int_equal(sec.len, 0);
}

/* Parses line and expects a refusal whose reason does not quote the line. */
static void
expect_secret_refused(const struct scheme *s, const char *line, size_t len)
{
	struct secret sec;
	const char *reason = NULL;
	char *text;

	memset(&sec, 0xa5, sizeof(sec));
	if (scheme_secret_parse(s, line, len, &sec, &reason) == 0)
		fail_msg("%s secret \"%.40s\" (%zu bytes) accepted", s->name, line, len);
	assert_non_null(reason);
	assert_true(*reason != '\0');
	/* Nothing is left allocated, and the result is safe to clear. */
	assert_null(sec.key);
	assert_int_equal(sec.len, 0);
	scheme_secret_clear(&sec);
	/* (Short lines like "whsec_" may well be words of a reason.) */
	if (len >= 8) {
		text = malloc(len + 1);
		assert_non_null(text);
		memcpy(text, line, len);
		text[len] = '\0';
		if (strlen(text) >= 8 && strstr(reason, text) != NULL)
			fail_msg("the reason \"%s\" quotes the secret", reason);
		free(text);
	}
}

/* SCHEME_KEY_RAW: the line's bytes, whatever they are, are the key; empty or >4096 is refused. */
static void
test_secret_raw(void **state)
{
	const struct scheme *gh = scheme_find("github");
	static const char bytes[] = "a\0b\xff\r c";
	char *big = malloc(SCHEME_SECRET_MAX + 2);

	assert_non_null(big);
	expect_secret(gh, bytes, sizeof(bytes) - 1, bytes, sizeof(bytes) - 1, false);
	expect_secret(gh, "x", 1, "x", 1, false);
	/* Stripe keys the HMAC with the whole whsec_ string, not its base64 decoding. */
	expect_secret(scheme_find("stripe"), "whsec_abc", 9, "whsec_abc", 9, false);
	expect_secret_refused(gh, "", 0);
	memset(big, 's', SCHEME_SECRET_MAX + 1);
	big[SCHEME_SECRET_MAX + 1] = '\0';
	expect_secret(gh, big, SCHEME_SECRET_MAX, big, SCHEME_SECRET_MAX, false);
	expect_secret_refused(gh, big, SCHEME_SECRET_MAX + 1);
	expect_secret_refused(&GENERIC_ED25519_HEX, big, SCHEME_SECRET_MAX + 1);
	expect_secret_refused(scheme_find("standard-webhooks"), big, SCHEME_SECRET_MAX + 1);
	free(big);
}

/* SCHEME_KEY_WHSEC: whsec_ or bare base64, padded or not, is the decoded key; bad base64 is not. */
static void
test_secret_whsec(void **state)
{
	/*
	 * Standard Webhooks' Python library (standardwebhooks/webhooks.py,
	 * Webhook.__init__) strips whsec_ and base64-decodes, adding "==" so
	 * that unpadded secrets work.
	 */
	const struct scheme *sw = scheme_find("standard-webhooks");
	/* python3 base64.b64encode(b"hookq scheme test secret!"): 25 bytes, two = of padding. */
	static const char want[] = "hookq scheme test secret!";
	static const char *const ok[] = {
		"whsec_aG9va3Egc2NoZW1lIHRlc3Qgc2VjcmV0IQ==",
		"whsec_aG9va3Egc2NoZW1lIHRlc3Qgc2VjcmV0IQ",
		"aG9va3Egc2NoZW1lIHRlc3Qgc2VjcmV0IQ==",
		"aG9va3Egc2NoZW1lIHRlc3Qgc2VjcmV0IQ",
	};
	static const char *const bad[] = {
		"whsec_", "whsec_aG9va3Egc2NoZW1lIHRlc3Qgc2VjcmV0I", "whsec_aG9va3E*c2NoZW1l",
		"whsec_aG9va3Egc2NoZW1l IHRlc3Q=", "whsec_aG9va3Eg-c2NoZW1l_",
		"whsec_====", "whsec_schemes_test_stripe_secret", "not base64!", "whpk_",
	};
	unsigned char *zeros;
	char *big;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		expect_secret(sw, ok[i], strlen(ok[i]), want, strlen(want), false);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_secret_refused(sw, bad[i], strlen(bad[i]));
	expect_secret_refused(sw, "", 0);

	/* The longest line, 4096 base64 digits, is 3072 bytes of key. */
	big = malloc(SCHEME_SECRET_MAX + 1);
	zeros = calloc(1, 3072);
	assert_non_null(big);
	assert_non_null(zeros);
	memset(big, 'A', SCHEME_SECRET_MAX);
	big[SCHEME_SECRET_MAX] = '\0';
	expect_secret(sw, big, SCHEME_SECRET_MAX, zeros, 3072, false);
	free(zeros);
	free(big);
}

/* SCHEME_KEY_WHSEC: whpk_<base64 of 32 bytes> is an Ed25519 public key; other lengths are not. */
static void
test_secret_whpk(void **state)
{
	/* whpk_ is the Svix/Standard Webhooks v1a convention (svix-webhooks README). */
	const struct scheme *sw = scheme_find("standard-webhooks");
	unsigned char pub[32];
	static const char *const bad[] = {
		/* 31 bytes: the key without its last byte (python3 base64.b64encode). */
		"whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUQ==",
		/* 33 bytes: the key and a 0 byte. */
		"whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURoA",
		"whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUR*=",
		"whpk_d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"whpk_=",
	};
	size_t i;

	/* RFC 8032 TEST 1's public key, in hex and (python3 base64.b64encode) in base64. */
	tu_unhex(pub, sizeof(pub),
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	expect_secret(sw, "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 49, pub, 32, true);
	expect_secret(sw, "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo", 48, pub, 32, true);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_secret_refused(sw, bad[i], strlen(bad[i]));
}

/* SCHEME_KEY_ED25519: 64 hex digits or 32 bytes of base64 are a public key; all else is refused. */
static void
test_secret_ed25519(void **state)
{
	/* Base64 may be padded (44 characters) or not (43), like signatures; no whpk_ here. */
	const struct scheme *s = &GENERIC_ED25519_HEX;
	unsigned char pub[32];
	static const char *const ok[] = {
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A",
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo",
	};
	static const char *const bad[] = {
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f70751",
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a00",
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511",
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511g",
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a ",
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHUQ==",
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURoA",
		"whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		"x",
	};
	size_t i;

	tu_unhex(pub, sizeof(pub), ok[0]);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		expect_secret(s, ok[i], strlen(ok[i]), pub, 32, true);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_secret_refused(s, bad[i], strlen(bad[i]));
	expect_secret_refused(s, "", 0);
}

/* --- the rest of the API -------------------------------------------------------- */

/* An event without an id gets sha256:<hex SHA-256 of the body> (FIPS 180-2's examples). */
static void
test_body_id(void **state)
{
	char id[SCHEME_BODY_ID_SIZE];

	memset(id, 'x', sizeof(id));
	scheme_body_id(id, (const unsigned char *)"", 0);
	assert_string_equal(id,
	    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	memset(id, 'x', sizeof(id));
	scheme_body_id(id, (const unsigned char *)"abc", 3);
	assert_string_equal(id,
	    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(strlen(id) + 1, SCHEME_BODY_ID_SIZE);
}

/* scheme_find knows each built-in by its exact name; "generic" and unknown names are NULL. */
static void
test_find(void **state)
{
	static const char *const builtin[] = { "github", "stripe", "standard-webhooks" };
	const struct scheme *s;
	size_t i;

	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		s = scheme_find(builtin[i]);
		assert_non_null(s);
		assert_string_equal(s->name, builtin[i]);
		assert_non_null(s->sig_header);
		assert_non_null(s->sigs[0].prefix);
	}
	assert_null(scheme_find("generic"));
	assert_null(scheme_find(""));
	assert_null(scheme_find("githu"));
	assert_null(scheme_find("github "));
	assert_null(scheme_find("slack-adhoc"));
}

/* scheme_name lists every row of the table, then "generic", then NULL; names are unique. */
static void
test_names(void **state)
{
	size_t i, j;

	assert_true(SCHEME_TABLE_SIZE >= 18);
	for (i = 0; i < SCHEME_TABLE_SIZE; i++) {
		assert_non_null(scheme_name(i));
		assert_string_equal(scheme_name(i), SCHEME_TABLE[i].name);
		assert_ptr_equal(scheme_find(scheme_name(i)), &SCHEME_TABLE[i]);
		assert_string_not_equal(SCHEME_TABLE[i].name, "generic");
		for (j = 0; j < i; j++)
			assert_string_not_equal(SCHEME_TABLE[i].name, SCHEME_TABLE[j].name);
	}
	assert_string_equal(scheme_name(SCHEME_TABLE_SIZE), "generic");
	assert_null(scheme_name(SCHEME_TABLE_SIZE + 1));
}

/* True when the list's header names are all lower case (headers are looked up so). */
static bool
lower_headers(const struct field *list, size_t n)
{
	size_t i;
	const char *c;

	for (i = 0; i < n && list[i].from != FIELD_FROM_NONE; i++)
		for (c = list[i].name; list[i].from == FIELD_FROM_HEADER && *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				return false;
	return true;
}

/*
 * Every row is well formed: a signature source, a template whose escapes
 * are known, lower-case header names, and options that match what the row
 * uses (%u needs notification_url; a handshake token needs verify_token).
 */
static void
test_rows_well_formed(void **state)
{
	size_t i, h;

	for (i = 0; i < SCHEME_TABLE_SIZE; i++) {
		const struct scheme *s = &SCHEME_TABLE[i];
		bool token = false;
		const char *t;

		print_message("# row %s\n", s->name);
		assert_true(s->sig_header != NULL || s->sig_body[0].from != FIELD_FROM_NONE);
		assert_non_null(s->sigs[0].prefix);
		assert_non_null(s->signed_content);
		for (t = s->signed_content; *t != '\0'; t++)
			if (*t == '%') {
				assert_non_null(strchr("btikufqn%", t[1]));
				t++;
			}
		if (s->sig_header != NULL)
			assert_true(lower_headers(&(struct field){ FIELD_FROM_HEADER, s->sig_header }, 1));
		if (s->ts_header != NULL)
			assert_true(lower_headers(&(struct field){ FIELD_FROM_HEADER, s->ts_header }, 1));
		assert_true(lower_headers(s->id, FIELD_LIST_MAX));
		assert_true(lower_headers(s->type, FIELD_LIST_MAX));
		for (h = 0; h < SCHEME_MAX_HANDSHAKES && s->handshakes[h].method != NULL; h++) {
			assert_true(lower_headers(&s->handshakes[h].when, 1));
			if (s->handshakes[h].token.from != FIELD_FROM_NONE)
				token = true;
		}
		if (s->alt_scheme != NULL) {
			assert_non_null(scheme_find(s->alt_scheme));
			assert_non_null(s->alt_header);
			assert_non_null(s->alt_key_prefix);
		}
		assert_int_equal(scheme_signs(s, 'u'), (s->options & SCHEME_OPT_URL) != 0);

		assert_int_equal(token, (s->options & SCHEME_OPT_VERIFY_TOKEN) != 0);
	}
}

/* fields_in_body is true exactly when a list names a JSON or form field. */
static void
test_fields_in_body(void **state)
{
	/* GitHub's id and type are headers (X-GitHub-Delivery, X-GitHub-Event); Stripe's, JSON. */
	struct scheme s = GENERIC_SHA256_HEX;

	assert_false(fields_in_body(scheme_find("github")->id));
	assert_false(fields_in_body(scheme_find("github")->type));
	assert_true(fields_in_body(scheme_find("stripe")->id));
	assert_true(fields_in_body(scheme_find("standard-webhooks")->type));
	assert_false(fields_in_body(s.id));
	s.id[0] = (struct field){ FIELD_FROM_HEADER, "x-id" };
	s.id[1] = (struct field){ FIELD_FROM_QUERY, "id" };
	assert_false(fields_in_body(s.id));
	s.id[1] = (struct field){ FIELD_FROM_FORM, "id" };
	assert_true(fields_in_body(s.id));
	s.type[0] = (struct field){ FIELD_FROM_JSON, "event.type" };
	assert_true(fields_in_body(s.type));
}

/*
 * "%%" in a template is a literal percent: "%%i" signs the text "%i" and
 * does not make the id header required. Expected MAC:
 * python3 -c 'import hmac,hashlib;print(hmac.new(b"k", b"%i.hello", hashlib.sha256).hexdigest())'
 */
static void
test_template_literal_percent(void **state)
{
	struct scheme s = {
		.name = "percent",
		.sig_header = "x-sig",
		.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%%i.%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { { FIELD_FROM_HEADER, "x-id" } },
	};
	struct secret key = { .ed25519 = false, .len = 1, .key = (unsigned char *)"k" };
	struct scheme_params p = { &key, 1, 300, NULL };
	struct headers h;
	struct fields f;
	const char *reason = NULL;
	size_t matched;

	headers_init(&h);
	headers_add(&h, "X-Sig", "9b86e3850c9e71ac849b31772527854afea77beacd2d712cb9fe2a66b968ee78");
	fields_init(&f, &s, &h, (const unsigned char *)"hello", 5, NULL);
	assert_int_equal(scheme_verify(&s, &p, &f, 0, &matched, &reason), 0);
	assert_int_equal(matched, 0);
	fields_clear(&f);
	headers_clear(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_rows_present),
		cmocka_unit_test(test_published_rows),
		cmocka_unit_test(test_published_rows_refused),
		cmocka_unit_test(test_bases_valid),
		cmocka_unit_test(test_body_byte_changed),
		cmocka_unit_test(test_body_byte_appended),
		cmocka_unit_test(test_body_emptied),
		cmocka_unit_test(test_wrong_secret),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_rotation_sixteen_secrets),
		cmocka_unit_test(test_signed_fields_covered),
		cmocka_unit_test(test_binary_body),
		cmocka_unit_test(test_stripe_multi),
		cmocka_unit_test(test_stdwh_multi),
		cmocka_unit_test(test_stdwh_mixed_kinds),
		cmocka_unit_test(test_candidate_limit),
		cmocka_unit_test(test_hex_accepted),
		cmocka_unit_test(test_hex_refused),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_stripe_blanks),
		cmocka_unit_test(test_header_garbage),
		cmocka_unit_test(test_header_missing),
		cmocka_unit_test(test_stripe_timestamps),
		cmocka_unit_test(test_stdwh_timestamps),
		cmocka_unit_test(test_timestamp_malformed),
		cmocka_unit_test(test_timestamp_long),
		cmocka_unit_test(test_timestamp_missing),
		cmocka_unit_test(test_stdwh_id_missing),
		cmocka_unit_test(test_scheme_rows),
		cmocka_unit_test(test_hmac_key_lengths),
		cmocka_unit_test(test_secret_raw),
		cmocka_unit_test(test_secret_whsec),
		cmocka_unit_test(test_secret_whpk),
		cmocka_unit_test(test_secret_ed25519),
		cmocka_unit_test(test_template_literal_percent),
		cmocka_unit_test(test_body_id),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_rows_well_formed),
		cmocka_unit_test(test_fields_in_body),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
