/*
 * delivery_test.c: a url route's request headers and the verdicts on its
 * answers (src/delivery.c): what of the stored headers is sent, hookq's
 * X-Hookq-* lines, its Standard Webhooks signature (checked against an
 * HMAC computed here from the spec's definition, one per secret), and each
 * status class.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "testutil.h"

#include "config.h"
#include "delivery.h"
#include "http.h"

/* The value of header name in lines, or NULL; fails when it is there twice. */
static const char *
header(char **lines, const char *name)
{
	const char *found = NULL;
	size_t n = strlen(name), i;

	for (i = 0; lines[i] != NULL; i++)
		if (strncasecmp(lines[i], name, n) == 0 && lines[i][n] == ':') {
			assert_null(found);
			found = lines[i] + n + 2;
		}
	return found;
}

static struct store_job
job(const char *headers, const char *body)
{
	struct store_job j;

	memset(&j, 0, sizeof(j));
	j.id = 42;
	j.event = 7;
	j.route = "app";
	j.source = "gh";
	j.event_id = "d-1";
	j.event_type = "push";
	j.headers = (char *)headers;
	j.body = (void *)body;
	j.body_len = strlen(body);
	j.attempt = 3;
	return j;
}

/* Hop-by-hop, transport and credential headers stay behind; the sender's own go on. */
static void
test_stored_headers(void **state)
{
	struct route r;
	struct store_job j = job("{\"content-type\":\"application/json\",\"x-github-event\":\"push\","
	    "\"connection\":\"keep-alive\",\"keep-alive\":\"timeout=5\",\"host\":\"hooks.example\","
	    "\"content-length\":\"2\",\"transfer-encoding\":\"chunked\",\"te\":\"trailers\","
	    "\"upgrade\":\"h2c\",\"expect\":\"100-continue\",\"authorization\":\"Bearer x\","
	    "\"cookie\":\"a=b\",\"x-hookq-route\":\"forged\",\"bad name\":\"v\","
	    "\"x-split\":\"a\\r\\nx-injected: 1\",\"webhook-id\":\"msg_1\","
	    "\"user-agent\":\"GitHub-Hookshot/1\"}", "{}");
	char **h;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.name = "app";
	h = delivery_headers(&r, &j, 1700000000);
	assert_string_equal(header(h, "content-type"), "application/json");
	assert_string_equal(header(h, "x-github-event"), "push");
	assert_string_equal(header(h, "user-agent"), "GitHub-Hookshot/1");
	/* Unsigned, the sender's webhook-* go on as they came. */
	assert_string_equal(header(h, "webhook-id"), "msg_1");
	assert_null(header(h, "webhook-signature"));
	assert_null(header(h, "connection"));
	assert_null(header(h, "keep-alive"));
	assert_null(header(h, "host"));
	assert_null(header(h, "content-length"));
	assert_null(header(h, "transfer-encoding"));
	assert_null(header(h, "te"));
	assert_null(header(h, "upgrade"));
	assert_null(header(h, "expect"));
	assert_null(header(h, "authorization"));
	assert_null(header(h, "cookie"));
	assert_null(header(h, "bad name"));
	assert_null(header(h, "x-split"));
	assert_null(header(h, "x-injected"));
	/* hookq's own, the forged one replaced. */
	assert_string_equal(header(h, "X-Hookq-Route"), "app");
	assert_string_equal(header(h, "X-Hookq-Event-Id"), "d-1");
	assert_string_equal(header(h, "X-Hookq-Source"), "gh");
	assert_string_equal(header(h, "X-Hookq-Attempt"), "3");
	assert_string_equal(header(h, "X-Hookq-Delivery-Id"), "42");
	delivery_headers_free(h);

	/* A row whose headers are not JSON still gets hookq's lines. */
	j.headers = "not json";
	h = delivery_headers(&r, &j, 1700000000);
	assert_string_equal(header(h, "X-Hookq-Delivery-Id"), "42");
	assert_null(header(h, "content-type"));
	delivery_headers_free(h);
}

/* base64(HMAC-SHA256(key, "id.ts.body")), as the Standard Webhooks spec defines it. */
static void
expected_signature(const unsigned char *key, size_t klen, const char *content, char *out,
    size_t size)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, key, klen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)content, strlen(content));
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "v1,", 3);
	sodium_bin2base64(out + 3, size - 3, mac, sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
}

/* Signed: webhook-id, -timestamp and one v1 signature per secret, the sender's replaced. */
static void
test_signature(void **state)
{
	const struct scheme *swh = scheme_find("standard-webhooks");
	struct route r;
	struct store_job j = job("{\"webhook-id\":\"msg_sender\",\"webhook-signature\":\"v1,forged\","
	    "\"webhook-timestamp\":\"1\"}", "{\"event\":\"paid\"}");
	const char *lines[] = { "whsec_aG9va3EtdGVzdC1rZXk=", "whsec_c2Vjb25kLWtleQ==" };
	const char *keys[] = { "hookq-test-key", "second-key" }, *reason;
	char want[2][128], both[300], **h;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.name = "app";
	for (i = 0; i < 2; i++) {
		assert_int_equal(scheme_secret_parse(swh, lines[i], strlen(lines[i]), &r.signing[i],
		    &reason), 0);
		expected_signature((const unsigned char *)keys[i], strlen(keys[i]),
		    "hookq-42.1700000000.{\"event\":\"paid\"}", want[i], sizeof(want[i]));
	}
	r.nsigning = 1;
	h = delivery_headers(&r, &j, 1700000000);
	assert_string_equal(header(h, "webhook-id"), "hookq-42");
	assert_string_equal(header(h, "webhook-timestamp"), "1700000000");
	assert_string_equal(header(h, "webhook-signature"), want[0]);
	delivery_headers_free(h);

	r.nsigning = 2;
	h = delivery_headers(&r, &j, 1700000000);
	snprintf(both, sizeof(both), "%s %s", want[0], want[1]);
	assert_string_equal(header(h, "webhook-signature"), both);
	delivery_headers_free(h);
	for (i = 0; i < 2; i++)
		scheme_secret_clear(&r.signing[i]);
}

struct verdict_case {
	long status;
	bool retry_4xx;
	enum delivery_verdict want;
};

/* Each status class: done, retried or dead, and what last_error says. */
static void
test_judge(void **state)
{
	static const struct verdict_case CASES[] = {
		{ 200, false, DELIVERY_DONE }, { 204, false, DELIVERY_DONE },
		{ 299, false, DELIVERY_DONE }, { 500, false, DELIVERY_RETRY },
		{ 503, false, DELIVERY_RETRY }, { 408, false, DELIVERY_RETRY },
		{ 425, false, DELIVERY_RETRY }, { 429, false, DELIVERY_RETRY },
		{ 404, false, DELIVERY_DEAD }, { 400, false, DELIVERY_DEAD },
		{ 301, false, DELIVERY_DEAD }, { 101, false, DELIVERY_DEAD },
		{ 404, true, DELIVERY_RETRY }, { 301, true, DELIVERY_RETRY },
	};
	struct http_result res;
	struct route r;
	char outcome[64], *error;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	for (i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		memset(&res, 0, sizeof(res));
		res.status = CASES[i].status;
		res.body = "";
		r.retry_4xx = CASES[i].retry_4xx;
		assert_int_equal(delivery_judge(r.retry_4xx, &res, &error, outcome, sizeof(outcome)),
		    CASES[i].want);
		assert_true(strncmp(outcome, "HTTP ", 5) == 0);
		if (CASES[i].want == DELIVERY_DONE)
			assert_null(error);
		else
			assert_string_equal(error, outcome);
		free(error);
	}

	/* The body after the status, a NUL in it made '?'. */
	memset(&res, 0, sizeof(res));
	res.status = 500;
	res.body = "oops\0x";
	res.body_len = 6;
	r.retry_4xx = false;
	assert_int_equal(delivery_judge(r.retry_4xx, &res, &error, outcome, sizeof(outcome)),
	    DELIVERY_RETRY);
	assert_string_equal(outcome, "HTTP 500");
	assert_string_equal(error, "HTTP 500\noops?x");
	free(error);

	/* No answer: retried, with why. */
	memset(&res, 0, sizeof(res));
	res.body = "";
	res.timed_out = true;
	snprintf(res.error, sizeof(res.error), "timed out after 1.000s");
	assert_int_equal(delivery_judge(r.retry_4xx, &res, &error, outcome, sizeof(outcome)),
	    DELIVERY_RETRY);
	assert_string_equal(outcome, "timeout");
	assert_string_equal(error, "timed out after 1.000s");
	free(error);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stored_headers),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_judge),
	};

	if (scheme_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
