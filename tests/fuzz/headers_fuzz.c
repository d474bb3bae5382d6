/*
 * headers_fuzz.c: libFuzzer harness for header collection: a request's CGI
 * variables into its header list (headers_add_cgi(), src/headers.c), the
 * list's lookups and edits, the headers as the JSON object stored with each
 * event (payload_headers_json(), src/payload.c), and the source named by a
 * request URI (request_source_from_uri(), src/request.c).
 *
 * The input is the FastCGI environment, one "NAME=value" variable a line;
 * each line is also tried as a request URI.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "fuzz.h"
#include "headers.h"
#include "payload.h"
#include "request.h"
#include "util.h"

#define MAX_VARS 512

/* Left out of the JSON, as request.c leaves out credentials. */
static const char *const OMIT[] = { "cookie", "authorization", NULL };

/* True when the name is one left out of the JSON. */
static bool
omitted(const char *name)
{
	size_t i;

	for (i = 0; OMIT[i] != NULL; i++)
		if (strcmp(OMIT[i], name) == 0)
			return true;
	return false;
}

/* The index of the first header called name. */
static size_t
first(const struct headers *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n && strcmp(h->v[i].name, name) != 0; i++)
		;
	return i;
}

/* The headers a CGI environment holds, counted as headers.h says. */
static size_t
expected_count(char *const *envp, const struct headers *h)
{
	static const char *const CONTENT[][2] = {
		{ "CONTENT_TYPE=", "content-type" }, { "CONTENT_LENGTH=", "content-length" },
	};
	size_t n = 0, i, j, http;
	char *const *e;

	for (e = envp; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');

		if (eq != NULL && strncmp(*e, "HTTP_", 5) == 0 && eq > *e + 5)
			n++;
	}
	http = n;
	for (i = 0; i < nitems(CONTENT); i++) {
		bool as_http = false, given = false;

		/* Passed as HTTP_* too (nginx does): not added twice. */
		for (j = 0; j < http; j++)
			if (strcmp(h->v[j].name, CONTENT[i][1]) == 0)
				as_http = true;
		for (e = envp; *e != NULL; e++)
			if (strncmp(*e, CONTENT[i][0], strlen(CONTENT[i][0])) == 0)
				given = true;
		if (given && !as_http)
			n++;
	}
	return n;
}

/* True when s is all ASCII: a name or value payload.c writes exactly as it is. */
static bool
ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/*
 * The JSON object holds one member per name written, never one name twice
 * (a name that is not UTF-8 is written as ISO-8859-1, and may so meet
 * another); ASCII names and values exactly as sent, repeats joined.
 */
static void
check_json(const struct headers *h)
{
	char err[128], *json, *joined;
	size_t len, i, j, names = 0, ascii_names = 0, vlen;
	yajl_val v;

	json = payload_headers_json(h, OMIT, &len);
	FUZZ_CHECK(json != NULL && strlen(json) == len, "payload_headers_json");
	v = yajl_tree_parse(json, err, sizeof(err));
	FUZZ_CHECK(v != NULL && YAJL_IS_OBJECT(v), "stored headers that are not a JSON object");
	for (i = 0; i < h->n; i++)
		if (first(h, h->v[i].name) == i && !omitted(h->v[i].name)) {
			names++;
			ascii_names += ascii(h->v[i].name);
		}
	FUZZ_CHECK(YAJL_GET_OBJECT(v)->len >= ascii_names && YAJL_GET_OBJECT(v)->len <= names,
	    "a member per header name");
	for (i = 0; i < YAJL_GET_OBJECT(v)->len; i++) {
		const char *key = YAJL_GET_OBJECT(v)->keys[i];
		yajl_val val = YAJL_GET_OBJECT(v)->values[i];
		size_t at = first(h, key);

		FUZZ_CHECK(YAJL_IS_STRING(val), "a header value that is not a string");
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(YAJL_GET_OBJECT(v)->keys[j], key) != 0,
			    "a name twice in the stored headers");
		FUZZ_CHECK(!omitted(key), "an omitted header stored");
		/* Only ASCII names are written from ASCII names alone. */
		if (at == h->n || !ascii(key))
			continue;
		/* Repeated headers joined with ", " (RFC 9110 5.3). */
		vlen = 0;
		for (j = at; j < h->n; j++)
			if (strcmp(h->v[j].name, key) == 0)
				vlen += strlen(h->v[j].value) + 2;
		joined = xmalloc(vlen + 1);
		vlen = 0;
		for (j = at; j < h->n; j++)
			if (strcmp(h->v[j].name, key) == 0) {
				size_t l = strlen(h->v[j].value);

				if (j != at) {
					memcpy(joined + vlen, ", ", 2);
					vlen += 2;
				}
				memcpy(joined + vlen, h->v[j].value, l);
				vlen += l;
			}
		joined[vlen] = '\0';
		if (ascii(joined))
			FUZZ_CHECK(strcmp(val->u.string, joined) == 0,
			    "a stored header value other than the one sent");
		free(joined);
	}
	/* Every ASCII name not omitted has its member. */
	for (i = 0; i < h->n; i++) {
		bool found = false;

		if (!ascii(h->v[i].name) || omitted(h->v[i].name))
			continue;
		for (j = 0; j < YAJL_GET_OBJECT(v)->len && !found; j++)
			found = strcmp(YAJL_GET_OBJECT(v)->keys[j], h->v[i].name) == 0;
		FUZZ_CHECK(found, "a header left out of the stored headers");
	}
	yajl_tree_free(v);
	free(json);
}

/* headers_set() and headers_remove() on a name: the list stays in order, lookups follow. */
static void
check_edits(struct headers *h, const char *name)
{
	size_t n = h->n, at = first(h, name), next;
	char *keep = xstrdup(name);
	const char *v;

	headers_set(h, keep, "fuzz-set");
	v = headers_get(h, keep);
	FUZZ_CHECK(v != NULL && strcmp(v, "fuzz-set") == 0, "headers_set");
	FUZZ_CHECK(h->n == (at < n ? n : n + 1), "headers_set adds only a new name");
	FUZZ_CHECK(first(h, keep) == (at < n ? at : n), "headers_set keeps the order");
	headers_remove(h, keep);
	FUZZ_CHECK(h->n == (at < n ? n - 1 : n), "headers_remove removes one");
	next = first(h, keep);
	FUZZ_CHECK(next == h->n || next >= at, "headers_remove removes the first");
	free(keep);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *envp[MAX_VARS + 1];
	const uint8_t *p = data, *end = data + size;
	struct headers h;
	const char *line;
	size_t n = 0, i, len;

	while (n < MAX_VARS && fuzz_line(&p, end, &line, &len))
		envp[n++] = xstrndup(line, len);
	envp[n] = NULL;

	for (i = 0; i < n; i++) {
		char *src = request_source_from_uri(envp[i]);

		FUZZ_CHECK(strpbrk(src, "/?#") == NULL && strlen(src) <= strlen(envp[i]),
		    "a source name from a URI");
		free(src);
	}

	headers_init(&h);
	headers_add_cgi(&h, envp);
	FUZZ_CHECK(h.n == expected_count(envp, &h), "headers_add_cgi added another count");
	for (i = 0; i < h.n; i++) {
		const char *c;

		for (c = h.v[i].name; *c != '\0'; c++)
			FUZZ_CHECK(!(*c >= 'A' && *c <= 'Z') && *c != '_',
			    "a header name not in lower case with '-'");
		FUZZ_CHECK(h.v[i].value == h.v[i].name + strlen(h.v[i].name) + 1,
		    "a value outside its name's allocation");
		FUZZ_CHECK(headers_get(&h, h.v[i].name) == h.v[first(&h, h.v[i].name)].value,
		    "headers_get gives another than the first");
	}
	check_json(&h);
	if (h.n > 0)
		check_edits(&h, h.v[h.n - 1].name);
	if (h.n > 0)
		check_edits(&h, h.v[0].name);
	check_edits(&h, "x-fuzz-absent");
	check_json(&h);
	headers_clear(&h);
	for (i = 0; i < n; i++)
		free(envp[i]);
	return 0;
}
