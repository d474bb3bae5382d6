#!/bin/bash
# socket.sh: what a production install relies on from the daemons (issue 12):
# the socket's owner, group and mode from listen_owner, listen_group and
# listen_mode; a socket of someone else's never deleted (only ECONNREFUSED
# means stale); socket activation (LISTEN_FDS, as hookq.socket passes it);
# readiness notification (NOTIFY_SOCKET, Type=notify) from both daemons; a
# database the daemons' user cannot write refused at start-up; queue files
# created 0640 whatever the umask; a config without sources answering 404;
# and the receiver's stop line counting only what it wrote.
# The cases that need another user run only as root (CI is root).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

EXIT_CONFIG=100
EXIT_SYSTEM=111
ROOT=no
[ "$(id -u)" -eq 0 ] && ROOT=yes

new_secret gh
write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret
C
GOOD="$T/hookq.conf"

# has FILE TEXT: FILE contains TEXT (fixed string).
has() {
	grep -qF -- "$2" "$1"
}
# run NAME ARGS...: the receiver, bounded; stderr in $T/NAME.err, status in RC.
run() {
	local name=$1
	shift
	timeout 20 "$RECEIVER" "$@" < /dev/null > "$T/$name.out" 2> "$T/$name.err"
	RC=$?
}
# logged MARK TEXT: the receiver logged TEXT since MARK (log_mark).
logged() {
	log_since "$1" | grep -qF -- "$2"
}
# as_nobody COMMAND...: COMMAND as nobody:nogroup, no supplementary groups.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}
# notify_listen FILE: a datagram socket at $T/notify.sock whose messages are
# appended to FILE, one per line ('\n' inside a message shown as '|').
NOTIFY_PID=
notify_listen() {
	rm -f "$T/notify.sock"
	"$PY" - "$T/notify.sock" "$1" <<'P' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        try:
            m = s.recv(4096)
        except socket.timeout:
            break
        out.write(m.decode().replace("\n", "|") + "\n")
P
	NOTIFY_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$T/notify.sock" ] && return 0
		sleep 0.05
	done
}
# wait_line FILE REGEX [N]: waits (5 s at most) for N (1) lines of FILE matching REGEX.
wait_line() {
	for _ in $(seq 1 100); do
		[ "$(grep -cE -- "$2" "$1" 2>/dev/null)" -ge "${3:-1}" ] && return 0
		sleep 0.05
	done
	return 1
}
trap 'kill "$NOTIFY_PID" 2>/dev/null; [ -n "${OTHER_PID:-}" ] && kill "$OTHER_PID" 2>/dev/null; cleanup' EXIT

# ==== listen_owner, listen_group, listen_mode ===========================================

# conf_listen NAME EXTRA: $T/NAME.conf, the good one's source, listen at $T/NAME.sock.
conf_listen() {
	{
		echo "[hookq]"
		echo "database = $T/$1.db"
		echo "listen = $T/$1.sock"
		printf '%b\n' "$2"
		echo "[source github]"
		echo "scheme = github"
		echo "secret_file = $T/gh.secret"
	} > "$T/$1.conf"
}

case_start
conf_listen badowner "listen_owner = no-such-user-hookq"
run badowner -n -c "$T/badowner.conf"
want "exit status" "$EXIT_CONFIG" "$RC"
want_true "FILE:LINE: listen_owner: no user" has "$T/badowner.err" "$T/badowner.conf:4: listen_owner: no user 'no-such-user-hookq'"
conf_listen badgroup "listen_group = no-such-group-hookq"
run badgroup -n -c "$T/badgroup.conf"
want "exit status (group)" "$EXIT_CONFIG" "$RC"
want_true "FILE:LINE: listen_group: no group" has "$T/badgroup.err" "$T/badgroup.conf:4: listen_group: no group 'no-such-group-hookq'"
conf_listen badmode "listen_mode = 0999"
run badmode -n -c "$T/badmode.conf"
want "exit status (mode)" "$EXIT_CONFIG" "$RC"
want_true "FILE:LINE: listen_mode: not a mode" has "$T/badmode.err" "$T/badmode.conf:4: listen_mode: '0999' is not a mode"
run badowner2 -c "$T/badowner.conf"
want "exit status when starting" "$EXIT_CONFIG" "$RC"
want_true "no socket created" [ ! -e "$T/badowner.sock" ]
case_end "unknown listen_owner or listen_group, bad listen_mode: FILE:LINE error, exit 100, no socket"

case_start
conf_listen own "listen_group = $(id -gn)\nlisten_mode = 0600"
old_umask=$(umask)
umask 000
launch_receiver "$T/own.conf" || CASE_ERRORS+=("did not start: $(tail -n 2 "$T/receiver.log")")
umask "$old_umask"
want "mode" 600 "$(stat -c %a "$T/own.sock")"
want "group" "$(id -gn)" "$(stat -c %G "$T/own.sock")"
for f in own.db own.db-wal own.db-shm; do
	want "mode of $f (umask 000)" 640 "$(stat -c %a "$T/$f" 2>/dev/null)"
done
signal_receiver TERM
case_end "listen_group (one of ours) and listen_mode 0600 set on the socket; database, -wal and -shm created 0640 under umask 000"

# Other users reach the sockets and files of the cases below through $T.
[ "$ROOT" = yes ] && chmod 711 "$T"

if [ "$ROOT" = yes ]; then
	case_start
	conf_listen root "listen_owner = daemon\nlisten_group = www-data\nlisten_mode = 0660"
	launch_receiver "$T/root.conf" || CASE_ERRORS+=("did not start: $(tail -n 2 "$T/receiver.log")")
	want "owner:group" "daemon:www-data" "$(stat -c %U:%G "$T/root.sock")"
	want "mode" 660 "$(stat -c %a "$T/root.sock")"
	# nginx's workers run as www-data: the group lets them connect.
	setpriv --reuid=www-data --regid=www-data --clear-groups -- "$PY" -c \
		'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$T/root.sock" ||
		CASE_ERRORS+=("www-data could not connect")
	if setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$PY" -c \
		'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$T/root.sock" 2>/dev/null; then
		CASE_ERRORS+=("nobody could connect")
	fi
	signal_receiver TERM
	case_end "as root: listen_owner daemon, listen_group www-data, 0660: www-data connects, nobody cannot"
else
	ok "# SKIP socket owner and group of another user: needs root"
fi

# ==== a socket of someone else's is never deleted =======================================

if [ "$ROOT" = yes ]; then
	case_start
	mkdir -m 1777 "$T/shared"
	# A live server's socket, root's, mode 0600: nobody's connect() gets EACCES.
	"$PY" - "$T/shared/live.sock" <<'P' &
import socket, sys, os, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600); s.listen(8)
s.settimeout(30)
try:
    while True:
        c, _ = s.accept(); c.close()
except socket.timeout:
    pass
P
	OTHER_PID=$!
	for _ in $(seq 1 100); do [ -S "$T/shared/live.sock" ] && break; sleep 0.05; done
	printf '[hookq]\ndatabase = %s\nlisten = %s\n' "$T/shared/nobody.db" "$T/shared/live.sock" \
		> "$T/shared/nobody.conf"
	chmod 644 "$T/shared/nobody.conf"
	as_nobody timeout 20 "$RECEIVER" -c "$T/shared/nobody.conf" < /dev/null > /dev/null 2> "$T/eacces.err"
	RC=$?
	want "exit status" "$EXIT_SYSTEM" "$RC"
	want_true "stderr says connecting failed with EACCES" has "$T/eacces.err" "Permission denied"
	want_true "stderr names the socket" has "$T/eacces.err" "$T/shared/live.sock"
	want_true "the socket is still there" [ -S "$T/shared/live.sock" ]
	"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' \
		"$T/shared/live.sock" || CASE_ERRORS+=("the live server no longer answers")
	kill "$OTHER_PID" 2>/dev/null
	wait "$OTHER_PID" 2>/dev/null
	OTHER_PID=
	[ ${#CASE_ERRORS[@]} -gt 0 ] && CASE_ERRORS+=("stderr: $(cat "$T/eacces.err")")
	case_end "a live socket another user owns (connect: EACCES): exit 111, the socket is left alone"
else
	ok "# SKIP a live socket of another user: needs root"
fi

# ==== a database the daemons' user cannot write ==========================================

if [ "$ROOT" = yes ]; then
	case_start
	mkdir -m 0777 "$T/rodb"
	printf '[hookq]\ndatabase = %s\nlisten = %s\n' "$T/rodb/queue.db" "$T/rodb/hookq.sock" \
		> "$T/rodb/hookq.conf"
	chmod 644 "$T/rodb/hookq.conf"
	"$top_builddir/hookq" -c "$T/rodb/hookq.conf" init > /dev/null
	want "hookq init as root: mode" "640 root:root" "$(stat -c '%a %U:%G' "$T/rodb/queue.db")"
	chmod 644 "$T/rodb/queue.db" # readable, not writable, by nobody
	as_nobody timeout 20 "$RECEIVER" -c "$T/rodb/hookq.conf" < /dev/null > /dev/null 2> "$T/ro.err"
	want "receiver exit status" "$EXIT_SYSTEM" "$?"
	want_true "receiver names the user" has "$T/ro.err" "not writable by user nobody"
	want_true "no socket left" [ ! -e "$T/rodb/hookq.sock" ]
	as_nobody timeout 20 "$WORKER" -c "$T/rodb/hookq.conf" < /dev/null > /dev/null 2> "$T/row.err"
	want "worker exit status" "$EXIT_SYSTEM" "$?"
	want_true "worker names the user" has "$T/row.err" "not writable by user nobody"
	[ ${#CASE_ERRORS[@]} -gt 0 ] && CASE_ERRORS+=("receiver: $(cat "$T/ro.err")" "worker: $(cat "$T/row.err")")
	case_end "a database its user may read but not write: receiver and worker exit 111 at start-up, naming the user"
else
	ok "# SKIP a database another user owns: needs root"
fi

# ==== no source: 404 =====================================================================

case_start
printf '[hookq]\ndatabase = %s\nlisten = %s\n' "$DB" "$SOCK" > "$T/empty.conf"
run empty -n -c "$T/empty.conf"
want "-n exit status" 0 "$RC"
mark=$(log_mark)
launch_receiver "$T/empty.conf" || CASE_ERRORS+=("did not start: $(tail -n 2 "$T/receiver.log")")
want_true "warns that every /hooks/ request gets 404" logged "$mark" \
	"has no [source NAME] section: every /hooks/ request gets 404"
start_nginx
s=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data '{}' "$URL/hooks/github")
want "POST /hooks/github" 404 "$s"
signal_receiver TERM
case_end "a config without sources starts (a warning) and answers 404 to /hooks/NAME"

# ==== socket activation and readiness ====================================================

case_start
: > "$T/notify.log"
notify_listen "$T/notify.log"
SOCK="$T/activated.sock"
stop_nginx
start_nginx
# The config names another socket: the one systemd passes wins, the other is never made.
printf '[hookq]\ndatabase = %s\nlisten = %s\n[source github]\nscheme = github\nsecret_file = %s\n' \
	"$DB" "$T/not-used.sock" "$T/gh.secret" > "$T/activated.conf"
mark=$(log_mark)
# systemd-socket-activate passes on only the environment named with -E.
systemd-socket-activate -E NOTIFY_SOCKET="$T/notify.sock" -l "$T/activated.sock" \
	"$RECEIVER" -c "$T/activated.conf" >> "$T/receiver.log" 2>&1 &
RECEIVER_PID=$!
for _ in $(seq 1 100); do [ -S "$T/activated.sock" ] && break; sleep 0.05; done
# As systemd does, systemd-socket-activate starts the receiver on the first
# connection; that request waits in the socket's backlog meanwhile.
s=$(post_delivery github act-1)
want "signed event through nginx (it starts the receiver)" 200 "$s"
want rows 1 "$(rows github act-1)"
wait_line "$T/notify.log" '^READY=1' || CASE_ERRORS+=("no READY=1 from the receiver")
want_true "logs the passed socket" logged "$mark" "listening on the socket systemd passed"
want_true "listen of the config not created" [ ! -e "$T/not-used.sock" ]
kill -HUP "$RECEIVER_PID"
wait_line "$T/notify.log" '^RELOADING=1\|MONOTONIC_USEC=[0-9]+$' || CASE_ERRORS+=("no RELOADING=1 on SIGHUP")
wait_line "$T/notify.log" '^READY=1' 2 || CASE_ERRORS+=("no READY=1 after the reload")
kill -TERM "$RECEIVER_PID"
wait_exit "$RECEIVER_PID" 10
want "exit status" 0 "$EXIT_RC"
RECEIVER_PID=
want_true "STOPPING=1 on SIGTERM" grep -q '^STOPPING=1' "$T/notify.log"
want_true "the passed socket is systemd's: left in place" [ -S "$T/activated.sock" ]
[ ${#CASE_ERRORS[@]} -gt 0 ] && CASE_ERRORS+=("notify: $(tr '\n' ' ' < "$T/notify.log")")
case_end "socket-activated receiver: serves on the passed socket; READY=1, RELOADING=1 then READY=1, STOPPING=1"

case_start
: > "$T/wnotify.log"
kill "$NOTIFY_PID" 2>/dev/null
wait "$NOTIFY_PID" 2>/dev/null
notify_listen "$T/wnotify.log"
cat > "$T/env-handler.sh" <<'H'
#!/bin/sh
env > "$HANDLER_OUT.$HOOKQ_EVENT_ID"
H
chmod +x "$T/env-handler.sh"
printf '[hookq]\ndatabase = %s\nlisten = %s\n[source github]\nscheme = github\nsecret_file = %s\nhandler = %s\n' \
	"$DB" "$SOCK" "$T/gh.secret" "$T/env-handler.sh" > "$T/worker.conf"
HANDLER_OUT="$T/handler-env" NOTIFY_SOCKET="$T/notify.sock" "$WORKER" -c "$T/worker.conf" \
	>> "$T/worker.log" 2>&1 &
WORKER_PID=$!
WORKER_PIDS="$WORKER_PID"
wait_line "$T/wnotify.log" '^READY=1' || CASE_ERRORS+=("no READY=1 from the worker")
for _ in $(seq 1 100); do [ -s "$T/handler-env.act-1" ] && break; sleep 0.05; done
want_true "the handler ran" [ -s "$T/handler-env.act-1" ]
want_true "the handler does not get NOTIFY_SOCKET" sh -c "! grep -q '^NOTIFY_SOCKET=' '$T/handler-env.act-1'"
kill -HUP "$WORKER_PID"
wait_line "$T/wnotify.log" '^RELOADING=1' || CASE_ERRORS+=("no RELOADING=1 on SIGHUP")
kill -TERM "$WORKER_PID"
wait_exit "$WORKER_PID" 10
WORKER_PIDS=
want_true "STOPPING=1 on SIGTERM" grep -q '^STOPPING=1' "$T/wnotify.log"
[ ${#CASE_ERRORS[@]} -gt 0 ] && CASE_ERRORS+=("notify: $(tr '\n' ' ' < "$T/wnotify.log")")
case_end "worker: READY=1, RELOADING=1, STOPPING=1; handlers do not inherit NOTIFY_SOCKET"

# ==== the stop line counts only what was written ==========================================

case_start
SOCK="$T/hookq.sock"
stop_nginx
start_nginx
write_config "busy_timeout = 200" <<C
[source github]
scheme = github
secret_file = $T/gh.secret
C
launch_receiver "$GOOD" || CASE_ERRORS+=("did not start: $(tail -n 2 "$T/receiver.log")")
want "first event" 200 "$(post_delivery github stop-1)"
want "its duplicate" 200 "$(post_delivery github stop-1)"
lock_db
want "locked" yes "$LOCKED"
want "while the database is locked" 503 "$(post_delivery github stop-2)"
unlock_db
mark=$(log_mark)
signal_receiver TERM
line=$(log_since "$mark" | grep 'stopped:')
want_true "stop line: 1 written, 1 duplicate, 1 not written ($line)" \
	sh -c "echo '$line' | grep -q 'stopped: 1 events written in 2 transactions (at most 1 in one); 1 duplicates; 1 not written (answered 503)'"
case_end "the stop line counts a 503'd event as not written, and a duplicate as a duplicate"

done_testing
