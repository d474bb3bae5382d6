/*
 * sign_test.c: scheme_sign() (src/scheme.c), which hookq sign uses.
 *
 * Signing must match the senders' published examples (published.json:
 * GitHub's docs, Slack's SDK test, the Standard Webhooks libraries' sign
 * test), and everything it signs must verify through scheme_verify(), for
 * every HMAC scheme, so signing and verifying cannot disagree. Ed25519 is
 * refused: hookq holds only public keys.
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

static yajl_val published;

static int
group_setup(void **state)
{
	if (scheme_init() != 0)
		return -1;
	published = tu_load_json("published.json");
	return published != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	yajl_tree_free(published);
	return 0;
}

static yajl_val
row(const char *name)
{
	size_t i;

	for (i = 0; i < published->u.array.len; i++) {
		yajl_val r = published->u.array.values[i];

		if (strcmp(tu_str(r, "name"), name) == 0)
			return r;
	}
	fail_msg("no row %s in published.json", name);
	return NULL;
}

/* Signs a published row's body with its secret, id and timestamp; compares with expected. */
static void
sign_published(const char *name, const struct scheme *s, const char *want)
{
	yajl_val r = row(name);
	const char *secret = tu_str(r, "secret"), *body = tu_str(r, "body"), *reason = NULL;
	struct secret key;
	char sig[SCHEME_SIGNATURE_MAX];

	assert_int_equal(scheme_secret_parse(s, secret, strlen(secret), &key, &reason), 0);
	assert_int_equal(scheme_sign(s, &key, tu_str(r, "timestamp"), tu_str(r, "id"), NULL,
	    (const unsigned char *)body, strlen(body), sig, sizeof(sig), &reason), 0);
	assert_string_equal(sig, want != NULL ? want : tu_str(r, "expected"));
	scheme_secret_clear(&key);
}

static void
test_published_github(void **state)
{
	sign_published("github_docs", scheme_find("github"), NULL);
}

static void
test_published_slack(void **state)
{
	sign_published("slack_docs", scheme_find("slack"), NULL);
}

static void
test_published_stdwebhooks(void **state)
{
	sign_published("stdwebhooks_sign", scheme_find("standard-webhooks"), NULL);
	sign_published("stdwebhooks_rust_sign", scheme_find("standard-webhooks"), NULL);
}

/* Verifies body under key with the headers h; returns scheme_verify's result. */
static int
verify(const struct scheme *s, const struct secret *key, const char *url, struct headers *h,
    const unsigned char *body, size_t len, const char **reason)
{
	struct scheme_params p = { key, 1, 300, url };
	struct fields f;
	size_t matched;
	int rc;

	fields_init(&f, s, h, body, len, NULL);
	rc = scheme_verify(s, &p, &f, 1700000000, &matched, reason);
	fields_clear(&f);
	return rc;
}

/* Signs with scheme_sign, then verifies the request through scheme_verify. */
static void
round_trip(const struct scheme *s, const char *secret_line, const unsigned char *body,
    size_t len)
{
	struct secret key;
	struct headers h;
	const char *reason = NULL, *id = "msg_round_trip", *url = "https://example.com/hooks/sq";
	/* 1700000000 as each scheme writes its timestamp. */
	const char *ts = s->ts_format == SCHEME_TS_ISO8601 ? "2023-11-14T22:13:20Z" :
	    s->ts_format == SCHEME_TS_UNIX_MS ? "1700000000000" : "1700000000";
	char sig[SCHEME_SIGNATURE_MAX];
	int rc;

	assert_int_equal(scheme_secret_parse(s, secret_line, strlen(secret_line), &key, &reason), 0);
	assert_int_equal(scheme_sign(s, &key, ts, id, url, body, len, sig, sizeof(sig), &reason), 0);
	headers_init(&h);
	headers_add(&h, s->sig_header, sig);
	if (s->ts_header != NULL)
		headers_add(&h, s->ts_header, ts);
	if (s->id[0].from == FIELD_FROM_HEADER)
		headers_add(&h, s->id[0].name, id);
	rc = verify(s, &key, url, &h, body, len, &reason);
	if (rc != 0)
		fail_msg("%s: %s (signature %s)", s->name, reason, sig);
	/* Another URL (Square signs it) or one byte changed, and it no longer verifies. */
	if (scheme_signs(s, 'u'))
		assert_int_not_equal(verify(s, &key, "https://example.com/hooks/other", &h, body, len,
		    &reason), 0);
	if (len > 0) {
		unsigned char *copy = malloc(len);

		memcpy(copy, body, len);
		copy[0] ^= 1;
		assert_int_not_equal(verify(s, &key, url, &h, copy, len, &reason), 0);
		free(copy);
	}
	headers_clear(&h);
	scheme_secret_clear(&key);
}

/*
 * True when hookq cannot sign for the row by design: a public key, the
 * secret itself, a body field, the request's own query and form (Twilio).
 */
static bool
unsignable(const struct scheme *s)
{
	return s->sigs[0].alg == SCHEME_ED25519 || s->sigs[0].alg == SCHEME_ECDSA_P256 ||
	    s->sigs[0].alg == SCHEME_TOKEN || s->sig_header == NULL ||
	    s->ts_body[0].from != FIELD_FROM_NONE || s->token[0].from != FIELD_FROM_NONE ||
	    scheme_signs(s, 'f') || scheme_signs(s, 'q');
}

/*
 * Every row of the table that hookq can sign for round-trips: scheme_sign's
 * signature verifies, and fails for a changed byte. The rest are refused.
 */
static void
test_round_trip(void **state)
{
	static const unsigned char body[] = "{\"id\":\"evt_1\",\"type\":\"x.y\",\"bin\":\"\x01\xff\"}";
	static const unsigned char nul[] = { 'a', 0, 'b', 0xff };
	size_t i, signed_rows = 0;

	for (i = 0; i < SCHEME_TABLE_SIZE; i++) {
		const struct scheme *s = &SCHEME_TABLE[i];

		print_message("# %s\n", s->name);
		if (unsignable(s))
			continue;
		round_trip(s, s->key_format == SCHEME_KEY_WHSEC ?
		    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" : "It's a Secret to Everybody", body,
		    sizeof(body) - 1);
		signed_rows++;
	}
	assert_true(signed_rows >= 35);
	round_trip(&GENERIC_SHA512_BASE64, "k", nul, sizeof(nul));
	round_trip(&GENERIC_SHA256_HEX, "a much longer key than the block size of SHA-256, which is"
	    " sixty-four bytes, so it is hashed first", body, 0);
}

/* Schemes whose signature hookq cannot make: the reason says why, and no key leaks. */
static void
test_refused_schemes(void **state)
{
	struct secret hmac = { .ed25519 = false, .len = 3, .key = (unsigned char *)"key" };
	const char *reason;
	char sig[SCHEME_SIGNATURE_MAX];
	size_t i, refused = 0;

	for (i = 0; i < SCHEME_TABLE_SIZE; i++) {
		if (!unsignable(&SCHEME_TABLE[i]))
			continue;
		reason = NULL;
		sig[0] = '\0';
		assert_int_equal(scheme_sign(&SCHEME_TABLE[i], &hmac, "1700000000", "id", "u",
		    (const unsigned char *)"{}", 2, sig, sizeof(sig), &reason), -1);
		assert_non_null(reason);
		assert_string_equal(sig, "");
		refused++;
	}
	/* gitlab, postmark (tokens), mailgun, linear (body), discord x2, sendgrid (public keys). */
	assert_true(refused >= 7);
	/* Square without the URL it signs. */
	assert_int_equal(scheme_sign(scheme_find("square"), &hmac, NULL, NULL, NULL,
	    (const unsigned char *)"{}", 2, sig, sizeof(sig), &reason), -1);
}

/* Stripe's header carries the timestamp first: t=<ts>,v1=<hex>. */
static void
test_stripe_form(void **state)
{
	struct secret key = { .ed25519 = false, .len = 3, .key = (unsigned char *)"key" };
	const char *reason = NULL;
	char sig[SCHEME_SIGNATURE_MAX];

	assert_int_equal(scheme_sign(scheme_find("stripe"), &key, "1234", NULL, NULL,
	    (const unsigned char *)"{}", 2, sig, sizeof(sig), &reason), 0);
	assert_int_equal(strncmp(sig, "t=1234,v1=", 10), 0);
	assert_int_equal(strlen(sig), 10 + 64);
}

static void
test_refused(void **state)
{
	struct secret hmac = { .ed25519 = false, .len = 3, .key = (unsigned char *)"key" };
	unsigned char pk[32] = { 0 };
	struct secret ed = { .ed25519 = true, .len = 32, .key = pk };
	const char *reason = NULL;
	char sig[SCHEME_SIGNATURE_MAX], small[8];

	/* An Ed25519 scheme, or an Ed25519 key: verify only. */
	assert_int_equal(scheme_sign(&GENERIC_ED25519_HEX, &hmac, NULL, NULL, NULL,
	    (const unsigned char *)"x", 1, sig, sizeof(sig), &reason), -1);
	assert_non_null(strstr(reason, "Ed25519"));
	assert_int_equal(scheme_sign(scheme_find("standard-webhooks"), &ed, "1", "i", NULL,
	    (const unsigned char *)"x", 1, sig, sizeof(sig), &reason), -1);
	assert_non_null(strstr(reason, "public key"));
	/* A timestamped scheme without a timestamp; an id-signing scheme without an id. */
	assert_int_equal(scheme_sign(scheme_find("stripe"), &hmac, NULL, NULL, NULL,
	    (const unsigned char *)"x", 1, sig, sizeof(sig), &reason), -1);
	assert_int_equal(scheme_sign(scheme_find("standard-webhooks"), &hmac, "1", NULL, NULL,
	    (const unsigned char *)"x", 1, sig, sizeof(sig), &reason), -1);
	/* No room. */
	assert_int_equal(scheme_sign(scheme_find("github"), &hmac, NULL, NULL, NULL,
	    (const unsigned char *)"x", 1, small, sizeof(small), &reason), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_github),
		cmocka_unit_test(test_published_slack),
		cmocka_unit_test(test_published_stdwebhooks),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused_schemes),
		cmocka_unit_test(test_stripe_form),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
