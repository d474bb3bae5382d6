/*
 * delivery.h: what a url route's POST says, and what its answer means.
 * The request carries the event as the sender sent it (body and headers)
 * plus hookq's own X-Hookq-* headers, and, with signing_secret_file, a
 * Standard Webhooks signature of hookq's, so the application can tell a
 * request from hookq from anyone else's. http.h moves the bytes; nothing
 * here knows libcurl.
 */
#ifndef HOOKQ_DELIVERY_H
#define HOOKQ_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

struct http_result;

/*
 * The request's header lines ("Name: value"), NULL-terminated, malloc'd:
 * the stored headers but the hop-by-hop and transport ones (and any
 * X-Hookq-* a sender sent, or, when the route signs, the sender's
 * webhook-* trio), then X-Hookq-Event-Id, -Source, -Route, -Attempt and
 * -Delivery-Id, then webhook-id, webhook-timestamp (now_s) and
 * webhook-signature when the route has signing secrets (one v1,SIG per
 * secret, so an application verifying with either key of a rotation
 * accepts it). A stored header whose name or value could not be sent as
 * one (a control character) is left out.
 */
char **delivery_headers(const struct route *, const struct store_job *, int64_t now_s);
void delivery_headers_free(char **);

enum delivery_verdict {
	DELIVERY_DONE,   /* 2xx */
	DELIVERY_RETRY,  /* 408, 425, 429, 5xx, no answer: again after backoff (or Retry-After) */
	DELIVERY_DEAD,   /* any other status, unless retry_4xx */
};
/*
 * Judges an answer under a route's retry_4xx: the verdict, *error (malloc'd, for last_error; NULL
 * when done) "HTTP 500" and up to 4 KiB of the body after a newline, or
 * why no answer came; *outcome a short form for the log line ("HTTP 204",
 * "no answer").
 */
enum delivery_verdict delivery_judge(bool retry_4xx, const struct http_result *, char **error,
    char *outcome, size_t outcome_size);

#endif
