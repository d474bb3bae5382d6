#!/bin/bash
# worker_kill.sh: kill -9 of the worker in the middle of a 500-event drain.
# 500 events are stored through nginx; a worker (concurrency 4) drains them
# with a 50 ms handler that records each run as one line, "EVENT_ID PID
# START_NS END_NS", written with one O_APPEND write when the run ends. Just
# after the 150th run starts the worker is killed with SIGKILL and a new one
# is started at once. The run itself is a subshell of the handler's shell:
# PR_SET_PDEATHSIG ends the shell with the worker, not the subshell, which
# finishes as an orphan after the kill, while the new worker is up. That is
# the run a second claim must not overlap. Then:
#  - every event ends done;
#  - only events interrupted by the kill (running when it came) ran twice,
#    none more, and only they have attempts = 2;
#  - no two runs of one event overlapped in time, and a second run started
#    only after the interrupted claim's lease_until.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

EVENTS=500
KILL_AFTER=150 # runs started
# lease must be at least handler_timeout + 10 s; it is how long the interrupted rows wait.
TIMEOUT_S=1
LEASE_S=11

cat > "$T/handler.sh" <<'SH'
#!/bin/bash
# One line per run from the subshell that does the work (EPOCHREALTIME is
# in µs), and one in $1.starts as it starts.
(
	s=${EPOCHREALTIME/./}
	echo "$HOOKQ_EVENT_ID" >> "$1.starts"
	sleep 0.05
	printf '%s %s %s000 %s000\n' "$HOOKQ_EVENT_ID" "$BASHPID" "$s" "${EPOCHREALTIME/./}" >> "$1"
)
exit $?
SH
chmod +x "$T/handler.sh"
: > "$T/runs.log"
: > "$T/runs.log.starts"

new_secret gh
write_config "lease = ${LEASE_S}s
concurrency = 4" <<C
[source github]
scheme = github
secret_file = $T/gh.secret
handler = $T/handler.sh $T/runs.log
handler_timeout = ${TIMEOUT_S}s
max_attempts = 5
backoff_base = 100ms
C
start_receiver
start_nginx

run_load store --events "$EVENTS" --clients 16 --prefix k-
case_start
want "load generator exit" 0 "$LOAD_RC"
want statuses "200=$EVENTS" "$(load_result store statuses)"
want "rows waiting to be routed" "$EVENTS" "$(sql "SELECT count(*) FROM events WHERE routed_at IS NULL")"
want "deliveries before any worker" 0 "$(sql "SELECT count(*) FROM deliveries")"
case_end "$EVENTS events stored, not routed yet (none tried)"

# ---- drain, kill -9 mid-way, restart -------------------------------------------------

t0=$(now_ms)
start_worker w1
W1_PID=$WORKER_PID
for _ in $(seq 1 3000); do
	[ "$(wc -l < "$T/runs.log.starts")" -ge "$KILL_AFTER" ] && break
	sleep 0.01
done
runs_at_kill=$(wc -l < "$T/runs.log.starts")
KILL_NS=$(($(now_ms) * 1000000))
kill -KILL "$W1_PID"
# w2 at once (start_worker would poll for its start line first), then wait for w1.
"$WORKER" -c "$T/hookq.conf" >> "$T/w2.log" 2>&1 &
WORKER_PID=$!
WORKER_PIDS="$WORKER_PIDS $WORKER_PID"
wait_exit "$W1_PID" 10 2>/dev/null
W1_RC=$EXIT_RC
WORKER_PIDS=$(echo "$WORKER_PIDS" | tr ' ' '\n' | grep -vx "$W1_PID" | tr '\n' ' ')
# The rows the kill interrupted: running under w1's claim, with their lease's end.
W1=$(sed -n 's/.* worker \([^ ]*\): database .*/\1/p' "$T/w1.log" | tail -n 1)
sql "SELECT event_id, lease_until FROM delivery_events WHERE status = 'running'
	AND claimed_by = $(sql_str "$W1") ORDER BY event_id" | tr '|' ' ' > "$T/interrupted"
wlog_wait 0 "$WORKER_UP" 1 10 w2 || bail "the second worker did not start"
# When w2 was up, from its start line's time stamp (ms, UTC).
W2_UP_NS=$(date -d "$(grep -m1 -E -- "$WORKER_UP" "$T/w2.log" | cut -d' ' -f1)" +%s%N)

left=$((LEASE_S + 30))
done_rows=$(wait_sql "SELECT count(*) FROM delivery_events WHERE status = 'done'" "$EVENTS" "$left")
drain_ms=$(($(now_ms) - t0))
stop_worker
sleep 0.1 # an orphan's line is long written by now (50 ms runs, 11 s lease)

interrupted=$(wc -l < "$T/interrupted")
echo "# w1 killed just after $runs_at_kill runs started; $interrupted rows running under its claim" \
	"(interrupted); drain of $EVENTS in $drain_ms ms, of which $((LEASE_S * 1000)) ms is the lease"
case_start
want "w1 exit status (SIGKILL = 128 + 9)" 137 "$W1_RC"
want_true "the kill interrupted rows ($interrupted)" test "$interrupted" -ge 1
want "rows done" "$EVENTS" "$done_rows"
want "rows not done" 0 "$(sql "SELECT count(*) FROM deliveries WHERE status <> 'done'")"
want "events without exactly one delivery" 0 \
	"$(sql "SELECT count(*) FROM events WHERE (SELECT count(*) FROM deliveries WHERE event = events.id) <> 1")"
want "w2 exit status on SIGTERM" 0 "$WORKER_RC"
case_end "worker killed mid-drain and restarted: all $EVENTS events done"

# ---- who ran twice, and when ---------------------------------------------------------

# Runs per event, and the events that ran more than once.
awk '{ n[$1]++ } END { for (e in n) print e, n[e] }' "$T/runs.log" | sort > "$T/runs.count"
awk '$2 > 1 { print $1 }' "$T/runs.count" > "$T/twice"
awk '{ print $1 }' "$T/interrupted" | sort > "$T/interrupted.ids"
twice=$(wc -l < "$T/twice")
case_start
want "events with at least one run" "$EVENTS" "$(wc -l < "$T/runs.count")"
want "events run more than twice" 0 "$(awk '$2 > 2' "$T/runs.count" | wc -l)"
want "events run twice that the kill did not interrupt" "" "$(comm -23 "$T/twice" "$T/interrupted.ids" | tr '\n' ' ')"
want "rows with attempts other than 1, not interrupted" 0 \
	"$(sql "SELECT event_id FROM delivery_events WHERE attempts <> 1" | sort | comm -23 - "$T/interrupted.ids" | wc -l)"
want "interrupted rows with attempts other than 2" 0 \
	"$(sql "SELECT event_id FROM delivery_events WHERE attempts <> 2" | sort | comm -12 - "$T/interrupted.ids" | wc -l)"
case_end "only the $interrupted events the kill interrupted ran again ($twice of them twice), each once more"

# Each pair of runs of one event, in start order: "ID END1 START2 LEASE_UNTIL_MS".
sort -k1,1 -k3,3n "$T/runs.log" | awk '
	FILENAME == ARGV[1] { lease[$1] = $2; next }
	$1 == id { print id, end, $3, lease[id] }
	{ id = $1; end = $4 }' "$T/interrupted" - > "$T/pairs"
orphans=$(awk -v k="$KILL_NS" '$2 > k' "$T/pairs" | wc -l)
overlapping_w2=$(awk -v u="$W2_UP_NS" '$2 > u' "$T/pairs" | wc -l)
gap=$(awk 'BEGIN { m = -1 } { g = ($3 - $2) / 1e6; if (m < 0 || g < m) m = g } END { printf "%d", m }' "$T/pairs")
echo "# $twice events ran twice; $orphans first runs ended after the kill (orphans)," \
	"$overlapping_w2 of them after the new worker was up ($(((W2_UP_NS - KILL_NS) / 1000000)) ms after the kill);" \
	"shortest gap between the end of a first run and the start of the second: ${gap} ms"
case_start
want "runs of one event that overlap (END1 > START2)" "" \
	"$(awk '$2 > $3 { printf "%s ", $1 }' "$T/pairs")"
want "second runs that started before the interrupted claim's lease_until" "" \
	"$(awk '$3 < $4 * 1000000 { printf "%s ", $1 }' "$T/pairs")"
case_end "no two runs of one event overlapped; second runs began after the lease ran out"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
