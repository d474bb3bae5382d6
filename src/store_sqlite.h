/*
 * store_sqlite.h: the SQLite back end of store.h, for store.c (which
 * dispatches to it) and what store_sqlite.c and store_sqlite_admin.c share
 * and nothing else sees: the connection and the helpers every statement
 * goes through.
 */
#ifndef HOOKQ_STORE_SQLITE_H
#define HOOKQ_STORE_SQLITE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

struct sqlite_store {
	sqlite3 *db;
	sqlite3_stmt *insert;
	sqlite3_stmt *dedup;     /* dedup = body's probe before the insert */
	/* The worker's, prepared on first use. */
	sqlite3_stmt *unrouted, *route_mark, *route_insert;
	sqlite3_stmt *live, *pick_expired, *pick_pending, *claim, *claim_event;
	sqlite3_stmt *bucket_read, *bucket_write;
	sqlite3_stmt *finish[4], *promote, *next_live, *next_any, *prune;
	sqlite3_stmt *stat_add;  /* sqlite_store_count_attempts()'s UPSERT */
	size_t claim_next;       /* the route the next claim tries first */
	int busy_timeout;        /* ms */
	int64_t deadline_us;     /* the busy handler gives up here */
	void (*wal_fn)(void *, int);
	void *wal_arg;
	char err[256];
	bool full;               /* the last failure was a full disk (SQLITE_FULL) */
	bool locked;             /* the last failure was another's lock (SQLITE_BUSY, _LOCKED) */
	bool low_space;          /* free space was under STORE_LOW_SPACE at the last look */
	int64_t space_seen_us;   /* when that was */
	bool wal_seen;           /* the -wal this connection writes, once seen (sqlite_store_moved()) */
	dev_t wal_dev;
	ino_t wal_ino;
};

/* Records what failed (what) and SQLite's reason in st->err. */
void store_fail(struct sqlite_store *, const char *what);
/* Arms the busy handler for one busy_timeout from now. */
void store_arm(struct sqlite_store *);
int store_exec(struct sqlite_store *, const char *sql, const char *what);
/* BEGIN IMMEDIATE, waiting busy_timeout for the write lock. */
int store_begin_write(struct sqlite_store *);
/* Prepares *s from sql the first time it is needed (kept until sqlite_store_close()). */
int store_prepare(struct sqlite_store *, sqlite3_stmt **s, const char *sql);
/*
 * Runs s (reset afterwards), calling row() for each result row. Inside the
 * caller's transaction (sqlite_store_begin()) it is one more statement of it;
 * otherwise a write transaction of its own that waits busy_timeout.
 */
int store_write(struct sqlite_store *, sqlite3_stmt *s, const char *what,
    int (*row)(struct sqlite_store *, sqlite3_stmt *, void *), void *arg);
/* Column i as a malloc'd string, NULL when NULL. */
char *store_column_strdup(sqlite3_stmt *, int i);

/*
 * The SQLite back end of store.h: each sqlite_X is store.h's store_X on a
 * SQLite connection (store.c dispatches to it), documented there.
 */
struct sqlite_store *sqlite_store_open_mode(const char *path, const struct store_options *,
    enum store_mode, char **cause);
void sqlite_store_close(struct sqlite_store *);
int sqlite_store_begin(struct sqlite_store *, int64_t deadline_us);
int sqlite_store_page_size(struct sqlite_store *);
int sqlite_store_trust_inserts(struct sqlite_store *);
int sqlite_store_insert(struct sqlite_store *, const struct store_event *ev, bool *inserted);
int sqlite_store_commit(struct sqlite_store *);
void sqlite_store_rollback(struct sqlite_store *);
const char *sqlite_store_error(const struct sqlite_store *);
int sqlite_store_unrouted(struct sqlite_store *, const char *source, int limit,
    struct store_unrouted **rows, size_t *n);
int sqlite_store_route_event(struct sqlite_store *, int64_t event, int64_t now,
    const struct store_new_delivery *, size_t n, bool *routed);
int sqlite_store_claim(struct sqlite_store *, const struct store_route *routes, size_t n,
    const char *claimant, int64_t now, int64_t lease_ms, struct store_job *job, bool *found);
int sqlite_store_finish(struct sqlite_store *, const struct store_job *, const char *claimant,
    enum store_result, int64_t now, int64_t next_at, const char *error, bool *applied);
int sqlite_store_next_due(struct sqlite_store *, const struct store_route *routes, size_t n,
    int64_t now, int64_t *at);
int sqlite_store_prune(struct sqlite_store *, int64_t before, int limit, int *deleted);
int sqlite_store_truncate_wal(struct sqlite_store *);
bool sqlite_store_full(const struct sqlite_store *);
bool sqlite_store_locked(const struct sqlite_store *);
bool sqlite_store_low_space(struct sqlite_store *);
bool sqlite_store_moved(struct sqlite_store *);
int sqlite_store_count_attempts(struct sqlite_store *, const struct store_attempt_stat *, size_t n);
int sqlite_store_route_stats(struct sqlite_store *, struct store_route_stat **rows, size_t *n);
int sqlite_store_probe_write(struct sqlite_store *, int64_t deadline_us);
int sqlite_store_counts(struct sqlite_store *, struct store_count **rows, size_t *n);
int sqlite_store_list(struct sqlite_store *, const char *source, const char *route,
    const char *status, int limit, struct store_row **rows, size_t *n);
int sqlite_store_get(struct sqlite_store *, int64_t id, struct store_row *row, bool *found);
int sqlite_store_get_event(struct sqlite_store *, int64_t id, struct store_row *row,
    struct store_row **rows, size_t *n, bool *found);
int sqlite_store_requeue(struct sqlite_store *, int64_t id, int64_t now, bool done_too,
    struct store_requeued *r);
int sqlite_store_requeue_dead(struct sqlite_store *, const char *source, const char *route,
    int64_t now, struct store_requeued **rows, size_t *n);
int sqlite_store_replay(struct sqlite_store *, const struct store_replay *f, int64_t now,
    bool dry_run, int64_t *count);
int sqlite_store_purge(struct sqlite_store *, const char *status, int64_t before, int limit,
    int *deliveries, int *events);
int sqlite_store_last_received(struct sqlite_store *, struct store_row **rows, size_t *n);
int sqlite_store_backup(struct sqlite_store *, const char *path, int64_t *events, int *version);
void sqlite_store_on_wal(struct sqlite_store *, void (*fn)(void *arg, int pages), void *arg);
int sqlite_store_checkpoint(struct sqlite_store *, int *copied);

/*
 * store_copy()'s side of SQLite: a read transaction, then each table's rows
 * (ordered by its first column) handed to row(), ncolumns values each.
 */
int sqlite_store_export_begin(struct sqlite_store *);
int sqlite_store_export(struct sqlite_store *, const struct store_table *,
    int (*row)(void *arg, const struct store_value *), void *arg);
void sqlite_store_export_end(struct sqlite_store *);

/* store_watch_open() on a SQLite file: inotify on its folder, for its -wal. */
struct sqlite_watch;
struct sqlite_watch *sqlite_watch_open(const char *path, char **cause);
int sqlite_watch_fd(const struct sqlite_watch *);
bool sqlite_watch_read(struct sqlite_watch *);
void sqlite_watch_close(struct sqlite_watch *);

#endif
