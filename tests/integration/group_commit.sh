#!/bin/bash
# group_commit.sh: many requests share a commit, with the shipped defaults
# (no threads key, durability full, ack commit). 1,000 distinct events from
# 64 concurrent clients: exactly 1,000 answers of 200 and 1,000 rows, each
# with its own body. The load starts while another process holds the write
# lock for half a second (less than busy_timeout; on PostgreSQL a LOCK
# TABLE of hookq's tables, lib.sh's lock_db), so requests queue up
# behind the waiting commit: the next commit carries far more events than
# there are request threads, because a request waiting for its commit holds
# no thread.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

EVENTS=1000
CLIENTS=64
THREADS=4 # the shipped default of [hookq] threads

new_secret gh
write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret
C
check "the config leaves threads at its default" 0 "$(grep -c '^threads' "$T/hookq.conf")"
start_receiver
start_nginx

lock_db
[ "$LOCKED" = yes ] || bail "could not take the write lock"
run_load run --events "$EVENTS" --clients "$CLIENTS" &
load=$!
sleep 0.5
unlock_db
wait "$load"
LOAD_RC=$?
case_start
want "load generator exit" 0 "$LOAD_RC"
want "clients still running" 0 "$(load_result run unfinished)"
want "transport errors" 0 "$(load_result run errors)"
want "statuses" "200=$EVENTS" "$(load_result run statuses)"
want "answers" "stored=$EVENTS" "$(load_result run answers)"
case_end "$EVENTS distinct events from $CLIENTS clients: $EVENTS answers of 200, all stored"

case_start
want rows "$EVENTS" "$(count_rows)"
want "ids answered 200 vs rows" "missing=0 extra=0" "$(ids_vs_rows run github)"
want "rows whose body is not the one sent with their id" 0 \
	"$(sql "SELECT count(*) FROM events
		WHERE CAST($(sql_json "$(sql_body_text body)" n) AS INTEGER)
			IS DISTINCT FROM CAST(substr(event_id, 3) AS INTEGER)")"
case_end "exactly $EVENTS rows, one per id answered 200, each with its own body"

stop_receiver
stats=$(grep -o 'stopped: .*' "$T/receiver.log" | tail -1)
echo "# receiver $stats"
largest=$(sed -n 's/.*(at most \([0-9]*\) in one).*/\1/p' <<< "$stats")
case_start
want "receiver exit" 0 "$RECEIVER_RC"
want_true "largest commit (${largest:-?} events) carries at least 4 x $THREADS, the request threads" \
	test "${largest:-0}" -ge $((4 * THREADS))
case_end "a commit is not bounded by the number of request threads"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
