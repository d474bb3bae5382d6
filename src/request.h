/*
 * request.h: what hookq decides about one webhook request, apart from how
 * it arrived (FastCGI) and where it is stored. The front fills a struct
 * request; request_route() and request_check() decide; the outcome table
 * says what each decision answers. Nothing here does I/O, so all of it is
 * unit-tested directly.
 */
#ifndef HOOKQ_REQUEST_H
#define HOOKQ_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "headers.h"
#include "response.h"
#include "store.h"

/* Every answer hookq gives, as in DESIGN.md's contract with senders. */
enum outcome {
	OUTCOME_STORED,       /* 200: the row is committed */
	OUTCOME_DUPLICATE,    /* 200: the event id was stored before */
	OUTCOME_IGNORED,      /* 200: type not in the source's allow-list; not stored */
	OUTCOME_ACCEPTED,     /* 200: ack = receipt, verified, inserted after answering */
	OUTCOME_BAD_REQUEST,  /* 400 */
	OUTCOME_UNAUTHORIZED, /* 401 */
	OUTCOME_NOT_FOUND,    /* 404 */
	OUTCOME_METHOD,       /* 405 */
	OUTCOME_TOO_LARGE,    /* 413 */
	OUTCOME_HANDSHAKE,    /* the sender's check of the endpoint, answered as its scheme says */
	OUTCOME_FORBIDDEN,    /* 403: a verification GET with the wrong token */
	OUTCOME_UNAVAILABLE,  /* 503 with Retry-After */
	OUTCOME_LOST,         /* 200 sent (ack = receipt), then the insert failed */
	OUTCOME_COUNT
};

struct outcome_info {
	int status;
	const char *reason_phrase;
	const char *name;  /* in log lines and metrics */
	const char *body;  /* the response body; never says why a signature failed */
};

const struct outcome_info *outcome_info(enum outcome);

struct request {
	/* Filled by the front; owned by the request. */
	char *method;
	char *source_name;
	char *query;                  /* the URL's query string, or NULL */
	struct headers headers;
	unsigned char *body;
	size_t body_len;
	int64_t received_at;          /* ms since the epoch */

	/* Decided here. */
	const struct source *source;  /* borrowed from the config */
	enum outcome outcome;
	const char *reason;           /* static; why it was refused, for the log */
	char *event_id;
	char *event_type;
	char *body_sha256;            /* dedup = body: "sha256:<hex>" of the body; else NULL */
	char *headers_json;
	size_t headers_json_len;
	const struct scheme_answer *answer; /* OUTCOME_HANDSHAKE: the scheme's answer ... */
	char *answer_body;                  /* ... and its body */
	size_t answer_len;
};

void request_init(struct request *);
/* Frees everything the request owns; it can be reused after request_init(). */
void request_clear(struct request *);

/*
 * The source named by the last segment of a URI path ("/hooks/github?x"
 * gives "github"), malloc'd; the fallback when nginx sets no HOOKQ_SOURCE.
 */
char *request_source_from_uri(const char *uri);

/*
 * Finds the source and checks the method: POST, or GET for a scheme whose
 * handshake is a GET. Returns 0 to go on (req->source set), or -1 with
 * req->outcome (404, 405) and req->reason set.
 */
int request_route(struct request *, const struct config *);

/*
 * Verifies the signature over the body, answers the scheme's handshake,
 * then reads the event id and type and applies the allow-list. Returns 0
 * when the event is to be stored (event_id, event_type, headers_json and,
 * for a dedup = body source, body_sha256 set), or -1 with req->outcome (a
 * handshake, 401, 403, 400, or 200 ignored) and req->reason set. now is in
 * seconds.
 */
int request_check(struct request *, int64_t now);

/*
 * The answer to the request for outcome o: a handshake's, the scheme's
 * answer to a stored event (Discord interactions, Slack), or hookq's own,
 * with its headers (Allow, Retry-After, Cache-Control). It points into the
 * request and static data.
 */
void request_response(const struct request *, enum outcome o, struct response *);

/* The row to insert for a checked request; points into the request. */
void request_event(const struct request *, struct store_event *);

#endif
