#!/bin/bash
# power_cut.sh: the receiver under load, then a power cut: everything it
# wrote and did not fsync is gone. Three rounds with durability = full, three
# with normal.
#
# This machine's kernel has no device-mapper (no dm-flakey, no
# dm-log-writes), and a loop-mounted ext4 image cannot drop what was written
# but not flushed, so the cut is made by tests/faults/powercut.so, an
# LD_PRELOAD shim in the receiver that keeps, at each fsync of the database,
# its -wal or its -journal, a durable copy of that file as the sync left it
# (its header states the model: Linux's, with every unsynced write lost).
# SIGKILL is the cut; the copies, without the -shm, are the disk the machine
# boots with. Each round: the receiver starts on the database the last cut
# left, 16 clients send distinct events for 2 s, SIGKILL, then
#  - full: every id answered 200 is a row of the database after the cut;
#  - normal: what is lost is the commits since the WAL's last fsync, which
#    the receiver's checkpoints make each time 1 MB more WAL has been written
#    (README, durability): only the newest rows are lost (the rows after the
#    cut are those a crash leaves, up to some commit), the unsynced WAL is
#    within the WAL's 16 MB limit (printed: about 1 MB, more while a slow
#    checkpoint runs), and over the three rounds something is lost (else the
#    cut would not be one);
#  - both: integrity_check is ok, and the files as the kill left them (a
#    crash, not a cut) hold every id answered 200.
# First the shim is checked on its own with Python's sqlite3 module, against
# what SQLite documents for each journal mode and synchronous setting.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

SHIM="$top_builddir/tests/faults/powercut.so"
WAL="$top_srcdir/tests/faults/wal.py"
DURABLE="$T/durable"
[ -f "$SHIM" ] || bail "$SHIM is missing (make check builds it)"
# A receiver built with gcc's ASan loads libasan, which must come first.
ASAN_RT=$(ldd "$RECEIVER" 2>/dev/null | awk '/libasan/ { print $3 }')
PRELOAD="${ASAN_RT:+$ASAN_RT }$SHIM"
mkdir -p "$DURABLE"

# ---- the shim on its own ---------------------------------------------------------

cat > "$T/shim.py" <<'PY'
import os, signal, sqlite3, sys
db, mode, first, second = sys.argv[1:5]
c = sqlite3.connect(db, isolation_level=None)
c.execute("PRAGMA journal_mode = " + mode)
c.execute("PRAGMA synchronous = " + first)
c.execute("CREATE TABLE t(x)")
c.execute("INSERT INTO t VALUES (1)")
c.execute("PRAGMA synchronous = " + second)
c.execute("INSERT INTO t VALUES (2)")
os.kill(os.getpid(), signal.SIGKILL)
PY
# shim_rows MODE SYNC1 SYNC2: "LIVE/DURABLE": the rows of t in the files the
# kill left and in the durable copies, after two commits (the first with
# SYNC1, the second with SYNC2) and SIGKILL.
shim_rows() {
	local d="$T/shim-$1-$2-$3" live durable
	mkdir -p "$d/live" "$d/durable" "$d/boot"
	HOOKQ_POWERCUT_DB="$d/live/q.db" HOOKQ_POWERCUT_DIR="$d/durable" LD_PRELOAD="$SHIM" \
		"$PY" "$T/shim.py" "$d/live/q.db" "$1" "$2" "$3" 2>"$d/stderr"
	cp "$d"/durable/q.db* "$d/boot/" 2>/dev/null
	live=$(sqlite3 "$d/live/q.db" 'SELECT group_concat(x) FROM t' 2>/dev/null)
	durable=$(sqlite3 "$d/boot/q.db" 'SELECT group_concat(x) FROM t' 2>/dev/null)
	echo "${live:-none}/${durable:-none}"
}
case_start
want "WAL, FULL then OFF: the second commit was never synced" "1,2/1" "$(shim_rows wal full off)"
want "WAL, FULL: each commit synced" "1,2/1,2" "$(shim_rows wal full full)"
want "WAL, NORMAL, no checkpoint yet: nothing synced" "1,2/none" "$(shim_rows wal normal normal)"
# SQLite's documentation: FULL in DELETE mode does not sync the folder after
# the journal's unlink, so a cut can bring the journal back and roll the
# commit back; EXTRA does. The shim models folder syncs, so it shows that.
want "DELETE, FULL: the journal's unlink was not synced, the last commit is rolled back" \
	"1,2/1" "$(shim_rows delete full full)"
want "DELETE, EXTRA: the folder is synced after the unlink" "1,2/1,2" "$(shim_rows delete extra extra)"
case_end "the shim keeps what was synced and nothing else (Python's sqlite3, SIGKILL)"

# ---- the receiver, cut under load -------------------------------------------------

new_secret gh
# configure DURABILITY: the config of a round.
configure() {
	write_config "durability = $1
ack = commit" <<C
[source github]
scheme = github
secret_file = $T/gh.secret
C
}
# start_cut_receiver: the receiver with the shim, on the database the last cut left.
start_cut_receiver() {
	local mark
	mark=$(log_mark)
	HOOKQ_POWERCUT_DB="$DB" HOOKQ_POWERCUT_DIR="$DURABLE" LD_PRELOAD="$PRELOAD" \
		"$RECEIVER" -c "$T/hookq.conf" >> "$T/receiver.log" 2>&1 &
	RECEIVER_PID=$!
	if ! log_wait "$mark" 'listening on ' 1 10; then
		log_since "$mark" >&2
		bail "hookq-receiver did not start with the shim"
	fi
}
# round_rows DB NAME: the ids of the round's rows in database DB, sorted.
round_rows() {
	sqlite3 -batch -noheader "$1" "SELECT event_id FROM events WHERE event_id GLOB '$2-*'" | sort
}

start_nginx

lost_normal=0
r=0
for dur in full full full normal normal normal; do
	r=$((r + 1))
	name="c$r"
	configure "$dur"
	start_cut_receiver
	start_load "$name" --clients 16 --prefix "$name-"
	sleep 2
	kill_receiver # the cut
	stop_load "$name"

	# The disk as a crash (not a cut) would leave it: the files as they are.
	mkdir -p "$T/$name.crash"
	cp "$DB" "$DB-wal" "$T/$name.crash/" 2>/dev/null
	live_wal=$("$PY" "$WAL" "$DB-wal")
	durable_wal=$("$PY" "$WAL" "$DURABLE/queue.db-wal")
	# The machine boots: the durable copies replace the files, the -shm is gone.
	rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-journal"
	for f in "$DURABLE"/queue.db "$DURABLE"/queue.db-wal "$DURABLE"/queue.db-journal; do
		[ -f "$f" ] && cp "$f" "$T/"
	done

	load_ids "$name" 200 > "$T/$name.ok"
	round_rows "$DB" "$name" > "$T/$name.rows"
	round_rows "$T/$name.crash/queue.db" "$name" > "$T/$name.crashrows"
	acked=$(wc -l < "$T/$name.ok")
	missing=$(comm -23 "$T/$name.ok" "$T/$name.rows" | wc -l)
	crash_missing=$(comm -23 "$T/$name.ok" "$T/$name.crashrows" | wc -l)
	rows=$(wc -l < "$T/$name.rows")
	# Commit order is id order: the rows after the cut must be the crash's up to the newest.
	newest=$(sql 'SELECT ifnull(max(id), 0) FROM events')
	prefix_gap=$(( $(sqlite3 -batch "$T/$name.crash/queue.db" \
		"SELECT count(*) FROM events WHERE id <= $newest") - $(count_rows) ))
	# Unsynced WAL at the cut: the live WAL's frames past the durable one's.
	read -r lsalt lframes lcommits page <<< "$live_wal"
	read -r dsalt dframes dcommits _ <<< "$durable_wal"
	if [ "$lsalt" = "$dsalt" ]; then
		lost_frames=$((lframes - dframes))
		lost_commits=$((lcommits - dcommits))
	else
		lost_frames=$lframes # the WAL started over after its last sync
		lost_commits=$lcommits
	fi
	lost_kb=$((lost_frames * (page + 24) / 1024))
	[ "$dur" = normal ] && lost_normal=$((lost_normal + missing))
	echo "# round $r ($dur): $(load_result "$name" requests) requests ($(load_result "$name" statuses));" \
		"acknowledged $acked, missing after the cut $missing, after a crash $crash_missing;" \
		"rows of the round $rows; WAL not synced at the cut: $lost_commits commits, $lost_frames frames, $lost_kb KB"

	case_start
	want "load generator exit" 0 "$LOAD_RC"
	want "clients still running" 0 "$(load_result "$name" unfinished)"
	want "requests without an HTTP answer" 0 "$(load_result "$name" errors)"
	want_true "events acknowledged ($acked)" test "$acked" -gt 0
	want integrity_check ok "$(sql 'PRAGMA integrity_check')"
	want "ids answered 200 without a row after a crash" 0 "$crash_missing"
	want "rows after the cut that a crash would not have left" 0 \
		"$(comm -13 "$T/$name.crashrows" "$T/$name.rows" | wc -l)"
	if [ "$dur" = full ]; then
		want "ids answered 200 without a row after the cut" 0 "$missing"
		# The kill may land between a commit's writes and its fsync: never answered.
		want_true "WAL commits not synced at the cut ($lost_commits) at most the one under way" \
			test "$lost_commits" -le 1
		case_end "round $r, durability full: the cut loses nothing acknowledged ($acked acknowledged, $missing missing)"
	else
		want "rows a crash leaves, older than the newest row after the cut, lost by the cut" 0 "$prefix_gap"
		want_true "WAL not synced at the cut ($lost_kb KB) within the WAL's limit, 16 MB" \
			test "$lost_kb" -le 16384
		case_end "round $r, durability normal: the cut loses the newest commits, those since the WAL's last fsync ($missing of $acked acknowledged, $lost_kb KB of WAL)"
	fi
done

case_start
want_true "acknowledged events lost with durability normal, over three rounds: $lost_normal" \
	test "$lost_normal" -gt 0
case_end "with durability normal the cut does lose acknowledged events: the simulation discards unsynced writes"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
