/*
 * store_pg.h: the PostgreSQL back end of store.h, for store.c (which
 * dispatches to it) and what store_pg.c and store_pg_admin.c share and
 * nothing else sees: the connection and the helpers every statement goes
 * through. They are the only files that call libpq.
 *
 * Every statement is sent with PQexecParams(): parameters as text (NULL:
 * SQL NULL), results as text, bytea columns decoded by pg_bytea(). SQL
 * casts its parameters where the server could not infer a type
 * ("$1::text IS NULL").
 */
#ifndef HOOKQ_STORE_PG_H
#define HOOKQ_STORE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store.h"

struct pg_store {
	PGconn *conn;
	bool in_txn;             /* pg_store_begin()'s transaction is open */
	size_t claim_next;       /* the route the next claim tries first */
	int busy_timeout;        /* ms: lock_timeout */
	char err[256];
	bool locked;             /* the last failure was a lock not had within busy_timeout */
	bool insert_prepared;    /* the receiver's statement, prepared on this connection */
};

/*
 * Records what failed (what) and the server's or libpq's reason in st->err;
 * r (may be NULL) is the failed result.
 */
void pg_fail(struct pg_store *, const char *what, const PGresult *r);
/*
 * Runs sql with its n text parameters (NULL: SQL NULL). Returns the result
 * (the caller PQclear()s it) when it is PGRES_COMMAND_OK or PGRES_TUPLES_OK,
 * else NULL with st->err set. A connection found broken outside a
 * transaction is reset first, so the store reconnects on its own.
 */
PGresult *pg_query(struct pg_store *, const char *what, const char *sql, int n,
    const char *const *params);
/* pg_query() without parameters, the result discarded: 0 or -1. */
int pg_exec(struct pg_store *, const char *sql, const char *what);
/*
 * A write of its own: unless the caller's transaction (pg_store_begin()) is
 * open, begins one and sets *own. pg_own_end() then commits it when rc is
 * 0, else rolls it back; returns 0 or -1.
 */
int pg_own_begin(struct pg_store *, bool *own);
int pg_own_end(struct pg_store *, bool own, int rc);
/* The number of rows a write changed (PQcmdTuples()). */
int64_t pg_changes(const PGresult *);
/* A text column as a malloc'd string, NULL when NULL. */
char *pg_strdup(const PGresult *, int row, int col);
/* An integer column; 0 when NULL. */
int64_t pg_column_int64(const PGresult *, int row, int col);
/* A bytea column decoded, NUL-terminated after *len bytes (malloc'd). */
void *pg_bytea(const PGresult *, int row, int col, size_t *len);
/* v in decimal in buf, returned, for a parameter. */
const char *pg_i64(char buf[24], int64_t v);

/*
 * Whether database names a PostgreSQL server (postgresql:// or postgres://)
 * rather than a SQLite file; and, when it does, what is wrong with it as a
 * libpq connection string (a password in it, say): NULL when nothing.
 */
bool pg_is_url(const char *database);
char *pg_url_problem(const char *database);

/* Each pg_store_X is store.h's store_X on a PostgreSQL connection, documented there. */
struct pg_store *pg_store_open_mode(const char *url, const struct store_options *,
    enum store_mode, char **cause);
void pg_store_close(struct pg_store *);
int pg_store_begin(struct pg_store *, int64_t deadline_us);
int pg_store_insert_batch(struct pg_store *, const struct store_event *const *ev, size_t n,
    bool *inserted);
int pg_store_commit(struct pg_store *);
void pg_store_rollback(struct pg_store *);
const char *pg_store_error(const struct pg_store *);
bool pg_store_locked(const struct pg_store *);
int pg_store_unrouted(struct pg_store *, const char *source, int limit,
    struct store_unrouted **rows, size_t *n);
int pg_store_route_event(struct pg_store *, int64_t event, int64_t now,
    const struct store_new_delivery *, size_t n, bool *routed);
int pg_store_claim(struct pg_store *, const struct store_route *routes, size_t n,
    const char *claimant, int64_t now, int64_t lease_ms, struct store_job *job, bool *found);
int pg_store_finish(struct pg_store *, const struct store_job *, const char *claimant,
    enum store_result, int64_t now, int64_t next_at, const char *error, bool *applied);
int pg_store_next_due(struct pg_store *, const struct store_route *routes, size_t n,
    int64_t now, int64_t *at);
int pg_store_prune(struct pg_store *, int64_t before, int limit, int *deleted);
int pg_store_count_attempts(struct pg_store *, const struct store_attempt_stat *, size_t n);
int pg_store_route_stats(struct pg_store *, struct store_route_stat **rows, size_t *n);
int pg_store_probe_write(struct pg_store *, int64_t deadline_us);
int pg_store_counts(struct pg_store *, struct store_count **rows, size_t *n);
int pg_store_list(struct pg_store *, const char *source, const char *route,
    const char *status, int limit, struct store_row **rows, size_t *n);
int pg_store_get(struct pg_store *, int64_t id, struct store_row *row, bool *found);
int pg_store_get_event(struct pg_store *, int64_t id, struct store_row *row,
    struct store_row **rows, size_t *n, bool *found);
int pg_store_requeue(struct pg_store *, int64_t id, int64_t now, bool done_too,
    struct store_requeued *r);
int pg_store_requeue_dead(struct pg_store *, const char *source, const char *route,
    int64_t now, struct store_requeued **rows, size_t *n);
int pg_store_replay(struct pg_store *, const struct store_replay *f, int64_t now,
    bool dry_run, int64_t *count);
int pg_store_purge(struct pg_store *, const char *status, int64_t before, int limit,
    int *deliveries, int *events);
int pg_store_last_received(struct pg_store *, struct store_row **rows, size_t *n);

/*
 * store_copy()'s side of PostgreSQL: begins the transaction, locks the
 * tables and refuses a queue that is not empty; one row; then the identity
 * columns set past the copied ids, each table's count checked against
 * rows[i], and the commit.
 */
int pg_store_import_begin(struct pg_store *, const struct store_table *, size_t n);
int pg_store_import_row(struct pg_store *, const struct store_table *, const struct store_value *);
int pg_store_import_end(struct pg_store *, const struct store_table *, const int64_t *rows,
    size_t n);

/* The worker's wake-up: a LISTEN connection of its own (store_watch_open()). */
struct pg_watch;
struct pg_watch *pg_watch_open(const char *url, const struct store_options *, char **cause);
int pg_watch_fd(const struct pg_watch *);
bool pg_watch_read(struct pg_watch *);
void pg_watch_close(struct pg_watch *);

/*
 * The ordered-route lock: every statement that decides whether a delivery
 * of (route, key) is held or pending runs after it, in the same
 * transaction, so that two of a key are never both open and none is left
 * held with nothing before it. params: $1 route, $2 key.
 */
#define PG_ORDER_LOCK_SQL "SELECT pg_advisory_xact_lock(hashtext($1::text), hashtext($2::text))"
/* Takes it: 0, or -1 (a lock_timeout among the reasons). */
int pg_order_lock(struct pg_store *, const char *route, const char *key);

#endif
