/*
 * store_pg_admin.c: the queue's reads and writes for operators on PostgreSQL
 * (store.c dispatches to it): store_sqlite_admin.c's, statement for
 * statement where PostgreSQL allows, on the shared helpers of store_pg.h.
 * Operators name deliveries by their id; an event that has none yet, or
 * that no route took, is listed as an event alone. Text is ordered
 * COLLATE "C", so that rows come in the bytewise order SQLite gives them
 * whatever the database's collation. The backup is SQLite's alone.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "store_sql.h"
#include "util.h"

/* ---- the hookq command ------------------------------------------------------ */

/* queue_summary's grouping, with received_at kept in ms; route NULL first, as SQLite sorts. */
static const char COUNTS_SQL[] =
    "SELECT source, route, status, count(*), min(received_at)"
    "  FROM (SELECT e.source, d.route, d.status, e.received_at"
    "          FROM deliveries AS d JOIN events AS e ON e.id = d.event"
    "        UNION ALL"
    "        SELECT source, NULL, CASE WHEN routed_at IS NULL THEN 'unrouted'"
    "               ELSE 'unmatched' END, received_at"
    "          FROM events WHERE routed_at IS NULL OR routes = 0) AS q"
    " GROUP BY source, route, status"
    " ORDER BY source COLLATE \"C\", route COLLATE \"C\" NULLS FIRST, status COLLATE \"C\"";

int
pg_store_counts(struct pg_store *st, struct store_count **rows, size_t *n)
{
	PGresult *res;
	int i, nt;

	*rows = NULL;
	*n = 0;
	if ((res = pg_query(st, "counting the queue", COUNTS_SQL, 0, NULL)) == NULL)
		return -1;
	nt = PQntuples(res);
	if (nt > 0)
		*rows = xcalloc((size_t)nt, sizeof(**rows));
	for (i = 0; i < nt; i++) {
		struct store_count *c = &(*rows)[i];

		c->source = pg_strdup(res, i, 0);
		c->route = pg_strdup(res, i, 1);
		c->status = pg_strdup(res, i, 2);
		c->count = pg_column_int64(res, i, 3);
		c->oldest_received = pg_column_int64(res, i, 4);
	}
	*n = (size_t)nt;
	PQclear(res);
	return 0;
}

/* route_stats by route, then series, bytewise (the scrape's order, strcmp()'s). */
static const char ROUTE_STATS_SQL[] =
    "SELECT route, series, value FROM route_stats"
    " ORDER BY route COLLATE \"C\", series COLLATE \"C\"";

int
pg_store_route_stats(struct pg_store *st, struct store_route_stat **rows, size_t *n)
{
	PGresult *res;
	int i, nt;

	*rows = NULL;
	*n = 0;
	if ((res = pg_query(st, "reading the route metrics", ROUTE_STATS_SQL, 0, NULL)) == NULL)
		return -1;
	nt = PQntuples(res);
	if (nt > 0)
		*rows = xcalloc((size_t)nt, sizeof(**rows));
	for (i = 0; i < nt; i++) {
		struct store_route_stat *r = &(*rows)[i];

		r->route = pg_strdup(res, i, 0);
		r->series = pg_strdup(res, i, 1);
		r->value = pg_column_int64(res, i, 2);
	}
	*n = (size_t)nt;
	PQclear(res);
	return 0;
}

/* Fills row from row i of res, ROW_COLUMNS or EVENT_COLUMNS (its first ROW_NCOLUMNS columns). */
static void
row_read(const PGresult *res, int i, struct store_row *row)
{
	memset(row, 0, sizeof(*row));
	row->id = pg_column_int64(res, i, 0);
	row->event = pg_column_int64(res, i, 1);
	row->route = pg_strdup(res, i, 2);
	row->source = pg_strdup(res, i, 3);
	row->event_id = pg_strdup(res, i, 4);
	row->event_type = pg_strdup(res, i, 5);
	row->status = pg_strdup(res, i, 6);
	row->attempts = (int)pg_column_int64(res, i, 7);
	row->received_at = pg_column_int64(res, i, 8);
	row->next_attempt_at = pg_column_int64(res, i, 9);
	row->lease_until = pg_column_int64(res, i, 10);
	row->finished_at = pg_column_int64(res, i, 11);
	row->failed_at = pg_column_int64(res, i, 12);
	row->claimed_by = pg_strdup(res, i, 13);
	row->last_error = pg_strdup(res, i, 14);
	row->created_at = pg_column_int64(res, i, 15);
	row->order_key = pg_strdup(res, i, 16);
	row->replay_of = pg_column_int64(res, i, 17);
	row->routed_at = pg_column_int64(res, i, 18);
	row->routes = (int)pg_column_int64(res, i, 19);
}

/* The headers and body columns after the row's (the event's own). */
static void
row_read_content(const PGresult *res, int i, struct store_row *row)
{
	row->headers = pg_strdup(res, i, ROW_NCOLUMNS);
	row->body = pg_bytea(res, i, ROW_NCOLUMNS + 1, &row->body_len);
}

/* Rows from (ROW_COLUMNS) of res to the last into *rows (NULL when none), n of them. */
static void
rows_read(const PGresult *res, int from, struct store_row **rows, size_t *n)
{
	int i, nt = PQntuples(res);

	*rows = NULL;
	*n = 0;
	if (nt <= from)
		return;
	*rows = xcalloc((size_t)(nt - from), sizeof(**rows));
	for (i = from; i < nt; i++)
		row_read(res, i, &(*rows)[(*n)++]);
}

/*
 * $1 source, $2 route, $3 status (NULL: any), $4 limit. Deliveries by id
 * from the newest: the primary key's order, each event found by its id.
 */
static const char LIST_SQL[] =
    "SELECT " ROW_COLUMNS ROW_FROM
    " WHERE ($1::text IS NULL OR e.source = $1) AND ($2::text IS NULL OR d.route = $2)"
    " AND ($3::text IS NULL OR d.status = $3) ORDER BY d.id DESC LIMIT $4::bigint";
/* $1 source, $2 route (no event alone has one), $3 'unrouted' or 'unmatched', $4 limit. */
static const char LIST_EVENTS_SQL[] =
    "SELECT " EVENT_COLUMNS " FROM events AS e"
    " WHERE ($1::text IS NULL OR e.source = $1) AND $2::text IS NULL"
    " AND (CASE $3::text WHEN 'unrouted' THEN e.routed_at IS NULL"
    "  ELSE e.routed_at IS NOT NULL AND e.routes = 0 END)"
    " ORDER BY e.id DESC LIMIT $4::bigint";

int
pg_store_list(struct pg_store *st, const char *source, const char *route,
    const char *status, int limit, struct store_row **rows, size_t *n)
{
	bool events = status != NULL && (strcmp(status, "unrouted") == 0 ||
	    strcmp(status, "unmatched") == 0);
	char lb[24];
	const char *const p[] = { source, route, status, pg_i64(lb, limit) };
	PGresult *res;

	*rows = NULL;
	*n = 0;
	res = pg_query(st, "listing deliveries", events ? LIST_EVENTS_SQL : LIST_SQL,
	    (int)nitems(p), p);
	if (res == NULL)
		return -1;
	rows_read(res, 0, rows, n);
	PQclear(res);
	return 0;
}

int
pg_store_get(struct pg_store *st, int64_t id, struct store_row *row, bool *found)
{
	static const char SQL[] =
	    "SELECT " ROW_COLUMNS ", e.headers, e.body" ROW_FROM " WHERE d.id = $1::bigint";
	char ib[24];
	const char *const p[] = { pg_i64(ib, id) };
	PGresult *res;

	memset(row, 0, sizeof(*row));
	*found = false;
	if ((res = pg_query(st, "reading a delivery", SQL, (int)nitems(p), p)) == NULL)
		return -1;
	if (PQntuples(res) > 0) {
		row_read(res, 0, row);
		row_read_content(res, 0, row);
		*found = true;
	}
	PQclear(res);
	return 0;
}

/*
 * $1 the event: its row with headers and body, then its deliveries by id
 * (the event's row is the one whose delivery id is NULL). One statement is
 * one snapshot, so the deliveries are the event's as read, with no
 * transaction to open (nor to leave open inside the caller's).
 */
static const char GET_EVENT_SQL[] =
    "SELECT " EVENT_COLUMNS ", e.headers, e.body FROM events AS e WHERE e.id = $1::bigint"
    " UNION ALL"
    " SELECT " ROW_COLUMNS ", NULL, NULL" ROW_FROM " WHERE d.event = $1::bigint"
    " ORDER BY 1 NULLS FIRST";

int
pg_store_get_event(struct pg_store *st, int64_t id, struct store_row *row,
    struct store_row **rows, size_t *n, bool *found)
{
	char ib[24];
	const char *const p[] = { pg_i64(ib, id) };
	PGresult *res;

	memset(row, 0, sizeof(*row));
	*rows = NULL;
	*n = 0;
	*found = false;
	res = pg_query(st, "reading an event", GET_EVENT_SQL, (int)nitems(p), p);
	if (res == NULL)
		return -1;
	/* No event, no deliveries: the foreign key sees to it. */
	if (PQntuples(res) > 0) {
		row_read(res, 0, row);
		row_read_content(res, 0, row);
		rows_read(res, 1, rows, n);
		*found = true;
	}
	PQclear(res);
	return 0;
}

/*
 * $1 id, $2 now, $3 done too. Held when another delivery of its key is
 * pending or running: the exact status term of deliveries_order is
 * repeated so that the partial index serves the probe. Decided after
 * PG_ORDER_LOCK_SQL, so the probe sees every commit of the key's holders.
 */
static const char REQUEUE_SQL[] =
    "UPDATE deliveries AS r SET status = CASE WHEN r.order_key IS NOT NULL AND EXISTS (SELECT 1"
    "  FROM deliveries AS o WHERE o.route = r.route"
    "  AND o.order_key = r.order_key AND o.status IN ('held', 'pending', 'running')"
    "  AND o.status <> 'held' AND o.id <> r.id) THEN 'held' ELSE 'pending' END,"
    " attempts = 0, next_attempt_at = $2::bigint, finished_at = NULL, failed_at = NULL,"
    " last_error = NULL, lease_until = NULL, claimed_by = NULL"
    " WHERE r.id = $1::bigint AND (r.status = 'dead' OR ($3::boolean AND r.status = 'done'))"
    " RETURNING r.status";
/*
 * $1 id: the delivery, its row locked until the transaction ends, so that
 * the status decided on is the current one (a worker or another operator
 * changing it waits for us, or we for them).
 */
static const char REQUEUE_FIND_SQL[] =
    "SELECT d.status, d.event, d.route, e.source, e.event_id, d.order_key" ROW_FROM
    " WHERE d.id = $1::bigint FOR UPDATE OF d";
/* $1 source, $2 route: the dead deliveries hookq requeue --dead puts back, oldest first. */
static const char REQUEUE_DEAD_SQL[] =
    "SELECT d.id" ROW_FROM " WHERE d.status = 'dead' AND ($1::text IS NULL OR e.source = $1)"
    " AND ($2::text IS NULL OR d.route = $2) ORDER BY d.id";

/* One delivery's requeue inside the transaction the caller has begun. */
static int
requeue_one(struct pg_store *st, int64_t id, int64_t now, bool done_too,
    struct store_requeued *r)
{
	char ib[24], nb[24];
	const char *const p[] = { pg_i64(ib, id), pg_i64(nb, now), done_too ? "t" : "f" };
	PGresult *found, *res;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->id = id;
	if ((found = pg_query(st, "reading a delivery", REQUEUE_FIND_SQL, 1, p)) == NULL)
		return -1;
	if (PQntuples(found) == 0) {
		PQclear(found);
		return 0;
	}
	snprintf(r->was, sizeof(r->was), "%s", PQgetvalue(found, 0, 0));
	r->event = pg_column_int64(found, 0, 1);
	r->route = pg_strdup(found, 0, 2);
	r->source = pg_strdup(found, 0, 3);
	r->event_id = pg_strdup(found, 0, 4);
	if (strcmp(r->was, "dead") != 0 && !(done_too && strcmp(r->was, "done") == 0)) {
		rc = 0;
		goto out;
	}
	if (!PQgetisnull(found, 0, 5) && pg_order_lock(st, r->route, PQgetvalue(found, 0, 5)) != 0)
		goto out;
	if ((res = pg_query(st, "requeueing", REQUEUE_SQL, (int)nitems(p), p)) == NULL)
		goto out;
	if (PQntuples(res) > 0)
		snprintf(r->now, sizeof(r->now), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	rc = 0;
out:
	PQclear(found);
	return rc;
}

int
pg_store_requeue(struct pg_store *st, int64_t id, int64_t now, bool done_too,
    struct store_requeued *r)
{
	bool own;
	int rc;

	memset(r, 0, sizeof(*r));
	r->id = id;
	/* One transaction: the status read (and locked) is the one the update is decided on. */
	if (pg_own_begin(st, &own) != 0)
		return -1;
	rc = requeue_one(st, id, now, done_too, r);
	if (pg_own_end(st, own, rc) != 0 || rc != 0) {
		store_requeued_clear(r);
		memset(r, 0, sizeof(*r));
		r->id = id;
		return -1;
	}
	return 0;
}

int
pg_store_requeue_dead(struct pg_store *st, const char *source, const char *route,
    int64_t now, struct store_requeued **rows, size_t *n)
{
	const char *const p[] = { source, route };
	struct store_requeued *r = NULL;
	PGresult *sel;
	size_t nr = 0;
	bool own;
	int i, rc = -1;

	*rows = NULL;
	*n = 0;
	if (pg_own_begin(st, &own) != 0)
		return -1;
	sel = pg_query(st, "finding dead deliveries", REQUEUE_DEAD_SQL, (int)nitems(p), p);
	if (sel == NULL)
		goto out;
	nr = (size_t)PQntuples(sel);
	/*
	 * One at a time, oldest first: each sees the ones before it, so of two
	 * dead deliveries of a key the first is pending and the second held.
	 */
	r = xcalloc(nr + 1, sizeof(*r));
	for (i = 0; i < (int)nr; i++)
		if (requeue_one(st, pg_column_int64(sel, i, 0), now, false, &r[i]) != 0)
			goto out;
	rc = 0;
out:
	PQclear(sel);
	if (pg_own_end(st, own, rc) != 0 || rc != 0) {
		if (r != NULL)
			store_requeued_free(r, nr + 1);
		return -1;
	}
	*rows = r;
	*n = nr;
	return 0;
}

/*
 * $1 source, $2 route, $3 event_type, $4 since, $5 until, $6 status (NULL:
 * done and dead): the deliveries hookq replay repeats, oldest first, with
 * the route and key the order lock is taken on.
 */
static const char REPLAY_SELECT_SQL[] =
    "SELECT d.id, d.route, d.order_key" ROW_FROM
    " WHERE ($1::text IS NULL OR e.source = $1) AND ($2::text IS NULL OR d.route = $2)"
    " AND ($3::text IS NULL OR e.event_type = $3)"
    " AND ($4::bigint IS NULL OR e.received_at >= $4)"
    " AND ($5::bigint IS NULL OR e.received_at < $5)"
    " AND (CASE WHEN $6::text IS NULL THEN d.status IN ('done', 'dead') ELSE d.status = $6 END)"
    " ORDER BY d.id";
/* $1 the delivery repeated, $2 now; held as a new delivery of an ordered route is held. */
static const char REPLAY_INSERT_SQL[] =
    "INSERT INTO deliveries (event, route, status, next_attempt_at, created_at, order_key,"
    " replay_of)"
    " SELECT d.event, d.route, CASE WHEN d.order_key IS NOT NULL AND EXISTS (SELECT 1"
    "  FROM deliveries AS o WHERE o.route = d.route"
    "  AND o.order_key = d.order_key AND o.status IN ('held', 'pending', 'running'))"
    "  THEN 'held' ELSE 'pending' END, $2::bigint, $2::bigint, d.order_key, d.id"
    " FROM deliveries AS d WHERE d.id = $1::bigint";

int
pg_store_replay(struct pg_store *st, const struct store_replay *f, int64_t now,
    bool dry_run, int64_t *count)
{
	char sb[24], ub[24], nb[24];
	const char *const p[] = {
		f->source, f->route, f->event_type,
		f->since != 0 ? pg_i64(sb, f->since) : NULL,
		f->until != 0 ? pg_i64(ub, f->until) : NULL,
		f->status
	};
	PGresult *sel, *res;
	int64_t made = 0;
	bool own;
	int i, rc = -1;

	*count = 0;
	/* A dry run reads only, one statement (a read-only user can count). */
	if (dry_run) {
		sel = pg_query(st, "reading deliveries", REPLAY_SELECT_SQL, (int)nitems(p), p);
		if (sel == NULL)
			return -1;
		*count = PQntuples(sel);
		PQclear(sel);
		return 0;
	}
	if (pg_own_begin(st, &own) != 0)
		return -1;
	sel = pg_query(st, "finding deliveries to replay", REPLAY_SELECT_SQL, (int)nitems(p), p);
	if (sel == NULL)
		goto out;
	pg_i64(nb, now);
	/* One at a time, oldest first: a replay is held behind the replays of its key before it. */
	for (i = 0; i < PQntuples(sel); i++) {
		const char *const ip[] = { PQgetvalue(sel, i, 0), nb };

		if (!PQgetisnull(sel, i, 2) &&
		    pg_order_lock(st, PQgetvalue(sel, i, 1), PQgetvalue(sel, i, 2)) != 0)
			goto out;
		res = pg_query(st, "replaying", REPLAY_INSERT_SQL, (int)nitems(ip), ip);
		if (res == NULL)
			goto out;
		/* Counted as made: a delivery purged since the select is not repeated. */
		made += pg_changes(res);
		PQclear(res);
	}
	rc = 0;
out:
	PQclear(sel);
	if (pg_own_end(st, own, rc) != 0 || rc != 0)
		return -1;
	*count = made;
	return 0;
}

/*
 * $1 before, $2 status, $3 limit: the deliveries purged, and their events.
 * The outer terms are checked again on a row another transaction changed
 * while we waited for it (one requeued: no longer ours to delete).
 */
static const char PURGE_SQL[] =
    "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries"
    " WHERE finished_at IS NOT NULL AND finished_at < $1::bigint AND status = $2::text"
    " LIMIT $3::bigint) AND finished_at < $1::bigint AND status = $2::text"
    " RETURNING event";
/*
 * $1 the events of the deliveries purged, an array: each gone when routing
 * gave it deliveries and none is left. One statement for them all, not one
 * round trip per event.
 */
static const char PURGE_EVENTS_SQL[] =
    "DELETE FROM events AS e WHERE e.id = ANY ($1::bigint[]) AND e.routes > 0"
    " AND NOT EXISTS (SELECT 1 FROM deliveries AS d WHERE d.event = e.id)";
/* $1 before, $2 limit: events no route took, routed before (none has a delivery to cascade). */
static const char PURGE_UNMATCHED_SQL[] =
    "DELETE FROM events WHERE id IN (SELECT id FROM events"
    " WHERE routed_at IS NOT NULL AND routed_at < $1::bigint AND routes = 0 LIMIT $2::bigint)";

/* Column 0 of every row of res (integers, never NULL) as an array literal: "{1,2,3}". */
static char *
id_array(const PGresult *res)
{
	int i, nt = PQntuples(res);
	size_t len = 3, off = 0;
	char *s;

	for (i = 0; i < nt; i++)
		len += (size_t)PQgetlength(res, i, 0) + 1;
	s = xmalloc(len);
	s[off++] = '{';
	for (i = 0; i < nt; i++) {
		size_t l = (size_t)PQgetlength(res, i, 0);

		if (i > 0)
			s[off++] = ',';
		memcpy(s + off, PQgetvalue(res, i, 0), l);
		off += l;
	}
	s[off++] = '}';
	s[off] = '\0';
	return s;
}

int
pg_store_purge(struct pg_store *st, const char *status, int64_t before, int limit,
    int *deliveries, int *events)
{
	char bb[24], lb[24];
	const char *const p[] = { pg_i64(bb, before), status, pg_i64(lb, limit) };
	const char *const up[] = { p[0], p[2] };
	const char *ep[1];
	PGresult *res;
	char *ids = NULL;
	bool own;
	int rc = -1, nd = 0, ne = 0;

	*deliveries = *events = 0;
	if (pg_own_begin(st, &own) != 0)
		return -1;
	if ((res = pg_query(st, "purging deliveries", PURGE_SQL, (int)nitems(p), p)) == NULL)
		goto out;
	nd = PQntuples(res);
	if (nd > 0)
		ids = id_array(res);
	PQclear(res);
	res = NULL;
	/* Deleting these cascades to nothing: NOT EXISTS keeps events left without a delivery. */
	if (ids != NULL) {
		ep[0] = ids;
		res = pg_query(st, "purging events", PURGE_EVENTS_SQL, (int)nitems(ep), ep);
		if (res == NULL)
			goto out;
		ne += (int)pg_changes(res);
		PQclear(res);
		res = NULL;
	}
	/* The unmatched ones once the deliveries are through: a scan of the old routed events. */
	if (strcmp(status, "done") == 0 && nd < limit) {
		res = pg_query(st, "purging unmatched events", PURGE_UNMATCHED_SQL,
		    (int)nitems(up), up);
		if (res == NULL)
			goto out;
		ne += (int)pg_changes(res);
	}
	rc = 0;
out:
	PQclear(res);
	free(ids);
	if (pg_own_end(st, own, rc) != 0 || rc != 0)
		return -1;
	*deliveries = nd;
	*events = ne;
	return 0;
}

int
pg_store_last_received(struct pg_store *st, struct store_row **rows, size_t *n)
{
	static const char SQL[] =
	    "SELECT " EVENT_COLUMNS " FROM events AS e"
	    " WHERE e.id IN (SELECT max(id) FROM events GROUP BY source)"
	    " ORDER BY e.source COLLATE \"C\"";
	PGresult *res;

	*rows = NULL;
	*n = 0;
	if ((res = pg_query(st, "reading the last events", SQL, 0, NULL)) == NULL)
		return -1;
	rows_read(res, 0, rows, n);
	PQclear(res);
	return 0;
}
