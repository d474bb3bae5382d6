#!/bin/bash
# upgrade.sh: a version-1 database (made from sql/schema.sql's first
# migration alone, rows stored the way version 1 stored them) is migrated
# by the new hookq-receiver at start with no event lost: user_version is the
# latest, every row keeps its columns and status, a new signed event lands
# through nginx, and the worker then runs the old pending row and the new one.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

new_secret gh
ok_handler > /dev/null
write_config <<EOF
[source gh]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/ok.sh
EOF

# Version 1: the first "-- migration N:" section only, and user_version 1.
awk '/^-- migration 1:/ { on = 1 } /^-- migration 2:/ { exit } on { print }' \
	"$top_srcdir/sql/schema.sql" > "$T/v1.sql"
grep -q 'CREATE TABLE events' "$T/v1.sql" || bail "no migration 1 in sql/schema.sql"
! grep -q 'claimed_by' "$T/v1.sql" || bail "migration 1 is not version 1 alone"
sqlite3 -batch "$DB" < "$T/v1.sql" || bail "cannot apply migration 1"
sqlite3 -batch "$DB" "PRAGMA user_version = 1;
INSERT INTO events (source, event_id, event_type, received_at, headers, body, status, attempts,
	next_attempt_at, lease_until, last_error, finished_at) VALUES
	('gh', 'v1-pending', 'push', 1700000000000, '{\"x-github-event\":\"push\"}', x'7b7d', 'pending', 0,
		1700000000000, NULL, NULL, NULL),
	('gh', 'v1-retry', 'push', 1700000000001, '{}', x'7b2261223a317d', 'pending', 2,
		1700000600000, NULL, 'exit status 1', NULL),
	('gh', 'v1-done', 'issues', 1700000000002, '{}', x'00ff01', 'done', 1,
		1700000000002, NULL, NULL, 1700000001000),
	('gh', 'v1-dead', NULL, 1700000000003, '{}', x'', 'dead', 10,
		1700000000003, NULL, 'exit status 3', 1700000002000),
	('old', 'v1-other', 'ping', 1700000000004, '{}', x'01', 'pending', 0,
		1700000000004, NULL, NULL, NULL);" || bail "cannot seed the version-1 rows"
COLS="id, source, event_id, quote(event_type), received_at, headers, hex(body), status, attempts,
	next_attempt_at, quote(lease_until), quote(last_error), quote(finished_at)"
sql "SELECT $COLS FROM events ORDER BY id" > "$T/before.rows"
[ "$(wc -l < "$T/before.rows")" = 5 ] || bail "seeding: not 5 rows"

case_start
want "the database is at version 1" 1 "$(sql 'PRAGMA user_version')"
start_receiver
# The receiver's socket may be up a moment before the migration commits.
want "the receiver migrated it to the latest version" "$SCHEMA_VERSION" \
	"$(wait_sql 'PRAGMA user_version' "$SCHEMA_VERSION")"
sql "SELECT $COLS FROM events ORDER BY id" > "$T/after.rows"
want "every version-1 row, every column as it was" "$(cat "$T/before.rows")" "$(cat "$T/after.rows")"
want "the new columns are empty on old rows" "5 5 5" \
	"$(sql "SELECT count(*) FILTER (WHERE claimed_by IS NULL) || ' ' ||
		count(*) FILTER (WHERE failed_at IS NULL) || ' ' ||
		count(*) FILTER (WHERE body_sha256 IS NULL) FROM events")"
want "integrity_check" ok "$(sql 'PRAGMA integrity_check')"
want "the views of later migrations exist" 3 \
	"$(sql "SELECT count(*) FROM sqlite_master WHERE type = 'view'
		AND name IN ('queue_summary', 'dead_letters', 'recent_failures')")"
case_end "hookq-receiver migrates a version-1 database at start, every row and column kept"

case_start
start_nginx
b=$(body new.json '{"zen":"Half measures are as bad as nothing at all.","hook_id":2}')
want "a new signed event: 200" 200 "$(post_github gh "$b" new-1 push)"
want "the new event is stored" "pending|push" \
	"$(sql "SELECT status, event_type FROM events WHERE event_id = 'new-1'")"
want "a version-1 event id again is a duplicate" 200 "$(post_github gh "$b" v1-done push)"
want "the duplicate made no row, the old row kept" "1|done" \
	"$(sql "SELECT count(*), max(status) FROM events WHERE event_id = 'v1-done'")"
want "six rows" 6 "$(sql 'SELECT count(*) FROM events')"
case_end "after the upgrade a new signed event lands through nginx; an old event id stays a duplicate"

case_start
start_worker
want "the old pending row runs" done "$(wait_sql "SELECT status FROM events WHERE event_id = 'v1-pending'" done)"
want "the new row runs" done "$(wait_sql "SELECT status FROM events WHERE event_id = 'new-1'" done)"
want "done and dead rows of version 1 untouched" "done 1 dead 10" \
	"$(sql "SELECT group_concat(status || ' ' || attempts, ' ') FROM
		(SELECT status, attempts FROM events WHERE event_id IN ('v1-done', 'v1-dead') ORDER BY id)")"
want "the row of an unconfigured source waits" pending \
	"$(sql "SELECT status FROM events WHERE event_id = 'v1-other'")"
stop_worker
want "the worker stopped cleanly" 0 "$WORKER_RC"
case_end "the worker runs version-1 pending rows and new rows after the upgrade"

done_testing
