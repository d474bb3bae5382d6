/*
 * headers.h: a request's HTTP headers, with lower-case names.
 *
 * nginx hands headers to FastCGI as CGI variables (HTTP_X_HUB_SIGNATURE_256);
 * headers_add_cgi() turns them back into header names (x-hub-signature-256).
 * nginx drops headers with underscores in their names by default
 * (underscores_in_headers off), so turning '_' back into '-' is exact.
 */
#ifndef HOOKQ_HEADERS_H
#define HOOKQ_HEADERS_H

#include <stddef.h>

struct header {
	char *name;  /* lower case, owned: one allocation with the value */
	char *value; /* points into name's allocation */
};

struct headers {
	struct header *v;
	size_t n;
	size_t cap;
};

void headers_init(struct headers *);
/* Frees every name and value; the struct can be reused after. */
void headers_clear(struct headers *);
/* Copies name (lower-cased) and value. */
void headers_add(struct headers *, const char *name, const char *value);
/*
 * Adds the request headers found in a CGI environment ("NAME=value"
 * strings, NULL-terminated): every HTTP_* variable, then CONTENT_TYPE and
 * CONTENT_LENGTH unless the server passed them as HTTP_* too (nginx does).
 */
void headers_add_cgi(struct headers *, char *const *envp);
/* Replaces the value of the first header called name (lower case), or adds it. */
void headers_set(struct headers *, const char *name, const char *value);
/* Removes the first header called name (lower case), if any. */
void headers_remove(struct headers *, const char *name);
/* The value of the first header called name (lower case), or NULL. */
const char *headers_get(const struct headers *, const char *name);

#endif
