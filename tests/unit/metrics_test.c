/*
 * metrics_test.c: the receiver's metrics (src/metrics.c): the Prometheus
 * text for counters, the duration histogram and the queue, label escaping,
 * a bounded label set whatever sources requests name, exact counts under
 * concurrent threads, and the scrape and health connections against a real
 * database whose write lock another connection holds.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "config.h"
#include "metrics.h"
#include "store.h"
#include "util.h"

/* A config with just the source and route names metrics_add_sources() reads. */
struct names_config {
	struct config cfg;
	struct source src[3];
	struct route rt[3];
};

/* Adds route name, of source, to nc (three at most). */
static void
names_route(struct names_config *nc, const char *name, const char *source)
{
	nc->cfg.routes = nc->rt;
	nc->rt[nc->cfg.nroutes].name = (char *)name;
	nc->rt[nc->cfg.nroutes++].source = (char *)source;
}

static void
names_config(struct names_config *nc, const char *a, const char *b, const char *c)
{
	const char *names[3] = { a, b, c };
	size_t i;

	memset(nc, 0, sizeof(*nc));
	nc->cfg.sources = nc->src;
	for (i = 0; i < 3 && names[i] != NULL; i++)
		nc->src[nc->cfg.nsources++].name = (char *)names[i];
}

static struct metrics *
new_metrics(void)
{
	struct store_options opt = { .durability_full = false, .busy_timeout = 100 };

	return metrics_new("/nonexistent/never-opened.db", &opt);
}

static char *
render(struct metrics *m, const struct metrics_queue *q)
{
	struct metrics_queue none = { false, NULL, 0, 0, NULL, 0 };
	size_t len;
	char *text = metrics_render(m, q ? q : &none, &len);

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

/* Fails the test, showing the text, unless line is one whole line of it. */
static void
assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void
assert_no(const char *text, const char *part)
{
	if (strstr(text, part) != NULL)
		fail_msg("\"%s\" should not be in:\n%s", part, text);
}

/* A fresh receiver with two sources and an unreadable queue: the whole text, exactly. */
static void
test_render_fresh(void **state)
{
	struct metrics *m = new_metrics();
	struct names_config nc;
	char *text;

	names_config(&nc, "gh", "st", NULL);
	metrics_add_sources(m, &nc.cfg);
	text = render(m, NULL);
	assert_string_equal(text,
	    "# HELP hookq_requests_total Webhook requests by source and outcome"
	    " (source=\"\": an unknown source).\n"
	    "# TYPE hookq_requests_total counter\n"
	    "hookq_requests_total{source=\"\",outcome=\"not_found\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"stored\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"duplicate\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"ignored\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"lost\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"bad_request\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"unauthorized\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"not_found\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"method_not_allowed\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"too_large\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"handshake\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"forbidden\"} 0\n"
	    "hookq_requests_total{source=\"gh\",outcome=\"unavailable\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"stored\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"duplicate\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"ignored\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"lost\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"bad_request\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"unauthorized\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"not_found\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"method_not_allowed\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"too_large\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"handshake\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"forbidden\"} 0\n"
	    "hookq_requests_total{source=\"st\",outcome=\"unavailable\"} 0\n"
	    "# HELP hookq_request_duration_seconds Time from a webhook request's arrival to its"
	    " log line.\n"
	    "# TYPE hookq_request_duration_seconds histogram\n"
	    "hookq_request_duration_seconds_bucket{le=\"0.001\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"0.0025\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"0.005\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"0.01\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"0.025\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"0.05\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"0.1\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"0.25\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"0.5\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"1\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"2.5\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"5\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"10\"} 0\n"
	    "hookq_request_duration_seconds_bucket{le=\"+Inf\"} 0\n"
	    "hookq_request_duration_seconds_sum 0.000000\n"
	    "hookq_request_duration_seconds_count 0\n"
	    "# HELP hookq_queue_up 1 when the queue could be read for this scrape.\n"
	    "# TYPE hookq_queue_up gauge\n"
	    "hookq_queue_up 0\n");
	free(text);
	metrics_free(m);
}

/* Each request counts once under its source and outcome; unknown names under "". */
static void
test_counts(void **state)
{
	struct metrics *m = new_metrics();
	struct names_config nc;
	char *text;

	names_config(&nc, "gh", "st", NULL);
	metrics_add_sources(m, &nc.cfg);
	metrics_count(m, "gh", OUTCOME_STORED, 100);
	metrics_count(m, "gh", OUTCOME_STORED, 100);
	metrics_count(m, "gh", OUTCOME_DUPLICATE, 100);
	metrics_count(m, "st", OUTCOME_UNAUTHORIZED, 100);
	metrics_count(m, "st", OUTCOME_LOST, 100);
	metrics_count(m, NULL, OUTCOME_NOT_FOUND, 100);
	metrics_count(m, "nosuch", OUTCOME_NOT_FOUND, 100);
	metrics_count(m, "nosuch", OUTCOME_TOO_LARGE, 100);
	/* Out of range: ignored, not a crash. */
	metrics_count(m, "gh", OUTCOME_COUNT, 100);
	metrics_count(m, "gh", -1, 100);
	text = render(m, NULL);
	assert_line(text, "hookq_requests_total{source=\"gh\",outcome=\"stored\"} 2");
	assert_line(text, "hookq_requests_total{source=\"gh\",outcome=\"duplicate\"} 1");
	assert_line(text, "hookq_requests_total{source=\"gh\",outcome=\"unauthorized\"} 0");
	assert_line(text, "hookq_requests_total{source=\"st\",outcome=\"unauthorized\"} 1");
	assert_line(text, "hookq_requests_total{source=\"st\",outcome=\"lost\"} 1");
	assert_line(text, "hookq_requests_total{source=\"\",outcome=\"not_found\"} 2");
	assert_line(text, "hookq_requests_total{source=\"\",outcome=\"too_large\"} 1");
	assert_no(text, "source=\"\",outcome=\"stored\"");
	assert_no(text, "nosuch");
	assert_no(text, "accepted");
	assert_line(text, "hookq_request_duration_seconds_count 8");
	free(text);
	metrics_free(m);
}

/* Buckets are cumulative, an upper bound is inclusive, the sum is in seconds. */
static void
test_histogram(void **state)
{
	struct metrics *m = new_metrics();
	char *text;

	metrics_count(m, NULL, OUTCOME_NOT_FOUND, 500);
	metrics_count(m, NULL, OUTCOME_NOT_FOUND, 1000);
	metrics_count(m, NULL, OUTCOME_NOT_FOUND, 1001);
	metrics_count(m, NULL, OUTCOME_NOT_FOUND, 300000);
	metrics_count(m, NULL, OUTCOME_NOT_FOUND, 20000000);
	metrics_count(m, NULL, OUTCOME_NOT_FOUND, -5);
	text = render(m, NULL);
	assert_line(text, "hookq_request_duration_seconds_bucket{le=\"0.001\"} 3");
	assert_line(text, "hookq_request_duration_seconds_bucket{le=\"0.0025\"} 4");
	assert_line(text, "hookq_request_duration_seconds_bucket{le=\"0.25\"} 4");
	assert_line(text, "hookq_request_duration_seconds_bucket{le=\"0.5\"} 5");
	assert_line(text, "hookq_request_duration_seconds_bucket{le=\"10\"} 5");
	assert_line(text, "hookq_request_duration_seconds_bucket{le=\"+Inf\"} 6");
	assert_line(text, "hookq_request_duration_seconds_sum 20.302501");
	assert_line(text, "hookq_request_duration_seconds_count 6");
	free(text);
	metrics_free(m);
}

/*
 * The queue: per source every status summed over its routes, and its
 * unrouted and unmatched events; per source and route every delivery
 * status, the oldest pending age and the dead letters, configured routes at
 * zero; sources and routes only in the table; odd names escaped.
 */
static void
test_queue(void **state)
{
	struct metrics *m = new_metrics();
	struct names_config nc;
	struct store_count rows[] = {
		{ "gh", NULL, "unrouted", 4, 90000 },
		{ "gh", "audit", "pending", 1, 97000 },
		{ "gh", "gh", "dead", 2, 1000 },
		{ "gh", "gh", "pending", 3, 95000 },
		{ "gh", "gh", "weird", 1, 0 },
		{ "old\"one\\\n", "old\"r", "pending", 4, 99999 },
	};
	struct metrics_queue q = { true, rows, nitems(rows), 100000, NULL, 0 };
	char *text;

	names_config(&nc, "gh", "st", NULL);
	names_route(&nc, "gh", "gh");
	names_route(&nc, "audit", "gh");
	names_route(&nc, "stq", "st");
	metrics_add_sources(m, &nc.cfg);
	text = render(m, &q);
	assert_line(text, "hookq_queue_up 1");
	assert_line(text, "# TYPE hookq_queue_events gauge");
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"pending\"} 4");
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"held\"} 0");
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"running\"} 0");
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"done\"} 0");
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"dead\"} 2");
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"weird\"} 1");
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"unrouted\"} 4");
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"unmatched\"} 0");
	assert_line(text, "hookq_queue_events{source=\"st\",status=\"pending\"} 0");
	assert_line(text, "hookq_queue_events{source=\"old\\\"one\\\\\\n\",status=\"pending\"} 4");

	assert_line(text, "# TYPE hookq_queue_deliveries gauge");
	assert_line(text, "hookq_queue_deliveries{source=\"gh\",route=\"gh\",status=\"pending\"} 3");
	assert_line(text, "hookq_queue_deliveries{source=\"gh\",route=\"gh\",status=\"dead\"} 2");
	assert_line(text, "hookq_queue_deliveries{source=\"gh\",route=\"gh\",status=\"held\"} 0");
	assert_line(text, "hookq_queue_deliveries{source=\"gh\",route=\"gh\",status=\"weird\"} 1");
	assert_line(text, "hookq_queue_deliveries{source=\"gh\",route=\"audit\",status=\"pending\"} 1");
	assert_line(text, "hookq_queue_deliveries{source=\"gh\",route=\"audit\",status=\"dead\"} 0");
	assert_line(text, "hookq_queue_deliveries{source=\"st\",route=\"stq\",status=\"done\"} 0");
	assert_line(text, "hookq_queue_deliveries{source=\"old\\\"one\\\\\\n\",route=\"old\\\"r\","
	    "status=\"pending\"} 4");
	assert_no(text, "hookq_queue_deliveries{source=\"gh\",route=\"audit\",status=\"weird\"}");

	assert_line(text, "# TYPE hookq_queue_unrouted_events gauge");
	assert_line(text, "hookq_queue_unrouted_events{source=\"gh\"} 4");
	assert_line(text, "hookq_queue_unrouted_events{source=\"st\"} 0");
	assert_line(text, "hookq_queue_oldest_unrouted_age_seconds{source=\"gh\"} 10.000");
	assert_line(text, "hookq_queue_oldest_unrouted_age_seconds{source=\"st\"} 0.000");
	assert_line(text, "hookq_queue_unmatched_events{source=\"gh\"} 0");

	assert_line(text, "# TYPE hookq_queue_oldest_pending_age_seconds gauge");
	assert_line(text, "hookq_queue_oldest_pending_age_seconds{source=\"gh\",route=\"gh\"} 5.000");
	assert_line(text, "hookq_queue_oldest_pending_age_seconds{source=\"gh\",route=\"audit\"} 3.000");
	assert_line(text, "hookq_queue_oldest_pending_age_seconds{source=\"st\",route=\"stq\"} 0.000");
	assert_line(text, "hookq_queue_oldest_pending_age_seconds{source=\"old\\\"one\\\\\\n\","
	    "route=\"old\\\"r\"} 0.001");
	assert_line(text, "# TYPE hookq_dead_letters gauge");
	assert_line(text, "hookq_dead_letters{source=\"gh\",route=\"gh\"} 2");
	assert_line(text, "hookq_dead_letters{source=\"gh\",route=\"audit\"} 0");
	assert_line(text, "hookq_dead_letters{source=\"st\",route=\"stq\"} 0");
	/* A source without a route has no route series; one in the table gets no request counters. */
	assert_no(text, "hookq_dead_letters{source=\"st\",route=\"st\"}");
	assert_no(text, "hookq_requests_total{source=\"old");
	free(text);
	metrics_free(m);
}

/*
 * Delivery series from route_stats rows: per configured route, attempts by
 * result (the route's kind's results at zero, another class once it has a
 * row), and a histogram whose buckets are cumulative, with +Inf equal to
 * count and never below a finite bucket; odd route names escaped. Rows of
 * an unconfigured route, and series no one knows, add no label.
 */
static void
test_deliveries(void **state)
{
	static char *argv[] = { "/bin/true", NULL };
	static char url[] = "http://127.0.0.1:3000/hooks";
	struct metrics *m = new_metrics();
	struct names_config nc;
	struct store_route_stat rows[] = {
		/* By route, then series: store_route_stats()'s order. */
		{ "cmd", "count", 3 },
		{ "cmd", "failed", 1 },
		{ "cmd", "le_1000", 1 },
		{ "cmd", "le_250000", 1 },
		{ "cmd", "ok", 2 },
		{ "cmd", "sum_us", 20300500 },
		{ "ghost", "2xx", 9 },
		{ "we\"b\\\n", "2xx", 1 },
		{ "we\"b\\\n", "count", 1 },
		{ "we\"b\\\n", "le_1000", 1 },
		{ "web", "2xx", 4 },
		{ "web", "5xx", 1 },
		{ "web", "count", 5 },
		{ "web", "le_10000000", 1 },
		{ "web", "le_2500", 2 },
		{ "web", "le_7", 50 },
		{ "web", "ok", 0 },
		{ "web", "sum_us", 1500000 },
		{ "web", "weird\"}", 7 },
	};
	struct metrics_queue q = { true, NULL, 0, 100000, rows, nitems(rows) };
	char *text, *p;

	names_config(&nc, "gh", NULL, NULL);
	names_route(&nc, "cmd", "gh");
	nc.rt[0].handler_argv = argv;
	names_route(&nc, "web", "gh");
	nc.rt[1].url = url;
	names_route(&nc, "we\"b\\\n", "gh");
	nc.rt[2].url = url;
	metrics_add_sources(m, &nc.cfg);
	text = render(m, &q);

	assert_line(text, "# TYPE hookq_delivery_attempts_total counter");
	assert_line(text, "hookq_delivery_attempts_total{route=\"cmd\",result=\"ok\"} 2");
	assert_line(text, "hookq_delivery_attempts_total{route=\"cmd\",result=\"failed\"} 1");
	assert_no(text, "hookq_delivery_attempts_total{route=\"cmd\",result=\"2xx\"}");
	assert_line(text, "hookq_delivery_attempts_total{route=\"web\",result=\"2xx\"} 4");
	assert_line(text, "hookq_delivery_attempts_total{route=\"web\",result=\"3xx\"} 0");
	assert_line(text, "hookq_delivery_attempts_total{route=\"web\",result=\"4xx\"} 0");
	assert_line(text, "hookq_delivery_attempts_total{route=\"web\",result=\"5xx\"} 1");
	assert_line(text, "hookq_delivery_attempts_total{route=\"web\",result=\"error\"} 0");
	/* A class of the other kind shows once it has a row (here at 0). */
	assert_line(text, "hookq_delivery_attempts_total{route=\"web\",result=\"ok\"} 0");
	assert_no(text, "hookq_delivery_attempts_total{route=\"web\",result=\"failed\"}");
	assert_line(text, "hookq_delivery_attempts_total{route=\"we\\\"b\\\\\\n\",result=\"2xx\"} 1");

	assert_line(text, "# TYPE hookq_delivery_duration_seconds histogram");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"cmd\",le=\"0.001\"} 1");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"cmd\",le=\"0.1\"} 1");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"cmd\",le=\"0.25\"} 2");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"cmd\",le=\"10\"} 2");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"cmd\",le=\"+Inf\"} 3");
	assert_line(text, "hookq_delivery_duration_seconds_sum{route=\"cmd\"} 20.300500");
	assert_line(text, "hookq_delivery_duration_seconds_count{route=\"cmd\"} 3");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"web\",le=\"0.001\"} 0");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"web\",le=\"0.0025\"} 2");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"web\",le=\"5\"} 2");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"web\",le=\"10\"} 3");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"web\",le=\"+Inf\"} 5");
	assert_line(text, "hookq_delivery_duration_seconds_count{route=\"web\"} 5");
	assert_line(text, "hookq_delivery_duration_seconds_sum{route=\"web\"} 1.500000");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"we\\\"b\\\\\\n\","
	    "le=\"+Inf\"} 1");
	assert_line(text, "hookq_delivery_duration_seconds_count{route=\"we\\\"b\\\\\\n\"} 1");
	assert_no(text, "ghost");
	assert_no(text, "weird");
	assert_no(text, "le=\"0.000007\"");
	/* Each route's buckets never decrease, and none passes its +Inf. */
	{
		const char *key = "\nhookq_delivery_duration_seconds_bucket{route=\"web\"";
		long long last = 0, v;
		int seen = 0;

		for (p = text; (p = strstr(p, key)) != NULL; p++) {
			v = strtoll(strchr(p, ' ') + 1, NULL, 10);
			assert_true(v >= last && v <= 5);
			last = v;
			seen++;
		}
		assert_int_equal(seen, 14);
	}
	free(text);

	/* A route configured with no row yet: its kind's results and an empty histogram at zero. */
	q.nstats = 0;
	text = render(m, &q);
	assert_line(text, "hookq_delivery_attempts_total{route=\"cmd\",result=\"ok\"} 0");
	assert_line(text, "hookq_delivery_attempts_total{route=\"web\",result=\"error\"} 0");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"web\",le=\"+Inf\"} 0");
	assert_line(text, "hookq_delivery_duration_seconds_sum{route=\"web\"} 0.000000");
	free(text);
	/* The queue unread: no delivery series (a 0 would look like a counter reset). */
	q.ok = false;
	text = render(m, &q);
	assert_no(text, "hookq_delivery_");
	free(text);
	metrics_free(m);
}

/* Reloads add sources once; removed ones keep their counters; the set never grows from requests. */
static void
test_sources_bounded(void **state)
{
	struct metrics *m = new_metrics();
	struct names_config nc;
	char name[32], *text;
	int i;

	names_config(&nc, "a", "b", NULL);
	metrics_add_sources(m, &nc.cfg);
	metrics_count(m, "a", OUTCOME_STORED, 1);
	names_config(&nc, "b", "c", "b");
	metrics_add_sources(m, &nc.cfg);
	metrics_count(m, "c", OUTCOME_STORED, 1);
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "random-%d", i);
		metrics_count(m, name, OUTCOME_NOT_FOUND, 1);
	}
	text = render(m, NULL);
	assert_line(text, "hookq_requests_total{source=\"a\",outcome=\"stored\"} 1");
	assert_line(text, "hookq_requests_total{source=\"c\",outcome=\"stored\"} 1");
	assert_line(text, "hookq_requests_total{source=\"\",outcome=\"not_found\"} 2000");
	assert_no(text, "random-");
	{
		/* One line per source and outcome but accepted, plus source=""'s not_found. */
		size_t lines = 0;
		const char *p = text;

		while ((p = strstr(p, "\nhookq_requests_total{")) != NULL) {
			lines++;
			p++;
		}
		assert_int_equal(lines, 1 + 3 * (OUTCOME_COUNT - 1));
	}
	free(text);
	metrics_free(m);
}

struct counter_arg {
	struct metrics *m;
	int n;
};

static void *
counter_main(void *arg)
{
	struct counter_arg *a = arg;
	int i;

	for (i = 0; i < a->n; i++)
		metrics_count(a->m, (i & 1) ? "gh" : "nosuch", (i & 1) ? OUTCOME_STORED : OUTCOME_NOT_FOUND,
		    1500);
	return NULL;
}

/* Threads counting at once lose nothing. */
static void
test_concurrent(void **state)
{
	struct metrics *m = new_metrics();
	struct names_config nc;
	struct counter_arg a;
	pthread_t t[4];
	char *text;
	size_t i;

	names_config(&nc, "gh", NULL, NULL);
	metrics_add_sources(m, &nc.cfg);
	a.m = m;
	a.n = 20000;
	for (i = 0; i < nitems(t); i++)
		assert_int_equal(pthread_create(&t[i], NULL, counter_main, &a), 0);
	for (i = 0; i < nitems(t); i++)
		pthread_join(t[i], NULL);
	text = render(m, NULL);
	assert_line(text, "hookq_requests_total{source=\"gh\",outcome=\"stored\"} 40000");
	assert_line(text, "hookq_requests_total{source=\"\",outcome=\"not_found\"} 40000");
	assert_line(text, "hookq_request_duration_seconds_bucket{le=\"0.001\"} 0");
	assert_line(text, "hookq_request_duration_seconds_bucket{le=\"0.0025\"} 80000");
	assert_line(text, "hookq_request_duration_seconds_sum 120.000000");
	free(text);
	metrics_free(m);
}

/*
 * On a real database: a scrape reads the queue, the health check passes;
 * while another connection holds the write lock the check fails within its
 * deadline and a scrape still reads (WAL); once released it passes again.
 */
static void
test_database(void **state)
{
	struct store_options opt = { .durability_full = false, .busy_timeout = 2000 };
	char *dir = tu_tmpdir(), *path = tu_path(dir, "q.db"), *cause = NULL, *text;
	struct store *other;
	struct store_event ev;
	struct metrics *m;
	struct names_config nc;
	char why[256];
	bool inserted;
	size_t len;
	int64_t t0, took;

	other = store_open(path, &opt, &cause);
	if (other == NULL)
		fail_msg("%s", cause);
	memset(&ev, 0, sizeof(ev));
	ev.source = "gh";
	ev.event_id = "e1";
	ev.received_at = clock_wall_ms() - 60000;
	ev.headers = "{}";
	ev.headers_len = 2;
	ev.body = "x";
	ev.body_len = 1;
	assert_int_equal(store_begin(other, clock_mono_us() + 1000000), 0);
	assert_int_equal(store_insert(other, &ev, &inserted), 0);
	assert_int_equal(store_commit(other), 0);

	m = metrics_new(path, &opt);
	names_config(&nc, "gh", NULL, NULL);
	names_route(&nc, "gh", "gh");
	metrics_add_sources(m, &nc.cfg);
	text = metrics_scrape(m, clock_mono_us() + 1000000, &len, why, sizeof(why));
	assert_string_equal(why, "");
	assert_line(text, "hookq_queue_up 1");
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"unrouted\"} 1");
	assert_line(text, "hookq_queue_unrouted_events{source=\"gh\"} 1");
	assert_non_null(strstr(text, "hookq_queue_oldest_unrouted_age_seconds{source=\"gh\"} 6"));
	free(text);
	/* Routed: one delivery of route gh, pending. */
	{
		struct store_new_delivery d = { "gh", NULL };
		bool routed;

		assert_int_equal(store_route_event(other, 1, clock_wall_ms(), &d, 1, &routed), 0);
		assert_true(routed);
	}
	text = metrics_scrape(m, clock_mono_us() + 1000000, &len, why, sizeof(why));
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"pending\"} 1");
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"unrouted\"} 0");
	assert_line(text, "hookq_queue_deliveries{source=\"gh\",route=\"gh\",status=\"pending\"} 1");
	assert_non_null(strstr(text,
	    "hookq_queue_oldest_pending_age_seconds{source=\"gh\",route=\"gh\"} 6"));
	assert_line(text, "hookq_delivery_duration_seconds_count{route=\"gh\"} 0");
	free(text);
	/* A worker's attempts, counted in the database, show at the next scrape. */
	{
		const struct store_attempt_stat a[] = { { "gh", "5xx", 2000 }, { "gh", "2xx", 3000 } };

		assert_int_equal(store_count_attempts(other, a, nitems(a)), 0);
	}
	text = metrics_scrape(m, clock_mono_us() + 1000000, &len, why, sizeof(why));
	assert_line(text, "hookq_delivery_attempts_total{route=\"gh\",result=\"2xx\"} 1");
	assert_line(text, "hookq_delivery_attempts_total{route=\"gh\",result=\"5xx\"} 1");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"gh\",le=\"0.0025\"} 1");
	assert_line(text, "hookq_delivery_duration_seconds_bucket{route=\"gh\",le=\"0.005\"} 2");
	assert_line(text, "hookq_delivery_duration_seconds_sum{route=\"gh\"} 0.005000");
	assert_line(text, "hookq_delivery_duration_seconds_count{route=\"gh\"} 2");
	free(text);
	assert_int_equal(metrics_health(m, clock_mono_us() + 1000000, why, sizeof(why)), 0);

	assert_int_equal(store_begin(other, clock_mono_us() + 1000000), 0);
	t0 = clock_mono_us();
	assert_int_equal(metrics_health(m, t0 + 200000, why, sizeof(why)), -1);
	took = clock_mono_us() - t0;
	if (took < 150000 || took > 1500000)
		fail_msg("the locked health check took %lld us, not about 200 ms", (long long)took);
	assert_non_null(strstr(why, "locked"));
	text = metrics_scrape(m, clock_mono_us() + 1000000, &len, why, sizeof(why));
	assert_line(text, "hookq_queue_up 1");
	assert_line(text, "hookq_queue_events{source=\"gh\",status=\"pending\"} 1");
	free(text);
	{
		/* Connections opened for the first time while the lock is held behave the same. */
		struct metrics *m2 = metrics_new(path, &opt);

		assert_int_equal(metrics_health(m2, clock_mono_us() + 100000, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "locked"));
		text = metrics_scrape(m2, clock_mono_us() + 1000000, &len, why, sizeof(why));
		assert_line(text, "hookq_queue_up 1");
		free(text);
		metrics_free(m2);
	}
	store_rollback(other);

	assert_int_equal(metrics_health(m, clock_mono_us() + 1000000, why, sizeof(why)), 0);
	metrics_free(m);
	store_close(other);
	tu_rmtree(dir);
	free(dir);
	free(path);
	free(cause);
}

/* A database that cannot be opened: no queue series, a reason, and health fails. */
static void
test_database_missing(void **state)
{
	struct metrics *m = new_metrics();
	char why[256], *text;
	size_t len;

	text = metrics_scrape(m, clock_mono_us() + 100000, &len, why, sizeof(why));
	assert_line(text, "hookq_queue_up 0");
	assert_no(text, "hookq_queue_events");
	assert_non_null(strstr(why, "never-opened.db"));
	free(text);
	assert_int_equal(metrics_health(m, clock_mono_us() + 100000, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "never-opened.db"));
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_fresh),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_deliveries),
		cmocka_unit_test(test_sources_bounded),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_database),
		cmocka_unit_test(test_database_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
