#!/bin/bash
# http_delivery.sh: url routes through the real chain: nginx -> hookq-receiver
# -> SQLite -> hookq-worker -> POST to tests/integration/http_sink.py on
# 127.0.0.1, which logs every request it gets. What arrives (body, headers,
# hookq's signature checked by swh_verify.py, an independent Standard
# Webhooks implementation), what each answer makes of the delivery (2xx,
# 500 then 200, 429 with Retry-After, 404, retry_4xx, no answer, a refused
# connection), keep-alive, https with a CA of the test's own, and a worker
# killed with a request open.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

SINK_LOG="$T/sink.log"
TLS_LOG="$T/sink-tls.log"
new_secret gh
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64)" > "$T/app.whsec"
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64)" > "$T/other.whsec"
chmod 600 "$T/app.whsec" "$T/other.whsec"

# A CA and a certificate for localhost it signed, for the https sink.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=hookq-test-ca \
	-keyout "$T/ca.key" -out "$T/ca.pem" >/dev/null 2>&1 || bail "openssl: no CA"
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$T/srv.key" \
	-out "$T/srv.csr" >/dev/null 2>&1 || bail "openssl: no server key"
printf 'subjectAltName=DNS:localhost\n' > "$T/san.ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
	-days 2 -extfile "$T/san.ext" -out "$T/srv.pem" >/dev/null 2>&1 || bail "openssl: no cert"

# start_sink PORTFILE LOG [args]: starts http_sink.py, waits for its port.
start_sink() {
	local portfile=$1 log=$2 i
	shift 2
	"$PY" "$top_srcdir/tests/integration/http_sink.py" "$portfile" "$log" "$@" &
	LOAD_PIDS="${LOAD_PIDS:-} $!"
	for i in $(seq 1 100); do
		[ -s "$portfile" ] && return 0
		sleep 0.05
	done
	bail "http_sink.py did not start"
}
start_sink "$T/sink.port" "$SINK_LOG" --gate "$T/gate.open"
start_sink "$T/tls.port" "$TLS_LOG" --tls "$T/srv.pem" "$T/srv.key"
SP=$(cat "$T/sink.port")
TP=$(cat "$T/tls.port")
# A port nothing listens on: bound and closed again.
REFUSED=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# route NAME PATH [more keys]: a [source NAME] and its url route NAME to the sink's PATH.
route() {
	local name=$1 url=$2
	shift 2
	case $url in http*) ;; *) url="http://127.0.0.1:$SP$url" ;; esac
	printf '[source %s]\nscheme = github\nsecret_file = %s\n' "$name" "$T/gh.secret"
	printf '[route %s]\nsource = %s\nurl = %s\n' "$name" "$name" "$url"
	printf '%s\n' "$@"
	# Short, so the lease (which must outlast it by 10 s) is short for the kill -9 case.
	case "$*" in *url_timeout*) ;; *) echo "url_timeout = 2s" ;; esac
}
{
	route app /ok "signing_secret_file = $T/app.whsec"
	route flaky /flaky "backoff_base = 100ms"
	route later /retry-after/2 "backoff_base = 100ms"
	route gone /status/404
	route gone4 /status/404 "retry_4xx = yes" "max_attempts = 2" "backoff_base = 100ms"
	route hang /hang "url_timeout = 1s" "max_attempts = 2" "backoff_base = 100ms"
	route refused "http://127.0.0.1:$REFUSED/x" "max_attempts = 2" "backoff_base = 100ms"
	route ka /ok "concurrency = 1"
	route tls "https://localhost:$TP/ok" "resolve = localhost:$TP:127.0.0.1" "ca_file = $T/ca.pem"
	route tlsbad "https://localhost:$TP/ok" "resolve = localhost:$TP:127.0.0.1" "max_attempts = 1"
	route gate /gate "url_timeout = 2s"
} > "$T/routes.ini"
write_config "concurrency = 8
lease = 12s" < "$T/routes.ini"

start_receiver
start_nginx
start_worker

# reqs LOG PATH FIELD: one line per request to PATH: its FIELD (time, conn, or a header's value).
reqs() {
	"$PY" - "$1" "$2" "$3" <<'P'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"] != sys.argv[2]:
        continue
    f = sys.argv[3]
    if f in ("time", "conn"):
        print(r[f])
    else:
        print(dict((k.lower(), v) for k, v in r["headers"]).get(f.lower(), "-"))
P
}
# state SOURCE EVENT_ID: "status|attempts" of the event's delivery.
state() {
	sql "SELECT status || '|' || attempts FROM delivery_events WHERE source = '$1' AND event_id = '$2'"
}
wait_state() { # SOURCE EVENT_ID WANT [SECONDS]
	wait_sql "SELECT status || '|' || attempts FROM delivery_events WHERE source = '$1'
		AND event_id = '$2'" "$3" "${4:-15}"
}
last_error() {
	sql "SELECT last_error FROM delivery_events WHERE source = '$1' AND event_id = '$2'"
}

# --- what arrives ---
case_start
B=$(body app.json '{"action":"opened","n":1,"text":"caf\u00e9 \\ \"q\""}')
want "POST answered" 200 "$(EXTRA_HEADERS='Authorization: Bearer not-for-the-app
X-Forwarded-For: 203.0.113.9' post_github app "$B" app-1 push)"
want "delivery done on its first attempt" "done|1" "$(wait_state app app-1 'done|1')"
REC=$("$PY" - "$SINK_LOG" <<'P'
import base64, json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"] == "/ok" and dict((k.lower(), v) for k, v in r["headers"]).get("x-hookq-event-id") == "app-1":
        h = dict((k.lower(), v) for k, v in r["headers"])
        print(base64.b64decode(r["body"]).hex())
        for k in ("x-hookq-event-id", "x-hookq-source", "x-hookq-route", "x-hookq-attempt",
                  "x-hookq-delivery-id", "content-type", "x-github-event", "x-github-delivery",
                  "authorization", "x-hub-signature-256", "webhook-id"):
            print(k + "=" + h.get(k, "-"))
        print("hosts=%d" % sum(1 for k, v in r["headers"] if k.lower() == "host"))
        print("host=" + h.get("host", "-"))
        print("connection=" + h.get("connection", "-"))
        break
P
)
want "body arrives byte for byte" "$(od -An -v -tx1 "$B" | tr -d ' \n')" "$(sed -n 1p <<< "$REC")"
want "X-Hookq-Event-Id" "x-hookq-event-id=app-1" "$(grep '^x-hookq-event-id=' <<< "$REC")"
want "X-Hookq-Source" "x-hookq-source=app" "$(grep '^x-hookq-source=' <<< "$REC")"
want "X-Hookq-Route" "x-hookq-route=app" "$(grep '^x-hookq-route=' <<< "$REC")"
want "X-Hookq-Attempt" "x-hookq-attempt=1" "$(grep '^x-hookq-attempt=' <<< "$REC")"
want "X-Hookq-Delivery-Id" "x-hookq-delivery-id=$(delivery_id app app-1)" \
	"$(grep '^x-hookq-delivery-id=' <<< "$REC")"
want "the sender's content-type" "content-type=application/json" "$(grep '^content-type=' <<< "$REC")"
want "the sender's x-github-event" "x-github-event=push" "$(grep '^x-github-event=' <<< "$REC")"
want "the sender's signature header" 1 "$(grep -c '^x-hub-signature-256=sha256=' <<< "$REC")"
want "no authorization (never stored)" "authorization=-" "$(grep '^authorization=' <<< "$REC")"
want "one Host, the sink's own, not nginx's" "hosts=1 host=127.0.0.1:$SP" \
	"$(grep '^hosts=' <<< "$REC") $(grep '^host=' <<< "$REC")"
want "hookq's webhook-id" "webhook-id=hookq-$(delivery_id app app-1)" "$(grep '^webhook-id=' <<< "$REC")"
case_end "url route: the exact body, the sender's headers but credentials and transport ones, X-Hookq-*"

case_start
want_true "signature verifies with the route's secret" "$PY" "$top_srcdir/tests/integration/swh_verify.py" \
	"$SINK_LOG" 1 "$T/app.whsec"
if "$PY" "$top_srcdir/tests/integration/swh_verify.py" "$SINK_LOG" 1 "$T/other.whsec" >/dev/null; then
	CASE_ERRORS+=("the signature verified with another secret")
fi
case_end "hookq's Standard Webhooks signature verifies independently (swh_verify.py), and not under another secret"

# --- answers ---
case_start
want "POST" 200 "$(post_delivery flaky fl-1)"
want "500 then 200: done on attempt 2" "done|2" "$(wait_state flaky fl-1 'done|2')"
want "requests seen" 2 "$(reqs "$SINK_LOG" /flaky time | wc -l)"
want "the second carries X-Hookq-Attempt 2" "1 2" "$(reqs "$SINK_LOG" /flaky x-hookq-attempt | tr '\n' ' ' | sed 's/ $//')"
case_end "500 fails the attempt; the retry's 200 makes it done on attempt 2"

case_start
want "POST" 200 "$(post_delivery later la-1)"
want "429 then 200: done on attempt 2" "done|2" "$(wait_state later la-1 'done|2')"
GAP=$(reqs "$SINK_LOG" /retry-after/2 time | awk 'NR == 1 { a = $1 } NR == 2 { printf "%.3f", $1 - a }')
want_true "the retry waited Retry-After's 2 s (backoff alone: 0.1 s), took $GAP s" \
	awk -v g="$GAP" 'BEGIN { exit !(g >= 1.95 && g < 6) }'
case_end "429 with Retry-After: 2: the next attempt is at least 2 s later, not after backoff_base"

case_start
want "POST" 200 "$(post_delivery gone go-1)"
want "404: dead at once" "dead|1" "$(wait_state gone go-1 'dead|1')"
want "last_error" "HTTP 404" "$(last_error gone go-1 | head -1)"
want "last_error keeps the body" "status body from the sink" "$(last_error gone go-1 | sed -n 2p)"
case_end "404 makes the delivery dead on its first attempt, last_error 'HTTP 404' and the body"

case_start
want "POST" 200 "$(post_delivery gone4 g4-1)"
want "retry_4xx: retried, then dead at max_attempts" "dead|2" "$(wait_state gone4 g4-1 'dead|2')"
want "requests" 2 "$(reqs "$SINK_LOG" /status/404 x-hookq-route | grep -c '^gone4$')"
case_end "retry_4xx = yes retries a 404 up to max_attempts"

case_start
want "POST" 200 "$(post_delivery hang hg-1)"
want "no answer within url_timeout: retried, then dead" "dead|2" "$(wait_state hang hg-1 'dead|2' 20)"
want "requests" 2 "$(reqs "$SINK_LOG" /hang time | wc -l)"
want_true "last_error says it timed out: $(last_error hang hg-1)" grep -qi "timed out" <<< "$(last_error hang hg-1)"
case_end "a server that never answers: url_timeout (1 s) fails the attempt, which is retried"

case_start
want "POST" 200 "$(post_delivery refused rf-1)"
want "refused: retried, then dead" "dead|2" "$(wait_state refused rf-1 'dead|2')"
want_true "last_error says why: $(last_error refused rf-1)" grep -qi "refused\|connect" <<< "$(last_error refused rf-1)"
case_end "connection refused fails the attempt, retried, with the reason in last_error"

# --- keep-alive ---
case_start
for i in $(seq 1 20); do
	[ "$(post_delivery ka "ka-$i")" = 200 ] || CASE_ERRORS+=("POST ka-$i")
done
want "all done" 20 "$(wait_sql "SELECT count(*) FROM delivery_events WHERE source = 'ka' AND status = 'done'" 20)"
want "the 20 POSTs went over one connection" 1 \
	"$("$PY" - "$SINK_LOG" <<'P'
import json, sys
conns = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    h = dict((k.lower(), v) for k, v in r["headers"])
    if h.get("x-hookq-route") == "ka":
        conns.add(r["conn"])
print(len(conns))
P
)"
case_end "keep-alive: 20 deliveries of a concurrency 1 route reuse one connection"

# --- https ---
case_start
want "POST" 200 "$(post_delivery tls tl-1)"
want "https with ca_file: done" "done|1" "$(wait_state tls tl-1 'done|1')"
want "the TLS sink got it" 1 "$(reqs "$TLS_LOG" /ok x-hookq-route | grep -c '^tls$')"
want "POST" 200 "$(post_delivery tlsbad tb-1)"
want "without ca_file: the attempt fails" "dead|1" "$(wait_state tlsbad tb-1 'dead|1')"
want_true "last_error names the certificate: $(last_error tlsbad tb-1)" \
	grep -qi "certificate" <<< "$(last_error tlsbad tb-1)"
want "nothing reached the app" 0 "$(reqs "$TLS_LOG" /ok x-hookq-route | grep -c '^tlsbad$')"
case_end "https: verified against ca_file with resolve's pin; without the CA, refused for its certificate"

# Counted within a second (the worker's tally): 2xx app, flaky, later, 20 ka, tls; 4xx the
# 429, gone, gone4 twice; 5xx flaky's first; error 2 hangs, 2 refused, tlsbad.
case_start
want "attempts by class" "2xx=24 4xx=4 5xx=1 error=5" "$(wait_sql "SELECT $(sql_concat "series || '=' || v" "' '")
	FROM (SELECT series, sum(value) AS v FROM route_stats WHERE series IN ('2xx', '4xx', '5xx', 'error')
	GROUP BY series ORDER BY series) AS s" "2xx=24 4xx=4 5xx=1 error=5" 5)"
case_end "route_stats counts every attempt of the url routes by HTTP class"

# --- the worker killed with a request open ---
case_start
want "POST" 200 "$(post_delivery gate gt-1)"
for i in $(seq 1 100); do
	[ "$(reqs "$SINK_LOG" /gate time | wc -l)" -ge 1 ] && break
	sleep 0.05
done
want "the request is open at the app" 1 "$(reqs "$SINK_LOG" /gate time | wc -l)"
kill -KILL "$WORKER_PID"
wait "$WORKER_PID" 2>/dev/null
WORKER_PIDS=
want "left running under its lease" "running|1" "$(state gate gt-1)"
touch "$T/gate.open"
start_worker w2
want "claimed again after the lease, done" "done|2" "$(wait_state gate gt-1 'done|2' 30)"
want "the app saw the delivery twice" "2 $(delivery_id gate gt-1)" \
	"$(reqs "$SINK_LOG" /gate x-hookq-delivery-id | sort | uniq -c | awk '{ print $1, $2 }')"
case_end "kill -9 of the worker mid-request: the delivery runs again after its lease, never lost"

stop_worker
want "worker exits 0" 0 "$WORKER_RC"

done_testing
