/*
 * store_test.c: the SQLite queue (src/store_sqlite.c, through src/store.c): schema creation and
 * migration, inserts and duplicates (by event id, and by body for dedup =
 * body), lock timeouts and rollback. Results are read back with SQLite
 * directly, as an operator would.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "dbutil.h"
#include "testutil.h"

#include "headers.h"
#include "payload.h"
#include "store.h"
#include "util.h"

struct fixture {
	char *dir;
	char *db;
};

static const struct store_options FULL = { .durability_full = true, .busy_timeout = 300 };

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	fx->dir = tu_tmpdir();
	fx->db = tu_path(fx->dir, "queue.db");
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	tu_rmtree(fx->dir);
	free(fx->dir);
	free(fx->db);
	free(fx);
	return 0;
}

static struct store_event
event(const char *source, const char *id, const char *body)
{
	struct store_event ev = {
		.source = source, .event_id = id, .event_type = "t",
		.received_at = 1700000000123LL, .headers = "{\"a\":\"b\"}", .headers_len = 9,
		.body = body, .body_len = strlen(body),
	};

	return ev;
}

/* Opening a new file creates the schema at the latest version, in WAL mode. */
static void
test_create(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL, want[16];
	struct store *st = store_open(fx->db, &FULL, &cause);

	assert_non_null(st);
	assert_true(store_schema_version() >= 1);
	snprintf(want, sizeof(want), "%d", store_schema_version());
	tu_assert_query(fx->db, "PRAGMA user_version", want);
	tu_assert_query(fx->db, "PRAGMA journal_mode", "wal");
	tu_assert_query(fx->db, "PRAGMA page_size", "16384");
	assert_int_equal(store_page_size(st), 16384);
	tu_assert_query(fx->db, "SELECT count(*) FROM sqlite_master WHERE name = 'events'", "1");
	store_close(st);
	/* Opening again applies nothing twice. */
	st = store_open(fx->db, &FULL, &cause);
	assert_non_null(st);
	store_close(st);
	tu_assert_query(fx->db, "PRAGMA user_version", want);
}

/* A database made with 4 KB pages (before hookq used 16 KB) keeps them and works. */
static void
test_old_page_size(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st;
	struct store_event ev = event("gh", "old", "body");
	bool inserted;
	sqlite3 *h;

	assert_int_equal(sqlite3_open(fx->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA page_size = 4096; CREATE TABLE other (a);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	st = store_open(fx->db, &FULL, &cause);
	assert_non_null(st);
	assert_int_equal(store_page_size(st), 4096);
	assert_int_equal(store_begin(st, clock_mono_us() + 1000000), 0);
	assert_int_equal(store_insert(st, &ev, &inserted), 0);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	tu_assert_query(fx->db, "PRAGMA page_size", "4096");
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "1");
}

/* The compiled-in schemas, sql/schema.sql and sql/schema_pg.sql, in numbered migrations. */
static void
test_schema_text(void **state)
{
	size_t len;
	int v = store_schema_version();

	assert_non_null(strstr(store_schema_sql, "-- migration 1:"));
	assert_non_null(strstr(store_schema_sql, "UNIQUE (source, event_id)"));
	/*
	 * PostgreSQL's schema (sql/schema_pg.sql) is numbered as SQLite's and
	 * ends at the same migration: one version means the same columns on
	 * both, and a migration added to one is added to the other.
	 */
	assert_non_null(store_migration_text(store_schema_pg_sql, v, &len));
	assert_null(store_migration_text(store_schema_pg_sql, v + 1, &len));
	assert_null(store_migration_text(store_schema_sql, v + 1, &len));
	assert_non_null(strstr(store_schema_pg_sql, "UNIQUE (source, event_id)"));
}

/* An insert and its duplicate: one row, the second call says "not inserted". */
static void
test_insert_duplicate(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st = store_open(fx->db, &FULL, &cause);
	struct store_event a = event("gh", "d1", "hello"), b = event("gh", "d1", "other");
	struct store_event c = event("st", "d1", "x");
	bool inserted;

	assert_non_null(st);
	assert_int_equal(store_begin(st, clock_mono_us() + 1000000), 0);
	assert_int_equal(store_insert(st, &a, &inserted), 0);
	assert_true(inserted);
	assert_int_equal(store_insert(st, &b, &inserted), 0);
	assert_false(inserted);
	assert_int_equal(store_insert(st, &c, &inserted), 0);
	assert_true(inserted);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "2");
	tu_assert_query(fx->db, "SELECT body FROM events WHERE source = 'gh'", "hello");
	/* Stored, not routed yet: no delivery, so nothing tried (the worker routes it). */
	tu_assert_query(fx->db, "SELECT (routed_at IS NULL) || (routes IS NULL) || received_at ||"
	    " event_type FROM events WHERE source = 'gh'", "111700000000123t");
	tu_assert_query(fx->db, "SELECT count(*) FROM deliveries", "0");
	tu_assert_query(fx->db, "SELECT typeof(body) FROM events WHERE source = 'gh'", "blob");
}

/* An empty body is stored as an empty blob, not NULL; a NULL type as NULL. */
static void
test_empty_body(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st = store_open(fx->db, &FULL, &cause);
	struct store_event ev = event("gh", "e", "");
	bool inserted;

	ev.event_type = NULL;
	assert_int_equal(store_begin(st, clock_mono_us() + 1000000), 0);
	assert_int_equal(store_insert(st, &ev, &inserted), 0);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	tu_assert_query(fx->db, "SELECT typeof(body) || length(body) || typeof(event_type) FROM events",
	    "blob0null");
}

/* A rolled-back transaction leaves nothing. */
static void
test_rollback(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st = store_open(fx->db, &FULL, &cause);
	struct store_event ev = event("gh", "r", "x");
	bool inserted;

	assert_int_equal(store_begin(st, clock_mono_us() + 1000000), 0);
	assert_int_equal(store_insert(st, &ev, &inserted), 0);
	store_rollback(st);
	store_close(st);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "0");
}

/* "sha256:<hex>" of a body, as the request path makes it for dedup = body. */
#define HASH_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define WINDOW 60000

/* An event of a dedup = body source: hash, a window of a minute, received at ms. */
static struct store_event
body_event(const char *source, const char *id, const char *hash, int64_t ms)
{
	struct store_event ev = event(source, id, "replayed body");

	ev.body_sha256 = hash;
	ev.dedup_window = WINDOW;
	ev.received_at = ms;
	return ev;
}

/* Inserts ev in a transaction of its own; returns whether it was inserted. */
static bool
insert_one(struct store *st, const struct store_event *ev)
{
	bool inserted;

	assert_int_equal(store_begin(st, clock_mono_us() + 1000000), 0);
	assert_int_equal(store_insert(st, ev, &inserted), 0);
	assert_int_equal(store_commit(st), 0);
	return inserted;
}

/*
 * dedup = body, in one transaction (one group-commit batch): a body already
 * inserted is a duplicate under a fresh event id, even before the commit;
 * another body, the same body on another source and the same body of a
 * dedup = id event (no hash) all go in. Only hashed rows keep a hash.
 */
static void
test_dedup_body_batch(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st = store_open(fx->db, &FULL, &cause);
	int64_t t = 1700000000000LL;
	struct store_event a = body_event("gh", "d1", HASH_A, t);
	struct store_event replay = body_event("gh", "d2", HASH_A, t + 10);
	struct store_event other = body_event("gh", "d3", HASH_B, t + 20);
	struct store_event elsewhere = body_event("shop", "d1", HASH_A, t + 30);
	struct store_event plain = event("gh", "d4", "replayed body");
	bool inserted;

	assert_non_null(st);
	assert_int_equal(store_begin(st, clock_mono_us() + 1000000), 0);
	assert_int_equal(store_insert(st, &a, &inserted), 0);
	assert_true(inserted);
	assert_int_equal(store_insert(st, &replay, &inserted), 0);
	assert_false(inserted);
	assert_int_equal(store_insert(st, &other, &inserted), 0);
	assert_true(inserted);
	assert_int_equal(store_insert(st, &elsewhere, &inserted), 0);
	assert_true(inserted);
	assert_int_equal(store_insert(st, &plain, &inserted), 0);
	assert_true(inserted);
	/* The same id and the same body: still one row. */
	assert_int_equal(store_insert(st, &a, &inserted), 0);
	assert_false(inserted);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	tu_assert_query(fx->db, "SELECT group_concat(source || ':' || event_id, ' ') FROM"
	    " (SELECT * FROM events ORDER BY id)", "gh:d1 gh:d3 shop:d1 gh:d4");
	tu_assert_query(fx->db, "SELECT count(*) FROM events WHERE body_sha256 IS NULL", "1");
	tu_assert_query(fx->db, "SELECT body_sha256 FROM events WHERE event_id = 'd3'", HASH_B);
}

/*
 * Across transactions: a body is refused under a fresh id while its row is
 * younger than the window, and stored again once the window has passed;
 * the newest copy then starts a window of its own.
 */
static void
test_dedup_body_window(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st = store_open(fx->db, &FULL, &cause);
	int64_t t = 1700000000000LL;
	struct store_event ev;

	assert_non_null(st);
	ev = body_event("gh", "w1", HASH_A, t);
	assert_true(insert_one(st, &ev));
	ev = body_event("gh", "w2", HASH_A, t + WINDOW - 1);
	assert_false(insert_one(st, &ev));
	/* Exactly a window later the first copy no longer counts. */
	ev = body_event("gh", "w3", HASH_A, t + WINDOW);
	assert_true(insert_one(st, &ev));
	ev = body_event("gh", "w4", HASH_A, t + WINDOW + 1);
	assert_false(insert_one(st, &ev));
	ev = body_event("gh", "w5", HASH_A, t + 3 * WINDOW);
	assert_true(insert_one(st, &ev));
	store_close(st);
	tu_assert_query(fx->db, "SELECT group_concat(event_id, ' ') FROM (SELECT * FROM events"
	    " ORDER BY id)", "w1 w3 w5");
}

/* A rolled-back batch leaves no hash behind: the same body is stored afterwards. */
static void
test_dedup_body_rollback(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st = store_open(fx->db, &FULL, &cause);
	struct store_event a = body_event("gh", "r1", HASH_A, 1700000000000LL);
	struct store_event b = body_event("gh", "r2", HASH_A, 1700000000001LL);
	bool inserted;

	assert_non_null(st);
	assert_int_equal(store_begin(st, clock_mono_us() + 1000000), 0);
	assert_int_equal(store_insert(st, &a, &inserted), 0);
	assert_true(inserted);
	assert_int_equal(store_insert(st, &b, &inserted), 0);
	assert_false(inserted);
	store_rollback(st);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "0");
	assert_true(insert_one(st, &b));
	store_close(st);
	tu_assert_query(fx->db, "SELECT event_id FROM events", "r2");
}

/*
 * A database at schema version 3, the last before dedup = body (migrations
 * 1-3 applied, as the hookq of that time did), upgrades in place: its rows
 * are kept without a hash, the partial index is made, and dedup works on it.
 */
static void
test_upgrade_from_3(void **state)
{
	struct fixture *fx = *state;
	const char *cut = strstr(store_schema_sql, "\n-- migration 4:");
	char *cause = NULL, want[16], *old;
	struct store *st;
	struct store_event ev;
	sqlite3 *h;

	assert_non_null(cut);
	old = strndup(store_schema_sql, (size_t)(cut - store_schema_sql));
	assert_null(strstr(old, "body_sha256"));
	assert_int_equal(sqlite3_open(fx->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, old, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 3;"
	    " INSERT INTO events (source, event_id, received_at, headers, body)"
	    " VALUES ('gh', 'before', 1700000000000, '{}', x'00')", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	free(old);

	st = store_open(fx->db, &FULL, &cause);
	if (st == NULL)
		fail_msg("%s", cause);
	snprintf(want, sizeof(want), "%d", store_schema_version());
	tu_assert_query(fx->db, "PRAGMA user_version", want);
	tu_assert_query(fx->db, "SELECT event_id || ':' || typeof(body_sha256) FROM events",
	    "before:null");
	tu_assert_query(fx->db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
	    " AND name = 'events_body' AND sql LIKE '%WHERE body_sha256 IS NOT NULL%'", "1");
	ev = body_event("gh", "after", HASH_A, 1700000000000LL);
	assert_true(insert_one(st, &ev));
	ev = body_event("gh", "again", HASH_A, 1700000000001LL);
	assert_false(insert_one(st, &ev));
	store_close(st);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "2");
	tu_assert_query(fx->db, "PRAGMA integrity_check", "ok");
}

/*
 * The schema text of the migrations before "-- migration <version + 1>:"
 * (malloc'd): the database an older hookq made at that version.
 */
static char *
schema_upto(int version)
{
	char mark[32];
	const char *cut;

	snprintf(mark, sizeof(mark), "\n-- migration %d:", version + 1);
	cut = strstr(store_schema_sql, mark);
	assert_non_null(cut);
	return strndup(store_schema_sql, (size_t)(cut - store_schema_sql));
}

/*
 * Rows in every state, as versions 1 to 4 kept them in events (ids with
 * gaps, two sources): never tried, retrying, running under a lease, done,
 * dead. claimed_by came with migration 2, failed_at with 3.
 */
static const char OLD_ROWS[] =
    "INSERT INTO events (id, source, event_id, event_type, received_at, headers, body, status,"
    "  attempts, next_attempt_at, lease_until, last_error, finished_at) VALUES"
    " (3, 'gh', 'never', 'push', 1700000000000, '{}', x'01', 'pending', 0, 1700000000000,"
    "  NULL, NULL, NULL),"
    " (7, 'gh', 'retry', 'push', 1700000000001, '{}', x'02', 'pending', 2, 1700000600000,"
    "  NULL, 'exit status 1', NULL),"
    " (8, 'gh', 'running', NULL, 1700000000002, '{}', x'03', 'running', 1, 1700000000002,"
    "  1700000090000, NULL, NULL),"
    " (10, 'gh', 'done', 'issues', 1700000000003, '{}', x'04', 'done', 1, 1700000000003,"
    "  NULL, NULL, 1700000001000),"
    " (12, 'st', 'dead', 'push', 1700000000004, '{}', x'', 'dead', 10, 1700000000004,"
    "  NULL, 'exit status 3', 1700000002000);";

/*
 * A database at version 1, 2, 3 or 4 with rows in every state migrates to
 * the latest: the event columns stay in events under the same ids; each
 * row's state moves to a delivery on the route named after its source,
 * under the row's id; the row never tried stays unrouted (no delivery),
 * for the worker to route; the state columns leave events; the views read.
 */
static void
test_upgrade_state(void **state)
{
	struct fixture *fx = *state;
	int version;

	for (version = 1; version <= 4; version++) {
		char *cause = NULL, *old = schema_upto(version), want[16], sql[128];
		struct store_unrouted *ev = NULL;
		struct store *st;
		size_t n = 0;
		sqlite3 *h;

		unlink(fx->db);
		assert_int_equal(sqlite3_open(fx->db, &h), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, old, NULL, NULL, NULL), SQLITE_OK);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
		assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, OLD_ROWS, NULL, NULL, NULL), SQLITE_OK);
		if (version >= 2)
			assert_int_equal(sqlite3_exec(h, "UPDATE events SET claimed_by = 'host:42:1'"
			    " WHERE id IN (8, 10, 12)", NULL, NULL, NULL), SQLITE_OK);
		if (version >= 3)
			assert_int_equal(sqlite3_exec(h, "UPDATE events SET failed_at = finished_at"
			    " WHERE id = 12; UPDATE events SET failed_at = 1700000005000 WHERE id = 7",
			    NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
		free(old);

		st = store_open(fx->db, &FULL, &cause);
		if (st == NULL)
			fail_msg("version %d: %s", version, cause);
		snprintf(want, sizeof(want), "%d", store_schema_version());
		tu_assert_query(fx->db, "PRAGMA user_version", want);
		/* The events, as they were sent, under their ids; routed unless never tried. */
		tu_assert_query(fx->db, "SELECT group_concat(id || ':' || source || ':' || event_id || ':'"
		    " || quote(event_type) || ':' || received_at || ':' || hex(body) || ':' ||"
		    " quote(routed_at) || ':' || quote(routes), ',') FROM (SELECT * FROM events ORDER BY id)",
		    "3:gh:never:'push':1700000000000:01:NULL:NULL,"
		    "7:gh:retry:'push':1700000000001:02:1700000000001:1,"
		    "8:gh:running:NULL:1700000000002:03:1700000000002:1,"
		    "10:gh:done:'issues':1700000000003:04:1700000000003:1,"
		    "12:st:dead:'push':1700000000004::1700000000004:1");
		/* Each state, column for column, in a delivery of the row's id on its source's route. */
		tu_assert_query(fx->db, "SELECT group_concat(id || ':' || event || ':' || route || ':' ||"
		    " status || ':' || attempts || ':' || next_attempt_at || ':' || quote(lease_until) ||"
		    " ':' || quote(claimed_by) || ':' || quote(last_error) || ':' || quote(finished_at) ||"
		    " ':' || quote(failed_at) || ':' || created_at || ':' || quote(order_key) || ':' ||"
		    " quote(replay_of), ',') FROM (SELECT * FROM deliveries ORDER BY id)",
		    version >= 3 ?
		    "7:7:gh:pending:2:1700000600000:NULL:NULL:'exit status 1':NULL:1700000005000:"
		    "1700000000001:NULL:NULL,"
		    "8:8:gh:running:1:1700000000002:1700000090000:'host:42:1':NULL:NULL:NULL:"
		    "1700000000002:NULL:NULL,"
		    "10:10:gh:done:1:1700000000003:NULL:'host:42:1':NULL:1700000001000:NULL:"
		    "1700000000003:NULL:NULL,"
		    "12:12:st:dead:10:1700000000004:NULL:'host:42:1':'exit status 3':1700000002000:"
		    "1700000002000:1700000000004:NULL:NULL" :
		    version == 2 ?
		    "7:7:gh:pending:2:1700000600000:NULL:NULL:'exit status 1':NULL:NULL:"
		    "1700000000001:NULL:NULL,"
		    "8:8:gh:running:1:1700000000002:1700000090000:'host:42:1':NULL:NULL:NULL:"
		    "1700000000002:NULL:NULL,"
		    "10:10:gh:done:1:1700000000003:NULL:'host:42:1':NULL:1700000001000:NULL:"
		    "1700000000003:NULL:NULL,"
		    "12:12:st:dead:10:1700000000004:NULL:'host:42:1':'exit status 3':1700000002000:"
		    "NULL:1700000000004:NULL:NULL" :
		    "7:7:gh:pending:2:1700000600000:NULL:NULL:'exit status 1':NULL:NULL:"
		    "1700000000001:NULL:NULL,"
		    "8:8:gh:running:1:1700000000002:1700000090000:NULL:NULL:NULL:NULL:"
		    "1700000000002:NULL:NULL,"
		    "10:10:gh:done:1:1700000000003:NULL:NULL:NULL:1700000001000:NULL:"
		    "1700000000003:NULL:NULL,"
		    "12:12:st:dead:10:1700000000004:NULL:NULL:'exit status 3':1700000002000:"
		    "NULL:1700000000004:NULL:NULL");
		/* No delivery state is left in events. */
		tu_assert_query(fx->db, "SELECT count(*) FROM pragma_table_info('events') WHERE name IN"
		    " ('status', 'attempts', 'next_attempt_at', 'lease_until', 'claimed_by',"
		    " 'last_error', 'finished_at', 'failed_at')", "0");
		/* The views read the moved state. */
		tu_assert_query(fx->db, "SELECT group_concat(id || ':' || event || ':' || source || ':' ||"
		    " route || ':' || event_id || ':' || status || ':' || attempts, ',')"
		    " FROM (SELECT * FROM delivery_events ORDER BY id)",
		    "7:7:gh:gh:retry:pending:2,8:8:gh:gh:running:running:1,10:10:gh:gh:done:done:1,"
		    "12:12:st:st:dead:dead:10");
		tu_assert_query(fx->db, "SELECT group_concat(id || ':' || route || ':' || attempts || ':' ||"
		    " last_error) FROM dead_letters", "12:st:10:exit status 3");
		tu_assert_query(fx->db, "SELECT group_concat(source || ':' || ifnull(route, '-') || ':' ||"
		    " status || ':' || deliveries, ',') FROM queue_summary",
		    "gh:-:unrouted:1,gh:gh:done:1,gh:gh:pending:1,gh:gh:running:1,st:st:dead:1");
		tu_assert_query(fx->db, "SELECT count(*) FROM recent_failures", "0");
		tu_assert_query(fx->db, "SELECT group_concat(id) FROM deliveries_due", "8,7");
		tu_assert_query(fx->db, "PRAGMA integrity_check", "ok");
		tu_assert_query(fx->db, "PRAGMA foreign_key_check", "");
		/* The worker will route the row never tried, and only it. */
		assert_int_equal(store_unrouted(st, "gh", 10, &ev, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(ev[0].id, 3);
		store_unrouted_free(ev, n);
		assert_int_equal(store_unrouted(st, "st", 10, &ev, &n), 0);
		assert_int_equal(n, 0);
		store_unrouted_free(ev, n);
		store_close(st);
	}
}

/* A database from a newer hookq is refused, naming the path and both versions. */
static void
test_newer_schema(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st;
	sqlite3 *h;

	assert_int_equal(sqlite3_open(fx->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	st = store_open(fx->db, &FULL, &cause);
	assert_null(st);
	assert_non_null(strstr(cause, fx->db));
	assert_non_null(strstr(cause, "99"));
	assert_non_null(strstr(cause, "newer"));
	free(cause);
}

/*
 * Makes a database at schema version 3 (the migrations before 4) with one
 * row, as an older hookq left it.
 */
static void
make_v3(const char *db)
{
	const char *cut = strstr(store_schema_sql, "\n-- migration 4:");
	char *old;
	sqlite3 *h;

	assert_non_null(cut);
	old = strndup(store_schema_sql, (size_t)(cut - store_schema_sql));
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, old, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 3;"
	    " INSERT INTO events (source, event_id, received_at, headers, body)"
	    " VALUES ('gh', 'before', 1700000000000, '{}', x'00')", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	free(old);
}

/* A file's bytes, for checking that nothing wrote to it. */
static char *
file_bytes(const char *path, size_t *len)
{
	char *b = tu_read_file(path, len);

	assert_non_null(b);
	return b;
}

/* STORE_READ and STORE_WRITE never migrate: an older schema is refused, untouched. */
/*
 * A row released on its first attempt (its worker stopped past stop_grace,
 * or could not fork) is pending with attempts 0 but has an error and a
 * pause: it keeps them in a delivery, it is not taken for never tried.
 */
static void
test_upgrade_released(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL, *old = schema_upto(4);
	struct store *st;
	sqlite3 *h;

	assert_int_equal(sqlite3_open(fx->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, old, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 4;"
	    "INSERT INTO events (id, source, event_id, received_at, headers, body, status, attempts,"
	    " next_attempt_at, last_error) VALUES (5, 'gh', 'released', 1700000000000, '{}', 'b',"
	    " 'pending', 0, 1700000001000, 'signal 15 (worker stopping)')", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(h);
	free(old);
	st = store_open(fx->db, &FULL, &cause);
	if (st == NULL)
		fail_msg("%s", cause);
	tu_assert_query(fx->db, "SELECT id || ':' || event || ':' || route || ':' || status || ':' ||"
	    " attempts || ':' || next_attempt_at || ':' || last_error FROM deliveries",
	    "5:5:gh:pending:0:1700000001000:signal 15 (worker stopping)");
	tu_assert_query(fx->db, "SELECT routed_at || ':' || routes FROM events", "1700000000000:1");
	store_close(st);
}

static void
test_no_migration(void **state)
{
	static const enum store_mode modes[] = { STORE_READ, STORE_WRITE };
	struct fixture *fx = *state;
	char *cause = NULL, *before, *after;
	size_t i, n1, n2;

	make_v3(fx->db);
	before = file_bytes(fx->db, &n1);
	for (i = 0; i < nitems(modes); i++) {
		struct store *st = store_open_mode(fx->db, &FULL, modes[i], &cause);

		assert_null(st);
		assert_non_null(strstr(cause, fx->db));
		assert_non_null(strstr(cause, "schema version 3 is older than this hookq's"));
		assert_non_null(strstr(cause, "run hookq init"));
		free(cause);
		cause = NULL;
	}
	tu_assert_query(fx->db, "PRAGMA user_version", "3");
	after = file_bytes(fx->db, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);
	/* STORE_MIGRATE (hookq init, the daemons) brings it up to date, the row kept. */
	{
		struct store *st = store_open_mode(fx->db, &FULL, STORE_MIGRATE, &cause);
		char want[16];

		assert_non_null(st);
		store_close(st);
		snprintf(want, sizeof(want), "%d", store_schema_version());
		tu_assert_query(fx->db, "PRAGMA user_version", want);
		tu_assert_query(fx->db, "SELECT event_id FROM events", "before");
	}
	/* A missing file is not created by STORE_READ or STORE_WRITE. */
	unlink(fx->db);
	for (i = 0; i < nitems(modes); i++) {
		assert_null(store_open_mode(fx->db, &FULL, modes[i], &cause));
		free(cause);
		cause = NULL;
		assert_int_not_equal(access(fx->db, F_OK), 0);
	}
}

/*
 * STORE_READ opens with SQLITE_OPEN_READONLY: reads work and every write
 * fails, so nothing it does can change the queue.
 */
static void
test_open_read_only(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store_requeued r;
	struct store *st;
	struct store_event ev = event("gh", "one", "body");
	struct store_row *rows = NULL;
	size_t n = 0;
	bool inserted;

	st = store_open(fx->db, &FULL, &cause);
	assert_non_null(st);
	assert_true(insert_one(st, &ev));
	store_close(st);
	tu_assert_query(fx->db, "INSERT INTO deliveries (event, route, status, created_at)"
	    " VALUES (1, 'gh', 'dead', 0) RETURNING 1", "1");

	st = store_open_mode(fx->db, &FULL, STORE_READ, &cause);
	if (st == NULL)
		fail_msg("%s", cause);
	assert_int_equal(store_list(st, NULL, NULL, NULL, 10, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].event_id, "one");
	store_rows_free(rows, n);
	ev = event("gh", "two", "body");
	assert_int_not_equal(store_begin(st, clock_mono_us() + 100000) == 0 &&
	    store_insert(st, &ev, &inserted) == 0 && store_commit(st) == 0, 1);
	store_rollback(st);
	assert_int_equal(store_requeue(st, 1, 0, true, &r), -1);
	assert_non_null(strstr(store_error(st), "readonly"));
	store_close(st);
	tu_assert_query(fx->db, "SELECT group_concat(event_id || ':' || status) FROM delivery_events",
	    "one:dead");
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "1");
}

/* Every mode refuses a newer schema before it writes a byte of the file. */
static void
test_newer_untouched(void **state)
{
	static const enum store_mode modes[] = { STORE_MIGRATE, STORE_WRITE, STORE_READ };
	struct fixture *fx = *state;
	char *cause = NULL, *before, *after;
	size_t i, n1, n2;
	sqlite3 *h;

	/* A rollback-journal file: PRAGMA journal_mode = WAL would rewrite its header. */
	assert_int_equal(sqlite3_open(fx->db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "CREATE TABLE events (id INTEGER PRIMARY KEY);"
	    " PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	before = file_bytes(fx->db, &n1);
	for (i = 0; i < nitems(modes); i++) {
		assert_null(store_open_mode(fx->db, &FULL, modes[i], &cause));
		assert_non_null(strstr(cause, "schema version 99 is newer"));
		free(cause);
		cause = NULL;
	}
	after = file_bytes(fx->db, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	tu_assert_query(fx->db, "PRAGMA journal_mode", "delete");
	free(before);
	free(after);
}

/* A done delivery is requeued only when asked (done_too); a dead one always. */
static void
test_requeue_done(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st = store_open(fx->db, &FULL, &cause);
	struct store_event ev = event("gh", "done", "body");
	struct store_requeued r;

	assert_non_null(st);
	assert_true(insert_one(st, &ev));
	ev = event("gh", "dead", "body");
	assert_true(insert_one(st, &ev));
	tu_assert_query(fx->db, "INSERT INTO deliveries (event, route, status, finished_at,"
	    " failed_at, created_at) VALUES (1, 'gh', 'done', 5, 4, 0), (2, 'gh', 'dead', 5, 4, 0)"
	    " RETURNING 1", "1");
	assert_int_equal(store_requeue(st, 1, 7, false, &r), 0);
	assert_string_equal(r.was, "done");
	assert_string_equal(r.now, "");
	store_requeued_clear(&r);
	assert_int_equal(store_requeue(st, 2, 7, false, &r), 0);
	assert_string_equal(r.was, "dead");
	assert_string_equal(r.now, "pending");
	assert_string_equal(r.event_id, "dead");
	store_requeued_clear(&r);
	tu_assert_query(fx->db, "SELECT group_concat(status, ',') FROM (SELECT status FROM deliveries"
	    " ORDER BY id)", "done,pending");
	assert_int_equal(store_requeue(st, 1, 7, true, &r), 0);
	assert_string_equal(r.now, "pending");
	store_requeued_clear(&r);
	store_close(st);
	tu_assert_query(fx->db, "SELECT group_concat(status || ':' || attempts || ':' ||"
	    " next_attempt_at || ':' || typeof(finished_at) || ':' || typeof(failed_at), ',')"
	    " FROM (SELECT * FROM deliveries ORDER BY id)", "pending:0:7:null:null,pending:0:7:null:null");
}

/*
 * Replays and requeues on an ordered route: a replay is held while its key
 * has an open delivery, counting the replays before it; a dry run changes
 * nothing; a requeue is held behind a pending one of its key.
 */
static void
test_replay_requeue_held(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st = store_open(fx->db, &FULL, &cause);
	struct store_event ev = event("gh", "one", "body");
	struct store_replay f;
	struct store_requeued *rows;
	size_t n;
	int64_t count;

	assert_non_null(st);
	assert_true(insert_one(st, &ev));
	ev = event("gh", "two", "body");
	assert_true(insert_one(st, &ev));
	tu_assert_query(fx->db, "INSERT INTO deliveries (event, route, status, finished_at,"
	    " created_at, order_key) VALUES (1, 'r', 'done', 5, 0, 'k'), (2, 'r', 'dead', 5, 0, 'k'),"
	    " (2, 'r', 'pending', NULL, 0, 'm'), (1, 'other', 'done', 5, 0, NULL) RETURNING 1", "1");
	memset(&f, 0, sizeof(f));
	f.route = "r";
	assert_int_equal(store_replay(st, &f, 9, true, &count), 0);
	assert_int_equal(count, 2);
	tu_assert_query(fx->db, "SELECT count(*) FROM deliveries", "4");
	assert_int_equal(store_replay(st, &f, 9, false, &count), 0);
	assert_int_equal(count, 2);
	tu_assert_query(fx->db, "SELECT group_concat(id || ':' || event || ':' || status || ':'"
	    " || replay_of || ':' || order_key || ':' || next_attempt_at, ',') FROM (SELECT *"
	    " FROM deliveries WHERE replay_of IS NOT NULL ORDER BY id)",
	    "5:1:pending:1:k:9,6:2:held:2:k:9");
	/* Delivery 2, dead, is requeued behind 5, pending, of its key. */
	assert_int_equal(store_requeue_dead(st, NULL, "r", 10, &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, 2);
	assert_string_equal(rows[0].now, "held");
	assert_string_equal(rows[0].route, "r");
	store_requeued_free(rows, n);
	f.route = NULL;
	f.status = "dead";
	assert_int_equal(store_replay(st, &f, 9, true, &count), 0);
	assert_int_equal(count, 0);
	store_close(st);
}

/* store_backup: a complete copy with its row count and version, even of a read-only store. */
static void
test_backup(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL, *copy = tu_path(fx->dir, "copy.db"), id[16], want[16];
	struct store *st = store_open(fx->db, &FULL, &cause);
	struct store_event ev;
	int64_t events = -1;
	int version = -1, i;

	assert_non_null(st);
	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "e%d", i);
		ev = event("gh", id, "a body of some length, repeated to fill a few pages ........");
		assert_true(insert_one(st, &ev));
	}
	store_close(st);
	st = store_open_mode(fx->db, &FULL, STORE_READ, &cause);
	assert_non_null(st);
	assert_int_equal(store_backup(st, copy, &events, &version), 0);
	store_close(st);
	assert_int_equal(events, 300);
	assert_int_equal(version, store_schema_version());
	snprintf(want, sizeof(want), "%d", store_schema_version());
	tu_assert_query(copy, "PRAGMA integrity_check", "ok");
	tu_assert_query(copy, "PRAGMA user_version", want);
	tu_assert_query(copy, "SELECT count(*) FROM events", "300");
	free(copy);
}

/* A path that cannot be opened fails with a message naming it. */
static void
test_bad_path(void **state)
{
	char *cause = NULL;
	struct store *st = store_open("/nonexistent-dir/q.db", &FULL, &cause);

	assert_null(st);
	assert_non_null(strstr(cause, "/nonexistent-dir/q.db"));
	free(cause);
}

/* store_begin gives up at its deadline when another process holds the lock. */
static void
test_begin_deadline(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st = store_open(fx->db, &FULL, &cause);
	struct tu_locker l;
	int64_t t0;

	tu_lock_for(&l, fx->db, 1500);
	t0 = clock_mono_us();
	assert_int_equal(store_begin(st, t0 + 200000), -1);
	/* It waited about the deadline, not much less and not the whole lock. */
	assert_true(clock_mono_us() - t0 >= 190000);
	assert_true(clock_mono_us() - t0 < 1400000);
	assert_non_null(strstr(store_error(st), "locked"));
	pthread_join(l.thread, NULL);
	assert_int_equal(store_begin(st, clock_mono_us() + 1000000), 0);
	store_rollback(st);
	store_close(st);
}

/*
 * The committer skips the CHECK constraints (store_trust_inserts()) because
 * payload_headers_json() cannot make invalid JSON: here it gets every byte
 * value, quotes, backslashes, control characters and broken UTF-8 in header
 * names and values, and SQLite's own json_valid() accepts every result. The
 * trust is the connection's only: another one still gets the CHECK.
 */
static void
test_trusted_inserts(void **state)
{
	struct fixture *fx = *state;
	static const char *const nasty[] = {
		"\"quoted\" \\ back\\slash", "tab\there\r\nnewline", "\x01\x02\x1f\x7f",
		"\xc3\xa9t\xc3\xa9 valid UTF-8", "\xc3 cut \xe2\x82 sequences \xff\xfe",
		"\xed\xa0\x80 a surrogate", "\xf4\x90\x80\x80 past U+10FFFF", "</script>\u2028",
	};
	char *cause = NULL, id[32], all[256];
	struct store *st = store_open(fx->db, &FULL, &cause);
	struct store_event ev;
	struct headers h;
	bool inserted;
	size_t i, len;
	sqlite3 *db;

	assert_non_null(st);
	assert_int_equal(store_trust_inserts(st), 0);
	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	assert_int_equal(store_begin(st, clock_mono_us() + 1000000), 0);
	for (i = 0; i <= nitems(nasty); i++) {
		const char *v = i < nitems(nasty) ? nasty[i] : all;
		char *json;

		headers_init(&h);
		headers_add(&h, "X-Plain", "value");
		headers_add(&h, v, v);
		json = payload_headers_json(&h, NULL, &len);
		assert_non_null(json);
		snprintf(id, sizeof(id), "nasty-%zu", i);
		ev = event("gh", id, "body");
		ev.headers = json;
		ev.headers_len = len;
		assert_int_equal(store_insert(st, &ev, &inserted), 0);
		assert_true(inserted);
		free(json);
		headers_clear(&h);
	}
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "9");
	tu_assert_query(fx->db, "SELECT count(*) FROM events WHERE NOT json_valid(headers)", "0");
	tu_assert_query(fx->db, "SELECT json_extract(headers, '$.\"x-plain\"') FROM events LIMIT 1",
	    "value");
	/* Anyone else's connection still has the CHECK. */
	assert_int_equal(sqlite3_open(fx->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO events (source, event_id, received_at, headers,"
	    " body) VALUES ('gh', 'bad', 0, 'not json', x'')", NULL, NULL, NULL), SQLITE_CONSTRAINT);
	sqlite3_close(db);
}

/* route's series in route_stats, as text ("" when there is no row). */
static void
assert_stat(const char *db, const char *route, const char *series, const char *want)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT value FROM route_stats WHERE route = '%s'"
	    " AND series = '%s'", route, series);
	tu_assert_query(db, sql, want);
}

/*
 * store_count_attempts() adds up: across two calls and two connections,
 * each attempt once in its class, its bucket (a bound is inclusive; past
 * the last, none), count and sum_us; one row per (route, series) however
 * many attempts a call has. Inside a transaction rolled back, nothing is
 * added; an unknown class fails before any write. store_route_stats()
 * reads the rows back in key order.
 */
static void
test_count_attempts(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *a = store_open(fx->db, &FULL, &cause), *b;
	const struct store_attempt_stat first[] = {
		{ "web", "2xx", 1000 },       /* le_1000: the bound is inclusive */
		{ "web", "2xx", 1001 },       /* le_2500 */
		{ "web", "5xx", 300000 },     /* le_500000 */
		{ "web", "error", 30000000 }, /* past 10 s: no bucket */
		{ "cmd", "ok", -5 },          /* as 0: le_1000 */
	};
	const struct store_attempt_stat second[] = {
		{ "web", "2xx", 2000 },
		{ "cmd", "failed", 10000000 },
	};
	const struct store_attempt_stat bad[] = {
		{ "cmd", "ok", 1 },
		{ "cmd", "6xx", 1 },
	};
	struct store_route_stat *rows;
	size_t n, i;

	assert_non_null(a);
	b = store_open(fx->db, &FULL, &cause);
	assert_non_null(b);
	assert_int_equal(store_count_attempts(a, first, nitems(first)), 0);
	assert_int_equal(store_count_attempts(b, second, nitems(second)), 0);
	assert_int_equal(store_count_attempts(b, NULL, 0), 0);

	assert_stat(fx->db, "web", "2xx", "3");
	assert_stat(fx->db, "web", "5xx", "1");
	assert_stat(fx->db, "web", "error", "1");
	assert_stat(fx->db, "web", "4xx", "");
	assert_stat(fx->db, "web", "le_1000", "1");
	assert_stat(fx->db, "web", "le_2500", "2");
	assert_stat(fx->db, "web", "le_500000", "1");
	assert_stat(fx->db, "web", "count", "5");
	assert_stat(fx->db, "web", "sum_us", "30304001");
	assert_stat(fx->db, "cmd", "ok", "1");
	assert_stat(fx->db, "cmd", "failed", "1");
	assert_stat(fx->db, "cmd", "le_1000", "1");
	assert_stat(fx->db, "cmd", "le_10000000", "1");
	assert_stat(fx->db, "cmd", "count", "2");
	assert_stat(fx->db, "cmd", "sum_us", "10000000");
	tu_assert_query(fx->db, "SELECT count(*) FROM route_stats WHERE route = 'web'", "8");
	tu_assert_query(fx->db, "SELECT count(*) FROM route_stats WHERE route = 'cmd'", "6");

	/* Rolled back with the caller's transaction: nothing added. */
	assert_int_equal(store_begin(a, clock_mono_us() + 1000000), 0);
	assert_int_equal(store_count_attempts(a, second, nitems(second)), 0);
	store_rollback(a);
	assert_stat(fx->db, "web", "2xx", "3");
	assert_stat(fx->db, "web", "count", "5");
	assert_stat(fx->db, "cmd", "failed", "1");
	/* Committed with it: added. */
	assert_int_equal(store_begin(a, clock_mono_us() + 1000000), 0);
	assert_int_equal(store_count_attempts(a, second, 1), 0);
	assert_int_equal(store_commit(a), 0);
	assert_stat(fx->db, "web", "2xx", "4");

	/* An unknown class: an error, and the good attempt before it is not counted either. */
	assert_int_equal(store_count_attempts(a, bad, nitems(bad)), -1);
	assert_non_null(strstr(store_error(a), "class"));
	assert_stat(fx->db, "cmd", "ok", "1");

	assert_int_equal(store_route_stats(b, &rows, &n), 0);
	assert_int_equal(n, 14);
	for (i = 1; i < n; i++) {
		int c = strcmp(rows[i - 1].route, rows[i].route);

		assert_true(c < 0 || (c == 0 && strcmp(rows[i - 1].series, rows[i].series) < 0));
	}
	assert_string_equal(rows[0].route, "cmd");
	assert_string_equal(rows[0].series, "count");
	assert_int_equal(rows[0].value, 2);
	store_route_stats_free(rows, n);
	store_close(a);
	store_close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test(test_schema_text),
		cmocka_unit_test_setup_teardown(test_old_page_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedup_body_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedup_body_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedup_body_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_released, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_migration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requeue_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_requeue_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
		cmocka_unit_test(test_bad_path),
		cmocka_unit_test_setup_teardown(test_begin_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trusted_inserts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_attempts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
