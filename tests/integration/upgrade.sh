#!/bin/bash
# upgrade.sh: older databases are migrated with no event lost and no work
# done twice.
#
# 1. A version-1 database (made from sql/schema.sql's first migration alone,
#    rows stored the way version 1 stored them) is migrated by the new
#    hookq-receiver at start: user_version is the latest, every row keeps
#    its event columns, the state of each row that has one moves to a
#    delivery of the same id, a new signed event lands through nginx, and
#    the worker then runs the old pending row and the new one.
# 2. A database written by the previous release ($PREV_RELEASE, built here
#    from git into the test's folder): its own receiver and worker leave
#    events in every state (never tried, retrying with attempts 2 and a
#    next_attempt_at an hour away, running under a live lease of a killed
#    worker, done, dead with its last_error). The new receiver migrates it
#    and the new worker runs on it: done stays done and dead stays dead
#    (never run again: the handler records every run), the retrying one
#    keeps its attempts and next_attempt_at, the running one its lease, the
#    never-tried one is routed and delivered exactly once; delivery ids are
#    the old row ids; the views read.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

# The release before schema 5 (routes and deliveries): the commit whose
# binaries write the database part 2 upgrades.
PREV_RELEASE=6656343

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
# What the sender sent (stays in events), and each row's state (moves to its delivery).
EVENT_COLS="id, source, event_id, quote(event_type), received_at, headers, hex(body)"
STATE_COLS="id, status, attempts, next_attempt_at, quote(lease_until), quote(last_error), quote(finished_at)"
sql "SELECT $EVENT_COLS FROM events ORDER BY id" > "$T/before.events"
sql "SELECT $STATE_COLS, source FROM events WHERE NOT (status = 'pending' AND attempts = 0)
	ORDER BY id" > "$T/before.state"
sql "SELECT id FROM events WHERE status = 'pending' AND attempts = 0 ORDER BY id" > "$T/before.untried"
[ "$(wc -l < "$T/before.events")" = 5 ] || bail "seeding: not 5 rows"

# The views schema 5 reads through.
VIEWS="'queue_summary', 'dead_letters', 'recent_failures', 'delivery_events', 'deliveries_due'"

case_start
want "the database is at version 1" 1 "$(sql 'PRAGMA user_version')"
start_receiver
# The receiver's socket may be up a moment before the migration commits.
want "the receiver migrated it to the latest version" "$SCHEMA_VERSION" \
	"$(wait_sql 'PRAGMA user_version' "$SCHEMA_VERSION")"
want "every version-1 row, every event column as it was" "$(cat "$T/before.events")" \
	"$(sql "SELECT $EVENT_COLS FROM events ORDER BY id")"
want "each row's state, in a delivery of its id on the route named after its source" \
	"$(cat "$T/before.state")" \
	"$(sql "SELECT $STATE_COLS, route FROM deliveries WHERE event = id ORDER BY id")"
want "deliveries in all" "$(wc -l < "$T/before.state")" "$(sql 'SELECT count(*) FROM deliveries')"
want "the rows never tried: not routed, no delivery" "$(cat "$T/before.untried")" \
	"$(sql "SELECT id FROM events WHERE routed_at IS NULL
		AND id NOT IN (SELECT event FROM deliveries) ORDER BY id")"
want "the others routed (routed_at, routes 1)" 3 \
	"$(sql "SELECT count(*) FROM events WHERE routed_at IS NOT NULL AND routes = 1")"
want "the new columns are empty on old rows" "3 3 3 5" \
	"$(sql "SELECT (SELECT count(*) FROM deliveries WHERE claimed_by IS NULL) || ' ' ||
		(SELECT count(*) FROM deliveries WHERE failed_at IS NULL) || ' ' ||
		(SELECT count(*) FROM deliveries WHERE order_key IS NULL AND replay_of IS NULL) || ' ' ||
		(SELECT count(*) FROM events WHERE body_sha256 IS NULL)")"
want "integrity_check" ok "$(sql 'PRAGMA integrity_check')"
want "the views of later migrations exist" 5 \
	"$(sql "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name IN ($VIEWS)")"
case_end "hookq-receiver migrates a version-1 database at start, every row and column kept"

case_start
start_nginx
b=$(body new.json '{"zen":"Half measures are as bad as nothing at all.","hook_id":2}')
want "a new signed event: 200" 200 "$(post_github gh "$b" new-1 push)"
want "the new event is stored, not routed yet" "1|push" \
	"$(sql "SELECT routed_at IS NULL, event_type FROM events WHERE event_id = 'new-1'")"
want "a version-1 event id again is a duplicate" 200 "$(post_github gh "$b" v1-done push)"
want "the duplicate made no row, the old row kept" "1|done" \
	"$(sql "SELECT count(*), (SELECT group_concat(status) FROM delivery_events
		WHERE event_id = 'v1-done') FROM events WHERE event_id = 'v1-done'")"
want "six rows" 6 "$(sql 'SELECT count(*) FROM events')"
case_end "after the upgrade a new signed event lands through nginx; an old event id stays a duplicate"

case_start
start_worker
want "the old pending row runs" done \
	"$(wait_sql "SELECT status FROM delivery_events WHERE event_id = 'v1-pending'" done)"
want "the new row runs" done "$(wait_sql "SELECT status FROM delivery_events WHERE event_id = 'new-1'" done)"
want "done and dead rows of version 1 untouched" "done 1 dead 10" \
	"$(sql "SELECT group_concat(status || ' ' || attempts, ' ') FROM
		(SELECT status, attempts FROM delivery_events WHERE event_id IN ('v1-done', 'v1-dead') ORDER BY id)")"
want "the row of an unconfigured source waits, unrouted" "1|0" \
	"$(sql "SELECT routed_at IS NULL, (SELECT count(*) FROM deliveries WHERE event = events.id)
		FROM events WHERE event_id = 'v1-other'")"
stop_worker
want "the worker stopped cleanly" 0 "$WORKER_RC"
case_end "the worker runs version-1 pending rows and new rows after the upgrade"
stop_receiver

# ==== 2. a database the previous release wrote ===========================================

# prev_build: the previous release's hookq-receiver and hookq-worker, built from
# git in $T/prev (about 15 s); 1 when there is no git history to take it from:
# top_srcdir must be a checkout's top, not a tarball unpacked inside one
# (make distcheck's), where git would answer for the enclosing repository.
prev_build() {
	[ "$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null)" = \
		"$(cd "$top_srcdir" && pwd -P)" ] || return 1
	git -C "$top_srcdir" cat-file -e "$PREV_RELEASE^{commit}" 2>/dev/null || return 1
	mkdir -p "$T/prev/src" "$T/prev/build"
	git -C "$top_srcdir" archive "$PREV_RELEASE" | tar -x -C "$T/prev/src" ||
		bail "cannot extract $PREV_RELEASE"
	if ! { (cd "$T/prev/src" && autoreconf -fi) &&
		(cd "$T/prev/build" && ../src/configure -q &&
			make -s -j"$(nproc)" hookq-receiver hookq-worker); } > "$T/prev/build.log" 2>&1; then
		tail -n 20 "$T/prev/build.log" | sed 's/^/# /'
		bail "cannot build $PREV_RELEASE"
	fi
	OLD_RECEIVER=$T/prev/build/hookq-receiver
	OLD_WORKER=$T/prev/build/hookq-worker
	OLD_SCHEMA_VERSION=$(grep -c '^-- migration [0-9]*:' "$T/prev/src/sql/schema.sql")
}

if ! prev_build; then
	ok "# SKIP no git history holding $PREV_RELEASE (the previous release)"
	done_testing
	exit 0
fi

# The handler: records every run ("EVENT_ID ATTEMPT"); o-dead and o-retry
# fail, o-run blocks (as the process itself, so it dies with its worker).
RUNS=$T/runs.log
: > "$RUNS"
cat > "$T/h/record.sh" <<'H'
#!/bin/sh
echo "$HOOKQ_EVENT_ID $HOOKQ_ATTEMPT" >> "$1"
case $HOOKQ_EVENT_ID in
o-dead) echo "dead: failing attempt $HOOKQ_ATTEMPT" >&2; exit 3 ;;
o-retry) echo "retry: failing attempt $HOOKQ_ATTEMPT" >&2; exit 1 ;;
o-run) echo $$ > "$1.o-run"; exec sleep 600 ;;
esac
exit 0
H
chmod +x "$T/h/record.sh"
# prev_config GR_BACKOFF: gh (runs), gd (dead after 2 attempts), gr (retried
# after GR_BACKOFF); a lease of an hour, so the killed worker's stays live.
prev_config() {
	write_config "lease = 1h" <<C
[source gh]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/record.sh $RUNS

[source gd]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/record.sh $RUNS
max_attempts = 2
backoff_base = 100ms

[source gr]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/record.sh $RUNS
max_attempts = 5
backoff_base = $1
C
}
# runs_of ID: the recorded runs of event ID, their attempts in order.
runs_of() {
	awk -v id="$1" '$1 == id { print $2 }' "$RUNS" | tr '\n' ' ' | sed 's/ $//'
}
# old_state ID: the previous release's row state ("status|attempts").
old_state() {
	sql "SELECT status || '|' || attempts FROM events WHERE event_id = $(sql_str "$1")"
}

DB=$T/prev.db
prev_config 3s
OLD_RC=
case_start
RECEIVER=$OLD_RECEIVER launch_receiver "$T/hookq.conf" ||
	bail "the previous release's receiver did not start: $(tail -n 3 "$T/receiver.log")"
want "a database of the previous release's schema" "$OLD_SCHEMA_VERSION" "$(sql 'PRAGMA user_version')"
"$OLD_WORKER" -c "$T/hookq.conf" >> "$T/old.log" 2>&1 &
OLD_PID=$!
WORKER_PIDS="$WORKER_PIDS $OLD_PID"
wlog_wait 0 ' handled \[' 1 10 old || bail "the previous release's worker did not start"
for id in o-done:gh o-dead:gd o-retry:gr o-run:gh; do
	want "POST ${id%%:*}" 200 "$(post_delivery "${id#*:}" "${id%%:*}")"
done
# o-retry failed once; until its retry (3 s +-20% later) the backoff becomes an hour.
want "o-retry failed once" "pending|1" "$(wait_sql "SELECT status || '|' || attempts FROM events
	WHERE event_id = 'o-retry'" "pending|1" 10)"
prev_config 1h
mark=$(wlog_mark old)
kill -HUP "$OLD_PID"
want_true "the previous worker reloaded" wlog_wait "$mark" 'configuration reloaded' 1 2 old
want "o-retry failed twice" "pending|2" "$(wait_sql "SELECT status || '|' || attempts FROM events
	WHERE event_id = 'o-retry'" "pending|2" 10)"
want_true "o-retry next due in about an hour" \
	[ "$(sql "SELECT next_attempt_at FROM events WHERE event_id = 'o-retry'")" -gt $(($(now_ms) + 2400000)) ]
want "o-done done" "done|1" "$(wait_sql "SELECT status || '|' || attempts FROM events
	WHERE event_id = 'o-done'" "done|1" 10)"
want "o-dead dead after 2 attempts" "dead|2" "$(wait_sql "SELECT status || '|' || attempts FROM events
	WHERE event_id = 'o-dead'" "dead|2" 10)"
want_true "o-run's handler started" wait_file "$RUNS.o-run" 10
want "o-run running" "running|1" "$(old_state o-run)"
# A crash of the worker: o-run stays running under its claim and live lease.
{ kill -KILL "$OLD_PID"; wait_exit "$OLD_PID" 10; } 2>/dev/null
WORKER_PIDS=$(echo "$WORKER_PIDS" | tr ' ' '\n' | grep -vx "$OLD_PID" | tr '\n' ' ')
want "o-never posted after the worker is gone" 200 "$(post_delivery gh o-never)"
want "o-never pending, never tried" "pending|0" "$(old_state o-never)"
stop_receiver
want "the previous receiver's exit" 0 "$RECEIVER_RC"
want "still the previous release's schema" "$OLD_SCHEMA_VERSION" "$(sql 'PRAGMA user_version')"
case_end "the previous release ($PREV_RELEASE) leaves rows done, dead, retrying, running and never tried"

# The previous release's rows, as it left them.
OLD_STATE="id, status, attempts, next_attempt_at, quote(lease_until), quote(claimed_by),
	quote(last_error), quote(finished_at), quote(failed_at)"
sql "SELECT $EVENT_COLS FROM events ORDER BY id" > "$T/prev.events"
sql "SELECT $OLD_STATE, source FROM events WHERE event_id <> 'o-never' ORDER BY id" > "$T/prev.state"
sql "SELECT event_id || ' ' || id FROM events ORDER BY id" > "$T/prev.ids"
NEVER_ID=$(sql "SELECT id FROM events WHERE event_id = 'o-never'")
echo "# the previous release's rows:"
sed 's/^/#   /' "$T/prev.state"

# ---- the new receiver migrates it ------------------------------------------------------

# The new build's configuration: the same sources, gr's backoff an hour.
case_start
launch_receiver "$T/hookq.conf" || bail "the new receiver did not start: $(tail -n 3 "$T/receiver.log")"
want "migrated to the latest version" "$SCHEMA_VERSION" "$(wait_sql 'PRAGMA user_version' "$SCHEMA_VERSION")"
want "every event column as it was" "$(cat "$T/prev.events")" "$(sql "SELECT $EVENT_COLS FROM events ORDER BY id")"
want "each row's state in a delivery of the row's own id, on its source's route" "$(cat "$T/prev.state")" \
	"$(sql "SELECT $OLD_STATE, route FROM deliveries WHERE event = id ORDER BY id")"
want "deliveries" 4 "$(sql 'SELECT count(*) FROM deliveries')"
want "o-never: not routed, no delivery" "1|0" \
	"$(sql "SELECT routed_at IS NULL, (SELECT count(*) FROM deliveries WHERE event = events.id)
		FROM events WHERE id = ${NEVER_ID:-0}")"
want "views" 5 "$(sql "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name IN ($VIEWS)")"
want "delivery_events" "o-dead:gd:dead:2 o-done:gh:done:1 o-retry:gr:pending:2 o-run:gh:running:1" \
	"$(sql "SELECT event_id || ':' || route || ':' || status || ':' || attempts FROM delivery_events
		ORDER BY event_id" | tr '\n' ' ' | sed 's/ $//')"
want "dead_letters: o-dead, its attempts and last_error" \
	"o-dead|gd|2|$(sql "SELECT last_error FROM deliveries WHERE status = 'dead'")" \
	"$(sql "SELECT event_id, route, attempts, last_error FROM dead_letters")"
want_true "o-dead's last_error is its last run's" \
	[ "$(sql "SELECT instr(last_error, 'exit status 3') > 0 AND instr(last_error, 'failing attempt 2') > 0
		FROM deliveries WHERE status = 'dead'")" = 1 ]
want "queue_summary" "gd|gd|dead|1 gh||unrouted|1 gh|gh|done|1 gh|gh|running|1 gr|gr|pending|1" \
	"$(sql "SELECT source, route, status, deliveries FROM queue_summary" | tr '\n' ' ' | sed 's/ $//')"
want "recent_failures" "o-dead|dead o-retry|pending" \
	"$(sql "SELECT event_id, status FROM recent_failures ORDER BY event_id" | tr '\n' ' ' | sed 's/ $//')"
want "deliveries_due (nothing: o-retry waits an hour, o-run's lease is live)" 0 \
	"$(sql 'SELECT count(*) FROM deliveries_due')"
want "integrity_check" ok "$(sql 'PRAGMA integrity_check')"
case_end "the new receiver migrates the previous release's database: ids, events and states kept"

# ---- the new worker runs on it ---------------------------------------------------------

case_start
start_worker new
want "o-never delivered" "done|1|gh" "$(wait_sql "SELECT status || '|' || attempts || '|' || route
	FROM delivery_events WHERE event = ${NEVER_ID:-0}" "done|1|gh" 15)"
# A new event, done after o-never: the worker has made its claims on the old rows by then.
want "a new event" 200 "$(post_delivery gh n-1)"
want "the new event delivered" "done|1" "$(wait_sql "SELECT status || '|' || attempts
	FROM delivery_events WHERE event_id = 'n-1'" "done|1" 15)"
want "runs of o-never (exactly once)" "1" "$(runs_of o-never)"
want "runs of o-done (the previous release's only)" "1" "$(runs_of o-done)"
want "runs of o-dead (the previous release's only)" "1 2" "$(runs_of o-dead)"
want "runs of o-retry (the previous release's only)" "1 2" "$(runs_of o-retry)"
want "runs of o-run (the killed worker's only)" "1" "$(runs_of o-run)"
want "the old rows' deliveries as the migration left them" "$(cat "$T/prev.state")" \
	"$(sql "SELECT $OLD_STATE, route FROM deliveries WHERE event = id AND event IN
		(SELECT id FROM events WHERE event_id IN ('o-done', 'o-dead', 'o-retry', 'o-run')) ORDER BY id")"
want "o-never: routed, one delivery" "1|1|1" \
	"$(sql "SELECT routed_at IS NOT NULL, routes, (SELECT count(*) FROM deliveries
		WHERE event = events.id) FROM events WHERE id = ${NEVER_ID:-0}")"
want "event ids kept" "$(cat "$T/prev.ids")" \
	"$(sql "SELECT event_id || ' ' || id FROM events WHERE event_id <> 'n-1' ORDER BY id")"
stop_worker
want "the worker's exit" 0 "$WORKER_RC"
# (PDEATHSIG ended o-run's handler with the killed worker; if not, end it now.)
p=$(cat "$RUNS.o-run" 2>/dev/null)
want_true "o-run's handler died with the previous worker" eval "! alive ${p:-0}"
[ -n "$p" ] && kill "$p" 2>/dev/null
want "its stop line" 1 "$(grep -c 'stopped: 2 events routed (0 to no route); deliveries: 2 done, 0 retried, 0 dead, 0 released, 0 overtaken' "$T/new.log")"
case_end "the new worker: o-never delivered once; done, dead, retrying and running rows untouched, never run again"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
