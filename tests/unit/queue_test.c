/*
 * queue_test.c: the worker's side of the store (src/store_sqlite.c or
 * src/store_pg.c, through src/store.c) and the retry schedule
 * (src/retry.c): routing events into deliveries, which delivery a claim
 * takes and in what order, what it returns, the guard that keeps a worker
 * whose lease ran out from overwriting a newer result, each result's row, a
 * route's concurrency, rate and order across claimants, the next due time,
 * pruning, lock waits, and the migration from a version 1 database.
 *
 * On SQLite by default; on PostgreSQL with HOOKQ_TEST_PG_URL set
 * (tests/pg/queue_test.sh), each test on a database emptied for it. Rows
 * are set up and read back from another connection (dbutil.c), as an
 * operator at the sqlite3 or psql prompt would, in SQL both understand
 * where it can be, else per back end (fx->pg).
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dbutil.h"
#include "testutil.h"

#include "retry.h"
#include "store.h"
#include "util.h"

#define NOW 1800000000000LL
#define LEASE 60000

/* The routes of sources gh and st, as the worker builds them from [source] handlers. */
static const struct store_route ALL[] = { { "gh", 0, 0, 0 }, { "st", 0, 0, 0 } };
#define NALL 2

struct fixture {
	char *dir;
	char *db;           /* a SQLite file, or a PostgreSQL URL (tu_new_db()) */
	bool pg;            /* db is PostgreSQL's: the SQL that differs is its */
	struct store *st;
};

static const struct store_options OPTS = { .durability_full = true, .busy_timeout = 300 };

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char *cause = NULL;

	fx->dir = tu_tmpdir();
	fx->db = tu_new_db(fx->dir, "queue.db");
	fx->pg = tu_is_pg(fx->db);
	fx->st = store_open(fx->db, &OPTS, &cause);
	if (fx->st == NULL)
		fail_msg("%s", cause);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	store_close(fx->st);
	tu_rmtree(fx->dir);
	free(fx->dir);
	free(fx->db);
	free(fx);
	return 0;
}

/* dbutil's, on the fixture's database. */
static void
exec(struct fixture *fx, const char *sql)
{
	tu_exec(fx->db, sql);
}

static void
assert_query(struct fixture *fx, const char *sql, const char *want)
{
	tu_assert_query(fx->db, sql, want);
}

/* The rows' first column, joined with spaces (group_concat()'s default). */
static void
assert_rows(struct fixture *fx, const char *sql, const char *want)
{
	tu_assert_rows(fx->db, sql, " ", want);
}

/*
 * Adds an event of source id'd id, routed to the route of the same name
 * with a delivery of status, next_attempt_at due and lease_until lease (-1:
 * NULL; a running one is claimed by "other" on attempt 1).
 */
static void
add(struct fixture *fx, const char *source, const char *id, const char *status, int64_t due,
    int64_t lease)
{
	/* PostgreSQL's bytea has no x'' literal: decode() writes bytes in hex there. */
	const char *body = fx->pg ? "decode('00410d0aff', 'hex')" : "x'00410d0aff'";
	char sql[1024];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO events (source, event_id, event_type, received_at, headers, body,"
	    " routed_at, routes) VALUES ('%s', '%s', 'push', %lld, '{\"h\":\"v\"}',"
	    " %s, %lld, 1);"
	    "INSERT INTO deliveries (event, route, status, next_attempt_at, lease_until, attempts,"
	    " claimed_by, created_at) VALUES ((SELECT id FROM events WHERE source = '%s' AND"
	    " event_id = '%s'), '%s', '%s', %lld, %s, %d, %s, %lld)", source, id, (long long)due,
	    body, (long long)due, source, id, source, status, (long long)due,
	    lease < 0 ? "NULL" : "0", strcmp(status, "running") == 0 ? 1 : 0,
	    lease < 0 ? "NULL" : "'other'", (long long)due);
	exec(fx, sql);
	if (lease >= 0) {
		snprintf(sql, sizeof(sql), "UPDATE deliveries SET lease_until = %lld WHERE event ="
		    " (SELECT id FROM events WHERE event_id = '%s')", (long long)lease, id);
		exec(fx, sql);
	}
}

/* Adds an unrouted event, as the receiver stores one. */
static void
add_event(struct fixture *fx, const char *source, const char *id, int64_t at)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO events (source, event_id, event_type, received_at, headers, body)"
	    " VALUES ('%s', '%s', 'push', %lld, '{}', 'b')", source, id, (long long)at);
	exec(fx, sql);
}

/*
 * An expression for the text a view shows for the time ms (an SQL
 * expression), in buf: SQLite's datetime(), or what the PostgreSQL schema
 * writes the same with, hookq_datetime().
 */
static const char *
datetime_sql(const struct fixture *fx, char *buf, size_t size, const char *ms)
{
	if (fx->pg)
		snprintf(buf, size, "hookq_datetime(%s)", ms);
	else
		snprintf(buf, size, "datetime((%s) / 1000, 'unixepoch')", ms);
	return buf;
}

/* Claims one delivery of routes as claimant at now and checks its event id (NULL: none). */
static void
claim_routes(struct fixture *fx, const struct store_route *routes, size_t n,
    const char *claimant, int64_t now, const char *id, struct store_job *out)
{
	struct store_job job;
	bool found;

	assert_int_equal(store_claim(fx->st, routes, n, claimant, now, LEASE, &job, &found), 0);
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

static void
claim_expect(struct fixture *fx, const char *claimant, int64_t now, const char *id,
    struct store_job *out)
{
	claim_routes(fx, ALL, NALL, claimant, now, id, out);
}

/* Claims id on routes and records result for it at now. */
static void
run_one(struct fixture *fx, const struct store_route *routes, size_t n, int64_t now,
    const char *id, enum store_result result)
{
	struct store_job job;
	bool applied;

	claim_routes(fx, routes, n, "w", now, id, &job);
	assert_int_equal(store_finish(fx->st, &job, "w", result, now, now + 1000, "e", &applied), 0);
	assert_true(applied);
	store_job_free(&job);
}

/* A claim returns the delivery with its event and marks it running, leased, claimed, one more attempt. */
static void
test_claim_row(void **state)
{
	struct fixture *fx = *state;
	struct store_job job;

	add(fx, "gh", "a", "pending", NOW - 5, -1);
	claim_expect(fx, "w1", NOW, "a", &job);
	assert_string_equal(job.source, "gh");
	assert_string_equal(job.route, "gh");
	assert_string_equal(job.event_type, "push");
	assert_string_equal(job.headers, "{\"h\":\"v\"}");
	assert_int_equal(job.body_len, 5);
	assert_memory_equal(job.body, "\0A\r\n\xff", 5);
	assert_int_equal(job.attempt, 1);
	assert_int_equal(job.event, 1);
	assert_int_equal(job.id, 1);
	assert_query(fx, "SELECT status || '|' || attempts || '|' || lease_until || '|' || claimed_by"
	    " FROM deliveries", "running|1|1800000060000|w1");
	store_job_free(&job);
	/* Running under a live lease: nobody else gets it. */
	claim_expect(fx, "w2", NOW + LEASE - 1, NULL, NULL);
}

/* Within a route, pending deliveries go by due time, then arrival; one not yet due stays. */
static void
test_claim_order(void **state)
{
	struct fixture *fx = *state;
	static const struct store_route GH[] = { { "gh", 0, 0, 0 } };

	add(fx, "gh", "later", "pending", NOW - 10, -1);
	add(fx, "gh", "first", "pending", NOW - 20, -1);
	add(fx, "gh", "future", "pending", NOW + 1, -1);
	add(fx, "gh", "done", "done", 0, -1);
	add(fx, "gh", "dead", "dead", 0, -1);
	claim_routes(fx, GH, 1, "w", NOW, "first", NULL);
	claim_routes(fx, GH, 1, "w", NOW, "later", NULL);
	claim_routes(fx, GH, 1, "w", NOW, NULL, NULL);
	claim_routes(fx, GH, 1, "w", NOW + 1, "future", NULL);
	claim_routes(fx, GH, 1, "w", NOW + 1, NULL, NULL);
}

/* Routes take turns: a backlog on one never keeps another's deliveries waiting. */
static void
test_claim_turns(void **state)
{
	struct fixture *fx = *state;
	int i;
	char id[16];

	for (i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "g%d", i);
		add(fx, "gh", id, "pending", NOW - 100 + i, -1);
	}
	add(fx, "st", "s0", "pending", NOW, -1);
	add(fx, "st", "s1", "pending", NOW, -1);
	claim_expect(fx, "w", NOW, "g0", NULL);
	claim_expect(fx, "w", NOW, "s0", NULL);
	claim_expect(fx, "w", NOW, "g1", NULL);
	claim_expect(fx, "w", NOW, "s1", NULL);
	claim_expect(fx, "w", NOW, "g2", NULL);
	claim_expect(fx, "w", NOW, "g3", NULL);
	claim_expect(fx, "w", NOW, NULL, NULL);
}

/* An expired lease is claimed before due pending deliveries, with one more attempt. */
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
	assert_query(fx, "SELECT claimed_by FROM delivery_events WHERE event_id = 'orphan'", "w");
	claim_expect(fx, "w", NOW, "pending", NULL);
}

/* Deliveries of routes not in the list are never claimed, and do not count as due. */
static void
test_claim_routes(void **state)
{
	struct fixture *fx = *state;
	static const struct store_route GH[] = { { "gh", 0, 0, 0 } };
	int64_t due;

	add(fx, "gone", "x", "pending", NOW - 50, -1);
	add(fx, "gone", "y", "running", NOW - 50, NOW - 1);
	add(fx, "gh", "g", "pending", NOW + 500, -1);
	claim_routes(fx, GH, 1, "w", NOW, NULL, NULL);
	assert_int_equal(store_next_due(fx->st, GH, 1, NOW, &due), 0);
	assert_int_equal(due, NOW + 500);
	/* Once due, the handled one is claimed past the older ones of the other route. */
	claim_routes(fx, GH, 1, "w", NOW + 500, "g", NULL);
	claim_routes(fx, GH, 0, "w", NOW + 500, NULL, NULL);
	assert_int_equal(store_next_due(fx->st, GH, 0, NOW, &due), 0);
	assert_int_equal(due, INT64_MAX);
	assert_query(fx, "SELECT count(*) FROM delivery_events WHERE route = 'gone' AND"
	    " coalesce(claimed_by, '') <> 'w'", "2");
}

/*
 * Routing: each unrouted event of a source gets its deliveries and its mark
 * in one step, once; an event no route takes is marked with 0 and shows as
 * unmatched; a source's events wait unrouted until asked for.
 */
static void
test_route_event(void **state)
{
	struct fixture *fx = *state;
	static const struct store_new_delivery TWO[] = { { "deploy", NULL }, { "audit", NULL } };
	struct store_unrouted *ev;
	size_t n;
	bool routed;

	add_event(fx, "gh", "a", NOW - 3);
	add_event(fx, "gh", "b", NOW - 2);
	add_event(fx, "st", "c", NOW - 1);
	assert_int_equal(store_unrouted(fx->st, "gh", 10, &ev, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].id, 1);
	assert_string_equal(ev[0].source, "gh");
	assert_string_equal(ev[0].event_type, "push");
	assert_string_equal(ev[0].headers, "{}");
	assert_int_equal(ev[0].body_len, 1);
	assert_string_equal(ev[0].body, "b");
	store_unrouted_free(ev, n);
	assert_int_equal(store_unrouted(fx->st, "gh", 1, &ev, &n), 0);
	assert_int_equal(n, 1);
	store_unrouted_free(ev, n);

	assert_int_equal(store_route_event(fx->st, 1, NOW, TWO, 2, &routed), 0);
	assert_true(routed);
	/* Again (another worker got there first): nothing more. */
	assert_int_equal(store_route_event(fx->st, 1, NOW, TWO, 2, &routed), 0);
	assert_false(routed);
	assert_int_equal(store_route_event(fx->st, 2, NOW, TWO, 0, &routed), 0);
	assert_true(routed);
	assert_rows(fx, "SELECT route || ':' || status || ':' || next_attempt_at || ':' ||"
	    " event FROM deliveries ORDER BY id",
	    "deploy:pending:1800000000000:1 audit:pending:1800000000000:1");
	/* (coalesce() of an integer and a text: PostgreSQL wants them of one type) */
	assert_rows(fx, "SELECT id || ':' || coalesce(CAST(routed_at AS TEXT), 'null') || ':'"
	    " || coalesce(CAST(routes AS TEXT), 'null') FROM events ORDER BY id",
	    "1:1800000000000:2 2:1800000000000:0 3:null:null");
	assert_int_equal(store_unrouted(fx->st, "gh", 10, &ev, &n), 0);
	assert_int_equal(n, 0);
	store_unrouted_free(ev, n);
	/* In the view's order, as the operator reads it. */
	assert_rows(fx, "SELECT source || ':' || coalesce(route, '-') || ':' || status || ':' ||"
	    " deliveries FROM queue_summary",
	    "gh:-:unmatched:1 gh:audit:pending:1 gh:deploy:pending:1 st:-:unrouted:1");
	/* Deleting an event deletes its deliveries. */
	exec(fx, "DELETE FROM events WHERE id = 1");
	assert_query(fx, "SELECT count(*) FROM deliveries", "0");
}

/* Only the claim that holds the delivery can record its result. */
static void
test_finish_guard(void **state)
{
	struct fixture *fx = *state;
	struct store_job a, b;
	bool applied;

	add(fx, "gh", "e", "pending", NOW, -1);
	claim_expect(fx, "w1", NOW, "e", &a);
	/* w1's lease runs out; w2 claims the delivery again. */
	claim_expect(fx, "w2", NOW + LEASE, "e", &b);
	assert_int_equal(b.attempt, 2);
	assert_int_equal(store_finish(fx->st, &a, "w1", STORE_DONE, NOW + LEASE + 1, 0, NULL,
	    &applied), 0);
	assert_false(applied);
	assert_query(fx, "SELECT status || '|' || claimed_by FROM deliveries", "running|w2");
	/* The same claimant with a stale attempt number is refused too. */
	a.attempt = 2;
	assert_int_equal(store_finish(fx->st, &a, "w1", STORE_DEAD, NOW, 0, "x", &applied), 0);
	assert_false(applied);
	assert_int_equal(store_finish(fx->st, &b, "w2", STORE_DONE, NOW + LEASE + 2, 0, NULL,
	    &applied), 0);
	assert_true(applied);
	assert_query(fx, "SELECT status || '|' || finished_at || '|' ||"
	    " coalesce(CAST(lease_until AS TEXT), 'null') FROM deliveries",
	    "done|1800000060002|null");
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
	    " coalesce(CAST(lease_until AS TEXT), 'null') || '|' || last_error FROM deliveries",
	    "pending|1|1800000009000|null|exit status 1\nboom");
	store_job_free(&job);
	claim_expect(fx, "w", NOW + 8999, NULL, NULL);

	claim_expect(fx, "w", NOW + 9000, "e", &job);
	assert_int_equal(job.attempt, 2);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_RELEASE, NOW, NOW + 9500,
	    "stopped", &applied), 0);
	assert_true(applied);
	assert_query(fx, "SELECT status || '|' || attempts || '|' || next_attempt_at FROM deliveries",
	    "pending|1|1800000009500");
	store_job_free(&job);

	claim_expect(fx, "w", NOW + 9500, "e", &job);
	assert_int_equal(job.attempt, 2);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_DEAD, NOW + 9600, 0, "exit status 3",
	    &applied), 0);
	assert_true(applied);
	assert_query(fx, "SELECT status || '|' || attempts || '|' || finished_at || '|' || last_error"
	    " FROM deliveries", "dead|2|1800000009600|exit status 3");
	store_job_free(&job);
	claim_expect(fx, "w", NOW + 100000000, NULL, NULL);

	/* Requeued at the prompt, as README shows: it runs again, finished_at cleared. */
	exec(fx, "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = 0,"
	    " finished_at = NULL, last_error = NULL WHERE id = 1 AND status = 'dead'");
	claim_expect(fx, "w", NOW, "e", &job);
	assert_int_equal(job.attempt, 1);
	store_job_free(&job);
}

/*
 * concurrency holds across claimants (two workers on one database): at the
 * limit nothing more of the route is claimed, and the next due time is when
 * a live lease runs out, not the pending delivery's (which would spin).
 */
static void
test_concurrency(void **state)
{
	struct fixture *fx = *state;
	static const struct store_route ONE[] = { { "gh", 1, 0, 0 }, { "st", 0, 0, 0 } };
	struct store_job a;
	int64_t due;
	bool applied;

	add(fx, "gh", "g1", "pending", NOW - 10, -1);
	add(fx, "gh", "g2", "pending", NOW - 5, -1);
	add(fx, "st", "s1", "pending", NOW - 1, -1);
	claim_routes(fx, ONE, 2, "w1", NOW, "g1", &a);
	/* The other worker: gh is at its limit, st is not. */
	claim_routes(fx, ONE, 2, "w2", NOW, "s1", NULL);
	claim_routes(fx, ONE, 2, "w2", NOW, NULL, NULL);
	assert_int_equal(store_next_due(fx->st, ONE, 1, NOW, &due), 0);
	assert_int_equal(due, NOW + LEASE);
	/* w1's run ends: the next one may start. */
	assert_int_equal(store_finish(fx->st, &a, "w1", STORE_DONE, NOW + 1, 0, NULL, &applied), 0);
	store_job_free(&a);
	assert_int_equal(store_next_due(fx->st, ONE, 1, NOW + 1, &due), 0);
	assert_int_equal(due, NOW - 5);
	claim_routes(fx, ONE, 2, "w2", NOW + 1, "g2", NULL);
	/* A lease that ran out no longer counts: its delivery is claimed again, by one worker. */
	claim_routes(fx, ONE, 1, "w1", NOW + 1 + LEASE - 1, NULL, NULL);
	claim_routes(fx, ONE, 1, "w1", NOW + 1 + LEASE, "g2", NULL);
	claim_routes(fx, ONE, 1, "w2", NOW + 1 + LEASE, NULL, NULL);
}

/*
 * rate: a bucket of rate tokens per period, full at first, shared by every
 * claimant; an empty bucket's route is due when its next token is.
 */
static void
test_rate(void **state)
{
	struct fixture *fx = *state;
	static const struct store_route R[] = { { "gh", 0, 2, 1000 } };
	int64_t due;
	int i;
	char id[16];

	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		add(fx, "gh", id, "pending", NOW - 100 + i, -1);
	}
	claim_routes(fx, R, 1, "w1", NOW, "r0", NULL);
	claim_routes(fx, R, 1, "w2", NOW, "r1", NULL);
	claim_routes(fx, R, 1, "w1", NOW, NULL, NULL);
	assert_int_equal(store_next_due(fx->st, R, 1, NOW, &due), 0);
	assert_int_equal(due, NOW + 501);
	claim_routes(fx, R, 1, "w2", NOW + 499, NULL, NULL);
	claim_routes(fx, R, 1, "w2", NOW + 500, "r2", NULL);
	claim_routes(fx, R, 1, "w1", NOW + 500, NULL, NULL);
	/* A quiet while fills the bucket to its size, no more (before the leases run out). */
	claim_routes(fx, R, 1, "w1", NOW + 50000, "r3", NULL);
	claim_routes(fx, R, 1, "w1", NOW + 50000, "r4", NULL);
	add(fx, "gh", "r5", "pending", NOW, -1);
	claim_routes(fx, R, 1, "w1", NOW + 50000, NULL, NULL);
	assert_query(fx, "SELECT count(*) FROM route_state WHERE route = 'gh'", "1");
}

/* Makes event id's delivery on route "ord" with key, through routing (held or pending). */
static void
add_ordered(struct fixture *fx, const char *id, const char *key, int64_t at)
{
	struct store_new_delivery d = { "ord", key };
	bool routed;
	char sql[256];
	char *row;

	add_event(fx, "gh", id, at);
	snprintf(sql, sizeof(sql), "SELECT id FROM events WHERE event_id = '%s'", id);
	row = tu_query(fx->db, sql);
	assert_int_equal(store_route_event(fx->st, atoll(row), at, &d, 1, &routed), 0);
	assert_true(routed);
	free(row);
}

/*
 * order: one open delivery per key (the others held), released in arrival
 * order when it is done or dead; a retry in backoff and a lease that ran
 * out keep the key's later deliveries held; other keys go on meanwhile.
 */
static void
test_order(void **state)
{
	struct fixture *fx = *state;
	static const struct store_route O[] = { { "ord", 0, 0, 0 } };
	struct store_job job;
	bool applied;

	add_ordered(fx, "a1", "A", NOW);
	add_ordered(fx, "a2", "A", NOW + 1);
	add_ordered(fx, "b1", "B", NOW + 2);
	add_ordered(fx, "a3", "A", NOW + 3);
	assert_rows(fx, "SELECT event_id || ':' || status FROM delivery_events ORDER BY id",
	    "a1:pending a2:held b1:pending a3:held");
	/* a1 fails: a2 stays held through the backoff, b1 runs. */
	claim_routes(fx, O, 1, "w", NOW + 10, "a1", &job);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_RETRY, NOW + 11, NOW + 5000, "x",
	    &applied), 0);
	store_job_free(&job);
	claim_routes(fx, O, 1, "w", NOW + 20, "b1", &job);
	claim_routes(fx, O, 1, "w", NOW + 20, NULL, NULL);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_DONE, NOW + 21, 0, NULL, &applied), 0);
	store_job_free(&job);
	/* a1's retry: claimed, then its worker dies; the lease runs out, a1 again, not a2. */
	claim_routes(fx, O, 1, "w1", NOW + 5000, "a1", NULL);
	claim_routes(fx, O, 1, "w2", NOW + 5000 + LEASE, "a1", &job);
	assert_int_equal(job.attempt, 3);
	assert_int_equal(store_finish(fx->st, &job, "w2", STORE_DONE, NOW + 5000 + LEASE, 0, NULL,
	    &applied), 0);
	assert_true(applied);
	store_job_free(&job);
	assert_rows(fx, "SELECT event_id || ':' || status FROM delivery_events ORDER BY id",
	    "a1:done a2:pending b1:done a3:held");
	/* a2 dies: a dead one releases the next too. */
	run_one(fx, O, 1, NOW + 6000 + LEASE, "a2", STORE_DEAD);
	assert_query(fx, "SELECT status FROM delivery_events WHERE event_id = 'a3'", "pending");
	/* A new event of a key with nothing open is pending at once. */
	run_one(fx, O, 1, NOW + 7000 + LEASE, "a3", STORE_DONE);
	add_ordered(fx, "a4", "A", NOW + 8000 + LEASE);
	assert_query(fx, "SELECT status FROM delivery_events WHERE event_id = 'a4'", "pending");
}

/* The next due time: the earliest retry or lease expiry of the routes. */
static void
test_next_due(void **state)
{
	struct fixture *fx = *state;
	int64_t due;

	assert_int_equal(store_next_due(fx->st, ALL, NALL, NOW, &due), 0);
	assert_int_equal(due, INT64_MAX);
	add(fx, "gh", "retry", "pending", NOW + 3000, -1);
	assert_int_equal(store_next_due(fx->st, ALL, NALL, NOW, &due), 0);
	assert_int_equal(due, NOW + 3000);
	add(fx, "st", "lease", "running", NOW - 5, NOW + 2000);
	assert_int_equal(store_next_due(fx->st, ALL, NALL, NOW, &due), 0);
	assert_int_equal(due, NOW + 2000);
	add(fx, "gh", "done", "done", 5, -1);
	assert_int_equal(store_next_due(fx->st, ALL, NALL, NOW, &due), 0);
	assert_int_equal(due, NOW + 2000);
	/* A held delivery is not due: it waits for a commit. */
	exec(fx, "UPDATE deliveries SET status = 'held', next_attempt_at = 0"
	    " WHERE event = (SELECT id FROM events WHERE event_id = 'retry')");
	exec(fx, "DELETE FROM events WHERE event_id = 'lease'");
	assert_int_equal(store_next_due(fx->st, ALL, NALL, NOW, &due), 0);
	assert_int_equal(due, INT64_MAX);
}

/*
 * Pruning deletes events whose deliveries are all done before the cut (and
 * those no route took), with their deliveries, in batches; nothing else.
 */
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
	exec(fx, "UPDATE deliveries SET finished_at = 1000");
	add(fx, "gh", "new", "done", 0, -1);
	add(fx, "gh", "deadold", "dead", 0, -1);
	add(fx, "gh", "pending", "pending", 0, -1);
	add(fx, "gh", "fanout", "done", 0, -1);
	add_event(fx, "gh", "unmatched", 0);
	add_event(fx, "gh", "unrouted", 0);
	exec(fx, "UPDATE deliveries SET finished_at = 5000 WHERE event = (SELECT id FROM events"
	    " WHERE event_id = 'new');"
	    "UPDATE deliveries SET finished_at = 10 WHERE event IN (SELECT id FROM events"
	    " WHERE event_id IN ('deadold', 'fanout'));"
	    "INSERT INTO deliveries (event, route, status, created_at) SELECT id, 'other', 'pending',"
	    " 0 FROM events WHERE event_id = 'fanout';"
	    "UPDATE events SET routed_at = 0, routes = 0 WHERE event_id = 'unmatched'");
	assert_int_equal(store_prune(fx->st, 2000, 3, &deleted), 0);
	assert_int_equal(deleted, 3);
	assert_int_equal(store_prune(fx->st, 2000, 3, &deleted), 0);
	assert_int_equal(deleted, 3);
	assert_int_equal(store_prune(fx->st, 2000, 3, &deleted), 0);
	assert_int_equal(deleted, 0);
	tu_assert_rows(fx->db, "SELECT event_id FROM events ORDER BY event_id", ",",
	    "deadold,fanout,new,pending,unrouted");
	assert_query(fx, "SELECT count(*) FROM deliveries WHERE event NOT IN (SELECT id FROM events)",
	    "0");
}

/* A claim waits busy_timeout for another writer, then fails and leaves the rows as they were. */
static void
test_claim_busy(void **state)
{
	struct fixture *fx = *state;
	struct store_job job;
	struct tu_locker l;
	int64_t t0;
	bool found;

	add(fx, "gh", "e", "pending", NOW, -1);
	/* Held well past busy_timeout (300 ms), so the claim gives up while it is. */
	tu_lock_for(&l, fx->db, 800);
	t0 = clock_mono_us();
	assert_int_equal(store_claim(fx->st, ALL, NALL, "w", NOW, LEASE, &job, &found), -1);
	assert_false(found);
	assert_true(clock_mono_us() - t0 >= 250000);
	assert_true(store_locked(fx->st));
	/* SQLite's "database is locked"; PostgreSQL's lock_timeout, "... due to lock timeout". */
	assert_non_null(strstr(store_error(fx->st), fx->pg ? "lock timeout" : "locked"));
	pthread_join(l.thread, NULL);
	assert_query(fx, "SELECT status || attempts FROM deliveries", "pending0");
	claim_expect(fx, "w", NOW, "e", NULL);
}

/*
 * A version 1 database (the receiver's first release) migrates and keeps its
 * rows. SQLite's only: PostgreSQL's schema begins at migration 6
 * (sql/schema_pg.sql), so no PostgreSQL store was ever at version 1.
 */
static void
test_migrate_from_1(void **state)
{
	struct fixture *fx = *state;
	const char *m2 = strstr(store_schema_sql, "\n-- migration 2:");
	char *v1, *old, *cause = NULL, want[16];
	struct store *st;
	struct store_unrouted *ev;
	size_t n;

	if (fx->pg)
		skip();
	assert_non_null(m2);
	old = tu_path(fx->dir, "v1.db");
	v1 = strndup(store_schema_sql, (size_t)(m2 - store_schema_sql));
	tu_exec(old, v1);
	tu_exec(old, "PRAGMA user_version = 1; INSERT INTO events (source, event_id, received_at,"
	    " headers, body) VALUES ('gh', 'kept', 5, '{}', 'b');"
	    "INSERT INTO events (source, event_id, received_at, headers, body, status, attempts,"
	    " finished_at) VALUES ('gh', 'was-done', 6, '{}', 'b', 'done', 1, 7)");
	st = store_open(old, &OPTS, &cause);
	if (st == NULL)
		fail_msg("%s", cause);
	store_close(st);
	/* Opened again: once migrated, it stays so. */
	store_close(fx->st);
	fx->st = store_open(old, &OPTS, &cause);
	assert_non_null(fx->st);
	snprintf(want, sizeof(want), "%d", store_schema_version());
	tu_assert_query(old, "PRAGMA user_version", want);
	/* Never tried: unrouted, to be routed by the configuration. Done: a done delivery. */
	assert_int_equal(store_unrouted(fx->st, "gh", 10, &ev, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].id, 1);
	store_unrouted_free(ev, n);
	tu_assert_rows(old, "SELECT id || ':' || event || ':' || route || ':' || status || ':' ||"
	    " attempts || ':' || finished_at FROM deliveries ORDER BY id", " ", "2:2:gh:done:1:7");
	claim_expect(fx, "w", NOW, NULL, NULL);
	free(v1);
	free(old);
}

/* The views an operator reads at the prompt, over deliveries the worker's results wrote. */
static void
test_views(void **state)
{
	struct fixture *fx = *state;
	int64_t now = clock_wall_ms();
	struct store_job job;
	bool applied;
	char sql[1024], dt[256];

	/* Three gh events that arrived an hour ago, one st event now. */
	add(fx, "gh", "a", "pending", 0, -1);
	add(fx, "gh", "b", "pending", 0, -1);
	add(fx, "gh", "c", "pending", 0, -1);
	add(fx, "st", "d", "pending", 0, -1);
	snprintf(sql, sizeof(sql), "UPDATE events SET received_at = CASE event_id WHEN 'a' THEN %lld"
	    " WHEN 'b' THEN %lld WHEN 'c' THEN %lld ELSE %lld END", (long long)(now - 3600000),
	    (long long)(now - 3500000), (long long)(now - 3400000), (long long)now);
	exec(fx, sql);
	claim_expect(fx, "w", now, "a", &job);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_DEAD, now, 0, "exit status 3\nboom",
	    &applied), 0);
	store_job_free(&job);
	claim_expect(fx, "w", now, "d", NULL);
	exec(fx, "UPDATE deliveries SET status = 'pending', lease_until = NULL WHERE event = 4");
	claim_expect(fx, "w", now, "b", &job);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_RETRY, now, now + 60000, "exit status 1",
	    &applied), 0);
	store_job_free(&job);
	claim_routes(fx, ALL, 1, "w", now, "c", &job);
	assert_int_equal(store_finish(fx->st, &job, "w", STORE_DONE, now, 0, NULL, &applied), 0);
	store_job_free(&job);
	/* An old failure: not recent. */
	snprintf(sql, sizeof(sql), "UPDATE deliveries SET failed_at = %lld, last_error = 'old'"
	    " WHERE event = 4", (long long)(now - 2 * 86400000LL));
	exec(fx, sql);

	/* Rows in each view's order; comparisons CAST to print 0/1 on both back ends. */
	assert_rows(fx, "SELECT source || ':' || route || ':' || status || ':' || deliveries"
	    " FROM queue_summary", "gh:gh:dead:1 gh:gh:done:1 gh:gh:pending:1 st:st:pending:1");
	assert_query(fx, "SELECT CAST(oldest_age_s BETWEEN 3595 AND 3700 AS INTEGER)"
	    " FROM queue_summary WHERE source = 'gh' AND status = 'dead'", "1");
	assert_query(fx, "SELECT CAST(oldest_age_s BETWEEN 0 AND 60 AS INTEGER)"
	    " FROM queue_summary WHERE source = 'st'", "1");
	snprintf(sql, sizeof(sql), "SELECT CAST(oldest_received = %s AS INTEGER) FROM queue_summary"
	    " WHERE source = 'gh' AND status = 'pending'", datetime_sql(fx, dt, sizeof(dt),
	    "(SELECT received_at FROM events WHERE event_id = 'b')"));
	assert_query(fx, sql, "1");
	/* One row: the dead one. */
	assert_rows(fx, "SELECT route || ':' || event_id || ':' || attempts || ':' ||"
	    " last_error FROM dead_letters", "gh:a:1:exit status 3\nboom");
	snprintf(sql, sizeof(sql), "SELECT CAST(died = %s AS INTEGER) FROM dead_letters",
	    datetime_sql(fx, dt, sizeof(dt),
	    "(SELECT finished_at FROM deliveries WHERE event = 1)"));
	assert_query(fx, sql, "1");
	assert_rows(fx, "SELECT event_id || ':' || route || ':' || status || ':' ||"
	    " CAST(next_attempt IS NOT NULL AS INTEGER) FROM recent_failures",
	    "b:gh:pending:1 a:gh:dead:0");
	snprintf(sql, sizeof(sql), "SELECT CAST(next_attempt = %s AS INTEGER) FROM recent_failures"
	    " WHERE event_id = 'b'", datetime_sql(fx, dt, sizeof(dt),
	    "(SELECT next_attempt_at FROM deliveries WHERE event = 2)"));
	assert_query(fx, sql, "1");
	/* Due: d (pending since 0); b waits a minute; an expired lease would be due too. */
	assert_rows(fx, "SELECT event_id || ':' || route || ':' || status FROM deliveries_due",
	    "d:st:pending");
}

/* The write probe that health checks use. */
static void
test_probe(void **state)
{
	struct fixture *fx = *state;
	struct tu_locker l;

	add(fx, "gh", "a", "pending", 300, -1);
	assert_int_equal(store_probe_write(fx->st, clock_mono_us() + 200000), 0);
	/* Past the probe's wait: 200 ms, or busy_timeout's 300 on PostgreSQL (no deadline there). */
	tu_lock_for(&l, fx->db, 800);
	assert_int_equal(store_probe_write(fx->st, clock_mono_us() + 200000), -1);
	pthread_join(l.thread, NULL);
	assert_int_equal(store_probe_write(fx->st, clock_mono_us() + 200000), 0);
	assert_query(fx, "SELECT count(*) FROM events", "1");
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
		TEST(test_claim_turns),
		TEST(test_claim_expired_lease),
		TEST(test_claim_routes),
		TEST(test_route_event),
		TEST(test_finish_guard),
		TEST(test_finish_results),
		TEST(test_concurrency),
		TEST(test_rate),
		TEST(test_order),
		TEST(test_next_due),
		TEST(test_prune),
		TEST(test_claim_busy),
		TEST(test_migrate_from_1),
		TEST(test_views),
		TEST(test_probe),
		cmocka_unit_test(test_retry_delay),
		cmocka_unit_test(test_retry_jitter),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
