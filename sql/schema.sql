-- hookq queue schema: the one source of truth.
--
-- The file is an ordered list of migrations. Each starts with a line
-- "-- migration N: what it does". hookq-receiver (and every later program)
-- applies, in order and each in its own transaction, the migrations whose N is
-- above the database's PRAGMA user_version, then sets user_version to N. A fresh
-- database therefore gets all of them; never edit a migration that has shipped,
-- add a new one below it.
--
-- Times are integers: milliseconds since the Unix epoch (UTC). At the sqlite3
-- prompt: SELECT datetime(received_at / 1000, 'unixepoch') FROM events;

-- migration 1: the events queue
CREATE TABLE events (
	id              INTEGER PRIMARY KEY,
	source          TEXT    NOT NULL,          -- the [source NAME] it arrived on
	event_id        TEXT    NOT NULL,          -- the sender's delivery id, or sha256:<hex of body>
	event_type      TEXT,                      -- NULL when the sender gives none
	received_at     INTEGER NOT NULL,          -- ms since epoch
	headers         TEXT    NOT NULL CHECK (json_valid(headers)),  -- request headers, names lowercased
	body            BLOB    NOT NULL,          -- the exact bytes received
	status          TEXT    NOT NULL DEFAULT 'pending'
	                CHECK (status IN ('pending', 'running', 'done', 'dead')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL DEFAULT 0, -- ms since epoch; due when <= now
	lease_until     INTEGER,                   -- ms since epoch, while running
	last_error      TEXT,
	finished_at     INTEGER,                   -- ms since epoch, when done or dead
	UNIQUE (source, event_id)
);
-- The worker claims the oldest due row of a status.
CREATE INDEX events_due ON events (status, next_attempt_at, id);

-- migration 2: worker claims
-- claimed_by names the worker process that holds a running row's lease
-- ("host:pid:random"). Each later change to the row is guarded by id, claimed_by
-- and attempts, so a worker whose lease ran out cannot overwrite a newer result.
ALTER TABLE events ADD COLUMN claimed_by TEXT;
-- A claim seeks the oldest due row of each source the worker has a handler
-- for, so pending rows of other sources (no handler yet) cost it nothing.
DROP INDEX events_due;
CREATE INDEX events_due ON events (status, source, next_attempt_at, id);
-- Expired leases are found without scanning pending rows.
CREATE INDEX events_lease ON events (lease_until) WHERE status = 'running';
-- Finished rows by age, for pruning done rows and purging dead ones.
CREATE INDEX events_finished ON events (finished_at) WHERE finished_at IS NOT NULL;

-- migration 3: views for the sqlite3 prompt
-- failed_at: when the last run failed (ms since epoch); last_error says how.
ALTER TABLE events ADD COLUMN failed_at INTEGER;
CREATE INDEX events_failed ON events (failed_at) WHERE failed_at IS NOT NULL;

-- Per source and status: how many, and the oldest of them (times in UTC).
-- oldest_age_s is how long the oldest one has waited since it arrived.
CREATE VIEW queue_summary AS
SELECT source, status, count(*) AS events,
       datetime(min(received_at) / 1000, 'unixepoch') AS oldest_received,
       CAST((CAST(strftime('%s', 'now') AS INTEGER) * 1000 - min(received_at)) / 1000
            AS INTEGER) AS oldest_age_s
  FROM events GROUP BY source, status ORDER BY source, status;

-- Events that failed max_attempts times; requeue one with
-- UPDATE events SET status = 'pending', attempts = 0, next_attempt_at = 0,
--   finished_at = NULL, last_error = NULL WHERE id = N AND status = 'dead';
CREATE VIEW dead_letters AS
SELECT id, source, event_id, event_type, attempts,
       datetime(received_at / 1000, 'unixepoch') AS received,
       datetime(finished_at / 1000, 'unixepoch') AS died,
       last_error
  FROM events WHERE status = 'dead' ORDER BY finished_at DESC, id DESC;

-- Runs that failed in the last 24 hours, newest first, with what happens next.
CREATE VIEW recent_failures AS
SELECT id, source, event_id, status, attempts,
       datetime(failed_at / 1000, 'unixepoch') AS failed,
       CASE status WHEN 'pending' THEN datetime(next_attempt_at / 1000, 'unixepoch') END
            AS next_attempt,
       last_error
  FROM events
 WHERE failed_at IS NOT NULL
   AND failed_at >= (CAST(strftime('%s', 'now') AS INTEGER) - 86400) * 1000
 ORDER BY failed_at DESC, id DESC;

-- migration 4: refusing replayed bodies (dedup = body)
-- body_sha256: "sha256:<hex>" of the body, kept only for the rows of sources
-- with dedup = body; NULL for every other row. Such a source answers a body it
-- stored less than its dedup_window ago as a duplicate, which catches a
-- captured request replayed under a fresh delivery id (the signature of most
-- senders does not cover that header).
ALTER TABLE events ADD COLUMN body_sha256 TEXT;
-- The receiver's probe before each insert of such a source: one seek, in an
-- index holding only the rows that have a hash, so other sources' inserts
-- skip it and their rows cost it no space.
CREATE INDEX events_body ON events (source, body_sha256, received_at)
	WHERE body_sha256 IS NOT NULL;

-- migration 5: routes and deliveries
-- An event is what the sender sent; a delivery is one route's work on it.
-- The worker routes each stored event once: in one transaction it inserts a
-- delivery for every route that takes the event and sets routed_at and
-- routes (how many it made; 0: no route took it). An event whose source has
-- no route yet stays unrouted (routed_at NULL) until one is configured.
CREATE TABLE deliveries (
	id              INTEGER PRIMARY KEY,
	event           INTEGER NOT NULL,          -- events.id
	route           TEXT    NOT NULL,          -- the [route NAME], or the source's own handler's
	-- held: an ordered route's delivery waiting for an earlier one of its key
	status          TEXT    NOT NULL DEFAULT 'pending'
	                CHECK (status IN ('held', 'pending', 'running', 'done', 'dead')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL DEFAULT 0, -- ms since epoch; due when <= now
	lease_until     INTEGER,                   -- ms since epoch, while running
	claimed_by      TEXT,                      -- the worker holding the lease
	last_error      TEXT,
	finished_at     INTEGER,                   -- ms since epoch, when done or dead
	failed_at       INTEGER,                   -- ms since epoch, of the last failed run
	created_at      INTEGER NOT NULL,          -- ms since epoch
	order_key       TEXT,                      -- ordered routes: the key; NULL: unordered
	replay_of       INTEGER                    -- hookq replay: the delivery this one repeats
);
-- A claim seeks the oldest due delivery of each route the worker runs.
CREATE INDEX deliveries_pending ON deliveries (status, route, next_attempt_at, id);
-- Expired leases, and how many of a route run now (its concurrency).
CREATE INDEX deliveries_lease ON deliveries (route, lease_until) WHERE status = 'running';
CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX deliveries_failed ON deliveries (failed_at) WHERE failed_at IS NOT NULL;
CREATE INDEX deliveries_event ON deliveries (event);
-- An ordered route's open deliveries per key: at most one is pending or
-- running, the others held, and the next one held is released when it ends.
CREATE INDEX deliveries_order ON deliveries (route, order_key, id)
	WHERE order_key IS NOT NULL AND status IN ('held', 'pending', 'running');

-- Token buckets of routes with a rate, shared by every worker.
CREATE TABLE route_state (
	route       TEXT PRIMARY KEY,
	tokens      REAL    NOT NULL,
	refilled_at INTEGER NOT NULL               -- ms since epoch
) WITHOUT ROWID;

-- The state each row had moves to a delivery on the route named after its
-- source (the source's handler, as before routes), under the row's own id,
-- so ids operators wrote down still name the same work. A row pending and
-- never tried (no attempt, no error: not even one released when a worker
-- stopped) has no state to keep: it stays unrouted and is routed by the
-- configuration the worker runs.
INSERT INTO deliveries (id, event, route, status, attempts, next_attempt_at, lease_until,
	claimed_by, last_error, finished_at, failed_at, created_at)
SELECT id, id, source, status, attempts, next_attempt_at, lease_until, claimed_by,
	last_error, finished_at, failed_at, received_at
  FROM events WHERE NOT (status = 'pending' AND attempts = 0 AND last_error IS NULL);

-- events keeps what the sender sent, and whether it has been routed: rebuilt
-- without the delivery columns (SQLite's twelve-step way, ids kept).
DROP VIEW queue_summary;
DROP VIEW dead_letters;
DROP VIEW recent_failures;
CREATE TABLE events_v5 (
	id              INTEGER PRIMARY KEY,
	source          TEXT    NOT NULL,          -- the [source NAME] it arrived on
	event_id        TEXT    NOT NULL,          -- the sender's delivery id, or sha256:<hex of body>
	event_type      TEXT,                      -- NULL when the sender gives none
	received_at     INTEGER NOT NULL,          -- ms since epoch
	headers         TEXT    NOT NULL CHECK (json_valid(headers)),  -- request headers, names lowercased
	body            BLOB    NOT NULL,          -- the exact bytes received
	body_sha256     TEXT,                      -- dedup = body sources only (migration 4)
	routed_at       INTEGER,                   -- ms since epoch; NULL: not routed yet
	routes          INTEGER,                   -- deliveries made; 0: no route took it
	UNIQUE (source, event_id)
);
INSERT INTO events_v5 (id, source, event_id, event_type, received_at, headers, body,
	body_sha256, routed_at, routes)
SELECT id, source, event_id, event_type, received_at, headers, body, body_sha256,
	CASE WHEN status = 'pending' AND attempts = 0 AND last_error IS NULL
	     THEN NULL ELSE received_at END,
	CASE WHEN status = 'pending' AND attempts = 0 AND last_error IS NULL THEN NULL ELSE 1 END
  FROM events;
DROP TABLE events;
ALTER TABLE events_v5 RENAME TO events;
CREATE INDEX events_body ON events (source, body_sha256, received_at)
	WHERE body_sha256 IS NOT NULL;

-- The worker finds the events to route; an event leaves this index once routed.
CREATE INDEX events_unrouted ON events (source, id) WHERE routed_at IS NULL;
-- Routed events by age, for pruning those whose deliveries have all finished.
CREATE INDEX events_routed ON events (routed_at) WHERE routed_at IS NOT NULL;

-- Deleting an event (pruning, purging, an operator's DELETE) deletes its deliveries.
CREATE TRIGGER events_deliveries AFTER DELETE ON events
BEGIN
	DELETE FROM deliveries WHERE event = old.id;
END;

-- Deliveries with their events, for reading at the prompt.
CREATE VIEW delivery_events AS
SELECT d.id, d.event, e.source, d.route, e.event_id, e.event_type, d.status, d.attempts,
       e.received_at, d.next_attempt_at, d.lease_until, d.claimed_by, d.last_error,
       d.finished_at, d.failed_at, d.created_at, d.order_key, d.replay_of
  FROM deliveries AS d JOIN events AS e ON e.id = d.event;

-- Per route and status: how many deliveries, and the oldest event among them;
-- events not routed yet (route NULL, status 'unrouted') and those no route
-- took (status 'unmatched') by source. oldest_age_s: how long the oldest has
-- waited since it arrived.
CREATE VIEW queue_summary AS
SELECT source, route, status, count(*) AS deliveries,
       datetime(min(received_at) / 1000, 'unixepoch') AS oldest_received,
       CAST((CAST(strftime('%s', 'now') AS INTEGER) * 1000 - min(received_at)) / 1000
            AS INTEGER) AS oldest_age_s
  FROM (SELECT e.source, d.route, d.status, e.received_at
          FROM deliveries AS d JOIN events AS e ON e.id = d.event
        UNION ALL
        SELECT source, NULL, CASE WHEN routed_at IS NULL THEN 'unrouted' ELSE 'unmatched' END,
               received_at
          FROM events WHERE routed_at IS NULL OR routes = 0)
 GROUP BY source, route, status ORDER BY source, route, status;

-- Deliveries that are due now or were due already: what the workers owe.
CREATE VIEW deliveries_due AS
SELECT d.id, d.route, e.source, e.event_id, e.event_type, d.status, d.attempts,
       datetime(d.next_attempt_at / 1000, 'unixepoch') AS due,
       CAST((CAST(strftime('%s', 'now') AS INTEGER) * 1000 - e.received_at) / 1000
            AS INTEGER) AS age_s
  FROM deliveries AS d JOIN events AS e ON e.id = d.event
 WHERE (d.status = 'pending'
        AND d.next_attempt_at <= CAST(strftime('%s', 'now') AS INTEGER) * 1000)
    OR (d.status = 'running'
        AND d.lease_until <= CAST(strftime('%s', 'now') AS INTEGER) * 1000)
 ORDER BY d.next_attempt_at, d.id;

-- Deliveries that failed max_attempts times; requeue one with
-- UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = 0,
--   finished_at = NULL, last_error = NULL WHERE id = N AND status = 'dead';
-- (on a route with order, use hookq requeue, which holds it behind its key's open one)
CREATE VIEW dead_letters AS
SELECT d.id, d.route, e.source, e.event_id, e.event_type, d.attempts,
       datetime(e.received_at / 1000, 'unixepoch') AS received,
       datetime(d.finished_at / 1000, 'unixepoch') AS died,
       d.last_error
  FROM deliveries AS d JOIN events AS e ON e.id = d.event
 WHERE d.status = 'dead' ORDER BY d.finished_at DESC, d.id DESC;

-- Runs that failed in the last 24 hours, newest first, with what happens next.
CREATE VIEW recent_failures AS
SELECT d.id, d.route, e.source, e.event_id, d.status, d.attempts,
       datetime(d.failed_at / 1000, 'unixepoch') AS failed,
       CASE d.status WHEN 'pending' THEN datetime(d.next_attempt_at / 1000, 'unixepoch') END
            AS next_attempt,
       d.last_error
  FROM deliveries AS d JOIN events AS e ON e.id = d.event
 WHERE d.failed_at IS NOT NULL
   AND d.failed_at >= (CAST(strftime('%s', 'now') AS INTEGER) - 86400) * 1000
 ORDER BY d.failed_at DESC, d.id DESC;

-- migration 6: delivery metrics per route
-- Counters the workers add to after each attempt, in the transaction that
-- records its result, so every worker's attempts count once and survive
-- restarts; hookq-receiver's /metrics reads them (the worker serves no
-- HTTP). One row per (route, series), WITHOUT ROWID so that a worker's
-- UPSERT is one seek in one b-tree; a route's rows are adjacent, read in
-- key order by a scrape. Narrow rows rather than a column per series: a
-- bucket bound or a result class added later is a new series name, not a
-- migration. Series:
--   2xx, 3xx, 4xx, 5xx, error  attempts of url routes by HTTP status class;
--                              error: no HTTP response (refused, timed out, TLS)
--   ok, failed                 attempts of command (handler) routes
--   le_<us>                    attempts that took more than the next lower
--                              bound and at most <us> microseconds (the bounds
--                              of hookq_request_duration_seconds); not
--                              cumulative: each attempt adds to one bucket, or
--                              none past the last bound (the scrape sums them,
--                              and its +Inf bucket is count)
--   sum_us, count              the attempts' total duration (µs) and number
-- Nothing deletes rows: like any Prometheus counter they only grow; an
-- operator may DELETE a removed route's rows (a counter reset to Prometheus).
CREATE TABLE route_stats (
	route  TEXT    NOT NULL,                   -- the route's name
	series TEXT    NOT NULL,
	value  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (route, series)
) WITHOUT ROWID;
