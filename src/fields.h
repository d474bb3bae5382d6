/*
 * fields.h: the values a scheme reads from one request, wherever the
 * sender put them: a header, a path into a JSON body, a field of a
 * urlencoded form body, or a query-string parameter. The body is parsed at
 * most once, on the first body field asked for, for every body field the
 * scheme's row names, so a scheme whose signature is in a header never has
 * its body parsed before the signature verified.
 */
#ifndef HOOKQ_FIELDS_H
#define HOOKQ_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "headers.h"

enum field_from {
	FIELD_FROM_NONE,   /* not given by the sender; ends a list of fields */
	FIELD_FROM_HEADER, /* a request header (lower-case name) */
	FIELD_FROM_JSON,   /* a dotted path into a JSON body ("data.object.id") */
	FIELD_FROM_FORM,   /* a field of an application/x-www-form-urlencoded body */
	FIELD_FROM_QUERY,  /* a parameter of the URL's query string */
};

struct field {
	enum field_from from;
	const char *name;
};

/* Where a value may be, in order of preference: the first one present counts. */
#define FIELD_LIST_MAX 3

struct scheme;

/* The most body fields one scheme row names. */
#define FIELDS_MAX 32

struct fields {
	const struct headers *headers;
	const unsigned char *body;
	size_t len;
	const char *query;         /* the URL's query string, or NULL */
	bool form;                 /* the body is read as a urlencoded form, not as JSON */
	bool parsed;
	int parse_rc;              /* 0, or -1: the body is not what the scheme reads */
	const char *parse_reason;
	size_t max_value;          /* longest body value kept: PAYLOAD_MAX_VALUE, or the body's length */
	size_t n;
	const char *names[FIELDS_MAX]; /* the body's wanted JSON paths or form names */
	char *values[FIELDS_MAX];
	char *query_values[4];     /* query parameters asked for, owned */
	size_t nquery;
};

/*
 * Sets up f for one request; nothing is parsed yet. The borrowed headers,
 * body and query must outlive f. A body is a form when the scheme takes
 * forms and Content-Type says application/x-www-form-urlencoded.
 */
void fields_init(struct fields *f, const struct scheme *, const struct headers *,
    const unsigned char *body, size_t len, const char *query);
void fields_clear(struct fields *f);

/*
 * The value of the field, or NULL when it is absent or empty (a JSON field
 * of a form body, or a form field of a JSON one, is absent).
 */
const char *fields_get(struct fields *f, const struct field *);
/* The value of the first field of the list present, or NULL. */
const char *fields_first(struct fields *f, const struct field list[FIELD_LIST_MAX]);
/*
 * Parses the body if that has not been done. Returns 0, or -1 when it is
 * not JSON (or not a form), with *reason set (static).
 */
int fields_body(struct fields *f, const char **reason);
/* True when the list names any field of the body (JSON or form). */
bool fields_in_body(const struct field list[FIELD_LIST_MAX]);

#endif
