/*
 * fuzz.c: the helpers the fuzz harnesses share (fuzz.h).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "fuzz.h"
#include "scheme.h"
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

/* Calls add for each field of a list of up to n. */
static void
each_field(const struct field *list, size_t n, void (*add)(const struct field *))
{
	size_t i;

	for (i = 0; i < n && list[i].from != FIELD_FROM_NONE; i++)
		add(&list[i]);
}

void
fuzz_scheme_fields(void (*add)(const struct field *))
{
	size_t i, k;

	for (k = 0; k < SCHEME_TABLE_SIZE; k++) {
		const struct scheme *s = &SCHEME_TABLE[k];

		each_field(s->sig_body, FIELD_LIST_MAX, add);
		each_field(s->ts_body, FIELD_LIST_MAX, add);
		each_field(s->token, FIELD_LIST_MAX, add);
		each_field(s->id, FIELD_LIST_MAX, add);
		each_field(s->type, FIELD_LIST_MAX, add);
		for (i = 0; i < SCHEME_MAX_HANDSHAKES && s->handshakes[i].method != NULL; i++) {
			each_field(&s->handshakes[i].when, 1, add);
			each_field(&s->handshakes[i].token, 1, add);
			each_field(&s->handshakes[i].answer.value, 1, add);
		}
	}
}
