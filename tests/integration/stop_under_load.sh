#!/bin/bash
# stop_under_load.sh: SIGTERM while 16 clients send distinct events, then a
# restart while they go on. Every request hookq read is answered before it
# exits: each id that got 200 has a row, no row exists for an id that got
# anything else, and no request answered 502 by nginx was ever read by
# hookq (its log has a line for every request it read). nginx's 502s are
# connections refused while no receiver listened, and, rarely, a request
# nginx sent on a kept connection at the instant hookq closed it (the race
# of every keep-alive server; the sender retries). The database passes
# integrity_check.

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

start_load run --clients 16
sleep 1.5
kill -TERM "$RECEIVER_PID"
wait_exit "$RECEIVER_PID" 30
rc=$EXIT_RC
RECEIVER_PID=
check "receiver exits 0 on SIGTERM under load" 0 "$rc"
check "receiver logged its stop" 1 "$(grep -c 'stopped: [0-9]* events' "$T/receiver.log")"
stored_before=$(count_rows)
start_receiver
sleep 1
stop_load run
stop_receiver

case_start
want "load generator exit" 0 "$LOAD_RC"
want "clients still running" 0 "$(load_result run unfinished)"
want "requests without an HTTP answer" 0 "$(load_result run errors)"
want "answers other than 200, 502 and 503" 0 \
	"$(awk '$2 != 200 && $2 != 502 && $2 != 503' "$T/run.results" | wc -l)"
want_true "events stored before the stop ($stored_before)" test "$stored_before" -gt 0
want_true "events stored after the restart" test "$(count_rows)" -gt "$stored_before"
case_end "every request answered: $(load_result run statuses)"

check "ids answered 200 vs rows" "missing=0 extra=0" "$(ids_vs_rows run github)"
check "integrity_check" ok "$(sql 'PRAGMA integrity_check')"
load_ids run 502 > "$T/run.502"
check "no request answered 502 by nginx was read by hookq" 0 \
	"$(grep -o 'id="[^"]*"' "$T/receiver.log" | sed 's/id="\(.*\)"/\1/' | sort -u | comm -12 - "$T/run.502" | wc -l)"
raced=$(grep -cE 'prematurely closed|reset by peer|Broken pipe' "$T/nginx/logs/error.log")
echo "# nginx: $(grep -c 'connect() to unix' "$T/nginx/logs/error.log") refused while no receiver listened," \
	"$raced sent on a kept connection as hookq closed it"
# Kept connections close after their next answer, so the race is rare: 0-1
# a run, 4 once under ASan with the other core busy (each of the 16 clients'
# connections can meet it at most once). A receiver that dropped its queue
# of accepted connections lost 13: the bound is between the two.
case_start
want_true "requests sent on a kept connection as it closed: $raced" test "$raced" -le 8
case_end "on SIGTERM, a request meets a closing kept connection rarely (nginx answers 502; the sender retries)"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
