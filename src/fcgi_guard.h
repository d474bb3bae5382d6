/*
 * fcgi_guard.h: checks the FastCGI records of a request before libfcgi reads
 * them, so that what libfcgi would trust (parameter lengths, management
 * records) never reaches it from a peer that is not nginx.
 *
 * The front peeks at its connection (MSG_PEEK with SO_PEEK_OFF, so each peek
 * returns bytes not seen yet) and feeds what arrives here; libfcgi reads
 * only bytes that were fed and found sound (front.c says how).
 */
#ifndef HOOKQ_FCGI_GUARD_H
#define HOOKQ_FCGI_GUARD_H

#include <stddef.h>
#include <stdint.h>

/*
 * The most parameter bytes (names, values and their lengths) a request may
 * carry. nginx sends a few KB: the request line, the headers (bounded by its
 * large_client_header_buffers, 4 x 8k by default) and fastcgi_params.
 */
#define FCGI_GUARD_PARAMS_MAX (64 * 1024)

enum fcgi_guard_state {
	FCGI_GUARD_MORE,   /* sound so far; the request's end has not arrived */
	FCGI_GUARD_END,    /* the request's last record has been fed; bytes after it are not looked at */
	FCGI_GUARD_BAD,    /* refuse the connection; why says what was wrong */
};

/* What has been seen of one request's records; zeroed (fcgi_guard_init) before each request. */
struct fcgi_guard {
	uint64_t fed;               /* bytes of the request fed so far */
	uint64_t params_end;        /* where the parameters ended (0: not yet) */
	int ended;                  /* the request's last record has been fed */
	int phase;                  /* which record comes next: begin, params, stdin, or the end */
	unsigned request_id;
	unsigned char head[8];      /* the current record's header, as far as it has arrived */
	unsigned have;              /* bytes of head */
	unsigned type;              /* the current record's type */
	uint32_t content, padding;  /* what is left of the current record */
	unsigned char role[2];      /* BEGIN_REQUEST's role, as it arrives */
	uint32_t params;            /* parameter bytes so far */
	/* The name-value pair being read from the parameters. */
	unsigned char len[4];       /* a four-byte length, as it arrives */
	unsigned len_have;
	int value;                  /* reading the value's length (the name's is known) */
	uint32_t name_len;
	uint64_t skip;              /* bytes of the pair's name and value still to come */
};

/* Makes g ready for a request's first record. */
void fcgi_guard_init(struct fcgi_guard *g);

/*
 * Feeds the next n bytes of the request. Sound means: FastCGI version 1; a
 * BEGIN_REQUEST for the responder role, with a request id other than 0; then
 * only PARAMS and STDIN records of that request, in that order, each stream
 * ended by an empty record; no management records (id 0: libfcgi's handling
 * of FCGI_GET_VALUES overflows on hostile input); parameters of at most
 * FCGI_GUARD_PARAMS_MAX bytes whose pairs end where the parameters end.
 * On FCGI_GUARD_BAD, why (whylen bytes) says what was wrong.
 */
enum fcgi_guard_state fcgi_guard_feed(struct fcgi_guard *g, const unsigned char *p, size_t n,
    char *why, size_t whylen);

#endif
