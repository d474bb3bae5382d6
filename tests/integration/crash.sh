#!/bin/bash
# crash.sh: kill -9 of the receiver under load, three times. In each round 16
# clients send distinct signed events through nginx; after 1.5 s the
# receiver is killed with SIGKILL (no answer, no cleanup, no checkpoint) and
# a new one is started at once on the same socket and database, while the
# clients go on for 1.5 s more. With durability = full and ack = commit a 200
# is a committed row: every id answered 200 has its row, whatever the kill
# interrupted. Requests the kill cut off are answered 502 by nginx (or 503
# while the new receiver starts); their rows may exist (committed, answer
# lost: the sender retries and gets 200 as a duplicate), and are counted.
# The database passes integrity_check after every round (SQLite).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

ROUNDS=3

new_secret gh
write_config "durability = full
ack = commit" <<C
[source github]
scheme = github
secret_file = $T/gh.secret
C
start_receiver
start_nginx

# round_rows NAME: the rows of the round whose ids start with NAME-.
round_rows() {
	sql "SELECT count(*) FROM events WHERE event_id LIKE '$1-%'"
}

for r in $(seq 1 "$ROUNDS"); do
	start_load "r$r" --clients 16 --prefix "r$r-"
	sleep 1.5
	before=$(round_rows "r$r")
	kill_receiver
	restart_receiver
	sleep 1.5
	stop_load "r$r"

	load_ids "r$r" 200 > "$T/r$r.ok"
	sql "SELECT event_id FROM events WHERE event_id LIKE 'r$r-%'" | sort > "$T/r$r.rows"
	acked=$(wc -l < "$T/r$r.ok")
	missing=$(comm -23 "$T/r$r.ok" "$T/r$r.rows" | wc -l)
	unacked=$(comm -13 "$T/r$r.ok" "$T/r$r.rows" | wc -l)
	other=$(awk '$2 != 200' "$T/r$r.results" | wc -l)
	echo "# round $r: $(load_result "r$r" requests) requests ($(load_result "r$r" statuses))," \
		"acknowledged $acked, missing $missing, rows without a 200 $unacked;" \
		"$before rows just before the kill; restart ${RESTART_MS} ms"
	case_start
	want "load generator exit" 0 "$LOAD_RC"
	want "clients still running" 0 "$(load_result "r$r" unfinished)"
	want "requests without an HTTP answer" 0 "$(load_result "r$r" errors)"
	want "answers other than 200, 502 and 503" 0 \
		"$(awk '$2 != 200 && $2 != 502 && $2 != 503' "$T/r$r.results" | wc -l)"
	want_true "events acknowledged before the kill ($before rows)" test "$before" -gt 0
	want_true "events acknowledged after the restart" \
		test "$(round_rows "r$r")" -gt "$before"
	want "ids answered 200 without a row" 0 "$missing"
	want_true "rows without a 200 ($unacked) at most the other answers ($other)" \
		test "$unacked" -le "$other"
	# (SQLite's check of its file; PostgreSQL's own crash safety is not ours to test)
	[ "$STORE" = sqlite ] && want integrity_check ok "$(sql 'PRAGMA integrity_check')"
	case_end "round $r: kill -9 under load, restart: every 200 has its row (acknowledged $acked, missing $missing)"
done

stop_receiver
check "the last receiver exits 0 on SIGTERM" 0 "$RECEIVER_RC"
if [ "$STORE" = sqlite ]; then
	check "integrity_check after the last stop" ok "$(sql 'PRAGMA integrity_check')"
else
	skip "integrity_check after the last stop" "SQLite only"
fi

done_testing
[ "$TESTS_FAILED" -eq 0 ]
