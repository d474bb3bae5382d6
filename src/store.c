/*
 * store.c: the queue on SQLite.
 *
 * Waiting for locks is ours, not sqlite3_busy_timeout()'s: the busy handler
 * sleeps until a deadline the caller sets, so a batch of requests that has
 * already waited is not made to wait a full timeout again. Automatic WAL
 * checkpoints are off on connections that register a WAL hook; the
 * receiver checkpoints on its own thread, outside the request path.
 */
#include "autoconf.h"

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

#include "store.h"
#include "util.h"

struct store {
	sqlite3 *db;
	sqlite3_stmt *insert;
	sqlite3_stmt *dedup;     /* dedup = body's probe before the insert */
	sqlite3_stmt *claim, *finish[4], *next_due, *prune; /* the worker's, prepared on first use */
	int busy_timeout;        /* ms */
	int64_t deadline_us;     /* the busy handler gives up here */
	void (*wal_fn)(void *, int);
	void *wal_arg;
	char err[256];
	bool full;               /* the last failure was a full disk (SQLITE_FULL) */
	bool locked;             /* the last failure was another's lock (SQLITE_BUSY, _LOCKED) */
	bool low_space;          /* free space was under STORE_LOW_SPACE at the last look */
	int64_t space_seen_us;   /* when that was */
	bool wal_seen;           /* the -wal this connection writes, once seen (store_moved()) */
	dev_t wal_dev;
	ino_t wal_ino;
};

/*
 * Free space on the database's file system under which writers keep the WAL
 * to one transaction (store_low_space()): twice the most WAL a checkpoint
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
 * A new row is due from its arrival, so retries and new rows queue by due
 * time. body_sha256 (?7) is left NULL but for dedup = body sources, so other
 * rows stay out of the partial index events_body.
 */
static const char INSERT_SQL[] =
    "INSERT INTO events (source, event_id, event_type, received_at, headers, body,"
    " next_attempt_at, body_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4, ?7)"
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
 * The claim is one statement in a BEGIN IMMEDIATE transaction. Expired
 * leases come first (they are the oldest work), then the pending row due
 * first (by next_attempt_at, then arrival) among each handled source's own
 * first: one index seek per source, however many rows other sources have
 * waiting. INDEXED BY pins the plans to the indexes made for them.
 */
static const char CLAIM_SQL[] =
    "UPDATE events SET status = 'running', attempts = attempts + 1,"
    " lease_until = ?2 + ?3, claimed_by = ?4, finished_at = NULL"
    " WHERE id = coalesce("
    "  (SELECT id FROM events INDEXED BY events_lease"
    "   WHERE status = 'running' AND lease_until <= ?2"
    "   AND source IN (SELECT value FROM json_each(?1)) ORDER BY lease_until LIMIT 1),"
    "  (SELECT e.id FROM json_each(?1) AS s, events AS e"
    "   WHERE e.id = (SELECT id FROM events INDEXED BY events_due"
    "    WHERE status = 'pending' AND source = s.value AND next_attempt_at <= ?2"
    "    ORDER BY next_attempt_at, id LIMIT 1)"
    "   ORDER BY e.next_attempt_at, e.id LIMIT 1))"
    " RETURNING id, source, event_id, event_type, headers, body, attempts";

/* By enum store_result; ?1 id, ?2 claimant, ?3 attempt, ?4 now, ?5 next_at, ?6 error. */
#define FINISH_GUARD " WHERE id = ?1 AND claimed_by = ?2 AND attempts = ?3 AND status = 'running'"
static const char *const FINISH_SQL[] = {
	[STORE_DONE] = "UPDATE events SET status = 'done', finished_at = ?4, lease_until = NULL,"
	    " last_error = NULL" FINISH_GUARD,
	[STORE_RETRY] = "UPDATE events SET status = 'pending', next_attempt_at = ?5,"
	    " lease_until = NULL, last_error = ?6, failed_at = ?4" FINISH_GUARD,
	[STORE_DEAD] = "UPDATE events SET status = 'dead', finished_at = ?4, lease_until = NULL,"
	    " last_error = ?6, failed_at = ?4" FINISH_GUARD,
	[STORE_RELEASE] = "UPDATE events SET status = 'pending', next_attempt_at = ?5,"
	    " lease_until = NULL, attempts = attempts - 1, last_error = ?6" FINISH_GUARD,
};

static const char NEXT_DUE_SQL[] =
    "SELECT min("
    " coalesce((SELECT min(lease_until) FROM events INDEXED BY events_lease"
    "  WHERE status = 'running' AND source IN (SELECT value FROM json_each(?1))), ?2),"
    " coalesce((SELECT min((SELECT next_attempt_at FROM events INDEXED BY events_due"
    "  WHERE status = 'pending' AND source = s.value ORDER BY next_attempt_at LIMIT 1))"
    "  FROM json_each(?1) AS s), ?2))";

static const char PRUNE_SQL[] =
    "DELETE FROM events WHERE id IN (SELECT id FROM events INDEXED BY events_finished"
    " WHERE finished_at IS NOT NULL AND finished_at < ?1 AND status = 'done' LIMIT ?2)";

/* Records what failed and SQLite's reason. */
static void
store_fail(struct store *st, const char *what)
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
	struct store *st = arg;
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
static void
store_arm(struct store *st)
{
	st->deadline_us = clock_mono_us() + (int64_t)st->busy_timeout * 1000;
}

static int
store_exec(struct store *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_fail(st, what);
		return -1;
	}
	return 0;
}

static int
store_user_version(struct store *st, int *v)
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
store_wal(struct store *st)
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
 * Finds migration number n's text in the schema: from its "-- migration N:"
 * line to the next one. Returns the start, and its length in *len, or NULL.
 */
static const char *
migration_text(int n, size_t *len)
{
	const char *p = store_schema_sql, *start = NULL;
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

int
store_schema_version(void)
{
	size_t len;
	int n = 0;

	while (migration_text(n + 1, &len) != NULL)
		n++;
	return n;
}

/*
 * Reads the database's schema version into *have and refuses one newer than
 * this build's, which would not know what the rows mean: before any write,
 * so the file of a newer hookq is never touched.
 */
static int
store_version_check(struct store *st, int *have)
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
store_migrate(struct store *st, int have)
{
	int want = store_schema_version(), n;
	char pragma[64];

	for (n = have + 1; n <= want; n++) {
		size_t len;
		const char *text = migration_text(n, &len);
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
store_check_write(struct store *st)
{
	char buf[4096], why[sizeof(st->err)];
	struct passwd pw, *pwp = NULL;
	uid_t uid = geteuid();

	if (store_probe_write(st, clock_mono_us() + (int64_t)st->busy_timeout * 1000) == 0)
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
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->insert);
	sqlite3_finalize(st->dedup);
	sqlite3_finalize(st->claim);
	for (size_t i = 0; i < nitems(st->finish); i++)
		sqlite3_finalize(st->finish[i]);
	sqlite3_finalize(st->next_due);
	sqlite3_finalize(st->prune);
	sqlite3_close(st->db);
	free(st);
}

int
store_begin(struct store *st, int64_t deadline_us)
{
	st->deadline_us = deadline_us;
	return store_exec(st, "BEGIN IMMEDIATE", "waiting for the write lock");
}

int
store_page_size(struct store *st)
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
store_trust_inserts(struct store *st)
{
	return store_exec(st, "PRAGMA ignore_check_constraints = ON", "trusting inserts");
}

/*
 * dedup = body: whether ev's source has a row of ev's body received within
 * its window before ev. 1 yes, 0 no, -1 on an error.
 */
static int
store_body_seen(struct store *st, const struct store_event *ev)
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
store_insert(struct store *st, const struct store_event *ev, bool *inserted)
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
store_commit(struct store *st)
{
	return store_exec(st, "COMMIT", "committing");
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

const char *
store_error(const struct store *st)
{
	return st->err;
}

static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store *st = arg;

	st->wal_fn(st->wal_arg, pages);
	return SQLITE_OK;
}

void
store_on_wal(struct store *st, void (*fn)(void *, int), void *arg)
{
	st->wal_fn = fn;
	st->wal_arg = arg;
	/* Replaces SQLite's automatic checkpoint, which would run inside COMMIT. */
	sqlite3_wal_hook(st->db, store_wal_hook, st);
}

int
store_checkpoint(struct store *st, int *copied)
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
static int
store_prepare(struct store *st, sqlite3_stmt **s, const char *sql)
{
	if (*s == NULL && sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s,
	    NULL) != SQLITE_OK) {
		store_fail(st, "preparing a statement");
		return -1;
	}
	return 0;
}

/*
 * Runs s (reset afterwards). Inside the caller's transaction (store_begin())
 * it is one more statement of it, and a failure is the caller's to roll
 * back; otherwise it is a write transaction of its own that waits
 * busy_timeout for the lock.
 */
static int
store_write(struct store *st, sqlite3_stmt *s, const char *what, int (*row)(struct store *,
    sqlite3_stmt *, void *), void *arg)
{
	bool own = sqlite3_get_autocommit(st->db) != 0;
	int rc;

	if (own) {
		store_arm(st);
		if (store_exec(st, "BEGIN IMMEDIATE", "waiting for the write lock") != 0)
			return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (row != NULL && row(st, s, arg) != 0)
			break;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_fail(st, what);
		sqlite3_reset(s);
		if (own)
			store_rollback(st);
		return -1;
	}
	sqlite3_reset(s);
	if (own && store_commit(st) != 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

static char *
column_strdup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t == NULL ? NULL : xstrndup((const char *)t, (size_t)sqlite3_column_bytes(s, i));
}

/* The claim's RETURNING row. */
static int
claim_row(struct store *st, sqlite3_stmt *s, void *arg)
{
	struct store_job *job = arg;
	const void *body = sqlite3_column_blob(s, 5);

	(void)st;
	job->id = sqlite3_column_int64(s, 0);
	job->source = column_strdup(s, 1);
	job->event_id = column_strdup(s, 2);
	job->event_type = column_strdup(s, 3);
	job->headers = column_strdup(s, 4);
	job->body_len = (size_t)sqlite3_column_bytes(s, 5);
	job->body = xmalloc(job->body_len + 1);
	if (job->body_len > 0)
		memcpy(job->body, body, job->body_len);
	job->attempt = sqlite3_column_int(s, 6);
	return 0;
}

int
store_claim(struct store *st, const char *sources, const char *claimant, int64_t now,
    int64_t lease_ms, struct store_job *job, bool *found)
{
	memset(job, 0, sizeof(*job));
	*found = false;
	if (store_prepare(st, &st->claim, CLAIM_SQL) != 0)
		return -1;
	sqlite3_bind_text(st->claim, 1, sources, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st->claim, 2, now);
	sqlite3_bind_int64(st->claim, 3, lease_ms);
	sqlite3_bind_text(st->claim, 4, claimant, -1, SQLITE_STATIC);
	if (store_write(st, st->claim, "claiming", claim_row, job) != 0) {
		store_job_free(job);
		return -1;
	}
	*found = job->source != NULL;
	return 0;
}

void
store_job_free(struct store_job *job)
{
	free(job->source);
	free(job->event_id);
	free(job->event_type);
	free(job->headers);
	free(job->body);
	memset(job, 0, sizeof(*job));
}

int
store_finish(struct store *st, const struct store_job *job, const char *claimant,
    enum store_result result, int64_t now, int64_t next_at, const char *error, bool *applied)
{
	sqlite3_stmt **s = &st->finish[result];

	*applied = false;
	if (store_prepare(st, s, FINISH_SQL[result]) != 0)
		return -1;
	sqlite3_bind_int64(*s, 1, job->id);
	sqlite3_bind_text(*s, 2, claimant, -1, SQLITE_STATIC);
	sqlite3_bind_int(*s, 3, job->attempt);
	sqlite3_bind_int64(*s, 4, now);
	sqlite3_bind_int64(*s, 5, next_at);
	if (error != NULL)
		sqlite3_bind_text(*s, 6, error, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(*s, 6);
	if (store_write(st, *s, "recording a result", NULL, NULL) != 0)
		return -1;
	*applied = sqlite3_changes(st->db) == 1;
	return 0;
}

int
store_next_due(struct store *st, const char *sources, int64_t *at)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, &st->next_due, NEXT_DUE_SQL) != 0)
		return -1;
	s = st->next_due;
	sqlite3_bind_text(s, 1, sources, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, INT64_MAX);
	store_arm(st);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*at = sqlite3_column_int64(s, 0);
	else
		store_fail(st, "finding the next due row");
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_prune(struct store *st, int64_t before, int limit, int *deleted)
{
	*deleted = 0;
	if (store_prepare(st, &st->prune, PRUNE_SQL) != 0)
		return -1;
	sqlite3_bind_int64(st->prune, 1, before);
	sqlite3_bind_int(st->prune, 2, limit);
	if (store_write(st, st->prune, "pruning done rows", NULL, NULL) != 0)
		return -1;
	*deleted = sqlite3_changes(st->db);
	return 0;
}

int
store_truncate_wal(struct store *st)
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
store_full(const struct store *st)
{
	return st->full;
}

bool
store_locked(const struct store *st)
{
	return st->locked;
}

/* Whether SQLite's main database file no longer is the file at its path. */
static bool
db_moved(struct store *st)
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
wal_moved(struct store *st)
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
store_moved(struct store *st)
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
store_low_space(struct store *st)
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
store_counts(struct store *st, struct store_count **rows, size_t *n)
{
	static const char SQL[] =
	    "SELECT source, status, count(*), min(received_at) FROM events"
	    " GROUP BY source, status ORDER BY source, status";
	sqlite3_stmt *s;
	int rc;

	*rows = NULL;
	*n = 0;
	store_arm(st);
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "counting the queue");
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_count *c;

		*rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
		c = &(*rows)[(*n)++];
		c->source = column_strdup(s, 0);
		c->status = column_strdup(s, 1);
		c->events = sqlite3_column_int64(s, 2);
		c->oldest_received = sqlite3_column_int64(s, 3);
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, "counting the queue");
		sqlite3_finalize(s);
		store_counts_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

void
store_counts_free(struct store_count *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].source);
		free(rows[i].status);
	}
	free(rows);
}

int
store_probe_write(struct store *st, int64_t deadline_us)
{
	char pragma[64];
	int v;

	if (store_begin(st, deadline_us) != 0)
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
	return store_moved(st) ? -1 : 0;
fail:
	store_rollback(st);
	return -1;
}

/* ---- the hookq command ------------------------------------------------------ */

const char *const store_statuses[STORE_NSTATUSES] = { "pending", "running", "done", "dead" };

#define ROW_COLUMNS "id, source, event_id, event_type, status, attempts, received_at," \
    " next_attempt_at, lease_until, finished_at, failed_at, claimed_by, last_error"

/* Fills row from ROW_COLUMNS (the first 13 columns of s). */
static void
row_read(sqlite3_stmt *s, struct store_row *row)
{
	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(s, 0);
	row->source = column_strdup(s, 1);
	row->event_id = column_strdup(s, 2);
	row->event_type = column_strdup(s, 3);
	row->status = column_strdup(s, 4);
	row->attempts = sqlite3_column_int(s, 5);
	row->received_at = sqlite3_column_int64(s, 6);
	row->next_attempt_at = sqlite3_column_int64(s, 7);
	row->lease_until = sqlite3_column_int64(s, 8);
	row->finished_at = sqlite3_column_int64(s, 9);
	row->failed_at = sqlite3_column_int64(s, 10);
	row->claimed_by = column_strdup(s, 11);
	row->last_error = column_strdup(s, 12);
}

void
store_row_free(struct store_row *row)
{
	free(row->source);
	free(row->event_id);
	free(row->event_type);
	free(row->status);
	free(row->claimed_by);
	free(row->last_error);
	free(row->headers);
	free(row->body);
	memset(row, 0, sizeof(*row));
}

void
store_rows_free(struct store_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_row_free(&rows[i]);
	free(rows);
}

/* Steps a prepared read s to the end, appending each row (ROW_COLUMNS) to *rows. */
static int
rows_read(struct store *st, sqlite3_stmt *s, const char *what, struct store_row **rows,
    size_t *n)
{
	int rc;

	*rows = NULL;
	*n = 0;
	store_arm(st);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
		row_read(s, &(*rows)[(*n)++]);
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, what);
		sqlite3_finalize(s);
		store_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

int
store_list(struct store *st, const char *source, const char *status, int limit,
    struct store_row **rows, size_t *n)
{
	static const char SQL[] =
	    "SELECT " ROW_COLUMNS " FROM events"
	    " WHERE (?1 IS NULL OR source = ?1) AND (?2 IS NULL OR status = ?2)"
	    " ORDER BY id DESC LIMIT ?3";
	sqlite3_stmt *s;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "listing events");
		return -1;
	}
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, limit);
	return rows_read(st, s, "listing events", rows, n);
}

int
store_get(struct store *st, int64_t id, struct store_row *row, bool *found)
{
	static const char SQL[] = "SELECT " ROW_COLUMNS ", headers, body FROM events WHERE id = ?1";
	sqlite3_stmt *s;
	int rc;

	memset(row, 0, sizeof(*row));
	*found = false;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "reading an event");
		return -1;
	}
	sqlite3_bind_int64(s, 1, id);
	store_arm(st);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void *body = sqlite3_column_blob(s, 14);

		row_read(s, row);
		row->headers = column_strdup(s, 13);
		row->body_len = (size_t)sqlite3_column_bytes(s, 14);
		row->body = xmalloc(row->body_len + 1);
		if (row->body_len > 0)
			memcpy(row->body, body, row->body_len);
		((char *)row->body)[row->body_len] = '\0';
		*found = true;
	} else if (rc != SQLITE_DONE)
		store_fail(st, "reading an event");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

#define REQUEUE_SET "UPDATE events SET status = 'pending', attempts = 0, next_attempt_at = ?1," \
    " finished_at = NULL, failed_at = NULL, last_error = NULL, lease_until = NULL," \
    " claimed_by = NULL"

/* store_requeue's row: the status before and whether the update applies. */
struct requeue_one {
	char *status, *source, *event_id;
};

static int
requeue_row(struct store *st, sqlite3_stmt *s, void *arg)
{
	struct requeue_one *r = arg;

	(void)st;
	r->status = column_strdup(s, 0);
	r->source = column_strdup(s, 1);
	r->event_id = column_strdup(s, 2);
	return 0;
}

int
store_requeue(struct store *st, int64_t id, int64_t now, bool done_too, char *status,
    bool *requeued, char **row_source, char **row_event_id)
{
	static const char FIND_SQL[] = "SELECT status, source, event_id FROM events WHERE id = ?1";
	static const char SQL[] = REQUEUE_SET " WHERE id = ?2 AND (status = 'dead' OR"
	    " (?3 AND status = 'done'))";
	struct requeue_one r = { NULL, NULL, NULL };
	sqlite3_stmt *find = NULL, *upd = NULL;
	int rc = -1;

	*status = '\0';
	*requeued = false;
	*row_source = *row_event_id = NULL;
	if (sqlite3_prepare_v2(st->db, FIND_SQL, -1, &find, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, SQL, -1, &upd, NULL) != SQLITE_OK) {
		store_fail(st, "preparing a requeue");
		goto out;
	}
	/* One transaction: the status read is the one the update is decided on. */
	store_arm(st);
	if (store_exec(st, "BEGIN IMMEDIATE", "waiting for the write lock") != 0)
		goto out;
	sqlite3_bind_int64(find, 1, id);
	if (store_write(st, find, "reading an event", requeue_row, &r) != 0)
		goto fail;
	if (r.status != NULL) {
		snprintf(status, 16, "%s", r.status);
		if (strcmp(r.status, "dead") == 0 || (done_too && strcmp(r.status, "done") == 0)) {
			sqlite3_bind_int64(upd, 1, now);
			sqlite3_bind_int64(upd, 2, id);
			sqlite3_bind_int(upd, 3, done_too);
			if (store_write(st, upd, "requeueing", NULL, NULL) != 0)
				goto fail;
			*requeued = sqlite3_changes(st->db) == 1;
		}
	}
	if (store_commit(st) != 0)
		goto fail;
	*row_source = r.source;
	*row_event_id = r.event_id;
	r.source = r.event_id = NULL;
	rc = 0;
	goto out;
fail:
	store_rollback(st);
	*requeued = false;
out:
	sqlite3_finalize(find);
	sqlite3_finalize(upd);
	free(r.status);
	free(r.source);
	free(r.event_id);
	return rc;
}

struct requeue_many {
	struct store_row *rows;
	size_t n;
};

static int
requeue_many_row(struct store *st, sqlite3_stmt *s, void *arg)
{
	struct requeue_many *m = arg;
	struct store_row *row;

	(void)st;
	m->rows = xreallocarray(m->rows, m->n + 1, sizeof(*m->rows));
	row = &m->rows[m->n++];
	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(s, 0);
	row->source = column_strdup(s, 1);
	row->event_id = column_strdup(s, 2);
	row->status = xstrdup("dead");
	return 0;
}

int
store_requeue_dead(struct store *st, const char *source, int64_t now,
    struct store_row **rows, size_t *n)
{
	static const char SQL[] = REQUEUE_SET " WHERE status = 'dead' AND (?2 IS NULL OR source = ?2)"
	    " RETURNING id, source, event_id";
	struct requeue_many m = { NULL, 0 };
	sqlite3_stmt *s;
	int rc;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "preparing a requeue");
		return -1;
	}
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
	rc = store_write(st, s, "requeueing", requeue_many_row, &m);
	sqlite3_finalize(s);
	if (rc != 0) {
		store_rows_free(m.rows, m.n);
		return -1;
	}
	*rows = m.rows;
	*n = m.n;
	return 0;
}

int
store_purge(struct store *st, const char *status, int64_t before, int limit, int *deleted)
{
	static const char SQL[] =
	    "DELETE FROM events WHERE id IN (SELECT id FROM events INDEXED BY events_finished"
	    " WHERE finished_at IS NOT NULL AND finished_at < ?1 AND status = ?2 LIMIT ?3)";
	sqlite3_stmt *s;
	int rc;

	*deleted = 0;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "preparing a purge");
		return -1;
	}
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, limit);
	rc = store_write(st, s, "purging", NULL, NULL);
	if (rc == 0)
		*deleted = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return rc;
}

int
store_last_received(struct store *st, struct store_row **rows, size_t *n)
{
	static const char SQL[] =
	    "SELECT " ROW_COLUMNS " FROM events"
	    " WHERE id IN (SELECT max(id) FROM events GROUP BY source) ORDER BY source";
	sqlite3_stmt *s;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "reading the last events");
		return -1;
	}
	return rows_read(st, s, "reading the last events", rows, n);
}

/*
 * store_backup's pace: pages per sqlite3_backup_step() and the pause after
 * each, so that a large copy leaves the disk to the receiver's commits; and
 * how long a busy destination (nobody else should open it) may hold us.
 */
#define BACKUP_PAGES 256
#define BACKUP_PAUSE_MS 2
#define BACKUP_BUSY_MS 10000

/* The copy's row count and schema version, read from the copy itself. */
static int
backup_verify(sqlite3 *dst, int64_t *events, int *version)
{
	sqlite3_stmt *s = NULL;
	int ok;

	ok = sqlite3_prepare_v2(dst, "SELECT count(*), (SELECT user_version FROM"
	    " pragma_user_version) FROM events", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW;
	if (ok) {
		*events = sqlite3_column_int64(s, 0);
		*version = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

int
store_backup(struct store *st, const char *path, int64_t *events, int *version)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b = NULL;
	int rc, waited = 0;
	bool snapshot = false;

	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "opening %s: %s", path,
		    dst != NULL ? sqlite3_errmsg(dst) : "out of memory");
		goto fail;
	}
	if (sqlite3_exec(dst, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "%s: %s", path, sqlite3_errmsg(dst));
		goto fail;
	}
	/*
	 * A read transaction held across the steps fixes the snapshot: without
	 * it each step sees the receiver's newest commit, and the backup API
	 * starts again from the first page whenever another connection wrote,
	 * which under a steady stream of webhooks is forever.
	 */
	store_arm(st);
	if (store_exec(st, "BEGIN", "starting the backup") != 0 ||
	    store_exec(st, "SELECT count(*) FROM sqlite_schema", "starting the backup") != 0)
		goto fail;
	snapshot = true;
	b = sqlite3_backup_init(dst, "main", st->db, "main");
	if (b == NULL) {
		snprintf(st->err, sizeof(st->err), "backup to %s: %s", path, sqlite3_errmsg(dst));
		goto fail;
	}
	for (;;) {
		rc = sqlite3_backup_step(b, BACKUP_PAGES);
		if (rc == SQLITE_DONE)
			break;
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			if (waited >= BACKUP_BUSY_MS) {
				snprintf(st->err, sizeof(st->err), "backup to %s: locked for %d ms",
				    path, waited);
				goto fail;
			}
			sqlite3_sleep(50);
			waited += 50;
			continue;
		}
		if (rc != SQLITE_OK) {
			snprintf(st->err, sizeof(st->err), "backup to %s: %s", path, sqlite3_errstr(rc));
			goto fail;
		}
		sqlite3_sleep(BACKUP_PAUSE_MS);
	}
	rc = sqlite3_backup_finish(b);
	b = NULL;
	if (rc != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "backup to %s: %s", path, sqlite3_errmsg(dst));
		goto fail;
	}
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	snapshot = false;
	if (backup_verify(dst, events, version) != 0) {
		snprintf(st->err, sizeof(st->err), "reading the copy %s: %s", path,
		    sqlite3_errmsg(dst));
		goto fail;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "closing the copy %s", path);
		return -1;
	}
	return 0;
fail:
	if (b != NULL)
		sqlite3_backup_finish(b);
	if (snapshot)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(dst);
	return -1;
}
