/*
 * response_test.c: the header block of every answer (src/response.c), byte
 * for byte: the status line, Content-Type with nosniff, Content-Length (the
 * body's, also for HEAD; none for 204), Cache-Control, Retry-After and Allow
 * when asked for, and the empty line.
 */
#include "autoconf.h"

#include <string.h>

#include "testutil.h"

#include "response.h"

static void
want_head(const struct response *r, const char *want)
{
	char buf[RESPONSE_HEAD_MAX];
	size_t n = response_head(r, buf);

	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, n);
}

static void
test_plain(void **state)
{
	struct response r = { .status = 200, .reason_phrase = "OK",
	    .content_type = "text/plain; charset=utf-8", .body = "stored\n", .len = 7 };

	(void)state;
	want_head(&r, "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "X-Content-Type-Options: nosniff\r\nContent-Length: 7\r\n\r\n");
	assert_true(response_has_body(&r));
}

static void
test_unavailable(void **state)
{
	struct response r = { .status = 503, .reason_phrase = "Service Unavailable",
	    .content_type = "text/plain; charset=utf-8", .body = "try again later\n", .len = 16,
	    .retry_after = true };

	(void)state;
	want_head(&r, "Status: 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "X-Content-Type-Options: nosniff\r\nContent-Length: 16\r\nRetry-After: 5\r\n\r\n");
}

static void
test_method(void **state)
{
	struct response r = { .status = 405, .reason_phrase = "Method Not Allowed",
	    .content_type = "text/plain; charset=utf-8", .body = "x\n", .len = 2,
	    .allow = "GET, POST" };

	(void)state;
	want_head(&r, "Status: 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "X-Content-Type-Options: nosniff\r\nContent-Length: 2\r\nAllow: GET, POST\r\n\r\n");
}

/* 204 has neither body nor Content-Length (Discord's PING answer). */
static void
test_no_content(void **state)
{
	struct response r = { .status = 204, .reason_phrase = "No Content", .body = "" };

	(void)state;
	want_head(&r, "Status: 204 No Content\r\n\r\n");
	assert_false(response_has_body(&r));
}

/* HEAD gets the headers of the GET answer, Content-Length included, and no body. */
static void
test_head(void **state)
{
	struct response r = { .status = 200, .reason_phrase = "OK",
	    .content_type = "text/plain; charset=utf-8", .body = "ok\n", .len = 3,
	    .no_store = true, .head = true };

	(void)state;
	want_head(&r, "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "X-Content-Type-Options: nosniff\r\nContent-Length: 3\r\nCache-Control: no-store\r\n\r\n");
	assert_false(response_has_body(&r));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_unavailable),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_no_content),
		cmocka_unit_test(test_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
