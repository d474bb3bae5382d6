/*
 * commit_test.c: group commit (src/commit.c). Events are queued without
 * waiting and answered through the done callback: batches share one
 * transaction whatever the number of submitters, a batch that fails is
 * rolled back whole (dedup = body's hashes with it), the queue pushes back
 * when full, stopping commits what was queued, and the WAL starts over
 * under steady load instead of growing. Results are read back with SQLite
 * (or libpq) directly, as an operator would.
 *
 * On SQLite by default; on PostgreSQL with HOOKQ_TEST_PG_URL set
 * (tests/pg/commit_test.sh), each test on a database emptied for it, the
 * other writer's lock being LOCK TABLE's (dbutil.c).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbutil.h"
#include "testutil.h"

#include "commit.h"
#include "store.h"
#include "util.h"

/* One submitted event and what the done callback said about it. */
struct sub {
	struct store_event ev;
	struct commit_item item;
	char id[32];
	int done;          /* times the callback saw it: exactly 1 when all is well */
};

/* What the done callback saw, under its lock. */
struct seen {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int items;
	int batches;
	int largest;
};

struct fixture {
	char *dir;
	char *db;           /* a SQLite file, or a PostgreSQL URL (tu_new_db()) */
	bool pg;
	struct seen seen;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	fx->dir = tu_tmpdir();
	fx->db = tu_new_db(fx->dir, "queue.db");
	fx->pg = tu_is_pg(fx->db);
	pthread_mutex_init(&fx->seen.lock, NULL);
	pthread_cond_init(&fx->seen.cond, NULL);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	tu_rmtree(fx->dir);
	pthread_cond_destroy(&fx->seen.cond);
	pthread_mutex_destroy(&fx->seen.lock);
	free(fx->dir);
	free(fx->db);
	free(fx);
	return 0;
}

static void
on_done(void *arg, struct commit_item *batch)
{
	struct seen *seen = arg;
	struct commit_item *it;
	int n = 0;

	pthread_mutex_lock(&seen->lock);
	for (it = batch; it != NULL; it = it->next) {
		struct sub *s = (struct sub *)(void *)((char *)it - offsetof(struct sub, item));

		s->done++;
		n++;
	}
	seen->items += n;
	seen->batches++;
	if (n > seen->largest)
		seen->largest = n;
	pthread_cond_broadcast(&seen->cond);
	pthread_mutex_unlock(&seen->lock);
}

/* Waits (at most 10 s) until the callback has seen at least n items in all. */
static void
wait_items(struct seen *seen, int n)
{
	int64_t deadline = clock_mono_us() + 10000000;

	pthread_mutex_lock(&seen->lock);
	while (seen->items < n && clock_mono_us() < deadline) {
		pthread_mutex_unlock(&seen->lock);
		usleep(1000);
		pthread_mutex_lock(&seen->lock);
	}
	pthread_mutex_unlock(&seen->lock);
	assert_true(seen->items >= n);
}

static struct committer *
start(struct fixture *fx, bool full, int busy_ms)
{
	struct store_options opt = { .durability_full = full, .busy_timeout = busy_ms };
	char *cause = NULL;
	struct committer *c = commit_start(fx->db, &opt, on_done, &fx->seen, &cause);

	if (c == NULL)
		fail_msg("commit_start: %s", cause);
	return c;
}

/* Fills s[0..n) with events "PREFIX<i>" (body: body) and submits them all from this thread. */
static void
submit_n(struct committer *c, struct sub *s, int n, const char *prefix, const char *body)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		snprintf(s[i].id, sizeof(s[i].id), "%s%d", prefix, i);
		s[i].ev.source = "gh";
		s[i].ev.event_id = s[i].id;
		s[i].ev.event_type = "push";
		s[i].ev.received_at = 1700000000123LL;
		s[i].ev.headers = "{\"a\":\"b\"}";
		s[i].ev.headers_len = 9;
		s[i].ev.body = body;
		s[i].ev.body_len = strlen(body);
		s[i].item.event = &s[i].ev;
		commit_submit(c, &s[i].item);
	}
}

/*
 * One thread submits 2,000 events while another process holds the lock:
 * none waits for its commit, and once the lock goes they share a handful of
 * transactions (batches up to COMMIT_BATCH_MAX), each answered once.
 */
static void
test_batches_not_bounded_by_threads(void **state)
{
	struct fixture *fx = *state;
	struct committer *c = start(fx, true, 3000);
	struct sub *s = calloc(2000, sizeof(*s));
	struct commit_stats st;
	struct tu_locker l;
	int i;

	tu_lock_for(&l, fx->db, 300);
	submit_n(c, s, 2000, "b", "body");
	pthread_join(l.thread, NULL);
	wait_items(&fx->seen, 2000);
	for (i = 0; i < 2000; i++) {
		assert_int_equal(s[i].done, 1);
		assert_int_equal(s[i].item.result, COMMIT_INSERTED);
	}
	commit_stop(c, &st);
	assert_int_equal(st.events, 2000);
	/* The first batch may hold only the first event; the rest are full batches. */
	assert_true(st.transactions <= 1 + (2000 + COMMIT_BATCH_MAX - 1) / COMMIT_BATCH_MAX);
	assert_int_equal(fx->seen.largest, COMMIT_BATCH_MAX);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "2000");
	free(s);
}

/* The same event eight times in flight: one row, one inserted, seven duplicates. */
static void
test_duplicates_in_flight(void **state)
{
	struct fixture *fx = *state;
	struct committer *c = start(fx, true, 3000);
	struct sub s[8];
	int i, inserted = 0;

	for (i = 0; i < 8; i++) {
		submit_n(c, &s[i], 1, "same", "body");
	}
	wait_items(&fx->seen, 8);
	for (i = 0; i < 8; i++) {
		assert_int_not_equal(s[i].item.result, COMMIT_FAILED);
		inserted += s[i].item.result == COMMIT_INSERTED;
	}
	assert_int_equal(inserted, 1);
	commit_stop(c, NULL);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "1");
}

/* A batch that cannot get the lock in busy_timeout fails whole, with a reason, and writes nothing. */
static void
test_batch_fails_whole(void **state)
{
	struct fixture *fx = *state;
	struct committer *c = start(fx, true, 200);
	struct sub s[4];
	struct tu_locker l;
	int i;

	tu_lock_for(&l, fx->db, 1500);
	submit_n(c, s, 4, "f", "body");
	wait_items(&fx->seen, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(s[i].item.result, COMMIT_FAILED);
		assert_true(s[i].item.locked);
		/* SQLite's "database is locked"; PostgreSQL's "... due to lock timeout". */
		assert_non_null(strstr(s[i].item.error, fx->pg ? "lock timeout" : "locked"));
	}
	pthread_join(l.thread, NULL);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "0");
	/* Once the lock is gone the same events go in. */
	submit_n(c, s, 4, "f", "body");
	wait_items(&fx->seen, 8);
	for (i = 0; i < 4; i++)
		assert_int_equal(s[i].item.result, COMMIT_INSERTED);
	commit_stop(c, NULL);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "4");
}

/* Sets s[0..n) to dedup = body with one hash, as a replay under fresh ids looks. */
static void
same_body(struct sub *s, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		s[i].ev.body_sha256 =
		    "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
		s[i].ev.dedup_window = 60000;
	}
}

/*
 * dedup = body in one batch: eight fresh ids with one body queue behind a
 * batch waiting for the lock and share the next transaction; one is
 * inserted, seven are duplicates, one row. A batch that fails writes no
 * row and no hash, and the same events go in once the lock is gone.
 */
static void
test_dedup_body_batch(void **state)
{
	struct fixture *fx = *state;
	struct committer *c = start(fx, true, 1000);
	struct sub first, s[8];
	struct tu_locker l;
	int i, inserted = 0;

	tu_lock_for(&l, fx->db, 300);
	submit_n(c, &first, 1, "first", "another body");
	usleep(100 * 1000); /* the committer holds first, waiting for the lock */
	memset(s, 0, sizeof(s));
	for (i = 0; i < 8; i++) {
		snprintf(s[i].id, sizeof(s[i].id), "fresh%d", i);
		s[i].ev = (struct store_event){ .source = "gh", .event_id = s[i].id,
		    .received_at = 1700000000123LL + i, .headers = "{}", .headers_len = 2,
		    .body = "body", .body_len = 4 };
		s[i].item.event = &s[i].ev;
	}
	same_body(s, 8);
	for (i = 0; i < 8; i++)
		commit_submit(c, &s[i].item);
	pthread_join(l.thread, NULL);
	wait_items(&fx->seen, 9);
	assert_int_equal(first.item.result, COMMIT_INSERTED);
	/* The eight shared one batch (first too, had the committer been slow to take it). */
	assert_true(fx->seen.largest >= 8);
	for (i = 0; i < 8; i++) {
		assert_int_not_equal(s[i].item.result, COMMIT_FAILED);
		inserted += s[i].item.result == COMMIT_INSERTED;
	}
	assert_int_equal(inserted, 1);
	assert_int_equal(s[0].item.result, COMMIT_INSERTED);
	tu_assert_query(fx->db, "SELECT count(*) FROM events WHERE body_sha256 IS NOT NULL", "1");

	/* Past busy_timeout the batch fails whole: 503s, and nothing of it stays. */
	tu_lock_for(&l, fx->db, 2000);
	for (i = 0; i < 8; i++) {
		snprintf(s[i].id, sizeof(s[i].id), "later%d", i);
		s[i].ev.received_at += 3600000;
		commit_submit(c, &s[i].item);
	}
	wait_items(&fx->seen, 17);
	for (i = 0; i < 8; i++)
		assert_int_equal(s[i].item.result, COMMIT_FAILED);
	pthread_join(l.thread, NULL);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "2");
	for (i = 0; i < 8; i++)
		commit_submit(c, &s[i].item);
	wait_items(&fx->seen, 25);
	commit_stop(c, NULL);
	inserted = 0;
	for (i = 0; i < 8; i++)
		inserted += s[i].item.result == COMMIT_INSERTED;
	assert_int_equal(inserted, 1);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "3");
	tu_assert_query(fx->db, "SELECT count(*) FROM events WHERE body_sha256 IS NOT NULL", "2");
}

struct flood {
	struct committer *c;
	struct sub *s;
	int n;
	volatile int finished;
};

static void *
flood_main(void *arg)
{
	struct flood *fl = arg;

	submit_n(fl->c, fl->s, fl->n, "q", "body");
	fl->finished = 1;
	return NULL;
}

/*
 * A full queue pushes back: while the database is locked, a submitter of
 * more than COMMIT_QUEUE_MAX events waits for room instead of queueing
 * without bound, and every event goes in once the lock is gone.
 */
static void
test_queue_pushes_back(void **state)
{
	struct fixture *fx = *state;
	struct committer *c = start(fx, true, 5000);
	struct flood fl = { c, NULL, COMMIT_QUEUE_MAX + COMMIT_BATCH_MAX + 100, 0 };
	struct tu_locker l;
	pthread_t t;

	fl.s = calloc((size_t)fl.n, sizeof(*fl.s));
	tu_lock_for(&l, fx->db, 1000);
	pthread_create(&t, NULL, flood_main, &fl);
	usleep(500 * 1000);
	/* The committer holds one batch waiting for the lock; the queue is full. */
	assert_int_equal(fl.finished, 0);
	pthread_join(l.thread, NULL);
	pthread_join(t, NULL);
	wait_items(&fx->seen, fl.n);
	commit_stop(c, NULL);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "4708");
	free(fl.s);
}

/* Stopping commits and answers everything queued, and leaves a database that reopens. */
static void
test_stop_drains(void **state)
{
	struct fixture *fx = *state;
	struct committer *c = start(fx, false, 1000);
	struct sub s[300];
	struct commit_stats st;
	int i;

	submit_n(c, s, 300, "s", "body");
	commit_stop(c, &st);
	for (i = 0; i < 300; i++)
		assert_int_equal(s[i].done, 1);
	assert_int_equal(st.events, 300);
	c = start(fx, false, 1000);
	commit_stop(c, NULL);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "300");
	/* SQLite's check of the file; PostgreSQL's server keeps its files, and has no PRAGMA. */
	if (!fx->pg)
		tu_assert_query(fx->db, "PRAGMA integrity_check", "ok");
}

/*
 * Under steady load the WAL is checkpointed and starts over: 40,000 events
 * of 2 KB (about 160 MB of WAL frames) submitted as fast as they commit
 * leave a WAL of a few MB, not one that holds them all. SQLite's only: the
 * WAL is its file next to the database; PostgreSQL's is the server's own.
 */
static void
test_wal_starts_over(void **state)
{
	struct fixture *fx = *state;
	struct committer *c;
	enum { N = 40000, CHUNK = 1000 };
	struct sub *s;
	char body[2049], prefix[16], *wal;
	struct stat sb;
	int i;

	if (fx->pg)
		skip();
	c = start(fx, false, 3000);
	s = calloc(N, sizeof(*s));
	wal = tu_path(fx->dir, "queue.db-wal");

	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	for (i = 0; i < N; i += CHUNK) {
		snprintf(prefix, sizeof(prefix), "w%d-", i);
		submit_n(c, s + i, CHUNK, prefix, body);
		/* Keep a few batches in flight, as steady traffic does. */
		wait_items(&fx->seen, i);
	}
	wait_items(&fx->seen, N);
	assert_int_equal(stat(wal, &sb), 0);
	commit_stop(c, NULL);
	/* 1,000-page checkpoints: the WAL holds about two rounds of them at most. */
	if (sb.st_size > 24 << 20)
		fail_msg("the WAL grew to %lld bytes under steady load", (long long)sb.st_size);
	tu_assert_query(fx->db, "SELECT count(*) FROM events", "40000");
	free(wal);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batches_not_bounded_by_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_fails_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedup_body_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_pushes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_starts_over, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
