/*
 * store.c: the store, whichever database is underneath. Each store_X of
 * store.h is the back end's: SQLite's (store_sqlite.c, and
 * store_sqlite_admin.c for the operators' side) or PostgreSQL's
 * (store_pg.c, store_pg_admin.c). This is the one place that knows which
 * back end a store is; what both share (the migrations' texts, the sums of
 * attempts) is here too.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_pg.h"
#include "store_sqlite.h"
#include "util.h"

/* Exactly one of the two is set. */
struct store {
	struct sqlite_store *sqlite;
	struct pg_store *pg;
	char pg_err[160];          /* what store.c itself refused on PostgreSQL */
};

bool
store_is_url(const char *database)
{
	return pg_is_url(database);
}

char *
store_url_problem(const char *database)
{
	return pg_url_problem(database);
}

const char *
store_migration_text(const char *schema, int n, size_t *len)
{
	const char *p = schema, *start = NULL;
	const char marker[] = "\n-- migration ";
	int num;

	while ((p = strstr(p, marker)) != NULL) {
		p += strlen(marker);
		if (start != NULL) {
			*len = (size_t)(p - strlen(marker) - start);
			return start;
		}
		if (sscanf(p, "%d:", &num) == 1 && num == n)
			start = p - strlen(marker) + 1;
	}
	if (start != NULL)
		*len = strlen(start);
	return start;
}

/* The last migration of SQLite's schema; PostgreSQL's ends at the same number (store_test). */
int
store_schema_version(void)
{
	size_t len;
	int n = 0;

	while (store_migration_text(store_schema_sql, n + 1, &len) != NULL)
		n++;
	return n;
}

/* Adds v to route's series among the n sums, a new one if need be. */
static void
stat_sum_add(struct store_stat_sum **sums, size_t *n, const char *route, const char *series,
    int64_t v)
{
	struct store_stat_sum *p;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*sums)[i].series, series) == 0 && strcmp((*sums)[i].route,
	    route) == 0) {
			(*sums)[i].value += v;
			return;
		}
	*sums = xreallocarray(*sums, *n + 1, sizeof(**sums));
	p = &(*sums)[(*n)++];
	p->route = route;
	snprintf(p->series, sizeof(p->series), "%s", series);
	p->value = v;
}

/* The class's index in store_attempt_classes, or -1. */
static int
attempt_class(const char *class)
{
	size_t i;

	for (i = 0; class != NULL && i < nitems(store_attempt_classes); i++)
		if (strcmp(store_attempt_classes[i], class) == 0)
			return (int)i;
	return -1;
}

int
store_stat_sums(const struct store_attempt_stat *a, size_t n, struct store_stat_sum **sums,
    size_t *nsums, char *err, size_t errsize)
{
	size_t i, b;

	*sums = NULL;
	*nsums = 0;
	for (i = 0; i < n; i++) {
		int64_t us = a[i].duration_us > 0 ? a[i].duration_us : 0;
		int c = attempt_class(a[i].class);

		if (c < 0 || a[i].route == NULL) {
			snprintf(err, errsize, "counting attempts: %s",
			    a[i].route == NULL ? "no route" : "unknown result class");
			free(*sums);
			*sums = NULL;
			*nsums = 0;
			return -1;
		}
		stat_sum_add(sums, nsums, a[i].route, store_attempt_classes[c], 1);

	    for (b = 0; b < nitems(store_duration_bucket_us) && us > store_duration_bucket_us[b];
		    b++)
			;
		if (b < nitems(store_duration_bucket_us)) {
			char le[24];

			snprintf(le, sizeof(le), "le_%lld", (long long)store_duration_bucket_us[b]);
			stat_sum_add(sums, nsums, a[i].route, le, 1);
		}
		stat_sum_add(sums, nsums, a[i].route, "sum_us", us);
		stat_sum_add(sums, nsums, a[i].route, "count", 1);
	}
	return 0;
}

struct store *
store_open(const char *path, const struct store_options *opt, char **cause)
{
	return store_open_mode(path, opt, STORE_MIGRATE, cause);
}

struct store *
store_open_mode(const char *path, const struct store_options *opt, enum store_mode mode,
    char **cause)
{
	struct store *st = xcalloc(1, sizeof(*st));

	if (store_is_url(path))
		st->pg = pg_store_open_mode(path, opt, mode, cause);
	else
		st->sqlite = sqlite_store_open_mode(path, opt, mode, cause);
	if (st->pg == NULL && st->sqlite == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->pg != NULL)
		pg_store_close(st->pg);
	else
		sqlite_store_close(st->sqlite);
	free(st);
}

int
store_begin(struct store *st, int64_t deadline_us)
{
	if (st->pg != NULL)
		return pg_store_begin(st->pg, deadline_us);
	return sqlite_store_begin(st->sqlite, deadline_us);
}

int
store_page_size(struct store *st)
{
	/* commit.c sizes its checkpoints with it; PostgreSQL has none of them to size. */
	if (st->pg != NULL)
		return 16384;
	return sqlite_store_page_size(st->sqlite);
}

int
store_trust_inserts(struct store *st)
{
	if (st->pg != NULL)
		return 0;
	return sqlite_store_trust_inserts(st->sqlite);
}

int
store_insert(struct store *st, const struct store_event *ev, bool *inserted)
{
	if (st->pg != NULL)
		return pg_store_insert_batch(st->pg, &ev, 1, inserted);
	return sqlite_store_insert(st->sqlite, ev, inserted);
}

int
store_insert_batch(struct store *st, const struct store_event *const *ev, size_t n,
    bool *inserted)
{
	size_t i;

	if (st->pg != NULL)
		return pg_store_insert_batch(st->pg, ev, n, inserted);
	for (i = 0; i < n; i++)
		if (sqlite_store_insert(st->sqlite, ev[i], &inserted[i]) != 0)
			return -1;
	return 0;
}

int
store_commit(struct store *st)
{
	if (st->pg != NULL)
		return pg_store_commit(st->pg);
	return sqlite_store_commit(st->sqlite);
}

void
store_rollback(struct store *st)
{
	if (st->pg != NULL)
		pg_store_rollback(st->pg);
	if (st->pg != NULL)
		pg_store_rollback(st->pg);
	else
		sqlite_store_rollback(st->sqlite);
}

const char *
store_error(const struct store *st)
{
	if (st->pg != NULL)
		return st->pg_err[0] != '\0' ? st->pg_err : pg_store_error(st->pg);
	return sqlite_store_error(st->sqlite);
}

int
store_unrouted(struct store *st, const char *source, int limit, struct store_unrouted **rows,
    size_t *n)
{
	if (st->pg != NULL)
		return pg_store_unrouted(st->pg, source, limit, rows, n);
	return sqlite_store_unrouted(st->sqlite, source, limit, rows, n);
}

int
store_route_event(struct store *st, int64_t event, int64_t now,
    const struct store_new_delivery *deliveries, size_t n, bool *routed)
{
	if (st->pg != NULL)
		return pg_store_route_event(st->pg, event, now, deliveries, n, routed);
	return sqlite_store_route_event(st->sqlite, event, now, deliveries, n, routed);
}

int
store_claim(struct store *st, const struct store_route *routes, size_t n, const char *claimant,
    int64_t now, int64_t lease_ms, struct store_job *job, bool *found)
{
	if (st->pg != NULL)
		return pg_store_claim(st->pg, routes, n, claimant, now, lease_ms, job, found);
	return sqlite_store_claim(st->sqlite, routes, n, claimant, now, lease_ms, job, found);
}

int
store_finish(struct store *st, const struct store_job *job, const char *claimant,
    enum store_result result, int64_t now, int64_t next_at, const char *error, bool *applied)
{
	if (st->pg != NULL)
		return pg_store_finish(st->pg, job, claimant, result, now, next_at, error, applied);
	return sqlite_store_finish(st->sqlite, job, claimant, result, now, next_at, error, applied);
}

int
store_next_due(struct store *st, const struct store_route *routes, size_t n, int64_t now,
    int64_t *at)
{
	if (st->pg != NULL)
		return pg_store_next_due(st->pg, routes, n, now, at);
	return sqlite_store_next_due(st->sqlite, routes, n, now, at);
}

int
store_prune(struct store *st, int64_t before, int limit, int *deleted)
{
	if (st->pg != NULL)
		return pg_store_prune(st->pg, before, limit, deleted);
	return sqlite_store_prune(st->sqlite, before, limit, deleted);
}

int
store_truncate_wal(struct store *st)
{
	if (st->pg != NULL)
		return 0;
	return sqlite_store_truncate_wal(st->sqlite);
}

bool
store_full(const struct store *st)
{
	if (st->pg != NULL)
		return false;
	return sqlite_store_full(st->sqlite);
}

bool
store_locked(const struct store *st)
{
	if (st->pg != NULL)
		return pg_store_locked(st->pg);
	return sqlite_store_locked(st->sqlite);
}

bool
store_low_space(struct store *st)
{
	if (st->pg != NULL)
		return false;
	return sqlite_store_low_space(st->sqlite);
}

bool
store_moved(struct store *st)
{
	if (st->pg != NULL)
		return false;
	return sqlite_store_moved(st->sqlite);
}

int
store_count_attempts(struct store *st, const struct store_attempt_stat *stats, size_t n)
{
	if (st->pg != NULL)
		return pg_store_count_attempts(st->pg, stats, n);
	return sqlite_store_count_attempts(st->sqlite, stats, n);
}

int
store_route_stats(struct store *st, struct store_route_stat **rows, size_t *n)
{
	if (st->pg != NULL)
		return pg_store_route_stats(st->pg, rows, n);
	return sqlite_store_route_stats(st->sqlite, rows, n);
}

int
store_probe_write(struct store *st, int64_t deadline_us)
{
	if (st->pg != NULL)
		return pg_store_probe_write(st->pg, deadline_us);
	return sqlite_store_probe_write(st->sqlite, deadline_us);
}

int
store_counts(struct store *st, struct store_count **rows, size_t *n)
{
	if (st->pg != NULL)
		return pg_store_counts(st->pg, rows, n);
	return sqlite_store_counts(st->sqlite, rows, n);
}

int
store_list(struct store *st, const char *source, const char *route, const char *status,
    int limit, struct store_row **rows, size_t *n)
{
	if (st->pg != NULL)
		return pg_store_list(st->pg, source, route, status, limit, rows, n);
	return sqlite_store_list(st->sqlite, source, route, status, limit, rows, n);
}

int
store_get(struct store *st, int64_t id, struct store_row *row, bool *found)
{
	if (st->pg != NULL)
		return pg_store_get(st->pg, id, row, found);
	return sqlite_store_get(st->sqlite, id, row, found);
}

int
store_get_event(struct store *st, int64_t id, struct store_row *row, struct store_row **rows,
    size_t *n, bool *found)
{
	if (st->pg != NULL)
		return pg_store_get_event(st->pg, id, row, rows, n, found);
	return sqlite_store_get_event(st->sqlite, id, row, rows, n, found);
}

int
store_requeue(struct store *st, int64_t id, int64_t now, bool done_too, struct store_requeued *r)
{
	if (st->pg != NULL)
		return pg_store_requeue(st->pg, id, now, done_too, r);
	return sqlite_store_requeue(st->sqlite, id, now, done_too, r);
}

int
store_requeue_dead(struct store *st, const char *source, const char *route, int64_t now,
    struct store_requeued **rows, size_t *n)
{
	if (st->pg != NULL)
		return pg_store_requeue_dead(st->pg, source, route, now, rows, n);
	return sqlite_store_requeue_dead(st->sqlite, source, route, now, rows, n);
}

int
store_replay(struct store *st, const struct store_replay *f, int64_t now, bool dry_run,
    int64_t *count)
{
	if (st->pg != NULL)
		return pg_store_replay(st->pg, f, now, dry_run, count);
	return sqlite_store_replay(st->sqlite, f, now, dry_run, count);
}

int
store_purge(struct store *st, const char *status, int64_t before, int limit, int *deliveries,
    int *events)
{
	if (st->pg != NULL)
		return pg_store_purge(st->pg, status, before, limit, deliveries, events);
	return sqlite_store_purge(st->sqlite, status, before, limit, deliveries, events);
}

int
store_last_received(struct store *st, struct store_row **rows, size_t *n)
{
	if (st->pg != NULL)
		return pg_store_last_received(st->pg, rows, n);
	return sqlite_store_last_received(st->sqlite, rows, n);
}

int
store_backup(struct store *st, const char *path, int64_t *events, int *version)
{
	if (st->pg != NULL) {
		snprintf(st->pg_err, sizeof(st->pg_err), "hookq backup copies a SQLite file;"
		    " back up a PostgreSQL database with pg_dump (README: More than one machine)");
		return -1;
	}
	return sqlite_store_backup(st->sqlite, path, events, version);
}

void
store_on_wal(struct store *st, void (*fn)(void *arg, int pages), void *arg)
{
	if (st->pg == NULL)
		sqlite_store_on_wal(st->sqlite, fn, arg);
}

int
store_checkpoint(struct store *st, int *copied)
{
	if (st->pg != NULL) {
		if (copied != NULL)
			*copied = 0;
		return 0;
	}
	return sqlite_store_checkpoint(st->sqlite, copied);
}

/* A watch is one back end's. */
struct store_watch {
	struct sqlite_watch *sqlite;
	struct pg_watch *pg;
};

struct store_watch *
store_watch_open(const char *database, const struct store_options *opt, char **cause)
{
	struct store_watch *w = xcalloc(1, sizeof(*w));

	if (store_is_url(database))
		w->pg = pg_watch_open(database, opt, cause);
	else
		w->sqlite = sqlite_watch_open(database, cause);
	if (w->pg == NULL && w->sqlite == NULL) {
		free(w);
		return NULL;
	}
	return w;
}

int
store_watch_fd(const struct store_watch *w)
{
	return w->pg != NULL ? pg_watch_fd(w->pg) : sqlite_watch_fd(w->sqlite);
}

bool
store_watch_read(struct store_watch *w)
{
	return w->pg != NULL ? pg_watch_read(w->pg) : sqlite_watch_read(w->sqlite);
}

void
store_watch_close(struct store_watch *w)
{
	if (w == NULL)
		return;
	if (w->pg != NULL)
		pg_watch_close(w->pg);
	else
		sqlite_watch_close(w->sqlite);
	free(w);
}

/* ---- hookq migrate-to -------------------------------------------------------------------- */

static const char *const EVENT_COLUMNS[] = {
	"id", "source", "event_id", "event_type", "received_at", "headers", "body", "body_sha256",
	"routed_at", "routes",
};
static const char *const DELIVERY_COLUMNS[] = {
	"id", "event", "route", "status", "attempts", "next_attempt_at", "lease_until",
	"claimed_by", "last_error", "finished_at", "failed_at", "created_at", "order_key",
	"replay_of",
};
static const char *const ROUTE_STATE_COLUMNS[] = { "route", "tokens", "refilled_at" };
static const char *const ROUTE_STATS_COLUMNS[] = { "route", "series", "value" };
/* Events before the deliveries that reference them. */
static const struct store_table COPY_TABLES[] = {
	{ "events", EVENT_COLUMNS, nitems(EVENT_COLUMNS), "body" },
	{ "deliveries", DELIVERY_COLUMNS, nitems(DELIVERY_COLUMNS), NULL },
	{ "route_state", ROUTE_STATE_COLUMNS, nitems(ROUTE_STATE_COLUMNS), NULL },
	{ "route_stats", ROUTE_STATS_COLUMNS, nitems(ROUTE_STATS_COLUMNS), NULL },
};

struct copy_arg {
	struct pg_store *to;
	const struct store_table *table;
	int64_t rows;
	bool insert_failed;        /* PostgreSQL's to tell, not SQLite's */
};

static int
copy_row(void *arg, const struct store_value *v)
{
	struct copy_arg *c = arg;

	c->rows++;
	if (pg_store_import_row(c->to, c->table, v) != 0) {
		c->insert_failed = true;
		return -1;
	}
	return 0;
}

int
store_copy(struct store *from, struct store *to, struct store_copied *copied)
{
	int64_t *counts[nitems(COPY_TABLES)] = { &copied->events, &copied->deliveries,
	    &copied->route_state, &copied->route_stats };
	int64_t rows[nitems(COPY_TABLES)];
	size_t i;

	memset(copied, 0, sizeof(*copied));
	if (from->sqlite == NULL || to->pg == NULL) {
		snprintf(to->pg != NULL ? to->pg_err : from->pg_err, sizeof(to->pg_err),
		    "migrate-to copies a SQLite file into a PostgreSQL database");
		return -1;
	}
	to->pg_err[0] = '\0';
	if (pg_store_import_begin(to->pg, COPY_TABLES, nitems(COPY_TABLES)) != 0)
		return -1;
	/* One read transaction of SQLite's: one moment's rows, whatever is written meanwhile. */
	if (sqlite_store_export_begin(from->sqlite) != 0)
		goto fail_from;
	for (i = 0; i < nitems(COPY_TABLES); i++) {
		struct copy_arg c = { to->pg, &COPY_TABLES[i], 0, false };

		if (sqlite_store_export(from->sqlite, &COPY_TABLES[i], copy_row, &c) != 0) {
			sqlite_store_export_end(from->sqlite);
			if (c.insert_failed)
				goto fail;
			goto fail_from;
		}
		rows[i] = c.rows;
	}
	sqlite_store_export_end(from->sqlite);
	if (pg_store_import_end(to->pg, COPY_TABLES, rows, nitems(COPY_TABLES)) != 0)
		return -1;
	for (i = 0; i < nitems(COPY_TABLES); i++)
		*counts[i] = rows[i];
	return 0;
fail_from:
	snprintf(to->pg_err, sizeof(to->pg_err), "reading the SQLite database: %s",
	    sqlite_store_error(from->sqlite));
fail:
	pg_store_rollback(to->pg);
	return -1;
}
