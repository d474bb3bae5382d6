#!/bin/bash
# worker_stop.sh: hookq-worker's signals, through the real chain (curl ->
# nginx -> hookq-receiver -> SQLite -> hookq-worker -> handler).
#  - SIGTERM while a handler runs: no more claims (an event posted after the
#    signal stays pending), the running handler finishes, its row is done,
#    exit 0.
#  - SIGTERM with stop_grace = 1s and a handler that would run 30 s: after the
#    grace the handler is stopped, its row goes back to pending with attempts
#    back to the value before the claim, exit 0 within seconds; the next
#    worker runs that attempt again under the same number.
#  - SIGHUP: a handler added to a source that had none runs that source's
#    pending rows, without a restart; a broken file logs "reload failed" and
#    the worker goes on with the configuration it had.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

# The handler, by event id; every run appends "ID ATTEMPT PID start MS" (and
# "... end MS" / "... term MS") to $T/runs.log.
#  slow-*: writes $T/ID.started, waits for $T/release (at most 20 s), exits 0.
#  long-*: attempt 1 fails (exit 3); later attempts, while $T/long.flag exists,
#          write $T/ID.started and wait 30 s (logging the SIGTERM they get);
#          otherwise exit 0.
#  else:   exits 0.
cat > "$T/handler.sh" <<'SH'
#!/bin/bash
d=$1
log() { echo "$HOOKQ_EVENT_ID $HOOKQ_ATTEMPT $$ $1 $(date +%s%3N)" >> "$d/runs.log"; }
started() { echo $$ > "$d/$HOOKQ_EVENT_ID.tmp"; mv "$d/$HOOKQ_EVENT_ID.tmp" "$d/$HOOKQ_EVENT_ID.started"; }
log start
case $HOOKQ_EVENT_ID in
slow-*)
	started
	for _ in $(seq 1 400); do [ -e "$d/release" ] && break; sleep 0.05; done
	log end
	exit 0 ;;
long-*)
	[ "$HOOKQ_ATTEMPT" = 1 ] && { echo "first attempt fails" >&2; exit 3; }
	if [ -e "$d/long.flag" ]; then
		trap 'log term; exit 143' TERM
		started
		sleep 30 &
		wait
		log end
	fi
	exit 0 ;;
esac
exit 0
SH
chmod +x "$T/handler.sh"
: > "$T/runs.log"

new_secret gh
# conf HOOKQ_EXTRA QUIET_HANDLER(yes|no) [BROKEN_LINE]: the configuration; the
# source quiet has a handler only with "yes"; BROKEN_LINE goes into [hookq].
conf() {
	local extra=$1
	[ -n "${3:-}" ] && extra="$extra${extra:+$'\n'}$3"
	{
		cat <<C
[source github]
scheme = github
secret_file = $T/gh.secret
handler = $T/handler.sh $T
handler_timeout = 60s
max_attempts = 5
backoff_base = 200ms
backoff_max = 200ms

[source quiet]
scheme = github
secret_file = $T/gh.secret
C
		[ "$2" = yes ] && echo "handler = $T/handler.sh $T"
	} | write_config "$extra"
}
conf "" no
start_receiver
start_nginx

# field ID COLUMNS: the columns of event ID's delivery (delivery_events), '|'-separated.
field() {
	sql "SELECT $2 FROM delivery_events WHERE event_id = $(sql_str "$1")"
}
# status_of ID [WANT] [SECONDS]: the delivery's status, waiting for WANT if given.
status_of() {
	if [ -n "${2:-}" ]; then
		wait_sql "SELECT status FROM delivery_events WHERE event_id = $(sql_str "$1")" "$2" "${3:-10}"
	else
		field "$1" status
	fi
}
# unclaimed ID: "1|0" when event ID is stored and none of its deliveries (if it has
# any yet) was ever claimed: all pending, attempts 0, no claimed_by.
unclaimed() {
	sql "SELECT count(*), (SELECT count(*) FROM deliveries JOIN events ON events.id = deliveries.event
		WHERE events.event_id = $(sql_str "$1")
		AND (status <> 'pending' OR attempts <> 0 OR claimed_by IS NOT NULL))
		FROM events WHERE event_id = $(sql_str "$1")"
}
# runs ID: the handler's log lines for event ID.
runs() {
	grep "^$1 " "$T/runs.log"
}
# gh SOURCE ID: posts a small GitHub-signed event; prints the status.
gh() {
	local b
	b=$(body "$2.json" "{\"id\":\"$2\"}")
	post_github "$1" "$b" "$2" push
}
# log_ms LINE: the time stamp at the start of a log line, in ms since the epoch (0 if none).
log_ms() {
	local ts=${1%%Z *}
	date -d "${ts}Z" +%s%3N 2>/dev/null || echo 0
}
# forget PID: the worker is gone; cleanup need not kill it.
forget() {
	WORKER_PIDS=$(echo "$WORKER_PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

# ==== 1. SIGTERM while a handler runs ==================================================

start_worker w1
W1_PID=$WORKER_PID

case_start
want "slow-1 posted" 200 "$(gh github slow-1)"
want_true "slow-1's handler started" wait_file "$T/slow-1.started" 10
want "slow-1 status|attempts" "running|1" "$(field slow-1 "status || '|' || attempts")"
case_end "slow-1 claimed, its handler running"

case_start
mark=$(wlog_mark w1)
kill -TERM "$W1_PID"
want_true "w1 logs stopping with 1 handler running" \
	wlog_wait "$mark" 'stopping on signal 15: 1 handlers running' 1 10 w1
want "slow-2 posted after the SIGTERM" 200 "$(gh github slow-2)"
# A window for a wrong claim: the commit's inotify wake-up comes within
# milliseconds. The handler of slow-1 blocks until $T/release exists.
sleep 1
want_true "w1 still running while slow-1's handler runs" alive "$W1_PID"
# (A stopping worker routes nothing either; a delivery made would be pending, never claimed.)
want "slow-2 stored|deliveries claimed or tried" "1|0" "$(unclaimed slow-2)"
want "runs of slow-2" 0 "$(runs slow-2 | wc -l)"
want "slow-1 still running" running "$(status_of slow-1)"
touch "$T/release"
wait_exit "$W1_PID" 20
forget "$W1_PID"
want "w1 exit status" 0 "$EXIT_RC"
want "slow-1 status|attempts|last_error" "done|1|" "$(field slow-1 "status || '|' || attempts || '|' || coalesce(last_error, '')")"
want "slow-1 runs (start, end)" "start end" "$(runs slow-1 | awk '{print $4}' | tr '\n' ' ' | sed 's/ $//')"
want "slow-2 stored|deliveries claimed or tried, after w1 exited" "1|0" "$(unclaimed slow-2)"
want "runs of slow-2 after w1 exited" 0 "$(runs slow-2 | wc -l)"
want "w1 stop line" 1 "$(grep -c 'stopped: 1 events routed (0 to no route); deliveries: 1 done, 0 retried, 0 dead, 0 released, 0 overtaken' "$T/w1.log")"
case_end "SIGTERM: no new claim (slow-2 stays pending), slow-1's handler finishes, done, exit 0"

# ==== 2. stop_grace = 1s, a handler that would run 30 s =====================================

conf "stop_grace = 1s" no
touch "$T/long.flag"
start_worker w2
W2_PID=$WORKER_PID

case_start
want "slow-2 done by the next worker" 'done' "$(status_of slow-2 'done' 10)"
want "long-1 posted" 200 "$(gh github long-1)"
want_true "long-1's attempt 2 started (attempt 1 fails, retry in 200 ms)" wait_file "$T/long-1.started" 15
LONG_PID=$(cat "$T/long-1.started" 2>/dev/null)
want "long-1 status|attempts" "running|2" "$(field long-1 "status || '|' || attempts")"
want "long-1 runs so far (attempts)" "1 2" "$(runs long-1 | awk '$4 == "start" {print $2}' | tr '\n' ' ' | sed 's/ $//')"
case_end "long-1: attempt 1 failed, attempt 2 running (would take 30 s)"

case_start
mark=$(wlog_mark w2)
t_term=$(now_ms)
kill -TERM "$W2_PID"
wait_exit "$W2_PID" 15
t_exit=$(now_ms)
forget "$W2_PID"
want "w2 exit status" 0 "$EXIT_RC"
want_true "w2 exited within 8 s of SIGTERM ($((t_exit - t_term)) ms)" [ $((t_exit - t_term)) -lt 8000 ]
t_hterm=$(runs long-1 | awk '$4 == "term" {print $5}' | tail -n 1)
want_true "the handler got SIGTERM after the 1 s grace ($(( ${t_hterm:-0} - t_term )) ms after ours)" \
	[ "${t_hterm:-0}" -gt 0 -a $(( ${t_hterm:-0} - t_term )) -ge 950 ]
want_true "the handler (pid ${LONG_PID:-?}) is gone" wait_gone "${LONG_PID:-0}" 5
want "long-1 status|attempts|lease_until" "pending|1|" \
	"$(field long-1 "status || '|' || attempts || '|' || coalesce(CAST(lease_until AS TEXT), '')")"
want_true "long-1 is due again at once (next_attempt_at <= now)" \
	[ "$(field long-1 next_attempt_at)" -le "$(now_ms)" ]
want "long-1 last_error" "stopped by the worker's shutdown" "$(field long-1 "substr(last_error, 1, 32)")"
want_true "w2 logs the release" \
	wlog_wait "$mark" 'source=github row=[0-9]+ attempt=2 (signal 15|exit 143) .*result=released' 1 1 w2
want "w2 stop line" 1 "$(grep -c 'stopped: 2 events routed (0 to no route); deliveries: 1 done, 1 retried, 0 dead, 1 released, 0 overtaken' "$T/w2.log")"
case_end "stop_grace 1s: the handler is stopped after the grace, long-1 back to pending with attempts 1, exit 0"

rm -f "$T/long.flag"
start_worker w3
W3_PID=$WORKER_PID
case_start
want "long-1 done by the next worker" 'done' "$(status_of long-1 'done' 15)"
want "long-1 attempts" 2 "$(field long-1 attempts)"
want "long-1 runs (attempts)" "1 2 2" "$(runs long-1 | awk '$4 == "start" {print $2}' | tr '\n' ' ' | sed 's/ $//')"
stop_worker "$W3_PID"
want "w3 exit status" 0 "$WORKER_RC"
case_end "the released attempt runs again under the same number (HOOKQ_ATTEMPT=2) and is done"

# ==== 3. SIGHUP ================================================================================

start_worker w4
W4_PID=$WORKER_PID
case_start
want_true "w4 warns that quiet has no handler" grep -q 'source quiet has no handler' "$T/w4.log"
want "quiet-1 posted" 200 "$(gh quiet quiet-1)"
want "quiet-2 posted" 200 "$(gh quiet quiet-2)"
# A later event of a handled source: once it is done, w4 has seen both quiet rows.
want "gh-1 posted" 200 "$(gh github gh-1)"
want "gh-1 done" 'done' "$(status_of gh-1 'done' 10)"
want "quiet rows unrouted, without a delivery" "2" \
	"$(sql "SELECT count(*) FROM events WHERE source = 'quiet' AND routed_at IS NULL
		AND id NOT IN (SELECT event FROM deliveries)")"
want "runs of quiet events" 0 "$(grep -c '^quiet-' "$T/runs.log")"
case_end "a source without a handler: its events stay unrouted"

conf "stop_grace = 1s" yes
case_start
mark=$(wlog_mark w4)
kill -HUP "$W4_PID"
want_true "w4 logs the reload" \
	wlog_wait "$mark" 'configuration reloaded: 2 sources, routes: github, quiet$' 1 10 w4
want "quiet-1 done" 'done' "$(status_of quiet-1 'done' 10)"
want "quiet-2 done" 'done' "$(status_of quiet-2 'done' 10)"
# The reload itself asks for a claim: the rows run at once, not at the next
# wake-up from elsewhere (the WAL truncation's, every 10 s). Times from w4's log.
t_reload=$(log_ms "$(wlog_since "$mark" w4 | grep -m1 'configuration reloaded')")
t_run=$(log_ms "$(wlog_since "$mark" w4 | grep -m1 'source=quiet row=[0-9]* attempt=1 id=')")
want_true "the first quiet row ran within 5 s of the reload ($((t_run - t_reload)) ms)" \
	[ "$t_reload" -gt 0 -a "$t_run" -ge "$t_reload" -a $((t_run - t_reload)) -lt 5000 ]
want "quiet rows attempts" "1 1" "$(sql "SELECT attempts FROM delivery_events WHERE source = 'quiet' ORDER BY event" | tr '\n' ' ' | sed 's/ $//')"
want "quiet deliveries' route" "quiet quiet" "$(sql "SELECT route FROM delivery_events WHERE source = 'quiet' ORDER BY event" | tr '\n' ' ' | sed 's/ $//')"
want_true "w4 still running (no restart)" alive "$W4_PID"
want "w4 start lines" 1 "$(grep -c ' worker [^ ]*: database ' "$T/w4.log")"
case_end "SIGHUP adds a handler to quiet: its pending rows run, same process"

conf "stop_grace = 1s" yes "bogus_key = 1"
case_start
mark=$(wlog_mark w4)
kill -HUP "$W4_PID"
want_true "w4 logs reload failed" wlog_wait "$mark" 'reload failed' 1 10 w4
want_true "w4 names the bad line" wlog_wait "$mark" 'hookq\.conf:[0-9]+: .*bogus_key' 1 2 w4
want_true "w4 still running" alive "$W4_PID"
want "quiet-3 posted" 200 "$(gh quiet quiet-3)"
want "gh-2 posted" 200 "$(gh github gh-2)"
want "quiet-3 done (the running configuration kept)" 'done' "$(status_of quiet-3 'done' 10)"
want "gh-2 done" 'done' "$(status_of gh-2 'done' 10)"
stop_worker "$W4_PID"
want "w4 exit status" 0 "$WORKER_RC"
want "w4 stop line" 1 "$(grep -c 'stopped: 5 events routed (0 to no route); deliveries: 5 done, 0 retried, 0 dead, 0 released, 0 overtaken' "$T/w4.log")"
case_end "SIGHUP with a broken file: reload failed, the worker keeps its configuration and works on; exit 0"

case_start
want "rows not done" 0 "$(sql "SELECT count(*) FROM deliveries WHERE status <> 'done'")"
want "events without exactly one delivery" 0 \
	"$(sql "SELECT count(*) FROM events WHERE (SELECT count(*) FROM deliveries WHERE event = events.id) <> 1")"
want "a handler ran twice at once or an event ran without a claim" 0 \
	"$(sql "SELECT count(*) FROM delivery_events WHERE attempts <> (CASE WHEN event_id = 'long-1' THEN 2 ELSE 1 END)")"
case_end "in the end every row is done, with the attempts it took"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
