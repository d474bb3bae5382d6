/*
 * response.c: the header block of an answer. Values come from hookq's own
 * tables and from scheme rows, never from the request, so nothing a sender
 * sends can add a header.
 */
#include "autoconf.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "response.h"
#include "util.h"

static void add(char *, size_t *, const char *, ...) PRINTFLIKE(3, 4);

/* Appends a formatted line to buf (RESPONSE_HEAD_MAX bytes); a line that does not fit is cut. */
static void
add(char *buf, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= RESPONSE_HEAD_MAX - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, RESPONSE_HEAD_MAX - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n += (size_t)k < RESPONSE_HEAD_MAX - *n ? (size_t)k : RESPONSE_HEAD_MAX - 1 - *n;
}

size_t
response_head(const struct response *r, char *buf)
{
	size_t n = 0;

	add(buf, &n, "Status: %d %s\r\n", r->status, r->reason_phrase);
	if (r->content_type != NULL)
		add(buf, &n, "Content-Type: %s\r\nX-Content-Type-Options: nosniff\r\n",
		    r->content_type);
	if (r->status != 204)
		add(buf, &n, "Content-Length: %zu\r\n", r->content_type != NULL ? r->len : 0);
	if (r->no_store)
		add(buf, &n, "Cache-Control: no-store\r\n");
	if (r->retry_after)
		add(buf, &n, "Retry-After: " STRINGIFY(RETRY_AFTER) "\r\n");
	if (r->allow != NULL)
		add(buf, &n, "Allow: %s\r\n", r->allow);
	add(buf, &n, "\r\n");
	/* Every value is a short constant of hookq's; a cut block would be a bug. */
	assert(n < RESPONSE_HEAD_MAX - 1);
	return n;
}

bool
response_has_body(const struct response *r)
{
	return !r->head && r->content_type != NULL && r->status != 204 && r->len > 0;
}
