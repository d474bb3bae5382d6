#!/bin/bash
# cli_ops.sh: what the hookq commands may touch. The read-only commands
# (status, list, show, backup, replay --dry-run) run as a user who can read the database but
# neither write it nor read the secret files; no command but init migrates
# an older database; a database newer than the binary is refused by hookq,
# hookq-receiver and hookq-worker (exit 111) with its bytes and mtime
# unchanged; hookq init creates the database 0640.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

HOOKQ="$top_builddir/hookq"
OUT="$T/out"
ERR="$T/err"
RC=

q() {
	"$HOOKQ" -c "$T/hookq.conf" "$@" > "$OUT" 2> "$ERR"
	RC=$?
}
# qc CONFIG ARGS...: hookq with another configuration.
qc() {
	local c=$1
	shift
	"$HOOKQ" -c "$c" "$@" > "$OUT" 2> "$ERR"
	RC=$?
}
has() { grep -qE -- "$1" "$OUT"; }
has_err() { grep -qE -- "$1" "$ERR"; }
# fingerprint FILE: its bytes' hash and its mtime to the nanosecond.
fingerprint() {
	echo "$(sha256sum < "$1" | cut -c1-64) $(stat -c %y "$1")"
}

new_secret gh
ok_handler > /dev/null
write_config <<EOF
[source gh]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/ok.sh
EOF

# ---- init's mode -------------------------------------------------------------------

if [ "$STORE" = pg ]; then
	q init
	[ "$RC" = 0 ] || bail "hookq init: $(cat "$ERR")"
	skip "hookq init creates the database 0640, whatever the umask gives" \
		"SQLite only: the mode of the database's files"
else
case_start
(umask 022 && "$HOOKQ" -c "$T/hookq.conf" init > "$OUT" 2> "$ERR"); RC=$?
want "init: exit" 0 "$RC"
want "init: the new database is 0640" 640 "$(stat -c %a "$DB")"
want "init: its WAL files are 0640 too" "640 640" \
	"$(sqlite3 "$DB" 'PRAGMA journal_mode' > /dev/null; python3 - "$DB" <<'PY'
import os, sqlite3, stat, sys
c = sqlite3.connect(sys.argv[1]); c.execute("SELECT 1 FROM events").fetchall()
print(" ".join("%o" % stat.S_IMODE(os.stat(sys.argv[1] + s).st_mode) for s in ("-wal", "-shm")))
PY
)"
case_end "hookq init creates the database 0640, whatever the umask gives"
fi

start_receiver
start_nginx
b=$(body event.json '{"zen":"Design for failure.","hook_id":1}')
for i in 1 2 3; do
	[ "$(post_github gh "$b" "ops-$i" push)" = 200 ] || bail "seeding: POST ops-$i"
done

# ---- a monitoring user -----------------------------------------------------------------

if [ "$STORE" = pg ]; then
	# (on PostgreSQL what a user may do is the server's roles and grants)
	skip "status, list, show as a user who can read the database but not the secrets or write the file" \
		"SQLite only: the database file's permissions"
else
case_start
if [ "$(id -u)" != 0 ]; then
	ok "# SKIP status as a monitoring user: needs root to create the user"
elif ! command -v useradd > /dev/null || ! command -v runuser > /dev/null; then
	ok "# SKIP status as a monitoring user: no useradd or runuser"
else
	MON="hqmon$$"
	MON=${MON:0:30}
	useradd -M -N -s /usr/sbin/nologin "$MON" || bail "useradd $MON failed"
	trap 'userdel "$MON" 2>/dev/null; cleanup' EXIT
	# The folders can be walked, the configuration and the queue read, the secret not.
	chmod 711 "$T"
	chmod 644 "$T/hookq.conf" "$DB" "$DB-wal" "$DB-shm"
	chmod 600 "$T/gh.secret"
	mon() { runuser -u "$MON" -- "$HOOKQ" -c "$T/hookq.conf" "$@" > "$OUT" 2> "$ERR"; RC=$?; }
	want_true "the user cannot read the secret" eval "! runuser -u '$MON' -- cat '$T/gh.secret' 2>/dev/null"
	want_true "the user cannot write the database" eval "! runuser -u '$MON' -- sh -c ': >> \"$DB\"' 2>/dev/null"
	before=$(fingerprint "$DB")
	mon status; want "status: exit" 0 "$RC"
	want_true "status: the events, not routed yet" has '^gh +- +unrouted +3 '
	want "status: nothing on stderr" "" "$(cat "$ERR")"
	mon --json list --status unrouted; want "list: exit" 0 "$RC"
	want "list: the events" 3 "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$OUT")"
	mon show --event 1; want "show: exit" 0 "$RC"
	want_true "show: the body" has 'Design for failure'
	mon backup "$T/mon-copy.db"
	want "backup into a folder the user cannot write: exit 111" 111 "$RC"
	want_true "backup: says why" has_err 'mon-copy.db.tmp-.*Permission denied'
	sql "UPDATE events SET routed_at = 1, routes = 1 WHERE id = 1;
	     INSERT INTO deliveries (id, event, route, status, finished_at, created_at)
	          VALUES (1, 1, 'gh', 'dead', 1, 1)"
	mon show 1; want "show of a delivery: exit" 0 "$RC"
	want_true "show of a delivery: the body" has 'Design for failure'
	before=$(fingerprint "$DB")
	mon requeue 1; want "requeue (a write) fails for the user: exit" 111 "$RC"
	want_true "requeue: says the database is read-only" has_err 'readonly database'
	want "requeue: the delivery still dead" dead "$(sql 'SELECT status FROM deliveries WHERE id = 1')"
	mon replay --source gh --dry-run; want "replay --dry-run (a read) works for the user: exit" 0 "$RC"
	want "replay --dry-run: the count" "would replay 1 delivery" "$(cat "$OUT")"
	mon replay --source gh; want "replay (a write) fails for the user: exit" 111 "$RC"
	mon check; want "check (it reads secrets) is refused: exit" 1 "$RC"
	want_true "check: names the secret file" has "gh.secret: Permission denied"
	want "the database as it was" "$before" "$(fingerprint "$DB")"
	# With the daemons stopped the -wal and -shm are gone, and the user cannot make them.
	stop_receiver
	want "the receiver removed the WAL files" no "$([ -e "$DB-shm" ] && echo yes || echo no)"
	mon status; want "status, daemons stopped: exit" 111 "$RC"
	want_true "status, daemons stopped: says why" has_err "cannot read it without its -wal and -shm files"
	start_receiver
	chmod 644 "$DB-wal" "$DB-shm"
	mon status; want "status, the receiver started again: exit" 0 "$RC"
	chmod 700 "$T"
fi
case_end "status, list, show as a user who can read the database but not the secrets or write the file"
fi

# ---- hookq check --user: what the daemons' user will meet ---------------------------------

case_start
if [ "$(id -u)" != 0 ]; then
	q check; want "not root: check exit" 0 "$RC"
	want_true "not root: one line says the user checks are skipped" has '^note: not run as root: checks as the daemons. user skipped$'
	ok "# SKIP check --user: needs root to create users"
else
	D="hqd$$" O="hqo$$" G="hqg$$"
	D=${D:0:30} O=${O:0:30} G=${G:0:30}
	useradd -M -U -s /usr/sbin/nologin "$D" || bail "useradd $D"
	groupadd "$G" || bail "groupadd $G"
	useradd -M -N -G "$G" -s /usr/sbin/nologin "$O" || bail "useradd $O"
	usermod -a -G "$G" "$D"
	trap 'userdel "${MON:-none}" 2>/dev/null; userdel "$D"; userdel "$O"; groupdel "$G" 2>/dev/null; groupdel "$D" 2>/dev/null; cleanup' EXIT
	C="$T/chk"
	mkdir -p "$C/db"
	chmod 711 "$T"
	chmod 755 "$C"
	for f in wide fine shared; do
		new_secret "$f"
		mv "$T/$f.secret" "$C/$f.secret"
	done
	chmod 644 "$C/wide.secret"
	chgrp "$D" "$C/fine.secret"; chmod 640 "$C/fine.secret"
	chgrp "$G" "$C/shared.secret"; chmod 640 "$C/shared.secret"
	chown "$D:$D" "$C/db"; chmod 750 "$C/db"
	printf '%s\n' "[hookq]" "database = $C/db/queue.db" "" \
		"[source wide]" "scheme = github" "secret_file = $C/wide.secret" "" \
		"[source fine]" "scheme = github" "secret_file = $C/fine.secret" "" \
		"[source shared]" "scheme = github" "secret_file = $C/shared.secret" > "$C/hookq.conf"
	qc "$C/hookq.conf" check --user "$D"; want "check --user: exit" 1 "$RC"
	sed 's/^/# /' "$OUT"
	want_true "a 0644 secret file is flagged" has "hookq.conf:6: secret_file $C/wide.secret is readable by every user"
	want_true "a 0640 root:$D file is fine" eval "! grep -q 'fine.secret' '$OUT'"
	want_true "a group with another member is flagged" \
		has "hookq.conf:14: secret_file $C/shared.secret is readable by group $G, which has other members \\($O\\)"
	want_true "the database folder is fine" eval "! grep -q 'database' '$OUT'"
	chown root:root "$C/db"; chmod 755 "$C/db"
	qc "$C/hookq.conf" check --user "$D"; want "a db folder $D cannot write: exit" 1 "$RC"
	want_true "a db folder $D cannot write: flagged" \
		has "hookq.conf: database folder $C/db: the daemons' user $D cannot create files in it \\(Permission denied\\)"
	chown "$D:$D" "$C/db"
	: > "$C/db/queue.db"
	chmod 644 "$C/db/queue.db"
	qc "$C/hookq.conf" check --user "$D"
	want_true "a root-owned 0644 database file: flagged" \
		has "hookq.conf: database $C/db/queue.db: the daemons' user $D cannot read and write it"
	rm -f "$C/db/queue.db"
	chgrp "$D" "$C/wide.secret" "$C/shared.secret"; chmod 640 "$C/wide.secret"
	qc "$C/hookq.conf" check --user "$D"; want "all mended: exit" 0 "$RC"
	want_true "all mended: configuration OK" has '^configuration OK$'
	# The socket: nginx's user is the main context's user of nginx.conf, else www-data.
	NGX=$(sed -e 's/#.*//' /etc/nginx/nginx.conf 2>/dev/null | awk '$1 == "user" { sub(/;.*/, "", $2); print $2; exit }')
	NGX=${NGX:-www-data}
	if id "$NGX" > /dev/null 2>&1; then
		cp "$C/hookq.conf" "$C/sock.conf"
		sed -i "s|^database = .*|&\nlisten = $C/hookq.sock\nlisten_group = $D|" "$C/sock.conf"
		qc "$C/sock.conf" check --user "$D"; want "listen_group $D, nginx's user $NGX not in it: exit" 1 "$RC"
		sed 's/^/# /' "$OUT"
		want_true "listen_group without nginx's user: flagged" \
			has "sock.conf: listen $C/hookq.sock: nginx's user $NGX is neither its owner nor in its group \\($D:$D, mode 0660\\) and cannot connect"
		sed -i "s|^listen_group = .*|listen_group = $(id -gn "$NGX")|" "$C/sock.conf"
		qc "$C/sock.conf" check --user "$D"; want "listen_group nginx's group: exit" 0 "$RC"
		sed -i "s|^listen_group = .*|listen_group = $D\nlisten_mode = 0666|" "$C/sock.conf"
		qc "$C/sock.conf" check --user "$D"; want "listen_mode 0666: exit" 0 "$RC"
		sed -i "s|^listen_group = .*|listen_owner = $NGX|; s|^listen_mode = .*|listen_mode = 0460|" "$C/sock.conf"
		qc "$C/sock.conf" check --user "$D"; want "nginx's user owns it, mode 0460 (no owner w): exit" 1 "$RC"
		want_true "owner without rw: flagged" has "nginx's user $NGX is its owner .* and cannot connect"
	else
		ok "# SKIP the socket check: nginx's user $NGX does not exist here"
	fi
	qc "$C/hookq.conf" check --user "no-such-user-$$"; want "--user of no such user: exit" 0 "$RC"
	want_true "--user of no such user: one line says the checks are skipped" \
		has "^note: no user no-such-user-$$: checks as the daemons' user skipped\$"
	if ! id hookq > /dev/null 2>&1; then
		qc "$C/hookq.conf" check; want "no user hookq: exit" 0 "$RC"
		want_true "no user hookq: one line says the checks are skipped" \
			has '^note: no user hookq: checks as the daemons. user skipped'
	fi
	chmod 700 "$T"
fi
case_end "check --user: secret files the user cannot read or others can, a database folder or file it cannot write, a socket nginx cannot connect to"

# ---- an older database ------------------------------------------------------------------

if [ "$STORE" = pg ]; then
	skip "no command but init migrates: an older database is refused with 'run hookq init' (exit 111), untouched" \
		"SQLite only: PostgreSQL's schema begins at version 6"
else
# A version-3 database (the migrations before 4) with one row, as hookq 3 left it.
OLD="$T/old.db"
awk '/^-- migration 4:/ { exit } { print }' "$top_srcdir/sql/schema.sql" | sqlite3 -batch "$OLD"
sqlite3 -batch "$OLD" "PRAGMA user_version = 3;
	INSERT INTO events (source, event_id, received_at, headers, body) VALUES ('gh', 'old-1', 1, '{}', x'00');"
sed "s|^database = .*|database = $OLD|" "$T/hookq.conf" > "$T/old.conf"

case_start
before=$(fingerprint "$OLD")
for cmd in status list "show 1" "backup $T/old-copy.db" "requeue 1" "purge --done --older-than 1d" "replay --source gh"; do
	# shellcheck disable=SC2086
	qc "$T/old.conf" $cmd
	want "$cmd on a version-3 database: exit" 111 "$RC"
	want_true "$cmd: says to run hookq init" has_err \
		"database $OLD: schema version 3 is older than this hookq's \\($SCHEMA_VERSION\\): run hookq init"
done
want "no copy made" no "$([ -e "$T/old-copy.db" ] && echo yes || echo no)"
want "still version 3" 3 "$(sqlite3 "$OLD" 'PRAGMA user_version')"
want "the file as it was" "$before" "$(fingerprint "$OLD")"
qc "$T/old.conf" init; want "init migrates it: exit" 0 "$RC"
want "init: now the latest version" "$SCHEMA_VERSION" "$(sqlite3 "$OLD" 'PRAGMA user_version')"
want "init: the row kept" old-1 "$(sqlite3 "$OLD" 'SELECT event_id FROM events')"
qc "$T/old.conf" status; want "status after init: exit" 0 "$RC"
case_end "no command but init migrates: an older database is refused with 'run hookq init' (exit 111), untouched"
fi

# ---- a newer database ----------------------------------------------------------------------

if [ "$STORE" = pg ]; then
	# A database of its own on the cluster, made by hookq init, then marked version 99.
	NEW=$(pg_new_db hookq_new)
	{
		echo "[hookq]"
		echo "database = $NEW"
		echo "listen = $T/new.sock"
		sed -n '/^\[source/,$p' "$T/hookq.conf"
	} > "$T/new.conf"
	qc "$T/new.conf" init
	[ "$RC" = 0 ] || bail "hookq init of the second database: $(cat "$ERR")"
	DB=$NEW sql "UPDATE hookq_schema SET version = 99"

	# (the URL as an extended regex: its ? is no quantifier)
	NEW_RE=$(printf '%s' "$NEW" | sed 's/[][\.*^$?+(){}|]/\\&/g')
	case_start
	before=$(pg_fingerprint "$NEW")
	for cmd in status list "show 1" "requeue 1" "purge --done --older-than 1d" "replay --source gh" init; do
		# shellcheck disable=SC2086
		qc "$T/new.conf" $cmd
		want "hookq $cmd on a version-99 database: exit" 111 "$RC"
		want_true "hookq $cmd: says it is newer" has_err \
			"database $NEW_RE: schema version 99 is newer than this hookq's \\($SCHEMA_VERSION\\): upgrade hookq"
	done
	timeout 20 "$RECEIVER" -c "$T/new.conf" > "$T/new-receiver.log" 2>&1; rc=$?
	want "hookq-receiver: exit" 111 "$rc"
	want_true "hookq-receiver: says it is newer" grep -q 'schema version 99 is newer' "$T/new-receiver.log"
	timeout 20 "$WORKER" -c "$T/new.conf" > "$T/new-worker.log" 2>&1; rc=$?
	want "hookq-worker: exit" 111 "$rc"
	want_true "hookq-worker: says it is newer" grep -q 'schema version 99 is newer' "$T/new-worker.log"
	want "the database's schema and rows as they were" "$before" "$(pg_fingerprint "$NEW")"
	want "still version 99" 99 "$(DB=$NEW schema_version)"
	case_end "a newer database is refused by hookq, hookq-receiver and hookq-worker (exit 111), never written"
	skip "a newer database (delete mode) is refused, never written" "SQLite only: its rollback-journal mode"
	done_testing
	exit $((TESTS_FAILED > 0))
fi

# The same database at version 99, once in WAL mode (as hookq leaves it) and
# once in rollback-journal mode, whose header PRAGMA journal_mode = WAL
# would rewrite.
q backup "$T/new-wal.db" > /dev/null || bail "backup for the newer database failed"
sqlite3 -batch "$T/new-wal.db" "PRAGMA user_version = 99"
cp "$T/new-wal.db" "$T/new-delete.db"
sqlite3 -batch "$T/new-delete.db" "PRAGMA journal_mode = DELETE" > /dev/null
for mode in wal delete; do
	NEW="$T/new-$mode.db"
	rm -f "$NEW-wal" "$NEW-shm"
	{
		echo "[hookq]"
		echo "database = $NEW"
		echo "listen = $T/new.sock"
		sed -n '/^\[source/,$p' "$T/hookq.conf"
	} > "$T/new.conf"

	case_start
	want "$mode: the journal mode" "$mode" "$(sqlite3 "$NEW" 'PRAGMA journal_mode')"
	sleep 0.01 # a write from now on changes the mtime
	before=$(fingerprint "$NEW")
	for cmd in status list "show 1" "backup $T/new-copy.db" "requeue 1" "purge --done --older-than 1d" "replay --source gh" init; do
		# shellcheck disable=SC2086
		qc "$T/new.conf" $cmd
		want "hookq $cmd on a version-99 database: exit" 111 "$RC"
		want_true "hookq $cmd: says it is newer" has_err \
			"database $NEW: schema version 99 is newer than this hookq's \\($SCHEMA_VERSION\\): upgrade hookq"
	done
	timeout 20 "$RECEIVER" -c "$T/new.conf" > "$T/new-receiver.log" 2>&1; rc=$?
	want "hookq-receiver: exit" 111 "$rc"
	want_true "hookq-receiver: says it is newer" grep -q 'schema version 99 is newer' "$T/new-receiver.log"
	timeout 20 "$WORKER" -c "$T/new.conf" > "$T/new-worker.log" 2>&1; rc=$?
	want "hookq-worker: exit" 111 "$rc"
	want_true "hookq-worker: says it is newer" grep -q 'schema version 99 is newer' "$T/new-worker.log"
	want "the file's bytes and mtime as they were" "$before" "$(fingerprint "$NEW")"
	want "$mode: still version 99, same journal mode" "99 $mode" \
		"$(sqlite3 "$NEW" 'PRAGMA user_version') $(sqlite3 "$NEW" 'PRAGMA journal_mode')"
	case_end "a newer database ($mode mode) is refused by hookq, hookq-receiver and hookq-worker (exit 111), never written"
done

done_testing
