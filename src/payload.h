/*
 * payload.h: JSON in and out of hookq. Reads the event id and type out of a
 * JSON body, and the scalars routes match and order on (a streaming parse:
 * no tree is built, whatever the body's size), and writes the request
 * headers as the JSON object stored with each event. This is the only
 * module that calls yajl.
 */
#ifndef HOOKQ_PAYLOAD_H
#define HOOKQ_PAYLOAD_H

#include <stddef.h>

#include "headers.h"

/* Deepest nesting of objects and arrays accepted in a body. */
#define PAYLOAD_MAX_DEPTH 64
/* Longest id or type value kept; a longer one is refused as malformed. */
#define PAYLOAD_MAX_VALUE 256

/*
 * Parses body as exactly one JSON value and, for each of the n dotted paths
 * ("data.object.id": keys through nested objects, no arrays), stores in
 * values[i] a malloc'd copy of the first string or number found there, or
 * NULL when there is none (or it is empty, null, a boolean or a container).
 * Returns 0; or -1 when the body is not JSON, nests deeper than
 * PAYLOAD_MAX_DEPTH, or a value found at a path is longer than max bytes
 * (PAYLOAD_MAX_VALUE for ids and types) or holds a NUL, with *reason set
 * (static) and every values[i] NULL.
 */
int payload_extract(const unsigned char *body, size_t len, size_t max,
    const char *const *paths, char **values, size_t n, const char **reason);

/* What payload_scalars() found at a path. */
enum payload_kind {
	PAYLOAD_NONE,                /* nothing there (or the body is not JSON) */
	PAYLOAD_STRING,              /* text: the string, unescaped (may hold NUL: use len) */
	PAYLOAD_NUMBER,              /* text: the number as written */
	PAYLOAD_TRUE,
	PAYLOAD_FALSE,
	PAYLOAD_NULL,
	PAYLOAD_CONTAINER,           /* an object or an array */
	PAYLOAD_TOO_LONG             /* a string or number longer than PAYLOAD_MAX_SCALAR */
};
/* Longest string or number payload_scalars() keeps, in bytes once unescaped. */
#define PAYLOAD_MAX_SCALAR 4096
struct payload_scalar {
	int kind;                    /* enum payload_kind */
	char *text;                  /* STRING, NUMBER: malloc'd, NUL-terminated; else NULL */
	size_t len;                  /* of text, without the NUL */
};
/*
 * payload_scalars() flag: each path is one member name of the top object,
 * taken whole, so a '.' in it is part of the name (the stored headers
 * object, whose names may hold dots).
 */
#define PAYLOAD_KEYS 0x1

/*
 * Parses body as exactly one JSON value and stores in out[i] what is at
 * each of the n dotted paths (as payload_extract() reads them: keys through
 * nested objects, never through arrays, never the top value itself). When a
 * path occurs more than once (a key repeated in an object), the first
 * occurrence wins, whatever its kind. A body key holding a '.' is met by
 * the path spelled the same ("a.b" finds {"a.b":1} as well as {"a":{"b":1}};
 * the first in the body wins). Memory is bounded by n times
 * PAYLOAD_MAX_SCALAR, whatever the body's size. Returns 0; or -1 when the
 * body is not JSON or nests deeper than PAYLOAD_MAX_DEPTH, with *reason set
 * (static) and every out[i] PAYLOAD_NONE. Either way the caller frees the
 * texts with payload_scalars_clear().
 */
int payload_scalars(const unsigned char *body, size_t len, const char *const *paths,
    struct payload_scalar *out, size_t n, int flags, const char **reason);
/* Frees the texts of n results and sets them back to PAYLOAD_NONE. */
void payload_scalars_clear(struct payload_scalar *out, size_t n);

/*
 * Calls fn for each string member of the top object of json (a stored
 * headers object), in order: name and value decoded, not NUL-terminated.
 * Members of other kinds, and names longer than the walk keeps, are passed
 * over. Returns 0, or -1 with *reason (static) when json is not JSON.
 */
typedef void (*payload_member_fn)(const char *name, size_t nlen, const char *value,
    size_t vlen, void *arg);
int payload_members(const char *json, size_t len, payload_member_fn fn, void *arg,
    const char **reason);

/*
 * Returns the headers as a malloc'd JSON object {"name": "value", ...}, in
 * arrival order, leaving out the names listed in omit (NULL-terminated).
 * Repeated headers are joined with ", " (RFC 9110 5.3). A name or value
 * that is not UTF-8 is read as ISO-8859-1 (RFC 9110 5.5); headers whose
 * names read alike are repeats, so no name is in the object twice. *len
 * gets the length.
 */
char *payload_headers_json(const struct headers *, const char *const *omit,
    size_t *len);

/*
 * Returns a malloc'd JSON object of n string members {"names[0]": "values[0]", ...},
 * with *len its length (a handshake's answer).
 */
char *payload_json_object(const char *const *names, const char *const *values, size_t n,
    size_t *len);

#endif
