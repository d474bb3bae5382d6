#!/bin/bash
# db_tampered.sh: the database tampered with under a running receiver, as an
# operator's mistake would: made read-only (chattr +i: even root cannot
# write), its -wal deleted, the file replaced by another. Whatever happens,
# never a 200 without a row other processes see; the log says why; the
# health check answers 503. Read-only undone, the same receiver stores again.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

new_secret gh
write_config "health_path = /hookq/health" <<C
[source github]
scheme = github
secret_file = $T/gh.secret
C

health() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/hookq/health"
}
# fresh: a new database and receiver, 20 events stored, health 200.
fresh() {
	stop_receiver
	rm -f "$DB" "$DB-wal" "$DB-shm"
	start_receiver
	run_load "$1-before" --events 20 --clients 2 --prefix "$1-before-" > /dev/null
	check "$1: before, events stored" "200=20" "$(load_result "$1-before" statuses)"
	check "$1: before, health" 200 "$(health)"
}
# after NAME LOGRE: 20 events after the damage; none 200 unless a row; all 503.
after() {
	local mark
	mark=$(log_mark)
	run_load "$1" --events 20 --clients 2 --prefix "$1-" > /dev/null
	echo "# $1: $(load_result "$1" statuses)"
	case_start
	want "statuses" "503=20" "$(load_result "$1" statuses)"
	want_true "log says: $2" log_wait "$mark" "$2" 1 5
	want "health" 503 "$(health)"
	want "receiver alive" yes "$(alive "$RECEIVER_PID" && echo yes)"
	case_end "$1: every event 503, a log line that says why, health 503"
}

start_receiver
start_nginx

# Read-only: writes fail (EPERM) on the files the receiver holds open.
fresh readonly
if chattr +i "$DB" "$DB-wal" 2>/dev/null; then
	after readonly 'status=503 .*(disk I/O error|readonly|read-only|not permitted)'
	chattr -i "$DB" "$DB-wal"
	run_load readonly-undone --events 20 --clients 2 --prefix readonly-undone- > /dev/null
	case_start
	want "statuses" "200=20" "$(load_result readonly-undone statuses)"
	want "ids answered 200 vs rows" "missing=0 extra=0" "$(ids_vs_rows readonly-undone github 'readonly-undone-*')"
	want "health" 200 "$(health)"
	case_end "read-only undone: the same receiver stores again, health 200"
else
	chattr -i "$DB" "$DB-wal" 2>/dev/null
	echo "ok $((TESTS_RUN + 1)) # SKIP chattr +i does not work on $(df --output=fstype "$T" | tail -1)"
	TESTS_RUN=$((TESTS_RUN + 1))
fi

# The -wal deleted: the receiver's commits would land in a file nobody sees.
fresh walgone
rm -f "$DB-wal"
after walgone 'status=503 .*-wal was deleted, moved or replaced'

# The file replaced by another database.
fresh replaced
"$PY" - "$T/other.db" <<'P'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE other(x)")
c.commit()
P
mv "$T/other.db" "$DB"
after replaced 'status=503 .*-wal was deleted, moved or replaced'

done_testing
[ "$TESTS_FAILED" -eq 0 ]
