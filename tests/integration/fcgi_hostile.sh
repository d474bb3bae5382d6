#!/bin/bash
# fcgi_hostile.sh: what anything that can reach the FastCGI socket can send,
# straight at it (fcgi.py speaks FastCGI without nginx): parameter lengths
# near 2^31 (libfcgi's ReadParams adds them in an int and asserts on the
# failed malloc: CVE-2025-23016, only partly fixed in Debian 12's libfcgi),
# FCGI_GET_VALUES records (libfcgi builds their answer in a 64-byte stack
# buffer), also in the middle of a body, wrong versions, roles and request
# ids, truncated records, 10,000 parameters, aborts mid-request, stalled
# requests, random bytes and random records. Each must cost its own
# connection and nothing else: the receiver's PID never changes, a stalled
# request gives its thread back after 5 s, and a signed event through nginx
# is stored after it all.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
FCGI="$top_srcdir/tests/integration/fcgi.py"

new_secret gh
write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret
C
start_receiver
start_nginx
pid=$RECEIVER_PID

# stored_now N: a signed event through nginx, answered 200 and stored.
stored_now() {
	body "ev-$1.json" "{\"n\":\"$1\"}" > /dev/null
	sign_to "$T/ev-$1.hdr" github "$T/gh.secret" "$T/ev-$1.json"
	echo "X-GitHub-Event: push" >> "$T/ev-$1.hdr"
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H @"$T/ev-$1.hdr" \
		-H "X-GitHub-Delivery: hostile-$1" -H 'Content-Type: application/json' \
		--data-binary @"$T/ev-$1.json" "$URL/hooks/github"
	echo " $(sql "SELECT count(*) FROM events WHERE event_id = 'hostile-$1'")"
}

check "a well-formed request straight at the socket is answered" "answered 404" \
	"$("$PY" "$FCGI" "$SOCK" valid)"
check "so is one on a kept connection" "answered 404" "$("$PY" "$FCGI" "$SOCK" valid-kept)"

# Case, what the receiver does with it, and the reason its log gives (an
# extended regex, _ for a blank; checked after a second's pause, as refusals
# are logged at most once a second).
while read -r name want reason; do
	[ -n "$name" ] || continue
	if [ -n "$reason" ]; then
		sleep 1.1
		mark=$(log_mark)
	fi
	got=$("$PY" "$FCGI" "$SOCK" "$name")
	case_start
	want "what the receiver did" "${want//_/ }" "$got"
	want "receiver PID" "$pid" "$(alive "$pid" && echo "$pid")"
	[ -n "$reason" ] && want_true "log says: ${reason//_/ }" log_wait "$mark" "${reason//_/ }" 1 5
	case_end "$name: ${want//_/ }, the receiver lives on"
done <<'CASES'
params-2g               closed        parameter_of_2147483646_\+_1_bytes
params-1g-1g            closed        parameter_of_1073741824_\+_1073741824_bytes
params-1m               closed        parameter_of_1048576_\+_0_bytes
params-end-inside-pair  closed        end_inside_a_name-value_pair
params-over-64k         closed        parameters_over_65536_bytes
params-10000            answered_404
version-2               closed        FastCGI_version_2
version-0-in-params     closed
mgmt-get-values         closed        management_record_\(type_9\)
mgmt-in-body            answered_404  management_record_\(type_9\)
begin-short             closed
role-filter             closed        FastCGI_role_3
second-request-id       closed        second_FastCGI_request_\(id_2\)
stdin-before-params     closed
abort-record            closed
truncated-header        closed
truncated-params        closed
abort-mid-body          closed
junk                    closed
CASES

# Random records after a sound start: whatever the answer, the receiver lives.
dead=0 answers=""
for i in $(seq 0 39); do
	got=$("$PY" "$FCGI" "$SOCK" "random-$i")
	answers="$answers $got"
	alive "$pid" || dead=$((dead + 1))
done
echo "# random records: $(echo "$answers" | tr ' ' '\n' | grep -c closed) of 40 closed"
check "40 connections of random records: the receiver lives" 0 "$dead"

# Stalled requests, as many as there are request threads (4): each holds its
# thread until it is given up after 5 s (nginx never stalls a request: it
# reads the whole request before it connects, so only a peer on the socket
# can do this).
sleep 1.1
mark=$(log_mark)
stall_out=() stall_pids=()
for i in 1 2 3 4; do
	"$PY" "$FCGI" "$SOCK" stalled > "$T/stall-$i.out" &
	stall_pids+=($!)
	stall_out+=("$T/stall-$i.out")
done
wait "${stall_pids[@]}"
case_start
for f in "${stall_out[@]}"; do
	want "a stalled request" "closed after 5 s" "$(cat "$f")"
done
want_true "log says: stalled for 5 s" log_wait "$mark" "stalled for 5 s" 1 5
case_end "4 stalled requests: each closed after 5 s"

case_start
want "receiver PID after it all" "$pid" "$(alive "$pid" && echo "$pid")"
want "a signed event through nginx" "200 1" "$(stored_now last)"
want "integrity_check" "ok" "$(sql 'PRAGMA integrity_check')"
case_end "after every hostile connection: same receiver, events stored"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
