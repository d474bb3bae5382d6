#!/bin/bash
# metrics.sh: [hookq] metrics_path and health_path through nginx/hookq.conf
# as shipped. The test sends a known mix of webhooks (every outcome nginx
# lets reach hookq), scrapes the metrics and compares each counter, the
# histogram and the queue gauges (per source, and per route of deliveries
# made by hand) with what it sent and with the database, and the delivery
# metrics with route_stats rows written by hand (as a worker would);
# the health check answers 200, then 503 with Retry-After while another
# process holds the write lock (lock_db: on PostgreSQL a LOCK TABLE of
# hookq's tables), then 200 again; both paths are
# refused to a client that is not 127.0.0.1; a reload without the keys
# turns them off.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

BUSY_MS=300

new_secret gh
new_secret gh2
new_secret wrong
ok_handler > /dev/null
HOOKQ_KEYS="busy_timeout = $BUSY_MS
metrics_path = /hookq/metrics
health_path = /hookq/health"
write_config "$HOOKQ_KEYS" <<C
[source gh]
scheme = github
secret_file = $T/gh.secret
events = push
max_body = 1K
handler = $T/h/ok.sh

[source gh2]
scheme = github
secret_file = $T/gh2.secret
C
start_receiver
start_nginx

# scrape [URL_PATH] [curl args]: GETs the metrics into $T/metrics; prints the status.
scrape() {
	local path=${1:-/hookq/metrics}
	shift 2>/dev/null
	curl -s --max-time 15 -o "$T/metrics" -D "$T/metrics.headers" -w '%{http_code}' "$@" \
		"$URL$path"
}
# mval SERIES: the value of the series (name and labels exactly as printed) in $T/metrics.
mval() {
	awk -v k="$1" 'index($0, k " ") == 1 { print substr($0, length(k) + 2) }' "$T/metrics"
}
# health [curl args]: GETs the health path; prints "STATUS SECONDS", headers in $T/health.headers.
health() {
	curl -s --max-time 15 -o "$T/health" -D "$T/health.headers" \
		-w '%{http_code} %{time_total}' "$@" "$URL/hookq/health"
}
header_of() {
	tr -d '\r' < "$1" | sed -n "s/^$2:[[:space:]]*//Ip" | tail -n 1
}
# format_ok FILE: every line is a comment (# HELP/# TYPE) or NAME{LABELS} VALUE, and each
# family's TYPE comes before its samples.
format_ok() {
	awk '
		/^# (HELP|TYPE) / { if ($2 == "TYPE") typed[$3] = 1; next }
		/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? -?[0-9.]+(e[+-]?[0-9]+)?$/ {
			name = $0; sub(/[{ ].*/, "", name)
			base = name; sub(/_(bucket|sum|count)$/, "", base)
			if (!(name in typed) && !(base in typed)) { print "untyped: " $0; bad = 1 }
			next
		}
		{ print "bad line: " $0; bad = 1 }
		END { exit bad }' "$1"
}

# --- A fresh receiver: every configured source at zero. ---
case_start
want status 200 "$(scrape)"
want_true "Content-Type is the text format 0.0.4" \
	grep -q 'text/plain; version=0.0.4' <<< "$(header_of "$T/metrics.headers" Content-Type)"
want_true "well-formed exposition" format_ok "$T/metrics"
want "gh stored" 0 "$(mval 'hookq_requests_total{source="gh",outcome="stored"}')"
want "gh2 unauthorized" 0 "$(mval 'hookq_requests_total{source="gh2",outcome="unauthorized"}')"
want "unknown not_found" 0 "$(mval 'hookq_requests_total{source="",outcome="not_found"}')"
want "histogram count" 0 "$(mval hookq_request_duration_seconds_count)"
want "queue up" 1 "$(mval hookq_queue_up)"
want "gh pending" 0 "$(mval 'hookq_queue_events{source="gh",status="pending"}')"
want "gh unrouted" 0 "$(mval 'hookq_queue_unrouted_events{source="gh"}')"
want "gh's route's pending" 0 "$(mval 'hookq_queue_deliveries{source="gh",route="gh",status="pending"}')"
want "gh's route's dead letters" 0 "$(mval 'hookq_dead_letters{source="gh",route="gh"}')"
want "gh2 (no handler, no route): no route series" "" "$(grep 'route="gh2"' "$T/metrics")"
want "gh's route's ok attempts" 0 "$(mval 'hookq_delivery_attempts_total{route="gh",result="ok"}')"
want "gh's route's failed attempts" 0 "$(mval 'hookq_delivery_attempts_total{route="gh",result="failed"}')"
want "gh's route (a handler): no HTTP results" "" "$(mval 'hookq_delivery_attempts_total{route="gh",result="2xx"}')"
want "gh's route's attempt durations" "0 0" "$(mval 'hookq_delivery_duration_seconds_bucket{route="gh",le="+Inf"}') $(mval 'hookq_delivery_duration_seconds_count{route="gh"}')"
case_end "a fresh receiver's metrics: every configured source and route at zero, the queue empty"

read -r hs ht < <(health)
case_start
want status 200 "$hs"
want body ok "$(cat "$T/health")"
want "Cache-Control" no-store "$(header_of "$T/health.headers" Cache-Control)"
case_end "health is 200 while the database takes writes"

# --- The mix the test sends, and what each should count as. ---
mark=$(log_mark)
sent=()
b1=$(body b1.json '{"n":1}')
b2=$(body b2.json '{"n":2}')
b3=$(body b3.json '{"n":3}')
big=$(body big.json "{\"pad\":\"$(head -c 2000 /dev/zero | tr '\0' x)\"}")
sent+=("stored $(post_github gh "$b1" d-1 push)")
sent+=("stored $(post_github gh "$b2" d-2 push)")
sent+=("stored $(post_github gh "$b3" d-3 push)")
sent+=("duplicate $(post_github gh "$b1" d-1 push)")
sent+=("ignored $(post_github gh "$b1" d-4 issues)")
sent+=("unauthorized $(GH_SECRET=$T/wrong.secret post_github gh "$b1" d-5 push)")
sent+=("unauthorized $(post gh "$b1" -H 'X-GitHub-Delivery: d-6' -H 'X-GitHub-Event: push')")
sent+=("bad_request $(post_github gh "$b1" '' push)")
sent+=("too_large $(post_github gh "$big" d-7 push)")
sent+=("gh2-stored $(GH_SECRET=$T/gh2.secret post_github gh2 "$b1" e-1 push)")
sent+=("not_found $(post nope "$b1")")
sent+=("not_found $(post other_unknown "$b1")")
case_start
for s in "${sent[@]}"; do
	set -- $s
	case $1 in
	stored|duplicate|ignored|gh2-stored) want "$1 status" 200 "$2" ;;
	unauthorized) want "$1 status" 401 "$2" ;;
	bad_request) want "$1 status" 400 "$2" ;;
	too_large) want "$1 status" 413 "$2" ;;
	not_found) want "$1 status" 404 "$2" ;;
	esac
done
want_true "all ${#sent[@]} requests logged" log_wait "$mark" ' status=[0-9]+ outcome=' ${#sent[@]}
case_end "the test's ${#sent[@]} webhooks got the answers they were sent for"

# One request while another process holds the write lock: 503, unavailable.
lock_db
[ "$LOCKED" = yes ] || { cat "$T/lock.out" >&2; bail "could not take the write lock"; }
b4=$(body b4.json '{"n":4}')
check "a webhook during the lock is answered 503" 503 "$(post_github gh "$b4" d-8 push)"

# Health during the lock: 503 with Retry-After, within busy_timeout and a margin.
read -r hs ht < <(health)
case_start
want status 503 "$hs"
want_true "Retry-After is a number of seconds" grep -Eq '^[0-9]+$' <<< "$(header_of "$T/health.headers" Retry-After)"
want_true "answered in ${ht}s: about busy_timeout ($BUSY_MS ms), under 3 s" \
	awk -v t="$ht" -v lo="$BUSY_MS" 'BEGIN { exit !(t * 1000 >= lo - 100 && t < 3) }'
case_end "health is 503 with Retry-After while the database is held locked"

# The queue can still be read during the lock (WAL readers go on).
case_start
want status 200 "$(scrape)"
want "queue up during the lock" 1 "$(mval hookq_queue_up)"
want "gh unrouted during the lock" 3 "$(mval 'hookq_queue_events{source="gh",status="unrouted"}')"
want "gh unrouted events during the lock" 3 "$(mval 'hookq_queue_unrouted_events{source="gh"}')"
case_end "a scrape during the lock still reads the queue"

unlock_db
read -r hs ht < <(health)
case_start
want status 200 "$hs"
want body ok "$(cat "$T/health")"
case_end "health is 200 again once the lock is released"

# --- The counters against what was sent. ---
# expect SOURCE OUTCOME: how many webhooks the test sent should count under that pair
# (the request during the lock counts as gh unavailable).
expect() {
	local want_src=$1 want_o=$2 n=0 s src o
	for s in "${sent[@]}" "unavailable 503"; do
		set -- $s
		case $1 in
		gh2-stored) src=gh2 o=stored ;;
		not_found) src= o=not_found ;;
		*) src=gh o=$1 ;;
		esac
		[ "$src" = "$want_src" ] && [ "$o" = "$want_o" ] && n=$((n + 1))
	done
	echo $n
}
scrape > /dev/null
case_start
want_true "well-formed exposition" format_ok "$T/metrics"
for src in gh gh2 ''; do
	for o in stored duplicate ignored lost bad_request unauthorized not_found method_not_allowed too_large unavailable; do
		v=$(mval "hookq_requests_total{source=\"$src\",outcome=\"$o\"}")
		e=$(expect "$src" "$o")
		# source="" prints only what happened, and not_found always.
		[ -z "$src" ] && [ -z "$v" ] && [ "$e" = 0 ] && continue
		want "requests{source=\"$src\",outcome=\"$o\"}" "$e" "$v"
	done
done
want "no outcome=accepted" "" "$(grep 'outcome="accepted"' "$T/metrics")"
want "no label for an unknown source name" "" "$(grep -E 'nope|other_unknown' "$T/metrics")"
total=$(( ${#sent[@]} + 1 ))
want "histogram count: every webhook" "$total" "$(mval hookq_request_duration_seconds_count)"
want "+Inf bucket" "$total" "$(mval 'hookq_request_duration_seconds_bucket{le="+Inf"}')"
want_true "buckets never decrease" awk '/^hookq_request_duration_seconds_bucket/ {
	if ($2 + 0 < last) exit 1; last = $2 + 0 }' "$T/metrics"
want_true "the locked request took >= busy_timeout: the sum is at least 0.2 s" \
	awk -v s="$(mval hookq_request_duration_seconds_sum)" 'BEGIN { exit !(s >= 0.2 && s < 30) }'
want_true "the locked request is not in the 0.1 s bucket" \
	awk -v a="$(mval 'hookq_request_duration_seconds_bucket{le="0.1"}')" -v t="$total" \
	'BEGIN { exit !(a < t) }'
case_end "each counter equals what the test sent ($total webhooks), the histogram counts them all"

# --- Queue gauges against the database. ---
# Routed by hand (no worker runs): gh's d-1 stays unrouted, d-2 is dead on
# the route gh, d-3 (an hour old) pending on gh and on audit (a route only in
# the table); no route took gh2's event.
now=$(now_ms)
sql "UPDATE events SET routed_at = $now, routes = 1 WHERE source = 'gh' AND event_id <> 'd-1';
	UPDATE events SET routed_at = $now, routes = 0 WHERE source = 'gh2';
	INSERT INTO deliveries (event, route, created_at) SELECT id, 'gh', $now FROM events WHERE routes = 1;
	INSERT INTO deliveries (event, route, created_at)
	     SELECT id, 'audit', $now FROM events WHERE source = 'gh' AND event_id = 'd-3';
	UPDATE deliveries SET status = 'dead', finished_at = $now
	 WHERE event = (SELECT id FROM events WHERE source = 'gh' AND event_id = 'd-2');
	UPDATE events SET received_at = $now - 3600000 WHERE source = 'gh' AND event_id = 'd-3'"
scrape > /dev/null
case_start
want_true "well-formed exposition" format_ok "$T/metrics"
for src in gh gh2; do
	for st in held pending running done dead; do
		want "queue_events{$src,$st}: its deliveries over every route" \
			"$(sql "SELECT count(*) FROM delivery_events WHERE source = '$src' AND status = '$st'")" \
			"$(mval "hookq_queue_events{source=\"$src\",status=\"$st\"}")"
	done
done
for r in gh audit; do
	for st in held pending running done dead; do
		want "queue_deliveries{gh,$r,$st}" \
			"$(sql "SELECT count(*) FROM deliveries WHERE route = '$r' AND status = '$st'")" \
			"$(mval "hookq_queue_deliveries{source=\"gh\",route=\"$r\",status=\"$st\"}")"
	done
done
want "gh pending, summed over its routes" 2 "$(mval 'hookq_queue_events{source="gh",status="pending"}')"
want "gh unrouted" "1 1" "$(mval 'hookq_queue_events{source="gh",status="unrouted"}') $(mval 'hookq_queue_unrouted_events{source="gh"}')"
want "gh2 unmatched" "1 1" "$(mval 'hookq_queue_events{source="gh2",status="unmatched"}') $(mval 'hookq_queue_unmatched_events{source="gh2"}')"
want "gh dead letters on the route gh" 1 "$(mval 'hookq_dead_letters{source="gh",route="gh"}')"
want "none on audit" 0 "$(mval 'hookq_dead_letters{source="gh",route="audit"}')"
want_true "the route gh's oldest pending waited about an hour" \
	awk -v a="$(mval 'hookq_queue_oldest_pending_age_seconds{source="gh",route="gh"}')" \
	'BEGIN { exit !(a >= 3600 && a < 3700) }'
want_true "gh's oldest unrouted event waited since the test sent it" \
	awk -v a="$(mval 'hookq_queue_oldest_unrouted_age_seconds{source="gh"}')" \
	'BEGIN { exit !(a > 0 && a < 600) }'
want "gh2 has nothing unrouted" 0.000 "$(mval 'hookq_queue_oldest_unrouted_age_seconds{source="gh2"}')"
case_end "queue gauges match the database: deliveries per source, route and status, unrouted and unmatched events, dead letters, the oldest pending age"

# --- Delivery metrics from route_stats, written as a worker would. ---
# gh's route: 4 attempts, 3 ok and 1 failed: two within 1 ms, one within
# 0.5 s, one past 10 s (in no finite bucket); audit (only in the table) and
# a name that tries to add a label stay out, as does a series no one knows.
sql "INSERT INTO route_stats (route, series, value) VALUES
	('gh', 'ok', 3), ('gh', 'failed', 1), ('gh', 'le_1000', 2), ('gh', 'le_500000', 1),
	('gh', 'count', 4), ('gh', 'sum_us', 12001500), ('gh', 'le_oops', 9),
	('audit', '2xx', 5), ('audit', 'count', 5),
	('gh\",result=\"2xx', 'count', 7)"
scrape > /dev/null
case_start
want_true "well-formed exposition" format_ok "$T/metrics"
want "TYPE of attempts" counter "$(awk '$1 == "#" && $2 == "TYPE" && $3 == "hookq_delivery_attempts_total" { print $4 }' "$T/metrics")"
want "TYPE of durations" histogram "$(awk '$1 == "#" && $2 == "TYPE" && $3 == "hookq_delivery_duration_seconds" { print $4 }' "$T/metrics")"
want "gh ok" 3 "$(mval 'hookq_delivery_attempts_total{route="gh",result="ok"}')"
want "gh failed" 1 "$(mval 'hookq_delivery_attempts_total{route="gh",result="failed"}')"
want "le 0.001" 2 "$(mval 'hookq_delivery_duration_seconds_bucket{route="gh",le="0.001"}')"
want "le 0.25" 2 "$(mval 'hookq_delivery_duration_seconds_bucket{route="gh",le="0.25"}')"
want "le 0.5: cumulative" 3 "$(mval 'hookq_delivery_duration_seconds_bucket{route="gh",le="0.5"}')"
want "le 10" 3 "$(mval 'hookq_delivery_duration_seconds_bucket{route="gh",le="10"}')"
want "+Inf is count" "4 4" "$(mval 'hookq_delivery_duration_seconds_bucket{route="gh",le="+Inf"}') $(mval 'hookq_delivery_duration_seconds_count{route="gh"}')"
want "sum in seconds" 12.001500 "$(mval 'hookq_delivery_duration_seconds_sum{route="gh"}')"
want_true "buckets never decrease" awk '/^hookq_delivery_duration_seconds_bucket\{route="gh",/ {
	if ($2 + 0 < last) exit 1; last = $2 + 0 }' "$T/metrics"
want "14 buckets for gh (13 bounds and +Inf)" 14 "$(grep -c '^hookq_delivery_duration_seconds_bucket{route="gh",' "$T/metrics")"
want "no delivery series for a route only in the table" "" "$(grep '^hookq_delivery_.*audit' "$T/metrics")"
want "a row's name adds no label (no 2xx anywhere: gh runs a handler)" "" "$(grep '^hookq_delivery_.*2xx' "$T/metrics")"
want "an unknown series adds nothing" "" "$(grep -E '^hookq_delivery_.*(oops|le="9")' "$T/metrics")"
case_end "delivery metrics match route_stats: attempts by result, cumulative duration buckets, +Inf = count, only configured routes"

# --- Methods, logs, and loopback only. ---
case_start
want "HEAD status" 200 "$(scrape /hookq/metrics -I)"
want "POST status" 405 "$(curl -s --max-time 15 -o /dev/null -D "$T/post.headers" -w '%{http_code}' \
	--data-binary x "$URL/hookq/metrics")"
want "Allow" "GET, HEAD" "$(header_of "$T/post.headers" Allow)"
want "DELETE on health" 405 "$(curl -s --max-time 15 -o /dev/null -w '%{http_code}' -X DELETE "$URL/hookq/health")"
case_end "GET and HEAD are served; other methods get 405 with Allow: GET, HEAD"

case_start
want_true "each scrape logged" grep -q 'path="/hookq/metrics" status=200 outcome=metrics ms=' "$T/receiver.log"
want "health logged at each change only (200, 503, 200)" "200 503 200" \
	"$(grep 'path="/hookq/health" status=' "$T/receiver.log" | grep -v 'status=405' |
		sed 's/.*status=\([0-9]*\).*/\1/' | paste -sd ' ')"
# (SQLite's "database is locked"; PostgreSQL's "canceling statement due to lock timeout")
locked_reason=locked
[ "$STORE" = pg ] && locked_reason="lock timeout"
want_true "the 503 says why" grep -q "path=\"/hookq/health\" status=503 outcome=unhealthy reason=\".*$locked_reason" \
	"$T/receiver.log"
case_end "one log line per scrape; health checks logged when the answer changes"

for _ in 1 2 3; do health > /dev/null; done
check "repeated healthy checks add no log line" 3 \
	"$(grep -c 'path="/hookq/health" status=[25]0[03]' "$T/receiver.log")"

case_start
want "metrics from 127.0.0.2" 403 "$(scrape /hookq/metrics --interface 127.0.0.2)"
want "health from 127.0.0.2" 403 "$(health --interface 127.0.0.2 | cut -d' ' -f1)"
want "a webhook from 127.0.0.2 still reaches hookq" 401 "$(post gh "$b1" --interface 127.0.0.2)"
case_end "nginx/hookq.conf serves metrics and health to 127.0.0.1 only"

# --- A reload without the keys turns both off. ---
write_config "busy_timeout = $BUSY_MS" <<C
[source gh]
scheme = github
secret_file = $T/gh.secret
C
check "reload without metrics_path and health_path" reloaded "$(reload_receiver)"
case_start
want "metrics path now unknown" 404 "$(scrape)"
want "health path now unknown" 404 "$(health | cut -d' ' -f1)"
case_end "with the keys unset, the paths are not served (404)"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
