#!/bin/bash
# disk_full.sh: the database on a 4 MB tmpfs that fills up under load, with
# the worker draining it, then space freed. While the disk is full every
# answer is 200 with a row, or 503 with Retry-After: never a 200 without a
# row. Once space is back the same receiver stores again (no restart), and
# the worker, which must not count the disk against any handler, catches up:
# every event stored ends done after one run.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

FS="$T/fs"
mkdir -p "$FS"
if ! mount -t tmpfs -o size=4m hookq-test "$FS" 2>/dev/null; then
	echo "1..0 # SKIP cannot mount a tmpfs here (needs root)"
	exit 0
fi
cleanup_fs() {
	cleanup
	umount "$FS" 2>/dev/null
	rmdir "$FS" 2>/dev/null
}
trap cleanup_fs EXIT
DB="$FS/queue.db"

new_secret gh
cat > "$T/handler.sh" <<'H'
#!/bin/sh
# Records each run, outside the full disk.
echo "$HOOKQ_EVENT_ID" >> "$RUNS"
H
chmod +x "$T/handler.sh"
export RUNS="$T/runs"
write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret
handler = $T/handler.sh
backoff_base = 1s
backoff_max = 2s
C
# A ballast file holds 1 MB of the disk, to be freed later.
head -c $((1024 * 1024)) /dev/zero > "$FS/ballast"
start_receiver
start_nginx
start_worker

# Fill the disk: 2 KB events from 8 clients until 150 requests were refused.
run_load full --events 3000 --clients 8 --pad 2000 --prefix full-
statuses=$(load_result full statuses)
echo "# disk full: $statuses; df: $(df -k --output=used,avail "$FS" | tail -1)"
case_start
want "load generator exit" 0 "$LOAD_RC"
want "requests without an HTTP answer" 0 "$(load_result full errors)"
want_true "the disk filled up: some 503s ($statuses)" grep -q '503=' <<< "$statuses"
want "answers other than 200 and 503 with Retry-After" "" \
	"$(tr ' ' '\n' <<< "$statuses" | grep -vE '^(200|503)=' | tr '\n' ' ')"
want "ids answered 200 vs rows" "missing=0" "$(ids_vs_rows full github | cut -d' ' -f1)"
case_end "a full disk: every answer 200 with a row or 503 with Retry-After"
check "the receiver said why" 1 "$(grep -c -m1 -E 'full|SQLITE_FULL' "$T/receiver.log")"
stored=$(sql "SELECT count(*) FROM events")

# Space back: the same receiver stores again.
rm -f "$FS/ballast"
pid=$RECEIVER_PID
run_load after --events 100 --clients 4 --prefix after-
case_start
want "statuses once space is back" "200=100" "$(load_result after statuses)"
want "ids answered 200 vs rows" "missing=0 extra=0" "$(ids_vs_rows after github 'after-*')"
want "the same receiver" "$pid" "$(alive "$pid" && echo "$pid")"
case_end "space freed: the same receiver stores again"

# The worker catches up, and the disk counted against no handler.
total=$((stored + 100))
echo "# events stored: $total; waiting for the worker"
case_start
want "events done" "$total" "$(wait_sql "SELECT count(*) FROM delivery_events WHERE status = 'done'" "$total" 60)"
want "events not done" "" "$(sql "SELECT 'unrouted', count(*) FROM events WHERE routed_at IS NULL
	HAVING count(*) > 0
	UNION ALL SELECT status, count(*) FROM deliveries WHERE status != 'done' GROUP BY status")"
want "events without exactly one delivery" "0" \
	"$(sql "SELECT count(*) FROM events WHERE (SELECT count(*) FROM deliveries WHERE event = events.id) != 1")"
want "events run more than once" "0" "$(sql "SELECT count(*) FROM deliveries WHERE attempts != 1")"
want "runs of the handler" "$total" "$(sort -u "$RUNS" | wc -l | tr -d ' ')"
want "integrity_check" "ok" "$(sql 'PRAGMA integrity_check')"
case_end "the worker caught up: every event done after one run"
echo "# disk after: $(df -k --output=used,avail "$FS" | tail -1); wal $(stat -c %s "$DB-wal" 2>/dev/null) bytes"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
