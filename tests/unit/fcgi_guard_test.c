/*
 * fcgi_guard_test.c: the FastCGI record check (src/fcgi_guard.c). Records
 * are built here as the FastCGI 1.0 specification lays them out (an 8-byte
 * header: version, type, request id, content length, padding length; then
 * content and padding; name-value pairs with 1-byte lengths under 128, else
 * 4 bytes with the top bit set). Every stream is fed whole, then one byte at
 * a time, then in every split in two: the answer may not depend on how the
 * bytes arrive.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "fcgi_guard.h"

/* A growing byte string. */
struct bytes {
	unsigned char p[200000];
	size_t n;
};

static void
put(struct bytes *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->p));
	if (n > 0)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* A record of type t for request id, with content c[0..n) and pad bytes of padding. */
static void
rec(struct bytes *b, int version, int t, unsigned id, const void *c, size_t n, unsigned pad)
{
	unsigned char h[8] = { (unsigned char)version, (unsigned char)t, (unsigned char)(id >> 8),
	    (unsigned char)id, (unsigned char)(n >> 8), (unsigned char)n, (unsigned char)pad, 0 };
	unsigned char zero[255] = { 0 };

	put(b, h, sizeof(h));
	put(b, c, n);
	put(b, zero, pad);
}

static void
begin(struct bytes *b, unsigned role)
{
	unsigned char body[8] = { (unsigned char)(role >> 8), (unsigned char)role, 1 };

	rec(b, 1, 1, 1, body, sizeof(body), 0);
}

/* Appends a name-value pair's lengths (4-byte when four) and its bytes to p. */
static size_t
pair(unsigned char *p, const char *name, const char *value, int four)
{
	size_t nl = strlen(name), vl = strlen(value), at = 0, i;
	size_t lens[2] = { nl, vl };

	for (i = 0; i < 2; i++) {
		if (lens[i] < 128 && !four) {
			p[at++] = (unsigned char)lens[i];
		} else {
			p[at++] = (unsigned char)(0x80 | lens[i] >> 24);
			p[at++] = (unsigned char)(lens[i] >> 16);
			p[at++] = (unsigned char)(lens[i] >> 8);
			p[at++] = (unsigned char)lens[i];
		}
	}
	memcpy(p + at, name, nl);
	memcpy(p + at + nl, value, vl);
	return at + nl + vl;
}

/* A sound request as nginx sends it: BEGIN, PARAMS, empty PARAMS, STDIN, empty STDIN. */
static void
sound(struct bytes *b, const char *body)
{
	unsigned char p[512];
	size_t n = 0;

	begin(b, 1);
	n += pair(p + n, "REQUEST_METHOD", "POST", 0);
	n += pair(p + n, "DOCUMENT_URI", "/hooks/github", 1);
	rec(b, 1, 4, 1, p, n, 3);
	rec(b, 1, 4, 1, NULL, 0, 0);
	if (*body != '\0')
		rec(b, 1, 5, 1, body, strlen(body), 7);
	rec(b, 1, 5, 1, NULL, 0, 0);
}

/* Feeds b in pieces of at most step bytes (0: whole); the last state. */
static enum fcgi_guard_state
feed(const struct bytes *b, size_t step, size_t split, char *why, size_t whylen)
{
	struct fcgi_guard g;
	enum fcgi_guard_state st = FCGI_GUARD_MORE;
	size_t at = 0;

	fcgi_guard_init(&g);
	while (at < b->n && st == FCGI_GUARD_MORE) {
		size_t k = b->n - at;

		if (split > 0)
			k = at < split ? split - at : b->n - at;
		else if (step > 0 && k > step)
			k = step;
		st = fcgi_guard_feed(&g, b->p + at, k, why, whylen);
		at += k;
	}
	return st;
}

/* Asserts that b gives want however it is cut, and that a refusal says why (contains reason). */
static void
assert_guard(const struct bytes *b, enum fcgi_guard_state want, const char *reason)
{
	size_t split;
	char why[160];

	why[0] = '\0';
	assert_int_equal(feed(b, 0, 0, why, sizeof(why)), want);
	if (reason != NULL && strstr(why, reason) == NULL)
		fail_msg("refused for \"%s\", want \"%s\"", why, reason);
	assert_int_equal(feed(b, 1, 0, why, sizeof(why)), want);
	for (split = 1; split < b->n && split < 3000; split++)
		if (feed(b, 0, split, why, sizeof(why)) != want)
			fail_msg("cut at %zu: a different answer", split);
}

static void
test_sound(void **state)
{
	static struct bytes b;

	(void)state;
	b.n = 0;
	sound(&b, "{\"a\":1}");
	assert_guard(&b, FCGI_GUARD_END, NULL);
	b.n = 0;
	sound(&b, "");
	assert_guard(&b, FCGI_GUARD_END, NULL);
}

/* Not all there yet: more, and where the parameters ended is known once they have. */
static void
test_partial(void **state)
{
	static struct bytes b;
	struct fcgi_guard g;
	char why[160];
	size_t cut;

	(void)state;
	b.n = 0;
	sound(&b, "{}");
	for (cut = 0; cut < b.n; cut++) {
		fcgi_guard_init(&g);
		assert_int_equal(fcgi_guard_feed(&g, b.p, cut, why, sizeof(why)), FCGI_GUARD_MORE);
		assert_int_equal(g.fed, cut);
	}
	fcgi_guard_init(&g);
	assert_int_equal(fcgi_guard_feed(&g, b.p, b.n, why, sizeof(why)), FCGI_GUARD_END);
	/* BEGIN (16), PARAMS with padding, the empty PARAMS (8). */
	assert_true(g.params_end > 24 && g.params_end < b.n);
	assert_int_equal(g.fed, b.n);
}

/* Bytes after the request's end are not looked at: nginx's next request is its own. */
static void
test_after_end(void **state)
{
	static struct bytes b;
	struct fcgi_guard g;
	char why[160];
	size_t n;

	(void)state;
	b.n = 0;
	sound(&b, "{}");
	n = b.n;
	put(&b, "garbage", 7);
	fcgi_guard_init(&g);
	assert_int_equal(fcgi_guard_feed(&g, b.p, b.n, why, sizeof(why)), FCGI_GUARD_END);
	assert_int_equal(g.fed, n);
}

/* What libfcgi would trust: lengths near 2^31 (CVE-2025-23016) and past the cap. */
static void
test_lengths(void **state)
{
	static struct bytes b;
	unsigned char p[64];
	const unsigned char two_g[] = { 0xff, 0xff, 0xff, 0xfe, 0x80, 0, 0, 1, 'x' };
	const unsigned char one_one[] = { 0xc0, 0, 0, 0, 0xc0, 0, 0, 0, 'x' };
	const unsigned char half[] = { 5, 0x80, 0, 0 };

	(void)state;
	b.n = 0;
	begin(&b, 1);
	rec(&b, 1, 4, 1, two_g, sizeof(two_g), 0);
	assert_guard(&b, FCGI_GUARD_BAD, "2147483646 + 1 bytes");
	b.n = 0;
	begin(&b, 1);
	rec(&b, 1, 4, 1, one_one, sizeof(one_one), 0);
	assert_guard(&b, FCGI_GUARD_BAD, "1073741824 + 1073741824 bytes");
	/* A pair cut short by the parameters' end. */
	b.n = 0;
	begin(&b, 1);
	rec(&b, 1, 4, 1, p, pair(p, "NAME", "value", 0) - 2, 0);
	rec(&b, 1, 4, 1, NULL, 0, 0);
	assert_guard(&b, FCGI_GUARD_BAD, "inside a name-value pair");
	/* Its length cut short. */
	b.n = 0;
	begin(&b, 1);
	rec(&b, 1, 4, 1, half, sizeof(half), 0);
	rec(&b, 1, 4, 1, NULL, 0, 0);
	assert_guard(&b, FCGI_GUARD_BAD, "inside a name-value pair");
}

/* The parameters in all: at most FCGI_GUARD_PARAMS_MAX bytes, however they are cut. */
static void
test_params_max(void **state)
{
	static struct bytes b;
	static unsigned char p[FCGI_GUARD_PARAMS_MAX + 64];
	static char value[FCGI_GUARD_PARAMS_MAX];
	size_t n;

	(void)state;
	/* Exactly the cap, in two records: sound. */
	memset(value, 'v', sizeof(value));
	value[FCGI_GUARD_PARAMS_MAX - 8 - 5] = 0;
	n = pair(p, "X_BIG", value, 1);
	assert_int_equal(n, FCGI_GUARD_PARAMS_MAX);
	p[n] = 0;
	p[n + 1] = 0;
	b.n = 0;
	begin(&b, 1);
	rec(&b, 1, 4, 1, p, 40000, 0);
	rec(&b, 1, 4, 1, p + 40000, n - 40000, 0);
	rec(&b, 1, 4, 1, NULL, 0, 0);
	rec(&b, 1, 5, 1, NULL, 0, 0);
	assert_guard(&b, FCGI_GUARD_END, NULL);
	/* One more pair (empty name and value: two bytes) is over. */
	b.n = 0;
	begin(&b, 1);
	rec(&b, 1, 4, 1, p, 40000, 0);
	rec(&b, 1, 4, 1, p + 40000, n - 40000 + 2, 0);
	rec(&b, 1, 4, 1, NULL, 0, 0);
	assert_guard(&b, FCGI_GUARD_BAD, "parameters over 65536 bytes");
}

/* Only the shape nginx sends is served. */
static void
test_shape(void **state)
{
	static struct bytes b;
	const unsigned char get_values[] = { 14, 0, 'F', 'C', 'G', 'I', '_', 'M', 'A', 'X', '_',
		'C', 'O', 'N', 'N', 'S' };
	const unsigned char ab[] = { 1, 1, 'A', 'B' };

	(void)state;
	/* A management record, before the request or inside its body. */
	b.n = 0;
	rec(&b, 1, 9, 0, get_values, sizeof(get_values), 0);
	assert_guard(&b, FCGI_GUARD_BAD, "management record (type 9)");
	b.n = 0;
	begin(&b, 1);
	rec(&b, 1, 4, 1, ab, sizeof(ab), 0);
	rec(&b, 1, 4, 1, NULL, 0, 0);
	rec(&b, 1, 5, 1, "{", 1, 0);
	rec(&b, 1, 9, 0, get_values, sizeof(get_values), 0);
	assert_guard(&b, FCGI_GUARD_BAD, "management record");
	/* Versions other than 1, first or later. */
	b.n = 0;
	rec(&b, 2, 1, 1, "\0\1\0\0\0\0\0\0", 8, 0);
	assert_guard(&b, FCGI_GUARD_BAD, "FastCGI version 2");
	b.n = 0;
	begin(&b, 1);
	rec(&b, 0, 4, 1, ab, sizeof(ab), 0);
	assert_guard(&b, FCGI_GUARD_BAD, "FastCGI version 0");
	/* Roles, BEGIN's size, records out of order, a second request id. */
	b.n = 0;
	begin(&b, 3);
	assert_guard(&b, FCGI_GUARD_BAD, "FastCGI role 3");
	b.n = 0;
	rec(&b, 1, 1, 1, "\0\1", 2, 0);
	assert_guard(&b, FCGI_GUARD_BAD, "BEGIN_REQUEST of 2 bytes");
	b.n = 0;
	rec(&b, 1, 4, 1, ab, sizeof(ab), 0);
	assert_guard(&b, FCGI_GUARD_BAD, "where BEGIN_REQUEST belongs");
	b.n = 0;
	begin(&b, 1);
	rec(&b, 1, 5, 1, "{}", 2, 0);
	assert_guard(&b, FCGI_GUARD_BAD, "where PARAMS belongs");
	b.n = 0;
	begin(&b, 1);
	rec(&b, 1, 4, 1, NULL, 0, 0);
	rec(&b, 1, 2, 1, NULL, 0, 0);
	assert_guard(&b, FCGI_GUARD_BAD, "type 2 where STDIN belongs");
	b.n = 0;
	begin(&b, 1);
	rec(&b, 1, 4, 2, ab, sizeof(ab), 0);
	assert_guard(&b, FCGI_GUARD_BAD, "second FastCGI request (id 2)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sound),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_after_end),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_params_max),
		cmocka_unit_test(test_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
