/*
 * response.h: every answer hookq-receiver gives, in one shape. Webhook
 * answers, handshakes, metrics and health checks all fill a struct response;
 * response_head() turns it into the CGI header block the FastCGI front
 * writes before the body, so status lines and headers are made in one place.
 */
#ifndef HOOKQ_RESPONSE_H
#define HOOKQ_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

/* Seconds a client is asked to wait after a 503. */
#define RETRY_AFTER 5

struct response {
	int status;
	const char *reason_phrase;
	const char *content_type;  /* NULL: no body and no Content-Type */
	const char *body;          /* borrowed; len bytes */
	size_t len;
	const char *allow;         /* the Allow header of a 405, or NULL */
	bool retry_after;          /* Retry-After: RETRY_AFTER (503s) */
	bool no_store;             /* Cache-Control: no-store (handshakes, metrics, health) */
	bool head;                 /* a HEAD request: the headers of the answer, no body */
};

/* The longest header block response_head() writes. */
#define RESPONSE_HEAD_MAX 512

/*
 * Writes r's CGI header block ("Status: ...", headers, the empty line) to
 * buf, which has room for RESPONSE_HEAD_MAX bytes; returns its length.
 * Content-Length is the body's, also for HEAD; a 204 has none.
 */
size_t response_head(const struct response *r, char *buf);

/* Whether the front writes r's body after the header block. */
bool response_has_body(const struct response *r);

#endif
