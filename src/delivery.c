/*
 * delivery.c: a url route's request headers and the verdict on its answer.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "http.h"
#include "log.h"
#include "payload.h"
#include "util.h"

/* Standard Webhooks' own headers, which hookq sets when it signs. */
static const char *const SIGNATURE_HEADERS[] = {
	"webhook-id", "webhook-timestamp", "webhook-signature", NULL
};
/*
 * Hop-by-hop headers (RFC 9110 7.6.1) and what the transport sets for this
 * request itself: the sender's connection to nginx is not the worker's to
 * the application. Credentials are never stored; listed all the same, so a
 * row written by hand cannot make hookq forward one.
 */
static const char *const UNSENT_HEADERS[] = {
	"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
	"upgrade", "host", "content-length", "expect", "authorization", "proxy-authorization",
	"cookie", NULL
};
/* Room for hookq's own lines after the stored ones: five X-Hookq-*, three webhook-*. */
#define OWN_HEADERS 8

struct lines {
	char **v;
	size_t n, size;
	bool signs;
};

static bool
listed(const char *name, size_t len, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == len && memcmp(*list, name, len) == 0)
			return true;
	return false;
}

/* RFC 9110 5.6.2's token: what a field name may be. */
static bool
token(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (strchr("!#$%&'*+-.^_`|~", s[i]) == NULL &&
		    !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
	return true;
}

/* A value sent as it is must hold no control character but tab (no CR or LF above all). */
static bool
sendable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] < ' ' && s[i] != '\t') || s[i] == 0x7f)
			return false;
	return true;
}

static void
add_line(struct lines *l, const char *name, size_t nlen, const char *value, size_t vlen)
{
	char *line;

	if (l->n + 2 > l->size) {
		l->size = l->size * 2 + OWN_HEADERS + 2;
		l->v = xreallocarray(l->v, l->size, sizeof(*l->v));
	}
	line = xmalloc(nlen + 2 + vlen + 1);
	memcpy(line, name, nlen);
	memcpy(line + nlen, ": ", 2);
	memcpy(line + nlen + 2, value, vlen);
	line[nlen + 2 + vlen] = '\0';
	l->v[l->n++] = line;
	l->v[l->n] = NULL;
}

static void
add_text(struct lines *l, const char *name, const char *value)
{
	add_line(l, name, strlen(name), value, strlen(value));
}

/* payload_members()'s callback: one stored header, kept unless it is one of the above. */
static void
stored_header(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct lines *l = arg;

	if (listed(name, nlen, UNSENT_HEADERS) || (nlen >= 8 && strncmp(name, "x-hookq-", 8) == 0) ||
	    (l->signs && listed(name, nlen, SIGNATURE_HEADERS)) || !token(name, nlen) ||
	    !sendable(value, vlen))
		return;
	add_line(l, name, nlen, value, vlen);
}

/*
 * hookq's Standard Webhooks signature (standardwebhooks.com): the MAC of
 * "id.timestamp.body" under each of the route's secrets, made by the
 * scheme module that verifies the same scheme for senders.
 */
static void
add_signature(struct lines *l, const struct route *r, const struct store_job *job,
    int64_t now_s)
{
	const struct scheme *swh = scheme_find("standard-webhooks");
	char id[40], ts[24], sig[SCHEME_SIGNATURE_MAX];
	char *all = xmalloc(r->nsigning * (SCHEME_SIGNATURE_MAX + 1) + 1);
	size_t i, off = 0;

	snprintf(id, sizeof(id), "hookq-%lld", (long long)job->id);
	snprintf(ts, sizeof(ts), "%lld", (long long)now_s);
	for (i = 0; i < r->nsigning; i++) {
		const char *reason;

		/* Only an Ed25519 key could fail, and config.c reads HMAC ones only. */
		if (scheme_sign(swh, &r->signing[i], ts, id, NULL, job->body, job->body_len, sig,
		    sizeof(sig), &reason) != 0) {
			log_warn("route=%s: cannot sign with signing secret %zu: %s", r->name, i + 1,
			    reason);
			continue;
		}
		off += (size_t)sprintf(all + off, "%s%s", off > 0 ? " " : "", sig);
	}
	add_text(l, "webhook-id", id);
	add_text(l, "webhook-timestamp", ts);
	add_text(l, "webhook-signature", all);
	free(all);
}

char **
delivery_headers(const struct route *r, const struct store_job *job, int64_t now_s)
{
	struct lines l = { NULL, 0, 0, r->nsigning > 0 };
	const char *reason;
	char num[24];

	/* The stored headers are JSON of hookq's making; a row edited into something else sends none. */
	if (job->headers != NULL &&
	    payload_members(job->headers, strlen(job->headers), stored_header, &l, &reason) != 0)
		log_warn("route=%s delivery=%lld: stored headers not sent: %s", r->name,
		    (long long)job->id, reason);
	if (sendable(job->event_id, strlen(job->event_id)))
		add_text(&l, "X-Hookq-Event-Id", job->event_id);
	add_text(&l, "X-Hookq-Source", job->source);
	add_text(&l, "X-Hookq-Route", job->route);
	snprintf(num, sizeof(num), "%d", job->attempt);
	add_text(&l, "X-Hookq-Attempt", num);
	snprintf(num, sizeof(num), "%lld", (long long)job->id);
	add_text(&l, "X-Hookq-Delivery-Id", num);
	if (l.signs)
		add_signature(&l, r, job, now_s);
	return l.v;
}

void
delivery_headers_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* RFC 9110 15.5.9, 15.5.20 (425 Too Early, RFC 8470), RFC 6585 4: worth asking again. */
static bool
retryable(long status)
{
	return status == 408 || status == 425 || status == 429 || status >= 500;
}

enum delivery_verdict
delivery_judge(bool retry_4xx, const struct http_result *res, char **error, char *outcome,
    size_t outcome_size)
{
	enum delivery_verdict v;
	size_t n;

	*error = NULL;
	if (res->status == 0) {
		snprintf(outcome, outcome_size, "%s", res->timed_out ? "timeout" : "no answer");
		*error = xstrdup(res->error[0] != '\0' ? res->error : "no answer");
		return DELIVERY_RETRY;
	}
	snprintf(outcome, outcome_size, "HTTP %ld", res->status);
	if (res->status >= 200 && res->status <= 299)
		return DELIVERY_DONE;
	v = retryable(res->status) || retry_4xx ? DELIVERY_RETRY : DELIVERY_DEAD;
	/* The body is the application's text: last_error holds it as it came, NULs made '?'. */
	n = strlen(outcome) + 1 + res->body_len + 1;
	*error = xmalloc(n);
	snprintf(*error, n, "%s%s", outcome, res->body_len > 0 ? "\n" : "");
	n = strlen(*error);
	for (size_t i = 0; i < res->body_len; i++)
		(*error)[n++] = res->body[i] == '\0' ? '?' : res->body[i];
	(*error)[n] = '\0';
	return v;
}
