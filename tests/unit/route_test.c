/*
 * route_test.c: which routes take an event and its ordering keys
 * (src/route.c): events lists, body matches of every kind, paths and their
 * limits (nesting, arrays, containers, length, escapes, bodies that are not
 * JSON), keys from the body and from a header, and that the body and the
 * headers are each parsed at most once. Routes are built by hand, as
 * config.c would build them.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "config.h"
#include "payload.h"
#include "route.h"

#define nitems_(a) (sizeof(a) / sizeof((a)[0]))

/*
 * route_test is linked with -Wl,--wrap=payload_scalars: route.c's calls
 * come here, counted, and go on to the real function.
 */
int __real_payload_scalars(const unsigned char *, size_t, const char *const *,
    struct payload_scalar *, size_t, int, const char **);
int __wrap_payload_scalars(const unsigned char *, size_t, const char *const *,
    struct payload_scalar *, size_t, int, const char **);

static int body_parses, header_parses;

int
__wrap_payload_scalars(const unsigned char *body, size_t len, const char *const *paths,
    struct payload_scalar *out, size_t n, int flags, const char **reason)
{
	if (flags & PAYLOAD_KEYS)
		header_parses++;
	else
		body_parses++;
	return __real_payload_scalars(body, len, paths, out, n, flags, reason);
}

/* A match as config.c builds one from "path = value": the number read with strtod(). */
static struct route_match
match_of(const char *path, int kind, const char *value)
{
	struct route_match m;

	memset(&m, 0, sizeof(m));
	m.path = (char *)path;
	m.kind = kind;
	m.value = (char *)value;
	if (kind == MATCH_NUMBER)
		m.number = strtod(value, NULL);
	return m;
}

/* A route of source "src" taking every event, with no order. */
static struct route
route_of(const char *name)
{
	struct route r;

	memset(&r, 0, sizeof(r));
	r.name = (char *)name;
	r.source = (char *)"src";
	return r;
}

static const char HEADERS[] = "{\"host\":\"h\",\"x-tenant\":\"acme\",\"x.dotted\":\"dot\","
    "\"x\":{\"dotted\":\"nested\"}}";

/* An event of type (NULL: none) with body, and HEADERS. */
static struct route_event
event_of(const char *type, const char *body)
{
	struct route_event ev;

	ev.type = type;
	ev.headers = HEADERS;
	ev.headers_len = strlen(HEADERS);
	ev.body = body;
	ev.body_len = body != NULL ? strlen(body) : 0;
	return ev;
}

/* Runs one route over an event; *key gets its key (the caller frees it). */
static bool
select1(const struct route *r, const char *type, const char *body, char **key)
{
	const struct route *routes[] = { r };
	struct route_event ev = event_of(type, body);
	bool accept = false;

	route_select(routes, 1, &ev, &accept, key);
	if (!accept)
		assert_null(*key);
	return accept;
}

/* Whether a route with the one match takes body. */
static bool
matches(const char *body, const char *path, int kind, const char *value)
{
	struct route r = route_of("m");
	struct route_match m = match_of(path, kind, value);
	char *key = NULL;
	bool accept;

	r.match = &m;
	r.nmatch = 1;
	accept = select1(&r, "t", body, &key);
	assert_null(key);
	return accept;
}

/* The key a route ordering by path gives body (freed here). */
static void
assert_key(const char *body, const char *path, const char *want)
{
	struct route r = route_of("o");
	char *key = NULL;

	r.order = (char *)path;
	assert_true(select1(&r, "t", body, &key));
	assert_non_null(key);
	if (strcmp(key, want) != 0)
		fail_msg("order %s in %s: got \"%s\", want \"%s\"", path, body, key, want);
	free(key);
}

/* A string of n copies of c (malloc'd). */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* A route with no events list, no match and no order takes everything, parsing nothing. */
static void
test_no_filters(void **state)
{
	struct route r = route_of("all");
	char *key = (char *)"unset";

	body_parses = header_parses = 0;
	assert_true(select1(&r, "push", "{\"a\":1}", &key));
	assert_null(key);
	assert_true(select1(&r, NULL, "not json", &key));
	assert_null(key);
	assert_true(select1(&r, NULL, NULL, &key));
	assert_int_equal(body_parses, 0);
	assert_int_equal(header_parses, 0);
}

/* An events list takes the types in it; a NULL type is refused by any list. */
static void
test_events(void **state)
{
	char *types[] = { (char *)"push", (char *)"issues" };
	struct route r = route_of("ev");
	char *key = NULL;

	r.events = types;
	r.nevents = nitems_(types);
	assert_true(select1(&r, "push", "{}", &key));
	assert_true(select1(&r, "issues", "{}", &key));
	assert_false(select1(&r, "pull_request", "{}", &key));
	assert_false(select1(&r, "pus", "{}", &key));
	assert_false(select1(&r, "pushx", "{}", &key));
	assert_false(select1(&r, "", "{}", &key));
	assert_false(select1(&r, NULL, "{}", &key));
	/* An empty list (not NULL) takes nothing. */
	r.nevents = 0;
	assert_false(select1(&r, "push", "{}", &key));
}

/* One match against a body: equal, not equal, or of another kind. */
struct match_case {
	const char *body;
	const char *path;
	int kind;
	const char *value;
	bool want;
};

static const char KINDS[] = "{\"s\":\"42\",\"n\":42,\"t\":true,\"f\":false,\"z\":null,"
    "\"e\":\"\",\"word\":\"push\"}";

static const struct match_case MATCH_CASES[] = {
	/* Strings. */
	{ KINDS, "word", MATCH_STRING, "push", true },
	{ KINDS, "word", MATCH_STRING, "Push", false },
	{ KINDS, "word", MATCH_STRING, "pus", false },
	{ KINDS, "word", MATCH_STRING, "pushx", false },
	{ KINDS, "e", MATCH_STRING, "", true },
	{ KINDS, "s", MATCH_STRING, "42", true },
	{ KINDS, "n", MATCH_STRING, "42", false },
	{ KINDS, "t", MATCH_STRING, "true", false },
	{ KINDS, "z", MATCH_STRING, "null", false },
	/* Numbers. */
	{ KINDS, "n", MATCH_NUMBER, "42", true },
	{ KINDS, "n", MATCH_NUMBER, "43", false },
	{ KINDS, "s", MATCH_NUMBER, "42", false },
	{ KINDS, "t", MATCH_NUMBER, "1", false },
	/* Booleans and null. */
	{ KINDS, "t", MATCH_TRUE, NULL, true },
	{ KINDS, "f", MATCH_TRUE, NULL, false },
	{ KINDS, "s", MATCH_TRUE, NULL, false },
	{ KINDS, "f", MATCH_FALSE, NULL, true },
	{ KINDS, "t", MATCH_FALSE, NULL, false },
	{ KINDS, "z", MATCH_FALSE, NULL, false },
	{ KINDS, "z", MATCH_NULL, NULL, true },
	{ KINDS, "e", MATCH_NULL, NULL, false },
	{ KINDS, "f", MATCH_NULL, NULL, false },
	{ KINDS, "missing", MATCH_NULL, NULL, false },
	/* Numbers compare by value, however written. */
	{ "{\"v\":1}", "v", MATCH_NUMBER, "1.0", true },
	{ "{\"v\":1}", "v", MATCH_NUMBER, "1e0", true },
	{ "{\"v\":1.0}", "v", MATCH_NUMBER, "1", true },
	{ "{\"v\":1e0}", "v", MATCH_NUMBER, "1", true },
	{ "{\"v\":10E-1}", "v", MATCH_NUMBER, "1", true },
	{ "{\"v\":1e2}", "v", MATCH_NUMBER, "100", true },
	{ "{\"v\":-0}", "v", MATCH_NUMBER, "0", true },
	{ "{\"v\":1.5}", "v", MATCH_NUMBER, "1", false },
	{ "{\"v\":1}", "v", MATCH_STRING, "1.0", false },
	/* Paths: nested objects; absent; never through arrays; containers are no value. */
	{ "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "a.b.c", MATCH_STRING, "deep", true },
	{ "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "a.b", MATCH_STRING, "deep", false },
	{ "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "a.c", MATCH_STRING, "deep", false },
	{ "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "b.c", MATCH_STRING, "deep", false },
	{ "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "a.b.c.d", MATCH_STRING, "deep", false },
	{ "{\"x\":1}", "y", MATCH_NUMBER, "1", false },
	{ "{\"a\":[{\"b\":\"x\"}]}", "a.b", MATCH_STRING, "x", false },
	{ "{\"a\":[{\"b\":\"x\"}]}", "a.0.b", MATCH_STRING, "x", false },
	{ "{\"a\":[\"x\"]}", "a", MATCH_STRING, "x", false },
	{ "{\"a\":{\"b\":\"x\"}}", "a", MATCH_STRING, "x", false },
	{ "{\"a\":{}}", "a", MATCH_NULL, NULL, false },
	{ "{\"a\":[]}", "a", MATCH_NULL, NULL, false },
	{ "\"x\"", "", MATCH_STRING, "x", false },
	{ "[{\"a\":\"x\"}]", "a", MATCH_STRING, "x", false },
	/* A key given twice: the first wins, even when the first is no match. */
	{ "{\"k\":\"one\",\"k\":\"two\"}", "k", MATCH_STRING, "one", true },
	{ "{\"k\":\"one\",\"k\":\"two\"}", "k", MATCH_STRING, "two", false },
	{ "{\"k\":{},\"k\":\"two\"}", "k", MATCH_STRING, "two", false },
	/* Not one JSON value: no match holds. */
	{ "{\"k\":\"v\"", "k", MATCH_STRING, "v", false },
	{ "{\"k\":\"v\"} {}", "k", MATCH_STRING, "v", false },
	{ "{\"k\":\"v\"}x", "k", MATCH_STRING, "v", false },
	{ "k=v", "k", MATCH_STRING, "v", false },
	{ "", "k", MATCH_STRING, "v", false },
	/* Escapes are matched unescaped. */
	{ "{\"k\":\"caf\\u00e9\"}", "k", MATCH_STRING, "caf\xc3\xa9", true },
	{ "{\"k\":\"caf\\u00e9\"}", "k", MATCH_STRING, "caf\\u00e9", false },
	{ "{\"k\":\"a\\nb\"}", "k", MATCH_STRING, "a\nb", true },
	{ "{\"k\":\"a\\nb\"}", "k", MATCH_STRING, "a\\nb", false },
	{ "{\"\\u006b\":\"v\"}", "k", MATCH_STRING, "v", true },
	{ "{\"k\":\"a\\u0000b\"}", "k", MATCH_STRING, "a", false },
};

static void
test_match_cases(void **state)
{
	size_t i;

	for (i = 0; i < nitems_(MATCH_CASES); i++) {
		const struct match_case *c = &MATCH_CASES[i];

		if (matches(c->body, c->path, c->kind, c->value) != c->want)
			fail_msg("case %zu: %s %d %s in %s: got %s", i, c->path, c->kind,
			    c->value != NULL ? c->value : "-", c->body, c->want ? "refused" :
			    "taken");
	}
}

/* A body that is not JSON fails every match and keys "". */
static void
test_not_json(void **state)
{
	assert_false(matches("{\"k\":\"v\",}", "k", MATCH_STRING, "v"));
	assert_key("{\"k\":\"v\",}", "k", "");
	assert_key("nope", "k", "");
	assert_key("", "k", "");
	/* A NULL body of length 0 too. */
	assert_false(matches(NULL, "k", MATCH_STRING, "v"));
	assert_key(NULL, "k", "");
}

/* Every match of a route must hold. */
static void
test_all_matches(void **state)
{
	struct route_match m[3];
	struct route r = route_of("all3");
	char *key = NULL;

	m[0] = match_of("action", MATCH_STRING, "opened");
	m[1] = match_of("issue.number", MATCH_NUMBER, "7");
	m[2] = match_of("issue.locked", MATCH_FALSE, NULL);
	r.match = m;
	r.nmatch = nitems_(m);
	assert_true(select1(&r, "t",
	    "{\"action\":\"opened\",\"issue\":{\"number\":7,\"locked\":false}}", &key));
	assert_false(select1(&r, "t",
	    "{\"action\":\"closed\",\"issue\":{\"number\":7,\"locked\":false}}", &key));
	assert_false(select1(&r, "t",
	    "{\"action\":\"opened\",\"issue\":{\"number\":8,\"locked\":false}}", &key));
	assert_false(select1(&r, "t",
	    "{\"action\":\"opened\",\"issue\":{\"number\":7,\"locked\":true}}", &key));
	assert_false(select1(&r, "t", "{\"action\":\"opened\",\"issue\":{\"number\":7}}", &key));
	/* Two matches on one path: both must hold, so "a" and "b" never both do. */
	m[0] = match_of("k", MATCH_STRING, "a");
	m[1] = match_of("k", MATCH_STRING, "b");
	r.nmatch = 2;
	assert_false(select1(&r, "t", "{\"k\":\"a\"}", &key));
	assert_false(select1(&r, "t", "{\"k\":\"b\"}", &key));
}

/* Several routes naming different paths: one parse of the body, each decided alone. */
static void
test_routes_parse_once(void **state)
{
	char *types[] = { (char *)"push" };
	struct route_match ma = match_of("repo.name", MATCH_STRING, "hookq");
	struct route_match mb = match_of("ref", MATCH_STRING, "refs/heads/main");
	struct route_match mc = match_of("size", MATCH_NUMBER, "3");
	struct route a = route_of("a"), b = route_of("b"), c = route_of("c"), d = route_of("d");
	struct route e = route_of("e");
	const struct route *routes[] = { &a, &b, &c, &d, &e };
	struct route_event ev = event_of("push",
	    "{\"ref\":\"refs/heads/dev\",\"size\":3.0,\"repo\":{\"name\":\"hookq\",\"id\":9}}");
	bool accept[nitems_(routes)];
	char *keys[nitems_(routes)];
	size_t i;

	a.match = &ma;
	a.nmatch = 1;
	a.order = (char *)"repo.id";
	b.match = &mb;
	b.nmatch = 1;
	b.order = (char *)"ref";
	c.match = &mc;
	c.nmatch = 1;
	c.order = (char *)"repo.name";
	d.order_header = (char *)"x-tenant";
	e.events = types;
	e.nevents = 1;
	e.order = (char *)"missing";

	body_parses = header_parses = 0;
	route_select(routes, nitems_(routes), &ev, accept, keys);
	assert_int_equal(body_parses, 1);
	assert_int_equal(header_parses, 1);
	assert_true(accept[0]);
	assert_string_equal(keys[0], "9");
	assert_false(accept[1]);
	assert_null(keys[1]);
	assert_true(accept[2]);
	assert_string_equal(keys[2], "hookq");
	assert_true(accept[3]);
	assert_string_equal(keys[3], "acme");
	assert_true(accept[4]);
	assert_string_equal(keys[4], "");
	for (i = 0; i < nitems_(routes); i++)
		free(keys[i]);

	/* Routes refused by their events lists need no parse; nor a header order refused by a match. */
	ev.type = "issues";
	d.match = &mb;
	d.nmatch = 1;
	a.events = c.events = types;
	a.nevents = c.nevents = 1;
	body_parses = header_parses = 0;
	route_select(routes, nitems_(routes), &ev, accept, keys);
	assert_int_equal(body_parses, 1);
	assert_int_equal(header_parses, 0);
	for (i = 0; i < nitems_(routes); i++) {
		assert_false(accept[i]);
		assert_null(keys[i]);
	}
	b.match = NULL;
	b.nmatch = 0;
	b.order = NULL;
	d.match = NULL;
	d.nmatch = 0;
	body_parses = header_parses = 0;
	route_select(routes, nitems_(routes), &ev, accept, keys);
	assert_int_equal(body_parses, 0);
	assert_int_equal(header_parses, 1);
	assert_true(accept[1]);
	assert_null(keys[1]);
	assert_true(accept[3]);
	assert_string_equal(keys[3], "acme");
	free(keys[3]);

	/* No routes at all. */
	body_parses = header_parses = 0;
	route_select(routes, 0, &ev, accept, keys);
	assert_int_equal(body_parses + header_parses, 0);
}

/* Keys from the body: strings unescaped, numbers as written, the literals, else "". */
static void
test_order_keys(void **state)
{
	const char *body = "{\"s\":\"acme\",\"n\":12.50,\"big\":12345678901234567890,\"neg\":-1E+2,"
	    "\"t\":true,\"f\":false,\"z\":null,\"e\":\"\",\"o\":{\"id\":\"in\"},\"a\":[1],"
	    "\"u\":\"caf\\u00e9\",\"nl\":\"a\\nb\",\"nul\":\"a\\u0000b\",\"dup\":1,\"dup\":2}";

	assert_key(body, "s", "acme");
	assert_key(body, "n", "12.50");
	assert_key(body, "big", "12345678901234567890");
	assert_key(body, "neg", "-1E+2");
	assert_key(body, "t", "true");
	assert_key(body, "f", "false");
	assert_key(body, "z", "null");
	assert_key(body, "e", "");
	assert_key(body, "o.id", "in");
	assert_key(body, "o", "");
	assert_key(body, "a", "");
	assert_key(body, "missing", "");
	assert_key(body, "u", "caf\xc3\xa9");
	assert_key(body, "nl", "a\nb");
	assert_key(body, "nul", "");
	assert_key(body, "dup", "1");
}

/* Keys from a header: its value, "" when absent; a '.' in the name is part of it. */
static void
test_order_header(void **state)
{
	struct route r = route_of("h");
	char *key = NULL;

	r.order_header = (char *)"x-tenant";
	assert_true(select1(&r, "t", "not json: the body is not read", &key));
	assert_string_equal(key, "acme");
	free(key);
	r.order_header = (char *)"x-absent";
	assert_true(select1(&r, "t", "{}", &key));
	assert_string_equal(key, "");
	free(key);
	r.order_header = (char *)"x.dotted";
	assert_true(select1(&r, "t", "{}", &key));
	assert_string_equal(key, "dot");
	free(key);
	/* A container member is no header value. */
	r.order_header = (char *)"x";
	assert_true(select1(&r, "t", "{}", &key));
	assert_string_equal(key, "");
	free(key);

	/* Headers that are not JSON: "". */
	{
		const struct route *routes[] = { &r };
		struct route_event ev = event_of("t", "{}");
		bool accept;

		r.order_header = (char *)"x-tenant";
		ev.headers = "{\"x-tenant\":";
		ev.headers_len = strlen(ev.headers);
		route_select(routes, 1, &ev, &accept, &key);
		assert_true(accept);
		assert_string_equal(key, "");
		free(key);
	}
}

/* A value longer than 4096 bytes fails a match and keys ""; 4096 is fine. */
static void
test_long_value(void **state)
{
	char *v5000 = repeat('v', 5000), *v4096 = repeat('w', 4096), *body;
	size_t cap = 12000;

	body = malloc(cap);
	assert_non_null(body);
	snprintf(body, cap, "{\"k\":\"%s\",\"w\":\"%s\",\"after\":\"x\"}", v5000, v4096);
	assert_false(matches(body, "k", MATCH_STRING, v5000));
	assert_key(body, "k", "");
	assert_true(matches(body, "w", MATCH_STRING, v4096));
	assert_key(body, "w", v4096);
	assert_true(matches(body, "after", MATCH_STRING, "x"));

	/* A long number too. */
	snprintf(body, cap, "{\"n\":1%s}", v5000);
	memset(body + 6, '0', 5000);
	assert_false(matches(body, "n", MATCH_NUMBER, "1"));
	assert_key(body, "n", "");
	free(body);
	free(v5000);
	free(v4096);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_filters),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_match_cases),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_all_matches),
		cmocka_unit_test(test_routes_parse_once),
		cmocka_unit_test(test_order_keys),
		cmocka_unit_test(test_order_header),
		cmocka_unit_test(test_long_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
