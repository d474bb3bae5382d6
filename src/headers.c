/*
 * headers.c: the request header list: built from CGI variables, looked up by
 * lower-case name. A webhook carries a couple of dozen headers, so a linear
 * scan beats any index.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "headers.h"
#include "util.h"

void
headers_init(struct headers *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

void
headers_clear(struct headers *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	free(h->v);
	headers_init(h);
}

/* Appends a header whose name is already lower case and owned. */
static void
headers_push(struct headers *h, char *name, const char *value)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	h->v[h->n].name = name;
	h->v[h->n].value = xstrdup(value);
	h->n++;
}

void
headers_add(struct headers *h, const char *name, const char *value)
{
	char *lower = xstrdup(name);
	char *p;

	for (p = lower; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	headers_push(h, lower, value);
}

/* Adds var's value under the header name made from [start, eq): '_' to '-', lower case. */
static void
headers_add_var(struct headers *h, const char *start, const char *eq)
{
	char *name = xstrndup(start, (size_t)(eq - start)), *p;

	for (p = name; *p != '\0'; p++) {
		if (*p == '_')
			*p = '-';
		else if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	headers_push(h, name, eq + 1);
}

void
headers_add_cgi(struct headers *h, char *const *envp)
{
	static const char *const CONTENT[][2] = {
		{ "CONTENT_TYPE=", "content-type" },
		{ "CONTENT_LENGTH=", "content-length" },
	};
	char *const *e;
	size_t i;

	for (e = envp; *e != NULL; e++) {
		const char *eq = strchr(*e, '=');

		if (eq != NULL && strncmp(*e, "HTTP_", 5) == 0 && eq > *e + 5)
			headers_add_var(h, *e + 5, eq);
	}
	for (i = 0; i < nitems(CONTENT); i++) {
		size_t n = strlen(CONTENT[i][0]);

		if (headers_get(h, CONTENT[i][1]) != NULL)
			continue;
		for (e = envp; *e != NULL; e++)
			if (strncmp(*e, CONTENT[i][0], n) == 0) {
				headers_add_var(h, *e, *e + n - 1);
				break;
			}
	}
}

const char *
headers_get(const struct headers *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}
