#!/bin/bash
# backup.sh: hookq backup FILE while hookq-receiver takes a steady stream of
# signed events through nginx and hookq-worker runs them. The copy passes
# integrity_check, holds every event acknowledged before the backup started,
# holds no row the live database lacks, is mode 0600 and left no temporary
# file; the load saw no 503 while it ran. An existing FILE is refused.
# Restoring it (daemons stopped, the copy put in place) gives a working
# queue.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

HOOKQ="$top_builddir/hookq"
COPY="$T/backups/queue-copy.db"
mkdir -p "$T/backups"
ok_handler > /dev/null
new_secret gh
write_config <<EOF
[source github]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/ok.sh
EOF
# csql FILE SQL: a query on another database file.
csql() { sqlite3 -batch -noheader "$1" "$2"; }
# start_worker: lib.sh's, waiting for the start-up line of the worker with
# routes ("..., routes: github"); lib.sh still waits for "handled [".
start_worker() {
	local i
	"$WORKER" -c "$T/hookq.conf" >> "$T/worker.log" 2>&1 &
	WORKER_PID=$!
	WORKER_PIDS="$WORKER_PIDS $WORKER_PID"
	for i in $(seq 1 200); do
		grep -qE ' handled \[|, routes: ' "$T/worker.log" 2>/dev/null && return 0
		alive "$WORKER_PID" || break
		sleep 0.05
	done
	cat "$T/worker.log" >&2
	bail "hookq-worker did not start"
}

start_receiver
start_nginx
start_worker

# Events acknowledged before the backup: about 5 MB of rows, so the copy
# takes many steps of 256 pages while the load goes on.
run_load pre --events 2000 --clients 8 --prefix pre- --pad 2000
[ "$(load_ids pre 200 | wc -l)" = 2000 ] || bail "the first load did not get 2000 answers of 200"

case_start
start_load during --clients 8 --prefix during- --pad 2000
sleep 1
umask 022
"$HOOKQ" -c "$T/hookq.conf" backup "$COPY" > "$T/backup.out" 2> "$T/backup.err"; rc=$?
sed 's/^/# backup: /' "$T/backup.out" "$T/backup.err"
sleep 1
stop_load during
want "backup: exit" 0 "$rc"
want "the load went on during the backup" yes \
	"$([ "$(load_ids during 200 | wc -l)" -gt 100 ] && echo yes || echo no)"
want "no answer but 200 during the backup" "200" "$(awk '{ print $2 }' "$T/during.results" | sort -u | paste -sd ' ')"
want "the copy: integrity_check" ok "$(csql "$COPY" 'PRAGMA integrity_check')"
want "the copy: schema version" "$SCHEMA_VERSION" "$(csql "$COPY" 'PRAGMA user_version')"
want "the copy: mode 0600" 600 "$(stat -c %a "$COPY")"
want "no temporary file left" "queue-copy.db" "$(ls "$T/backups" | paste -sd ' ')"
n=$(csql "$COPY" 'SELECT count(*) FROM events')
want_true "prints the events in the copy and its version" \
	grep -q "^backup $COPY of $DB: $n events, schema version $SCHEMA_VERSION\$" "$T/backup.out"
csql "$COPY" "SELECT event_id FROM events WHERE source = 'github' AND event_id GLOB 'pre-*'" | sort > "$T/copy.pre"
want "every event acknowledged before the backup is in the copy" 0 \
	"$(comm -23 <(load_ids pre 200) "$T/copy.pre" | wc -l)"
csql "$COPY" "SELECT id || ' ' || source || ' ' || event_id || ' ' || received_at FROM events" | sort > "$T/copy.rows"
sql "SELECT id || ' ' || source || ' ' || event_id || ' ' || received_at FROM events" | sort > "$T/live.rows"
want "the copy's rows are a subset of the live database's" 0 "$(comm -23 "$T/copy.rows" "$T/live.rows" | wc -l)"
want "the live database has rows the copy does not (acknowledged after it)" yes \
	"$([ "$(comm -13 "$T/copy.rows" "$T/live.rows" | wc -l)" -gt 0 ] && echo yes || echo no)"
case_end "hookq backup under load: a consistent copy (integrity ok, every earlier event, a subset of the live rows), 0600"

case_start
before=$(sha256sum < "$COPY")
"$HOOKQ" -c "$T/hookq.conf" backup "$COPY" > "$T/out" 2> "$T/err"; rc=$?
want "an existing FILE: exit" 1 "$rc"
want_true "an existing FILE: says so" grep -q "queue-copy.db: already exists" "$T/err"
want "an existing FILE: unchanged" "$before" "$(sha256sum < "$COPY")"
"$HOOKQ" -c "$T/hookq.conf" --json backup "$T/backups/second.db" > "$T/out" 2> "$T/err"; rc=$?
want "--json: exit" 0 "$rc"
want "--json: the fields" "True $SCHEMA_VERSION $DB" "$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(j["events"] > 2000, j["schema_version"], j["database"])' "$T/out")"
"$HOOKQ" -c "$T/hookq.conf" backup "$T/no-such-folder/x.db" > "$T/out" 2> "$T/err"; rc=$?
want "a missing folder: exit" 111 "$rc"
"$HOOKQ" -c "$T/hookq.conf" backup > "$T/out" 2> "$T/err"; rc=$?
want "no FILE: exit" 100 "$rc"
case_end "backup refuses an existing FILE (exit 1, untouched); --json; a missing folder exits 111"

# Restore as the README says: stop the daemons, remove the WAL files, put the copy in place, start.
case_start
stop_worker
stop_receiver
rm -f "$DB-wal" "$DB-shm"
cp "$COPY" "$DB"
chmod 640 "$DB"
start_receiver
start_worker
want "the restored queue: the copy's rows" "$n" "$(sql 'SELECT count(*) FROM events')"
b=$(body after.json '{"zen":"Practicality beats purity.","hook_id":3}')
want "a new event after the restore: 200" 200 "$(post_github github "$b" after-restore push)"
want "the worker routes and runs it" done \
	"$(wait_sql "SELECT status FROM delivery_events WHERE event_id = 'after-restore'" done)"
# A delivery running when the copy was taken is claimed again once its lease runs out.
want "the worker routes every event and runs every delivery of the copy" 0 \
	"$(wait_sql "SELECT (SELECT count(*) FROM events WHERE routed_at IS NULL) +
	               (SELECT count(*) FROM deliveries WHERE status NOT IN ('done', 'running'))" 0 30)"
want "the copy's running deliveries still hold their lease" \
	"$(csql "$COPY" "SELECT count(*) FROM deliveries WHERE status = 'running' AND lease_until IS NOT NULL")" \
	"$(sql "SELECT count(*) FROM deliveries WHERE status = 'running' AND lease_until IS NOT NULL")"
want "the restored database: integrity_check" ok "$(sql 'PRAGMA integrity_check')"
case_end "restoring the copy (daemons stopped, WAL files removed) gives a working queue"

done_testing
