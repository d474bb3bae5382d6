#!/bin/bash
# startup.sh: hookq-receiver's process contract (usage() in src/receiver.c):
# options, exit codes (0 ok, 100 usage/configuration, 111 system), messages
# that name the file at fault but never a secret, the socket's life (mode
# 0660, stale socket replaced, a live one left alone, removed on exit), the
# signals (TERM and INT stop cleanly, HUP reloads), an inherited socket
# (spawn-fcgi), and the schema the receiver creates and refuses to downgrade.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

EXIT_CONFIG=100
EXIT_SYSTEM=111

new_secret gh
write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret
C
GOOD="$T/hookq.conf"

# run NAME ARGS...: runs the receiver with ARGS (bounded, stdin /dev/null);
# stdout in $T/NAME.out, stderr in $T/NAME.err, the exit status in RC.
run() {
	local name=$1
	shift
	timeout 20 "$RECEIVER" "$@" < /dev/null > "$T/$name.out" 2> "$T/$name.err"
	RC=$?
}
# has FILE TEXT: FILE contains TEXT (fixed string).
has() {
	grep -qF -- "$2" "$1"
}
# lacks FILE TEXT
lacks() {
	! grep -qF -- "$2" "$1"
}
# show FILE: FILE's lines as diagnostics of the case under way (for messages).
show() {
	local l
	while IFS= read -r l; do CASE_ERRORS+=("  | $l"); done < <(head -n 5 "$1")
}
# conf NAME DATABASE LISTEN [SECRETFILE]: writes $T/NAME.conf with one github
# source; an empty LISTEN leaves listen out.
conf() {
	{
		echo "[hookq]"
		echo "database = $2"
		[ -n "$3" ] && echo "listen = $3"
		echo
		echo "[source github]"
		echo "scheme = github"
		echo "secret_file = ${4:-$T/gh.secret}"
	} > "$T/$1.conf"
}

# ==== command line and configuration: nothing starts ================================

case_start
run check -n -c "$GOOD"
want "exit status" 0 "$RC"
want stdout "configuration OK" "$(cat "$T/check.out")"
want stderr "" "$(cat "$T/check.err")"
want_true "no database created by -n" [ ! -e "$DB" ]
want_true "no socket created by -n" [ ! -e "$SOCK" ]
case_end "-n with a good config: \"configuration OK\", exit 0, nothing created"

cat > "$T/bad.conf" <<C
[hookq]
database = $T/bad.db
listen = $T/bad.sock
threads = 2
colour = blue

[source github]
scheme = github
secret_file = $T/gh.secret
C
case_start
run bad -n -c "$T/bad.conf"
want "exit status" "$EXIT_CONFIG" "$RC"
want_true "stderr names $T/bad.conf:5:" has "$T/bad.err" "$T/bad.conf:5:"
want_true "stderr names the key" has "$T/bad.err" "colour"
want_true "stdout does not say OK" lacks "$T/bad.out" "configuration OK"
[ ${#CASE_ERRORS[@]} -gt 0 ] && show "$T/bad.err"
case_end "-n with an unknown key on line 5: exit 100, \"FILE:5:\" on stderr"

case_start
run bad2 -c "$T/bad.conf"
want "exit status" "$EXIT_CONFIG" "$RC"
want_true "stderr names $T/bad.conf:5:" has "$T/bad2.err" "$T/bad.conf:5:"
want_true "no socket left" [ ! -e "$T/bad.sock" ]
want_true "no database created" [ ! -e "$T/bad.db" ]
case_end "starting with that config: exit 100 before any socket or database"

case_start
run missing -c "$T/no-such.conf"
want "exit status" "$EXIT_CONFIG" "$RC"
want_true "stderr names the file" has "$T/missing.err" "$T/no-such.conf"
run missing2 -n -c "$T/no-such.conf"
want "exit status (-n)" "$EXIT_CONFIG" "$RC"
[ ${#CASE_ERRORS[@]} -gt 0 ] && show "$T/missing.err"
case_end "missing config file: exit 100, message names it"

case_start
run badopt -x -c "$GOOD"
want "exit status (-x)" "$EXIT_CONFIG" "$RC"
want_true "usage on stderr" has "$T/badopt.err" "usage: hookq-receiver"
want "stdout" "" "$(cat "$T/badopt.out")"
run badarg -c "$GOOD" extra
want "exit status (stray argument)" "$EXIT_CONFIG" "$RC"
run noarg -c
want "exit status (-c without FILE)" "$EXIT_CONFIG" "$RC"
case_end "unknown option, stray argument, -c without a file: exit 100 with usage on stderr"

case_start
run help -h
want "exit status" 0 "$RC"
want_true "usage on stdout" has "$T/help.out" "usage: hookq-receiver"
want_true "usage lists -n" has "$T/help.out" "-n"
want_true "usage lists the exit codes" has "$T/help.out" "111"
case_end "-h: usage on stdout, exit 0"

version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/autoconf.h" 2>/dev/null)
case_start
run version -V
want "exit status" 0 "$RC"
if [ -n "$version" ]; then
	want stdout "hookq-receiver $version" "$(cat "$T/version.out")"
else
	want_true "stdout is hookq-receiver VERSION" grep -qE '^hookq-receiver [0-9]+\.[0-9]+' "$T/version.out"
fi
case_end "-V prints the version (${version:-?}), exit 0"

# ---- secrets --------------------------------------------------------------------

conf nosecret "$T/ns.db" "$T/ns.sock" "$T/absent.secret"
case_start
run nosecret -c "$T/nosecret.conf"
want "exit status" "$EXIT_CONFIG" "$RC"
want_true "stderr names $T/absent.secret" has "$T/nosecret.err" "$T/absent.secret"
want_true "stderr gives FILE:LINE of secret_file" has "$T/nosecret.err" "$T/nosecret.conf:7:"
want_true "no socket left" [ ! -e "$T/ns.sock" ]
[ ${#CASE_ERRORS[@]} -gt 0 ] && show "$T/nosecret.err"
case_end "secret file that does not exist: exit 100, message names the secret's path"

# A Standard Webhooks secret that is not base64: the message names the file and
# line; the secret itself (whole, or the part after whsec_) appears nowhere.
tail_part="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf 'whsec_%s\n' "!*not-base64*!$tail_part" > "$T/malformed.secret"
printf '%s\n' "!*not-base64*!$tail_part" > "$T/malformed.part" # a pattern file for grep -f
printf '%s\n' "$tail_part" > "$T/malformed.tail"
chmod 600 "$T/malformed.secret" "$T/malformed.part" "$T/malformed.tail"
unset tail_part
cat > "$T/malformed.conf" <<C
[hookq]
database = $T/mf.db
listen = $T/mf.sock

[source svix]
scheme = standard-webhooks
secret_file = $T/malformed.secret
C
# secret_absent OUTPUT: none of the malformed secret's text is in OUTPUT.
secret_absent() {
	local f
	for f in malformed.secret malformed.part malformed.tail; do
		grep -qF -f "$T/$f" "$1" && return 1
	done
	return 0
}
case_start
run malformed -c "$T/malformed.conf"
want "exit status" "$EXIT_CONFIG" "$RC"
want_true "stderr names the secret file" has "$T/malformed.err" "$T/malformed.secret"
want_true "stderr names the line" has "$T/malformed.err" "line 1"
want_true "the secret is not on stderr" secret_absent "$T/malformed.err"
want_true "the secret is not on stdout" secret_absent "$T/malformed.out"
run malformed_n -n -c "$T/malformed.conf"
want "exit status (-n)" "$EXIT_CONFIG" "$RC"
want_true "the secret is not on stderr (-n)" secret_absent "$T/malformed_n.err"
want_true "the secret is not on stdout (-n)" secret_absent "$T/malformed_n.out"
want_true "no socket left" [ ! -e "$T/mf.sock" ]
case_end "malformed whsec_ secret: exit 100, message names file and line, never the secret"

# ---- database and socket failures: exit 111 ------------------------------------------

conf nodir "$T/no-such-dir/queue.db" "$T/nodir.sock"
case_start
run nodir -c "$T/nodir.conf"
want "exit status" "$EXIT_SYSTEM" "$RC"
want_true "stderr names $T/no-such-dir/queue.db" has "$T/nodir.err" "$T/no-such-dir/queue.db"
want_true "socket file not left behind" [ ! -e "$T/nodir.sock" ]
want_true "folder not created" [ ! -e "$T/no-such-dir" ]
[ ${#CASE_ERRORS[@]} -gt 0 ] && show "$T/nodir.err"
case_end "database in a folder that does not exist: exit 111, names the path, no socket left"

sqlite3 -batch "$T/v99.db" 'PRAGMA user_version = 99;'
conf v99 "$T/v99.db" "$T/v99.sock"
case_start
want "user_version set up" 99 "$(sqlite3 -batch "$T/v99.db" 'PRAGMA user_version')"
run v99 -c "$T/v99.conf"
want "exit status" "$EXIT_SYSTEM" "$RC"
want_true "stderr says the schema is newer" has "$T/v99.err" "newer"
want_true "stderr names the database" has "$T/v99.err" "$T/v99.db"
want "user_version untouched" 99 "$(sqlite3 -batch "$T/v99.db" 'PRAGMA user_version')"
want "no events table created" 0 \
	"$(sqlite3 -batch "$T/v99.db" "SELECT count(*) FROM sqlite_master WHERE name = 'events'")"
want_true "socket file not left behind" [ ! -e "$T/v99.sock" ]
[ ${#CASE_ERRORS[@]} -gt 0 ] && show "$T/v99.err"
case_end "database with user_version 99: exit 111, \"newer\", database left as it was"

conf nolisten "$T/nl.db" ""
case_start
run nolisten -c "$T/nolisten.conf"
want "exit status" "$EXIT_CONFIG" "$RC"
want_true "stderr says there is no listen" has "$T/nolisten.err" "no listen"
want_true "stderr says fd 0 is no listening socket" has "$T/nolisten.err" "fd 0"
[ ${#CASE_ERRORS[@]} -gt 0 ] && show "$T/nolisten.err"
case_end "no listen and no inherited socket: exit 100 with a message saying so"

printf 'not a socket\n' > "$T/file.sock"
conf notsock "$T/ntsk.db" "$T/file.sock"
case_start
run notsock -c "$T/notsock.conf"
want "exit status" "$EXIT_SYSTEM" "$RC"
want_true "stderr names the path" has "$T/notsock.err" "$T/file.sock"
want "the file is left alone" "not a socket" "$(cat "$T/file.sock")"
case_end "listen path that is a regular file: exit 111, the file is not removed"

# ==== a running receiver =================================================================

old_umask=$(umask)
umask 077 # the socket's mode must not depend on the umask the receiver inherits
launch_receiver "$GOOD" || bail "hookq-receiver did not start: $(tail -n 3 "$T/receiver.log")"
umask "$old_umask"
start_nginx

case_start
want_true "socket exists" [ -S "$SOCK" ]
want "mode" 660 "$(stat -c %a "$SOCK")"
case_end "the socket is created mode 0660 (even under umask 077)"

case_start
want "PRAGMA user_version" "$SCHEMA_VERSION" "$(sql 'PRAGMA user_version')"
want "table events" events "$(sql "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'events'")"
want "journal_mode" wal "$(sql 'PRAGMA journal_mode')"
want "rows" 0 "$(count_rows)"
case_end "fresh database: schema created (user_version = the last migration, table events, WAL)"

case_start
s=$(post_delivery github d-1)
want status 200 "$s"
want rows 1 "$(rows github d-1)"
case_end "the receiver serves a signed event through nginx"

# ---- a second receiver on the same socket --------------------------------------------

case_start
run second -c "$GOOD"
want "exit status" "$EXIT_SYSTEM" "$RC"
want_true "stderr says another process is listening" has "$T/second.err" "another process is listening"
want_true "stderr names the socket" has "$T/second.err" "$SOCK"
want_true "socket still there" [ -S "$SOCK" ]
want_true "first receiver still running" alive "$RECEIVER_PID"
s=$(post_delivery github d-2)
want "status from the first receiver" 200 "$s"
want rows 1 "$(rows github d-2)"
[ ${#CASE_ERRORS[@]} -gt 0 ] && show "$T/second.err"
case_end "second receiver on a live socket: exit 111 \"another process is listening\"; the first keeps serving"

# ---- SIGHUP --------------------------------------------------------------------------

case_start
s=$(post_delivery added h-0)
want "status before the reload" 404 "$s"
write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret

[source added]
scheme = github
secret_file = $T/gh.secret
C
want reload reloaded "$(reload_receiver)"
want_true "same process" alive "$RECEIVER_PID"
s=$(post_delivery added h-1)
want "status after the reload" 200 "$s"
want rows 1 "$(rows added h-1)"
s=$(post_delivery github h-2)
want "status of the old source" 200 "$s"
case_end "SIGHUP with a new source: the new source answers 200 without a restart"

case_start
cp "$GOOD" "$T/hookq.conf.good"
printf '\n[source broken]\nscheme = github\nsecret_file = %s\n' "$T/absent.secret" >> "$GOOD"
want reload failed "$(reload_receiver)"
want_true "still running" alive "$RECEIVER_PID"
s=$(post_delivery added h-3)
want "status of a source of the running config" 200 "$s"
s=$(post_delivery broken h-4)
want "status of the source of the bad config" 404 "$s"
cp "$T/hookq.conf.good" "$GOOD"
case_end "SIGHUP with a bad config: reload failed logged, the running config keeps serving"

# ---- SIGTERM, restart on the same database, SIGINT ---------------------------------------

case_start
n=$(count_rows)
mark=$(log_mark)
signal_receiver TERM
want "exit status" 0 "$EXIT_RC"
want_true "log says stopped" log_wait "$mark" 'stopped' 1 1
want_true "socket file removed" [ ! -e "$SOCK" ]
case_end "SIGTERM: exit 0, logs stopped, socket removed"

case_start
launch_receiver "$GOOD" || CASE_ERRORS+=("restart failed")
want "rows kept" "$n" "$(count_rows)"
want "user_version" "$SCHEMA_VERSION" "$(sql 'PRAGMA user_version')"
s=$(post_delivery github d-1)
want "status of a resent event" 200 "$s"
want_response $'duplicate\n'
want "rows of d-1" 1 "$(rows github d-1)"
s=$(post_delivery github d-3)
want "status of a new event" 200 "$s"
want "rows" $((n + 1)) "$(count_rows)"
case_end "restart on an existing database keeps its rows (a resent event is a duplicate)"

case_start
mark=$(log_mark)
signal_receiver INT
want "exit status" 0 "$EXIT_RC"
want_true "log says stopped" log_wait "$mark" 'stopped' 1 1
want_true "socket file removed" [ ! -e "$SOCK" ]
case_end "SIGINT: exit 0, logs stopped, socket removed"

# ---- a stale socket -----------------------------------------------------------------------

case_start
launch_receiver "$GOOD" || CASE_ERRORS+=("first start failed")
{ kill -KILL "$RECEIVER_PID"; wait_exit "$RECEIVER_PID" 10; } 2>/dev/null # no "Killed" notice
RECEIVER_PID=
want_true "socket left behind by the killed receiver" [ -S "$SOCK" ]
s=$(post_delivery github k-0)
want "status while nobody listens" 502 "$s"
launch_receiver "$GOOD" || CASE_ERRORS+=("restart on the stale socket failed: $(tail -n 1 "$T/receiver.log")")
want_true "socket there" [ -S "$SOCK" ]
want "mode" 660 "$(stat -c %a "$SOCK")"
s=$(post_delivery github k-1)
want "status from the new receiver" 200 "$s"
want rows 1 "$(rows github k-1)"
case_end "stale socket left by kill -9 is replaced; the new receiver serves"

signal_receiver TERM

# ---- spawn-fcgi: the socket inherited on fd 0 ----------------------------------------------

case_start
conf spawn "$DB" ""
stop_nginx
SOCK="$T/sf.sock"
mark=$(log_mark)
if command -v spawn-fcgi > /dev/null; then
	# -n: no fork; spawn-fcgi binds the socket, puts it on fd 0 and execs the receiver.
	spawn-fcgi -n -s "$SOCK" -- "$RECEIVER" -c "$T/spawn.conf" >> "$T/receiver.log" 2>&1 &
	RECEIVER_PID=$!
	for _ in $(seq 1 200); do
		log_since "$mark" | grep -q 'listening on fd 0' && break
		alive "$RECEIVER_PID" || break
		sleep 0.05
	done
	want_true "receiver logs listening on fd 0" log_wait "$mark" 'listening on fd 0' 1 1
	start_nginx
	s=$(post_delivery github sf-1)
	want status 200 "$s"
	want_response $'stored\n'
	want rows 1 "$(rows github sf-1)"
	signal_receiver TERM
	want "exit status on SIGTERM" 0 "$EXIT_RC"
	want_true "log says stopped" log_wait "$mark" 'stopped' 1 1
	case_end "spawn-fcgi -n: the receiver serves on the inherited socket"
else
	echo "ok $((TESTS_RUN + 1)) # SKIP spawn-fcgi not installed"
	TESTS_RUN=$((TESTS_RUN + 1))
fi

done_testing
[ "$TESTS_FAILED" -eq 0 ]
