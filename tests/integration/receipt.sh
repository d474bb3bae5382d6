#!/bin/bash
# receipt.sh: [hookq] ack = receipt. A verified event is answered 200
# "accepted" before its row is committed, and the row follows; verification
# still decides (401 for a bad signature, nothing stored); a duplicate is
# answered 200 and stays one row; the request's log line, with the store's
# outcome, comes after the answer.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

new_secret gh
new_secret wrong
write_config "$(printf 'ack = receipt\nbusy_timeout = 20000')" <<C
[source github]
scheme = github
secret_file = $T/gh.secret

[source filtered]
scheme = github
secret_file = $T/gh.secret
events = push
C
start_receiver
start_nginx

# gh SOURCE BODYFILE DELIVERY EVENT [SECRETFILE]: a GitHub-signed POST; prints the status.
gh() {
	GH_SECRET=${5:-$T/gh.secret} post_github "$1" "$2" "$3" "$4"
}
# wait_rows SOURCE EVENT_ID N [SECONDS]: waits until the id has N rows; prints the count.
wait_rows() {
	local i n
	for i in $(seq 1 $((${4:-5} * 20))); do
		n=$(rows "$1" "$2")
		[ "$n" = "$3" ] && break
		sleep 0.05
	done
	echo "$n"
}
# log_lines MARK REGEX: how many log lines since MARK match REGEX.
log_lines() {
	log_since "$1" | grep -cE -- "$2"
}

case_start
want "startup log says ack receipt" 1 "$(grep -c 'ack receipt' "$T/receiver.log")"
case_end "the receiver starts with ack receipt"

# ---- a valid event: 200 "accepted", the row follows --------------------------------

b=$(body ev1.json '{"zen":"receipt"}')
mark=$(log_mark)
case_start
s=$(gh github "$b" r-1 push)
want status 200 "$s"
want_response $'accepted\n'
want "rows within 5 s" 1 "$(wait_rows github r-1 1)"
want_true "log line outcome=stored within 5 s" \
	log_wait "$mark" 'source="github" id="r-1" status=200 outcome=stored' 1 5
want "event_type|not routed yet|deliveries|hex(body)" "push|1|0|$(file_hex "$b")" \
	"$(sql "SELECT event_type, CAST(routed_at IS NULL AS INTEGER),
		(SELECT count(*) FROM deliveries WHERE event = events.id), $(sql_hex body)
		FROM events WHERE event_id = 'r-1'")"
case_end "valid event: 200 \"accepted\", row committed shortly after, logged outcome=stored"

# ---- the answer does not wait for the commit ---------------------------------------
# Another connection holds the write lock (lib.sh's lock_db: sqlite3, or psql
# locking hookq's tables on PostgreSQL); with ack = commit the request would
# wait for it (busy_timeout 20 s). With ack = receipt the answer comes at once,
# the row is not there yet, and neither is the request's log line; both follow
# once the lock is released.


lock_db
b=$(body ev2.json '{"zen":"while locked"}')
mark=$(log_mark)
case_start
want "another session holds the write lock" yes "$LOCKED"
# Signed first, so that only the request itself is timed.
hdrs=(-H 'X-GitHub-Delivery: r-locked' -H 'X-GitHub-Event: push')
while IFS= read -r h; do hdrs+=(-H "$h"); done < <(signed_headers github "$T/gh.secret" "$b")
t0=$(date +%s%3N)
s=$(post github "$b" "${hdrs[@]}")
t1=$(date +%s%3N)
want status 200 "$s"
want_response $'accepted\n'
want_true "answered within 5 s while the database is locked ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 5000 ]
sleep 0.3
want "rows while locked" 0 "$(rows github r-locked)"
want "log lines for r-locked while locked" 0 "$(log_lines "$mark" 'id="r-locked"')"
unlock_db
want "rows after the lock is released (within 5 s)" 1 "$(wait_rows github r-locked 1)"
want_true "log line outcome=stored after the lock is released" \
	log_wait "$mark" 'source="github" id="r-locked" status=200 outcome=stored' 1 5
case_end "ack receipt answers before the commit: 200 while the database is locked, row and log line after"

# ---- verification still decides ----------------------------------------------------

b=$(body ev3.json '{"zen":"forged"}')
mark=$(log_mark)
case_start
n=$(count_rows)
s=$(gh github "$b" r-forged push "$T/wrong.secret")
want status 401 "$s"
want_response $'unauthorized\n'
want_true "log line outcome=unauthorized" \
	log_wait "$mark" 'id="r-forged" status=401 outcome=unauthorized' 1 5
sleep 0.3
want "rows of r-forged" 0 "$(rows github r-forged)"
want "rows in the table" "$n" "$(count_rows)"
case_end "invalid signature: still 401, nothing stored (receipt skips the wait, not the check)"

case_start
s=$(post github "$b" -H 'X-GitHub-Delivery: r-unsigned' -H 'X-GitHub-Event: push')
want status 401 "$s"
want_response $'unauthorized\n'
sleep 0.3
want "rows of r-unsigned" 0 "$(rows github r-unsigned)"
case_end "missing signature: still 401, nothing stored"

# ---- duplicates ----------------------------------------------------------------------

b=$(body ev1.json '{"zen":"receipt"}')
mark=$(log_mark)
case_start
s=$(gh github "$b" r-1 push)
want status 200 "$s"
want_response $'accepted\n'
want_true "log line outcome=duplicate" \
	log_wait "$mark" 'source="github" id="r-1" status=200 outcome=duplicate' 1 5
want rows 1 "$(rows github r-1)"
case_end "duplicate: 200 \"accepted\", still one row, logged outcome=duplicate"

# ---- the other early answers are not turned into "accepted" ----------------------------

case_start
b=$(body ev4.json '{"zen":"no delivery"}')
s=$(EXTRA_HEADERS='X-GitHub-Event: push' post_signed github github "$T/gh.secret" "$b")
want status 400 "$s"
b=$(body ev5.json '{"zen":"ignored"}')
s=$(gh filtered "$b" r-ignored issues)
want "status (type not in events)" 200 "$s"
want_response $'ignored\n'
sleep 0.3
want "rows of r-ignored" 0 "$(rows filtered r-ignored)"
case_end "event id missing: 400; type outside the allow-list: 200 \"ignored\", not stored"

# ---- a clean stop finishes the inserts under way --------------------------------------
# The event is answered while the database is locked; SIGTERM arrives before its
# insert could run. "SIGTERM and SIGINT stop after the requests under way": the
# receiver waits for the insert (busy_timeout 20 s), which lands once the lock goes.

b=$(body ev6.json '{"zen":"stopping"}')
case_start
lock_db
want "another session holds the write lock" yes "$LOCKED"
mark=$(log_mark)
s=$(gh github "$b" r-stopping push)
want status 200 "$s"
want_response $'accepted\n'
kill -TERM "$RECEIVER_PID"
want_true "receiver logs stopping" log_wait "$mark" 'stopping on signal' 1 5
sleep 0.5
want "rows while locked" 0 "$(rows github r-stopping)"
want_true "receiver still running while its insert waits" alive "$RECEIVER_PID"
unlock_db
wait_exit "$RECEIVER_PID" 15
RECEIVER_PID=
want "exit status" 0 "$EXIT_RC"
want "rows of r-stopping" 1 "$(rows github r-stopping)"
want_true "log line outcome=stored" log_wait "$mark" 'id="r-stopping" status=200 outcome=stored' 1 1
stored_at=$(log_since "$mark" | grep -n 'id="r-stopping" status=200 outcome=stored' | cut -d: -f1)
stopped_at=$(log_since "$mark" | grep -n 'stopped:' | cut -d: -f1)
want_true "stopped logged after the insert (lines ${stored_at:-none} < ${stopped_at:-none})" \
	[ "${stored_at:-0}" -gt 0 -a "${stored_at:-0}" -lt "${stopped_at:-0}" ]
want "rows in the table" 3 "$(count_rows)"
case_end "SIGTERM with an accepted event still waiting for the lock: the insert lands, then exit 0"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
