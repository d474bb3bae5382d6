/*
 * store_test.c: the SQLite queue (src/store.c) and group commit
 * (src/commit.c): schema creation and migration, inserts and duplicates,
 * lock timeouts, whole-batch rollback, and batches sharing a transaction.
 * Results are read back with SQLite directly, as an operator would.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"

#include "commit.h"
#include "store.h"
#include "util.h"

struct fixture {
	char *dir;
	char *db;
};

static const struct store_options FULL = { true, 300 };

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

/* Runs one query and returns its first column as a malloc'd string ("" for none). */
static char *
query(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	char *out;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 2000);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		out = strdup((const char *)sqlite3_column_text(s, 0));
	else
		out = strdup("");
	sqlite3_finalize(s);
	sqlite3_close(h);
	return out;
}

static void
assert_query(const char *db, const char *sql, const char *want)
{
	char *got = query(db, sql);

	assert_string_equal(got, want);
	free(got);
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
	assert_query(fx->db, "PRAGMA user_version", want);
	assert_query(fx->db, "PRAGMA journal_mode", "wal");
	assert_query(fx->db, "SELECT count(*) FROM sqlite_master WHERE name = 'events'", "1");
	store_close(st);
	/* Opening again applies nothing twice. */
	st = store_open(fx->db, &FULL, &cause);
	assert_non_null(st);
	store_close(st);
	assert_query(fx->db, "PRAGMA user_version", want);
}

/* The compiled-in schema is sql/schema.sql, split into numbered migrations. */
static void
test_schema_text(void **state)
{
	assert_non_null(strstr(store_schema_sql, "-- migration 1:"));
	assert_non_null(strstr(store_schema_sql, "UNIQUE (source, event_id)"));
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
	assert_query(fx->db, "SELECT count(*) FROM events", "2");
	assert_query(fx->db, "SELECT body FROM events WHERE source = 'gh'", "hello");
	assert_query(fx->db, "SELECT status || attempts || received_at || event_type FROM events"
	    " WHERE source = 'gh'", "pending01700000000123t");
	assert_query(fx->db, "SELECT typeof(body) FROM events WHERE source = 'gh'", "blob");
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
	assert_query(fx->db, "SELECT typeof(body) || length(body) || typeof(event_type) FROM events",
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
	assert_query(fx->db, "SELECT count(*) FROM events", "0");
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

/* Holds the write lock of db from another connection for ms milliseconds. */
struct locker {
	const char *db;
	int ms;
	pthread_t thread;
	volatile int locked;
};

static void *
locker_main(void *arg)
{
	struct locker *l = arg;
	sqlite3 *h;

	sqlite3_open(l->db, &h);
	sqlite3_busy_timeout(h, 2000);
	if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
		l->locked = 1;
		usleep((useconds_t)l->ms * 1000);
		sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_close(h);
	return NULL;
}

static void
lock_for(struct locker *l, const char *db, int ms)
{
	l->db = db;
	l->ms = ms;
	l->locked = 0;
	pthread_create(&l->thread, NULL, locker_main, l);
	while (!l->locked)
		usleep(1000);
}

/* store_begin gives up at its deadline when another process holds the lock. */
static void
test_begin_deadline(void **state)
{
	struct fixture *fx = *state;
	char *cause = NULL;
	struct store *st = store_open(fx->db, &FULL, &cause);
	struct locker l;
	int64_t t0;

	lock_for(&l, fx->db, 1500);
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

struct submitter {
	struct committer *c;
	struct store_event ev;
	struct commit_item item;
	char id[32];
	pthread_t thread;
};

static void *
submitter_main(void *arg)
{
	struct submitter *s = arg;

	s->item.event = &s->ev;
	commit_submit(s->c, &s->item);
	return NULL;
}

static void
submit_all(struct committer *c, struct submitter *s, int n, const char *prefix)
{
	int i;

	for (i = 0; i < n; i++) {
		snprintf(s[i].id, sizeof(s[i].id), "%s%d", prefix, i);
		s[i].c = c;
		s[i].ev = event("gh", s[i].id, "body");
		memset(&s[i].item, 0, sizeof(s[i].item));
		pthread_create(&s[i].thread, NULL, submitter_main, &s[i]);
	}
	for (i = 0; i < n; i++)
		pthread_join(s[i].thread, NULL);
}

/* Events submitted while a commit waits go into one shared transaction. */
static void
test_group_commit(void **state)
{
	struct fixture *fx = *state;
	struct store_options opt = { true, 3000 };
	char *cause = NULL;
	struct committer *c = commit_start(fx->db, &opt, &cause);
	struct submitter s[16];
	struct commit_stats st;
	struct locker l;
	int i;

	assert_non_null(c);
	/* While the lock is held every submitter queues up behind the writer. */
	lock_for(&l, fx->db, 300);
	submit_all(c, s, 16, "g");
	pthread_join(l.thread, NULL);
	for (i = 0; i < 16; i++)
		assert_int_equal(s[i].item.result, COMMIT_INSERTED);
	commit_stats(c, &st);
	assert_int_equal(st.events, 16);
	assert_true(st.transactions <= 3);
	commit_stop(c);
	assert_query(fx->db, "SELECT count(*) FROM events", "16");
}

/* The same event twice in flight: one row, one inserted and one duplicate. */
static void
test_duplicates_in_flight(void **state)
{
	struct fixture *fx = *state;
	struct store_options opt = { true, 3000 };
	char *cause = NULL;
	struct committer *c = commit_start(fx->db, &opt, &cause);
	struct submitter s[8];
	int i, inserted = 0;

	assert_non_null(c);
	for (i = 0; i < 8; i++) {
		snprintf(s[i].id, sizeof(s[i].id), "same");
		s[i].c = c;
		s[i].ev = event("gh", s[i].id, "body");
		memset(&s[i].item, 0, sizeof(s[i].item));
		pthread_create(&s[i].thread, NULL, submitter_main, &s[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(s[i].thread, NULL);
		assert_int_not_equal(s[i].item.result, COMMIT_FAILED);
		inserted += s[i].item.result == COMMIT_INSERTED;
	}
	assert_int_equal(inserted, 1);
	commit_stop(c);
	assert_query(fx->db, "SELECT count(*) FROM events", "1");
}

/* A batch that cannot get the lock in busy_timeout fails whole, with a reason, and writes nothing. */
static void
test_batch_fails_whole(void **state)
{
	struct fixture *fx = *state;
	struct store_options opt = { true, 200 };
	char *cause = NULL;
	struct committer *c = commit_start(fx->db, &opt, &cause);
	struct submitter s[4];
	struct locker l;
	int i;

	assert_non_null(c);
	lock_for(&l, fx->db, 1500);
	submit_all(c, s, 4, "f");
	for (i = 0; i < 4; i++) {
		assert_int_equal(s[i].item.result, COMMIT_FAILED);
		assert_non_null(strstr(s[i].item.error, "locked"));
	}
	pthread_join(l.thread, NULL);
	assert_query(fx->db, "SELECT count(*) FROM events", "0");
	/* Once the lock is gone the same events go in. */
	submit_all(c, s, 4, "f");
	for (i = 0; i < 4; i++)
		assert_int_equal(s[i].item.result, COMMIT_INSERTED);
	commit_stop(c);
	assert_query(fx->db, "SELECT count(*) FROM events", "4");
}

/* Stopping the committer after work leaves a consistent, reopenable database. */
static void
test_stop_reopen(void **state)
{
	struct fixture *fx = *state;
	struct store_options opt = { false, 1000 };
	char *cause = NULL;
	struct committer *c = commit_start(fx->db, &opt, &cause);
	struct submitter s[4];

	assert_non_null(c);
	submit_all(c, s, 4, "s");
	commit_stop(c);
	c = commit_start(fx->db, &opt, &cause);
	assert_non_null(c);
	commit_stop(c);
	assert_query(fx->db, "SELECT count(*) FROM events", "4");
	assert_query(fx->db, "PRAGMA integrity_check", "ok");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test(test_schema_text),
		cmocka_unit_test_setup_teardown(test_insert_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
		cmocka_unit_test(test_bad_path),
		cmocka_unit_test_setup_teardown(test_begin_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_fails_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_reopen, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
