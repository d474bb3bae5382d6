/*
 * metrics.c: counters, the Prometheus text format, and the two database
 * connections of scrapes and health checks.
 *
 * Source labels are slots registered from the configuration, published with
 * a release store of their count: the request path finds its slot by name
 * without a lock and adds to it with a relaxed atomic add. Unknown names
 * share the "" slot, so no request can add a label value.
 */
#include "autoconf.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

#define NAME_MAX_LEN 64

/*
 * Upper bounds of the duration buckets: in µs (the store's, so requests and
 * delivery attempts share them), and as Prometheus prints them.
 */
#define BUCKET_US store_duration_bucket_us
static const char *const BUCKET_LE[] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
	"1", "2.5", "5", "10",
};
#define NBUCKETS nitems(BUCKET_LE)
_Static_assert(STORE_NDURATION_BUCKETS == nitems(BUCKET_LE), "one label per bucket");

/* The queue statuses every source shows, zero or not. */

/*
 * Outcomes in the order they are printed. Not "accepted": with ack = receipt
 * a request counts, as its log line says, as stored, duplicate or lost.
 */
static const int PRINT_ORDER[] = {
	OUTCOME_STORED, OUTCOME_DUPLICATE, OUTCOME_IGNORED, OUTCOME_LOST,
	OUTCOME_BAD_REQUEST, OUTCOME_UNAUTHORIZED, OUTCOME_NOT_FOUND, OUTCOME_METHOD,
	OUTCOME_TOO_LARGE, OUTCOME_HANDSHAKE, OUTCOME_FORBIDDEN, OUTCOME_UNAVAILABLE,
};
_Static_assert(nitems(PRINT_ORDER) == OUTCOME_COUNT - 1, "every outcome but accepted is printed");

struct slot {
	char name[NAME_MAX_LEN + 1];
	atomic_uint_fast64_t count[OUTCOME_COUNT];
};

/* A route's queue labels: its name and its source's; and whether it runs a command. */
struct route_label {
	char name[NAME_MAX_LEN + 1];
	char source[NAME_MAX_LEN + 1];
	bool command;                     /* a handler, not a url: results ok and failed */
};

/* A connection of its own, opened on first use, one thread at a time. */
struct conn {
	pthread_mutex_t lock;
	struct store *st;
};

struct metrics {
	char *path;
	struct store_options opt;
	char *password_file;              /* opt's own copy: the config's goes with a reload */

	pthread_mutex_t reg_lock;         /* serialises registrations */
	struct slot *slots[METRICS_MAX_SOURCES];
	atomic_size_t nslots;             /* slots[0 .. nslots) are published; slots[0] is "" */

	atomic_uint_fast64_t buckets[NBUCKETS + 1]; /* not cumulative; the last is +Inf */
	atomic_uint_fast64_t sum_us;

	struct conn reader, prober;

	/* The configured routes, for their queue series at zero; under reg_lock. */
	struct route_label *routes;
	size_t nroutes;
};

static struct slot *
slot_new(const char *name)
{
	struct slot *s = xcalloc(1, sizeof(*s));
	size_t i;

	snprintf(s->name, sizeof(s->name), "%s", name);
	for (i = 0; i < OUTCOME_COUNT; i++)
		atomic_init(&s->count[i], 0);
	return s;
}

struct metrics *
metrics_new(const char *path, const struct store_options *opt)
{
	struct metrics *m = xcalloc(1, sizeof(*m));
	size_t i;

	m->path = xstrdup(path);
	m->opt = *opt;
	if (opt->password_file != NULL)
		m->opt.password_file = m->password_file = xstrdup(opt->password_file);
	pthread_mutex_init(&m->reg_lock, NULL);
	pthread_mutex_init(&m->reader.lock, NULL);
	pthread_mutex_init(&m->prober.lock, NULL);
	m->slots[0] = slot_new("");
	atomic_init(&m->nslots, 1);
	for (i = 0; i <= NBUCKETS; i++)
		atomic_init(&m->buckets[i], 0);
	atomic_init(&m->sum_us, 0);
	return m;
}

void
metrics_free(struct metrics *m)
{
	size_t i, n;

	if (m == NULL)
		return;
	n = atomic_load(&m->nslots);
	for (i = 0; i < n; i++)
		free(m->slots[i]);
	store_close(m->reader.st);
	store_close(m->prober.st);
	pthread_mutex_destroy(&m->reader.lock);
	pthread_mutex_destroy(&m->prober.lock);
	pthread_mutex_destroy(&m->reg_lock);
	free(m->routes);
	free(m->path);
	free(m->password_file);
	free(m);
}

/* The slot named name among the first n, or NULL. */
static struct slot *
slot_find(struct metrics *m, const char *name, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (strcmp(m->slots[i]->name, name) == 0)
			return m->slots[i];
	return NULL;
}

/*
 * Registers route (of source; command: it has a handler) for the queue and
 * delivery series, once; call with reg_lock held.
 */
static void
route_add(struct metrics *m, const char *name, const char *source, bool command)
{
	size_t i;

	if (name == NULL || source == NULL || strlen(name) > NAME_MAX_LEN ||
	    strlen(source) > NAME_MAX_LEN)
		return;
	for (i = 0; i < m->nroutes; i++)
		if (strcmp(m->routes[i].name, name) == 0 && strcmp(m->routes[i].source, source) == 0)
			return;
	if (m->nroutes == METRICS_MAX_ROUTES)
		return;
	m->routes = xreallocarray(m->routes, m->nroutes + 1, sizeof(*m->routes));
	snprintf(m->routes[m->nroutes].name, sizeof(m->routes[m->nroutes].name), "%s", name);
	snprintf(m->routes[m->nroutes].source, sizeof(m->routes[m->nroutes].source), "%s", source);
	m->routes[m->nroutes].command = command;
	m->nroutes++;
}

void
metrics_add_sources(struct metrics *m, const struct config *cfg)
{
	size_t i, n;

	pthread_mutex_lock(&m->reg_lock);
	n = atomic_load_explicit(&m->nslots, memory_order_relaxed);
	for (i = 0; i < cfg->nsources; i++) {
		const char *name = cfg->sources[i].name;

		if (strlen(name) > NAME_MAX_LEN || slot_find(m, name, n) != NULL)
			continue;
		if (n == METRICS_MAX_SOURCES) {
			log_warn("metrics: more than %d sources; the others count under source=\"\"",
			    METRICS_MAX_SOURCES - 1);
			break;
		}
		m->slots[n] = slot_new(name);
		n++;
		/* The slot is whole before readers can see it. */
		atomic_store_explicit(&m->nslots, n, memory_order_release);
	}
	for (i = 0; i < cfg->nroutes; i++)
		route_add(m, cfg->routes[i].name, cfg->routes[i].source,
		    cfg->routes[i].url == NULL);
	pthread_mutex_unlock(&m->reg_lock);
}

void
metrics_count(struct metrics *m, const char *source, enum outcome outcome, int64_t us)
{
	size_t n = atomic_load_explicit(&m->nslots, memory_order_acquire), b;
	struct slot *s = source != NULL ? slot_find(m, source, n) : NULL;

	if (s == NULL)
		s = m->slots[0];
	if ((int)outcome < 0 || outcome >= OUTCOME_COUNT)
		return;
	if (us < 0)
		us = 0;
	atomic_fetch_add_explicit(&s->count[outcome], 1, memory_order_relaxed);
	for (b = 0; b < NBUCKETS && us > BUCKET_US[b]; b++)
		;
	atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_us, (uint_fast64_t)us, memory_order_relaxed);
}

/* A growing text buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static void buf_printf(struct buf *, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		while (b->len + (size_t)n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = xrealloc(b->p, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* A label value, escaped as the text format wants: \\, \" and \n. */
static void
buf_label(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			buf_printf(b, "\\\\");
		else if (*v == '"')
			buf_printf(b, "\\\"");
		else if (*v == '\n')
			buf_printf(b, "\\n");
		else
			buf_printf(b, "%c", *v);
	}
}

static void
buf_help(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The row of source, route (NULL: events without a delivery) and status in q, or NULL. */
static const struct store_count *
queue_row(const struct metrics_queue *q, const char *source, const char *route,
    const char *status)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		const struct store_count *r = &q->rows[i];

		if (strcmp(r->source, source) == 0 && strcmp(r->status, status) == 0 &&
		    (route == NULL ? r->route == NULL : r->route != NULL &&
		    strcmp(r->route, route) == 0))
			return r;
	}
	return NULL;
}

/* source's deliveries of status over every route, plus its events of that status. */
static int64_t
queue_sum(const struct metrics_queue *q, const char *source, const char *status)
{
	int64_t n = 0;
	size_t i;

	for (i = 0; i < q->n; i++)
		if (strcmp(q->rows[i].source, source) == 0 && strcmp(q->rows[i].status, status) == 0)
			n += q->rows[i].count;
	return n;
}

/* Whether q's row j is the first of its source and status (the routes aside). */
static bool
first_status(const struct metrics_queue *q, size_t j)
{
	size_t i;

	for (i = 0; i < j; i++)
		if (strcmp(q->rows[i].source, q->rows[j].source) == 0 &&
		    strcmp(q->rows[i].status, q->rows[j].status) == 0)
			return false;
	return true;
}

static bool
known_status(const char *status)
{
	size_t i;

	for (i = 0; i < nitems(store_statuses); i++)
		if (strcmp(store_statuses[i], status) == 0)
			return true;
	for (i = 0; i < nitems(store_event_statuses); i++)
		if (strcmp(store_event_statuses[i], status) == 0)
			return true;
	return false;
}

static void
render_requests(struct metrics *m, struct buf *b, size_t n)
{
	size_t i, j;

	buf_help(b, "hookq_requests_total", "counter",
	    "Webhook requests by source and outcome (source=\"\": an unknown source).");
	for (i = 0; i < n; i++) {
		const struct slot *s = m->slots[i];

		for (j = 0; j < nitems(PRINT_ORDER); j++) {
			int o = PRINT_ORDER[j];
			uint64_t v = atomic_load_explicit(&s->count[o], memory_order_relaxed);

			/* The "" slot shows not_found always, the rest when they happened. */
			if (i == 0 && o != OUTCOME_NOT_FOUND && v == 0)
				continue;
			buf_printf(b, "hookq_requests_total{source=\"");
			buf_label(b, s->name);
			buf_printf(b, "\",outcome=\"%s\"} %llu\n", outcome_info((enum outcome)o)->name,
			    (unsigned long long)v);
		}
	}
}

static void
render_durations(struct metrics *m, struct buf *b)
{
	uint64_t cum = 0;
	size_t i;

	buf_help(b, "hookq_request_duration_seconds", "histogram",
	    "Time from a webhook request's arrival to its log line.");
	for (i = 0; i <= NBUCKETS; i++) {
		cum += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
		buf_printf(b, "hookq_request_duration_seconds_bucket{le=\"%s\"} %llu\n",
		    i < NBUCKETS ? BUCKET_LE[i] : "+Inf", (unsigned long long)cum);
	}
	buf_printf(b, "hookq_request_duration_seconds_sum %.6f\n",
	    (double)atomic_load_explicit(&m->sum_us, memory_order_relaxed) / 1e6);
	buf_printf(b, "hookq_request_duration_seconds_count %llu\n", (unsigned long long)cum);
}

/* The sources the queue series show: the registered ones, then others in the table. */
static const char **
queue_sources(struct metrics *m, size_t nslots, const struct metrics_queue *q, size_t *count)
{
	const char **names = xcalloc(nslots + q->n + 1, sizeof(*names));
	size_t n = 0, i, j;

	for (i = 1; i < nslots; i++)
		names[n++] = m->slots[i]->name;
	for (i = 0; i < q->n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(names[j], q->rows[i].source) == 0)
				break;
		if (j == n)
			names[n++] = q->rows[i].source;
	}
	*count = n;
	return names;
}

/*
 * The (source, route) pairs the route series show: the configured routes,
 * then others in the table. Call with reg_lock held (the names point into
 * m->routes and q).
 */
static const struct route_label **
queue_routes(struct metrics *m, const struct metrics_queue *q, size_t *count,
    struct route_label *extra)
{
	const struct route_label **pairs = xcalloc(m->nroutes + q->n + 1, sizeof(*pairs));
	size_t n = 0, nextra = 0, i, j;

	for (i = 0; i < m->nroutes; i++)
		pairs[n++] = &m->routes[i];
	for (i = 0; i < q->n; i++) {
		const struct store_count *r = &q->rows[i];

		if (r->route == NULL || strlen(r->route) > NAME_MAX_LEN ||
		    strlen(r->source) > NAME_MAX_LEN)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(pairs[j]->name, r->route) == 0 &&
			    strcmp(pairs[j]->source, r->source) == 0)
				break;
		if (j < n)
			continue;
		snprintf(extra[nextra].name, sizeof(extra[nextra].name), "%s", r->route);
		snprintf(extra[nextra].source, sizeof(extra[nextra].source), "%s", r->source);
		pairs[n++] = &extra[nextra++];
	}
	*count = n;
	return pairs;
}

/* Prints NAME{source="S",route="R" (the caller adds any other label, the "}" and the value). */
static void
buf_route_series(struct buf *b, const char *name, const struct route_label *r)
{
	buf_printf(b, "%s{source=\"", name);
	buf_label(b, r->source);
	buf_printf(b, "\",route=\"");
	buf_label(b, r->name);
	buf_printf(b, "\"");
}

/* The per-source series: every status summed over routes, the events without a delivery. */
static void
render_queue_sources(struct buf *b, const struct metrics_queue *q, const char **names, size_t n)
{
	size_t i, j;

	buf_help(b, "hookq_queue_events", "gauge", "Deliveries by source and status, summed over"
	    " routes; and events without one: unrouted (not routed yet) and unmatched (no route"
	    " took them).");
	for (i = 0; i < n; i++) {
		for (j = 0; j < nitems(store_statuses) + nitems(store_event_statuses); j++) {
			const char *st = j < nitems(store_statuses) ? store_statuses[j] :
			    store_event_statuses[j - nitems(store_statuses)];

			buf_printf(b, "hookq_queue_events{source=\"");
			buf_label(b, names[i]);
			buf_printf(b, "\",status=\"%s\"} %lld\n", st, (long long)queue_sum(q, names[i], st));
		}
		for (j = 0; j < q->n; j++) {
			const struct store_count *r = &q->rows[j];

			if (strcmp(r->source, names[i]) != 0 || known_status(r->status) ||
			    !first_status(q, j))
				continue;
			buf_printf(b, "hookq_queue_events{source=\"");
			buf_label(b, names[i]);
			buf_printf(b, "\",status=\"");
			buf_label(b, r->status);
			buf_printf(b, "\"} %lld\n", (long long)queue_sum(q, r->source, r->status));
		}
	}

	buf_help(b, "hookq_queue_unrouted_events", "gauge",
	    "Events of the source no worker has routed yet.");
	for (i = 0; i < n; i++) {
		buf_printf(b, "hookq_queue_unrouted_events{source=\"");
		buf_label(b, names[i]);
		buf_printf(b, "\"} %lld\n", (long long)queue_sum(q, names[i], "unrouted"));
	}
	buf_help(b, "hookq_queue_oldest_unrouted_age_seconds", "gauge",
	    "How long the source's oldest unrouted event has waited since it arrived (0: none).");
	for (i = 0; i < n; i++) {
		const struct store_count *r = queue_row(q, names[i], NULL, "unrouted");
		int64_t age = r ? q->now_ms - r->oldest_received : 0;

		buf_printf(b, "hookq_queue_oldest_unrouted_age_seconds{source=\"");
		buf_label(b, names[i]);
		buf_printf(b, "\"} %.3f\n", (double)(age > 0 ? age : 0) / 1000.0);
	}
	buf_help(b, "hookq_queue_unmatched_events", "gauge",
	    "Events of the source that no route took.");
	for (i = 0; i < n; i++) {
		buf_printf(b, "hookq_queue_unmatched_events{source=\"");
		buf_label(b, names[i]);
		buf_printf(b, "\"} %lld\n", (long long)queue_sum(q, names[i], "unmatched"));
	}
}

/* The per-route series. */
static void
render_queue_routes(struct buf *b, const struct metrics_queue *q,
    const struct route_label **pairs, size_t n)
{
	size_t i, j;

	buf_help(b, "hookq_queue_deliveries", "gauge", "Deliveries by source, route and status.");
	for (i = 0; i < n; i++) {
		for (j = 0; j < nitems(store_statuses); j++) {
			const struct store_count *r = queue_row(q, pairs[i]->source, pairs[i]->name,
			    store_statuses[j]);

			buf_route_series(b, "hookq_queue_deliveries", pairs[i]);
			buf_printf(b, ",status=\"%s\"} %lld\n", store_statuses[j],
			    r ? (long long)r->count : 0LL);
		}
		for (j = 0; j < q->n; j++) {
			const struct store_count *r = &q->rows[j];

			if (r->route == NULL || strcmp(r->route, pairs[i]->name) != 0 ||
			    strcmp(r->source, pairs[i]->source) != 0 || known_status(r->status))
				continue;
			buf_route_series(b, "hookq_queue_deliveries", pairs[i]);
			buf_printf(b, ",status=\"");
			buf_label(b, r->status);
			buf_printf(b, "\"} %lld\n", (long long)r->count);
		}
	}

	buf_help(b, "hookq_queue_oldest_pending_age_seconds", "gauge",
	    "How long the oldest event of the route's pending deliveries has waited since it"
	    " arrived (0: none).");
	for (i = 0; i < n; i++) {
		const struct store_count *r = queue_row(q, pairs[i]->source, pairs[i]->name, "pending");
		int64_t age = r ? q->now_ms - r->oldest_received : 0;

		buf_route_series(b, "hookq_queue_oldest_pending_age_seconds", pairs[i]);
		buf_printf(b, "} %.3f\n", (double)(age > 0 ? age : 0) / 1000.0);
	}

	buf_help(b, "hookq_dead_letters", "gauge",
	    "Dead deliveries by route: their handler failed max_attempts times.");
	for (i = 0; i < n; i++) {
		const struct store_count *r = queue_row(q, pairs[i]->source, pairs[i]->name, "dead");

		buf_route_series(b, "hookq_dead_letters", pairs[i]);
		buf_printf(b, "} %lld\n", r ? (long long)r->count : 0LL);
	}
}

/* A route's route_stats rows, as a scrape reads them. */
struct route_stats {
	int64_t results[STORE_NATTEMPT_CLASSES];
	bool seen[STORE_NATTEMPT_CLASSES];
	int64_t buckets[NBUCKETS];            /* not cumulative, as stored */
	int64_t sum_us, count;
};

/*
 * Fills *rs from route's rows in q (sorted by route, as store_route_stats()
 * returns them). A series it does not know is left out, so a row written by
 * anyone can change a value but never add a label.
 */
static void
route_stats_of(const struct metrics_queue *q, const char *route, struct route_stats *rs)
{
	size_t lo = 0, hi = q->nstats, i, j;

	memset(rs, 0, sizeof(*rs));
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(q->stats[mid].route, route) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < q->nstats && strcmp(q->stats[i].route, route) == 0; i++) {
		const struct store_route_stat *r = &q->stats[i];

		if (strcmp(r->series, "count") == 0)
			rs->count = r->value;
		else if (strcmp(r->series, "sum_us") == 0)
			rs->sum_us = r->value;
		else if (strncmp(r->series, "le_", 3) == 0) {
			char *end;
			long long us = strtoll(r->series + 3, &end, 10);

			for (j = 0; *end == '\0' && j < NBUCKETS; j++)
				if (BUCKET_US[j] == us)
					rs->buckets[j] = r->value;
		} else {
			for (j = 0; j < nitems(store_attempt_classes); j++)
				if (strcmp(r->series, store_attempt_classes[j]) == 0) {
					rs->results[j] = r->value;
					rs->seen[j] = true;
				}
		}
	}
}

/* Whether result class c is one a command route's attempts have (else a url route's). */
static bool
command_class(const char *c)
{
	return strcmp(c, "ok") == 0 || strcmp(c, "failed") == 0;
}

/*
 * The delivery series of the configured routes (call with reg_lock held):
 * attempts by result, the results of the route's kind at zero, another
 * class only once it has a row (a route that changed from a handler to a
 * url keeps its counts); and the duration histogram. Only configured names
 * become labels: rows of other routes are not shown.
 */
static void
render_deliveries(struct metrics *m, struct buf *b, const struct metrics_queue *q)
{
	struct route_stats *rs = xcalloc(m->nroutes + 1, sizeof(*rs));
	bool *dup = xcalloc(m->nroutes + 1, sizeof(*dup));
	size_t i, j;

	/* One series per route name: a name shared by two sources is one route_stats key. */
	for (i = 0; i < m->nroutes; i++) {
		for (j = 0; j < i && !dup[i]; j++)
			dup[i] = strcmp(m->routes[i].name, m->routes[j].name) == 0;
		if (!dup[i])
			route_stats_of(q, m->routes[i].name, &rs[i]);
	}

	buf_help(b, "hookq_delivery_attempts_total", "counter", "Delivery attempts by route and"
	    " result: 2xx, 3xx, 4xx, 5xx (the HTTP status), error (no HTTP response) for url"
	    " routes; ok and failed for handler routes.");
	for (i = 0; i < m->nroutes; i++) {
		if (dup[i])
			continue;
		for (j = 0; j < nitems(store_attempt_classes); j++) {
			const char *c = store_attempt_classes[j];

			if (!rs[i].seen[j] && command_class(c) != m->routes[i].command)
				continue;
			buf_printf(b, "hookq_delivery_attempts_total{route=\"");
			buf_label(b, m->routes[i].name);
			buf_printf(b, "\",result=\"%s\"} %lld\n", c, (long long)rs[i].results[j]);
		}
	}

	buf_help(b, "hookq_delivery_duration_seconds", "histogram",
	    "How long each delivery attempt took, by route.");
	for (i = 0; i < m->nroutes; i++) {
		int64_t cum = 0;

		if (dup[i])
			continue;
		for (j = 0; j < NBUCKETS; j++) {
			cum += rs[i].buckets[j];
			buf_printf(b, "hookq_delivery_duration_seconds_bucket{route=\"");
			buf_label(b, m->routes[i].name);
			/* Never above count (the +Inf bucket), whatever the rows say. */
			buf_printf(b, "\",le=\"%s\"} %lld\n", BUCKET_LE[j],
			    (long long)(cum < rs[i].count ? cum : rs[i].count));
		}
		buf_printf(b, "hookq_delivery_duration_seconds_bucket{route=\"");
		buf_label(b, m->routes[i].name);
		buf_printf(b, "\",le=\"+Inf\"} %lld\n", (long long)rs[i].count);
		buf_printf(b, "hookq_delivery_duration_seconds_sum{route=\"");
		buf_label(b, m->routes[i].name);
		buf_printf(b, "\"} %.6f\n", (double)rs[i].sum_us / 1e6);
		buf_printf(b, "hookq_delivery_duration_seconds_count{route=\"");
		buf_label(b, m->routes[i].name);
		buf_printf(b, "\"} %lld\n", (long long)rs[i].count);
	}
	free(dup);
	free(rs);
}

static void
render_queue(struct metrics *m, struct buf *b, size_t nslots, const struct metrics_queue *q)
{
	const struct route_label **pairs;
	struct route_label *extra;
	const char **names;
	size_t n, npairs;

	buf_help(b, "hookq_queue_up", "gauge", "1 when the queue could be read for this scrape.");
	buf_printf(b, "hookq_queue_up %d\n", q->ok ? 1 : 0);
	if (!q->ok)
		return;
	names = queue_sources(m, nslots, q, &n);
	render_queue_sources(b, q, names, n);
	free(names);

	extra = xcalloc(q->n + 1, sizeof(*extra));
	pthread_mutex_lock(&m->reg_lock);
	pairs = queue_routes(m, q, &npairs, extra);
	render_queue_routes(b, q, pairs, npairs);
	render_deliveries(m, b, q);
	pthread_mutex_unlock(&m->reg_lock);
	free(pairs);
	free(extra);
}

char *
metrics_render(struct metrics *m, const struct metrics_queue *q, size_t *len)
{
	size_t nslots = atomic_load_explicit(&m->nslots, memory_order_acquire);
	struct buf b = { NULL, 0, 0 };

	render_requests(m, &b, nslots);
	render_durations(m, &b);
	render_queue(m, &b, nslots, q);
	*len = b.len;
	return b.p;
}

/* Locks c's mutex, waiting until deadline_us at most; 0 or -1. */
static int
conn_lock(struct conn *c, int64_t deadline_us)
{
	struct timespec ts;
	int64_t left = deadline_us - clock_mono_us(), ns;

	if (pthread_mutex_trylock(&c->lock) == 0)
		return 0;
	if (left <= 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (int64_t)ts.tv_nsec + (left % 1000000) * 1000;
	ts.tv_sec += (time_t)(left / 1000000 + ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	return pthread_mutex_timedlock(&c->lock, &ts) == 0 ? 0 : -1;
}

/* Opens c's connection if it is not yet; call with its lock held. 0, or -1 with why. */
static int
conn_open(struct metrics *m, struct conn *c, char *why, size_t whysize)
{
	char *cause = NULL;

	if (c->st != NULL)
		return 0;
	c->st = store_open(m->path, &m->opt, &cause);
	if (c->st == NULL) {
		snprintf(why, whysize, "%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

char *
metrics_scrape(struct metrics *m, int64_t deadline_us, size_t *len, char *why, size_t whysize)
{
	struct metrics_queue q;
	struct store_count *rows = NULL;
	struct store_route_stat *stats = NULL;
	size_t n = 0, nstats = 0;
	char *text;

	memset(&q, 0, sizeof(q));
	why[0] = '\0';
	if (conn_lock(&m->reader, deadline_us) != 0)
		snprintf(why, whysize, "another scrape holds the queue reader");
	else {
		if (conn_open(m, &m->reader, why, whysize) == 0) {
			if (store_counts(m->reader.st, &rows, &n) == 0 &&
			    store_route_stats(m->reader.st, &stats, &nstats) == 0)
				q.ok = true;
			else
				snprintf(why, whysize, "%s", store_error(m->reader.st));
		}
		pthread_mutex_unlock(&m->reader.lock);
	}
	q.rows = rows;
	q.n = n;
	q.now_ms = clock_wall_ms();
	q.stats = stats;
	q.nstats = nstats;
	text = metrics_render(m, &q, len);
	store_counts_free(rows, n);
	store_route_stats_free(stats, nstats);
	return text;
}

int
metrics_health(struct metrics *m, int64_t deadline_us, char *why, size_t whysize)
{
	int rc = -1;

	if (conn_lock(&m->prober, deadline_us) != 0) {
		snprintf(why, whysize, "another health check is waiting for the write lock");
		return -1;
	}
	if (conn_open(m, &m->prober, why, whysize) == 0) {
		rc = store_probe_write(m->prober.st, deadline_us);
		if (rc != 0)
			snprintf(why, whysize, "%s", store_error(m->prober.st));
	}
	pthread_mutex_unlock(&m->prober.lock);
	return rc;
}
