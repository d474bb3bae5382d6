#!/bin/bash
# worker_retry.sh: what hookq-worker does when a handler fails. The row goes
# back to pending with last_error and a next_attempt_at of
# backoff_base * 2^(attempt - 1), capped at backoff_max, +-20%; the handler
# runs again then (and not before), and a later success ends it done. At
# max_attempts it is dead, last_error holding the status and the tail of
# stderr (its last 4096 bytes). An operator's UPDATE back to pending wakes
# the running worker, which runs the row again.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

# handler NAME: writes the bash script $T/h/NAME from stdin (with T set), executable.
mkdir -p "$T/h"
handler() {
	{ echo '#!/bin/bash'; printf 'T=%q\n' "$T"; cat; } > "$T/h/$1"
	chmod +x "$T/h/$1"
}

# flaky: fails on its first two runs, succeeds on the third. Each run appends
# "ATTEMPT START_US END_US" to flaky.runs, times from $EPOCHREALTIME.
handler flaky.sh <<'H'
start=${EPOCHREALTIME/./}
n=$(( $(cat "$T/flaky.count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$T/flaky.count"
rc=0
if [ "$n" -lt 3 ]; then
	echo "flaky: failing run $n" >&2
	rc=1
fi
echo "$HOOKQ_ATTEMPT $start ${EPOCHREALTIME/./}" >> "$T/flaky.runs"
exit $rc
H
# dead: fails with exit 3 and a recognisable stderr line, unless dead.ok exists.
handler dead.sh <<'H'
if [ -e "$T/dead.ok" ]; then
	echo "dead: recovered on attempt $HOOKQ_ATTEMPT"
	exit 0
fi
echo "dead-handler: recognisable failure, attempt $HOOKQ_ATTEMPT" >&2
exit 3
H
# slow: fails once; its end time (ms) goes to slow.end.
handler slow.sh <<'H'
echo "slow: failing attempt $HOOKQ_ATTEMPT" >&2
end=${EPOCHREALTIME/./}
echo "${end%???}" > "$T/slow.end"
exit 1
H
# big: over 4 KiB of stderr, then exit 4.
handler big.sh <<'H'
cat "$T/bigerr.txt" >&2
exit 4
H
# 100 numbered lines of 100 bytes.
pad=$(printf 'x%.0s' {1..83})
for i in {1..100}; do printf 'bigerr line %03d %s\n' "$i" "$pad"; done > "$T/bigerr.txt"

new_secret gh
write_config <<C
[source flaky]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/flaky.sh
max_attempts = 5
backoff_base = 300ms
backoff_max = 10s

[source dead]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/dead.sh
max_attempts = 3
backoff_base = 300ms
backoff_max = 400ms

[source slow]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/slow.sh
max_attempts = 2
backoff_base = 20s
backoff_max = 1m

[source big]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/big.sh
max_attempts = 1
C
start_receiver
start_nginx

# col EXPR ID: one value of event row ID's delivery (delivery_events).
col() {
	sql "SELECT $1 FROM delivery_events WHERE event = $2"
}
# logged_delay MARK SOURCE ROW ATTEMPT: the "result=retry in=Nms" of that run in the worker log.
logged_delay() {
	wlog_since "$1" | grep -E "source=$2 row=$3 attempt=$4 exit [0-9]+ ms=[0-9]+ result=retry in=" |
		sed -n 's/.* in=\([0-9]*\)ms$/\1/p' | tail -n 1
}
# between LOW VALUE HIGH: LOW <= VALUE <= HIGH (integers; an empty VALUE is false).
between() {
	[ -n "$2" ] && [ "$1" -le "$2" ] && [ "$2" -le "$3" ]
}
SLACK=400 # ms, on the upper side only: the machine is noisy

case_start
start_worker
want_true "worker running" alive "$WORKER_PID"
case_end "worker starts"
first_pid=$WORKER_PID

# ---- fails twice, then succeeds --------------------------------------------------------

mark=$(wlog_mark)
b=$(body flaky.json '{"flaky":true}')
case_start
want "POST flaky" 200 "$(post_github flaky "$b" d-flaky-1 push)"
fid=$(row_id flaky d-flaky-1)
want "status within 20 s" "done" "$(wait_sql "SELECT status FROM delivery_events WHERE event = ${fid:-0}" "done" 20)"
want "status|attempts|last_error NULL|finished_at set" "done|3|1|1" \
	"$(col "status, attempts, CAST(last_error IS NULL AS INTEGER), CAST(finished_at > 0 AS INTEGER)" "${fid:-0}")"
want "runs" 3 "$(wc -l < "$T/flaky.runs" 2>/dev/null)"
want "HOOKQ_ATTEMPT of each run" "1 2 3" "$(cut -d' ' -f1 "$T/flaky.runs" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
want_true "worker log: attempt 1 exit 1, retry" wlog_wait "$mark" "source=flaky row=$fid attempt=1 exit 1 .*result=retry" 1 5
want_true "worker log: attempt 2 exit 1, retry" wlog_wait "$mark" "source=flaky row=$fid attempt=2 exit 1 .*result=retry" 1 5
want_true "worker log: attempt 3 exit 0, done" wlog_wait "$mark" "source=flaky row=$fid attempt=3 exit 0 .*result=done" 1 5
case_end "a handler failing twice then succeeding: done after 3 attempts, HOOKQ_ATTEMPT 1, 2, 3"

# The gaps between the end of one run and the start of the next, as the handler saw them.
gap1="" gap2=""
if [ -f "$T/flaky.runs" ] && [ "$(wc -l < "$T/flaky.runs")" -ge 3 ]; then
	read -r _ _ end1 _ _ end2 < <(head -n 2 "$T/flaky.runs" | tr '\n' ' ')
	read -r _ start2 _ _ start3 _ < <(sed -n '2,3p' "$T/flaky.runs" | tr '\n' ' ')
	gap1=$(( (start2 - end1) / 1000 ))
	gap2=$(( (start3 - end2) / 1000 ))
fi
in1=$(logged_delay "$mark" flaky "$fid" 1)
in2=$(logged_delay "$mark" flaky "$fid" 2)
case_start
want_true "delay after attempt 1 as logged (${in1:-none} ms) in [240, 360]" between 240 "$in1" 360
want_true "delay after attempt 2 as logged (${in2:-none} ms) in [480, 720]" between 480 "$in2" 720
want_true "gap run 1 -> run 2 (${gap1:-none} ms) in [240, $((360 + SLACK))]" between 240 "$gap1" $((360 + SLACK))
want_true "gap run 2 -> run 3 (${gap2:-none} ms) in [480, $((720 + SLACK))]" between 480 "$gap2" $((720 + SLACK))
# next_attempt_at is whole ms: a run may start up to 1 ms before end + logged delay.
want_true "gap run 1 -> run 2 (${gap1:-none} ms) not shorter than the logged delay (${in1:-none} ms)" \
	between $(( ${in1:-999999} - 1 )) "$gap1" 999999
want_true "gap run 2 -> run 3 (${gap2:-none} ms) not shorter than the logged delay (${in2:-none} ms)" \
	between $(( ${in2:-999999} - 1 )) "$gap2" 999999
echo "# logged delays ${in1:-none} ms, ${in2:-none} ms; measured gaps ${gap1:-none} ms, ${gap2:-none} ms"
case_end "backoff 300ms doubling: run 2 starts 300 ms +-20% after run 1 ended, run 3 600 ms +-20% after run 2"

# ---- the stored next_attempt_at of a pending retry ----------------------------------------

mark=$(wlog_mark)
b=$(body slow.json '{"slow":true}')
case_start
want "POST slow" 200 "$(post_github slow "$b" d-slow-1 push)"
sid=$(row_id slow d-slow-1)
want "status|attempts within 15 s" "pending|1" \
	"$(wait_sql "SELECT status || '|' || attempts FROM delivery_events WHERE event = ${sid:-0}" 'pending|1' 15)"
t_obs=$(now_ms)
t_end=$(cat "$T/slow.end" 2>/dev/null)
next=$(col next_attempt_at "${sid:-0}")
want_true "handler's end time recorded" [ -n "$t_end" ]
want_true "next_attempt_at ($next) in [end $t_end + 16000, seen $t_obs + 24000]" \
	between $(( ${t_end:-0} + 16000 )) "$next" $(( t_obs + 24000 ))
want_true "worker log: retry line" wlog_wait "$mark" "source=slow row=$sid attempt=1 exit 1 .*result=retry in=" 1 5
in=$(logged_delay "$mark" slow "$sid" 1)
want_true "logged delay (${in:-none} ms) in [16000, 24000]" between 16000 "$in" 24000
want_true "next_attempt_at - logged delay within [end, seen]" \
	between "${t_end:-0}" $(( ${next:-0} - ${in:-0} )) "$t_obs"
want "last_error" $'exit status 1\nslow: failing attempt 1' "$(col last_error "${sid:-0}")"
want "lease_until NULL|finished_at NULL|claimed_by set" "1|1|1" \
	"$(col "CAST(lease_until IS NULL AS INTEGER), CAST(finished_at IS NULL AS INTEGER),
		CAST(length(claimed_by) > 0 AS INTEGER)" "${sid:-0}")"
case_end "a failed run leaves the row pending: next_attempt_at = end + 20 s +-20%, last_error = status + stderr"

# ---- max_attempts: dead -------------------------------------------------------------------

mark=$(wlog_mark)
b=$(body dead.json '{"dead":true}')
case_start
want "POST dead" 200 "$(post_github dead "$b" d-dead-1 push)"
did=$(row_id dead d-dead-1)
want "status within 20 s" dead "$(wait_sql "SELECT status FROM delivery_events WHERE event = ${did:-0}" dead 20)"
want "attempts|finished_at set|lease_until NULL" "3|1|1" \
	"$(col "attempts, CAST(finished_at > 0 AS INTEGER), CAST(lease_until IS NULL AS INTEGER)" "${did:-0}")"
want "hex(last_error)" \
	"$(printf 'exit status 3\ndead-handler: recognisable failure, attempt 3\n' | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)" \
	"$(col "$(sql_text_hex last_error)" "${did:-0}")"
want_true "last_error contains 'exit status 3'" [ "$(col "$(sql_instr last_error "'exit status 3'")" "${did:-0}")" -gt 0 ]
want_true "worker log: attempt 3 dead" wlog_wait "$mark" "source=dead row=$did attempt=3 exit 3 ms=[0-9]+ result=dead" 1 5
want_true "worker log: stderr line" wlog_wait "$mark" \
	"source=dead row=$did attempt=1 stderr: \"dead-handler: recognisable failure, attempt 1\"" 1 5
case_end "always failing (exit 3), max_attempts = 3: dead after 3 attempts, last_error = 'exit status 3' + that run's stderr"

in1=$(logged_delay "$mark" dead "$did" 1)
in2=$(logged_delay "$mark" dead "$did" 2)
case_start
want_true "delay after attempt 1 (${in1:-none} ms) in [240, 360]" between 240 "$in1" 360
want_true "delay after attempt 2 (${in2:-none} ms) in [320, 480] (capped at 400 ms, not 600)" between 320 "$in2" 480
case_end "backoff_max caps the doubling: 300 ms, then 400 ms (not 600), each +-20%"

# ---- over 4 KiB of stderr --------------------------------------------------------------------

b=$(body big.json '{"big":true}')
case_start
want "POST big" 200 "$(post_github big "$b" d-big-1 push)"
bid=$(row_id big d-big-1)
want "status within 15 s" dead "$(wait_sql "SELECT status FROM delivery_events WHERE event = ${bid:-0}" dead 15)"
want "stderr size" 10000 "$(stat -c %s "$T/bigerr.txt")"
{ printf 'exit status 4\n'; tail -c 4096 "$T/bigerr.txt"; } > "$T/big.expected"
want "length(last_error)" "$(stat -c %s "$T/big.expected")" "$(col "$(sql_octets last_error)" "${bid:-0}")"
rm -f "$T/big.got"
# (its bytes through hex: the store's client prints text, not bytes, on both)
col "$(sql_text_hex last_error)" "${bid:-0}" |
	"$PY" -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' > "$T/big.got"
want "cmp with the status line + tail -c 4096" "" "$(cmp "$T/big.expected" "$T/big.got" 2>&1)"
case_end "10000 bytes of stderr: last_error = the status line + exactly the last 4096 bytes"

# ---- an operator requeues the dead row ---------------------------------------------------------

mark=$(wlog_mark)
touch "$T/dead.ok"
case_start
want "status before" dead "$(col status "${did:-0}")"
dd=$(delivery_id dead d-dead-1)
want_true "the dead delivery (id '$dd')" [ -n "$dd" ]
requeue="UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = 0, finished_at = NULL, last_error = NULL WHERE id = ${dd:-0} AND status = 'dead';"
if [ "$STORE" = sqlite ]; then
	sqlite3 -batch -cmd '.timeout 5000' "$DB" "$requeue"
else
	sql "$requeue"
fi
want "the operator's UPDATE" 0 "$?"
want "status within 10 s" "done" "$(wait_sql "SELECT status FROM delivery_events WHERE event = ${did:-0}" "done" 10)"
want "attempts|last_error NULL|finished_at set|lease_until NULL" "1|1|1|1" \
	"$(col "attempts, CAST(last_error IS NULL AS INTEGER), CAST(finished_at > 0 AS INTEGER),
		CAST(lease_until IS NULL AS INTEGER)" "${did:-0}")"
want_true "worker log: handler stdout" wlog_wait "$mark" \
	"source=dead row=$did attempt=1 stdout: \"dead: recovered on attempt 1\"" 1 5
want_true "worker log: done" wlog_wait "$mark" "source=dead row=$did attempt=1 exit 0 ms=[0-9]+ result=done" 1 5
want "same worker process" "$first_pid" "$WORKER_PID"
want_true "worker still running" alive "$first_pid"
want "start-up lines in the worker log" 1 "$(grep -cE "$WORKER_UP" "$T/worker.log")"
want "deliveries of the event (the requeue made no other)" 1 \
	"$(sql "SELECT count(*) FROM deliveries WHERE event = ${did:-0}")"
case_end "UPDATE deliveries SET status = 'pending', attempts = 0 ... by sqlite3 (psql): the running worker wakes and the delivery ends done"

# ---- stop ------------------------------------------------------------------------------------

case_start
stop_worker
want "exit status" 0 "$WORKER_RC"
want "slow row still waiting for its retry" "pending|1" "$(col "status || '|' || attempts" "${sid:-0}")"
case_end "SIGTERM: the worker exits 0, a scheduled retry stays pending"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
