#!/bin/bash
# locked.sh: the 503 row of the answer table. Another process holds the
# database's write lock; with busy_timeout = 300 every request meanwhile
# gets 503 with Retry-After after about 300 ms, nothing is written, and the
# sender's retry after the lock is released is stored once.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

BUSY_MS=300
PARALLEL=6
# "Not past busy_timeout + 1 s", with slack for a loaded machine: this is no benchmark.
MAX_S=2.0

new_secret gh
write_config "busy_timeout = $BUSY_MS" <<C
[source github]
scheme = github
secret_file = $T/gh.secret
C
start_receiver
start_nginx

# Signed headers are made before the lock is taken (GitHub signatures carry
# no time), so the requests in the lock window start no Python.
# prepare NAME DELIVERY: writes $T/NAME.json and the curl header list $T/NAME.hdr.
prepare() {
	body "$1.json" "{\"n\":\"$2\"}" > /dev/null
	{
		signed_headers github "$T/gh.secret" "$T/$1.json"
		echo "X-GitHub-Delivery: $2"
		echo "X-GitHub-Event: push"
	} > "$T/$1.hdr"
}
# send NAME [OUT]: POSTs $T/NAME.json with its headers; prints "STATUS SECONDS".
# The response goes to $T/response (or $T/OUT.response), headers to .headers.
send() {
	local out=${2:-response} args=() h LC_ALL=C
	while IFS= read -r h; do args+=(-H "$h"); done < "$T/$1.hdr"
	curl -s --max-time 15 -o "$T/$out" -D "$T/$out.headers" -w '%{http_code} %{time_total}' \
		-H 'Content-Type: application/json' --data-binary "@$T/$1.json" "${args[@]}" \
		"$URL/hooks/github"
}
# within SECONDS: true when BUSY_MS - 100 ms <= SECONDS < MAX_S.
within() {
	awk -v t="$1" -v lo="$(((BUSY_MS - 100)))" -v hi="$MAX_S" 'BEGIN { exit !(t * 1000 >= lo && t < hi) }'
}

prepare first d-locked
for i in $(seq 1 $PARALLEL); do prepare "p$i" "d-par-$i"; done

lock_db
[ "$LOCKED" = yes ] || { cat "$T/lock.out" >&2; bail "could not take the write lock"; }

mark=$(log_mark)
read -r s t < <(send first)
case_start
want status 503 "$s"
want_true "Retry-After is a number of seconds" \
	grep -Eq '^[0-9]+$' <<< "$(response_header Retry-After)"
want_true "answered in ${t}s, not within [$((BUSY_MS - 100)) ms, $MAX_S s)" within "$t"
want_true "receiver logged outcome=unavailable" \
	log_wait "$mark" 'id="d-locked" status=503 outcome=unavailable reason='
case_end "503 with Retry-After while another process holds the write lock"

# Concurrent requests share the waiting commit: all fail together after busy_timeout.
for i in $(seq 1 $PARALLEL); do
	send "p$i" "p$i.out" > "$T/p$i.result" &
	pids[$i]=$!
done
for i in $(seq 1 $PARALLEL); do wait "${pids[$i]}"; done
held=no
write_locked && held=yes
echo "# answer times during the lock (s): $t $(cut -d' ' -f2 "$T"/p*.result | tr '\n' ' ')"
case_start
for i in $(seq 1 $PARALLEL); do
	read -r s t < "$T/p$i.result"
	want "request $i status" 503 "$s"
	want "request $i Retry-After present" yes \
		"$([ -n "$(tr -d '\r' < "$T/p$i.out.headers" | sed -n 's/^Retry-After: *//Ip')" ] && echo yes)"
	want_true "request $i answered in ${t:-?}s, not within [$((BUSY_MS - 100)) ms, $MAX_S s)" within "${t:-99}"
done
want "lock still held when the answers came" yes "$held"
case_end "$PARALLEL concurrent requests during the lock: all 503 with Retry-After, none hangs"

check "no row written while the lock was held" 0 "$(count_rows)"

unlock_db
check "lock released" no "$(write_locked && echo yes || echo no)"

read -r s t < <(send first)
case_start
want status 200 "$s"
want_response $'stored\n'
want rows 1 "$(rows github d-locked)"
case_end "after the lock: the same delivery is stored (200), exactly one row"

read -r s t < <(send first)
case_start
want status 200 "$s"
want_response $'duplicate\n'
want rows 1 "$(rows github d-locked)"
case_end "and sent once more it is a duplicate"

read -r s t < <(send p1)
case_start
want status 200 "$s"
want rows 1 "$(rows github d-par-1)"
want "rows in all" 2 "$(count_rows)"
case_end "a retried concurrent request is stored too; the others left no row"

# A whole batch of 64 concurrent events while the lock is held: every one
# of them 503, none stored; sent again after the lock, every one stored.
lock_db
[ "$LOCKED" = yes ] || bail "could not take the write lock again"
run_load locked --events 64 --clients 64 --prefix b-
held=no
write_locked && held=yes
case_start
want "load generator exit" 0 "$LOAD_RC"
want "requests without an HTTP answer" 0 "$(load_result locked errors)"
want "statuses" "503=64" "$(load_result locked statuses)"
want "lock still held when the answers came" yes "$held"
want "rows of the batch" 0 "$(sql "SELECT count(*) FROM events WHERE event_id GLOB 'b-*'")"
case_end "64 concurrent events during the lock: every one 503, no row written"
unlock_db
run_load again --events 64 --clients 64 --prefix b-
case_start
want "statuses" "200=64" "$(load_result again statuses)"
want "ids answered 200 vs rows" "missing=0 extra=0" "$(ids_vs_rows again github 'b-*')"
case_end "the same 64 sent again after the lock: all stored"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
