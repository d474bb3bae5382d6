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

	/* A header's value lives in its name's allocation (headers_push()). */
	for (i = 0; i < h->n; i++)
		free(h->v[i].name);
	free(h->v);
	headers_init(h);
}

/*
 * Appends a header: the name made from name[0 .. namelen) by fold (its
 * bytes mapped one by one), and value, in one allocation.
 */
static void
headers_push(struct headers *h, const char *name, size_t namelen, char (*fold)(char),
    const char *value)
{
	size_t vlen = strlen(value), i;
	char *p = xmalloc(namelen + vlen + 2);

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	for (i = 0; i < namelen; i++)
		p[i] = fold(name[i]);
	p[namelen] = '\0';
	memcpy(p + namelen + 1, value, vlen + 1);
	h->v[h->n].name = p;
	h->v[h->n].value = p + namelen + 1;
	h->n++;
}

static char
fold_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* CGI's HTTP_X_HUB_SIGNATURE_256 back to x-hub-signature-256. */
static char
fold_cgi(char c)
{
	return c == '_' ? '-' : fold_lower(c);
}

void
headers_add(struct headers *h, const char *name, const char *value)
{
	headers_push(h, name, strlen(name), fold_lower, value);
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
			headers_push(h, *e + 5, (size_t)(eq - *e - 5), fold_cgi, eq + 1);
	}
	for (i = 0; i < nitems(CONTENT); i++) {
		size_t n = strlen(CONTENT[i][0]);

		if (headers_get(h, CONTENT[i][1]) != NULL)
			continue;
		for (e = envp; *e != NULL; e++)
			if (strncmp(*e, CONTENT[i][0], n) == 0) {
				headers_push(h, *e, n - 1, fold_cgi, *e + n);
				break;
			}
	}
}

/* The index of the first header called name (lower case), or h->n. */
static size_t
headers_find(const struct headers *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n && strcmp(h->v[i].name, name) != 0; i++)
		;
	return i;
}

void
headers_remove(struct headers *h, const char *name)
{
	size_t i = headers_find(h, name);

	if (i == h->n)
		return;
	free(h->v[i].name);
	memmove(&h->v[i], &h->v[i + 1], (h->n - i - 1) * sizeof(h->v[0]));
	h->n--;
}

void
headers_set(struct headers *h, const char *name, const char *value)
{
	size_t i = headers_find(h, name), last;
	struct header moved;

	if (i == h->n) {
		headers_add(h, name, value);
		return;
	}
	/* A new entry at the end, moved into the old one's place: order is kept. */
	headers_add(h, name, value);
	last = h->n - 1;
	moved = h->v[last];
	free(h->v[i].name);
	h->v[i] = moved;
	h->n = last;
}

const char *
headers_get(const struct headers *h, const char *name)
{
	size_t i = headers_find(h, name);

	return i < h->n ? h->v[i].value : NULL;
}
