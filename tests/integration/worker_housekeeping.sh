#!/bin/bash
# worker_housekeeping.sh: what the worker does besides running handlers.
# - A database held locked by another process (sqlite3 at the prompt with a
#   write transaction open; on PostgreSQL psql's LOCK TABLE, lib.sh's
#   lock_db) past busy_timeout when a handler ends: the
#   result is not lost and not counted as a failure; it is written once the
#   lock goes (attempts stays 1, status done), and the worker says it is
#   retrying. New events committed meanwhile are claimed after the lock.
# - A row another process inserts is run once its transaction commits.
# - retain_done: done rows finished longer ago than retain_done are deleted
#   at start-up (and every minute); recent done rows, dead rows and pending
#   rows stay.
#
# The chain is the real one: curl -> nginx -> hookq-receiver (FastCGI) ->
# SQLite -> hookq-worker -> the handler below.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

# The handler: the first run of "slow" waits for $T/go; every run leaves a line.
cat > "$T/handler.sh" <<'SH'
#!/bin/bash
echo "$HOOKQ_EVENT_ID $HOOKQ_ATTEMPT" >> "$1/runs.log"
if [ "$HOOKQ_EVENT_ID" = slow ]; then
	for _ in $(seq 1 400); do [ -e "$1/go" ] && break; sleep 0.05; done
fi
exit 0
SH
chmod +x "$T/handler.sh"
: > "$T/runs.log"

new_secret gh
write_config "$(printf 'busy_timeout = 300\nretain_done = 1h')" <<C
[source github]
scheme = github
secret_file = $T/gh.secret
handler = $T/handler.sh $T
handler_timeout = 30s
backoff_base = 100ms
C
start_receiver
start_nginx
printf '{"zen":"Keep it logically awesome."}' > "$T/body.json"

# ---- a locked database while a handler ends -------------------------------------

start_worker
case_start
want "slow posted" 200 "$(post_github github "$T/body.json" slow push)"
want "slow running" running "$(wait_sql "SELECT status FROM delivery_events WHERE event_id = 'slow'" running)"
lock_db
want "database locked by another session" yes "$LOCKED"
mark=$(wlog_mark)
touch "$T/go"
want_true "the worker says it will retry" wlog_wait "$mark" 'database: .*retrying in' 1 10
want_true "still running while locked" \
	[ "$(sql "SELECT status FROM delivery_events WHERE event_id = 'slow'")" = running ]
sleep 1   # a few retries against the lock
want "still running after a second of lock" running "$(sql "SELECT status FROM delivery_events WHERE event_id = 'slow'")"
unlock_db
want "slow done after the lock" "done|1" \
	"$(wait_sql "SELECT status || '|' || attempts FROM delivery_events WHERE event_id = 'slow'" "done|1")"
want "ran once" 1 "$(grep -c '^slow ' "$T/runs.log")"
want "no failure logged" 0 "$(wlog_since "$mark" | grep -c 'result=retry\|result=dead')"
want "last_error" "" "$(sql "SELECT coalesce(last_error, '') FROM delivery_events WHERE event_id = 'slow'")"
case_end "a result the locked database would not take is kept, written after the lock, not counted as a failure"

case_start
lock_db
want "database locked" yes "$LOCKED"
# The receiver cannot write either; put the row in with the lock holder's own transaction.
printf "INSERT INTO events (source, event_id, received_at, headers, body) VALUES ('github', 'during', 1, '{}', 'x');\n" >&7
sleep 0.5
want "not run while the row is uncommitted" 0 "$(grep -c '^during ' "$T/runs.log")"
if [ "$STORE" = pg ]; then printf 'COMMIT;\n\\q\n' >&7; else printf 'COMMIT;\n.quit\n' >&7; fi
exec 7>&-
wait_exit "$LOCK_PID" 5
LOCK_PID=
want "during done once committed" "done|1" \
	"$(wait_sql "SELECT status || '|' || attempts FROM delivery_events WHERE event_id = 'during'" "done|1")"
stop_worker
want "worker exit" 0 "$WORKER_RC"
case_end "a row committed by another process is run once its transaction commits; SIGTERM: exit 0"

# ---- retain_done ------------------------------------------------------------------

case_start
now=$(date +%s%3N)
old=$((now - 2 * 3600 * 1000))
recent=$((now - 30 * 60 * 1000))
# Events routed when they came, each with its delivery on the route github (the
# source's handler), and one of a source without a handler, never routed.
sql "CREATE TEMP TABLE seed (event_id text, received_at bigint, status text, finished_at bigint);
     INSERT INTO seed VALUES ('old-done-1', $old, 'done', $old), ('old-done-2', $old, 'done', $old),
            ('recent-done', $recent, 'done', $recent), ('old-dead', $old, 'dead', $old);
     INSERT INTO events (source, event_id, received_at, headers, body, routed_at, routes)
            SELECT 'github', event_id, received_at, '{}', 'x', received_at, 1 FROM seed;
     INSERT INTO deliveries (event, route, status, attempts, created_at, finished_at)
            SELECT e.id, 'github', s.status, 1, s.received_at, s.finished_at
              FROM seed AS s JOIN events AS e ON e.source = 'github' AND e.event_id = s.event_id;
     INSERT INTO events (source, event_id, received_at, headers, body)
            VALUES ('other', 'old-pending', $old, '{}', 'x');"
mark=$(wlog_mark)
start_worker
want_true "logs the pruning" wlog_wait "$mark" 'pruned 2 done events' 1 10
want "old done rows gone" 0 "$(sql "SELECT count(*) FROM events WHERE event_id LIKE 'old-done-%'")"
want "recent done kept" 1 "$(sql "SELECT count(*) FROM events WHERE event_id = 'recent-done'")"
want "old dead kept" 1 "$(sql "SELECT count(*) FROM events WHERE event_id = 'old-dead'")"
want "deliveries of the old done rows gone, the others kept" "0|dead|done" \
	"$(sql "SELECT (SELECT count(*) FROM deliveries WHERE event NOT IN (SELECT id FROM events))
		|| '|' || (SELECT status FROM delivery_events WHERE event_id = 'old-dead')
		|| '|' || (SELECT status FROM delivery_events WHERE event_id = 'recent-done')")"
want "old pending kept" 1 "$(sql "SELECT count(*) FROM events WHERE event_id = 'old-pending'")"
want "earlier done rows (finished just now) kept" 2 \
	"$(sql "SELECT count(*) FROM events WHERE event_id IN ('slow', 'during')")"
stop_worker
want "worker exit" 0 "$WORKER_RC"
case_end "retain_done = 1h deletes done rows finished over an hour ago, and nothing else"

done_testing
