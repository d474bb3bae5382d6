/*
 * fuzz.c: the helpers the fuzz harnesses share (fuzz.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "fuzz.h"
#include "util.h"

void
fuzz_fail(const char *file, int line, const char *cond, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s: %s\n", file, line, cond, what);
	abort();
}

bool
fuzz_line(const uint8_t **p, const uint8_t *end, const char **line, size_t *len)
{
	const uint8_t *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = (const char *)*p;
	*len = (size_t)((nl != NULL ? nl : end) - *p);
	*p = nl != NULL ? nl + 1 : end;
	return true;
}

bool
fuzz_json_valid(const char *s, size_t len)
{
	char err[128];
	char *copy = xstrndup(s, len);
	yajl_val v;

	/* The tree parser reads a C string: a NUL inside would cut the text short. */
	if (memchr(s, '\0', len) != NULL) {
		free(copy);
		return false;
	}
	v = yajl_tree_parse(copy, err, sizeof(err));
	free(copy);
	if (v == NULL)
		return false;
	yajl_tree_free(v);
	return true;
}
