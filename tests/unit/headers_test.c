/*
 * headers_test.c: the request header list (src/headers.c): lower-case
 * names, copied values, first-match lookup, and headers rebuilt from the
 * CGI variables nginx passes over FastCGI.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "headers.h"

/* headers_add lower-cases the name and keeps copies of name and value. */
static void
test_add(void **state)
{
	struct headers h;
	char name[] = "X-GitHub-Event", value[] = "push";

	headers_init(&h);
	assert_int_equal(h.n, 0);
	headers_add(&h, name, value);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.v[0].name, "x-github-event");
	assert_string_equal(h.v[0].value, "push");
	assert_ptr_not_equal(h.v[0].name, name);
	assert_ptr_not_equal(h.v[0].value, value);
	/* The caller's strings are its own: changing them changes nothing here. */
	strcpy(name, "X-Changed-Xyz!");
	strcpy(value, "pull");
	assert_string_equal(h.v[0].name, "x-github-event");
	assert_string_equal(h.v[0].value, "push");
	/* Only A-Z is lowered; values are kept as given. */
	headers_add(&h, "X_Odd-Name.1\xc3\x89", "Mixed Case VALUE");
	assert_string_equal(h.v[1].name, "x_odd-name.1\xc3\x89");
	assert_string_equal(h.v[1].value, "Mixed Case VALUE");
	headers_add(&h, "Empty", "");
	assert_string_equal(headers_get(&h, "empty"), "");
	headers_clear(&h);
}

/* headers_get finds the first header of a name, by its lower-case name. */
static void
test_get(void **state)
{
	struct headers h;

	headers_init(&h);
	assert_null(headers_get(&h, "host"));
	headers_add(&h, "Accept", "one");
	headers_add(&h, "Host", "h");
	headers_add(&h, "ACCEPT", "two");
	assert_string_equal(headers_get(&h, "accept"), "one");
	assert_string_equal(headers_get(&h, "host"), "h");
	assert_null(headers_get(&h, "Host"));
	assert_null(headers_get(&h, "hos"));
	assert_null(headers_get(&h, "hostx"));
	assert_null(headers_get(&h, ""));
	assert_int_equal(h.n, 3);
	headers_clear(&h);
}

/* Hundreds of headers are kept, in order. */
static void
test_many(void **state)
{
	struct headers h;
	char name[32], value[32];
	size_t i;

	headers_init(&h);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "X-H%zu", i);
		snprintf(value, sizeof(value), "v%zu", i);
		headers_add(&h, name, value);
	}
	assert_int_equal(h.n, 300);
	assert_true(h.cap >= h.n);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "x-h%zu", i);
		snprintf(value, sizeof(value), "v%zu", i);
		assert_string_equal(h.v[i].name, name);
		assert_string_equal(headers_get(&h, name), value);
	}
	headers_clear(&h);
}

/* HTTP_* variables become header names: '_' to '-', lower case. */
static void
test_cgi_names(void **state)
{
	char *envp[] = {
		"HTTP_X_HUB_SIGNATURE_256=sha256=abc",
		"HTTP_HOST=example.com",
		"HTTP_USER_AGENT=GitHub-Hookshot/1",
		"HTTP_X=short",
		NULL,
	};
	struct headers h;

	headers_init(&h);
	headers_add_cgi(&h, envp);
	assert_int_equal(h.n, 4);
	assert_string_equal(h.v[0].name, "x-hub-signature-256");
	assert_string_equal(h.v[0].value, "sha256=abc");
	assert_string_equal(h.v[1].name, "host");
	assert_string_equal(h.v[2].name, "user-agent");
	assert_string_equal(h.v[2].value, "GitHub-Hookshot/1");
	assert_string_equal(headers_get(&h, "x"), "short");
	headers_clear(&h);
}

/* Variables that are not HTTP_NAME=value are not headers. */
static void
test_cgi_ignored(void **state)
{
	char *envp[] = {
		"REQUEST_METHOD=POST",
		"HOOKQ_SOURCE=github",
		"HTTP_=x",
		"HTTP_",
		"HTTP_NOVALUE",
		"HTTPS=on",
		"HTTP=1",
		"http_lower=1",
		"XHTTP_HOST=no",
		"SCRIPT_NAME=/hooks/github",
		"REQUEST_URI=/hooks/github?HTTP_X=1",
		"CONTENT_TYPEX=no",
		"=HTTP_X",
		"",
		"HTTP_X_ID=1",
		NULL,
	};
	char *empty[] = { NULL };
	struct headers h;

	headers_init(&h);
	headers_add_cgi(&h, envp);
	if (h.n != 1)
		fail_msg("expected only x-id, got %zu headers, the first %s", h.n, h.v[0].name);
	assert_string_equal(h.v[0].name, "x-id");
	assert_string_equal(h.v[0].value, "1");
	headers_clear(&h);

	headers_add_cgi(&h, empty);
	assert_int_equal(h.n, 0);
	headers_clear(&h);
}

/* CONTENT_TYPE and CONTENT_LENGTH count only when no HTTP_ version of them came. */
static void
test_cgi_content(void **state)
{
	/* nginx: both forms. */
	char *both[] = {
		"CONTENT_TYPE=text/plain",
		"HTTP_CONTENT_TYPE=application/json",
		"CONTENT_LENGTH=99",
		"HTTP_CONTENT_LENGTH=42",
		"HTTP_HOST=h",
		NULL,
	};
	/* A plain CGI server: only the bare ones. */
	char *bare[] = {
		"CONTENT_LENGTH=42",
		"HTTP_HOST=h",
		"CONTENT_TYPE=application/json; charset=utf-8",
		NULL,
	};
	/* One of each. */
	char *mixed[] = {
		"CONTENT_TYPE=text/plain",
		"CONTENT_LENGTH=7",
		"HTTP_CONTENT_TYPE=application/json",
		NULL,
	};
	struct headers h;
	size_t i, n;

	headers_init(&h);
	headers_add_cgi(&h, both);
	assert_int_equal(h.n, 3);
	assert_string_equal(headers_get(&h, "content-type"), "application/json");
	assert_string_equal(headers_get(&h, "content-length"), "42");
	headers_clear(&h);

	headers_add_cgi(&h, bare);
	assert_int_equal(h.n, 3);
	/* HTTP_* first, then the bare ones in type, length order. */
	assert_string_equal(h.v[0].name, "host");
	assert_string_equal(h.v[1].name, "content-type");
	assert_string_equal(h.v[1].value, "application/json; charset=utf-8");
	assert_string_equal(h.v[2].name, "content-length");
	assert_string_equal(h.v[2].value, "42");
	headers_clear(&h);

	headers_add_cgi(&h, mixed);
	assert_int_equal(h.n, 2);
	assert_string_equal(headers_get(&h, "content-type"), "application/json");
	assert_string_equal(headers_get(&h, "content-length"), "7");
	for (i = 0, n = 0; i < h.n; i++)
		if (strcmp(h.v[i].name, "content-type") == 0)
			n++;
	assert_int_equal(n, 1);
	headers_clear(&h);
}

/* A value with '=' in it is kept whole: only the first '=' ends the name. */
static void
test_cgi_equals(void **state)
{
	char *envp[] = {
		"HTTP_X_SIG=t=1,v1=abc==",
		"HTTP_AUTHORIZATION=Basic dXNlcjpwYXNz==",
		"HTTP_X_EMPTY=",
		"HTTP_X_EQ==",
		"CONTENT_TYPE=a=b",
		NULL,
	};
	struct headers h;

	headers_init(&h);
	headers_add_cgi(&h, envp);
	assert_int_equal(h.n, 5);
	assert_string_equal(headers_get(&h, "x-sig"), "t=1,v1=abc==");
	assert_string_equal(headers_get(&h, "authorization"), "Basic dXNlcjpwYXNz==");
	assert_string_equal(headers_get(&h, "x-empty"), "");
	assert_string_equal(headers_get(&h, "x-eq"), "=");
	assert_string_equal(headers_get(&h, "content-type"), "a=b");
	headers_clear(&h);
}

/* headers_add_cgi appends to headers already there. */
static void
test_cgi_appends(void **state)
{
	char *envp[] = { "HTTP_HOST=h", "CONTENT_TYPE=text/plain", NULL };
	struct headers h;

	headers_init(&h);
	headers_add(&h, "X-First", "1");
	headers_add_cgi(&h, envp);
	assert_int_equal(h.n, 3);
	assert_string_equal(h.v[0].name, "x-first");
	assert_string_equal(h.v[1].name, "host");
	assert_string_equal(h.v[2].name, "content-type");
	headers_clear(&h);
}

/* After headers_clear the list is empty and can be filled again. */
static void
test_clear_reuse(void **state)
{
	char *envp[] = { "HTTP_X_A=1", "HTTP_X_B=2", NULL };
	struct headers h;
	int round;

	headers_init(&h);
	headers_clear(&h);
	assert_int_equal(h.n, 0);
	for (round = 0; round < 3; round++) {
		headers_add(&h, "Old", "o");
		headers_add_cgi(&h, envp);
		assert_int_equal(h.n, 3);
		assert_string_equal(headers_get(&h, "x-b"), "2");
		headers_clear(&h);
		assert_int_equal(h.n, 0);
		assert_null(h.v);
		assert_null(headers_get(&h, "old"));
	}
	headers_add(&h, "New", "n");
	assert_int_equal(h.n, 1);
	assert_string_equal(headers_get(&h, "new"), "n");
	headers_clear(&h);
}

/* headers_set replaces the first value in place (or adds); headers_remove drops the first. */
static void
test_set_remove(void **state)
{
	struct headers h;

	(void)state;
	headers_init(&h);
	headers_add(&h, "A", "1");
	headers_add(&h, "B", "2");
	headers_add(&h, "C", "3");
	headers_set(&h, "b", "a much longer value than before");
	headers_set(&h, "d", "4");
	assert_int_equal(h.n, 4);
	assert_string_equal(h.v[1].name, "b");
	assert_string_equal(h.v[1].value, "a much longer value than before");
	assert_string_equal(h.v[3].name, "d");
	headers_remove(&h, "a");
	headers_remove(&h, "nosuch");
	assert_int_equal(h.n, 3);
	assert_string_equal(h.v[0].name, "b");
	assert_null(headers_get(&h, "a"));
	assert_string_equal(headers_get(&h, "c"), "3");
	headers_clear(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_remove),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_cgi_names),
		cmocka_unit_test(test_cgi_ignored),
		cmocka_unit_test(test_cgi_content),
		cmocka_unit_test(test_cgi_equals),
		cmocka_unit_test(test_cgi_appends),
		cmocka_unit_test(test_clear_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
