/*
 * metrics.h: what hookq-receiver tells Prometheus and health checkers.
 *
 * Counters live in memory: requests per source and outcome, and one
 * histogram of request durations. Delivery attempts per route (results,
 * durations) are counted by the workers in the database (route_stats),
 * read at each scrape with the queue. Counting is a relaxed atomic add, so the
 * request path never takes a lock for it. The queue's numbers are read from
 * the database at each scrape, and the health check takes the write lock
 * and lets it go; each has a connection of its own (not the committer's),
 * opened on first use and used by one thread at a time under its mutex,
 * waiting for it no longer than a deadline, so a scrape or a probe never
 * holds up the webhook path.
 */
#ifndef HOOKQ_METRICS_H
#define HOOKQ_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "request.h"
#include "store.h"

/* Distinct source labels kept; sources past this count under source="". */
#define METRICS_MAX_SOURCES 1024
/* Configured routes kept for the queue series at zero; past this, only those in the queue. */
#define METRICS_MAX_ROUTES 1024

struct metrics;

/*
 * The counters, and the connections' settings (opened on first use):
 * path is the database, opt its options.
 */
struct metrics *metrics_new(const char *path, const struct store_options *opt);
void metrics_free(struct metrics *);

/*
 * Gives each source of cfg its label, so its series show (at zero) before its
 * first request. Only names registered so count under their own label; the
 * set only grows (a source removed by a reload keeps its counters). The
 * routes of cfg are registered too: their queue series (per source and
 * route) and delivery series (per route) show at zero before their first
 * delivery; only registered routes get delivery series.
 */
void metrics_add_sources(struct metrics *, const struct config *cfg);

/*
 * Counts one webhook request: source is the source's name (NULL, or one
 * never registered, counts under source=""), us how long it took.
 */
void metrics_count(struct metrics *, const char *source, enum outcome, int64_t us);

/* The queue's numbers for a scrape. */
struct metrics_queue {
	bool ok;                          /* false: could not be read; no queue series */
	const struct store_count *rows;   /* store_counts()'s rows */
	size_t n;
	int64_t now_ms;                   /* for the oldest pending and unrouted ages */
	/* store_route_stats()'s rows, by route (strcmp() order), for the delivery series */
	const struct store_route_stat *stats;
	size_t nstats;
};

/*
 * The Prometheus text exposition (version 0.0.4) of the counters and q,
 * malloc'd and NUL-terminated; *len is its length.
 */
char *metrics_render(struct metrics *, const struct metrics_queue *q, size_t *len);

/*
 * Reads the queue on the reader connection, waiting for it at most until
 * deadline_us (clock_mono_us() time), and renders. Fills *why (a short
 * message) when the queue could not be read.
 */
char *metrics_scrape(struct metrics *, int64_t deadline_us, size_t *len, char *why,
    size_t whysize);

/*
 * Whether the database takes a write now: takes the write lock on the probe
 * connection and lets it go, giving up at deadline_us. Returns 0, or -1 with
 * *why filled.
 */
int metrics_health(struct metrics *, int64_t deadline_us, char *why, size_t whysize);

#endif
