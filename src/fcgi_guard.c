/*
 * fcgi_guard.c: the FastCGI records of one request, checked as they arrive.
 *
 * libfcgi trusts its peer. Debian 12's ReadParams adds a name's and a value's
 * length (each up to 2^31 - 1) in an int and asserts that malloc succeeded,
 * so one PARAMS record with lengths near 2^31 aborts the whole receiver
 * (CVE-2025-23016, only partly fixed there); its FCGI_GET_VALUES answer is
 * built with sprintf in a 64-byte stack buffer that a few repeated names
 * overflow. nginx sends none of that: one request per connection at a time,
 * BEGIN_REQUEST, PARAMS, STDIN. This module accepts exactly that shape, so a
 * peer that sends anything else loses its connection and nothing more.
 *
 * The check is a byte-at-a-time state machine over the record stream (no
 * copy, no allocation), so the front can feed it whatever each peek returns.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include <fastcgi.h>

#include "fcgi_guard.h"

enum { PHASE_BEGIN, PHASE_PARAMS, PHASE_STDIN, PHASE_END };

static const char *const phase_name[] = { "BEGIN_REQUEST", "PARAMS", "STDIN", "nothing" };

void
fcgi_guard_init(struct fcgi_guard *g)
{
	memset(g, 0, sizeof(*g));
	g->phase = PHASE_BEGIN;
}

/* Takes a name's or a value's length; -1 (why set) when the pair cannot be sound. */
static int
pair_length(struct fcgi_guard *g, uint32_t len, char *why, size_t whylen)
{
	if (!g->value) {
		g->name_len = len;
		g->value = 1;
		return 0;
	}
	g->value = 0;
	if ((uint64_t)g->name_len + len > FCGI_GUARD_PARAMS_MAX) {
		snprintf(why, whylen, "a FastCGI parameter of %u + %u bytes (at most %d in all)",
		    (unsigned)g->name_len, (unsigned)len, FCGI_GUARD_PARAMS_MAX);
		return -1;
	}
	g->skip = (uint64_t)g->name_len + len;
	return 0;
}

/* Reads n bytes of parameter content: the pairs' lengths, and past their names and values. */
static int
params_feed(struct fcgi_guard *g, const unsigned char *p, size_t n, char *why, size_t whylen)
{
	while (n > 0) {
		if (g->skip > 0) {
			size_t k = g->skip < n ? (size_t)g->skip : n;

			g->skip -= k;
			p += k;
			n -= k;
			continue;
		}
		if (g->len_have == 0 && (*p & 0x80) == 0) {
			/* A one-byte length. */
			if (pair_length(g, *p, why, whylen) != 0)
				return -1;
		} else {
			/* A four-byte length: its first byte's top bit only says so. */
			unsigned char b = g->len_have == 0 ? (unsigned char)(*p & 0x7f) : *p;

			g->len[g->len_have++] = b;
			if (g->len_have == 4) {
				uint32_t len = (uint32_t)g->len[0] << 24 | (uint32_t)g->len[1] << 16 |
				    (uint32_t)g->len[2] << 8 | g->len[3];

				g->len_have = 0;
				if (pair_length(g, len, why, whylen) != 0)
					return -1;
			}
		}
		p++;
		n--;
	}
	return 0;
}

/* Checks a record's header once all of it has arrived. */
static int
record_start(struct fcgi_guard *g, char *why, size_t whylen)
{
	const FCGI_Header *h = (const FCGI_Header *)g->head;
	unsigned id = (unsigned)h->requestIdB1 << 8 | h->requestIdB0;
	unsigned want = g->phase == PHASE_BEGIN ? FCGI_BEGIN_REQUEST :
	    g->phase == PHASE_PARAMS ? FCGI_PARAMS : FCGI_STDIN;

	g->type = h->type;
	g->content = (uint32_t)h->contentLengthB1 << 8 | h->contentLengthB0;
	g->padding = h->paddingLength;
	if (h->version != FCGI_VERSION_1) {
		snprintf(why, whylen, "FastCGI version %u (only 1 is spoken)", (unsigned)h->version);
		return -1;
	}
	if (id == FCGI_NULL_REQUEST_ID) {
		snprintf(why, whylen, "a FastCGI management record (type %u)", g->type);
		return -1;
	}
	if (g->type != want) {
		snprintf(why, whylen, "a FastCGI record of type %u where %s belongs", g->type,
		    phase_name[g->phase]);
		return -1;
	}
	if (g->phase == PHASE_BEGIN) {
		if (g->content != sizeof(FCGI_BeginRequestBody)) {
			snprintf(why, whylen, "a BEGIN_REQUEST of %u bytes", (unsigned)g->content);
			return -1;
		}
		g->request_id = id;
	} else if (id != g->request_id) {
		snprintf(why, whylen, "a second FastCGI request (id %u) on one connection", id);
		return -1;
	}
	if (g->type == FCGI_PARAMS) {
		g->params += g->content;
		if (g->params > FCGI_GUARD_PARAMS_MAX) {
			snprintf(why, whylen, "FastCGI parameters over %d bytes", FCGI_GUARD_PARAMS_MAX);
			return -1;
		}
	}
	return 0;
}

/* The current record has been fed whole: moves to what may come next. */
static int
record_end(struct fcgi_guard *g, char *why, size_t whylen)
{
	g->have = 0;
	switch (g->type) {
	case FCGI_BEGIN_REQUEST:
		if (((unsigned)g->role[0] << 8 | g->role[1]) != FCGI_RESPONDER) {
			snprintf(why, whylen, "FastCGI role %u (only the responder is served)",
			    (unsigned)g->role[0] << 8 | g->role[1]);
			return -1;
		}
		g->phase = PHASE_PARAMS;
		break;
	case FCGI_PARAMS:
		if (((const FCGI_Header *)g->head)->contentLengthB1 != 0 ||
		    ((const FCGI_Header *)g->head)->contentLengthB0 != 0)
			break;
		if (g->skip > 0 || g->len_have > 0 || g->value) {
			snprintf(why, whylen, "FastCGI parameters that end inside a name-value pair");
			return -1;
		}
		g->params_end = g->fed;
		g->phase = PHASE_STDIN;
		break;
	default:
		if (((const FCGI_Header *)g->head)->contentLengthB1 == 0 &&
		    ((const FCGI_Header *)g->head)->contentLengthB0 == 0) {
			g->phase = PHASE_END;
			g->ended = 1;
		}
		break;
	}
	return 0;
}

enum fcgi_guard_state
fcgi_guard_feed(struct fcgi_guard *g, const unsigned char *p, size_t n, char *why, size_t whylen)
{
	while (n > 0 && g->phase != PHASE_END) {
		size_t k;

		if (g->have < sizeof(g->head)) {
			k = sizeof(g->head) - g->have < n ? sizeof(g->head) - g->have : n;
			memcpy(g->head + g->have, p, k);
			g->have += (unsigned)k;
			g->fed += k;
			p += k;
			n -= k;
			if (g->have < sizeof(g->head))
				break;
			if (record_start(g, why, whylen) != 0)
				return FCGI_GUARD_BAD;
		} else if (g->content > 0) {
			k = g->content < n ? g->content : n;
			if (g->type == FCGI_PARAMS && params_feed(g, p, k, why, whylen) != 0)
				return FCGI_GUARD_BAD;
			if (g->type == FCGI_BEGIN_REQUEST) {
				/* The role is the body's first two bytes. */
				size_t at = sizeof(FCGI_BeginRequestBody) - g->content, i;

				for (i = 0; i < k && at + i < 2; i++)
					g->role[at + i] = p[i];
			}
			g->content -= (uint32_t)k;
			g->fed += k;
			p += k;
			n -= k;
		} else {
			k = g->padding < n ? g->padding : n;
			g->padding -= (uint32_t)k;
			g->fed += k;
			p += k;
			n -= k;
		}
		if (g->have == sizeof(g->head) && g->content == 0 && g->padding == 0 &&
		    record_end(g, why, whylen) != 0)
			return FCGI_GUARD_BAD;
	}
	return g->phase == PHASE_END ? FCGI_GUARD_END : FCGI_GUARD_MORE;
}
