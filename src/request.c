/*
 * request.c: route, verify, extract: the decisions of the request path.
 * JSON is parsed only after the signature verifies, so an unauthenticated
 * sender cannot make hookq parse anything.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "fields.h"
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
	[OUTCOME_HANDSHAKE] = { 200, "OK", "handshake", "" },
	[OUTCOME_FORBIDDEN] = { 403, "Forbidden", "forbidden", "forbidden\n" },
	[OUTCOME_UNAVAILABLE] = { 503, "Service Unavailable", "unavailable", "try again later\n" },
	/* Never answered (the 200 went out before the insert); here for its name. */
	[OUTCOME_LOST] = { 200, "OK", "lost", "accepted\n" },
};
_Static_assert(nitems(OUTCOMES) == OUTCOME_COUNT, "every outcome has a row");

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
	size_t i;

	/*
	 * Any header may be a credential (X-Gitlab-Token is the secret itself;
	 * Authorization, Cookie) and the query may hold a verify token: all are
	 * wiped before they are freed, which costs less than knowing which.
	 */
	for (i = 0; i < req->headers.n; i++)
		scheme_wipe(req->headers.v[i].value, strlen(req->headers.v[i].value));
	if (req->query != NULL)
		scheme_wipe(req->query, strlen(req->query));
	free(req->method);
	free(req->source_name);
	free(req->query);
	free(req->answer_body);
	headers_clear(&req->headers);
	free(req->body);
	free(req->event_id);
	free(req->event_type);
	free(req->body_sha256);
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

/* The scheme's first handshake made with method, or NULL. */
static const struct scheme_handshake *
find_handshake(const struct scheme *s, const char *method)
{
	size_t i;

	for (i = 0; i < SCHEME_MAX_HANDSHAKES && s->handshakes[i].method != NULL; i++)
		if (strcmp(s->handshakes[i].method, method) == 0)
			return &s->handshakes[i];
	return NULL;
}

/* The Allow header of a 405: POST, and GET or HEAD where the scheme has such a handshake. */
static const char *
allowed_methods(const struct source *src)
{
	static const char *const ALLOW[] = { "POST", "GET, POST", "HEAD, POST", "GET, HEAD, POST" };
	bool get = src != NULL && find_handshake(&src->scheme, "GET") != NULL;
	bool head = src != NULL && find_handshake(&src->scheme, "HEAD") != NULL;

	return ALLOW[get + 2 * head];
}

int
request_route(struct request *req, const struct config *cfg)
{
	req->source = req->source_name ? config_source(cfg, req->source_name) : NULL;
	if (req->source == NULL)
		return refuse(req, OUTCOME_NOT_FOUND, "no such source");
	/* GET and HEAD only where the sender checks the endpoint so (Meta, Dropbox, X, Trello). */
	if (req->method != NULL && (strcmp(req->method, "POST") == 0 ||
	    find_handshake(&req->source->scheme, req->method) != NULL))
		return 0;
	return refuse(req, OUTCOME_METHOD, "method is not POST");
}

/* Copies a value into *out; a header's may be too long (the body's are capped by their parser). */
static int
take_value(struct request *req, const char *v, char **out)
{
	*out = NULL;
	if (v == NULL)
		return 0;
	if (strlen(v) > PAYLOAD_MAX_VALUE)
		return refuse(req, OUTCOME_BAD_REQUEST, "event id or type longer than 256 bytes");
	/*
	 * A header's bytes may be anything; a text column of PostgreSQL's takes
	 * UTF-8 only, and a batch with one such row would fail whole. Both
	 * stores refuse it alike (a JSON body's values are UTF-8 already).
	 */
	if (!utf8_valid((const unsigned char *)v, strlen(v)))
		return refuse(req, OUTCOME_BAD_REQUEST, "event id or type is not UTF-8");
	*out = xstrdup(v);
	return 0;
}

/*
 * Makes the scheme's handshake answer; key is the secret that verified the
 * request (NULL for a GET). Returns -1 with the outcome set either way.
 */
static int
handshake(struct request *req, const struct scheme_answer *a, struct fields *f,
    const struct secret *key)
{
	const char *v = NULL;

	if (a->kind != SCHEME_ANSWER_TEXT && (v = fields_get(f, &a->value)) == NULL)
		return refuse(req, OUTCOME_BAD_REQUEST, "handshake without the value to answer");
	switch (a->kind) {
	case SCHEME_ANSWER_TEXT:
		req->answer_body = xstrdup(a->text);
		req->answer_len = strlen(a->text);
		break;
	case SCHEME_ANSWER_ECHO:
		req->answer_body = xstrdup(v);
		req->answer_len = strlen(v);
		break;
	case SCHEME_ANSWER_TOKEN_MAC: {
		char mac[SCHEME_MAC_TEXT_SIZE];
		const char *names[2] = { a->key, a->mac_key }, *values[2] = { v, mac };

		if (key == NULL || scheme_secret_public(key))
			return refuse(req, OUTCOME_BAD_REQUEST, "handshake needs an HMAC secret");
		scheme_mac_text(key, v, a->mac_encoding, a->mac_prefix, mac);
		/* Without a key name the answer is the MAC alone (X's {"response_token": ...}). */
		if (a->key == NULL)
			req->answer_body = payload_json_object(names + 1, values + 1, 1,
			    &req->answer_len);
		else
			req->answer_body = payload_json_object(names, values, 2, &req->answer_len);
		break;
	}
	}
	req->answer = a;
	return refuse(req, OUTCOME_HANDSHAKE, NULL);
}

/* The source's first HMAC secret: what an unsigned handshake's MAC answer is made with. */
static const struct secret *
first_hmac_secret(const struct source *src)
{
	size_t i;

	for (i = 0; i < src->nsecrets; i++)
		if (!scheme_secret_public(&src->secrets[i]))
			return &src->secrets[i];
	return NULL;
}

/*
 * A verification GET or HEAD: its marker field, then (Meta) the token
 * against the source's verify_token. One without a token needs none: its
 * answer is a MAC only the secret makes (X) or an echo (Dropbox, Trello).
 */
static int
check_unsigned(struct request *req, struct fields *f)
{
	const struct source *src = req->source;
	const struct scheme_handshake *hs = find_handshake(&src->scheme, req->method);

	if (hs == NULL) /* request_route lets a GET through only with a GET handshake */
		return refuse(req, OUTCOME_METHOD, "method is not POST");
	if (hs->when.from != FIELD_FROM_NONE) {
		const char *mode = fields_get(f, &hs->when);

		if (mode == NULL || (hs->equals != NULL && strcmp(mode, hs->equals) != 0))
			return refuse(req, OUTCOME_FORBIDDEN, "not the sender's verification request");
	}
	if (hs->token.from != FIELD_FROM_NONE) {
		const char *token;

		if (src->verify_token == NULL)
			return refuse(req, OUTCOME_FORBIDDEN, "the source has no verify_token");
		token = fields_get(f, &hs->token);
		if (token == NULL || !scheme_token_equal(token, src->verify_token))
			return refuse(req, OUTCOME_FORBIDDEN, "verify token does not match");
	}
	return handshake(req, &hs->answer, f, first_hmac_secret(src));
}

/* Reads the event id and type, once the request verified; 0 or -1 with the outcome set. */
static int
extract(struct request *req, struct fields *f)
{
	const struct scheme *s = &req->source->scheme;
	const char *reason;

	if ((fields_in_body(s->id) || fields_in_body(s->type)) && fields_body(f, &reason) != 0 &&
	    !s->any_body)
		return refuse(req, OUTCOME_BAD_REQUEST, reason);
	if (take_value(req, fields_first(f, s->id), &req->event_id) != 0 ||
	    take_value(req, fields_first(f, s->type), &req->event_type) != 0)
		return -1;
	if (!config_type_allowed(req->source, req->event_type))
		return refuse(req, OUTCOME_IGNORED, "event type not in the allow-list");
	if (req->event_id == NULL) {
		if (s->id[0].from != FIELD_FROM_NONE && !s->id_body_hash)
			return refuse(req, OUTCOME_BAD_REQUEST, s->id[0].from == FIELD_FROM_HEADER ?
			    "event id header missing" : "event id missing from the body");
		req->event_id = xmalloc(SCHEME_BODY_ID_SIZE);
		scheme_body_id(req->event_id, req->body, req->body_len);
	}
	return 0;
}

int
request_check(struct request *req, int64_t now)
{
	const struct source *src = req->source;
	const struct scheme *s = &src->scheme;
	struct scheme_params params = { src->secrets, src->nsecrets, src->tolerance,
	    src->notification_url };
	const struct scheme *vs = s;
	const char *unstored[nitems(UNSTORED_HEADERS) + 1];
	struct fields f;
	const char *reason, *v;
	size_t matched = 0, i;
	int rc = -1;

	fields_init(&f, s, &req->headers, req->body, req->body_len, req->query);
	if (req->method != NULL && strcmp(req->method, "POST") != 0) {
		rc = check_unsigned(req, &f);
		goto out;
	}
	/* The sender's second way of signing, when the request says it signed so (GitLab). */
	if (src->alt_scheme != NULL && headers_get(&req->headers, s->alt_header) != NULL) {
		vs = src->alt_scheme;
		params.secrets = src->alt_secrets;
		params.nsecrets = src->nalt_secrets;
	}
	if (scheme_verify(vs, &params, &f, now, &matched, &reason) != 0) {
		refuse(req, OUTCOME_UNAUTHORIZED, reason);
		goto out;
	}
	for (i = 0; i < SCHEME_MAX_HANDSHAKES && s->handshakes[i].method != NULL; i++) {
		const struct scheme_handshake *hs = &s->handshakes[i];

		if (strcmp(hs->method, "POST") == 0 && (v = fields_get(&f, &hs->when)) != NULL &&
		    (hs->equals == NULL || strcmp(v, hs->equals) == 0)) {
			rc = handshake(req, &hs->answer, &f, &src->secrets[matched]);
			goto out;
		}
	}
	if (extract(req, &f) != 0)
		goto out;
	/* A replay under a fresh delivery id still has the body: hashed here, not by the committer. */
	if (src->dedup == DEDUP_BODY) {
		req->body_sha256 = xmalloc(SCHEME_BODY_ID_SIZE);
		scheme_body_id(req->body_sha256, req->body, req->body_len);
	}

	/* The signature header is kept with the event unless it is the secret itself (GitLab). */
	for (i = 0; UNSTORED_HEADERS[i] != NULL; i++)
		unstored[i] = UNSTORED_HEADERS[i];
	unstored[i++] = s->unstored_sig_header ? s->sig_header : NULL;
	unstored[i] = NULL;
	req->headers_json = payload_headers_json(&req->headers, unstored, &req->headers_json_len);
	if (req->headers_json == NULL) {
		refuse(req, OUTCOME_UNAVAILABLE, "out of memory");
		goto out;
	}
	rc = 0;
out:
	fields_clear(&f);
	return rc;
}

void
request_response(const struct request *req, enum outcome o, struct response *r)
{
	const struct outcome_info *oi = outcome_info(o);
	const struct scheme_answer *a = NULL;

	memset(r, 0, sizeof(*r));
	r->status = oi->status;
	r->reason_phrase = oi->reason_phrase;
	r->content_type = "text/plain; charset=utf-8";
	r->body = oi->body;
	r->len = strlen(oi->body);
	r->retry_after = o == OUTCOME_UNAVAILABLE;
	/* A handshake's answer is for this request only: no cache may keep it. */
	r->no_store = o == OUTCOME_HANDSHAKE;
	if (o == OUTCOME_METHOD)
		r->allow = allowed_methods(req->source);
	if (o == OUTCOME_HANDSHAKE && req->answer != NULL) {
		a = req->answer;
		r->body = req->answer_body;
		r->len = req->answer_len;
	} else if (oi->status == 200 && o != OUTCOME_HANDSHAKE && req->source != NULL &&
	    req->source->scheme.stored.status != 0) {
		a = &req->source->scheme.stored;
		r->body = a->text;
		r->len = strlen(a->text);
	}
	if (a == NULL)
		return;
	r->status = a->status;
	r->reason_phrase = a->status == 204 ? "No Content" : "OK";
	r->content_type = a->content_type;
	if (a->status == 204) {
		r->body = "";
		r->len = 0;
	}
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
	ev->body_sha256 = req->body_sha256;
	ev->dedup_window = req->source->dedup_window;
}
