/*
 * fields.c: one request's values as a scheme row names them. Headers and
 * query parameters are looked up directly; body fields all come out of one
 * parse (payload.c for JSON, form.c for forms), made the first time any is
 * asked for.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fields.h"
#include "form.h"
#include "payload.h"
#include "scheme.h"
#include "util.h"

static const char FORM_TYPE[] = "application/x-www-form-urlencoded";

/* Adds the list's fields of kind from to the body's wanted names, once each. */
static void
want(struct fields *f, const struct field *list, size_t n, enum field_from from)
{
	size_t i, j;

	for (i = 0; i < n && list[i].from != FIELD_FROM_NONE; i++) {
		if (list[i].from != from)
			continue;
		for (j = 0; j < f->n && strcmp(f->names[j], list[i].name) != 0; j++)
			;
		if (j == f->n && f->n < FIELDS_MAX)
			f->names[f->n++] = list[i].name;
	}
}

void
fields_init(struct fields *f, const struct scheme *s, const struct headers *h,
    const unsigned char *body, size_t len, const char *query)
{
	const char *ct = headers_get(h, "content-type");
	enum field_from from;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->headers = h;
	f->body = body;
	f->len = len;
	f->query = query;
	f->form = s->form_body && ct != NULL && strncasecmp(ct, FORM_TYPE, strlen(FORM_TYPE)) == 0;
	from = f->form ? FIELD_FROM_FORM : FIELD_FROM_JSON;
	want(f, s->sig_body, FIELD_LIST_MAX, from);
	want(f, s->ts_body, FIELD_LIST_MAX, from);
	want(f, s->token, FIELD_LIST_MAX, from);
	want(f, s->id, FIELD_LIST_MAX, from);
	want(f, s->type, FIELD_LIST_MAX, from);
	want(f, &s->sig_version, 1, from);
	want(f, s->signed_fields, SCHEME_MAX_SIGNED_FIELDS, from);
	/* A signed field is as long as its sender made it (SNS's Message); ids and types stay capped. */
	f->max_value = s->signed_fields[0].from != FIELD_FROM_NONE ? len : PAYLOAD_MAX_VALUE;
	for (i = 0; i < SCHEME_MAX_HANDSHAKES && s->handshakes[i].method != NULL; i++) {
		want(f, &s->handshakes[i].when, 1, from);
		want(f, &s->handshakes[i].answer.value, 1, from);
	}
}

void
fields_clear(struct fields *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->values[i]);
	/* A query value may be a verify token (Meta's hub.verify_token). */
	for (i = 0; i < f->nquery; i++) {
		scheme_wipe(f->query_values[i], strlen(f->query_values[i]));
		free(f->query_values[i]);
	}
	memset(f, 0, sizeof(*f));
}

int
fields_body(struct fields *f, const char **reason)
{
	if (!f->parsed) {
		f->parsed = true;
		if (f->n == 0)
			f->parse_rc = 0;
		else if (f->form)
			f->parse_rc = form_extract((const char *)f->body, f->len, f->names, f->values,
			    f->n, PAYLOAD_MAX_VALUE, &f->parse_reason);
		else
			f->parse_rc = payload_extract(f->body, f->len, f->max_value, f->names, f->values,
			    f->n, &f->parse_reason);
	}
	if (f->parse_rc != 0)
		*reason = f->parse_reason;
	return f->parse_rc;
}

/* A query parameter, decoded; kept until fields_clear(). */
static const char *
query_get(struct fields *f, const char *name)
{
	const char *names[1] = { name };
	const char *reason;
	char *v;

	if (f->query == NULL || f->nquery == nitems(f->query_values))
		return NULL;
	if (form_extract(f->query, strlen(f->query), names, &v, 1, PAYLOAD_MAX_VALUE,
	    &reason) != 0 || v == NULL)
		return NULL;
	f->query_values[f->nquery++] = v;
	return v;
}

const char *
fields_get(struct fields *f, const struct field *fd)
{
	const char *reason, *v;
	size_t i;

	switch (fd->from) {
	case FIELD_FROM_NONE:
		return NULL;
	case FIELD_FROM_HEADER:
		v = headers_get(f->headers, fd->name);
		return v != NULL && *v != '\0' ? v : NULL;
	case FIELD_FROM_QUERY:
		return query_get(f, fd->name);
	case FIELD_FROM_JSON:
	case FIELD_FROM_FORM:
		if ((fd->from == FIELD_FROM_FORM) != f->form || fields_body(f, &reason) != 0)
			return NULL;
		for (i = 0; i < f->n; i++)
			if (strcmp(f->names[i], fd->name) == 0)
				return f->values[i];
		return NULL;
	}
	return NULL;
}

const char *
fields_first(struct fields *f, const struct field list[FIELD_LIST_MAX])
{
	size_t i;

	for (i = 0; i < FIELD_LIST_MAX && list[i].from != FIELD_FROM_NONE; i++) {
		const char *v = fields_get(f, &list[i]);

		if (v != NULL)
			return v;
	}
	return NULL;
}

bool
fields_in_body(const struct field list[FIELD_LIST_MAX])
{
	size_t i;

	for (i = 0; i < FIELD_LIST_MAX && list[i].from != FIELD_FROM_NONE; i++)
		if (list[i].from == FIELD_FROM_JSON || list[i].from == FIELD_FROM_FORM)
			return true;
	return false;
}
