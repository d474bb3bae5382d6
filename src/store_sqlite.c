/*
 * store_sqlite.c: the queue on SQLite (store.c dispatches to it).
 *
 * Waiting for locks is ours, not sqlite3_busy_timeout()'s: the busy handler
 * sleeps until a deadline the caller sets, so a batch of requests that has
 * already waited is not made to wait a full timeout again. Automatic WAL
 * checkpoints are off on connections that register a WAL hook; the
 * receiver checkpoints on its own thread, outside the request path.
 */
#include "autoconf.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_sqlite.h"
#include "util.h"



/*
 * Free space on the database's file system under which writers keep the WAL
 * to one transaction (sqlite_store_low_space()): twice the most WAL a checkpoint
 * may have to copy in (the committer's 16 MB cap), so that a checkpoint can
 * always grow the database by what the WAL holds. How often it is looked at.
 */
#define STORE_LOW_SPACE ((uint64_t)32 << 20)
#define STORE_SPACE_EVERY_US 100000

/*
 * The page size of databases hookq creates (existing ones keep theirs).
 * SQLite's default of 4 KB holds one typical 2-3 KB webhook row per page,
 * so a commit wrote a page, and a WAL frame of two write(2)s, per event; 16
 * KB pages hold six and keep bodies up to about 16 KB out of overflow
 * pages: bench/receiver.sh at 16 connections, alternating builds, 4 KB
 * 10,982 req/s and 110 µs of CPU per request, 16 KB 11,966 and 104 µs.
 */
#define STORE_PAGE_SIZE 16384

/*
 * body_sha256 (?7) is left NULL but for dedup = body sources, so other
 * rows stay out of the partial index events_body. A new event is unrouted
 * (routed_at NULL): the worker makes its deliveries.
 */
static const char INSERT_SQL[] =
    "INSERT INTO events (source, event_id, event_type, received_at, headers, body,"
    " body_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (source, event_id) DO NOTHING";

/*
 * dedup = body: whether the source stored this body after ?3 (ms). A
 * separate statement run only for those sources, so the plain insert stays
 * as cheap as before; it reads only the partial index (source, body_sha256,
 * received_at), one seek that never touches the table.
 */
static const char DEDUP_SQL[] =
    "SELECT 1 FROM events INDEXED BY events_body"
    " WHERE source = ?1 AND body_sha256 = ?2 AND received_at > ?3 LIMIT 1";

/*
 * The worker's statements. INDEXED BY pins each plan to the index made for
 * it, so a claim is a few seeks however many deliveries other routes have.
 */
static const char UNROUTED_SQL[] =
    "SELECT id, source, event_type, headers, body FROM events INDEXED BY events_unrouted"
    " WHERE source = ?1 AND routed_at IS NULL ORDER BY id LIMIT ?2";
static const char ROUTE_MARK_SQL[] =
    "UPDATE events SET routed_at = ?2, routes = ?3 WHERE id = ?1 AND routed_at IS NULL";
/* An ordered route's delivery waits (held) while its key has an open one. */
static const char ROUTE_INSERT_SQL[] =
    "INSERT INTO deliveries (event, route, status, next_attempt_at, created_at, order_key)"
    " VALUES (?1, ?2, CASE WHEN ?4 IS NOT NULL AND EXISTS (SELECT 1 FROM deliveries"
    "  INDEXED BY deliveries_order WHERE route = ?2 AND order_key = ?4"
    "  AND status IN ('held', 'pending', 'running')) THEN 'held' ELSE 'pending' END,"
    " ?3, ?3, ?4)";

/* ?1 route, ?2 now. */
static const char LIVE_SQL[] =
    "SELECT count(*) FROM deliveries INDEXED BY deliveries_lease"
    " WHERE status = 'running' AND route = ?1 AND lease_until > ?2";
static const char PICK_EXPIRED_SQL[] =
    "SELECT id FROM deliveries INDEXED BY deliveries_lease"
    " WHERE status = 'running' AND route = ?1 AND lease_until <= ?2"
    " ORDER BY lease_until LIMIT 1";
static const char PICK_PENDING_SQL[] =
    "SELECT id FROM deliveries INDEXED BY deliveries_pending"
    " WHERE status = 'pending' AND route = ?1 AND next_attempt_at <= ?2"
    " ORDER BY next_attempt_at, id LIMIT 1";
/* ?1 id, ?2 now, ?3 lease ms, ?4 claimant. */
static const char CLAIM_SQL[] =
    "UPDATE deliveries SET status = 'running', attempts = attempts + 1,"
    " lease_until = ?2 + ?3, claimed_by = ?4, finished_at = NULL WHERE id = ?1"
    " RETURNING event, route, attempts";
static const char CLAIM_EVENT_SQL[] =
    "SELECT source, event_id, event_type, headers, body FROM events WHERE id = ?1";
static const char BUCKET_READ_SQL[] =
    "SELECT tokens, refilled_at FROM route_state WHERE route = ?1";
static const char BUCKET_WRITE_SQL[] =
    "INSERT INTO route_state (route, tokens, refilled_at) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (route) DO UPDATE SET tokens = excluded.tokens,"
    " refilled_at = excluded.refilled_at";

/* By enum store_result; ?1 id, ?2 claimant, ?3 attempt, ?4 now, ?5 next_at, ?6 error. */
#define FINISH_GUARD " WHERE id = ?1 AND claimed_by = ?2 AND attempts = ?3 AND status = 'running'" \
    " RETURNING route, order_key"
static const char *const FINISH_SQL[] = {
	[STORE_DONE] = "UPDATE deliveries SET status = 'done', finished_at = ?4, lease_until = NULL,"
	    " last_error = NULL" FINISH_GUARD,
	[STORE_RETRY] = "UPDATE deliveries SET status = 'pending', next_attempt_at = ?5,"
	    " lease_until = NULL, last_error = ?6, failed_at = ?4" FINISH_GUARD,
	[STORE_DEAD] = "UPDATE deliveries SET status = 'dead', finished_at = ?4, lease_until = NULL,"
	    " last_error = ?6, failed_at = ?4" FINISH_GUARD,
	[STORE_RELEASE] = "UPDATE deliveries SET status = 'pending', next_attempt_at = ?5,"
	    " lease_until = NULL, attempts = attempts - 1, last_error = ?6" FINISH_GUARD,
};
/*
 * A finished delivery of an ordered route releases its key's next one: the
 * oldest open delivery of the key, when that one is held (a requeued older
 * one may be open already). ?1 route, ?2 key, ?3 now.
 */
static const char PROMOTE_SQL[] =
    "UPDATE deliveries SET status = 'pending', next_attempt_at = ?3"
    " WHERE status = 'held' AND id = (SELECT id FROM deliveries INDEXED BY deliveries_order"
    "  WHERE route = ?1 AND order_key = ?2 AND status IN ('held', 'pending', 'running')"
    "  ORDER BY id LIMIT 1)";

/* ?1 route, ?2 now: when a live lease of the route runs out first. */
static const char NEXT_LIVE_SQL[] =
    "SELECT min(lease_until) FROM deliveries INDEXED BY deliveries_lease"
    " WHERE status = 'running' AND route = ?1 AND lease_until > ?2";
/* ?1 route: the first lease to run out, and the first pending delivery due. */
static const char NEXT_ANY_SQL[] =
    "SELECT (SELECT min(lease_until) FROM deliveries INDEXED BY deliveries_lease"
    "  WHERE status = 'running' AND route = ?1),"
    " (SELECT next_attempt_at FROM deliveries INDEXED BY deliveries_pending"
    "  WHERE status = 'pending' AND route = ?1 ORDER BY next_attempt_at LIMIT 1)";

/*
 * Events routed before ?1 whose deliveries are all done and finished
 * before ?1 (or that no route took); the trigger deletes the deliveries.
 */
static const char PRUNE_SQL[] =
    "DELETE FROM events WHERE id IN (SELECT e.id FROM events AS e INDEXED BY events_routed"
    " WHERE e.routed_at IS NOT NULL AND e.routed_at < ?1 AND NOT EXISTS (SELECT 1"
    "  FROM deliveries AS d INDEXED BY deliveries_event WHERE d.event = e.id"
    "  AND (d.status <> 'done' OR d.finished_at >= ?1))"
    " ORDER BY e.routed_at LIMIT ?2)";

/*
 * sqlite_store_count_attempts(): adds ?3 to a route's series; the primary key
 * (route, series) makes it one seek of the WITHOUT ROWID table.
 */
static const char STAT_ADD_SQL[] =
    "INSERT INTO route_stats (route, series, value) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (route, series) DO UPDATE SET value = value + excluded.value";

const char *const store_attempt_classes[STORE_NATTEMPT_CLASSES] = {
	"2xx", "3xx", "4xx", "5xx", "error", "ok", "failed",
};
const int64_t store_duration_bucket_us[STORE_NDURATION_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};

/* Records what failed and SQLite's reason. */
void
store_fail(struct sqlite_store *st, const char *what)
{
	int code = sqlite3_extended_errcode(st->db) & 0xff;

	st->full = code == SQLITE_FULL;
	st->locked = code == SQLITE_BUSY || code == SQLITE_LOCKED;
	snprintf(st->err, sizeof(st->err), "%s: %s", what, sqlite3_errmsg(st->db));
}

/* Sleeps a little and retries while the deadline is ahead. */
static int
store_busy(void *arg, int count)
{
	struct sqlite_store *st = arg;
	int64_t left = st->deadline_us - clock_mono_us();
	int64_t nap = count < 10 ? 100LL << count : 10000; /* 0.1 ms doubling to 10 ms */
	struct timespec ts;

	if (left <= 0)
		return 0;
	if (nap > left)
		nap = left;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(nap * 1000);
	nanosleep(&ts, NULL);
	return 1;
}

/* Arms the busy handler for one busy_timeout from now. */
void
store_arm(struct sqlite_store *st)
{
	st->deadline_us = clock_mono_us() + (int64_t)st->busy_timeout * 1000;
}

int
store_exec(struct sqlite_store *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, what);
		return -1;
	}
	return 0;
}

static int
store_user_version(struct sqlite_store *st, int *v)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "reading user_version");
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	else
		store_fail(st, "reading user_version");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Puts the database in WAL mode, which readers at the sqlite3 prompt and the
 * worker rely on not to block the receiver. SQLite stays in its old mode,
 * without an error, where WAL cannot work (no shared memory, some network
 * file systems): that is refused here.
 */
static int
store_wal(struct sqlite_store *st)
{
	sqlite3_stmt *s;
	int ok;

	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "setting WAL mode");
		return -1;
	}
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_fail(st, "setting WAL mode");
		sqlite3_finalize(s);
		return -1;
	}
	ok = sqlite3_column_text(s, 0) != NULL &&
	    sqlite3_stricmp((const char *)sqlite3_column_text(s, 0), "wal") == 0;
	if (!ok)
		snprintf(st->err, sizeof(st->err), "cannot use WAL mode (journal_mode stays %s)",
		    sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : "unknown");
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

/*
 * Reads the database's schema version into *have and refuses one newer than
 * this build's, which would not know what the rows mean: before any write,
 * so the file of a newer hookq is never touched.
 */
static int
store_version_check(struct sqlite_store *st, int *have)
{
	int want = store_schema_version();

	if (store_user_version(st, have) != 0)
		return -1;
	if (*have > want) {
		snprintf(st->err, sizeof(st->err),
		    "schema version %d is newer than this hookq's (%d): upgrade hookq", *have, want);
		return -1;
	}
	return 0;
}

/* Applies each migration above version have in its own transaction. */
static int
store_migrate(struct sqlite_store *st, int have)
{
	int want = store_schema_version(), n;
	char pragma[64];

	for (n = have + 1; n <= want; n++) {
		size_t len;
		const char *text = store_migration_text(store_schema_sql, n, &len);
		char *sql = xstrndup(text, len);
		int cur;

		store_arm(st);
		if (store_exec(st, "BEGIN IMMEDIATE", "starting a migration") != 0) {
			free(sql);
			return -1;
		}
		/* Another process may have migrated while we waited for the lock. */
		if (store_user_version(st, &cur) != 0)
			goto fail;
		if (cur < n) {
			snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", n);
			if (store_exec(st, sql, "applying the schema") != 0 ||
			    store_exec(st, pragma, "setting user_version") != 0)
				goto fail;
		}
		if (store_exec(st, "COMMIT", "committing a migration") != 0)
			goto fail;
		free(sql);
		continue;
fail:
		free(sql);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/*
 * Creates the database file, when there is none, with mode 0640: it holds
 * webhook bodies, which the hookq group (monitoring, backups) may read and
 * others may not, whatever the umask. SQLite gives the -wal and -shm files
 * it makes next to it the database's mode.
 */
static int
store_create_file(const char *path, char *err, size_t errsize)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errsize, "creating it: %s", strerror(errno));
		return -1;
	}
	/* The mode of open() is cut by the umask; this one is not. */
	if (fchmod(fd, 0640) != 0) {
		snprintf(err, errsize, "setting its mode: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* store_options.check_write: the probe, with who failed it in st->err. */
static int
store_check_write(struct sqlite_store *st)
{
	char buf[4096], why[sizeof(st->err)];
	struct passwd pw, *pwp = NULL;
	uid_t uid = geteuid();

	if (sqlite_store_probe_write(st, clock_mono_us() + (int64_t)st->busy_timeout * 1000) == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", st->err);
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL)
		pwp = NULL;
	/* why is cut short rather than the name of the user. */
	snprintf(st->err, sizeof(st->err), "not writable by user %.32s (uid %ld; the file, its"
	    " -wal and -shm and its folder must be): %.120s", pwp != NULL ? pwp->pw_name : "?",
	    (long)uid, why);
	return -1;
}

struct sqlite_store *
sqlite_store_open_mode(const char *path, const struct store_options *opt, enum store_mode mode,
    char **cause)
{
	struct sqlite_store *st = xcalloc(1, sizeof(*st));
	const char *sync = opt->durability_full ? "PRAGMA synchronous = FULL" :
	    "PRAGMA synchronous = NORMAL";
	int rc, flags, have;

	st->busy_timeout = opt->busy_timeout;
	flags = mode == STORE_READ ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (mode == STORE_MIGRATE) {
		if (store_create_file(path, st->err, sizeof(st->err)) != 0)
			goto fail;
		flags |= SQLITE_OPEN_CREATE;
	}
	rc = sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "%s", st->db ? sqlite3_errmsg(st->db) :
		    sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_handler(st->db, store_busy, st);
	store_arm(st);
	/*
	 * Statement journals (a multi-row write inside a transaction needs one)
	 * in memory: in a file, every worker transaction created, unlinked and
	 * closed one, with access() and fstat() on the temp folder besides.
	 */
	if (store_exec(st, "PRAGMA temp_store = MEMORY", "keeping temporary data in memory") != 0)
		goto fail;
	if (store_version_check(st, &have) != 0) {
		/*
		 * A WAL database is read through its -shm and -wal: a user who may
		 * not write the folder can read it only while they exist (while
		 * the daemons run), as SQLite cannot create them for it.
		 */
		if (mode == STORE_READ && (sqlite3_extended_errcode(st->db) & 0xff) == SQLITE_READONLY)
			snprintf(st->err, sizeof(st->err), "cannot read it without its -wal and -shm"
			    " files, which only a user who may write its folder can create (they exist"
			    " while hookq-receiver or hookq-worker runs)");
		goto fail;
	}
	if (mode != STORE_MIGRATE && have < store_schema_version()) {
		snprintf(st->err, sizeof(st->err),
		    "schema version %d is older than this hookq's (%d): run hookq init", have,
		    store_schema_version());
		goto fail;
	}
	if (mode == STORE_READ)
		goto prepare;
	/* Only takes effect on a new, empty database: before WAL mode and the schema. */
	if (store_exec(st, "PRAGMA page_size = " STRINGIFY(STORE_PAGE_SIZE), "setting the page size") != 0 ||
	    store_wal(st) != 0 ||
	    store_exec(st, sync, "setting durability") != 0 ||
	    store_migrate(st, have) != 0)
		goto fail;
	if (opt->check_write && store_check_write(st) != 0)
		goto fail;
prepare:
	if (sqlite3_prepare_v3(st->db, INSERT_SQL, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->insert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(st->db, DEDUP_SQL, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->dedup, NULL) != SQLITE_OK) {
		store_fail(st, "preparing the insert");
		goto fail;
	}
	return st;
fail:
	{
		size_t n = strlen(path) + strlen(st->err) + 16;

		*cause = xmalloc(n);
		snprintf(*cause, n, "database %s: %s", path, st->err);
	}
	sqlite_store_close(st);
	return NULL;
}

void
sqlite_store_close(struct sqlite_store *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->insert);
	sqlite3_finalize(st->dedup);
	{
		sqlite3_stmt *worker[] = {
			st->unrouted, st->route_mark, st->route_insert, st->live, st->pick_expired,
			st->pick_pending, st->claim, st->claim_event, st->bucket_read,
			st->bucket_write, st->promote, st->next_live, st->next_any, st->prune,
			st->stat_add,
		};

		for (size_t i = 0; i < nitems(worker); i++)
			sqlite3_finalize(worker[i]);
		for (size_t i = 0; i < nitems(st->finish); i++)
			sqlite3_finalize(st->finish[i]);
	}
	sqlite3_close(st->db);
	free(st);
}

int
store_begin_write(struct sqlite_store *st)
{
	store_arm(st);
	return store_exec(st, "BEGIN IMMEDIATE", "waiting for the write lock");
}

int
sqlite_store_begin(struct sqlite_store *st, int64_t deadline_us)
{
	st->deadline_us = deadline_us;
	return store_exec(st, "BEGIN IMMEDIATE", "waiting for the write lock");
}

int
sqlite_store_page_size(struct sqlite_store *st)
{
	sqlite3_stmt *s;
	int size = 4096;

	if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) > 0)
			size = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	return size;
}

int
sqlite_store_trust_inserts(struct sqlite_store *st)
{
	return store_exec(st, "PRAGMA ignore_check_constraints = ON", "trusting inserts");
}

/*
 * dedup = body: whether ev's source has a row of ev's body received within
 * its window before ev. 1 yes, 0 no, -1 on an error.
 */
static int
store_body_seen(struct sqlite_store *st, const struct store_event *ev)
{
	sqlite3_stmt *s = st->dedup;
	int rc;

	sqlite3_bind_text(s, 1, ev->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, ev->body_sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, ev->received_at - ev->dedup_window);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		store_fail(st, "looking for the same body");
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
sqlite_store_insert(struct sqlite_store *st, const struct store_event *ev, bool *inserted)
{
	sqlite3_stmt *s = st->insert;
	int rc;

	*inserted = false;
	if (ev->body_sha256 != NULL && (rc = store_body_seen(st, ev)) != 0)
		return rc > 0 ? 0 : -1;
	sqlite3_bind_text(s, 1, ev->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, ev->event_id, -1, SQLITE_STATIC);
	if (ev->event_type != NULL)
		sqlite3_bind_text(s, 3, ev->event_type, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_int64(s, 4, ev->received_at);
	sqlite3_bind_text(s, 5, ev->headers, (int)ev->headers_len, SQLITE_STATIC);
	sqlite3_bind_blob64(s, 6, ev->body, ev->body_len, SQLITE_STATIC);
	if (ev->body_sha256 != NULL)
		sqlite3_bind_text(s, 7, ev->body_sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		*inserted = sqlite3_changes(st->db) == 1;
	else
		store_fail(st, "inserting");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
sqlite_store_commit(struct sqlite_store *st)
{
	return store_exec(st, "COMMIT", "committing");
}

void
sqlite_store_rollback(struct sqlite_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

const char *
sqlite_store_error(const struct sqlite_store *st)
{
	return st->err;
}

static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sqlite_store *st = arg;

	st->wal_fn(st->wal_arg, pages);
	return SQLITE_OK;
}

void
sqlite_store_on_wal(struct sqlite_store *st, void (*fn)(void *, int), void *arg)
{
	st->wal_fn = fn;
	st->wal_arg = arg;
	/* Replaces SQLite's automatic checkpoint, which would run inside COMMIT. */
	sqlite3_wal_hook(st->db, store_wal_hook, st);
}

int
sqlite_store_checkpoint(struct sqlite_store *st, int *copied)
{
	int rc, log = 0, done = 0;

	store_arm(st);
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	if (copied != NULL)
		*copied = done > 0 ? done : 0;
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		store_fail(st, "checkpointing");
		return -1;
	}
	return 0;
}

/* Prepares *s from sql the first time it is needed. */
int
store_prepare(struct sqlite_store *st, sqlite3_stmt **s, const char *sql)
{
	if (*s == NULL && sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s,
	    NULL) != SQLITE_OK) {
		store_fail(st, "preparing a statement");
		return -1;
	}
	return 0;
}

/*
 * Runs s (reset afterwards). Inside the caller's transaction (sqlite_store_begin())
 * it is one more statement of it, and a failure is the caller's to roll
 * back; otherwise it is a write transaction of its own that waits
 * busy_timeout for the lock.
 */
int
store_write(struct sqlite_store *st, sqlite3_stmt *s, const char *what,
    int (*row)(struct sqlite_store *, sqlite3_stmt *, void *), void *arg)
{
	bool own = sqlite3_get_autocommit(st->db) != 0;
	int rc;

	if (own) {
		if (store_begin_write(st) != 0)
			return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (row != NULL && row(st, s, arg) != 0)
			break;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(st, what);
		sqlite3_reset(s);
		if (own)
			sqlite_store_rollback(st);
		return -1;
	}
	sqlite3_reset(s);
	if (own && sqlite_store_commit(st) != 0) {
		sqlite_store_rollback(st);
		return -1;
	}
	return 0;
}

char *
store_column_strdup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t == NULL ? NULL : xstrndup((const char *)t, (size_t)sqlite3_column_bytes(s, i));
}

/* Steps a read s that returns one row; 1 with a row, 0 without, -1 on an error. */
static int
store_read_one(struct sqlite_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return 0;
	}
	store_fail(st, what);
	sqlite3_reset(s);
	return -1;
}

/* A copy of blob column i, NUL-terminated, its length in *len. */
static void *
column_blobdup(sqlite3_stmt *s, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(s, i);
	char *copy;

	*len = (size_t)sqlite3_column_bytes(s, i);
	copy = xmalloc(*len + 1);
	if (*len > 0)
		memcpy(copy, p, *len);
	copy[*len] = '\0';
	return copy;
}

int
sqlite_store_unrouted(struct sqlite_store *st, const char *source, int limit,
    struct store_unrouted **rows, size_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*rows = NULL;
	*n = 0;
	if (store_prepare(st, &st->unrouted, UNROUTED_SQL) != 0)
		return -1;
	s = st->unrouted;
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_unrouted *u;

		*rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
		u = &(*rows)[(*n)++];
		u->id = sqlite3_column_int64(s, 0);
		u->source = store_column_strdup(s, 1);
		u->event_type = store_column_strdup(s, 2);
		u->headers = store_column_strdup(s, 3);
		u->body = column_blobdup(s, 4, &u->body_len);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_fail(st, "reading the events to route");
		store_unrouted_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

void
store_unrouted_free(struct store_unrouted *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].source);
		free(rows[i].event_type);
		free(rows[i].headers);
		free(rows[i].body);
	}
	free(rows);
}

int
sqlite_store_route_event(struct sqlite_store *st, int64_t event, int64_t now,
    const struct store_new_delivery *d, size_t n, bool *routed)
{
	bool own = sqlite3_get_autocommit(st->db) != 0;
	size_t i;

	*routed = false;
	if (store_prepare(st, &st->route_mark, ROUTE_MARK_SQL) != 0 ||
	    store_prepare(st, &st->route_insert, ROUTE_INSERT_SQL) != 0)
		return -1;
	if (own) {
		if (store_begin_write(st) != 0)
			return -1;
	}
	/* The mark first: it is the guard against routing an event twice. */
	sqlite3_bind_int64(st->route_mark, 1, event);
	sqlite3_bind_int64(st->route_mark, 2, now);
	sqlite3_bind_int64(st->route_mark, 3, (sqlite3_int64)n);
	if (store_write(st, st->route_mark, "routing an event", NULL, NULL) != 0)
		goto fail;
	*routed = sqlite3_changes(st->db) == 1;
	for (i = 0; *routed && i < n; i++) {
		sqlite3_stmt *s = st->route_insert;

		sqlite3_bind_int64(s, 1, event);
		sqlite3_bind_text(s, 2, d[i].route, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, now);
		if (d[i].key != NULL)
			sqlite3_bind_text(s, 4, d[i].key, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 4);
		if (store_write(st, s, "making a delivery", NULL, NULL) != 0)
			goto fail;
	}
	if (own && sqlite_store_commit(st) != 0)
		goto fail;
	return 0;
fail:
	*routed = false;
	if (own)
		sqlite_store_rollback(st);
	return -1;
}

/*
 * The route's token bucket at now: *tokens, refilled at the rate since it
 * was last written and capped at the rate (a new bucket is full).
 */
static int
bucket_tokens(struct sqlite_store *st, const struct store_route *r, int64_t now, double *tokens)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, &st->bucket_read, BUCKET_READ_SQL) != 0)
		return -1;
	s = st->bucket_read;
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	if ((rc = store_read_one(st, s, "reading a rate limit")) < 0)
		return -1;
	*tokens = r->rate;
	if (rc == 1) {
		int64_t since = now - sqlite3_column_int64(s, 1);

		*tokens = sqlite3_column_double(s, 0) +
		    (since > 0 ? (double)since * r->rate / (double)r->rate_period : 0);
		if (*tokens > r->rate)
			*tokens = r->rate;
		sqlite3_reset(s);
	}
	return 0;
}

/* Takes one token: the bucket's new level, written at now. */
static int
bucket_take(struct sqlite_store *st, const struct store_route *r, int64_t now, double tokens)
{
	sqlite3_stmt *s;

	if (store_prepare(st, &st->bucket_write, BUCKET_WRITE_SQL) != 0)
		return -1;
	s = st->bucket_write;
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 2, tokens - 1);
	sqlite3_bind_int64(s, 3, now);
	return store_write(st, s, "taking a rate limit's token", NULL, NULL);
}

/* Runs s, bound to (route, now), for one integer: *v, or 0 with no row or NULL. */
static int
route_int(struct sqlite_store *st, sqlite3_stmt **s, const char *sql, const char *route,
    int64_t now, int64_t *v, const char *what)
{
	int rc;

	if (store_prepare(st, s, sql) != 0)
		return -1;
	sqlite3_bind_text(*s, 1, route, -1, SQLITE_STATIC);
	sqlite3_bind_int64(*s, 2, now);
	if ((rc = store_read_one(st, *s, what)) < 0)
		return -1;
	*v = rc == 1 ? sqlite3_column_int64(*s, 0) : 0;
	if (rc == 1)
		sqlite3_reset(*s);
	return 0;
}

/*
 * The delivery of route r to claim now, in *id (0: none): an expired lease
 * first (the oldest work), then the pending delivery due first. None when
 * the route runs its concurrency already or its bucket is empty.
 */
static int
claim_pick(struct sqlite_store *st, const struct store_route *r, int64_t now, int64_t *id)
{
	double tokens = 0;
	int64_t live;

	*id = 0;
	if (r->concurrency > 0) {
		if (route_int(st, &st->live, LIVE_SQL, r->name, now, &live,
		    "counting a route's running deliveries") != 0)
			return -1;
		if (live >= r->concurrency)
			return 0;
	}
	if (route_int(st, &st->pick_expired, PICK_EXPIRED_SQL, r->name, now, id,
	    "claiming") != 0)
		return -1;
	if (*id == 0 && route_int(st, &st->pick_pending, PICK_PENDING_SQL, r->name, now, id,
	    "claiming") != 0)
		return -1;
	if (*id == 0 || r->rate <= 0)
		return 0;
	if (bucket_tokens(st, r, now, &tokens) != 0)
		return -1;
	if (tokens < 1) {
		*id = 0;
		return 0;
	}
	return bucket_take(st, r, now, tokens);
}

/* Marks delivery id running and reads it with its event into job. */
static int
claim_take(struct sqlite_store *st, int64_t id, const char *claimant, int64_t now, int64_t lease_ms,
    struct store_job *job)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, &st->claim, CLAIM_SQL) != 0 ||
	    store_prepare(st, &st->claim_event, CLAIM_EVENT_SQL) != 0)
		return -1;
	s = st->claim;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, lease_ms);
	sqlite3_bind_text(s, 4, claimant, -1, SQLITE_STATIC);
	if ((rc = store_read_one(st, s, "claiming")) <= 0)
		return rc < 0 ? -1 : 0;
	job->id = id;
	job->event = sqlite3_column_int64(s, 0);
	job->route = store_column_strdup(s, 1);
	job->attempt = sqlite3_column_int(s, 2);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_fail(st, "claiming");
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	s = st->claim_event;
	sqlite3_bind_int64(s, 1, job->event);
	if ((rc = store_read_one(st, s, "reading a claimed event")) <= 0) {
		if (rc == 0)
			snprintf(st->err, sizeof(st->err), "delivery %lld: its event %lld is missing",
			    (long long)id, (long long)job->event);
		return -1;
	}
	job->source = store_column_strdup(s, 0);
	job->event_id = store_column_strdup(s, 1);
	job->event_type = store_column_strdup(s, 2);
	job->headers = store_column_strdup(s, 3);
	job->body = column_blobdup(s, 4, &job->body_len);
	sqlite3_reset(s);
	return 0;
}

int
sqlite_store_claim(struct sqlite_store *st, const struct store_route *routes, size_t n,
    const char *claimant, int64_t now, int64_t lease_ms, struct store_job *job, bool *found)
{
	bool own = sqlite3_get_autocommit(st->db) != 0;
	size_t i;

	memset(job, 0, sizeof(*job));
	*found = false;
	if (own) {
		if (store_begin_write(st) != 0)
			return -1;
	}
	for (i = 0; i < n && !*found; i++) {
		size_t k = (st->claim_next + i) % n;
		int64_t id;

		if (claim_pick(st, &routes[k], now, &id) != 0)
			goto fail;
		if (id == 0)
			continue;
		if (claim_take(st, id, claimant, now, lease_ms, job) != 0)
			goto fail;
		*found = true;
		st->claim_next = k + 1;
	}
	if (own && sqlite_store_commit(st) != 0)
		goto fail;
	return 0;
fail:
	store_job_free(job);
	*found = false;
	if (own)
		sqlite_store_rollback(st);
	return -1;
}

void
store_job_free(struct store_job *job)
{
	free(job->route);
	free(job->source);
	free(job->event_id);
	free(job->event_type);
	free(job->headers);
	free(job->body);
	memset(job, 0, sizeof(*job));
}

/* The guarded update's RETURNING row: the route and key, to release the key's next one. */
struct finished {
	bool applied;
	char *route, *key;
};

static int
finished_row(struct sqlite_store *st, sqlite3_stmt *s, void *arg)
{
	struct finished *f = arg;

	(void)st;
	f->applied = true;
	f->route = store_column_strdup(s, 0);
	f->key = store_column_strdup(s, 1);
	return 0;
}

int
sqlite_store_finish(struct sqlite_store *st, const struct store_job *job, const char *claimant,
    enum store_result result, int64_t now, int64_t next_at, const char *error, bool *applied)
{
	sqlite3_stmt **s = &st->finish[result];
	struct finished f = { false, NULL, NULL };
	bool own = sqlite3_get_autocommit(st->db) != 0;
	int rc = -1;

	*applied = false;
	if (store_prepare(st, s, FINISH_SQL[result]) != 0 ||
	    store_prepare(st, &st->promote, PROMOTE_SQL) != 0)
		return -1;
	if (own) {
		if (store_begin_write(st) != 0)
			return -1;
	}
	sqlite3_bind_int64(*s, 1, job->id);
	sqlite3_bind_text(*s, 2, claimant, -1, SQLITE_STATIC);
	sqlite3_bind_int(*s, 3, job->attempt);
	sqlite3_bind_int64(*s, 4, now);
	sqlite3_bind_int64(*s, 5, next_at);
	if (error != NULL)
		sqlite3_bind_text(*s, 6, error, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(*s, 6);
	if (store_write(st, *s, "recording a result", finished_row, &f) != 0)
		goto out;
	if (f.applied && f.key != NULL && (result == STORE_DONE || result == STORE_DEAD)) {
		sqlite3_bind_text(st->promote, 1, f.route, -1, SQLITE_STATIC);
		sqlite3_bind_text(st->promote, 2, f.key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st->promote, 3, now);
		if (store_write(st, st->promote, "releasing the next delivery of a key", NULL,
		    NULL) != 0)
			goto out;
	}
	if (own && sqlite_store_commit(st) != 0)
		goto out;
	*applied = f.applied;
	rc = 0;
out:
	if (rc != 0 && own)
		sqlite_store_rollback(st);
	free(f.route);
	free(f.key);
	return rc;
}

/* When route r has a delivery to claim, as sqlite_store_next_due() says; INT64_MAX: none. */
static int
route_next_due(struct sqlite_store *st, const struct store_route *r, int64_t now, int64_t *at)
{
	sqlite3_stmt *s;
	int64_t live = 0;
	int rc;

	*at = INT64_MAX;
	if (r->concurrency > 0) {
		if (route_int(st, &st->live, LIVE_SQL, r->name, now, &live,
		    "counting a route's running deliveries") != 0)
			return -1;
		if (live >= r->concurrency) {
			/* Full: a slot frees when a live lease runs out (or on a commit). */
			if (route_int(st, &st->next_live, NEXT_LIVE_SQL, r->name, now, &live,
			    "finding the next due delivery") != 0)
				return -1;
			*at = live;
			return 0;
		}
	}
	if (store_prepare(st, &st->next_any, NEXT_ANY_SQL) != 0)
		return -1;
	s = st->next_any;
	sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
	if ((rc = store_read_one(st, s, "finding the next due delivery")) < 0)
		return -1;
	if (rc == 1) {
		if (sqlite3_column_type(s, 0) != SQLITE_NULL)
			*at = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL && sqlite3_column_int64(s, 1) < *at)
			*at = sqlite3_column_int64(s, 1);
		sqlite3_reset(s);
	}
	if (*at != INT64_MAX && r->rate > 0) {
		double tokens;

		if (bucket_tokens(st, r, now, &tokens) != 0)
			return -1;
		if (tokens < 1) {
			/* Round up, so the token is there when the timer fires. */
			int64_t token_at = now + (int64_t)((1 - tokens) * (double)r->rate_period /
			    r->rate) + 1;

			if (token_at > *at)
				*at = token_at;
		}
	}
	return 0;
}

int
sqlite_store_next_due(struct sqlite_store *st, const struct store_route *routes, size_t n,
    int64_t now, int64_t *at)
{
	size_t i;

	*at = INT64_MAX;
	store_arm(st);
	for (i = 0; i < n; i++) {
		int64_t t;

		if (route_next_due(st, &routes[i], now, &t) != 0)
			return -1;
		if (t < *at)
			*at = t;
	}
	return 0;
}

int
sqlite_store_prune(struct sqlite_store *st, int64_t before, int limit, int *deleted)
{
	*deleted = 0;
	if (store_prepare(st, &st->prune, PRUNE_SQL) != 0)
		return -1;
	sqlite3_bind_int64(st->prune, 1, before);
	sqlite3_bind_int(st->prune, 2, limit);
	if (store_write(st, st->prune, "pruning done events", NULL, NULL) != 0)
		return -1;
	*deleted = sqlite3_changes(st->db);
	return 0;
}

int
sqlite_store_count_attempts(struct sqlite_store *st, const struct store_attempt_stat *a, size_t n)
{
	bool own = sqlite3_get_autocommit(st->db) != 0;
	struct store_stat_sum *sums = NULL;
	size_t nsums = 0, i;
	int rc = -1;

	if (store_stat_sums(a, n, &sums, &nsums, st->err, sizeof(st->err)) != 0)
		return -1;
	if (nsums == 0)
		return 0;
	if (store_prepare(st, &st->stat_add, STAT_ADD_SQL) != 0)
		goto out;
	if (own && store_begin_write(st) != 0)
		goto out;
	for (i = 0; i < nsums; i++) {
		sqlite3_bind_text(st->stat_add, 1, sums[i].route, -1, SQLITE_STATIC);
		sqlite3_bind_text(st->stat_add, 2, sums[i].series, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st->stat_add, 3, sums[i].value);
		if (store_write(st, st->stat_add, "counting attempts", NULL, NULL) != 0)
			goto out;
	}
	if (own && sqlite_store_commit(st) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0 && own)
		sqlite_store_rollback(st);
	free(sums);
	return rc;
}

int
sqlite_store_truncate_wal(struct sqlite_store *st)
{
	int rc;

	/* TRUNCATE holds the write lock while it waits for readers: wait briefly, not busy_timeout. */
	st->deadline_us = clock_mono_us() + 100000;
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (rc == SQLITE_BUSY)
		return 1;
	if (rc != SQLITE_OK) {
		store_fail(st, "checkpointing");
		return -1;
	}
	return 0;
}

bool
sqlite_store_full(const struct sqlite_store *st)
{
	return st->full;
}

bool
sqlite_store_locked(const struct sqlite_store *st)
{
	return st->locked;
}

/* Whether SQLite's main database file no longer is the file at its path. */
static bool
db_moved(struct sqlite_store *st)
{
	sqlite3_file *f = NULL;
	int moved = 0;

	if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK ||
	    f == NULL || f->pMethods == NULL ||
	    f->pMethods->xFileControl(f, SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK)
		return false;
	return moved != 0;
}

/*
 * Whether the -wal at the database's path is no longer the one this
 * connection writes. SQLite's SQLITE_FCNTL_HAS_MOVED says nothing of WAL
 * files (they carry no inode record), but while a connection is open in WAL
 * mode its WAL is never deleted or replaced by SQLite (only truncated): the
 * first one seen is the one, and a missing or different one means somebody
 * else removed it.
 */
static bool
wal_moved(struct sqlite_store *st)
{
	const char *db = sqlite3_db_filename(st->db, "main");
	const char *wal = db != NULL && *db != '\0' ? sqlite3_filename_wal(db) : NULL;
	struct stat sb;

	if (wal == NULL)
		return false;
	if (stat(wal, &sb) != 0)
		return st->wal_seen;
	if (!st->wal_seen) {
		st->wal_seen = true;
		st->wal_dev = sb.st_dev;
		st->wal_ino = sb.st_ino;
		return false;
	}
	return sb.st_dev != st->wal_dev || sb.st_ino != st->wal_ino;
}

bool
sqlite_store_moved(struct sqlite_store *st)
{
	if (!db_moved(st) && !wal_moved(st))
		return false;
	snprintf(st->err, sizeof(st->err), "the database file or its -wal was deleted, moved or "
	    "replaced under hookq: what it commits no other process sees; restart hookq");
	st->full = false;
	st->locked = false;
	return true;
}

bool
sqlite_store_low_space(struct sqlite_store *st)
{
	int64_t now = clock_mono_us();
	const char *path;
	struct statvfs sv;

	if (now - st->space_seen_us < STORE_SPACE_EVERY_US && st->space_seen_us != 0)
		return st->low_space;
	st->space_seen_us = now;
	path = sqlite3_db_filename(st->db, "main");
	/* A database in memory, or a file system that cannot say: as if there were room. */
	if (path != NULL && *path != '\0' && statvfs(path, &sv) == 0)
		st->low_space = (uint64_t)sv.f_bavail * sv.f_frsize < STORE_LOW_SPACE;
	else
		st->low_space = false;
	return st->low_space;
}

int
sqlite_store_probe_write(struct sqlite_store *st, int64_t deadline_us)
{
	char pragma[64];
	int v;

	if (sqlite_store_begin(st, deadline_us) != 0)
		return -1;
	/*
	 * A write that reaches the disk, changing nothing: user_version set to
	 * what it is, committed. Taking the lock alone proves less (a full
	 * disk, a file that vanished, take locks); writing the header page and
	 * its commit record is what an insert needs too.
	 */
	if (store_user_version(st, &v) != 0)
		goto fail;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
	if (store_exec(st, pragma, "writing the probe") != 0 ||
	    store_exec(st, "COMMIT", "committing the probe") != 0)
		goto fail;
	return sqlite_store_moved(st) ? -1 : 0;
fail:
	sqlite_store_rollback(st);
	return -1;
}


/*
 * The worker's wake-up: a commit by any process (the receiver, another
 * worker, an operator's sqlite3) writes the WAL. A claim made on that
 * wake-up cannot miss the commit: frames are written while the writer
 * holds the write lock, and the claim's BEGIN IMMEDIATE waits for that
 * lock, so it reads the finished commit. The folder is watched, as the WAL
 * may not exist yet, and is made again after a checkpoint truncated it.
 */
struct sqlite_watch {
	int fd;
	char *wal_name;          /* the WAL's file name, as inotify reports it */
};

struct sqlite_watch *
sqlite_watch_open(const char *path, char **cause)
{
	struct sqlite_watch *w = xcalloc(1, sizeof(*w));
	const char *slash = strrchr(path, '/');
	char *dir = path_folder(path);
	size_t n = strlen(slash ? slash + 1 : path) + 5;

	w->wal_name = xmalloc(n);
	snprintf(w->wal_name, n, "%s-wal", slash ? slash + 1 : path);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0 || inotify_add_watch(w->fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		size_t m = strlen(path) + 128;

		*cause = xmalloc(m);
		snprintf(*cause, m, "inotify on %s's folder: %s", path, strerror(errno));
		free(dir);
		sqlite_watch_close(w);
		return NULL;
	}
	free(dir);
	return w;
}

int
sqlite_watch_fd(const struct sqlite_watch *w)
{
	return w->fd;
}

bool
sqlite_watch_read(struct sqlite_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		char *p;

		for (p = buf; p < buf + n; ) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if ((ev->len > 0 && strcmp(ev->name, w->wal_name) == 0) ||
			    (ev->mask & IN_Q_OVERFLOW))
				any = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return any;
}

void
sqlite_watch_close(struct sqlite_watch *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->wal_name);
	free(w);
}
