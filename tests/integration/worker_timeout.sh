#!/bin/bash
# worker_timeout.sh: handler_timeout. A handler still running when its time
# is up gets SIGTERM, with its whole process group (children it started
# too), and SIGKILL HANDLER_KILL_GRACE_MS (5 s) later if it is still there.
# The run counts as a failed attempt: the row goes back to pending with
# "timed out" in last_error, and the retry runs as usual.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

KILL_GRACE_MS=$(sed -n 's/^#define HANDLER_KILL_GRACE_MS \([0-9]*\).*/\1/p' "$top_srcdir/src/handler.h")
[ -n "$KILL_GRACE_MS" ] || bail "HANDLER_KILL_GRACE_MS not found in src/handler.h"

# handler NAME: writes the bash script $T/h/NAME from stdin (with T set), executable.
mkdir -p "$T/h"
handler() {
	{ echo '#!/bin/bash'; printf 'T=%q\n' "$T"; cat; } > "$T/h/$1"
	chmod +x "$T/h/$1"
}
# hang: unless hang.ok exists, starts a child, writes "PID START_US CHILD_PID"
# to hang.pid, then sleeps (far longer than the timeout).
handler hang.sh <<'H'
if [ -e "$T/hang.ok" ]; then
	echo "hang: quick on attempt $HOOKQ_ATTEMPT"
	exit 0
fi
sleep 300 &
child=$!
echo "$$ ${EPOCHREALTIME/./} $child" > "$T/hang.pid.tmp"
mv "$T/hang.pid.tmp" "$T/hang.pid"
echo "hang: hanging on attempt $HOOKQ_ATTEMPT" >&2
sleep 300
echo "hang: woke up" >&2
H
# stubborn: the same, but ignoring SIGTERM (its children inherit that).
handler stubborn.sh <<'H'
if [ -e "$T/stubborn.ok" ]; then
	echo "stubborn: quick on attempt $HOOKQ_ATTEMPT"
	exit 0
fi
trap '' TERM
sleep 300 &
child=$!
echo "$$ ${EPOCHREALTIME/./} $child" > "$T/stubborn.pid.tmp"
mv "$T/stubborn.pid.tmp" "$T/stubborn.pid"
echo "stubborn: ignoring SIGTERM" >&2
sleep 300
echo "stubborn: woke up" >&2
H

new_secret gh
write_config <<C
[source hang]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/hang.sh
handler_timeout = 1s
max_attempts = 5
backoff_base = 3s
backoff_max = 3s

[source stubborn]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/stubborn.sh
handler_timeout = 1000ms
max_attempts = 5
backoff_base = 2s
C
start_receiver
start_nginx

# col EXPR ID: one value of event row ID's delivery (delivery_events).
col() {
	sql "SELECT $1 FROM delivery_events WHERE event = $2"
}
# run_ms MARK SOURCE ROW ATTEMPT: the ms= of that run's result line in the worker log.
run_ms() {
	wlog_since "$1" | grep -E "source=$2 row=$3 attempt=$4 [a-z]+( [0-9]+)? ms=[0-9]+ result=" |
		sed -n 's/.* ms=\([0-9]*\) result=.*/\1/p' | tail -n 1
}
# between LOW VALUE HIGH: LOW <= VALUE <= HIGH (integers; an empty VALUE is false).
between() {
	[ -n "$2" ] && [ "$1" -le "$2" ] && [ "$2" -le "$3" ]
}
# pending_query ID TEXT: the query for a row waiting after a timeout: status, attempts,
# last_error's first line, whether last_error holds TEXT, lease_until NULL, finished_at NULL.
pending_query() {
	local nl
	nl=$(sql_instr last_error "$(sql_chr 10)")
	echo "SELECT status, attempts, substr(last_error, 1, $nl - 1)," \
		"CAST($(sql_instr last_error "$(sql_str "$2")") > 0 AS INTEGER)," \
		"CAST(lease_until IS NULL AS INTEGER), CAST(finished_at IS NULL AS INTEGER)" \
		"FROM delivery_events WHERE event = $1"
}
# pgid PID: the process group of PID.
pgid() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	set -- $st
	echo "$3"
}

# Should the worker leave a handler's process group behind, end it with the test.
kill_leftovers() {
	local f pid start child
	for f in "$T/hang.pid" "$T/stubborn.pid"; do
		[ -f "$f" ] || continue
		read -r pid start child < "$f"
		[ -n "$child" ] && [ "$(pgid "$child")" = "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null
	done
	return 0
}
trap 'kill_leftovers; cleanup' EXIT

case_start
start_worker
want_true "worker running" alive "$WORKER_PID"
case_end "worker starts"

# ---- a handler (and its child) past handler_timeout ----------------------------------------

mark=$(wlog_mark)
b=$(body hang.json '{"hang":true}')
case_start
want "POST hang" 200 "$(post_github hang "$b" d-hang-1 push)"
hid=$(row_id hang d-hang-1)
want_true "handler started within 10 s" wait_file "$T/hang.pid" 10
# Run 1 is past its check: the retry will succeed.
touch "$T/hang.ok"
read -r hpid hstart hchild < "$T/hang.pid" 2>/dev/null
want_true "worker log: run line with the handler's pid ($hpid)" wlog_wait "$mark" \
	"source=hang row=$hid attempt=1 id=\"d-hang-1\" run pid=${hpid:-x}\$" 1 5
want "child in the handler's process group" "$hpid" "$(pgid "${hchild:-0}")"
# One query, while the row waits for its retry (3 s +-20%): status, attempts,
# last_error's first line, its stderr part, lease_until NULL, finished_at NULL.
want "status|attempts|last_error line 1|stderr in last_error|lease_until NULL|finished_at NULL (within 15 s)" \
	"pending|1|timed out after 1.000s and was killed|1|1|1" "$(wait_sql "$(pending_query "${hid:-0}" 'hang: hanging on attempt 1')" \
	"pending|1|timed out after 1.000s and was killed|1|1|1" 15)"
want_true "handler $hpid gone" wait_gone "${hpid:-0}" 10
want_true "its child $hchild gone" wait_gone "${hchild:-0}" 10
ms1=$(run_ms "$mark" hang "$hid" 1)
want_true "run lasted (${ms1:-none} ms, worker's clock) in [1000, 2500]: stopped at the timeout by SIGTERM" \
	between 1000 "$ms1" 2500
want_true "worker log: outcome timeout, retry" wlog_wait "$mark" \
	"source=hang row=$hid attempt=1 timeout ms=[0-9]+ result=retry in=[0-9]+ms" 1 5
case_end "handler_timeout = 1s: after ~1 s the handler and its child are gone; row pending, attempts 1, 'timed out' in last_error"

case_start
want "status within 15 s" "done" "$(wait_sql "SELECT status FROM delivery_events WHERE event = ${hid:-0}" "done" 15)"
want "attempts|last_error NULL|finished_at set" "2|1|1" \
	"$(col "attempts, CAST(last_error IS NULL AS INTEGER), CAST(finished_at > 0 AS INTEGER)" "${hid:-0}")"
want_true "worker log: attempt 2 said its line" wlog_wait "$mark" \
	"source=hang row=$hid attempt=2 stdout: \"hang: quick on attempt 2\"" 1 5
want_true "worker log: attempt 2 done" wlog_wait "$mark" \
	"source=hang row=$hid attempt=2 exit 0 ms=[0-9]+ result=done" 1 5
case_end "the timed-out row is retried and its second (quick) run ends it done, attempts 2"

# ---- a handler that ignores SIGTERM --------------------------------------------------------

mark=$(wlog_mark)
b=$(body stubborn.json '{"stubborn":true}')
case_start
want "POST stubborn" 200 "$(post_github stubborn "$b" d-stubborn-1 push)"
sid=$(row_id stubborn d-stubborn-1)
want_true "handler started within 10 s" wait_file "$T/stubborn.pid" 10
touch "$T/stubborn.ok"
read -r spid sstart schild < "$T/stubborn.pid" 2>/dev/null
# Past the timeout's SIGTERM (1 s) and well before the SIGKILL (1 s + grace),
# it must still be there. A machine too slow to look in time skips this look.
while [ $(( $(now_ms) - ${sstart:-0} / 1000 )) -lt 2500 ]; do sleep 0.05; done
t_look=$(( $(now_ms) - ${sstart:-0} / 1000 ))
if [ "$t_look" -lt $((KILL_GRACE_MS - 500)) ]; then
	want_true "handler $spid alive at $t_look ms, after the SIGTERM" alive "${spid:-0}"
	want_true "its child $schild alive at $t_look ms" alive "${schild:-0}"
	want "row still running" running "$(col status "${sid:-0}")"
else
	echo "# looked only at $t_look ms: alive check skipped"
fi
want "status|attempts|last_error line 1|stderr in last_error|lease_until NULL|finished_at NULL (within 20 s)" \
	"pending|1|timed out after 1.000s and was killed|1|1|1" "$(wait_sql "$(pending_query "${sid:-0}" 'stubborn: ignoring SIGTERM')" \
	"pending|1|timed out after 1.000s and was killed|1|1|1" 20)"
want_true "handler $spid gone" wait_gone "${spid:-0}" 10
want_true "its child $schild gone" wait_gone "${schild:-0}" 10
ms1=$(run_ms "$mark" stubborn "$sid" 1)
want_true "run lasted (${ms1:-none} ms) in [$((1000 + KILL_GRACE_MS)), $((1000 + KILL_GRACE_MS + 1500))]: SIGKILL after the grace" \
	between $((1000 + KILL_GRACE_MS)) "$ms1" $((1000 + KILL_GRACE_MS + 1500))
want_true "worker log: outcome timeout, retry" wlog_wait "$mark" \
	"source=stubborn row=$sid attempt=1 timeout ms=[0-9]+ result=retry in=[0-9]+ms" 1 5
want_true "worker log: nothing after sleep 300 (it was killed, not woken)" \
	eval "! wlog_since $mark | grep -q 'stubborn: woke up'"
case_end "a handler ignoring SIGTERM is SIGKILLed ${KILL_GRACE_MS} ms after the timeout, with its child; row pending, 'timed out'"

case_start
want "status within 15 s" "done" "$(wait_sql "SELECT status FROM delivery_events WHERE event = ${sid:-0}" "done" 15)"
want "attempts|last_error NULL|finished_at set" "2|1|1" \
	"$(col "attempts, CAST(last_error IS NULL AS INTEGER), CAST(finished_at > 0 AS INTEGER)" "${sid:-0}")"
want_true "worker log: attempt 2 done" wlog_wait "$mark" \
	"source=stubborn row=$sid attempt=2 exit 0 ms=[0-9]+ result=done" 1 5
case_end "the SIGKILLed row is retried and ends done, attempts 2"

# ---- stop ----------------------------------------------------------------------------------

case_start
stop_worker
want "exit status" 0 "$WORKER_RC"
want "rows not done" 0 "$(sql "SELECT count(*) FROM deliveries WHERE status != 'done'")"
want "events without exactly one delivery" 0 \
	"$(sql "SELECT count(*) FROM events WHERE (SELECT count(*) FROM deliveries WHERE event = events.id) <> 1")"
case_end "SIGTERM: the worker exits 0"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
