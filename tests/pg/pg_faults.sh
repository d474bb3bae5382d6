#!/bin/bash
# pg_faults.sh: what only a PostgreSQL store goes through (HOOKQ_STORE=pg,
# the default here; skipped on SQLite).
#  - The server stops (pg_ctl stop -m fast: every session ended, as a
#    restart or a failover does) while load.py sends signed events: while it
#    is down the receiver answers 503 with Retry-After, never 200; once it is
#    back the same receiver reconnects on its own and answers 200 again; every
#    event answered 200 has its row (and the rows no 200 acknowledged are at
#    most the 503s: a commit whose answer the stop cut off).
#  - Two hookq-workers, each its own claimant (host:pid:random), drain 500
#    events of one route: every delivery runs exactly once, 500 distinct
#    handler runs, and both workers took some (claimed_by has two values).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
HOOKQ_STORE=${HOOKQ_STORE:-pg}
. "$top_srcdir/tests/integration/lib.sh"

if [ "$STORE" != pg ]; then
	echo "1..0 # SKIP PostgreSQL only (HOOKQ_STORE=$HOOKQ_STORE)"
	exit 0
fi

EVENTS=500

# The handler: one line per run, "EVENT_ID DELIVERY_ID ATTEMPT", one short
# O_APPEND write; the pause spreads the runs over both workers.
cat > "$T/handler.sh" <<'SH'
#!/bin/sh
echo "$HOOKQ_EVENT_ID $HOOKQ_DELIVERY_ID $HOOKQ_ATTEMPT" >> "$1"
sleep 0.02
exit 0
SH
chmod +x "$T/handler.sh"
: > "$T/runs.log"

new_secret gh
write_config "concurrency = 4
busy_timeout = 1000" <<C
[source github]
scheme = github
secret_file = $T/gh.secret

[source drain]
scheme = github
secret_file = $T/gh.secret
handler = $T/handler.sh $T/runs.log
handler_timeout = 20s
backoff_base = 100ms
C
start_receiver
start_nginx

# ---- the server stops under load, and comes back ---------------------------------------

# probe ID: one signed event of its own; prints "STATUS RETRY_AFTER".
probe() {
	local b s
	b=$(body "$1.json" "{\"probe\":\"$1\"}")
	s=$(post_github github "$b" "$1" push)
	echo "$s $(response_header Retry-After)"
}

start_load down --clients 8 --prefix d-
sleep 1.5
up_rows=$(count_rows)
mark=$(log_mark)
t_stop=$(now_ms)
pg_stop fast || bail "pg_ctl stop -m fast failed"
stop_ms=$(($(now_ms) - t_stop))
sleep 1 # the load goes on against a store that is gone
read -r down_status down_retry < <(probe probe-down)
sleep 1
down_unavailable=$(log_since "$mark" | grep -c 'status=503 outcome=unavailable')
pg_start
t_up=$(now_ms)
restart_rows=$(sql "SELECT count(*) FROM events WHERE event_id LIKE 'd-%'")
# The same receiver, not restarted, takes events again on its own.
back_ms=
for i in $(seq 1 150); do
	read -r s _ < <(probe "probe-up-$i")
	if [ "$s" = 200 ]; then
		back_ms=$(($(now_ms) - t_up))
		break
	fi
	sleep 0.1
done
up_probe=${i}
sleep 1.5 # and the load is answered 200 again
stop_load down
ok_n=$(load_ids down 200 | wc -l)
n503=$(load_ids down 503 | wc -l)
echo "# $(load_result down requests) requests ($(load_result down statuses)); server stopped in" \
	"${stop_ms} ms; $up_rows rows before the stop; 200 again ${back_ms:-never} ms after the start" \
	"(probe $up_probe)"

case_start
want "load generator exit" 0 "$LOAD_RC"
want "clients still running" 0 "$(load_result down unfinished)"
want "requests without an HTTP answer" 0 "$(load_result down errors)"
want "answers other than 200 and 503 (with Retry-After)" "" \
	"$(awk '$2 != 200 && $2 != 503 { print $2 }' "$T/down.results" | sort | uniq -c | tr -s ' ' | paste -sd,)"
want_true "events stored before the stop ($up_rows)" test "$up_rows" -gt 0
want_true "503 answers while the server was down ($n503)" test "$n503" -gt 0
want_true "200 answers ($ok_n)" test "$ok_n" -gt "$up_rows"
case_end "load across the stop: every answer 200 or 503 with Retry-After, none lost"

case_start
want "a webhook while the server is down: status" 503 "$down_status"
want_true "... with Retry-After in seconds ('$down_retry')" grep -Eq '^[0-9]+$' <<< "$down_retry"
want "... and no row" 0 "$(rows github probe-down)"
want_true "the receiver logged outcome=unavailable while down ($down_unavailable lines)" \
	test "$down_unavailable" -gt 0
want_true "the receiver still running" alive "$RECEIVER_PID"
case_end "PostgreSQL down: the receiver answers 503 with Retry-After, stores nothing, stays up"

case_start
want_true "200 again within 15 s of the server's start (${back_ms:-never} ms)" test -n "$back_ms"
want "the probe that got 200 has its row" 1 "$(rows github "probe-up-$up_probe")"
want "the same receiver process" 1 "$(grep -c 'listening on' "$T/receiver.log")"
want_true "still running" alive "$RECEIVER_PID"
want_true "the load's events stored after the start ($restart_rows before)" \
	test "$(sql "SELECT count(*) FROM events WHERE event_id LIKE 'd-%'")" -gt "$restart_rows"
case_end "PostgreSQL back: the receiver reconnects on its own and answers 200 (no restart)"

ids_vs_rows down github 'd-*' > "$T/down.cmp"
read -r missing extra < <(sed 's/[a-z]*=//g' "$T/down.cmp")
case_start
want "ids answered 200 without a row" 0 "$missing"
want_true "rows without a 200 ($extra) at most the 503s ($n503)" test "$extra" -le "$n503"
want "rows of the probes answered 503" 0 \
	"$(sql "SELECT count(*) FROM events WHERE event_id = 'probe-down'")"
case_end "every event answered 200 is in the events table ($ok_n acknowledged, $missing missing)"

# ---- two workers drain one route ----------------------------------------------------

start_worker w1
W1_PID=$WORKER_PID
start_worker w2
W2_PID=$WORKER_PID
claimant() {
	sed -n 's/.* worker \([^ ]*\): database .*/\1/p' "$T/$1.log" | tail -n 1
}
W1=$(claimant w1)
W2=$(claimant w2)
run_load drain --source drain --events "$EVENTS" --clients 8 --prefix w-
case_start
want "load generator exit" 0 "$LOAD_RC"
want "statuses" "200=$EVENTS" "$(load_result drain statuses)"
want "answers" "stored=$EVENTS" "$(load_result drain answers)"
case_end "$EVENTS events for the route drain, all stored"

case_start
want "deliveries done within 60 s" "$EVENTS" \
	"$(wait_sql "SELECT count(*) FROM delivery_events WHERE route = 'drain' AND status = 'done'" \
		"$EVENTS" 60)"
sleep 0.2 # (a run's line is written before its result)
want "handler runs" "$EVENTS" "$(wc -l < "$T/runs.log" | tr -d ' ')"
want "distinct lines" "$EVENTS" "$(sort -u "$T/runs.log" | wc -l | tr -d ' ')"
want "distinct event ids" "$EVENTS" "$(cut -d' ' -f1 "$T/runs.log" | sort -u | wc -l | tr -d ' ')"
want "distinct delivery ids" "$EVENTS" "$(cut -d' ' -f2 "$T/runs.log" | sort -u | wc -l | tr -d ' ')"
want "runs with an attempt other than 1" 0 "$(awk '$3 != 1' "$T/runs.log" | wc -l | tr -d ' ')"
sql "SELECT event_id || ' ' || id || ' ' || attempts FROM delivery_events WHERE route = 'drain'" |
	sort > "$T/expected.runs"
want "runs that are not the table's deliveries" 0 \
	"$(sort "$T/runs.log" | diff "$T/expected.runs" - | grep -c '^[<>]')"
want "deliveries not done once, or with an error" 0 \
	"$(sql "SELECT count(*) FROM deliveries WHERE route = 'drain' AND (status <> 'done'
		OR attempts <> 1 OR last_error IS NOT NULL OR lease_until IS NOT NULL)")"
want "events without exactly one delivery" 0 \
	"$(sql "SELECT count(*) FROM events WHERE source = 'drain'
		AND (SELECT count(*) FROM deliveries WHERE event = events.id) <> 1")"
case_end "two workers, $EVENTS deliveries: each run exactly once, $EVENTS distinct handler runs"

n1=$(sql "SELECT count(*) FROM deliveries WHERE claimed_by = $(sql_str "$W1")")
n2=$(sql "SELECT count(*) FROM deliveries WHERE claimed_by = $(sql_str "$W2")")
echo "# deliveries claimed by w1 ($W1): $n1, by w2 ($W2): $n2"
case_start
want_true "two claimants, host:pid:random ($W1, $W2)" \
	eval '[[ "$W1" =~ ^[^:]+:$W1_PID:[^:]+$ && "$W2" =~ ^[^:]+:$W2_PID:[^:]+$ ]]'
want "distinct claimed_by" 2 "$(sql "SELECT count(DISTINCT claimed_by) FROM deliveries WHERE route = 'drain'")"
want "claimed by neither worker" 0 \
	"$(sql "SELECT count(*) FROM deliveries WHERE claimed_by NOT IN ($(sql_str "$W1"), $(sql_str "$W2"))")"
want_true "w1 took some ($n1)" test "${n1:-0}" -gt 0
want_true "w2 took some ($n2)" test "${n2:-0}" -gt 0
want "w1 log lines result=done" "$n1" "$(grep -c 'result=done' "$T/w1.log")"
want "w2 log lines result=done" "$n2" "$(grep -c 'result=done' "$T/w2.log")"
case_end "both workers took part, each logged done for exactly what it claimed"

case_start
stop_worker "$W1_PID"
want "w1 exit status" 0 "$WORKER_RC"
stop_worker "$W2_PID"
want "w2 exit status" 0 "$WORKER_RC"
stop_receiver
want "receiver exit status" 0 "$RECEIVER_RC"
case_end "SIGTERM: both workers and the receiver exit 0"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
