/*
 * request.c: route, verify, extract: the decisions of the request path.
 * JSON is parsed only after the signature verifies, so an unauthenticated
 * sender cannot make hookq parse anything.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "payload.h"
#include "request.h"
#include "scheme.h"
#include "util.h"

static const struct outcome_info OUTCOMES[] = {
	[OUTCOME_STORED] = { 200, "OK", "stored", "stored\n" },
	[OUTCOME_DUPLICATE] = { 200, "OK", "duplicate", "duplicate\n" },
	[OUTCOME_IGNORED] = { 200, "OK", "ignored", "ignored\n" },
	[OUTCOME_ACCEPTED] = { 200, "OK", "accepted", "accepted\n" },
	[OUTCOME_BAD_REQUEST] = { 400, "Bad Request", "bad_request", "bad request\n" },
	[OUTCOME_UNAUTHORIZED] = { 401, "Unauthorized", "unauthorized", "unauthorized\n" },
	[OUTCOME_NOT_FOUND] = { 404, "Not Found", "not_found", "unknown source\n" },
	[OUTCOME_METHOD] = { 405, "Method Not Allowed", "method_not_allowed", "method not allowed\n" },
	[OUTCOME_TOO_LARGE] = { 413, "Content Too Large", "too_large", "payload too large\n" },
	[OUTCOME_UNAVAILABLE] = { 503, "Service Unavailable", "unavailable", "try again later\n" },
};

/*
 * Headers not kept with the stored event: credentials a sender or proxy may
 * add, which do not belong in a queue operators browse.
 */
static const char *const UNSTORED_HEADERS[] = {
	"authorization", "proxy-authorization", "cookie", NULL
};

const struct outcome_info *
outcome_info(enum outcome o)
{
	return &OUTCOMES[o];
}

void
request_init(struct request *req)
{
	memset(req, 0, sizeof(*req));
	headers_init(&req->headers);
}

void
request_clear(struct request *req)
{
	free(req->method);
	free(req->source_name);
	headers_clear(&req->headers);
	free(req->body);
	free(req->event_id);
	free(req->event_type);
	free(req->headers_json);
	request_init(req);
}

char *
request_source_from_uri(const char *uri)
{
	size_t end = strcspn(uri, "?#");
	size_t start;

	while (end > 0 && uri[end - 1] == '/')
		end--;
	for (start = end; start > 0 && uri[start - 1] != '/'; start--)
		;
	return xstrndup(uri + start, end - start);
}

static int
refuse(struct request *req, enum outcome o, const char *reason)
{
	req->outcome = o;
	req->reason = reason;
	return -1;
}

int
request_route(struct request *req, const struct config *cfg)
{
	req->source = req->source_name ? config_source(cfg, req->source_name) : NULL;
	if (req->source == NULL)
		return refuse(req, OUTCOME_NOT_FOUND, "no such source");
	if (req->method == NULL || strcmp(req->method, "POST") != 0)
		return refuse(req, OUTCOME_METHOD, "method is not POST");
	return 0;
}

/* Copies a header field's value into *out (NULL when absent or empty). */
static int
field_from_header(struct request *req, const struct scheme_field *f, char **out)
{
	const char *v = headers_get(&req->headers, f->name);

	*out = NULL;
	if (v == NULL || *v == '\0')
		return 0;
	if (strlen(v) > PAYLOAD_MAX_VALUE)
		return refuse(req, OUTCOME_BAD_REQUEST, "event id or type longer than 256 bytes");
	*out = xstrdup(v);
	return 0;
}

int
request_check(struct request *req, int64_t now)
{
	const struct source *src = req->source;
	const struct scheme *s = &src->scheme;
	const char *reason;

	if (scheme_verify(s, src->secrets, src->nsecrets, src->tolerance, now,
	    &req->headers, req->body, req->body_len, &reason) != 0)
		return refuse(req, OUTCOME_UNAUTHORIZED, reason);

	if (scheme_needs_json(s)) {
		const char *paths[2];
		char *values[2];
		char **dest[2];
		size_t n = 0, i;

		if (s->id.from == SCHEME_FROM_JSON) {
			paths[n] = s->id.name;
			dest[n++] = &req->event_id;
		}
		if (s->type.from == SCHEME_FROM_JSON) {
			paths[n] = s->type.name;
			dest[n++] = &req->event_type;
		}
		if (payload_extract(req->body, req->body_len, paths, values, n, &reason) != 0)
			return refuse(req, OUTCOME_BAD_REQUEST, reason);
		for (i = 0; i < n; i++)
			*dest[i] = values[i];
	}
	if (s->id.from == SCHEME_FROM_HEADER &&
	    field_from_header(req, &s->id, &req->event_id) != 0)
		return -1;
	if (s->type.from == SCHEME_FROM_HEADER &&
	    field_from_header(req, &s->type, &req->event_type) != 0)
		return -1;

	if (!config_type_allowed(src, req->event_type))
		return refuse(req, OUTCOME_IGNORED, "event type not in the allow-list");

	if (req->event_id == NULL) {
		if (s->id.from != SCHEME_FROM_NONE)
			return refuse(req, OUTCOME_BAD_REQUEST, s->id.from == SCHEME_FROM_HEADER ?
			    "event id header missing" : "event id missing from the JSON body");
		req->event_id = xmalloc(SCHEME_BODY_ID_SIZE);
		scheme_body_id(req->event_id, req->body, req->body_len);
	}

	req->headers_json = payload_headers_json(&req->headers, UNSTORED_HEADERS,
	    &req->headers_json_len);
	if (req->headers_json == NULL)
		return refuse(req, OUTCOME_UNAVAILABLE, "out of memory");
	return 0;
}

void
request_event(const struct request *req, struct store_event *ev)
{
	ev->source = req->source->name;
	ev->event_id = req->event_id;
	ev->event_type = req->event_type;
	ev->received_at = req->received_at;
	ev->headers = req->headers_json;
	ev->headers_len = req->headers_json_len;
	ev->body = req->body;
	ev->body_len = req->body_len;
}
