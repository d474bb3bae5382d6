/*
 * store_sqlite_admin.c: the queue's reads and writes for operators (the hookq
 * command, the metrics page), and the backup. Operators name deliveries
 * (a route's work on an event, schema migration 5) by their id; an event
 * that has none yet, or that no route took, is listed as an event alone.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_sql.h"
#include "store_sqlite.h"
#include "util.h"

/* ---- the hookq command ------------------------------------------------------ */

const char *const store_statuses[STORE_NSTATUSES] = {
	"held", "pending", "running", "done", "dead"
};
const char *const store_event_statuses[STORE_NEVENT_STATUSES] = { "unrouted", "unmatched" };

/* queue_summary's grouping, with received_at kept in ms. */
static const char COUNTS_SQL[] =
    "SELECT source, route, status, count(*), min(received_at)"
    "  FROM (SELECT e.source, d.route, d.status, e.received_at"
    "          FROM deliveries AS d JOIN events AS e ON e.id = d.event"
    "        UNION ALL"
    "        SELECT source, NULL, CASE WHEN routed_at IS NULL THEN 'unrouted'"
    "               ELSE 'unmatched' END, received_at"
    "          FROM events WHERE routed_at IS NULL OR routes = 0)"
    " GROUP BY source, route, status ORDER BY source, route, status";

int
sqlite_store_counts(struct sqlite_store *st, struct store_count **rows, size_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*rows = NULL;
	*n = 0;
	store_arm(st);
	if (sqlite3_prepare_v2(st->db, COUNTS_SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "counting the queue");
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_count *c;

		*rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
		c = &(*rows)[(*n)++];
		c->source = store_column_strdup(s, 0);
		c->route = store_column_strdup(s, 1);
		c->status = store_column_strdup(s, 2);
		c->count = sqlite3_column_int64(s, 3);
		c->oldest_received = sqlite3_column_int64(s, 4);
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
		free(rows[i].route);
		free(rows[i].status);
	}
	free(rows);
}

/* route_stats in key order: one pass over the WITHOUT ROWID table's b-tree. */
static const char ROUTE_STATS_SQL[] =
    "SELECT route, series, value FROM route_stats ORDER BY route, series";

int
sqlite_store_route_stats(struct sqlite_store *st, struct store_route_stat **rows, size_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*rows = NULL;
	*n = 0;
	store_arm(st);
	if (sqlite3_prepare_v2(st->db, ROUTE_STATS_SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "reading the route metrics");
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_route_stat *r;

		*rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
		r = &(*rows)[(*n)++];
		r->route = store_column_strdup(s, 0);
		r->series = store_column_strdup(s, 1);
		r->value = sqlite3_column_int64(s, 2);
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, "reading the route metrics");
		sqlite3_finalize(s);
		store_route_stats_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

void
store_route_stats_free(struct store_route_stat *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].route);
		free(rows[i].series);
	}
	free(rows);
}

/* Fills row from ROW_COLUMNS or EVENT_COLUMNS (the first ROW_NCOLUMNS columns of s). */
static void
row_read(sqlite3_stmt *s, struct store_row *row)
{
	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(s, 0);
	row->event = sqlite3_column_int64(s, 1);
	row->route = store_column_strdup(s, 2);
	row->source = store_column_strdup(s, 3);
	row->event_id = store_column_strdup(s, 4);
	row->event_type = store_column_strdup(s, 5);
	row->status = store_column_strdup(s, 6);
	row->attempts = sqlite3_column_int(s, 7);
	row->received_at = sqlite3_column_int64(s, 8);
	row->next_attempt_at = sqlite3_column_int64(s, 9);
	row->lease_until = sqlite3_column_int64(s, 10);
	row->finished_at = sqlite3_column_int64(s, 11);
	row->failed_at = sqlite3_column_int64(s, 12);
	row->claimed_by = store_column_strdup(s, 13);
	row->last_error = store_column_strdup(s, 14);
	row->created_at = sqlite3_column_int64(s, 15);
	row->order_key = store_column_strdup(s, 16);
	row->replay_of = sqlite3_column_int64(s, 17);
	row->routed_at = sqlite3_column_int64(s, 18);
	row->routes = sqlite3_column_int(s, 19);
}

/* The headers and body columns after the row's (the event's own). */
static void
row_read_content(sqlite3_stmt *s, struct store_row *row)
{
	const void *body = sqlite3_column_blob(s, ROW_NCOLUMNS + 1);

	row->headers = store_column_strdup(s, ROW_NCOLUMNS);
	row->body_len = (size_t)sqlite3_column_bytes(s, ROW_NCOLUMNS + 1);
	row->body = xmalloc(row->body_len + 1);
	if (row->body_len > 0)
		memcpy(row->body, body, row->body_len);
	((char *)row->body)[row->body_len] = '\0';
}

void
store_row_free(struct store_row *row)
{
	free(row->route);
	free(row->source);
	free(row->event_id);
	free(row->event_type);
	free(row->status);
	free(row->claimed_by);
	free(row->last_error);
	free(row->order_key);
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
rows_read(struct sqlite_store *st, sqlite3_stmt *s, const char *what, struct store_row **rows,
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

/*
 * ?1 source, ?2 route, ?3 status (NULL: any), ?4 limit. Deliveries by id
 * from the newest: the primary key's order, each event found by its id.
 */
static const char LIST_SQL[] =
    "SELECT " ROW_COLUMNS ROW_FROM
    " WHERE (?1 IS NULL OR e.source = ?1) AND (?2 IS NULL OR d.route = ?2)"
    " AND (?3 IS NULL OR d.status = ?3) ORDER BY d.id DESC LIMIT ?4";
/* ?1 source, ?2 route (no event alone has one), ?3 'unrouted' or 'unmatched', ?4 limit. */
static const char LIST_EVENTS_SQL[] =
    "SELECT " EVENT_COLUMNS " FROM events AS e"
    " WHERE (?1 IS NULL OR e.source = ?1) AND ?2 IS NULL"
    " AND (CASE ?3 WHEN 'unrouted' THEN e.routed_at IS NULL"
    "  ELSE e.routed_at IS NOT NULL AND e.routes = 0 END)"
    " ORDER BY e.id DESC LIMIT ?4";

int
sqlite_store_list(struct sqlite_store *st, const char *source, const char *route,
    const char *status, int limit, struct store_row **rows, size_t *n)
{
	bool events = status != NULL && (strcmp(status, "unrouted") == 0 ||
	    strcmp(status, "unmatched") == 0);
	sqlite3_stmt *s;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, events ? LIST_EVENTS_SQL : LIST_SQL, -1, &s, NULL) !=
	    SQLITE_OK) {
		store_fail(st, "listing deliveries");
		return -1;
	}
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, route, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, limit);
	return rows_read(st, s, "listing deliveries", rows, n);
}

/* Steps s, a read of one row with its content; *found says whether there was one. */
static int
row_get(struct sqlite_store *st, sqlite3_stmt *s, const char *what, struct store_row *row,
    bool *found)
{
	int rc;

	store_arm(st);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		row_read(s, row);
		row_read_content(s, row);
		*found = true;
	} else if (rc != SQLITE_DONE)
		store_fail(st, what);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
sqlite_store_get(struct sqlite_store *st, int64_t id, struct store_row *row, bool *found)
{
	static const char SQL[] =
	    "SELECT " ROW_COLUMNS ", e.headers, e.body" ROW_FROM " WHERE d.id = ?1";
	sqlite3_stmt *s;

	memset(row, 0, sizeof(*row));
	*found = false;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "reading a delivery");
		return -1;
	}
	sqlite3_bind_int64(s, 1, id);
	return row_get(st, s, "reading a delivery", row, found);
}

int
sqlite_store_get_event(struct sqlite_store *st, int64_t id, struct store_row *row,
    struct store_row **rows, size_t *n, bool *found)
{
	static const char SQL[] =
	    "SELECT " EVENT_COLUMNS ", e.headers, e.body FROM events AS e WHERE e.id = ?1";
	static const char DELIVERIES_SQL[] =
	    "SELECT " ROW_COLUMNS ROW_FROM " WHERE d.event = ?1 ORDER BY d.id";
	sqlite3_stmt *s;

	memset(row, 0, sizeof(*row));
	*rows = NULL;
	*n = 0;
	*found = false;
	/* One read transaction: the deliveries are the event's as read. */
	if (store_exec(st, "BEGIN", "reading an event") != 0)
		return -1;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "reading an event");
		goto fail;
	}
	sqlite3_bind_int64(s, 1, id);
	if (row_get(st, s, "reading an event", row, found) != 0)
		goto fail;
	if (*found) {
		if (sqlite3_prepare_v2(st->db, DELIVERIES_SQL, -1, &s, NULL) != SQLITE_OK) {
			store_fail(st, "reading an event's deliveries");
			goto fail;
		}
		sqlite3_bind_int64(s, 1, id);
		if (rows_read(st, s, "reading an event's deliveries", rows, n) != 0)
			goto fail;
	}
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	store_row_free(row);
	*found = false;
	return -1;
}

/*
 * ?1 id, ?2 now, ?3 done too. Held when another delivery of its key is
 * pending or running: the exact status term of deliveries_order is
 * repeated so that the partial index serves the probe.
 */
static const char REQUEUE_SQL[] =
    "UPDATE deliveries AS r SET status = CASE WHEN r.order_key IS NOT NULL AND EXISTS (SELECT 1"
    "  FROM deliveries AS o INDEXED BY deliveries_order WHERE o.route = r.route"
    "  AND o.order_key = r.order_key AND o.status IN ('held', 'pending', 'running')"
    "  AND o.status <> 'held' AND o.id <> r.id) THEN 'held' ELSE 'pending' END,"
    " attempts = 0, next_attempt_at = ?2, finished_at = NULL, failed_at = NULL,"
    " last_error = NULL, lease_until = NULL, claimed_by = NULL"
    " WHERE r.id = ?1 AND (r.status = 'dead' OR (?3 AND r.status = 'done'))"
    " RETURNING status";
static const char REQUEUE_FIND_SQL[] =
    "SELECT d.status, d.event, d.route, e.source, e.event_id" ROW_FROM " WHERE d.id = ?1";
/* ?1 source, ?2 route: the dead deliveries hookq requeue --dead puts back, oldest first. */
static const char REQUEUE_DEAD_SQL[] =
    "SELECT d.id" ROW_FROM " WHERE d.status = 'dead' AND (?1 IS NULL OR e.source = ?1)"
    " AND (?2 IS NULL OR d.route = ?2) ORDER BY d.id";

void
store_requeued_clear(struct store_requeued *r)
{
	free(r->route);
	free(r->source);
	free(r->event_id);
	r->route = r->source = r->event_id = NULL;
}

void
store_requeued_free(struct store_requeued *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_requeued_clear(&rows[i]);
	free(rows);
}

/* REQUEUE_FIND_SQL's row into the struct store_requeued at arg. */
static int
requeue_found(struct sqlite_store *st, sqlite3_stmt *s, void *arg)
{
	struct store_requeued *r = arg;
	const unsigned char *was = sqlite3_column_text(s, 0);

	(void)st;
	snprintf(r->was, sizeof(r->was), "%s", was != NULL ? (const char *)was : "");
	r->event = sqlite3_column_int64(s, 1);
	r->route = store_column_strdup(s, 2);
	r->source = store_column_strdup(s, 3);
	r->event_id = store_column_strdup(s, 4);
	return 0;
}

/* REQUEUE_SQL's RETURNING: the status the delivery became. */
static int
requeue_now(struct sqlite_store *st, sqlite3_stmt *s, void *arg)
{
	struct store_requeued *r = arg;
	const unsigned char *now = sqlite3_column_text(s, 0);

	(void)st;
	snprintf(r->now, sizeof(r->now), "%s", now != NULL ? (const char *)now : "");
	return 0;
}

/* One delivery's requeue inside the caller's transaction, with find and upd prepared. */
static int
requeue_one(struct sqlite_store *st, sqlite3_stmt *find, sqlite3_stmt *upd, int64_t id, int64_t now,
    bool done_too, struct store_requeued *r)
{
	memset(r, 0, sizeof(*r));
	r->id = id;
	sqlite3_bind_int64(find, 1, id);
	if (store_write(st, find, "reading a delivery", requeue_found, r) != 0)
		return -1;
	if (strcmp(r->was, "dead") != 0 && !(done_too && strcmp(r->was, "done") == 0))
		return 0;
	sqlite3_bind_int64(upd, 1, id);
	sqlite3_bind_int64(upd, 2, now);
	sqlite3_bind_int(upd, 3, done_too);
	return store_write(st, upd, "requeueing", requeue_now, r);
}

int
sqlite_store_requeue(struct sqlite_store *st, int64_t id, int64_t now, bool done_too,
    struct store_requeued *r)
{
	sqlite3_stmt *find = NULL, *upd = NULL;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->id = id;
	if (sqlite3_prepare_v2(st->db, REQUEUE_FIND_SQL, -1, &find, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, REQUEUE_SQL, -1, &upd, NULL) != SQLITE_OK) {
		store_fail(st, "preparing a requeue");
		goto out;
	}
	/* One transaction: the status read is the one the update is decided on. */
	if (store_begin_write(st) != 0)
		goto out;
	if (requeue_one(st, find, upd, id, now, done_too, r) != 0 || sqlite_store_commit(st) != 0) {
		sqlite_store_rollback(st);
		store_requeued_clear(r);
		r->now[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(find);
	sqlite3_finalize(upd);
	return rc;
}

/* Collects the ids of a statement's first column. */
struct ids {
	int64_t *v;
	size_t n;
};

/* Appends the row's first column to the struct ids at arg. */
static int
ids_row(struct sqlite_store *st, sqlite3_stmt *s, void *arg)
{
	struct ids *ids = arg;

	(void)st;
	ids->v = xreallocarray(ids->v, ids->n + 1, sizeof(*ids->v));
	ids->v[ids->n++] = sqlite3_column_int64(s, 0);
	return 0;
}

int
sqlite_store_requeue_dead(struct sqlite_store *st, const char *source, const char *route,
    int64_t now, struct store_requeued **rows, size_t *n)
{
	sqlite3_stmt *sel = NULL, *find = NULL, *upd = NULL;
	struct ids ids = { NULL, 0 };
	struct store_requeued *r = NULL;
	size_t i;
	int rc = -1;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, REQUEUE_DEAD_SQL, -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, REQUEUE_FIND_SQL, -1, &find, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, REQUEUE_SQL, -1, &upd, NULL) != SQLITE_OK) {
		store_fail(st, "preparing a requeue");
		goto out;
	}
	if (store_begin_write(st) != 0)
		goto out;
	sqlite3_bind_text(sel, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(sel, 2, route, -1, SQLITE_STATIC);
	if (store_write(st, sel, "finding dead deliveries", ids_row, &ids) != 0)
		goto fail;
	/*
	 * One at a time, oldest first: each sees the ones before it, so of two
	 * dead deliveries of a key the first is pending and the second held.
	 */
	r = xcalloc(ids.n + 1, sizeof(*r));
	for (i = 0; i < ids.n; i++)
		if (requeue_one(st, find, upd, ids.v[i], now, false, &r[i]) != 0)
			goto fail;
	if (sqlite_store_commit(st) != 0)
		goto fail;
	*rows = r;
	*n = ids.n;
	r = NULL;
	rc = 0;
	goto out;
fail:
	sqlite_store_rollback(st);
out:
	if (r != NULL)
		store_requeued_free(r, ids.n + 1);
	free(ids.v);
	sqlite3_finalize(sel);
	sqlite3_finalize(find);
	sqlite3_finalize(upd);
	return rc;
}

/*
 * ?1 source, ?2 route, ?3 event_type, ?4 since, ?5 until, ?6 status (NULL:
 * done and dead): the deliveries hookq replay repeats, oldest first.
 */
static const char REPLAY_SELECT_SQL[] =
    "SELECT d.id" ROW_FROM
    " WHERE (?1 IS NULL OR e.source = ?1) AND (?2 IS NULL OR d.route = ?2)"
    " AND (?3 IS NULL OR e.event_type = ?3) AND (?4 IS NULL OR e.received_at >= ?4)"
    " AND (?5 IS NULL OR e.received_at < ?5)"
    " AND (CASE WHEN ?6 IS NULL THEN d.status IN ('done', 'dead') ELSE d.status = ?6 END)"
    " ORDER BY d.id";
/* ?1 the delivery repeated, ?2 now; held as ROUTE_INSERT_SQL (store.c) holds a new one. */
static const char REPLAY_INSERT_SQL[] =
    "INSERT INTO deliveries (event, route, status, next_attempt_at, created_at, order_key,"
    " replay_of)"
    " SELECT d.event, d.route, CASE WHEN d.order_key IS NOT NULL AND EXISTS (SELECT 1"
    "  FROM deliveries AS o INDEXED BY deliveries_order WHERE o.route = d.route"
    "  AND o.order_key = d.order_key AND o.status IN ('held', 'pending', 'running'))"
    "  THEN 'held' ELSE 'pending' END, ?2, ?2, d.order_key, d.id"
    " FROM deliveries AS d WHERE d.id = ?1";

/* Binds v, or NULL when v is NULL (no condition). */
static void
bind_opt_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Binds v, or NULL when v is 0 (no condition). */
static void
bind_opt_int64(sqlite3_stmt *s, int i, int64_t v)
{
	if (v != 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

int
sqlite_store_replay(struct sqlite_store *st, const struct store_replay *f, int64_t now,
    bool dry_run, int64_t *count)
{
	sqlite3_stmt *sel = NULL, *ins = NULL;
	struct ids ids = { NULL, 0 };
	size_t i;
	int rc = -1;

	*count = 0;
	if (sqlite3_prepare_v2(st->db, REPLAY_SELECT_SQL, -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, REPLAY_INSERT_SQL, -1, &ins, NULL) != SQLITE_OK) {
		store_fail(st, "preparing a replay");
		goto out;
	}
	store_arm(st);
	/* A dry run reads only (a read-only store can count). */
	if (store_exec(st, dry_run ? "BEGIN" : "BEGIN IMMEDIATE",
	    dry_run ? "reading deliveries" : "waiting for the write lock") != 0)
		goto out;
	bind_opt_text(sel, 1, f->source);
	bind_opt_text(sel, 2, f->route);
	bind_opt_text(sel, 3, f->event_type);
	bind_opt_int64(sel, 4, f->since);
	bind_opt_int64(sel, 5, f->until);
	bind_opt_text(sel, 6, f->status);
	if (store_write(st, sel, "finding deliveries to replay", ids_row, &ids) != 0)
		goto fail;
	/* One at a time, oldest first: a replay is held behind the replays of its key before it. */
	for (i = 0; !dry_run && i < ids.n; i++) {
		sqlite3_bind_int64(ins, 1, ids.v[i]);
		sqlite3_bind_int64(ins, 2, now);
		if (store_write(st, ins, "replaying", NULL, NULL) != 0)
			goto fail;
	}
	if (sqlite_store_commit(st) != 0)
		goto fail;
	*count = (int64_t)ids.n;
	rc = 0;
	goto out;
fail:
	sqlite_store_rollback(st);
out:
	free(ids.v);
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	return rc;
}

/* ?1 before, ?2 status, ?3 limit: the deliveries purged, and their events. */
static const char PURGE_SQL[] =
    "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries INDEXED BY deliveries_finished"
    " WHERE finished_at IS NOT NULL AND finished_at < ?1 AND status = ?2 LIMIT ?3)"
    " RETURNING event";
/* ?1 an event of a delivery purged: gone when routing gave it deliveries and none is left. */
static const char PURGE_EVENT_SQL[] =
    "DELETE FROM events WHERE id = ?1 AND routes > 0 AND NOT EXISTS (SELECT 1"
    " FROM deliveries INDEXED BY deliveries_event WHERE event = ?1)";
/* ?1 before, ?2 limit: events no route took, routed before. */
static const char PURGE_UNMATCHED_SQL[] =
    "DELETE FROM events WHERE id IN (SELECT id FROM events INDEXED BY events_routed"
    " WHERE routed_at IS NOT NULL AND routed_at < ?1 AND routes = 0 LIMIT ?2)";

int
sqlite_store_purge(struct sqlite_store *st, const char *status, int64_t before, int limit,
    int *deliveries, int *events)
{
	sqlite3_stmt *del = NULL, *ev = NULL, *unm = NULL;
	struct ids ids = { NULL, 0 };
	size_t i;
	int rc = -1;

	*deliveries = *events = 0;
	if (sqlite3_prepare_v2(st->db, PURGE_SQL, -1, &del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, PURGE_EVENT_SQL, -1, &ev, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, PURGE_UNMATCHED_SQL, -1, &unm, NULL) != SQLITE_OK) {
		store_fail(st, "preparing a purge");
		goto out;
	}
	if (store_begin_write(st) != 0)
		goto out;
	sqlite3_bind_int64(del, 1, before);
	sqlite3_bind_text(del, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(del, 3, limit);
	if (store_write(st, del, "purging deliveries", ids_row, &ids) != 0)
		goto fail;
	*deliveries = (int)ids.n;
	for (i = 0; i < ids.n; i++) {
		sqlite3_bind_int64(ev, 1, ids.v[i]);
		if (store_write(st, ev, "purging events", NULL, NULL) != 0)
			goto fail;
		*events += sqlite3_changes(st->db);
	}
	/* The unmatched ones once the deliveries are through: a scan of the old routed events. */
	if (strcmp(status, "done") == 0 && ids.n < (size_t)limit) {
		sqlite3_bind_int64(unm, 1, before);
		sqlite3_bind_int(unm, 2, limit);
		if (store_write(st, unm, "purging unmatched events", NULL, NULL) != 0)
			goto fail;
		*events += sqlite3_changes(st->db);
	}
	if (sqlite_store_commit(st) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	sqlite_store_rollback(st);
	*deliveries = *events = 0;
out:
	free(ids.v);
	sqlite3_finalize(del);
	sqlite3_finalize(ev);
	sqlite3_finalize(unm);
	return rc;
}

int
sqlite_store_last_received(struct sqlite_store *st, struct store_row **rows, size_t *n)
{
	static const char SQL[] =
	    "SELECT " EVENT_COLUMNS " FROM events AS e"
	    " WHERE e.id IN (SELECT max(id) FROM events GROUP BY source) ORDER BY e.source";
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
sqlite_store_backup(struct sqlite_store *st, const char *path, int64_t *events, int *version)
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

/* ---- hookq migrate-to ------------------------------------------------------------------ */

int
sqlite_store_export_begin(struct sqlite_store *st)
{
	store_arm(st);
	/* BEGIN alone takes no snapshot: the first read does, and holds it to the end. */
	if (store_exec(st, "BEGIN", "reading the database") != 0 ||
	    store_exec(st, "SELECT count(*) FROM sqlite_schema", "reading the database") != 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void
sqlite_store_export_end(struct sqlite_store *st)
{
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
}

int
sqlite_store_export(struct sqlite_store *st, const struct store_table *t,
    int (*row)(void *arg, const struct store_value *), void *arg)
{
	struct store_value *v = xcalloc(t->ncolumns, sizeof(*v));
	sqlite3_stmt *s = NULL;
	size_t len = 64, i;
	char *sql;
	int rc;

	for (i = 0; i < t->ncolumns; i++)
		len += strlen(t->columns[i]) + 2;
	sql = xmalloc(len + strlen(t->name) + strlen(t->columns[0]));
	len = (size_t)sprintf(sql, "SELECT ");
	for (i = 0; i < t->ncolumns; i++)
		len += (size_t)sprintf(sql + len, "%s%s", i > 0 ? ", " : "", t->columns[i]);
	sprintf(sql + len, " FROM %s ORDER BY %s", t->name, t->columns[0]);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "reading a table");
		free(sql);
		free(v);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < t->ncolumns; i++) {
			bool blob = t->blob != NULL && strcmp(t->columns[i], t->blob) == 0;

			v[i].bytes = blob;
			if (sqlite3_column_type(s, (int)i) == SQLITE_NULL)
				v[i].p = NULL;
			else if (blob)
				/* An empty body is a value, not NULL: "" for a blob of no bytes. */
				v[i].p = sqlite3_column_bytes(s, (int)i) > 0 ?
				    sqlite3_column_blob(s, (int)i) : "";
			else
				v[i].p = (const char *)sqlite3_column_text(s, (int)i);
			v[i].len = (size_t)sqlite3_column_bytes(s, (int)i);
		}
		if (row(arg, v) != 0) {
			rc = SQLITE_ABORT;
			break;
		}
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ABORT)
		store_fail(st, "reading a table");
	sqlite3_finalize(s);
	free(sql);
	free(v);
	return rc == SQLITE_DONE ? 0 : -1;
}
