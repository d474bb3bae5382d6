#!/bin/bash
# stop_under_load.sh: SIGTERM while 16 clients send distinct events, then a
# restart while they go on. Every request that reached hookq is answered
# before it exits: each id that got 200 has a row, no row exists for an id
# that got anything else, and nginx never saw hookq close a connection
# without its answer (its only 502s are connections refused while no
# receiver listened). The database passes integrity_check.

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
# 502s come only from connect() while nothing listened, never from a dropped request.
check "nginx saw no connection closed before its answer" 0 \
	"$(grep -cE 'prematurely closed|reset by peer|Broken pipe' "$T/nginx/logs/error.log")"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
