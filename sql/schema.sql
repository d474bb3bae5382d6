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
