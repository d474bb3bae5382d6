#!/bin/bash
# stream.sh: handler_mode = stream through the real chain. 1,000 events
# through scripts/stream-handler.py (the shipped example) at concurrency 2:
# each handled once, by at most two processes. Then test handlers of this
# file's own that fail in each way the worker must survive: one that dies
# mid-stream, one that asks for a retry, one that declares an event dead,
# one that writes garbage, one that hangs past handler_timeout; and a worker
# stopping, whose stream handlers exit.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

new_secret gh
mkdir -p "$T/h"
# A test handler: reads frames as the README describes, appends "PID DELIVERY
# ATTEMPT EVENT_TYPE" to $T/NAME.runs, then acts on $T/NAME.mode's rule for
# the event's delivery id: exit-5th (exit on the 5th event of its life),
# retry-once, dead, garbage-once, sleep-once.
cat > "$T/h/test-handler.py" <<'P'
import json, os, sys, time
name, T = sys.argv[1], sys.argv[2]
i, o = sys.stdin.buffer, sys.stdout.buffer
mode = open(os.path.join(T, name + ".mode")).read().strip()
seen = 0
while True:
    line = i.readline()
    if not line:
        sys.exit(0)
    m = json.loads(line)
    i.read(m["body_length"] + 1)
    seen += 1
    with open(os.path.join(T, name + ".runs"), "a") as f:
        f.write("%d %d %d\n" % (os.getpid(), m["delivery_id"], m["attempt"]))
    first = m["attempt"] == 1
    if mode == "exit-5th" and seen == 5:
        print("dying on my 5th event", file=sys.stderr, flush=True)
        sys.exit(4)
    if mode == "retry-once" and first:
        o.write(b"retry busy right now\n")
    elif mode == "dead":
        o.write(b"dead nope, not ours\n")
    elif mode == "garbage-once" and first:
        o.write(b"{\"status\": \"ok\"}\n")
    elif mode == "sleep-once" and first:
        time.sleep(30)
    else:
        o.write(b"ok\n")
    o.flush()
P

# stream_route NAME HANDLER... : a [source NAME] and its stream route.
stream_route() {
	local name=$1
	shift
	printf '[source %s]\nscheme = github\nsecret_file = %s\n' "$name" "$T/gh.secret"
	printf '[route %s]\nsource = %s\nhandler_mode = stream\nbackoff_base = 100ms\n' "$name" "$name"
	printf '%s\n' "$@"
}
for m in exit-5th retry-once dead garbage-once sleep-once; do echo "$m" > "$T/$m.mode"; done
{
	stream_route bulk "handler = $top_srcdir/scripts/stream-handler.py" "concurrency = 2"
	for m in exit-5th retry-once dead garbage-once; do
		stream_route "$m" "handler = $PY $T/h/test-handler.py $m $T" "concurrency = 1"
	done
	stream_route sleep-once "handler = $PY $T/h/test-handler.py sleep-once $T" "concurrency = 1" \
		"handler_timeout = 1s"
} > "$T/routes.ini"
write_config "concurrency = 4" < "$T/routes.ini"
export STREAM_HANDLER_OUT="$T/bulk.handled"
start_receiver
start_nginx
start_worker

done_count() { # SOURCE
	sql "SELECT count(*) FROM delivery_events WHERE source = '$1' AND status = 'done'"
}

# --- 1,000 events through the example handler, two processes ---
case_start
run_load bulk --source bulk --events 1000 --clients 8 --prefix b-
want "load.py: every POST answered 200" "200=1000" "$(load_result bulk statuses)"
want "all 1000 done" 1000 "$(wait_sql "SELECT count(*) FROM delivery_events WHERE source = 'bulk'
	AND status = 'done'" 1000 60)"
want "each delivery handled exactly once" "1000 1000" \
	"$(wc -l < "$T/bulk.handled") $(cut -d' ' -f1 "$T/bulk.handled" | sort -u | wc -l)"
want_true "at most 2 handler processes ($(cut -d' ' -f2 "$T/bulk.handled" | sort -u | wc -l))" \
	test "$(cut -d' ' -f2 "$T/bulk.handled" | sort -u | wc -l)" -le 2
want "every delivery on its first attempt" 0 "$(sql "SELECT count(*) FROM delivery_events
	WHERE source = 'bulk' AND attempts != 1")"
case_end "1,000 events through a stream route of concurrency 2: each handled once, by at most 2 processes"

# --- a handler that dies mid-stream ---
case_start
for i in $(seq 1 8); do
	[ "$(post_delivery exit-5th "x-$i")" = 200 ] || CASE_ERRORS+=("POST x-$i")
done
want "all 8 done" 8 "$(wait_sql "SELECT count(*) FROM delivery_events WHERE source = 'exit-5th'
	AND status = 'done'" 8 20)"
want "one event needed a second attempt" 1 "$(sql "SELECT count(*) FROM delivery_events
	WHERE source = 'exit-5th' AND attempts = 2")"
want "a second process took over" 2 "$(cut -d' ' -f1 "$T/exit-5th.runs" | sort -u | wc -l)"
want_true "the worker logged the exit" grep -q "stream handler exited with status 4" "$T/worker.log"
case_end "a stream handler that exits mid-event: restarted, its event retried and done"

# --- the answers ---
case_start
want "POST" 200 "$(post_delivery retry-once r-1)"
want "retry, then done on attempt 2" "done|2" "$(wait_sql "SELECT status || '|' || attempts
	FROM delivery_events WHERE source = 'retry-once'" "done|2" 10)"
want_true "the first attempt logged as a retry" grep -q "route=retry-once .* retry ms=.*result=retry" "$T/worker.log"
want "one process for both attempts" 1 "$(cut -d' ' -f1 "$T/retry-once.runs" | sort -u | wc -l)"
want "POST" 200 "$(post_delivery dead d-1)"
want "dead at once" "dead|1" "$(wait_sql "SELECT status || '|' || attempts
	FROM delivery_events WHERE source = 'dead'" "dead|1" 10)"
want "its reason in last_error" "nope, not ours" "$(sql "SELECT last_error FROM delivery_events
	WHERE source = 'dead'")"
case_end "answers: 'retry REASON' retries (same process), 'dead REASON' is dead at once with REASON"

case_start
want "POST" 200 "$(post_delivery garbage-once g-1)"
want "garbage, then done on attempt 2" "done|2" "$(wait_sql "SELECT status || '|' || attempts
	FROM delivery_events WHERE source = 'garbage-once'" "done|2" 10)"
want "a new process for the retry" 2 "$(cut -d' ' -f1 "$T/garbage-once.runs" | sort -u | wc -l)"
want_true "the worker logged what it wrote" grep -q 'stream handler wrote "{\\"status\\": \\"ok\\"}"' "$T/worker.log"
case_end "a line that is not an answer: the process is replaced, the event retried and done"

case_start
want "POST" 200 "$(post_delivery sleep-once s-1)"
want "timed out, then done on attempt 2" "done|2" "$(wait_sql "SELECT status || '|' || attempts
	FROM delivery_events WHERE source = 'sleep-once'" "done|2" 15)"
want "a new process for the retry" 2 "$(cut -d' ' -f1 "$T/sleep-once.runs" | sort -u | wc -l)"
want_true "killed for its timeout" grep -q "route=sleep-once .*timed out after 1.000s" "$T/worker.log"
case_end "an event past handler_timeout: the process is killed and replaced, the event retried"

# --- stopping ---
case_start
PIDS=$(cat "$T"/*.runs | cut -d' ' -f1; cut -d' ' -f2 "$T/bulk.handled" | sort -u)
stop_worker
want "worker exits 0" 0 "$WORKER_RC"
LEFT=
for p in $PIDS; do alive "$p" && LEFT="$LEFT $p"; done
want "no stream handler left running" "" "$LEFT"
case_end "the worker's SIGTERM: its stream handlers get end of file and exit"

done_testing
