/*
 * store.c: the store, whichever database is underneath. Each store_X of
 * store.h is the back end's: today SQLite's (store_sqlite.c, and
 * store_sqlite_admin.c for the operators' side), the only files that call
 * SQLite. This is the one place that knows which back end a store is, so
 * a second one (issue 16: PostgreSQL) is a second branch in each function,
 * not an edit above the store.
 */
#include "autoconf.h"

#include <stdlib.h>

#include "store.h"
#include "store_sqlite.h"
#include "util.h"

struct store {
	struct sqlite_store *sqlite;
};

struct store *
store_open(const char *path, const struct store_options *opt, char **cause)
{
	return store_open_mode(path, opt, STORE_MIGRATE, cause);
}

struct store *
store_open_mode(const char *path, const struct store_options *opt, enum store_mode mode,
    char **cause)
{
	struct sqlite_store *sq = sqlite_store_open_mode(path, opt, mode, cause);
	struct store *st;

	if (sq == NULL)
		return NULL;
	st = xmalloc(sizeof(*st));
	st->sqlite = sq;
	return st;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite_store_close(st->sqlite);
	free(st);
}

int
store_begin(struct store *st, int64_t deadline_us)
{
	return sqlite_store_begin(st->sqlite, deadline_us);
}

int
store_page_size(struct store *st)
{
	return sqlite_store_page_size(st->sqlite);
}

int
store_trust_inserts(struct store *st)
{
	return sqlite_store_trust_inserts(st->sqlite);
}

int
store_insert(struct store *st, const struct store_event *ev, bool *inserted)
{
	return sqlite_store_insert(st->sqlite, ev, inserted);
}

int
store_commit(struct store *st)
{
	return sqlite_store_commit(st->sqlite);
}

void
store_rollback(struct store *st)
{
	sqlite_store_rollback(st->sqlite);
}

const char *
store_error(const struct store *st)
{
	return sqlite_store_error(st->sqlite);
}

int
store_unrouted(struct store *st, const char *source, int limit, struct store_unrouted **rows, size_t *n)
{
	return sqlite_store_unrouted(st->sqlite, source, limit, rows, n);
}

int
store_route_event(struct store *st, int64_t event, int64_t now, const struct store_new_delivery *deliveries, size_t n, bool *routed)
{
	return sqlite_store_route_event(st->sqlite, event, now, deliveries, n, routed);
}

int
store_claim(struct store *st, const struct store_route *routes, size_t n, const char *claimant, int64_t now, int64_t lease_ms, struct store_job *job, bool *found)
{
	return sqlite_store_claim(st->sqlite, routes, n, claimant, now, lease_ms, job, found);
}

int
store_finish(struct store *st, const struct store_job *job, const char *claimant, enum store_result result, int64_t now, int64_t next_at, const char *error, bool *applied)
{
	return sqlite_store_finish(st->sqlite, job, claimant, result, now, next_at, error, applied);
}

int
store_next_due(struct store *st, const struct store_route *routes, size_t n, int64_t now, int64_t *at)
{
	return sqlite_store_next_due(st->sqlite, routes, n, now, at);
}

int
store_prune(struct store *st, int64_t before, int limit, int *deleted)
{
	return sqlite_store_prune(st->sqlite, before, limit, deleted);
}

int
store_truncate_wal(struct store *st)
{
	return sqlite_store_truncate_wal(st->sqlite);
}

bool
store_full(const struct store *st)
{
	return sqlite_store_full(st->sqlite);
}

bool
store_locked(const struct store *st)
{
	return sqlite_store_locked(st->sqlite);
}

bool
store_low_space(struct store *st)
{
	return sqlite_store_low_space(st->sqlite);
}

bool
store_moved(struct store *st)
{
	return sqlite_store_moved(st->sqlite);
}

int
store_count_attempts(struct store *st, const struct store_attempt_stat *stats, size_t n)
{
	return sqlite_store_count_attempts(st->sqlite, stats, n);
}

int
store_route_stats(struct store *st, struct store_route_stat **rows, size_t *n)
{
	return sqlite_store_route_stats(st->sqlite, rows, n);
}

int
store_probe_write(struct store *st, int64_t deadline_us)
{
	return sqlite_store_probe_write(st->sqlite, deadline_us);
}

int
store_counts(struct store *st, struct store_count **rows, size_t *n)
{
	return sqlite_store_counts(st->sqlite, rows, n);
}

int
store_list(struct store *st, const char *source, const char *route, const char *status, int limit, struct store_row **rows, size_t *n)
{
	return sqlite_store_list(st->sqlite, source, route, status, limit, rows, n);
}

int
store_get(struct store *st, int64_t id, struct store_row *row, bool *found)
{
	return sqlite_store_get(st->sqlite, id, row, found);
}

int
store_get_event(struct store *st, int64_t id, struct store_row *row, struct store_row **rows, size_t *n, bool *found)
{
	return sqlite_store_get_event(st->sqlite, id, row, rows, n, found);
}

int
store_requeue(struct store *st, int64_t id, int64_t now, bool done_too, struct store_requeued *r)
{
	return sqlite_store_requeue(st->sqlite, id, now, done_too, r);
}

int
store_requeue_dead(struct store *st, const char *source, const char *route, int64_t now, struct store_requeued **rows, size_t *n)
{
	return sqlite_store_requeue_dead(st->sqlite, source, route, now, rows, n);
}

int
store_replay(struct store *st, const struct store_replay *f, int64_t now, bool dry_run, int64_t *count)
{
	return sqlite_store_replay(st->sqlite, f, now, dry_run, count);
}

int
store_purge(struct store *st, const char *status, int64_t before, int limit, int *deliveries, int *events)
{
	return sqlite_store_purge(st->sqlite, status, before, limit, deliveries, events);
}

int
store_last_received(struct store *st, struct store_row **rows, size_t *n)
{
	return sqlite_store_last_received(st->sqlite, rows, n);
}

int
store_backup(struct store *st, const char *path, int64_t *events, int *version)
{
	return sqlite_store_backup(st->sqlite, path, events, version);
}

void
store_on_wal(struct store *st, void (*fn)(void *arg, int pages), void *arg)
{
	sqlite_store_on_wal(st->sqlite, fn, arg);
}

int
store_checkpoint(struct store *st, int *copied)
{
	return sqlite_store_checkpoint(st->sqlite, copied);
}
