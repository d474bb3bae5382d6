#!/bin/bash
# keepalive.sh: persistent FastCGI connections, as the shipped nginx snippet
# has them (fastcgi_keep_conn on, upstream keepalive 128: far more idle
# connections than the 4 request threads).
# An idle kept connection waits in the receiver's epoll set and holds no
# thread, so however many nginx keeps, new requests never wait for one:
# 1,000 events from 64 clients all stored, then, with those connections idle,
# 50 more requests one after another each answered at once (a receiver whose
# threads each sat on an idle connection would leave them to time out), and
# SIGTERM closes the idle connections and exits.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

new_secret gh
write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret
C
start_receiver
start_nginx
check "the shipped snippet keeps connections" "1 1" \
	"$(grep -c 'fastcgi_keep_conn on;' "$top_srcdir/nginx/hookq.conf") $(grep -c 'keepalive 128;' "$T/nginx/nginx.conf")"

run_load run --events 1000 --clients 64
case_start
want "load generator exit" 0 "$LOAD_RC"
want "requests without an HTTP answer" 0 "$(load_result run errors)"
want "statuses" "200=1000" "$(load_result run statuses)"
want "ids answered 200 vs rows" "missing=0 extra=0" "$(ids_vs_rows run github)"
case_end "1000 events from 64 clients over kept connections: all 200, one row each"

# The connections nginx keeps open to the receiver, now idle.
conns=$(find "/proc/$RECEIVER_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)
echo "# sockets open in the receiver: $conns"
case_start
want_true "sockets open in the receiver: $conns" test "$conns" -gt 8
case_end "nginx keeps more connections open than there are request threads"

body "one.json" '{"n":"one"}' > /dev/null
sign_to "$T/one.hdr" github "$T/gh.secret" "$T/one.json"
echo "X-GitHub-Event: push" >> "$T/one.hdr"
slow=0
for i in $(seq 1 50); do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H @"$T/one.hdr" \
		-H "X-GitHub-Delivery: k-$i" -H 'Content-Type: application/json' \
		--data-binary @"$T/one.json" "$URL/hooks/github")
	[ "$code" = 200 ] || slow=$((slow + 1))
done
check "50 requests with the kept connections idle: none waits for a thread" 0 "$slow"
check "those 50 are stored" 50 "$(sql "SELECT count(*) FROM events WHERE event_id GLOB 'k-*'")"

kill -TERM "$RECEIVER_PID"
wait_exit "$RECEIVER_PID" 10
rc=$EXIT_RC
RECEIVER_PID=
check "SIGTERM with idle kept connections: the receiver exits 0" 0 "$rc"
check "nginx logged no upstream error" 0 \
	"$(grep '\[error\]' "$T/nginx/logs/error.log" | grep -c upstream)"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
