/*
 * queue_test.c: the worker's side of the store (src/store.c) and the retry
 * schedule (src/retry.c): which row a claim takes and in what order, what
 * it returns, the guard that keeps a worker whose lease ran out from
 * overwriting a newer result, each result's row, the next due time,
 * pruning, lock waits, and the migration from a version 1 database.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "testutil.h"

#include "retry.h"
#include "store.h"
#include "util.h"

#define NOW 1800000000000LL
#define LEASE 60000
#define ALL "[\"gh\",\"st\"]"

struct fixture {
	char *dir;
	char *db;
	struct store *st;
	sqlite3 *raw;       /* a second connection, as sqlite3 at the prompt */
};

static const struct store_options OPTS = { true, 300, false };

static void
exec(sqlite3 *h, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char *cause = NULL;

	fx->dir = tu_tmpdir();
	fx->db = tu_path(fx->dir, "queue.db");
	fx->st = store_open(fx->db, &OPTS, &cause);
	if (fx->st == NULL)
		fail_msg("%s", cause);
	assert_int_equal(sqlite3_open(fx->db, &fx->raw), SQLITE_OK);
	sqlite3_busy_timeout(fx->raw, 2000);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	store_close(fx->st);
	sqlite3_close(fx->raw);
	tu_rmtree(fx->dir);
	free(fx->dir);
	free(fx->db);
	free(fx);
	return 0;
}

/* Adds a row: source, event id, status, next_attempt_at, lease_until (-1: NULL). */
static void
add(struct fixture *fx, const char *source, const char *id, const char *status, int64_t due,
    int64_t lease)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO events (source, event_id, event_type, received_at, headers, body, status,"
	    " next_attempt_at, lease_until, attempts) VALUES ('%s', '%s', 'push', %lld, '{\"h\":\"v\"}',"
	    " x'00410d0aff', '%s', %lld, %s, %d)", source, id, (long long)due, status,
	    (long long)due, lease < 0 ? "NULL" : "0", strcmp(status, "running") == 0 ? 1 : 0);
	exec(fx->raw, sql);
	if (lease >= 0) {
		snprintf(sql, sizeof(sql), "UPDATE events SET lease_until = %lld, claimed_by = 'other'"
		    " WHERE event_id = '%s'", (long long)lease, id);
		exec(fx->raw, sql);
	}
}

/* The first column of sql's first row, as text ("" for none or NULL). */
static char *
query(struct fixture *fx, const char *sql)
{
	sqlite3_stmt *s;
	char *out;

	if (sqlite3_prepare_v2(fx->raw, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(fx->raw));
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		out = strdup((const char *)sqlite3_column_text(s, 0));
	else
		out = strdup("");
	sqlite3_finalize(s);
	return out;
}

static void
assert_query(struct fixture *fx, const char *sql, const char *want)
{
	char *got = query(fx, sql);

	if (strcmp(got, want) != 0)
		fail_msg("%s: expected \"%s\", got \"%s\"", sql, want, got);
	free(got);
}

/* Claims one row as claimant at now and checks it is event id (NULL: none). */
static void
claim_expect(struct fixture *fx, const char *claimant, int64_t now, const char *id,
    struct store_job *out)
{
	struct store_job job;
	bool found;

	assert_int_equal(store_claim(fx->st, ALL, claimant, now, LEASE, &job, &found), 0);
	if (id == NULL) {
		if (found)
			fail_msg("expected no claim, got %s", job.event_id);
		return;
	}
	if (!found)
		fail_msg("expected to claim %s, got nothing", id);
	assert_string_equal(job.event_id, id);
	if (out != NULL)
		*out = job;
	else
		store_job_free(&job);
}

/* A claim returns the row as stored and marks it running, leased, claimed, one more attempt. */
static void
test_claim_row(void **state)
{
	struct fixture *fx = *state;
	struct store_job job;

	add(fx, "gh", "a", "pending", NOW - 5, -1);
	claim_expect(fx, "w1", NOW, "a", &job);
	assert_string_equal(job.source, "gh");
	assert_string_equal(job.event_type, "push");
	assert_string_equal(job.headers, "{\"h\":\"v\"}");
	assert_int_equal(job.body_len, 5);
	assert_memory_equal(job.body, "\0A\r\n\xff", 5);
	assert_int_equal(job.attempt, 1);
	assert_query(fx, "SELECT status || '|' || attempts || '|' || lease_until || '|' || claimed_by"
	    " FROM events", "running|1|1800000060000|w1");
	store_job_free(&job);
	/* Running under a live lease: nobody else gets it. */
	claim_expect(fx, "w2", NOW + LEASE - 1, NULL, NULL);
}

/* Pending rows go by due time, then arrival; a row not yet due stays. */
static void
test_claim_order(void **state)
{
	struct fixture *fx = *state;

	add(fx, "gh", "later", "pending", NOW - 10, -1);
	add(fx, "gh", "first", "pending", NOW - 20, -1);
	add(fx, "st", "tie", "pending", NOW - 10, -1);
	add(fx, "gh", "future", "pending", NOW + 1, -1);
	add(fx, "gh", "done", "done", 0, -1);
	add(fx, "gh", "dead", "dead", 0, -1);
	claim_expect(fx, "w", NOW, "first", NULL);
	claim_expect(fx, "w", NOW, "later", NULL);
	claim_expect(fx, "w", NOW, "tie", NULL);
	claim_expect(fx, "w", NOW, NULL, NULL);
	claim_expect(fx, "w", NOW + 1, "future", NULL);
	claim_expect(fx, "w", NOW + 1, NULL, NULL);
}

/* An expired lease is claimed before due pending rows, with one more attempt. */
static void
test_claim_expired_lease(void **state)
{
	struct fixture *fx = *state;
	struct store_job job;

	add(fx, "gh", "pending", "pending", NOW - 100000, -1);
	add(fx, "gh", "orphan", "running", NOW - 200000, NOW);
	claim_expect(fx, "w", NOW, "orphan", &job);
	assert_int_equal(job.attempt, 2);
	store_job_free(&job);
	assert_query(fx, "SELECT claimed_by FROM events WHERE event_id = 'orphan'", "w");
	claim_expect(fx, "w", NOW, "pending", NULL);
}

/* Rows of sources not in the list (no handler) are never claimed, and do not count as due. */
static void
test_claim_sources(void **state)
{
	struct fixture *fx = *state;
	struct store_job job;
	int64_t due;
	bool found;

	add(fx, "nohandler", "x", "pending", NOW - 50, -1);
	add(fx, "nohandler", "y", "running", NOW - 50, NOW - 1);
	add(fx, "gh", "g", "pending", NOW + 500, -1);
	assert_int_equal(store_claim(fx->st, "[\"gh\"]", "w", NOW, LEASE, &job, &found), 0);
	assert_false(found);
	assert_int_equal(store_next_due(fx->st, "[\"gh\"]", &due), 0);
	assert_int_equal(due, NOW + 500);
	/* Once due, the handled row is claimed past the older rows of the other source. */
	assert_int_equal(store_claim(fx->st, "[\"gh\"]", "w", NOW + 500, LEASE, &job, &found), 0);
	assert_true(found);
	assert_string_equal(job.event_id, "g");
	store_job_free(&job);
	assert_int_equal(store_claim(fx->st, "[]", "w", NOW + 500, LEASE, &job, &found), 0);
	assert_false(found);
	assert_int_equal(store_next_due(fx->st, "[]", &due), 0);
	assert_int_equal(due, INT64_MAX);
	assert_query(fx, "SELECT count(*) FROM events WHERE source = 'nohandler' AND"
	    " coalesce(claimed_by, '') <> 'w'", "2");
}

/* Only the claim that holds the row can record its result. */
static void
test_finish_guard(void **state)
{
	struct fixture *fx = *state;
	struct store_job a, b;
	bool applied;

	add(fx, "gh", "e", "pending", NOW, -1);
	claim_expect(fx, "w1", NOW, "e", &a);
	/* w1's lease runs out; w2 claims the row again. */
	claim_expect(fx, "w2", NOW + LEASE, "e", &b);
	assert_int_equal(b.attempt, 2);
	assert_int_equal(store_finish(fx->st, &a, "w1", STORE_DONE, NOW + LEASE + 1, 0, NULL,
	    &applied), 0);
	assert_false(applied);
	assert_query(fx, "SELECT status || '|' || claimed_by FROM events", "running|w2");
	/* The same claimant with a stale attempt number is refused too. */
	a.attempt = 2;
	assert_int_equal(store_finish(fx->st, &a, "w1", STORE_DEAD, NOW, 0, "x", &applied), 0);
	assert_false(applied);
	assert_int_equal(store_finish(fx->st, &b, "w2", STORE_DONE, NOW + LEASE + 2, 0, NULL,
	    &applied), 0);
	assert_true(applied);
	assert_query(fx, "SELECT status || '|' || finished_at || '|' || coalesce(lease_until, 'null')"
	    " FROM events", "done|1800000060002|null");
	/* Recorded once: a second result for the same claim changes nothing. */
	assert_int_equal(store_finish(fx->st, &b, "w2", STORE_RETRY, NOW, NOW, "x", &applied), 0);
	assert_false(applied);
	store_job_free(&a);
	store_job_free(&b);
}

/* Retry, dead and release write what the worker and the operator read. */
static void
test_finish_results(void **state)
{
	struct fixture *fx = *state;
	struct store_job job;
	bool applied;

	add(fx, "gh", "e", "pending", NOW, -1);
	claim_expect(fx, "w", NOW, "e", &job);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_RETRY, NOW + 5, NOW + 9000,
	    "exit status 1\nboom", &applied), 0);
	assert_true(applied);
	assert_query(fx, "SELECT status || '|' || attempts || '|' || next_attempt_at || '|' ||"
	    " coalesce(lease_until, 'null') || '|' || last_error FROM events",
	    "pending|1|1800000009000|null|exit status 1\nboom");
	store_job_free(&job);
	claim_expect(fx, "w", NOW + 8999, NULL, NULL);

	claim_expect(fx, "w", NOW + 9000, "e", &job);
	assert_int_equal(job.attempt, 2);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_RELEASE, NOW, NOW + 9500,
	    "stopped", &applied), 0);
	assert_true(applied);
	assert_query(fx, "SELECT status || '|' || attempts || '|' || next_attempt_at FROM events",
	    "pending|1|1800000009500");
	store_job_free(&job);

	claim_expect(fx, "w", NOW + 9500, "e", &job);
	assert_int_equal(job.attempt, 2);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_DEAD, NOW + 9600, 0, "exit status 3",
	    &applied), 0);
	assert_true(applied);
	assert_query(fx, "SELECT status || '|' || attempts || '|' || finished_at || '|' || last_error"
	    " FROM events", "dead|2|1800000009600|exit status 3");
	store_job_free(&job);
	claim_expect(fx, "w", NOW + 100000000, NULL, NULL);

	/* Requeued at the sqlite3 prompt, as README shows: it runs again, finished_at cleared. */
	exec(fx->raw, "UPDATE events SET status = 'pending', attempts = 0, next_attempt_at = 0,"
	    " finished_at = NULL, last_error = NULL");
	claim_expect(fx, "w", NOW, "e", &job);
	assert_int_equal(job.attempt, 1);
	store_job_free(&job);
}

/* The next due time: the earliest retry or lease expiry of a handled source. */
static void
test_next_due(void **state)
{
	struct fixture *fx = *state;
	int64_t due;

	assert_int_equal(store_next_due(fx->st, ALL, &due), 0);
	assert_int_equal(due, INT64_MAX);
	add(fx, "gh", "retry", "pending", NOW + 3000, -1);
	assert_int_equal(store_next_due(fx->st, ALL, &due), 0);
	assert_int_equal(due, NOW + 3000);
	add(fx, "st", "lease", "running", NOW - 5, NOW + 2000);
	assert_int_equal(store_next_due(fx->st, ALL, &due), 0);
	assert_int_equal(due, NOW + 2000);
	add(fx, "gh", "done", "done", 5, -1);
	assert_int_equal(store_next_due(fx->st, ALL, &due), 0);
	assert_int_equal(due, NOW + 2000);
}

/* Pruning deletes done rows finished before the cut, in batches, and nothing else. */
static void
test_prune(void **state)
{
	struct fixture *fx = *state;
	int deleted, i;
	char id[16];

	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "old%d", i);
		add(fx, "gh", id, "done", 0, -1);
	}
	exec(fx->raw, "UPDATE events SET finished_at = 1000");
	add(fx, "gh", "new", "done", 0, -1);
	add(fx, "gh", "deadold", "dead", 0, -1);
	add(fx, "gh", "pending", "pending", 0, -1);
	exec(fx->raw, "UPDATE events SET finished_at = 5000 WHERE event_id = 'new';"
	    "UPDATE events SET finished_at = 10 WHERE event_id = 'deadold'");
	assert_int_equal(store_prune(fx->st, 2000, 3, &deleted), 0);
	assert_int_equal(deleted, 3);
	assert_int_equal(store_prune(fx->st, 2000, 3, &deleted), 0);
	assert_int_equal(deleted, 2);
	assert_int_equal(store_prune(fx->st, 2000, 3, &deleted), 0);
	assert_int_equal(deleted, 0);
	assert_query(fx, "SELECT group_concat(event_id, ',') FROM (SELECT event_id FROM events"
	    " ORDER BY event_id)", "deadold,new,pending");
}

/* A claim waits busy_timeout for another writer, then fails and leaves the rows as they were. */
static void
test_claim_busy(void **state)
{
	struct fixture *fx = *state;
	struct store_job job;
	int64_t t0;
	bool found;

	add(fx, "gh", "e", "pending", NOW, -1);
	exec(fx->raw, "BEGIN IMMEDIATE");
	t0 = clock_mono_us();
	assert_int_equal(store_claim(fx->st, ALL, "w", NOW, LEASE, &job, &found), -1);
	assert_false(found);
	assert_true(clock_mono_us() - t0 >= 250000);
	assert_non_null(strstr(store_error(fx->st), "locked"));
	exec(fx->raw, "COMMIT");
	assert_query(fx, "SELECT status || attempts FROM events", "pending0");
	claim_expect(fx, "w", NOW, "e", NULL);
}

/* A version 1 database (the receiver's first release) migrates and keeps its rows. */
static void
test_migrate_from_1(void **state)
{
	struct fixture *fx = *state;
	const char *m2 = strstr(store_schema_sql, "\n-- migration 2:");
	char *v1, *old, *cause = NULL;
	struct store *st;
	sqlite3 *h;

	assert_non_null(m2);
	old = tu_path(fx->dir, "v1.db");
	v1 = strndup(store_schema_sql, (size_t)(m2 - store_schema_sql));
	assert_int_equal(sqlite3_open(old, &h), SQLITE_OK);
	exec(h, v1);
	exec(h, "PRAGMA user_version = 1; INSERT INTO events (source, event_id, received_at, headers,"
	    " body) VALUES ('gh', 'kept', 5, '{}', 'b')");
	sqlite3_close(h);
	st = store_open(old, &OPTS, &cause);
	if (st == NULL)
		fail_msg("%s", cause);
	store_close(st);
	store_close(fx->st);
	sqlite3_close(fx->raw);
	fx->st = store_open(old, &OPTS, &cause);
	assert_non_null(fx->st);
	assert_int_equal(sqlite3_open(old, &fx->raw), SQLITE_OK);
	{
		char want[16];

		snprintf(want, sizeof(want), "%d", store_schema_version());
		assert_query(fx, "PRAGMA user_version", want);
	}
	assert_query(fx, "SELECT event_id || '|' || coalesce(claimed_by, 'null') FROM events",
	    "kept|null");
	claim_expect(fx, "w", NOW, "kept", NULL);
	free(v1);
	free(old);
}

/* The views an operator reads at the sqlite3 prompt, over rows the worker's results wrote. */
static void
test_views(void **state)
{
	struct fixture *fx = *state;
	int64_t now = clock_wall_ms();
	struct store_job job;
	bool applied;
	char sql[512];

	/* Three gh rows that arrived an hour ago, one st row now. */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO events (source, event_id, received_at, headers, body, next_attempt_at)"
	    " VALUES ('gh', 'a', %lld, '{}', 'x', 0), ('gh', 'b', %lld, '{}', 'x', 0),"
	    " ('gh', 'c', %lld, '{}', 'x', 0), ('st', 'd', %lld, '{}', 'x', 0)",
	    (long long)(now - 3600000), (long long)(now - 3500000), (long long)(now - 3400000),
	    (long long)now);
	exec(fx->raw, sql);
	claim_expect(fx, "w", now, "a", &job);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_DEAD, now, 0, "exit status 3\nboom",
	    &applied), 0);
	store_job_free(&job);
	claim_expect(fx, "w", now, "b", &job);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_RETRY, now, now + 60000, "exit status 1",
	    &applied), 0);
	store_job_free(&job);
	claim_expect(fx, "w", now, "c", &job);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_DONE, now, 0, NULL, &applied), 0);
	store_job_free(&job);
	/* An old failure: not recent. */
	snprintf(sql, sizeof(sql), "UPDATE events SET failed_at = %lld, last_error = 'old'"
	    " WHERE event_id = 'd'", (long long)(now - 2 * 86400000LL));
	exec(fx->raw, sql);

	assert_query(fx, "SELECT group_concat(source || ':' || status || ':' || events, ' ')"
	    " FROM queue_summary", "gh:dead:1 gh:done:1 gh:pending:1 st:pending:1");
	assert_query(fx, "SELECT oldest_age_s BETWEEN 3595 AND 3700 FROM queue_summary"
	    " WHERE source = 'gh' AND status = 'dead'", "1");
	assert_query(fx, "SELECT oldest_age_s BETWEEN 0 AND 60 FROM queue_summary"
	    " WHERE source = 'st'", "1");
	assert_query(fx, "SELECT oldest_received = datetime((SELECT received_at FROM events"
	    " WHERE event_id = 'b') / 1000, 'unixepoch') FROM queue_summary"
	    " WHERE source = 'gh' AND status = 'pending'", "1");
	assert_query(fx, "SELECT count(*) || ':' || event_id || ':' || attempts || ':' || last_error"
	    " FROM dead_letters", "1:a:1:exit status 3\nboom");
	assert_query(fx, "SELECT died = datetime((SELECT finished_at FROM events WHERE event_id"
	    " = 'a') / 1000, 'unixepoch') FROM dead_letters", "1");
	assert_query(fx, "SELECT group_concat(event_id || ':' || status || ':' ||"
	    " (next_attempt IS NOT NULL), ' ') FROM recent_failures", "b:pending:1 a:dead:0");
	assert_query(fx, "SELECT next_attempt = datetime((SELECT next_attempt_at FROM events"
	    " WHERE event_id = 'b') / 1000, 'unixepoch') FROM recent_failures WHERE event_id = 'b'", "1");
	snprintf(sql, sizeof(sql), "SELECT group_concat(event_id, ',') FROM events"
	    " WHERE failed_at = %lld", (long long)now);
	assert_query(fx, sql, "a,b");
}

/* Counts per source and status, and the write probe that health checks use. */
static void
test_counts_probe(void **state)
{
	struct fixture *fx = *state;
	struct store_count *rows;
	size_t n;

	assert_int_equal(store_counts(fx->st, &rows, &n), 0);
	assert_int_equal(n, 0);
	store_counts_free(rows, n);
	add(fx, "gh", "a", "pending", 300, -1);
	add(fx, "gh", "b", "pending", 200, -1);
	add(fx, "gh", "c", "dead", 100, -1);
	add(fx, "st", "d", "pending", 50, -1);
	assert_int_equal(store_counts(fx->st, &rows, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].source, "gh");
	assert_string_equal(rows[0].status, "dead");
	assert_int_equal(rows[0].events, 1);
	assert_string_equal(rows[1].status, "pending");
	assert_int_equal(rows[1].events, 2);
	assert_int_equal(rows[1].oldest_received, 200);
	assert_string_equal(rows[2].source, "st");
	assert_int_equal(rows[2].oldest_received, 50);
	store_counts_free(rows, n);

	assert_int_equal(store_probe_write(fx->st, clock_mono_us() + 200000), 0);
	exec(fx->raw, "BEGIN IMMEDIATE");
	assert_int_equal(store_probe_write(fx->st, clock_mono_us() + 200000), -1);
	exec(fx->raw, "ROLLBACK");
	assert_int_equal(store_probe_write(fx->st, clock_mono_us() + 200000), 0);
	assert_query(fx, "SELECT count(*) FROM events", "4");
}

/* The backoff doubles from base to max; jitter scales it by at most ±20%. */
static void
test_retry_delay(void **state)
{
	(void)state;
	assert_int_equal(retry_delay(10000, 3600000, 1, 0), 10000);
	assert_int_equal(retry_delay(10000, 3600000, 2, 0), 20000);
	assert_int_equal(retry_delay(10000, 3600000, 3, 0), 40000);
	assert_int_equal(retry_delay(10000, 3600000, 9, 0), 2560000);
	assert_int_equal(retry_delay(10000, 3600000, 10, 0), 3600000);
	assert_int_equal(retry_delay(10000, 3600000, 1000, 0), 3600000);
	assert_int_equal(retry_delay(10000, 3600000, 1, 0.2), 12000);
	assert_int_equal(retry_delay(10000, 3600000, 1, -0.2), 8000);
	assert_int_equal(retry_delay(10000, 3600000, 50, 0.2), 4320000);
	/* Out-of-range jitter is clamped. */
	assert_int_equal(retry_delay(10000, 3600000, 1, 5.0), 12000);
	assert_int_equal(retry_delay(10000, 3600000, 1, -5.0), 8000);
	/* A max below base caps the first delay too. */
	assert_int_equal(retry_delay(5000, 1000, 1, 0), 1000);
	/* Very large values do not overflow. */
	assert_int_equal(retry_delay(30LL * 86400000, 30LL * 86400000, 1000, 0), 30LL * 86400000);
}

/* Jitter stays within ±20% and spreads over the range. */
static void
test_retry_jitter(void **state)
{
	double lo = 1, hi = -1;
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		double j = retry_jitter();

		assert_true(j >= -RETRY_JITTER && j <= RETRY_JITTER);
		if (j < lo)
			lo = j;
		if (j > hi)
			hi = j;
	}
	assert_true(lo < -0.19);
	assert_true(hi > 0.19);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_claim_row),
		TEST(test_claim_order),
		TEST(test_claim_expired_lease),
		TEST(test_claim_sources),
		TEST(test_finish_guard),
		TEST(test_finish_results),
		TEST(test_next_due),
		TEST(test_prune),
		TEST(test_claim_busy),
		TEST(test_migrate_from_1),
		TEST(test_views),
		TEST(test_counts_probe),
		cmocka_unit_test(test_retry_delay),
		cmocka_unit_test(test_retry_jitter),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
