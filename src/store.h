/*
 * store.h: the queue. Its database is a SQLite file (a path) or a
 * PostgreSQL server (a postgresql:// or postgres:// URL). Opening a store
 * creates the database or brings its schema up to date (sql/schema.sql,
 * sql/schema_pg.sql, compiled in; PRAGMA user_version or the hookq_schema
 * table counts the migrations applied, numbered alike on both). A struct
 * store is one connection, for one thread at a time. store.c dispatches each
 * call to the back end: store_sqlite.c and store_sqlite_admin.c are the only
 * files that call SQLite, store_pg.c and store_pg_admin.c the only ones that
 * call libpq. Where the two differ, the function's comment says so; the
 * file-level calls (WAL, page size, space, a moved file) are SQLite's, and
 * on PostgreSQL do nothing.
 */
#ifndef HOOKQ_STORE_H
#define HOOKQ_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct store_options {
	bool durability_full; /* synchronous=FULL: every commit is on disk before it returns */
	int busy_timeout;     /* ms to wait for another process's lock */
	/*
	 * The daemons': at open, commit a write that changes nothing
	 * (store_probe_write()), so a database this user may read but not
	 * write fails at start-up, naming the user, not at the first webhook.
	 */
	bool check_write;
	/*
	 * PostgreSQL: a libpq password file (the [hookq] password_file key),
	 * else PGPASSFILE or ~/.pgpass; NULL on SQLite.
	 */
	const char *password_file;
	/* PostgreSQL: the application_name the server shows; NULL: "hookq". */
	const char *program;
};

/* One event to insert; the store copies nothing it does not need. */
struct store_event {
	const char *source;
	const char *event_id;
	const char *event_type;  /* NULL when none */
	int64_t received_at;     /* ms since the epoch */
	const char *headers;     /* JSON object */
	size_t headers_len;
	const void *body;
	size_t body_len;
	/*
	 * dedup = body: "sha256:<hex>" of the body (scheme_body_id()), kept with
	 * the row; the event is a duplicate, not inserted, when the source has a
	 * row of the same hash received less than dedup_window ms before it.
	 * NULL: only (source, event_id) makes a duplicate, and no hash is kept.
	 */
	const char *body_sha256;
	int64_t dedup_window;
};

/* The schema texts, one "-- migration N:" section after another (schema_sql.c). */
extern const char store_schema_sql[];
extern const char store_schema_pg_sql[];

/* Whether database (the [hookq] key) names a PostgreSQL server, not a SQLite file. */
bool store_is_url(const char *database);
/*
 * What is wrong with database as a PostgreSQL URL (a password in it, which
 * would be shown wherever the URL is: it goes in password_file), malloc'd;
 * NULL when nothing or when it is a path.
 */
char *store_url_problem(const char *database);

/*
 * Opens (creating if need be, mode 0640) and migrates the database at path.
 * Returns NULL with *cause set (malloc'd, names the path) on failure.
 */
struct store *store_open(const char *path, const struct store_options *, char **cause);

/*
 * How store_open_mode() opens a database. Only the daemons and hookq init
 * migrate; the other commands take the database as it is, so a command
 * run by a monitoring user or against a copy never changes its schema.
 * Every mode refuses a database whose schema is newer than this build's
 * before it writes a byte (not even the WAL mode or the page size).
 */
enum store_mode {
	STORE_MIGRATE, /* read-write, created if missing, schema brought up to date */
	STORE_WRITE,   /* read-write, an existing database at this build's schema version */
	STORE_READ,    /* SQLITE_OPEN_READONLY: needs only read access to the file */
};
/*
 * store_open() with a mode. STORE_WRITE and STORE_READ refuse a database
 * whose schema is older than this build's: "database FILE: schema version N
 * is older than this hookq's (M): run hookq init".
 */
struct store *store_open_mode(const char *path, const struct store_options *,
    enum store_mode, char **cause);
/* Closes the connection; NULL is fine. */
void store_close(struct store *);
/* The schema version this build creates (the last migration's number). */
int store_schema_version(void);

/*
 * Begins a write transaction, waiting for another writer's lock until
 * deadline (clock_mono_us() time). Returns 0, or -1 (see store_error()).
 */
int store_begin(struct store *, int64_t deadline_us);
/* The database's page size in bytes (16 KB for databases hookq created). */
int store_page_size(struct store *);

/*
 * Turns off the schema's CHECK constraints on this connection (other
 * connections keep them), for the receiver's committer: its rows' headers
 * come from payload_headers_json(), valid JSON by construction, and its
 * inserts leave status at its default, so checking them again (SQLite parses
 * the whole headers JSON for json_valid) would only cost half of each insert.
 */
int store_trust_inserts(struct store *);
/*
 * Inserts ev unless (source, event_id) is there, or (with ev->body_sha256) a
 * row of the same body within ev->dedup_window; *inserted says which. Rows
 * inserted earlier in the same transaction count.
 */
int store_insert(struct store *, const struct store_event *ev, bool *inserted);
/*
 * store_insert() of n events, in order, inserted[i] saying which were. On
 * PostgreSQL one statement (a multi-row INSERT ... ON CONFLICT DO NOTHING),
 * one round trip, whatever n; events of a dedup = body source go first,
 * one by one.
 */
int store_insert_batch(struct store *, const struct store_event *const *ev, size_t n,
    bool *inserted);
int store_commit(struct store *);
void store_rollback(struct store *);
/* Why the last call failed: a short static-lifetime-per-store message. */
const char *store_error(const struct store *);

/*
 * The worker's side. Times are ms since the epoch. Each write is its own
 * short transaction, waiting up to busy_timeout for the lock, unless the
 * caller has begun one (store_begin()): then it is part of that one, and
 * after a failure the caller rolls it all back. A failure (see
 * store_error()) leaves the database as it was, so the caller retries later.
 *
 * Routing: the worker routes each event once, in the transaction that makes
 * its deliveries, so an event is never routed twice nor missed (an event is
 * unrouted until that transaction commits).
 */
struct store_unrouted {
	int64_t id;
	char *source, *event_type;            /* event_type NULL when none */
	char *headers;                        /* the stored JSON */
	void *body;                           /* NUL-terminated after body_len bytes */
	size_t body_len;
};
/*
 * Up to limit unrouted events of source, oldest first. Fills *rows
 * (malloc'd, n of them); free with store_unrouted_free().
 */
int store_unrouted(struct store *, const char *source, int limit,
    struct store_unrouted **rows, size_t *n);
void store_unrouted_free(struct store_unrouted *, size_t n);

/* One delivery to make: the route, and its ordering key (NULL: the route has no order). */
struct store_new_delivery {
	const char *route;
	const char *key;
};
/*
 * Routes event: inserts its n deliveries, due at now (an ordered one held
 * when its route has an open delivery of the same key), and sets the
 * event's routed_at to now and routes to n (0: no route took it). When
 * the event was routed already (another worker), nothing changes and
 * *routed is false.
 */
int store_route_event(struct store *, int64_t event, int64_t now,
    const struct store_new_delivery *, size_t n, bool *routed);

/* A route as claims see it. */
struct store_route {
	const char *name;
	int concurrency;                      /* running at once, across workers; 0: no limit */
	int rate;                             /* tokens per rate_period; 0: no limit */
	int64_t rate_period;                  /* ms */
};

/* A claimed delivery, with its event. */
struct store_job {
	int64_t id;                           /* the delivery's */
	int64_t event;                        /* the event's row id */
	char *route;
	char *source, *event_id, *event_type; /* event_type NULL when none */
	char *headers;                        /* the stored JSON */
	void *body;
	size_t body_len;
	int attempt;                          /* 1 on the first run */
};

/*
 * Claims a delivery of one of the n routes: of each route in turn (where
 * the previous claim left off, so no route starves another), a running
 * delivery whose lease has expired, else the pending one due first; not
 * when the route already runs concurrency deliveries with live leases, or
 * its token bucket is empty. It becomes running with a lease until now +
 * lease_ms, claimed by claimant, one more attempt. *found says whether
 * there was one; the caller frees job with store_job_free().
 */
int store_claim(struct store *, const struct store_route *routes, size_t n,
    const char *claimant, int64_t now, int64_t lease_ms, struct store_job *job, bool *found);
void store_job_free(struct store_job *);

enum store_result {
	STORE_DONE,     /* status done, finished_at now */
	STORE_RETRY,    /* pending again at next_at, last_error kept */
	STORE_DEAD,     /* status dead, finished_at now, last_error kept */
	STORE_RELEASE,  /* pending again at next_at, the attempt not counted (worker stopping) */
};

/*
 * Records a run's result, guarded by delivery id, claimant and attempt: when
 * the delivery was claimed again since (the lease ran out), nothing changes
 * and *applied is false. A done or dead delivery of an ordered route
 * releases the next delivery held behind it (the oldest of its key).
 */
int store_finish(struct store *, const struct store_job *, const char *claimant,
    enum store_result, int64_t now, int64_t next_at, const char *error, bool *applied);
/*
 * When the next delivery of the n routes becomes claimable without a new
 * write: the earliest next_attempt_at of pending ones and lease_until of
 * running ones, no earlier than a rate-limited route's next token; INT64_MAX
 * when there is none. Deliveries held, or a route at its concurrency, wait
 * for a commit (which wakes the worker) instead.
 */
int store_next_due(struct store *, const struct store_route *routes, size_t n, int64_t now,
    int64_t *at);
/*
 * Deletes up to limit events routed and finished before before: every
 * delivery done and finished before it, or no route took the event.
 * *deleted says how many events.
 */
int store_prune(struct store *, int64_t before, int limit, int *deleted);
/*
 * Checkpoints the whole WAL and truncates it to zero bytes, if no reader
 * needs it: 0 when done, 1 when a reader or writer held it (nothing is
 * wrong), -1 on an error (see store_error(), store_full()).
 */
int store_truncate_wal(struct store *);
/*
 * Whether the last failure was a full disk. After one, the WAL may hold
 * pages the database file cannot grow to take, and every commit makes the
 * WAL longer until a checkpoint goes through: a writer checkpoints first
 * (store_truncate_wal()) and writes only once that has, so space freed by the
 * operator goes to the checkpoint, which frees the WAL's, before new writes.
 */
bool store_full(const struct store *);
/* Whether the last failure was only another process holding the lock past busy_timeout. */
bool store_locked(const struct store *);

/*
 * Commits by any process, as a descriptor to poll(): on SQLite inotify on
 * the database's WAL; on PostgreSQL a LISTEN connection of its own (every
 * hookq transaction that changes the queue NOTIFYs as it commits). Whatever
 * becomes visible after a wake-up, a transaction begun after
 * store_watch_read() sees.
 */
struct store_watch;
struct store_watch *store_watch_open(const char *database, const struct store_options *,
    char **cause);
/* The descriptor to poll for POLLIN; -1 while it is being re-established (poll a timer). */
int store_watch_fd(const struct store_watch *);
/*
 * Drains the descriptor: true when something may have been committed since
 * the last call (also after a lost connection, which it re-establishes).
 */
bool store_watch_read(struct store_watch *);
void store_watch_close(struct store_watch *);
/*
 * Whether the database's file system is short of space (under 32 MB free,
 * looked at no more than ten times a second). Then a writer truncates the
 * WAL after each commit, so the WAL never holds the space the database file
 * needs to take it in: the disk can fill up, and recover, without a WAL that
 * no checkpoint can empty.
 */
bool store_low_space(struct store *);
/*
 * Whether the database file or its WAL is no longer the file at its path
 * (deleted, moved, replaced: an operator's mistake): then what this
 * connection commits, no other process sees, and is lost when it closes.
 * Sets store_error() when so.
 */
bool store_moved(struct store *);

/*
 * Delivery metrics per route (route_stats, schema migration 6): counters
 * every worker adds to, read by the receiver's metrics page.
 *
 * The classes of an attempt's result: a url route's by HTTP status
 * ("2xx".."5xx"; "error": no HTTP response: refused, timed out, TLS), a
 * command route's "ok" or "failed". Each is a series of its own.
 */
#define STORE_NATTEMPT_CLASSES 7
extern const char *const store_attempt_classes[STORE_NATTEMPT_CLASSES];
/*
 * Upper bounds (µs, inclusive) of the duration buckets, ascending: those of
 * the receiver's request histogram too. An attempt counts in the first
 * bucket whose bound it does not pass, series "le_<bound>", or in none past
 * the last (it still counts in "count" and "sum_us", so +Inf is count).
 */
#define STORE_NDURATION_BUCKETS 13
extern const int64_t store_duration_bucket_us[STORE_NDURATION_BUCKETS];

/* One attempt's outcome to count: its route, its class (store_attempt_classes) and duration. */
struct store_attempt_stat {
	const char *route;
	const char *class;
	int64_t duration_us;                  /* below 0 counts as 0 */
};
/*
 * Adds n attempts to route_stats: per attempt, one to its class's series,
 * one to its duration's bucket, one to "count" and its duration to
 * "sum_us". The n are summed in memory first, then one UPSERT per (route,
 * series) touched. Inside the caller's transaction (store_begin()) they
 * are part of it (a rollback adds nothing); otherwise one transaction of
 * their own. An unknown class fails the call before any write.
 */
int store_count_attempts(struct store *, const struct store_attempt_stat *, size_t n);

/* A route_stats row. */
struct store_route_stat {
	char *route;
	char *series;                         /* a class, "le_<us>", "sum_us" or "count" */
	int64_t value;
};
/*
 * For the scrape: every route_stats row, by route, then series (bytewise:
 * strcmp() order). Fills *rows (malloc'd, n of them); free with
 * store_route_stats_free().
 */
int store_route_stats(struct store *, struct store_route_stat **rows, size_t *n);
void store_route_stats_free(struct store_route_stat *, size_t n);

/* A delivery's statuses, in the order of its life (the schema's CHECK). */
#define STORE_NSTATUSES 5
extern const char *const store_statuses[STORE_NSTATUSES];
/*
 * What an event without a delivery is, as queue_summary and hookq list name
 * it: "unrouted" (no worker has routed it yet) or "unmatched" (routed, and
 * no route took it).
 */
#define STORE_NEVENT_STATUSES 2
extern const char *const store_event_statuses[STORE_NEVENT_STATUSES];

/*
 * Whether the database takes a write now: takes the write lock (waiting
 * until deadline_us, clock_mono_us() time) and commits a write that changes
 * nothing (user_version, set to itself).
 */
int store_probe_write(struct store *, int64_t deadline_us);

/*
 * The hookq command's reads and writes, and the metrics page's. Times are
 * ms since the epoch, 0 when NULL; strings NULL when NULL.
 */

/*
 * queue_summary's rows: deliveries per source, route and status; and per
 * source the events without one, route NULL and status "unrouted" or
 * "unmatched". oldest_received is the oldest event among them.
 */
struct store_count {
	char *source;
	char *route;               /* NULL for unrouted and unmatched events */
	char *status;
	int64_t count;
	int64_t oldest_received;
};
/*
 * Fills *rows (malloc'd, n of them, by source, route (NULL first), then
 * status); free with store_counts_free().
 */
int store_counts(struct store *, struct store_count **rows, size_t *n);
void store_counts_free(struct store_count *, size_t n);

/*
 * A delivery with its event, as an operator sees it; or an event alone
 * (id 0, route NULL, status "unrouted" or "unmatched", or "routed" from
 * store_get_event()). Only store_get() and store_get_event() fill headers
 * and body.
 */
struct store_row {
	int64_t id;                          /* the delivery's; 0: an event alone */
	int64_t event;                       /* the event's row id */
	char *route, *source, *event_id, *event_type, *status;
	int attempts;
	int64_t received_at, next_attempt_at, lease_until, finished_at, failed_at, created_at;
	char *claimed_by, *last_error;
	char *order_key;                     /* ordered routes' key, else NULL */
	int64_t replay_of;                   /* hookq replay: the delivery repeated; 0: none */
	int64_t routed_at;                   /* the event's; 0: not routed yet */
	int routes;                          /* the event's deliveries made by routing */
	char *headers;                       /* the stored JSON */
	void *body;                          /* NUL-terminated after body_len bytes */
	size_t body_len;
};
void store_row_free(struct store_row *);
void store_rows_free(struct store_row *, size_t n);
/*
 * Up to limit deliveries, newest (highest id) first, of source, route and
 * status (NULL: any). With status "unrouted" or "unmatched", the events of
 * source in that state instead (a route matches none of them). Fills *rows
 * (malloc'd, n of them); free with store_rows_free().
 */
int store_list(struct store *, const char *source, const char *route, const char *status,
    int limit, struct store_row **rows, size_t *n);
/* Delivery id with its event's headers and body; *found says whether there is one. */
int store_get(struct store *, int64_t id, struct store_row *row, bool *found);
/*
 * Event id alone (status "unrouted", "unmatched" or "routed") with its
 * headers and body, and its deliveries, oldest first, in *rows (malloc'd,
 * n of them). *found says whether there is one.
 */
int store_get_event(struct store *, int64_t id, struct store_row *row, struct store_row **rows,
    size_t *n, bool *found);

/* A delivery hookq requeue put back, or looked at. */
struct store_requeued {
	int64_t id, event;
	char *route, *source, *event_id;     /* malloc'd; NULL when there is no such delivery */
	char was[16];                        /* its status before; "" when there is none */
	char now[16];                        /* "pending" or "held"; "" when not requeued */
};
/* Frees r's strings (r is the caller's). */
void store_requeued_clear(struct store_requeued *r);
/* Frees n of them and the array. */
void store_requeued_free(struct store_requeued *, size_t n);
/*
 * Puts delivery id back if it is dead, or done when done_too (a done
 * delivery's handler has run: running it again is the operator's explicit
 * choice): attempts 0, due at now, finished_at, failed_at, last_error and
 * the claim cleared; "held" instead of "pending" when another delivery of
 * its route and order key is pending or running, so that two of a key
 * never run at once (the one finishing releases it). *r (the caller's)
 * gets what it was and became; free its strings with store_requeued_clear().
 */
int store_requeue(struct store *, int64_t id, int64_t now, bool done_too,
    struct store_requeued *r);
/*
 * Puts every dead delivery (of source's events and of route, NULL: any)
 * back as store_requeue() does, oldest first, in one transaction; *rows
 * (malloc'd, n of them) gets them; free with store_requeued_free().
 */
int store_requeue_dead(struct store *, const char *source, const char *route, int64_t now,
    struct store_requeued **rows, size_t *n);

/* Which deliveries hookq replay repeats; NULL or 0: no condition. */
struct store_replay {
	const char *source, *route, *event_type;
	int64_t since, until;                /* received_at >= since and < until */
	const char *status;                  /* done or dead; NULL: done and dead */
};
/*
 * Repeats every delivery that f selects, oldest first, in one transaction:
 * a new delivery of the same event, route and order key, attempts 0, due at
 * now, replay_of the old one's id; "held" when its key has an open (held,
 * pending, running) delivery, counting the replays made before it. With
 * dry_run, only counts them. *count gets how many.
 */
int store_replay(struct store *, const struct store_replay *f, int64_t now, bool dry_run,
    int64_t *count);

/*
 * Deletes up to limit deliveries of status (done or dead) finished before
 * before, and in the same transaction their events that are left without a
 * delivery (events routing gave none, routes = 0, are not touched here);
 * with "done", once fewer than limit deliveries are left to delete, also
 * up to limit events no route took (routes 0) routed before before.
 * *deliveries and *events say how many of each: the caller repeats while
 * either reaches limit.
 */
int store_purge(struct store *, const char *status, int64_t before, int limit,
    int *deliveries, int *events);
/*
 * The last event received per source (the highest id), by source: the
 * event alone (id 0), routed_at and routes filled in.
 */
int store_last_received(struct store *, struct store_row **rows, size_t *n);

/*
 * Copies the database, as of one moment, into the empty or new file path
 * with SQLite's online backup API: one read transaction holds the snapshot
 * (in WAL mode readers block no writer), and the pages are copied a few
 * hundred at a time with a short sleep between, so the copy shares the disk
 * with the receiver. The copy is committed with synchronous = FULL before
 * this returns. *events gets the number of events in the copy, *version its
 * schema version. Returns 0, or -1 (see store_error()); path is left for
 * the caller to remove then.
 */
int store_backup(struct store *, const char *path, int64_t *events, int *version);

/* Calls fn(arg, pages) after each commit with the WAL's size in pages. */
void store_on_wal(struct store *, void (*fn)(void *arg, int pages), void *arg);
/*
 * A passive checkpoint: copies WAL frames into the database without
 * blocking writers; *copied (unless NULL) gets how many pages of the WAL are
 * in the database now.
 */
int store_checkpoint(struct store *, int *copied);

/*
 * hookq migrate-to: copies every row of from (a SQLite store, read in one
 * snapshot) into to (a PostgreSQL store whose queue is empty), ids kept, in
 * one transaction of to's: afterwards to holds every event, delivery and
 * its state, rate bucket and counter that from held, or nothing. Each
 * table's rows are counted on both sides before the commit; a difference
 * fails the copy. *copied gets how many, by table.
 */
struct store_copied {
	int64_t events, deliveries, route_state, route_stats;
};
int store_copy(struct store *from, struct store *to, struct store_copied *copied);

/*
 * For the back ends (store_sqlite*.c, store_pg*.c), not their callers.
 *
 * Migration n's text in schema (from its "-- migration N:" line to the
 * next), its length in *len; NULL when schema has no migration n.
 */
const char *store_migration_text(const char *schema, int n, size_t *len);
/* One (route, series) total of a batch of attempts (store_count_attempts()). */
struct store_stat_sum {
	const char *route;                    /* the caller's */
	char series[24];
	int64_t value;
};
/*
 * The n attempts summed per (route, series), each pair once: *sums
 * (malloc'd, *nsums of them). -1 with err set when one has no route or an
 * unknown class, before anything is written.
 */
/* A column's value in store_copy(): text (integers in decimal) or bytes; p NULL: NULL. */
struct store_value {
	const char *p;
	size_t len;
	bool bytes;                           /* a BLOB (bytea) column */
};
/* The tables store_copy() copies, in an order their references allow, with their columns. */
struct store_table {
	const char *name;
	const char *const *columns;
	size_t ncolumns;
	const char *blob;                     /* the one bytes column, or NULL */
};
int store_stat_sums(const struct store_attempt_stat *, size_t n, struct store_stat_sum **sums,
    size_t *nsums, char *err, size_t errsize);

#endif
