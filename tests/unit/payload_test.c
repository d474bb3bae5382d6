/*
 * payload_test.c: JSON in and out (src/payload.c): the event id and type
 * read from a body by dotted path, the limits that refuse a body (depth,
 * value length, NUL, not JSON), the scalars routes read (every kind, the
 * first occurrence, the length limit, whole member names), and the request
 * headers written as a JSON object (order, omissions, repeats, escapes,
 * ISO-8859-1 values).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "headers.h"
#include "payload.h"

#define nitems_(a) (sizeof(a) / sizeof((a)[0]))

/* Extracts one path from a NUL-terminated body. */
static int
extract1(const char *body, const char *path, char **value, const char **reason)
{
	const char *paths[] = { path };

	*reason = NULL;
	return payload_extract((const unsigned char *)body, strlen(body), PAYLOAD_MAX_VALUE,
	    paths, value, 1, reason);
}

/* Asserts that body parses and path holds want (NULL: nothing). */
static void
assert_extracts(const char *body, const char *path, const char *want)
{
	const char *reason;
	char *v;

	if (extract1(body, path, &v, &reason) != 0)
		fail_msg("%s refused: %s", body, reason);
	if (want == NULL && v != NULL)
		fail_msg("%s in %s: got \"%s\", want nothing", path, body, v);
	if (want != NULL && (v == NULL || strcmp(v, want) != 0))
		fail_msg("%s in %s: got %s%s%s, want \"%s\"", path, body, v ? "\"" : "",
		    v ? v : "nothing", v ? "\"" : "", want);
	free(v);
}

/* Asserts that len bytes of body are refused, with a reason holding why (if not NULL). */
static void
assert_refused_len(const char *body, size_t len, const char *why)
{
	const char *paths[] = { "id", "type" };
	char sentinel, *values[2] = { &sentinel, &sentinel };
	const char *reason = NULL;

	if (payload_extract((const unsigned char *)body, len, PAYLOAD_MAX_VALUE,
	    paths, values, 2, &reason) != -1)
		fail_msg("accepted: %.*s", (int)(len < 200 ? len : 200), body);
	assert_non_null(reason);
	if (why != NULL && strstr(reason, why) == NULL)
		fail_msg("reason \"%s\" does not say \"%s\"", reason, why);
	assert_null(values[0]);
	assert_null(values[1]);
}

static void
assert_refused(const char *body, const char *why)
{
	assert_refused_len(body, strlen(body), why);
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

/* Top-level keys give their string values. */
static void
test_top_level(void **state)
{
	assert_extracts("{\"id\":\"evt_1\",\"type\":\"push\"}", "id", "evt_1");
	assert_extracts("{\"id\":\"evt_1\",\"type\":\"push\"}", "type", "push");
	assert_extracts(" \n\t{ \"id\" : \"evt_1\" } \n", "id", "evt_1");
}

/* Dotted paths go through nested objects; a container at the path gives nothing. */
static void
test_dotted(void **state)
{
	const char *body = "{\"type\":\"t\",\"data\":{\"x\":{\"id\":\"no\"},\"object\":{\"id\":\"obj_1\","
	    "\"n\":{}},\"after\":\"a\"},\"id\":\"top\"}";

	assert_extracts(body, "data.object.id", "obj_1");
	assert_extracts(body, "data.x.id", "no");
	assert_extracts(body, "data.after", "a");
	assert_extracts(body, "id", "top");
	assert_extracts(body, "data.object", NULL);
	assert_extracts(body, "data", NULL);
	assert_extracts(body, "data.object.n", NULL);
	assert_extracts(body, "data.object.id.more", NULL);
	assert_extracts(body, "object.id", NULL);
	assert_extracts(body, "data.object.", NULL);
	assert_extracts(body, ".data.object.id", NULL);
}

/* Only the whole key matches: no prefixes, no suffixes. */
static void
test_exact_keys(void **state)
{
	assert_extracts("{\"identity\":\"x\",\"i\":\"y\"}", "id", NULL);
	assert_extracts("{\"data\":{\"idx\":\"x\"},\"dat\":{\"id\":\"y\"}}", "data.id", NULL);
	assert_extracts("{\"ID\":\"x\"}", "id", NULL);
}

/* Numbers are kept as written. */
static void
test_numbers(void **state)
{
	const char *body = "{\"price\":12.50,\"big\":12345678901234567890123,\"e\":-3E+02,"
	    "\"zero\":0,\"d\":{\"n\":42}}";

	assert_extracts(body, "price", "12.50");
	assert_extracts(body, "big", "12345678901234567890123");
	assert_extracts(body, "e", "-3E+02");
	assert_extracts(body, "zero", "0");
	assert_extracts(body, "d.n", "42");
}

/* A missing path, an empty string, null, booleans and containers give nothing. */
static void
test_nothing_there(void **state)
{
	const char *body = "{\"empty\":\"\",\"null\":null,\"t\":true,\"f\":false,\"o\":{},"
	    "\"a\":[],\"a1\":[\"x\"],\"s\":\"x\"}";

	assert_extracts(body, "missing", NULL);
	assert_extracts(body, "empty", NULL);
	assert_extracts(body, "null", NULL);
	assert_extracts(body, "t", NULL);
	assert_extracts(body, "f", NULL);
	assert_extracts(body, "o", NULL);
	assert_extracts(body, "a", NULL);
	assert_extracts(body, "a1", NULL);
	assert_extracts(body, "s.x", NULL);
	assert_extracts(body, "", NULL);
	/* A body that is not an object has no paths. */
	assert_extracts("\"id\"", "id", NULL);
	assert_extracts("42", "id", NULL);
	assert_extracts("null", "id", NULL);
	assert_extracts("[]", "id", NULL);
}

/* Paths never go through arrays, and keys after an array still match. */
static void
test_arrays(void **state)
{
	const char *body = "{\"items\":[{\"id\":\"a\"},[\"b\"]],\"list\":[\"x\",1],"
	    "\"d\":{\"arr\":[{\"id\":\"in\"}],\"id\":\"after\"},\"id\":\"top\"}";

	assert_extracts(body, "items.id", NULL);
	assert_extracts(body, "items.0.id", NULL);
	assert_extracts(body, "items.0", NULL);
	assert_extracts(body, "items", NULL);
	assert_extracts(body, "list", NULL);
	assert_extracts(body, "d.arr.id", NULL);
	assert_extracts(body, "d.id", "after");
	assert_extracts(body, "id", "top");
	assert_extracts("[{\"id\":\"x\"}]", "id", NULL);
	assert_extracts("[{\"id\":\"x\"},{\"d\":{\"id\":\"y\"}}]", "d.id", NULL);
}

/* With a key given twice, the first string or number wins. */
static void
test_duplicates(void **state)
{
	assert_extracts("{\"id\":\"first\",\"id\":\"second\"}", "id", "first");
	assert_extracts("{\"id\":1,\"id\":\"second\"}", "id", "1");
	assert_extracts("{\"d\":{\"id\":\"1\"},\"d\":{\"id\":\"2\"}}", "d.id", "1");
	assert_extracts("{\"d\":{\"id\":\"1\"},\"d\":{\"id\":\"2\"}}", "d.id", "1");
	assert_extracts("{\"d\":{\"x\":{\"id\":\"deep\"},\"id\":\"1\"}}", "d.id", "1");
}

/* Two paths are read in one pass, in any order in the body. */
static void
test_two_paths(void **state)
{
	const char *paths[] = { "data.id", "type", "data.id" };
	const char *body = "{\"type\":\"invoice.paid\",\"data\":{\"id\":\"in_1\"}}";
	char *values[3];
	const char *reason = NULL;

	assert_int_equal(payload_extract((const unsigned char *)body, strlen(body), PAYLOAD_MAX_VALUE,
	    paths,
	    values, 3, &reason), 0);
	assert_string_equal(values[0], "in_1");
	assert_string_equal(values[1], "invoice.paid");
	assert_string_equal(values[2], "in_1");
	assert_ptr_not_equal(values[0], values[2]);
	free(values[0]);
	free(values[1]);
	free(values[2]);

	/* No paths at all: the body is still checked. */
	assert_int_equal(payload_extract((const unsigned char *)body, strlen(body), PAYLOAD_MAX_VALUE,
	    paths,
	    values, 0, &reason), 0);
	assert_int_equal(payload_extract((const unsigned char *)"{", 1, PAYLOAD_MAX_VALUE,
	    paths, values, 0,
	    &reason), -1);
}

/* Escaped strings come out unescaped, in keys as in values. */
static void
test_escapes(void **state)
{
	assert_extracts("{\"id\":\"a\\\"b\"}", "id", "a\"b");
	assert_extracts("{\"id\":\"a\\\\b\\/c\"}", "id", "a\\b/c");
	assert_extracts("{\"id\":\"\\u00e9\"}", "id", "\xc3\xa9");
	assert_extracts("{\"id\":\"\\ud83d\\ude00\"}", "id", "\xf0\x9f\x98\x80");
	assert_extracts("{\"id\":\"tab\\there\"}", "id", "tab\there");
	assert_extracts("{\"id\":\"\xc3\xa9t\xc3\xa9\"}", "id", "\xc3\xa9t\xc3\xa9");
	assert_extracts("{\"i\\u0064\":\"x\"}", "id", "x");
	assert_extracts("{\"d\\u0061ta\":{\"id\":\"y\"}}", "data.id", "y");
}

/* Nesting of exactly 64 levels is read; 65 is refused as too deep. */
static void
test_depth(void **state)
{
	char body[2048], path[512];
	size_t o = 0, p = 0;
	int i;

	/* 64 objects: {"a":{"a":...{"id":"x"}...}} */
	for (i = 0; i < 63; i++) {
		o += (size_t)snprintf(body + o, sizeof(body) - o, "{\"a\":");
		p += (size_t)snprintf(path + p, sizeof(path) - p, "a.");
	}
	o += (size_t)snprintf(body + o, sizeof(body) - o, "{\"id\":\"x\"}");
	snprintf(path + p, sizeof(path) - p, "id");
	for (i = 0; i < 63; i++)
		body[o++] = '}';
	body[o] = '\0';
	assert_extracts(body, path, "x");

	/* 65 objects. */
	memmove(body + 5, body, o + 1);
	memcpy(body, "{\"a\":", 5);
	strcat(body, "}");
	assert_refused(body, "deeper");

	/* 64 and 65 arrays. */
	memset(body, '[', 64);
	memset(body + 64, ']', 64);
	body[128] = '\0';
	assert_extracts(body, "id", NULL);
	memset(body, '[', 65);
	memset(body + 65, ']', 65);
	body[130] = '\0';
	assert_refused(body, "deeper");

	/* Depth counts arrays and objects together. */
	o = 0;
	for (i = 0; i < 32; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "{\"a\":[");
	o += (size_t)snprintf(body + o, sizeof(body) - o, "{}");
	for (i = 0; i < 32; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "]}");
	assert_refused(body, "deeper");

	/* Going back up frees the depth again: many siblings of depth 64 are fine. */
	o = 0;
	body[o++] = '[';
	for (i = 0; i < 3; i++) {
		memset(body + o, '[', 63);
		memset(body + o + 63, ']', 63);
		o += 126;
		body[o++] = ',';
	}
	body[o - 1] = ']';
	body[o] = '\0';
	assert_extracts(body, "id", NULL);
}

/* What is not exactly one JSON value is refused. */
static void
test_not_json(void **state)
{
	static const char *const bodies[] = {
		"{",
		"{\"id\":\"x\"",
		"{\"id\":\"x",
		"{\"id\":",
		"{\"id\":\"x\"} x",
		"{\"id\":\"x\"}garbage",
		"{} {}",
		"{\"id\":\"x\"}{\"id\":\"y\"}",
		"{\"id\":\"x\"}\n{\"id\":\"y\"}",
		"1 2",
		"nope",
		"{'id':'x'}",
		"{\"id\":\"x\",}",
		"{\"id\" \"x\"}",
		"{id:\"x\"}",
		"[1,]",
		"{\"id\":\"bad \\q escape\"}",
		"{\"id\":\"\xff\"}",
		"{\"id\":01}",
		" ",
		"",
	};
	size_t i;

	for (i = 0; i < nitems_(bodies); i++)
		assert_refused(bodies[i], "not valid JSON");
	/* An empty body given as a NULL pointer too. */
	assert_refused_len(NULL, 0, NULL);
	/* A body cut short is refused even where the text so far is a value. */
	assert_refused_len("{\"id\":\"x\"}", 9, "not valid JSON");
	assert_refused_len("{\"id\":12}", 8, "not valid JSON");
}

/* A value of 256 bytes is kept; 257 is refused, counting bytes once unescaped. */
static void
test_value_length(void **state)
{
	char *v256 = repeat('v', 256), *v257 = repeat('v', 257), *body, *got;
	const char *reason;
	size_t i, cap = 4096;

	body = malloc(cap);
	assert_non_null(body);
	snprintf(body, cap, "{\"id\":\"%s\"}", v256);
	assert_extracts(body, "id", v256);
	snprintf(body, cap, "{\"id\":%s}", v256 + 1);
	memset(body + 6, '1', 255);
	assert_int_equal(extract1(body, "id", &got, &reason), 0);
	assert_int_equal(strlen(got), 255);
	free(got);

	snprintf(body, cap, "{\"id\":\"%s\"}", v257);
	assert_refused(body, "longer than 256");
	/* A long number too. */
	snprintf(body, cap, "{\"id\":1%s}", v256);
	memset(body + 7, '0', 256);
	assert_refused(body, "longer than 256");
	/* Only values at a wanted path count. */
	snprintf(body, cap, "{\"other\":\"%s\",\"id\":\"x\"}", v257);
	assert_extracts(body, "id", "x");

	/* 128 escaped e-acute are 256 bytes; 129 are 258. */
	strcpy(body, "{\"id\":\"");
	for (i = 0; i < 128; i++)
		strcat(body, "\\u00e9");
	strcat(body, "\"}");
	assert_int_equal(extract1(body, "id", &got, &reason), 0);
	assert_non_null(got);
	assert_int_equal(strlen(got), 256);
	free(got);
	body[strlen(body) - 2] = '\0';
	strcat(body, "\\u00e9\"}");
	assert_refused(body, "longer than 256");
	free(body);
	free(v256);
	free(v257);
}

/* A value holding \u0000 is refused; elsewhere in the body it does not matter. */
static void
test_nul(void **state)
{
	assert_refused("{\"id\":\"a\\u0000b\"}", "NUL");
	assert_refused("{\"type\":\"\\u0000\"}", "NUL");
	assert_extracts("{\"note\":\"a\\u0000b\",\"id\":\"x\"}", "id", "x");
}

/* A 1 MiB body with the id at its very end is read. */
static void
test_big_body(void **state)
{
	size_t n = 1024 * 1024, o;
	char *body = malloc(n + 64), *v;
	const char *paths[] = { "id", "type" }, *reason = NULL;
	char *values[2];

	assert_non_null(body);
	o = (size_t)sprintf(body, "{\"pad\":\"");
	memset(body + o, 'p', n - o - 64);
	o = n - 64;
	o += (size_t)sprintf(body + o, "\",\"list\":[1,2,3],\"type\":\"big\",\"id\":\"at-the-end\"}");
	assert_int_equal(payload_extract((const unsigned char *)body, o, PAYLOAD_MAX_VALUE,
	    paths, values, 2,
	    &reason), 0);
	assert_string_equal(values[0], "at-the-end");
	assert_string_equal(values[1], "big");
	free(values[0]);
	free(values[1]);

	/* Many small values before the id, in an array of some 70000 objects. */
	o = (size_t)sprintf(body, "{\"items\":[");
	while (o < n - 64)
		o += (size_t)sprintf(body + o, "{\"id\":%zu},", o);
	o += (size_t)sprintf(body + o, "0],\"id\":\"last\"}");
	assert_int_equal(extract1(body, "id", &v, &reason), 0);
	assert_string_equal(v, "last");
	free(v);
	free(body);
}

/* Keys of 2000 characters neither crash nor match anything. */
static void
test_long_keys(void **state)
{
	char *key = repeat('k', 2000), *body, *path;
	const char *paths[3], *reason = NULL;
	char *values[3];
	size_t cap = 9000;

	body = malloc(cap);
	path = malloc(cap);
	assert_non_null(body);
	assert_non_null(path);
	snprintf(body, cap, "{\"%s\":\"long\",\"%s\":{\"id\":\"nested\",\"%s\":{\"id\":\"deeper\"}},"
	    "\"id\":\"top\"}", key, key + 1, key);
	snprintf(path, cap, "%s.id", key + 1);
	paths[0] = key;
	paths[1] = path;
	paths[2] = "id";
	assert_int_equal(payload_extract((const unsigned char *)body, strlen(body), PAYLOAD_MAX_VALUE,
	    paths,
	    values, 3, &reason), 0);
	assert_null(values[0]);
	assert_null(values[1]);
	assert_string_equal(values[2], "top");
	free(values[2]);

	/* What follows a long key is not taken for a top-level key. */
	snprintf(body, cap, "{\"%s\":{\"id\":\"nested\"}}", key);
	assert_extracts(body, "id", NULL);
	/* Nor for a shorter key's child. */
	snprintf(body, cap, "{\"a\":{\"%s\":{\"id\":\"x\"},\"%s\":\"y\"},\"a\":{\"id\":\"z\"}}",
	    key, key + 1000);
	assert_extracts(body, "a.id", "z");
	/* A long chain of medium keys is fine too. */
	snprintf(body, cap, "{\"%.300s\":{\"%.300s\":{\"%.300s\":{\"%.300s\":{\"id\":1}}}},\"id\":2}",
	    key, key, key, key);
	assert_extracts(body, "id", "2");
	free(body);
	free(path);
	free(key);
}

/* After a failure every value is NULL, even those found before it. */
static void
test_failure_clears(void **state)
{
	char *v257 = repeat('x', 257), body[512];

	snprintf(body, sizeof(body), "{\"id\":\"first\",\"type\":\"%s\"}", v257);
	assert_refused(body, "longer than 256");
	assert_refused("{\"id\":\"first\",\"type\":\"push\"} trailing", "not valid JSON");
	assert_refused("{\"id\":\"first\",\"type\":\"push\"", "not valid JSON");
	assert_refused("{\"id\":\"first\",\"type\":\"a\\u0000\"}", "NUL");
	free(v257);
}

/* payload_scalars() over a NUL-terminated body; asserts its result. */
static void
scalars(const char *body, const char *const *paths, struct payload_scalar *out, size_t n,
    int flags, int want)
{
	const char *reason = NULL;

	assert_int_equal(payload_scalars((const unsigned char *)body, strlen(body), paths, out, n,
	    flags, &reason), want);
	if (want == -1)
		assert_non_null(reason);
}

/* Every kind at a path, the first occurrence whatever it is, and the length limit. */
static void
test_scalars(void **state)
{
	static const char *const paths[] = { "s", "n", "t", "f", "z", "o", "a", "missing",
	    "d.k", "dup", "e", "in.x", "" };
	const char *body = "{\"s\":\"caf\\u00e9\\n\",\"n\":-1.50E+2,\"t\":true,\"f\":false,"
	    "\"z\":null,\"o\":{\"x\":1},\"a\":[1],\"d\":{\"k\":\"v\"},\"dup\":{},\"dup\":\"2\","
	    "\"e\":\"\",\"in\":[{\"x\":1}]}";
	struct payload_scalar out[nitems_(paths)];
	char *big;

	scalars(body, paths, out, nitems_(paths), 0, 0);
	assert_int_equal(out[0].kind, PAYLOAD_STRING);
	assert_int_equal(out[0].len, 6);
	assert_string_equal(out[0].text, "caf\xc3\xa9\n");
	assert_int_equal(out[1].kind, PAYLOAD_NUMBER);
	assert_string_equal(out[1].text, "-1.50E+2");
	assert_int_equal(out[2].kind, PAYLOAD_TRUE);
	assert_null(out[2].text);
	assert_int_equal(out[3].kind, PAYLOAD_FALSE);
	assert_int_equal(out[4].kind, PAYLOAD_NULL);
	assert_int_equal(out[5].kind, PAYLOAD_CONTAINER);
	assert_null(out[5].text);
	assert_int_equal(out[6].kind, PAYLOAD_CONTAINER);
	assert_int_equal(out[7].kind, PAYLOAD_NONE);
	assert_int_equal(out[8].kind, PAYLOAD_STRING);
	assert_string_equal(out[8].text, "v");
	assert_int_equal(out[9].kind, PAYLOAD_CONTAINER);
	assert_int_equal(out[10].kind, PAYLOAD_STRING);
	assert_int_equal(out[10].len, 0);
	assert_int_equal(out[11].kind, PAYLOAD_NONE);
	assert_int_equal(out[12].kind, PAYLOAD_NONE);
	payload_scalars_clear(out, nitems_(paths));
	assert_null(out[0].text);
	assert_int_equal(out[0].kind, PAYLOAD_NONE);

	/* A NUL is kept, with the length. */
	scalars("{\"s\":\"a\\u0000b\"}", paths, out, 1, 0, 0);
	assert_int_equal(out[0].kind, PAYLOAD_STRING);
	assert_int_equal(out[0].len, 3);
	assert_memory_equal(out[0].text, "a\0b", 4);
	payload_scalars_clear(out, 1);

	/* PAYLOAD_MAX_SCALAR bytes are kept; one more is PAYLOAD_TOO_LONG, and the body still read. */
	big = malloc(2 * PAYLOAD_MAX_SCALAR + 64);
	assert_non_null(big);
	snprintf(big, 2 * PAYLOAD_MAX_SCALAR + 64, "{\"s\":\"%0*d\",\"n\":1%0*d,\"t\":true}",
	    PAYLOAD_MAX_SCALAR, 0, PAYLOAD_MAX_SCALAR, 0);
	scalars(big, paths, out, 3, 0, 0);
	assert_int_equal(out[0].kind, PAYLOAD_STRING);
	assert_int_equal(out[0].len, PAYLOAD_MAX_SCALAR);
	assert_int_equal(out[1].kind, PAYLOAD_TOO_LONG);
	assert_null(out[1].text);
	assert_int_equal(out[2].kind, PAYLOAD_TRUE);
	payload_scalars_clear(out, 3);
	free(big);

	/* Not JSON: everything NONE, what was found before cleared. */
	scalars("{\"s\":\"x\",\"t\":true", paths, out, 3, 0, -1);
	assert_int_equal(out[0].kind, PAYLOAD_NONE);
	assert_null(out[0].text);
	assert_int_equal(out[2].kind, PAYLOAD_NONE);
	payload_scalars_clear(out, 3);
}

/* PAYLOAD_KEYS: paths are whole member names of the top object, dots and all. */
static void
test_scalars_keys(void **state)
{
	static const char *const names[] = { "x.y", "x", "a.b", "x-id" };
	const char *body = "{\"x\":{\"y\":\"nested\"},\"a\":{\"b\":\"nested\"},\"x.y\":\"dotted\","
	    "\"x-id\":\"1\"}";
	struct payload_scalar out[nitems_(names)];

	scalars(body, names, out, nitems_(names), PAYLOAD_KEYS, 0);
	assert_int_equal(out[0].kind, PAYLOAD_STRING);
	assert_string_equal(out[0].text, "dotted");
	assert_int_equal(out[1].kind, PAYLOAD_CONTAINER);
	assert_int_equal(out[2].kind, PAYLOAD_NONE);
	assert_string_equal(out[3].text, "1");
	payload_scalars_clear(out, nitems_(names));

	/* Without the flag, the first of the two "x.y" in the body wins. */
	scalars(body, names, out, 1, 0, 0);
	assert_string_equal(out[0].text, "nested");
	payload_scalars_clear(out, 1);
}

static int strict_utf8(const unsigned char *, size_t);

/* Returns the headers' JSON, checking that *len is its length. */
static char *
headers_json(const struct headers *h, const char *const *omit)
{
	size_t len = 12345;
	char *json = payload_headers_json(h, omit, &len);

	assert_non_null(json);
	assert_int_equal(len, strlen(json));
	return json;
}

/* The headers come out as one JSON object in arrival order. */
static void
test_headers_json(void **state)
{
	struct headers h;
	char *json;

	headers_init(&h);
	headers_add(&h, "Host", "example.com");
	headers_add(&h, "Content-Type", "application/json");
	headers_add(&h, "X-GitHub-Event", "push");
	headers_add(&h, "Accept", "*/*");
	json = headers_json(&h, NULL);
	assert_string_equal(json, "{\"host\":\"example.com\",\"content-type\":\"application/json\","
	    "\"x-github-event\":\"push\",\"accept\":\"*/*\"}");
	free(json);
	headers_clear(&h);
}

/* Many headers parse back with yajl, every name and value in order. */
static void
test_headers_json_parse(void **state)
{
	struct headers h;
	char *json, name[32], value[64], err[256];
	yajl_val v;
	size_t i;

	headers_init(&h);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "X-H-%02zu", 39 - i);
		snprintf(value, sizeof(value), "value %zu", i);
		headers_add(&h, name, value);
	}
	json = headers_json(&h, NULL);
	v = yajl_tree_parse(json, err, sizeof(err));
	if (v == NULL)
		fail_msg("not JSON (%s): %s", err, json);
	assert_true(YAJL_IS_OBJECT(v));
	assert_int_equal(YAJL_GET_OBJECT(v)->len, 40);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "x-h-%02zu", 39 - i);
		snprintf(value, sizeof(value), "value %zu", i);
		assert_string_equal(YAJL_GET_OBJECT(v)->keys[i], name);
		assert_true(YAJL_IS_STRING(YAJL_GET_OBJECT(v)->values[i]));
		assert_string_equal(YAJL_GET_STRING(YAJL_GET_OBJECT(v)->values[i]), value);
	}
	yajl_tree_free(v);
	free(json);
	headers_clear(&h);
}

/* Names in the omit list are left out, every occurrence of them. */
static void
test_headers_json_omit(void **state)
{
	static const char *const omit[] = { "authorization", "cookie", NULL };
	static const char *const none[] = { NULL };
	struct headers h;
	char *json;

	headers_init(&h);
	headers_add(&h, "Authorization", "Basic c2VjcmV0");
	headers_add(&h, "Host", "h");
	headers_add(&h, "Cookie", "a=1");
	headers_add(&h, "X-Id", "1");
	headers_add(&h, "cookie", "b=2");
	json = headers_json(&h, omit);
	assert_string_equal(json, "{\"host\":\"h\",\"x-id\":\"1\"}");
	free(json);
	json = headers_json(&h, none);
	assert_string_equal(json, "{\"authorization\":\"Basic c2VjcmV0\",\"host\":\"h\","
	    "\"cookie\":\"a=1, b=2\",\"x-id\":\"1\"}");
	free(json);
	headers_clear(&h);
}

/* A repeated header is one member, its values joined with ", " in arrival order. */
static void
test_headers_json_repeated(void **state)
{
	struct headers h;
	char *json;

	headers_init(&h);
	headers_add(&h, "Accept", "text/html");
	headers_add(&h, "Host", "h");
	headers_add(&h, "ACCEPT", "application/json");
	headers_add(&h, "X-Only", "");
	headers_add(&h, "accept", "*/*");
	json = headers_json(&h, NULL);
	assert_string_equal(json, "{\"accept\":\"text/html, application/json, */*\","
	    "\"host\":\"h\",\"x-only\":\"\"}");
	free(json);
	headers_clear(&h);
}

/* Quotes, backslashes and control characters are escaped and read back exactly. */
static void
test_headers_json_escapes(void **state)
{
	static const char value[] = "say \"hi\" \\ there\n\r\t\x01\x1f\x7f / end";
	const char *path[] = { "x-odd", NULL };
	struct headers h;
	char *json, err[256];
	yajl_val v, s;
	size_t i;

	headers_init(&h);
	headers_add(&h, "X-Odd", value);
	headers_add(&h, "X-\"Quoted\"", "q");
	json = headers_json(&h, NULL);
	for (i = 0; json[i] != '\0'; i++)
		if ((unsigned char)json[i] < 0x20)
			fail_msg("raw control character 0x%02x in %s", json[i], json);
	v = yajl_tree_parse(json, err, sizeof(err));
	if (v == NULL)
		fail_msg("not JSON (%s): %s", err, json);
	s = yajl_tree_get(v, path, yajl_t_string);
	assert_non_null(s);
	assert_string_equal(YAJL_GET_STRING(s), value);
	assert_string_equal(YAJL_GET_OBJECT(v)->keys[1], "x-\"quoted\"");
	yajl_tree_free(v);
	free(json);
	headers_clear(&h);
}

/* A value that is not UTF-8 is read as ISO-8859-1; UTF-8 passes through. */
static void
test_headers_json_latin1(void **state)
{
	struct headers h;
	char *json, err[256];
	yajl_val v;

	headers_init(&h);
	headers_add(&h, "X-Latin", "\xe9t\xe9");
	headers_add(&h, "X-Utf8", "\xc3\xa9t\xc3\xa9");
	headers_add(&h, "X-Cut", "ab\xc3");
	headers_add(&h, "X-All", "\xa0\xff");
	json = headers_json(&h, NULL);
	assert_string_equal(json, "{\"x-latin\":\"\xc3\xa9t\xc3\xa9\",\"x-utf8\":\"\xc3\xa9t\xc3\xa9\","
	    "\"x-cut\":\"ab\xc3\x83\",\"x-all\":\"\xc2\xa0\xc3\xbf\"}");
	assert_true(strict_utf8((const unsigned char *)json, strlen(json)));
	v = yajl_tree_parse(json, err, sizeof(err));
	if (v == NULL)
		fail_msg("not JSON (%s): %s", err, json);
	yajl_tree_free(v);
	free(json);
	headers_clear(&h);
}

/*
 * A name that is not UTF-8 is read as ISO-8859-1 too, and may then be the
 * name of another header ("\xe9" and "\xc3\xa9" are both "é"): the two are
 * one member, joined as repeats are, never one name twice (headers_fuzz).
 */
static void
test_headers_json_latin1_name(void **state)
{
	struct headers h;
	char *json;

	headers_init(&h);
	headers_add(&h, "X-\xc3\xa9", "utf8");
	headers_add(&h, "X-A", "a");
	headers_add(&h, "X-\xe9", "latin");
	json = headers_json(&h, NULL);
	assert_string_equal(json, "{\"x-\xc3\xa9\":\"utf8, latin\",\"x-a\":\"a\"}");
	free(json);
	headers_clear(&h);

	headers_init(&h);
	headers_add(&h, "X-\xe9", "latin");
	headers_add(&h, "X-\xc3\xa9", "utf8");
	json = headers_json(&h, NULL);
	assert_string_equal(json, "{\"x-\xc3\xa9\":\"latin, utf8\"}");
	free(json);
	headers_clear(&h);
}

/* True when s is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or code points past U+10FFFF). */
static int
strict_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	unsigned long cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (i + n >= len)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* Byte sequences that are not well-formed UTF-8 are read as ISO-8859-1 too. */
static void
test_headers_json_strict_utf8(void **state)
{
	static const struct {
		const char *value;
		const char *json;
	} cases[] = {
		/* An overlong '/'. */
		{ "\xc0\xaf", "{\"x\":\"\xc3\x80\xc2\xaf\"}" },
		/* A UTF-16 surrogate, U+D800, encoded as if it were a character. */
		{ "\xed\xa0\x80", "{\"x\":\"\xc3\xad\xc2\xa0\xc2\x80\"}" },
		/* U+110000, past the last code point. */
		{ "\xf4\x90\x80\x80", "{\"x\":\"\xc3\xb4\xc2\x90\xc2\x80\xc2\x80\"}" },
	};
	struct headers h;
	char *json, report[1024];
	size_t i, r = 0;

	report[0] = '\0';
	for (i = 0; i < nitems_(cases); i++) {
		headers_init(&h);
		headers_add(&h, "X", cases[i].value);
		json = headers_json(&h, NULL);
		if (!strict_utf8((const unsigned char *)json, strlen(json)) ||
		    strcmp(json, cases[i].json) != 0) {
			size_t j;

			r += (size_t)snprintf(report + r, sizeof(report) - r, "\ncase %zu: got ", i);
			for (j = 0; json[j] != '\0' && r < sizeof(report) - 8; j++) {
				unsigned char c = (unsigned char)json[j];

				if (c < 0x80)
					report[r++] = (char)c;
				else
					r += (size_t)snprintf(report + r, sizeof(report) - r, "\\x%02x", c);
			}
			report[r] = '\0';
		}
		free(json);
		headers_clear(&h);
	}
	if (r > 0)
		fail_msg("not read as ISO-8859-1:%s", report);
}

/* No headers make "{}". */
static void
test_headers_json_empty(void **state)
{
	static const char *const omit[] = { "host", NULL };
	struct headers h;
	char *json;

	headers_init(&h);
	json = headers_json(&h, NULL);
	assert_string_equal(json, "{}");
	free(json);
	/* Nor do headers that are all omitted. */
	headers_add(&h, "Host", "h");
	json = headers_json(&h, omit);
	assert_string_equal(json, "{}");
	free(json);
	headers_clear(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_level),
		cmocka_unit_test(test_dotted),
		cmocka_unit_test(test_exact_keys),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_nothing_there),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_two_paths),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_value_length),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_big_body),
		cmocka_unit_test(test_long_keys),
		cmocka_unit_test(test_failure_clears),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_scalars_keys),
		cmocka_unit_test(test_headers_json),
		cmocka_unit_test(test_headers_json_parse),
		cmocka_unit_test(test_headers_json_omit),
		cmocka_unit_test(test_headers_json_repeated),
		cmocka_unit_test(test_headers_json_escapes),
		cmocka_unit_test(test_headers_json_latin1),
		cmocka_unit_test(test_headers_json_latin1_name),
		cmocka_unit_test(test_headers_json_strict_utf8),
		cmocka_unit_test(test_headers_json_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
