/*
 * hookq-worker: drains the queue hookq-receiver fills. It routes each
 * stored event (one delivery per route that takes it, made in one
 * transaction with the event's routed mark, so none is missed or made
 * twice), then runs each delivery's route handler, at least once and never
 * twice at the same time, within the route's concurrency, rate and order.
 *
 * One thread and one poll() loop. What wakes it:
 *  - the store's watch (store_watch_open()): a commit by any process (the
 *    receiver, another worker, an operator): inotify on a SQLite file's
 *    WAL, LISTEN on PostgreSQL. A claim made on that wake-up cannot miss
 *    the commit (store.h).
 *  - a timer for the next scheduled retry or expiring lease (store_next_due),
 *    handler timeouts and housekeeping;
 *  - signalfd: SIGCHLD (a handler ended), SIGTERM/SIGINT, SIGHUP;
 *  - the handlers' stdout and stderr pipes, the stream handlers' stdin too;
 *  - the url routes' connections, through libcurl's multi interface
 *    (http_poll() is poll() with curl's sockets added).
 *
 * A delivery goes one of three ways, by its route: a handler process of its
 * own (handler.h), a frame to a long-lived stream handler (stream.h), or a
 * POST (http.h, delivery.h). Whichever, it ends as one of the attempt
 * outcomes below, and from there on it is the same row to record.
 */
#include "autoconf.h"

#include <sys/signalfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "delivery.h"
#include "handler.h"
#include "http.h"
#include "log.h"
#include "retry.h"
#include "route.h"
#include "store.h"
#include "stream.h"
#include "systemd.h"
#include "util.h"

/* How often the worker prunes done rows and truncates the WAL. */
#define PRUNE_EVERY_MS 60000
#define TRUNCATE_EVERY_MS 10000
#define PRUNE_BATCH 1000
/* Events routed per transaction at most, so a backlog never holds the lock long. */
#define ROUTE_BATCH 256
/* After a database error, how long before trying again. */
#define RETRY_DB_MS 1000
/* How often a lost watch connection (PostgreSQL's LISTEN) is tried again. */
#define WATCH_RETRY_MS 1000
/*
 * Attempts counted in route_stats are written at most once a second (or
 * once TALLY_MAX are waiting): a write of its own each transaction was one
 * more 16 KB page in the WAL per delivery. A crash loses a second of counts.
 */
#define TALLY_EVERY_MS 1000
#define TALLY_MAX 4096

enum job_kind { JOB_EXEC, JOB_STREAM, JOB_HTTP };

/* How one attempt went, whatever carried it. */
enum attempt {
	ATTEMPT_OK,       /* done */
	ATTEMPT_FAILED,   /* retry, unless it was the last attempt */
	ATTEMPT_FATAL,    /* dead now: the handler or the application said so */
	ATTEMPT_STOPPED,  /* the worker's shutdown stopped it: not counted */
};

/* A long-lived handler of a stream route, and whether a job has it. */
struct proc {
	struct stream s;
	char *route;
	struct job *job;           /* the delivery it is handling; NULL: idle */
	bool retire;               /* stop it once its event is done (a reload) */
	bool stopped_by_us;        /* its event's failure is the shutdown's, not the event's */
};

/* One claimed delivery and what is carrying it. */
struct job {
	bool used;
	enum job_kind kind;
	struct store_job row;
	struct handler h;          /* JOB_EXEC */
	struct proc *proc;         /* JOB_STREAM */
	char **headers;            /* JOB_HTTP: the request's, kept while it is in flight */
	bool in_flight;            /* JOB_HTTP: a transfer is under way */
	char label[320];           /* "route=R delivery=D source=S row=N attempt=A" */
	int64_t started_us;
	/* The route's settings when claimed: a reload does not change a run under way. */
	int64_t timeout;
	int max_attempts;
	int64_t backoff_base, backoff_max;
	bool retry_4xx;
	/* Once the handler has ended: what to record, kept until the database takes it. */
	bool ended;
	enum store_result result;
	int64_t next_at;
	char *error;
	int64_t duration_us;       /* of the attempt */
	const char *class;         /* for route_stats (store_attempt_classes); NULL: not an attempt */
	bool applied;              /* the guarded update matched: the result was ours to write */
};

struct worker {
	const char *path;
	struct config *cfg;
	struct store *store;
	bool disk_full;            /* the last write failed on a full disk: checkpoint first */
	char claimant[128];
	struct store_route *routes; /* cfg's routes, as claims see them */
	const char **sources;      /* the sources with a route: their events are routed */
	size_t nsources;
	char *routes_text;         /* "a, b", for log lines */
	struct job *jobs;          /* cfg->concurrency slots, fixed at start-up */
	struct store_job *claims;  /* as many, for the rows one sync_db() claims */
	struct store_attempt_stat *stats; /* as many, for the attempts one sync_db() counts */
	struct store_attempt_stat *tally; /* counted, not yet written (routes strdup'd) */
	size_t ntally;
	int64_t tally_at;          /* mono us: write the tally by then */
	bool want_tally;           /* it is due */
	int njobs, running;
	struct proc **procs;       /* the stream handlers, busy or idle */
	size_t nprocs;
	struct http *http;         /* made with the first url route */
	int sigfd;
	struct store_watch *watch; /* commits by any process (store_watch_open()) */
	bool want_claim;           /* something may be claimable now */
	bool want_route;           /* events may be waiting to be routed */
	struct note *notes;        /* on_dead runs waiting for a slot, oldest first */
	struct note *notes_tail;
	struct note *notifying;    /* on_dead runs under way, at most njobs */
	int nnotifying;
	int64_t next_due;          /* wall ms when a row becomes due, INT64_MAX: none known */
	int64_t retry_db_at;       /* mono us: try the database again (0: no failure) */
	int64_t prune_at, truncate_at; /* mono us */
	bool stopping;
	int64_t stop_at;           /* mono us: stop the handlers still running */
	unsigned long long done, retried, dead, released, lost, routed, unmatched;
};

/* A delivery that became dead, for on_dead: its event and why it died. */
struct note {
	struct note *next;
	struct store_job row;
	char *error;
	int64_t timeout;
	bool started;
	struct handler h;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: hookq-worker [-n] [-c FILE]\n"
	    "  -c FILE  configuration file (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -n       check the configuration, print \"configuration OK\" and exit\n"
	    "  -V       print the version and exit\n"
	    "\n"
	    "Runs each [source NAME]'s handler for the events hookq-receiver stored.\n"
	    "SIGTERM or SIGINT: stop claiming, let running handlers finish within\n"
	    "stop_grace, then stop them and put their rows back. SIGHUP: reload.\n"
	    "Exit codes: 0 stopped cleanly or configuration OK; 100 usage or\n"
	    "configuration error; 111 system error (database, inotify).\n");
}

/* What claims and routing need of cfg's routes; logs the sources without one. */
static void
routes_build(struct worker *w)
{
	const struct config *cfg = w->cfg;
	size_t i, j, off = 0, n = 1;

	w->routes = xcalloc(cfg->nroutes + 1, sizeof(*w->routes));
	w->sources = xcalloc(cfg->nsources + 1, sizeof(*w->sources));
	w->nsources = 0;
	for (i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];

		w->routes[i].name = r->name;
		w->routes[i].concurrency = r->concurrency;
		w->routes[i].rate = r->rate;
		w->routes[i].rate_period = r->rate_period;
		n += strlen(r->name) + 2;
	}
	w->routes_text = xmalloc(n);
	w->routes_text[0] = '\0';
	for (i = 0; i < cfg->nroutes; i++)
		off += (size_t)snprintf(w->routes_text + off, n - off, "%s%s", i > 0 ? ", " : "",
		    cfg->routes[i].name);
	for (i = 0; i < cfg->nsources; i++) {
		const char *name = cfg->sources[i].name;

		for (j = 0; j < cfg->nroutes; j++)
			if (strcmp(cfg->routes[j].source, name) == 0)
				break;
		if (j < cfg->nroutes)
			w->sources[w->nsources++] = name;
		else
			log_warn("source %s has no handler and no route: its events stay unrouted",
			    name);
	}
}

static void
routes_free(struct worker *w)
{
	free(w->routes);
	free(w->sources);
	free(w->routes_text);
	w->routes = NULL;
	w->sources = NULL;
	w->routes_text = NULL;
}

/* Records that j could not start (not the event's fault): released after a pause, no attempt counted. */
static void
job_not_started(struct job *j, char *cause, int64_t pause_ms)
{
	char q[256];

	log_quote(q, sizeof(q), j->row.event_id, strlen(j->row.event_id));
	log_warn("%s id=%s: %s", j->label, q, cause);
	j->ended = true;
	j->result = STORE_RELEASE;
	j->next_at = clock_wall_ms() + pause_ms;
	j->error = cause;
}

/* An idle stream handler of route r, started if there is none (within its concurrency, as claims are). */
static struct proc *
proc_get(struct worker *w, const struct route *r, char **cause)
{
	struct proc *p;
	size_t i;

	for (i = 0; i < w->nprocs; i++) {
		p = w->procs[i];
		if (p->job == NULL && stream_ready(&p->s) &&
		    strcmp(p->route, r->name) == 0)
			return p;
	}
	p = xcalloc(1, sizeof(*p));
	if (stream_start(&p->s, r->handler_argv, r->name, r->source, cause) != 0) {
		free(p);
		return NULL;
	}
	p->route = xstrdup(r->name);
	w->procs = xreallocarray(w->procs, w->nprocs + 1, sizeof(*w->procs));
	w->procs[w->nprocs++] = p;
	return p;
}

/* Forgets a stream handler that has been reaped. */
static void
proc_free(struct worker *w, size_t i)
{
	struct proc *p = w->procs[i];

	stream_free(&p->s);
	free(p->route);
	free(p);
	w->procs[i] = w->procs[--w->nprocs];
}

/* Starts carrying a claimed delivery, or records why it could not start. */
static void
job_start(struct worker *w, struct job *j)
{
	const struct route *r = config_route(w->cfg, j->row.route);
	char *cause = NULL, q[256];

	j->used = true;
	j->ended = false;
	j->error = NULL;
	w->running++;
	snprintf(j->label, sizeof(j->label), "route=%s delivery=%lld source=%s row=%lld attempt=%d",
	    j->row.route, (long long)j->row.id, j->row.source, (long long)j->row.event,
	    j->row.attempt);
	if (r == NULL) {
		/* Only a reload between the claim and here; the next claim will skip it. */
		j->ended = true;
		j->result = STORE_RELEASE;
		j->next_at = clock_wall_ms();
		j->error = xstrdup("the route is not configured any more");
		return;
	}
	j->timeout = config_route_timeout(r);
	j->max_attempts = r->max_attempts;
	j->backoff_base = r->backoff_base;
	j->backoff_max = r->backoff_max;
	j->retry_4xx = r->retry_4xx;
	j->started_us = clock_mono_us();
	log_quote(q, sizeof(q), j->row.event_id, strlen(j->row.event_id));
	if (r->url != NULL) {
		struct http_request req;

		j->kind = JOB_HTTP;
		if (w->http == NULL && (w->http = http_new(&cause)) == NULL) {
			job_not_started(j, cause, RETRY_DB_MS);
			return;
		}
		j->headers = delivery_headers(r, &j->row, clock_wall_ms() / 1000);
		memset(&req, 0, sizeof(req));
		req.url = r->url;
		req.ca_file = r->ca_file;
		req.resolve = r->resolve;
		req.timeout_ms = r->url_timeout;
		req.headers = (const char *const *)j->headers;
		req.body = j->row.body;
		req.body_len = j->row.body_len;
		req.owner = j;
		if (http_start(w->http, &req, &cause) != 0) {
			job_not_started(j, cause, RETRY_DB_MS);
			return;
		}
		j->in_flight = true;
		log_info("%s id=%s post", j->label, q);
		return;
	}
	if (r->handler_mode == HANDLER_STREAM) {
		j->kind = JOB_STREAM;
		if ((j->proc = proc_get(w, r, &cause)) == NULL) {
			job_not_started(j, cause, RETRY_DB_MS);
			return;
		}
		if (stream_send(&j->proc->s, &j->row, j->timeout) != 0) {
			/* It has gone between its last result and now: a fresh one next time. */
			stream_stop(&j->proc->s, clock_mono_us());
			j->proc = NULL;
			job_not_started(j, xstrdup("the stream handler was gone"), 0);
			return;
		}
		j->proc->job = j;
		log_info("%s id=%s sent pid=%ld", j->label, q, (long)j->proc->s.h.pid);
		return;
	}
	j->kind = JOB_EXEC;
	if (handler_start(&j->h, r->handler_argv, &j->row, j->timeout, NULL, &cause) != 0) {
		/* Not the event's fault (fork or pipe failed): no attempt counted, a pause first. */
		job_not_started(j, cause, RETRY_DB_MS);
		return;
	}
	log_info("%s id=%s run pid=%ld", j->label, q, (long)j->h.pid);
	/* The handler's stdin has its own copy; on_dead needs one of its own. */
	if (w->cfg->on_dead_argv == NULL) {
		free(j->row.body);
		j->row.body = NULL;
		j->row.body_len = 0;
	}
}

/* Queues on_dead for a delivery that became dead: takes j's row and error. */
static void
note_dead(struct worker *w, struct job *j)
{
	struct note *n;

	if (w->cfg->on_dead_argv == NULL)
		return;
	n = xcalloc(1, sizeof(*n));
	n->row = j->row;
	n->error = j->error;
	n->timeout = j->timeout;
	memset(&j->row, 0, sizeof(j->row));
	j->error = NULL;
	if (w->notes_tail != NULL)
		w->notes_tail->next = n;
	else
		w->notes = n;
	w->notes_tail = n;
}

static void
note_free(struct note *n)
{
	store_job_free(&n->row);
	free(n->error);
	free(n);
}

/*
 * Starts on_dead for the queued notes while fewer than njobs run. Each runs
 * once: a failure to start, a failure or a timeout is logged, not retried.
 */
static void
notes_start(struct worker *w)
{
	while (w->notes != NULL && w->nnotifying < w->njobs && !w->stopping) {
		struct note *n = w->notes;
		char *cause = NULL;

		w->notes = n->next;
		if (w->notes == NULL)
			w->notes_tail = NULL;
		if (handler_start(&n->h, w->cfg->on_dead_argv, &n->row, n->timeout, n->error,
		    &cause) != 0) {
			log_warn("on_dead route=%s delivery=%lld: %s; not retried", n->row.route,
			    (long long)n->row.id, cause);
			free(cause);
			note_free(n);
			continue;
		}
		log_info("%s run pid=%ld", n->h.label, (long)n->h.pid);
		n->started = true;
		n->next = w->notifying;
		w->notifying = n;
		w->nnotifying++;
	}
}

/* Logs how on_dead n ended, and forgets it. */
static void
note_ended(struct worker *w, struct note *n)
{
	struct note **p;
	char outcome[64];

	handler_outcome(&n->h, outcome, sizeof(outcome));
	if (handler_succeeded(&n->h))
		log_info("%s %s", n->h.label, outcome);
	else
		log_warn("%s %s: on_dead failed; not retried", n->h.label, outcome);
	for (p = &w->notifying; *p != NULL; p = &(*p)->next)
		if (*p == n) {
			*p = n->next;
			break;
		}
	w->nnotifying--;
	note_free(n);
}

/*
 * Decides what an attempt's outcome means for its row: done, retry (after
 * backoff, or after the application's Retry-After, capped by backoff_max,
 * when it gave one: retry_after_ms >= 0), dead, or released. Takes error.
 */
static void
job_ended(struct job *j, enum attempt a, char *error, const char *outcome,
    int64_t retry_after_ms)
{
	int64_t now = clock_wall_ms();

	j->ended = true;
	j->in_flight = false;
	j->error = error;
	j->duration_us = clock_mono_us() - j->started_us;
	/* A url route's class is its answer's, set by http_ended(); a stopped run was no attempt. */
	if (a == ATTEMPT_STOPPED)
		j->class = NULL;
	else if (j->kind != JOB_HTTP)
		j->class = a == ATTEMPT_OK ? "ok" : "failed";
	switch (a) {
	case ATTEMPT_OK:
		j->result = STORE_DONE;
		break;
	case ATTEMPT_STOPPED:
		j->result = STORE_RELEASE;
		j->next_at = now;
		break;
	case ATTEMPT_FATAL:
		j->result = STORE_DEAD;
		break;
	case ATTEMPT_FAILED:
		if (j->row.attempt >= j->max_attempts)
			j->result = STORE_DEAD;
		else {
			j->result = STORE_RETRY;
			j->next_at = now + (retry_after_ms >= 0 ?
			    (retry_after_ms < j->backoff_max ? retry_after_ms : j->backoff_max) :
			    retry_delay(j->backoff_base, j->backoff_max, j->row.attempt, retry_jitter()));
		}
		break;
	}
	if (j->result == STORE_RETRY)
		log_info("%s %s ms=%lld result=retry in=%lldms", j->label, outcome,
		    (long long)(j->duration_us / 1000), (long long)(j->next_at - now));
	else
		log_info("%s %s ms=%lld result=%s", j->label, outcome,
		    (long long)(j->duration_us / 1000),
		    j->result == STORE_DONE ? "done" : j->result == STORE_DEAD ? "dead" : "released");
}

/* A handler process has ended: its exit status is the outcome. */
static void
exec_ended(struct worker *w, struct job *j)
{
	char outcome[64];
	enum attempt a;

	handler_outcome(&j->h, outcome, sizeof(outcome));
	if (handler_succeeded(&j->h))
		a = ATTEMPT_OK;
	else
		a = j->h.stopped ? ATTEMPT_STOPPED : ATTEMPT_FAILED;
	job_ended(j, a, a == ATTEMPT_OK ? NULL : handler_failure(&j->h, j->timeout), outcome, -1);
}

/* After a stream handler's I/O, its deadline or its exit: its event's outcome, once known. */
static void
stream_check(struct worker *w, struct proc *p)
{
	static const char *const OUTCOMES[] = { "pending", "ok", "retry", "dead", "failed" };
	struct job *j = p->job;
	char *why = NULL;
	enum stream_verdict v;
	enum attempt a;

	if (j == NULL)
		return;
	v = stream_result(&p->s, &why);
	if (v == STREAM_PENDING)
		return;
	p->job = NULL;
	j->proc = NULL;
	if (p->retire)
		stream_stop(&p->s, clock_mono_us());
	switch (v) {
	case STREAM_OK:
		a = ATTEMPT_OK;
		break;
	case STREAM_DEAD:
		a = ATTEMPT_FATAL;
		break;
	case STREAM_RETRY:
		a = ATTEMPT_FAILED;
		break;
	default:
		/* The process is being killed, or is gone (broken): the next event gets a fresh one. */
		a = p->stopped_by_us ? ATTEMPT_STOPPED : ATTEMPT_FAILED;
		break;
	}
	if (a == ATTEMPT_OK) {
		free(why);
		why = NULL;
	}
	job_ended(j, a, why, OUTCOMES[v], -1);
}

/* An answer's series in route_stats. */
static const char *
http_class(long status)
{
	static const char *const CLASSES[] = { "error", "error", "2xx", "3xx", "4xx", "5xx" };

	return status >= 100 && status <= 599 ? CLASSES[status / 100] : "error";
}

/* http_run()'s callback: a POST has its answer, or none. */
static void
http_ended(const struct http_result *res, void *arg)
{
	struct job *j = res->owner;
	char outcome[64], *error;
	enum attempt a;

	(void)arg;
	/* The verdict follows the settings the delivery was claimed under, as its timeout does. */
	switch (delivery_judge(j->retry_4xx, res, &error, outcome, sizeof(outcome))) {
	case DELIVERY_DONE:
		a = ATTEMPT_OK;
		break;
	case DELIVERY_DEAD:
		a = ATTEMPT_FATAL;
		break;
	default:
		a = ATTEMPT_FAILED;
		break;
	}
	delivery_headers_free(j->headers);
	j->headers = NULL;
	j->class = http_class(res->status);
	job_ended(j, a, error, outcome, res->retry_after_ms);
}

/* Counts a result the database took, and frees the job's slot. */
static void
job_recorded(struct worker *w, struct job *j)
{
	if (!j->applied) {
		/* The lease ran out and another claim took the row: its result wins. */
		log_warn("route=%s delivery=%lld source=%s row=%lld attempt=%d: result not recorded,"
		    " the delivery was claimed again after the lease expired", j->row.route,
		    (long long)j->row.id, j->row.source, (long long)j->row.event, j->row.attempt);
		w->lost++;
	} else if (j->result == STORE_DONE)
		w->done++;
	else if (j->result == STORE_RETRY)
		w->retried++;
	else if (j->result == STORE_DEAD) {
		w->dead++;
		note_dead(w, j);
	} else
		w->released++;
	store_job_free(&j->row);
	free(j->error);
	memset(j, 0, sizeof(*j));
	w->running--;
}

/*
 * Routes up to ROUTE_BATCH events waiting, inside sync_db()'s transaction:
 * each gets its deliveries and its routed mark in it, so a crash before
 * the commit leaves it unrouted, and one after leaves it routed, never
 * half. Sets want_route again when a batch was full. Returns -1 on a
 * database error (the caller rolls back).
 */
static int
route_events(struct worker *w, int *nrouted)
{
	const struct config *cfg = w->cfg;
	const struct route **mine = xcalloc(cfg->nroutes + 1, sizeof(*mine));
	struct store_new_delivery *nd = xcalloc(cfg->nroutes + 1, sizeof(*nd));
	bool *accept = xcalloc(cfg->nroutes + 1, sizeof(*accept));
	char **keys = xcalloc(cfg->nroutes + 1, sizeof(*keys));
	size_t i, k, m;
	int left = ROUTE_BATCH, rc = 0;

	*nrouted = 0;
	w->want_route = false;
	for (i = 0; i < w->nsources && left > 0 && rc == 0; i++) {
		struct store_unrouted *ev = NULL;
		size_t n = 0, e;

		for (k = 0, m = 0; k < cfg->nroutes; k++)
			if (strcmp(cfg->routes[k].source, w->sources[i]) == 0)
				mine[m++] = &cfg->routes[k];
		if (store_unrouted(w->store, w->sources[i], left, &ev, &n) != 0) {
			rc = -1;
			break;
		}
		if ((int)n == left)
			w->want_route = true;
		left -= (int)n;
		for (e = 0; e < n && rc == 0; e++) {
			struct route_event re = {
				ev[e].event_type, ev[e].headers, strlen(ev[e].headers), ev[e].body,
				ev[e].body_len,
			};
			size_t nd_n = 0;
			bool routed;

			route_select(mine, m, &re, accept, keys);
			for (k = 0; k < m; k++)
				if (accept[k]) {
					nd[nd_n].route = mine[k]->name;
					nd[nd_n++].key = keys[k];
				}
			rc = store_route_event(w->store, ev[e].id, clock_wall_ms(), nd, nd_n, &routed);
			for (k = 0; k < m; k++) {
				free(keys[k]);
				keys[k] = NULL;
			}
			if (rc == 0 && routed) {
				(*nrouted)++;
				if (nd_n == 0)
					w->unmatched++;
			}
		}
		store_unrouted_free(ev, n);
	}
	free(mine);
	free(nd);
	free(accept);
	free(keys);
	return rc;
}

/* True when some source with a route has an unrouted event (or the read failed: try routing). */
static bool
unrouted_waiting(struct worker *w)
{
	struct store_unrouted *ev = NULL;
	size_t i, n = 0;

	for (i = 0; i < w->nsources; i++) {
		if (store_unrouted(w->store, w->sources[i], 1, &ev, &n) != 0)
			return true;
		store_unrouted_free(ev, n);
		if (n > 0)
			return true;
	}
	return false;
}

/* After a commit: the tally written (flushed), or this one's nstats attempts added to it. */
static void
tally(struct worker *w, size_t nstats, bool flushed)
{
	size_t i;

	if (flushed) {
		for (i = 0; i < w->ntally; i++)
			free((char *)w->tally[i].route);
		w->ntally = 0;
		w->want_tally = false;
		return;
	}
	if (nstats > 0 && w->ntally == 0)
		w->tally_at = clock_mono_us() + TALLY_EVERY_MS * 1000LL;
	for (i = 0; i < nstats; i++) {
		w->tally[w->ntally] = w->stats[i];
		w->tally[w->ntally++].route = xstrdup(w->stats[i].route);
	}
}

/*
 * One write transaction for all the database needs now: the results of the
 * handlers that ended, then claims for the free slots (the ended ones'
 * included). Handlers start only once it has committed, so a claim that
 * rolls back never runs. When it fails (the database busy past
 * busy_timeout, or an I/O error), nothing changed: the results stay in
 * memory and everything is tried again a second later; a busy database
 * never counts against an event.
 */
static void
sync_db(struct worker *w)
{
	struct store_job *claims = w->claims;
	int nended = 0, nclaims = 0, nfree, nrouted = 0, i, k;
	size_t nstats;
	bool claiming, routing, flush;

	for (i = 0; i < w->njobs; i++)
		if (w->jobs[i].used && w->jobs[i].ended)
			nended++;
	nfree = w->njobs - w->running + nended;
	if (w->nsources == 0)
		w->want_route = false;
	routing = w->want_route && !w->stopping;
	/*
	 * Every commit wakes the worker, its own too (inotify cannot tell whose
	 * it was): with nothing else to do, a read finds whether anything waits
	 * to be routed before a write transaction is begun for it.
	 */
	if (routing && nended == 0 && !(w->want_claim && nfree > 0) && !w->want_tally &&
	    !unrouted_waiting(w))
		routing = w->want_route = false;
	claiming = (w->want_claim || nended > 0 || routing) && !w->stopping && nfree > 0;
	w->want_claim = false;
	if (nended == 0 && !claiming && !routing && !w->want_tally)
		return;

	/* After a full disk, the WAL first (store_full()); until it goes through, write nothing. */
	if (w->disk_full) {
		if (store_truncate_wal(w->store) < 0)
			goto fail;
		w->disk_full = false;
	}
	if (store_begin(w->store, clock_mono_us() + (int64_t)w->cfg->busy_timeout * 1000) != 0)
		goto fail;
	for (i = 0, nstats = 0; i < w->njobs; i++) {
		struct job *j = &w->jobs[i];

		if (!j->used || !j->ended)
			continue;
		if (store_finish(w->store, &j->row, w->claimant, j->result, clock_wall_ms(),
		    j->next_at, j->error, &j->applied) != 0)
			goto fail;
		if (j->class != NULL)
			w->stats[nstats++] = (struct store_attempt_stat){ j->row.route, j->class,
			    j->duration_us };
	}
	flush = w->want_tally || w->ntally + nstats >= TALLY_MAX || (w->stopping && nstats > 0);
	if (flush && (store_count_attempts(w->store, w->tally, w->ntally) != 0 ||
	    store_count_attempts(w->store, w->stats, nstats) != 0))
		goto fail;
	if (routing && route_events(w, &nrouted) != 0)
		goto fail;
	while (claiming && nclaims < nfree) {
		bool found;

		if (store_claim(w->store, w->routes, w->cfg->nroutes, w->claimant, clock_wall_ms(),
		    w->cfg->lease, &claims[nclaims], &found) != 0)
			goto fail;
		if (!found)
			break;
		nclaims++;
	}
	if (store_commit(w->store) != 0)
		goto fail;
	/* Short of space: the WAL back to nothing now (store_low_space()). */
	if (store_low_space(w->store) && store_truncate_wal(w->store) < 0) {
		log_warn("%s", store_error(w->store));
		w->disk_full = store_full(w->store);
	}

	w->routed += (unsigned long long)nrouted;
	tally(w, nstats, flush);
	for (i = 0; i < w->njobs; i++)
		if (w->jobs[i].used && w->jobs[i].ended)
			job_recorded(w, &w->jobs[i]);
	notes_start(w);
	for (i = 0, k = 0; k < nclaims; i++)
		if (!w->jobs[i].used) {
			w->jobs[i].row = claims[k++];
			job_start(w, &w->jobs[i]);
		}
	/*
	 * Slots left free: nothing more is due now; when will something be? A
	 * pass that did not claim (a flush of the counters alone) leaves the
	 * time the last claiming pass found: nothing it wrote makes it wrong,
	 * and a commit that wakes no worker (PostgreSQL notifies only for
	 * work) would otherwise lose the timer of a lease or a retry.
	 */
	if (claiming) {
		w->next_due = INT64_MAX;
		if (nclaims < nfree && store_next_due(w->store, w->routes, w->cfg->nroutes,
		    clock_wall_ms(), &w->next_due) != 0) {
			log_warn("cannot read the next due time, retrying in %dms: %s", RETRY_DB_MS,
			    store_error(w->store));
			w->retry_db_at = clock_mono_us() + RETRY_DB_MS * 1000LL;
		}
	}
	return;
fail:
	log_warn("database: %s; retrying in %dms (%d results kept)", store_error(w->store),
	    RETRY_DB_MS, nended);
	store_rollback(w->store);
	w->disk_full = w->disk_full || store_full(w->store);
	for (k = 0; k < nclaims; k++)
		store_job_free(&claims[k]);
	w->retry_db_at = clock_mono_us() + RETRY_DB_MS * 1000LL;
	w->want_claim = claiming;
	w->want_route = w->want_route || routing;
}

/* Reaps every ended handler. */
static void
reap(struct worker *w)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct note *n;

		size_t k;

		for (i = 0; i < w->njobs; i++) {
			struct job *j = &w->jobs[i];

			if (j->used && !j->ended && j->kind == JOB_EXEC && j->h.pid == pid) {
				handler_reaped(&j->h, status);
				exec_ended(w, j);
				break;
			}
		}
		for (n = w->notifying; i == w->njobs && n != NULL; n = n->next)
			if (n->h.pid == pid) {
				handler_reaped(&n->h, status);
				note_ended(w, n);
				i = -1;
				break;
			}
		for (k = 0; i == w->njobs && k < w->nprocs; k++)
			if (w->procs[k]->s.h.pid == pid) {
				struct proc *p = w->procs[k];

				stream_reaped(&p->s, status);
				stream_check(w, p);
				proc_free(w, k);
				break;
			}
	}
	notes_start(w);
}

/* Stops the idle stream handlers (every one: all), and marks the busy ones to stop after their event. */
static void
procs_stop(struct worker *w, bool all)
{
	size_t i;

	for (i = 0; i < w->nprocs; i++) {
		struct proc *p = w->procs[i];

		if (p->s.h.stopped || p->s.broken)
			continue;
		if (p->job != NULL && !all) {
			p->retire = true;
			continue;
		}
		p->stopped_by_us = true;
		stream_stop(&p->s, clock_mono_us());
	}
}

static void
reload(struct worker *w)
{
	struct config *cfg;
	char *cause = NULL;

	systemd_notify_reloading();
	cfg = config_load(w->path, &cause);
	if (cfg == NULL) {
		log_warn("reload failed, keeping the running configuration:");
		log_warn_lines(cause);
		free(cause);
		systemd_notify("READY=1\nSTATUS=reload failed: running the configuration it had");
		return;
	}
	if (strcmp(cfg->database, w->cfg->database) != 0) {
		log_warn("reload refused: the database changes only on restart");
		config_free(cfg);
		systemd_notify("READY=1\nSTATUS=reload refused: the database changes only on restart");
		return;
	}
	if (cfg->concurrency != w->cfg->concurrency)
		log_warn("concurrency changes only on restart; keeping %d", w->njobs);
	/*
	 * Queued and running on_dead notes keep their own copies; the routes
	 * running jobs were claimed under stay in their jobs' settings.
	 */
	routes_free(w);
	config_free(w->cfg);
	w->cfg = cfg;
	routes_build(w);
	/* Stream handlers end with their current event: the next starts one of the new configuration. */
	procs_stop(w, false);
	w->want_claim = true;
	w->want_route = true;
	log_info("configuration reloaded: %zu sources, routes: %s", cfg->nsources,
	    w->routes_text);
	systemd_notify("READY=1\nSTATUS=running");
}

static void
on_signals(struct worker *w)
{
	struct signalfd_siginfo si;

	while (read(w->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(w);
			break;
		case SIGHUP:
			reload(w);
			break;
		default:
			if (w->stopping) {
				/* A second one: no more grace. */
				log_info("signal %u again: stopping the handlers now", si.ssi_signo);
				w->stop_at = clock_mono_us();
				break;
			}
			w->stopping = true;
			systemd_notify("STOPPING=1");
			w->stop_at = clock_mono_us() + w->cfg->stop_grace * 1000;
			log_info("stopping on signal %u: %d handlers running, grace %lldms",
			    si.ssi_signo, w->running, (long long)w->cfg->stop_grace);
			break;
		}
	}
}

/* Drains the store's watch; something committed means claims and routing to look at. */
static void
on_commit(struct worker *w)
{
	if (store_watch_read(w->watch))
		w->want_claim = w->want_route = true;
}

/* Prunes done rows past retain_done and truncates the WAL, on their timers. */
static void
housekeeping(struct worker *w, int64_t now_us)
{
	if (now_us >= w->prune_at) {
		w->prune_at = now_us + PRUNE_EVERY_MS * 1000LL;
		if (w->cfg->retain_done > 0) {
			int64_t before = clock_wall_ms() - w->cfg->retain_done;
			long long total = 0;
			int deleted;

			do {
				if (store_prune(w->store, before, PRUNE_BATCH, &deleted) != 0) {
					log_warn("pruning done rows: %s", store_error(w->store));
					break;
				}
				total += deleted;
			} while (deleted == PRUNE_BATCH);
			if (total > 0)
				log_info("pruned %lld done events finished before %lldms ago", total,
				    (long long)w->cfg->retain_done);
		}
	}
	if (now_us >= w->truncate_at) {
		w->truncate_at = now_us + TRUNCATE_EVERY_MS * 1000LL;
		if (store_truncate_wal(w->store) < 0)
			log_warn("%s", store_error(w->store));
	}
}

/* Stops what carries j, for the shutdown past stop_grace: its row is released. */
static void
job_stop(struct worker *w, struct job *j, int64_t now_us)
{
	switch (j->kind) {
	case JOB_EXEC:
		handler_stop(&j->h, now_us);
		break;
	case JOB_STREAM:
		/* One already failing for its own reason keeps that reason. */
		if (j->proc != NULL && !j->proc->s.broken && !j->proc->s.h.stopped) {
			j->proc->stopped_by_us = true;
			stream_stop(&j->proc->s, now_us);
		}
		break;
	case JOB_HTTP:
		if (j->in_flight) {
			http_cancel(w->http, j);
			delivery_headers_free(j->headers);
			j->headers = NULL;
			job_ended(j, ATTEMPT_STOPPED, xstrdup("stopped by the worker's shutdown"),
			    "stopped", -1);
		}
		break;
	}
}

/* Acts on h's deadlines at now_us; returns the earlier of its next one and next. */
static int64_t
tick(struct handler *h, int64_t now_us, int64_t next)
{
	int64_t t = handler_tick(h, now_us);

	return t != 0 && t < next ? t : next;
}

/* Runs the timers due at now_us; returns the poll() timeout in ms. */
static int
timers(struct worker *w, int64_t now_us)
{
	int64_t next = now_us + 3600 * 1000000LL;
	struct note *note;
	size_t k;
	int i;

	if (w->retry_db_at != 0 && now_us >= w->retry_db_at) {
		w->retry_db_at = 0;
		w->want_claim = true;
		return 0;
	}
	if (w->stopping && now_us >= w->stop_at) {
		for (i = 0; i < w->njobs; i++)
			if (w->jobs[i].used && !w->jobs[i].ended)
				job_stop(w, &w->jobs[i], now_us);
		for (note = w->notifying; note != NULL; note = note->next)
			handler_stop(&note->h, now_us);
	}
	for (i = 0; i < w->njobs; i++)
		if (w->jobs[i].used && !w->jobs[i].ended && w->jobs[i].kind == JOB_EXEC)
			next = tick(&w->jobs[i].h, now_us, next);
	for (note = w->notifying; note != NULL; note = note->next)
		next = tick(&note->h, now_us, next);
	for (k = 0; k < w->nprocs; k++) {
		int64_t t = stream_tick(&w->procs[k]->s, now_us);

		stream_check(w, w->procs[k]);
		if (t != 0 && t < next)
			next = t;
	}
	if (!w->stopping) {
		housekeeping(w, now_us);
		if (w->prune_at < next)
			next = w->prune_at;
		if (w->truncate_at < next)
			next = w->truncate_at;
		if (w->next_due != INT64_MAX) {
			int64_t wall = clock_wall_ms();

			if (w->next_due <= wall)
				w->want_claim = true;
			else if (now_us + (w->next_due - wall) * 1000 < next)
				next = now_us + (w->next_due - wall) * 1000;
		}
	} else if (w->stop_at > now_us && w->stop_at < next)
		next = w->stop_at;
	if (w->retry_db_at != 0 && w->retry_db_at < next)
		next = w->retry_db_at;
	if (w->ntally > 0 && (now_us >= w->tally_at || w->stopping))
		w->want_tally = true;
	else if (w->ntally > 0 && w->tally_at < next)
		next = w->tally_at;
	if ((w->want_claim || w->want_tally || (w->want_route && !w->stopping)) &&
	    w->retry_db_at == 0)
		return 0;
	/* Round up, so the timer has passed when poll() returns. */
	return (int)((next - now_us + 999) / 1000);
}

/* What a polled descriptor belongs to. */
struct owner {
	struct handler *h;         /* a handler's or on_dead's pipe */
	struct proc *p;            /* else a stream handler's */
};

/* Adds h's open pipes to pfd from n on; returns the new n. */
static int
poll_handler(struct pollfd *pfd, struct owner *owner, int n, struct handler *h)
{
	if (h->out.fd >= 0) {
		owner[n] = (struct owner){ h, NULL };
		pfd[n].fd = h->out.fd;
		pfd[n++].events = POLLIN;
	}
	if (h->err.fd >= 0) {
		owner[n] = (struct owner){ h, NULL };
		pfd[n].fd = h->err.fd;
		pfd[n++].events = POLLIN;
	}
	return n;
}

/* Hands the descriptors poll() found ready to their owners. */
static void
poll_ready(struct worker *w, const struct pollfd *pfd, const struct owner *owner, int n)
{
	int i;

	for (i = 2; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (owner[i].h != NULL)
			handler_read(owner[i].h, pfd[i].fd);
		else {
			stream_io(&owner[i].p->s, pfd[i].fd, pfd[i].revents);
			stream_check(w, owner[i].p);
		}
	}
}

/* The loop: returns when stopping and every job is recorded (or given up). */
static void
run(struct worker *w)
{
	struct pollfd *pfd = NULL;
	struct owner *owner = NULL;
	size_t room = 0;

	for (;;) {
		int64_t now = clock_mono_us();
		int timeout, n = 0, i, rc;
		struct note *note;
		size_t k, want;

		if (w->retry_db_at == 0)
			sync_db(w);
		if (w->stopping)
			procs_stop(w, false);
		timeout = timers(w, now);
		if (w->stopping && w->running == 0 && w->nnotifying == 0 && w->nprocs == 0 &&
		    w->ntally == 0)
			break;
		if (w->stopping && now >= w->stop_at + (HANDLER_KILL_GRACE_MS + 5000) * 1000LL) {
			/* Only results the database would not take are left: their leases will expire. */
			log_warn("giving up on %d results the database did not take", w->running);
			break;
		}
		/* Two pipes per job and per on_dead run (at most njobs of each), three per stream handler. */
		want = 2 + 4 * (size_t)w->njobs + 3 * w->nprocs;
		if (want > room) {
			room = want * 2;
			pfd = xreallocarray(pfd, room, sizeof(*pfd));
			owner = xreallocarray(owner, room, sizeof(*owner));
		}
		pfd[n].fd = w->sigfd;
		pfd[n++].events = POLLIN;
		/* -1 (ignored by poll()) while the watch reconnects: the timer looks again. */
		pfd[n].fd = store_watch_fd(w->watch);
		pfd[n++].events = POLLIN;
		if (pfd[1].fd < 0 && (timeout < 0 || timeout > WATCH_RETRY_MS))
			timeout = WATCH_RETRY_MS;
		for (i = 0; i < w->njobs; i++) {
			struct job *j = &w->jobs[i];

			if (j->used && !j->ended && j->kind == JOB_EXEC)
				n = poll_handler(pfd, owner, n, &j->h);
		}
		for (note = w->notifying; note != NULL; note = note->next)
			n = poll_handler(pfd, owner, n, &note->h);
		for (k = 0; k < w->nprocs; k++) {
			int m = stream_pollfds(&w->procs[k]->s, pfd + n, 3);

			for (i = 0; i < m; i++)
				owner[n + i] = (struct owner){ NULL, w->procs[k] };
			n += m;
		}
		rc = w->http != NULL ? http_poll(w->http, pfd, n, timeout) :
		    poll(pfd, (nfds_t)n, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			fatal(EXIT_SYSTEM, "poll: %s", strerror(errno));
		}
		if (w->http != NULL)
			http_run(w->http, http_ended, NULL);
		poll_ready(w, pfd, owner, n);
		if (pfd[0].revents != 0)
			on_signals(w);
		if (pfd[1].revents != 0 || pfd[1].fd < 0)
			on_commit(w);
	}
	free(pfd);
	free(owner);
}

int
main(int argc, char **argv)
{
	struct worker w;
	struct store_options sopt;
	char host[64], *cause = NULL;
	int check = 0, ch;
	sigset_t set;

	memset(&w, 0, sizeof(w));
	w.path = CONFIG_DEFAULT_PATH;
	log_init("hookq-worker");
	while ((ch = getopt(argc, argv, "c:nVh")) != -1) {
		switch (ch) {
		case 'c':
			w.path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'V':
			printf("hookq-worker %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	fds_sanitize();
	w.cfg = config_load(w.path, &cause);
	if (w.cfg == NULL) {
		log_cause(cause);
		free(cause);
		return EXIT_CONFIG;
	}
	if (check) {
		printf("configuration OK\n");
		config_free(w.cfg);
		return EXIT_OK;
	}
	if (sodium_init() < 0)
		fatal(EXIT_SYSTEM, "cannot initialise libsodium");
	/*
	 * SQLite's 16 KB pages come and go with every transaction; glibc gave
	 * the top of the heap back each time (brk), to fault it in again with
	 * the next: a sixth of a busy worker's time. Keep up to 64 MB.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	(void)mallopt(M_TOP_PAD, 4 * 1024 * 1024);
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);

	/* Signals arrive through signalfd; handlers get them unblocked again. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	w.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w.sigfd < 0)
		fatal(EXIT_SYSTEM, "signalfd: %s", strerror(errno));

	/*
	 * The worker's own commits need no fsync: a claim or a result lost to a
	 * power cut leaves the row pending, or running until its lease expires,
	 * and it runs again. At least once holds; the receiver's commits keep
	 * their own durability.
	 */
	memset(&sopt, 0, sizeof(sopt));
	sopt.durability_full = false;
	sopt.busy_timeout = w.cfg->busy_timeout;
	sopt.password_file = w.cfg->password_file;
	sopt.program = "hookq-worker";
	sopt.check_write = true;
	w.store = store_open(w.cfg->database, &sopt, &cause);
	if (w.store == NULL)
		fatal(EXIT_SYSTEM, "%s", cause);
	/* Before the first claim, so that no commit after it goes unheard. */
	if ((w.watch = store_watch_open(w.cfg->database, &sopt, &cause)) == NULL)
		fatal(EXIT_SYSTEM, "%s", cause);

	/* Unique among all workers on this database, past and present. */
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(w.claimant, sizeof(w.claimant), "%s:%ld:%08x", host, (long)getpid(),
	    randombytes_random());
	w.njobs = w.cfg->concurrency;
	w.jobs = xcalloc((size_t)w.njobs, sizeof(*w.jobs));
	w.claims = xcalloc((size_t)w.njobs, sizeof(*w.claims));
	w.stats = xcalloc((size_t)w.njobs, sizeof(*w.stats));
	w.tally = xcalloc(TALLY_MAX + (size_t)w.njobs, sizeof(*w.tally));
	routes_build(&w);
	for (size_t i = 0; i < w.cfg->nroutes && w.http == NULL; i++)
		if (w.cfg->routes[i].url != NULL) {
			if ((w.http = http_new(&cause)) == NULL)
				fatal(EXIT_SYSTEM, "%s", cause);
			log_info("url routes deliver with %s", http_library());
		}
	w.want_claim = true;
	w.want_route = true;
	w.next_due = INT64_MAX;
	w.prune_at = w.truncate_at = clock_mono_us();
	log_info("worker %s: database %s, concurrency %d, lease %lldms, routes: %s",
	    w.claimant, w.cfg->database, w.njobs, (long long)w.cfg->lease, w.routes_text);

	/* The database took a write (check_write) and inotify watches its WAL. */
	systemd_notify("READY=1\nSTATUS=running");
	run(&w);

	log_info("stopped: %llu events routed (%llu to no route); deliveries: %llu done,"
	    " %llu retried, %llu dead, %llu released, %llu overtaken", w.routed, w.unmatched,
	    w.done, w.retried, w.dead, w.released, w.lost);
	while (w.notes != NULL) {
		struct note *n = w.notes;

		log_warn("on_dead route=%s delivery=%lld not run: the worker stopped first",
		    n->row.route, (long long)n->row.id);
		w.notes = n->next;
		note_free(n);
	}
	/* Given up on: what is left dies with the worker (PR_SET_PDEATHSIG). */
	while (w.nprocs > 0)
		proc_free(&w, 0);
	free(w.procs);
	http_free(w.http);
	store_close(w.store);
	store_watch_close(w.watch);
	routes_free(&w);
	config_free(w.cfg);
	free(w.jobs);
	free(w.claims);
	free(w.stats);
	tally(&w, 0, true);
	free(w.tally);
	return EXIT_OK;
}
