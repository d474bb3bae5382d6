/*
 * store_sql.h: SQL text both back ends' operator reads share, word for
 * word (store_sqlite_admin.c, store_pg_admin.c): the columns of a row as
 * hookq list and show read it.
 */
#ifndef HOOKQ_STORE_SQL_H
#define HOOKQ_STORE_SQL_H

/*
 * A row's columns, in the order each back end's row_read() reads them: a
 * delivery with its event (FROM deliveries AS d JOIN events AS e), or an
 * event alone (FROM events AS e), whose delivery columns are NULL.
 */
#define ROW_COLUMNS "d.id, d.event, d.route, e.source, e.event_id, e.event_type, d.status," \
    " d.attempts, e.received_at, d.next_attempt_at, d.lease_until, d.finished_at, d.failed_at," \
    " d.claimed_by, d.last_error, d.created_at, d.order_key, d.replay_of, e.routed_at, e.routes"
#define ROW_FROM " FROM deliveries AS d JOIN events AS e ON e.id = d.event"
#define EVENT_STATUS "CASE WHEN e.routed_at IS NULL THEN 'unrouted'" \
    " WHEN e.routes = 0 THEN 'unmatched' ELSE 'routed' END"
#define EVENT_COLUMNS "NULL, e.id, NULL, e.source, e.event_id, e.event_type, " EVENT_STATUS "," \
    " 0, e.received_at, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, e.routed_at," \
    " e.routes"
#define ROW_NCOLUMNS 20

#endif
