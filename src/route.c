/*
 * route.c: route selection in the worker. For a stored event it tells which
 * of its source's routes take it (events list, then matches on the body)
 * and each delivery's ordering key (a body value or a header). The body is
 * parsed once for every path the routes name, and the headers once for
 * every header they order by, with payload_scalars(): no JSON tree, and
 * this module never sees yajl.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "payload.h"
#include "route.h"
#include "util.h"

/* The distinct paths (or header names) one parse looks for; v is borrowed from the routes. */
struct names {
	const char **v;
	size_t n;
	size_t cap;
};

/* The index of name in names, or names->n when it is not there. */
static size_t
names_find(const struct names *names, const char *name)
{
	size_t i;

	for (i = 0; i < names->n && strcmp(names->v[i], name) != 0; i++)
		;
	return i;
}

/* Adds name once. */
static void
names_add(struct names *names, const char *name)
{
	if (names_find(names, name) < names->n)
		return;
	if (names->n == names->cap) {
		names->cap = names->cap == 0 ? 8 : names->cap * 2;
		names->v = xreallocarray(names->v, names->cap, sizeof(*names->v));
	}
	names->v[names->n++] = name;
}

/*
 * Parses json once for every name in names (flags as payload_scalars()).
 * Returns a malloc'd array of names->n results, NULL when there are none.
 * Not JSON leaves every result PAYLOAD_NONE, which no match takes.
 */
static struct payload_scalar *
names_parse(const struct names *names, const void *json, size_t len, int flags)
{
	struct payload_scalar *out;
	const char *reason;

	if (names->n == 0)
		return NULL;
	out = xcalloc(names->n, sizeof(*out));
	(void)payload_scalars(json, len, names->v, out, names->n, flags, &reason);
	return out;
}

/* Frees what names_parse() returned and the names. */
static void
names_clear(struct names *names, struct payload_scalar *out)
{
	if (out != NULL) {
		payload_scalars_clear(out, names->n);
		free(out);
	}
	free(names->v);
}

/* True when r's events list lets type through (no list: every type; a NULL type: no list). */
static bool
route_type_allowed(const struct route *r, const char *type)
{
	size_t i;

	if (r->events == NULL)
		return true;
	if (type == NULL)
		return false;
	for (i = 0; i < r->nevents; i++)
		if (strcmp(r->events[i], type) == 0)
			return true;
	return false;
}

/* True when the value found at m's path is m's scalar. */
static bool
match_holds(const struct route_match *m, const struct payload_scalar *s)
{
	switch (m->kind) {
	case MATCH_STRING:
		return s->kind == PAYLOAD_STRING && s->len == strlen(m->value) &&
		    memcmp(s->text, m->value, s->len) == 0;
	case MATCH_NUMBER:
		/* JSON numbers are what strtod() reads; the config's was read so too. */
		return s->kind == PAYLOAD_NUMBER && strtod(s->text, NULL) == m->number;
	case MATCH_TRUE:
		return s->kind == PAYLOAD_TRUE;
	case MATCH_FALSE:
		return s->kind == PAYLOAD_FALSE;
	case MATCH_NULL:
		return s->kind == PAYLOAD_NULL;
	default:
		return false;
	}
}

/* The ordering key a value gives, malloc'd: "" for what is no scalar (route.h). */
static char *
order_key(const struct payload_scalar *s)
{
	switch (s->kind) {
	case PAYLOAD_STRING:
		/* A key is a C string: a string holding NUL shares the empty key. */
		if (memchr(s->text, '\0', s->len) != NULL)
			return xstrdup("");
		return xstrndup(s->text, s->len);
	case PAYLOAD_NUMBER:
		return xstrndup(s->text, s->len);
	case PAYLOAD_TRUE:
		return xstrdup("true");
	case PAYLOAD_FALSE:
		return xstrdup("false");
	case PAYLOAD_NULL:
		return xstrdup("null");
	default:
		return xstrdup("");
	}
}

void
route_select(const struct route *const *routes, size_t n, const struct route_event *ev,
    bool *accept, char **keys)
{
	struct names paths = { NULL, 0, 0 }, headers = { NULL, 0, 0 };
	struct payload_scalar *values, *hvalues;
	size_t i, j;

	/* The events lists first: the body is parsed only for the routes they let through. */
	for (i = 0; i < n; i++) {
		const struct route *r = routes[i];

		keys[i] = NULL;
		accept[i] = route_type_allowed(r, ev->type);
		if (!accept[i])
			continue;
		for (j = 0; j < r->nmatch; j++)
			names_add(&paths, r->match[j].path);
		if (r->order != NULL)
			names_add(&paths, r->order);
	}
	values = names_parse(&paths, ev->body, ev->body_len, 0);

	/* The matches; then the headers, only for the routes still taking ev. */
	for (i = 0; i < n; i++) {
		const struct route *r = routes[i];

		for (j = 0; accept[i] && j < r->nmatch; j++)
			accept[i] = match_holds(&r->match[j],
			    &values[names_find(&paths, r->match[j].path)]);
		if (accept[i] && r->order == NULL && r->order_header != NULL)
			names_add(&headers, r->order_header);
	}
	hvalues = names_parse(&headers, ev->headers, ev->headers_len, PAYLOAD_KEYS);

	for (i = 0; i < n; i++) {
		const struct route *r = routes[i];

		if (!accept[i])
			continue;
		if (r->order != NULL)
			keys[i] = order_key(&values[names_find(&paths, r->order)]);
		else if (r->order_header != NULL)
			keys[i] = order_key(&hvalues[names_find(&headers, r->order_header)]);
	}
	names_clear(&paths, values);
	names_clear(&headers, hvalues);
}
