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
