#!/bin/bash
# routes.sh: [route NAME] sections through the real chain (nginx ->
# hookq-receiver -> SQLite -> two hookq-workers -> handlers), read back from
# the handlers' own records and the deliveries table:
#  - fan-out to three routes, one always failing: the two others run each
#    event once, the failing one retries alone and dies alone; on_dead runs
#    once per dead delivery, with HOOKQ_ROUTE and HOOKQ_LAST_ERROR, and its
#    own failure is logged, never retried;
#  - filters by type and by JSON path (match, no match, path absent, a body
#    that is not JSON); an event no route takes is stored, marked unmatched;
#  - concurrency = 1 with two workers: never two runs at once;
#  - rate = 5/s over 30 events: the start times keep to the bucket;
#  - order: 3 keys x 10 events, a handler failing at random, two workers and
#    a kill -9 of one: per key, runs start in arrival order and never overlap;
#  - replay --dry-run counts, replay runs exactly those again.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
HOOKQ="$top_builddir/hookq"

# run.sh LOG MODE: one line per run, "route event_id attempt start_ms end_ms
# exit", appended in one short write after the run. MODE: ok, fail, sleep
# (0.2 s), flaky (fails one run in three, after 20-70 ms).
mkdir -p "$T/h"
cat > "$T/h/run.sh" <<'SH'
#!/bin/bash
start=$(date +%s%3N)
rc=0
case $2 in
fail) echo "refused by $HOOKQ_ROUTE" >&2; rc=7 ;;
sleep) sleep 0.2 ;;
flaky)
	r=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
	sleep "0.0$((2 + r % 5))"
	[ $((r % 3)) = 0 ] && rc=1 ;;
esac
end=$(date +%s%3N)
echo "$HOOKQ_ROUTE $HOOKQ_EVENT_ID $HOOKQ_ATTEMPT $start $end $rc" >> "$1"
exit $rc
SH
# on_dead.sh LOG: one line per call; exits 1, which the worker logs and never retries.
cat > "$T/h/on_dead.sh" <<'SH'
#!/bin/sh
printf '%s %s %s %s\n' "$HOOKQ_ROUTE" "$HOOKQ_EVENT_ID" "$HOOKQ_DELIVERY_ID" \
	"$(printf '%s' "$HOOKQ_LAST_ERROR" | head -n 1)" >> "$1"
exit 1
SH
chmod 755 "$T/h/run.sh" "$T/h/on_dead.sh"
RUN="$T/h/run.sh $T/runs.log"
: > "$T/runs.log"
: > "$T/dead.log"

new_secret gh
write_config "concurrency = 4
lease = 12s
on_dead = $T/h/on_dead.sh $T/dead.log" <<C
[source fan]
scheme = github
secret_file = $T/gh.secret
handler_timeout = 2s

[route fa]
source = fan
handler = $RUN ok

[route fb]
source = fan
handler = $RUN ok

[route fc]
source = fan
handler = $RUN fail
max_attempts = 3
backoff_base = 100ms
backoff_max = 200ms

[source filt]
scheme = github
secret_file = $T/gh.secret
handler_timeout = 2s

[route pushes]
source = filt
events = push
handler = $RUN ok

[route main]
source = filt
match = ref=refs/heads/main
handler = $RUN ok

[route nested]
source = filt
match = repository.id = 42
match = repository.private = false
handler = $RUN ok

[source conc]
scheme = github
secret_file = $T/gh.secret
handler_timeout = 2s

[route one]
source = conc
concurrency = 1
handler = $RUN sleep

[source rated]
scheme = github
secret_file = $T/gh.secret
handler_timeout = 2s

[route five]
source = rated
rate = 5/s
handler = $RUN ok

[source ord]
scheme = github
secret_file = $T/gh.secret
handler_timeout = 2s

[route keyed]
source = ord
order = repository.id
handler = $RUN flaky
max_attempts = 100
backoff_base = 50ms
backoff_max = 200ms
C
start_receiver
start_nginx
start_worker w1
W1_PID=$WORKER_PID
start_worker w2
W2_PID=$WORKER_PID

# push SOURCE ID TYPE JSON: a GitHub-signed POST; fails the test unless 200.
push() {
	local b code
	b=$(body "$2.json" "$4")
	code=$(post_github "$1" "$b" "$2" "$3")
	[ "$code" = 200 ] || bail "POST $1 $2: $code $(cat "$T/response")"
}
# runs ROUTE [EVENT]: the handler runs recorded for ROUTE (of EVENT).
runs() {
	awk -v r="$1" -v e="${2:-}" '$1 == r && (e == "" || $2 == e)' "$T/runs.log"
}
# status_of ROUTE: "status:count ..." of ROUTE's deliveries.
status_of() {
	sql "SELECT $(sql_concat "status || ':' || n" "' '") FROM (SELECT status, count(*) AS n
		FROM deliveries WHERE route = $(sql_str "$1") GROUP BY status ORDER BY status) AS s"
}

# wait_lines FILE N SECONDS: until FILE has at least N lines.
wait_lines() {
	local i
	for i in $(seq 1 $(($3 * 20))); do
		[ "$(wc -l < "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# --- fan-out, one route failing; on_dead ---------------------------------------
case_start
for i in 1 2 3 4 5; do push fan "fan-$i" push "{\"n\":$i}"; done
want "fc: all five dead" "dead:5" "$(wait_sql "SELECT $(sql_concat "status || ':' || n" "' '") FROM
	(SELECT status, count(*) AS n FROM deliveries WHERE route = 'fc' GROUP BY status) AS s" "dead:5" 20)"
want "fa: five done" "done:5" "$(status_of fa)"
want "fb: five done" "done:5" "$(status_of fb)"
want "fa ran each event once, attempt 1" "5 5 1" \
	"$(runs fa | awk '{ n++; e[$2]++; a[$3]++ } END { print n, length(e), length(a) }')"
want "fb ran each event once" "5" "$(runs fb | awk '$3 == 1' | wc -l | tr -d ' ')"
want "fc ran each event three times" "15 5" \
	"$(runs fc | awk '{ n++; e[$2]++ } END { print n, length(e) }')"
want "fc's deliveries: attempts 3, last_error from the handler" "5" \
	"$(sql "SELECT count(*) FROM deliveries WHERE route = 'fc' AND attempts = 3
		AND last_error LIKE 'exit status 7%refused by fc%'")"
want "every fan event has three deliveries" "5" \
	"$(sql "SELECT count(*) FROM events WHERE source = 'fan' AND routes = 3")"
wait_lines "$T/dead.log" 5 10
sleep 0.5
want "on_dead ran once per dead delivery" "5" "$(wc -l < "$T/dead.log" | tr -d ' ')"
want "on_dead saw the route, event, delivery and last error" "5" \
	"$(sql "SELECT id || ' ' || event_id FROM delivery_events WHERE route = 'fc'" | while read -r d e; do
		grep -cx "fc $e $d exit status 7" "$T/dead.log"; done | grep -c '^1$')"
want_true "on_dead's failure logged, not retried" \
	grep -qE 'on_dead route=fc delivery=[0-9]+ .*exit 1: on_dead failed; not retried' "$T/w1.log" "$T/w2.log"
case_end "fan-out: two routes done once each, the failing one retried and dead alone; on_dead once each"

# --- filters ---------------------------------------------------------------------
case_start
push filt f-main push '{"ref":"refs/heads/main","repository":{"id":42,"private":false}}'
push filt f-dev push '{"ref":"refs/heads/dev","repository":{"id":42.0,"private":false}}'
push filt f-issue issues '{"ref":"refs/heads/main","repository":{"id":"42","private":false}}'
push filt f-absent star '{"repository":{"private":false}}'
push filt f-text star 'ref=refs/heads/main, not JSON'
# routes_of EVENT: the routes the event got deliveries on, sorted.
routes_of() {
	wait_sql "SELECT count(*) FROM events WHERE event_id = $(sql_str "$1") AND routed_at IS NOT NULL" 1 \
		>/dev/null
	sql "SELECT coalesce($(sql_concat route "','"), '-') FROM (SELECT route FROM delivery_events
		WHERE event_id = $(sql_str "$1") ORDER BY route) AS r"
}
want "push on main, id 42: all three" "main,nested,pushes" "$(routes_of f-main)"
want "push on dev, id 42.0 (= 42 as a JSON number)" "nested,pushes" "$(routes_of f-dev)"
want "issues on main, id the string \"42\"" "main" "$(routes_of f-issue)"
want "path absent, another type: none" "-" "$(routes_of f-absent)"
want "not JSON: none" "-" "$(routes_of f-text)"
want "no route: stored and marked 0" "2" \
	"$(sql "SELECT count(*) FROM events WHERE source = 'filt' AND routes = 0")"
want "queue_summary shows them unmatched" "2" \
	"$(sql "SELECT deliveries FROM queue_summary WHERE source = 'filt' AND status = 'unmatched'")"
wait_sql "SELECT count(*) FROM deliveries WHERE route IN ('main', 'nested', 'pushes')
	AND status = 'done'" 6 >/dev/null
want "each delivery ran once" "6" "$(awk '$1 ~ /^(main|nested|pushes)$/' "$T/runs.log" | wc -l | tr -d ' ')"
case_end "filters: events and match by JSON path, number by value, absent path and non-JSON refused"

# overlaps FILE: how many pairs of runs in FILE ("... start end ...") overlap in time.
overlaps() {
	sort -n -k4 "$1" | awk 'NR > 1 && $4 < last { n++ } { if ($5 > last) last = $5 } END { print n + 0 }'
}

# --- concurrency = 1 across two workers -------------------------------------------
case_start
for i in $(seq 1 10); do push conc "c-$i" push "{\"n\":$i}"; done
want "all ten done" "10" "$(wait_sql "SELECT count(*) FROM deliveries WHERE route = 'one' AND
	status = 'done'" 10 20)"
runs one > "$T/one.runs"
want "ten runs" "10" "$(wc -l < "$T/one.runs" | tr -d ' ')"
want "never two at once" "0" "$(overlaps "$T/one.runs")"
# Both workers were woken by each of the receiver's commits while a run was
# under way, with deliveries pending: a limit kept per worker would have let
# the idle one start a second run. (Which worker runs them is not fixed: the
# one whose run ends records it and claims the next in one transaction.)
want "both workers ran throughout" "2" \
	"$(for p in "$W1_PID" "$W2_PID"; do alive "$p" && echo; done | wc -l | tr -d ' ')"
case_end "concurrency = 1 with two workers: never two runs at once"

# --- rate = 5/s -------------------------------------------------------------------
case_start
for i in $(seq 1 30); do push rated "r-$i" push "{\"n\":$i}"; done
want "all thirty done" "30" "$(wait_sql "SELECT count(*) FROM deliveries WHERE route = 'five' AND
	status = 'done'" 30 30)"
runs five | awk '{ print $4 }' | sort -n > "$T/five.starts"
# A full bucket holds 5 and refills 5 a second: any 11 consecutive starts span
# at least (11 - 5) / 5 = 1.2 s; 50 ms slack for the clocks of two workers.
want "11 consecutive starts span at least 1.15 s" "0" \
	"$(awk '{ t[NR] = $1 } END { for (i = 1; i + 10 <= NR; i++) if (t[i + 10] - t[i] < 1150) n++; print n + 0 }' \
		"$T/five.starts")"
want "30 starts take at least 4.9 s" "1" \
	"$(awk 'NR == 1 { f = $1 } { l = $1 } END { print (l - f >= 4900) ? 1 : 0 }' "$T/five.starts")"
want "...and not much more than 5 s (the bucket is not starved)" "1" \
	"$(awk 'NR == 1 { f = $1 } { l = $1 } END { print (l - f <= 9000) ? 1 : 0 }' "$T/five.starts")"
case_end "rate = 5/s over 30 events: starts keep to the token bucket across two workers"

# --- order: 3 keys x 10 events, failing at random, a worker killed -------------------
case_start
for i in $(seq 0 9); do
	for k in 1 2 3; do push ord "o-$k-$i" push "{\"repository\":{\"id\":$k},\"n\":$i}"; done
	if [ "$i" = 4 ]; then
		sleep 0.3
		kill -KILL "$W1_PID"
		wait "$W1_PID" 2>/dev/null
		WORKER_PIDS=$(echo "$WORKER_PIDS" | tr ' ' '\n' | grep -vx "$W1_PID" | tr '\n' ' ')
		start_worker w3
	fi
done
want "all thirty done" "30" "$(wait_sql "SELECT count(*) FROM deliveries WHERE route = 'keyed' AND
	status = 'done'" 30 60)"
runs keyed > "$T/keyed.runs"
for k in 1 2 3; do
	grep " o-$k-" "$T/keyed.runs" > "$T/key$k.runs"
	want "key $k: starts in arrival order" "" \
		"$(sort -n -k4 "$T/key$k.runs" | awk '{ split($2, p, "-"); if (p[3] < last) print "event " $2 " started after " lastid; if (p[3] > last) { last = p[3]; lastid = $2 } }')"
	want "key $k: no two runs overlap" "0" "$(overlaps "$T/key$k.runs")"
	want "key $k: every event ran to success" "10" \
		"$(awk '$6 == 0 { print $2 }' "$T/key$k.runs" | sort -u | wc -l | tr -d ' ')"
done
want "some runs failed and were retried" "1" \
	"$(awk '$6 != 0 { n++ } END { print (n > 0) ? 1 : 0 }' "$T/keyed.runs")"
want "nothing held or pending is left" "0" \
	"$(sql "SELECT count(*) FROM deliveries WHERE route = 'keyed' AND status <> 'done'")"
case_end "order = repository.id: per key in arrival order, never overlapping, across a kill -9"

# --- replay ---------------------------------------------------------------------
case_start
out=$("$HOOKQ" -c "$T/hookq.conf" replay --route fc --status dead --dry-run 2>&1)
want "dry run: counts" "would replay 5 deliveries" "$out"
want "dry run: nothing made" "15" "$(sql "SELECT count(*) FROM deliveries WHERE event IN
	(SELECT id FROM events WHERE source = 'fan')")"
before=$(wc -l < "$T/runs.log")
out=$("$HOOKQ" -c "$T/hookq.conf" replay --route fa --type push 2> "$T/replay.err")
want "replay: says how many" "replayed 5 deliveries" "$out"
want_true "replay: logs who asked" grep -q 'replayed 5 deliveries .*route=fa .*by=' "$T/replay.err"
want "five new fa deliveries, done" "5" "$(wait_sql "SELECT count(*) FROM deliveries WHERE route = 'fa'
	AND replay_of IS NOT NULL AND status = 'done'" 5 10)"
sleep 0.3
want "exactly those ran again (fa only, attempt 1)" "5 5" \
	"$(tail -n "+$((before + 1))" "$T/runs.log" | awk '{ n++; if ($1 == "fa" && $3 == 1) m++ } END { print n + 0, m + 0 }')"
want "fb and fc untouched" "5 5" \
	"$(sql "SELECT (SELECT count(*) FROM deliveries WHERE route = 'fb'), (SELECT count(*) FROM deliveries WHERE route = 'fc')" | tr '|' ' ')"
case_end "replay: --dry-run counts, replay runs exactly the matching deliveries again"

case_start
stop_worker "$W2_PID"
want "w2 exits 0 on SIGTERM" 0 "$WORKER_RC"
stop_worker
want "w3 exits 0 on SIGTERM" 0 "$WORKER_RC"
case_end "the workers stop cleanly"
done_testing
