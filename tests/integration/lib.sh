# lib.sh: shared setup for hookq's integration tests (sourced, bash).
#
# Each test gets a private temp folder holding a hookq.conf, secrets, the
# SQLite database, the FastCGI socket and an nginx that listens on a free
# 127.0.0.1 port with nginx/hookq.conf included verbatim. Everything is torn
# down by an EXIT trap. Results are TAP: ok/not ok lines, plan at the end.

set -u

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
RECEIVER="$top_builddir/hookq-receiver"
WORKER="$top_builddir/hookq-worker"
# The schema version a fresh database gets: the number of migrations in sql/schema.sql.
SCHEMA_VERSION=$(grep -c '^-- migration [0-9]*:' "$top_srcdir/sql/schema.sql")
. "$top_srcdir/scripts/nginx.sh"
SIGN="$top_srcdir/tests/integration/sign.py"
# python3 may be a slow wrapper (a pyenv shim starts in about a second): run
# the interpreter itself.
PY=$(python3 -c 'import sys; print(sys.executable)')
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

T=$(mktemp -d "${TMPDIR:-/tmp}/hookq-test.XXXXXX")
TESTS_RUN=0
TESTS_FAILED=0
RECEIVER_PID=
NGINX_PID=
WORKER_PID=
WORKER_PIDS=

cleanup() {
	unlock_db
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
	[ -n "$RECEIVER_PID" ] && kill "$RECEIVER_PID" 2>/dev/null
	local p
	for p in ${LOAD_STOPS:-}; do touch "$p"; done
	for p in ${LOAD_PIDS:-}; do kill "$p" 2>/dev/null; done
	for p in $WORKER_PIDS; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$TESTS_FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "# logs kept in $T"
		sed 's/^/# receiver: /' "$T/receiver.log" 2>/dev/null | tail -n 40
		for p in "$T"/worker*.log; do
			[ -f "$p" ] && sed "s/^/# $(basename "$p" .log): /" "$p" | tail -n 40
		done
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# TAP: ok "description" / not_ok "description" [details]
ok() {
	TESTS_RUN=$((TESTS_RUN + 1))
	echo "ok $TESTS_RUN - $1"
}
not_ok() {
	TESTS_RUN=$((TESTS_RUN + 1))
	TESTS_FAILED=$((TESTS_FAILED + 1))
	echo "not ok $TESTS_RUN - $1"
	shift
	for l in "$@"; do echo "#   $l"; done
}
# check DESCRIPTION EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2" "actual:   $3"; fi
}
done_testing() {
	echo "1..$TESTS_RUN"
}
bail() {
	echo "Bail out! $*"
	exit 1
}

# The database, socket and default [hookq] settings of this test.
DB="$T/queue.db"
SOCK="$T/hookq.sock"

# new_secret NAME [BYTES]: writes a random secret (hex text) to $T/NAME.secret.
new_secret() {
	head -c "${2:-32}" /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/$1.secret"
	echo >> "$T/$1.secret"
	chmod 600 "$T/$1.secret"
}

# write_config [HOOKQ_EXTRA] then source sections on stdin.
write_config() {
	{
		echo "[hookq]"
		echo "database = $DB"
		echo "listen = $SOCK"
		[ -n "${1:-}" ] && printf '%s\n' "$1"
		cat
	} > "$T/hookq.conf"
}

start_receiver() {
	"$RECEIVER" -c "$T/hookq.conf" >> "$T/receiver.log" 2>&1 &
	RECEIVER_PID=$!
	for _ in $(seq 1 200); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$RECEIVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/receiver.log" >&2
	bail "hookq-receiver did not start"
}

stop_receiver() {
	[ -n "$RECEIVER_PID" ] || return 0
	kill -TERM "$RECEIVER_PID" 2>/dev/null
	wait "$RECEIVER_PID" 2>/dev/null
	RECEIVER_RC=$?
	RECEIVER_PID=
}

# start_nginx: nginx on a free loopback port, with nginx/hookq.conf included as shipped.
start_nginx() {
	mkdir -p "$T/nginx"
	cp "$top_srcdir/nginx/hookq.conf" "$T/nginx/hookq.conf"
	nginx_on_free_port "$T/nginx" test_nginx_conf && return 0
	cat "$T/nginx/logs/start.log" "$T/nginx/logs/error.log" >&2
	bail "nginx did not start"
}
# test_nginx_conf PORT: start_nginx's config, the shipped snippet included.
test_nginx_conf() {
	hookq_nginx_conf "$T/nginx" "$1" "$SOCK" "$T/nginx/hookq.conf" "${NGINX_SERVER_EXTRA:-}" \
		"${NGINX_UPSTREAM_EXTRA:-}"
}
# nginx_on_free_port DIR WRITE_CONF: starts nginx from DIR on a free loopback
# port, calling WRITE_CONF PORT to write DIR/nginx.conf for each port tried;
# sets PORT, URL and NGINX_PID. Returns 1 when no port worked (20 tries).
nginx_on_free_port() {
	local dir=$1 write=$2 attempt
	for attempt in $(seq 1 20); do
		PORT=$((20000 + (RANDOM * 7 + $$ + attempt) % 40000))
		"$write" "$PORT"
		hookq_nginx_start "$dir"
		NGINX_PID=$!
		for _ in $(seq 1 50); do
			# nginx writes its pid file only once it holds the port, so an answer
			# then comes from this nginx, not from another one already on the port.
			if [ -s "$dir/nginx.pid" ] &&
				curl -s -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; then
				URL="http://127.0.0.1:$PORT"
				return 0
			fi
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
		NGINX_PID=
	done
	return 1
}

# --- Load (load.py): many concurrent signed GitHub deliveries through nginx. ---
LOAD="$top_srcdir/tests/integration/load.py"

# run_load NAME [load.py args...]: runs load.py against $URL with $T/gh.secret
# (GH_SECRET to change) until it ends; its summary goes to $T/NAME.out and
# every request's "ID STATUS" to $T/NAME.results. Sets LOAD_RC.
run_load() {
	local name=$1
	shift
	timeout 200 "$PY" "$LOAD" --port "$PORT" --secret-file "${GH_SECRET:-$T/gh.secret}" \
		--results "$T/$name.results" "$@" > "$T/$name.out" 2>&1
	LOAD_RC=$?
	sed 's/^/# /' "$T/$name.out"
}
# start_load NAME [load.py args...]: the same in the background, sending new
# events until stop_load NAME (or 60 s).
LOAD_PIDS=
LOAD_STOPS=
start_load() {
	local name=$1
	shift
	rm -f "$T/$name.stop"
	LOAD_STOPS="$LOAD_STOPS $T/$name.stop"
	run_load "$name" --until "$T/$name.stop" "$@" &
	LOAD_PIDS="$LOAD_PIDS $!"
	eval "LOAD_PID_$name=$!"
}
stop_load() {
	local pid
	eval "pid=\$LOAD_PID_$1"
	touch "$T/$1.stop"
	wait "$pid"
	LOAD_RC=$?
}
# load_result NAME KEY: a line of the summary, e.g. load_result run statuses.
load_result() {
	sed -n "s/^$2 //p" "$T/$1.out"
}
# load_ids NAME STATUS: the ids that got STATUS (or "error"), sorted.
load_ids() {
	awk -v s="$2" '$2 == s { print $1 }' "$T/$1.results" | sort
}
# ids_vs_rows NAME SOURCE [GLOB]: "missing=M extra=E": ids answered 200
# without a row of SOURCE, and rows of SOURCE (whose event_id matches GLOB)
# whose id was never answered 200.
ids_vs_rows() {
	load_ids "$1" 200 > "$T/$1.ok"
	sql "SELECT event_id FROM events WHERE source = $(sql_str "$2")
		AND event_id GLOB $(sql_str "${3:-*}")" | sort > "$T/$1.rows"
	echo "missing=$(comm -23 "$T/$1.ok" "$T/$1.rows" | wc -l) extra=$(comm -13 "$T/$1.ok" "$T/$1.rows" | wc -l)"
}

# post SOURCE BODYFILE [curl args...]: prints the HTTP status; the response is in $T/response.
post() {
	local source=$1 body=$2
	shift 2
	curl -s -o "$T/response" -D "$T/response.headers" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data-binary "@$body" "$@" \
		"$URL/hooks/$source"
}

# signed_headers SCHEME SECRETFILE BODYFILE [sign.py args...]: curl -H arguments, one per line.
signed_headers() {
	local scheme=$1 secret=$2 body=$3
	shift 3
	"$PY" "$SIGN" "$scheme" --secret-file "$secret" --body "$body" "$@"
}

# sign_to HEADERFILE SCHEME SECRETFILE BODYFILE [sign.py args]: the signed
# headers, one per line, into HEADERFILE for curl -H @FILE (never printed:
# GitLab's header is the secret itself).
sign_to() {
	local out=$1
	shift
	signed_headers "$@" > "$out" || bail "sign.py failed for $2"
}

# send SOURCE BODYFILE CONTENT_TYPE [curl args]: POSTs; prints the status.
send() {
	local src=$1 b=$2 ct=$3
	shift 3
	curl -s -o "$T/response" -D "$T/response.headers" -w '%{http_code}' \
		-H "Content-Type: $ct" --data-binary "@$b" "$@" "$URL/hooks/$src"
}

# ed25519_key NAME: a new Ed25519 key, $T/NAME.pem, with $T/NAME.sign (the
# PEM's path: sign.py's "secret") and $T/NAME.public (hex public key, a
# secret_file line for discord sources).
ed25519_key() {
	openssl genpkey -algorithm ed25519 -out "$T/$1.pem" 2>/dev/null ||
		bail "openssl cannot make an Ed25519 key"
	chmod 600 "$T/$1.pem"
	echo "$T/$1.pem" > "$T/$1.sign"
	openssl pkey -in "$T/$1.pem" -pubout -outform DER 2>/dev/null | tail -c 32 | od -An -v -tx1 |
		tr -d ' \n' > "$T/$1.public"
	echo >> "$T/$1.public"
	[ "$(tr -d '\n' < "$T/$1.public" | wc -c)" -eq 64 ] || bail "could not extract the Ed25519 public key"
}

# post_signed SOURCE SCHEME SECRETFILE BODYFILE [extra header lines via EXTRA_HEADERS] [sign.py args]
post_signed() {
	local source=$1 scheme=$2 secret=$3 body=$4
	shift 4
	# Bytes, not characters: in a UTF-8 locale read swallows the newline after a
	# byte such as 0xe9 that starts a multibyte sequence, merging two headers.
	local args=() h LC_ALL=C
	while IFS= read -r h; do args+=(-H "$h"); done < <(signed_headers "$scheme" "$secret" "$body" "$@")
	if [ -n "${EXTRA_HEADERS:-}" ]; then
		while IFS= read -r h; do [ -n "$h" ] && args+=(-H "$h"); done <<< "$EXTRA_HEADERS"
	fi
	post "$source" "$body" "${args[@]}"
}

sql() {
	sqlite3 -batch -noheader "$DB" "$@"
}

# body FILE TEXT: writes TEXT (no newline) to $T/FILE, prints the path.
body() {
	printf '%s' "$2" > "$T/$1"
	echo "$T/$1"
}

# --- Receiver log, hex and timing helpers (answers, storage, concurrency, locked, rotation). ---

# log_mark: the receiver log's current line count, to pass to log_since/log_wait.
log_mark() {
	if [ -f "$T/receiver.log" ]; then wc -l < "$T/receiver.log" | tr -d ' '; else echo 0; fi
}

# log_since MARK: the receiver log lines written after log_mark printed MARK.
log_since() {
	tail -n "+$(($1 + 1))" "$T/receiver.log" 2>/dev/null
}

# log_wait MARK REGEX [N] [SECONDS]: waits until at least N (default 1) receiver log lines
# written after MARK match the extended REGEX; returns 1 after SECONDS (default 5).
log_wait() {
	local mark=$1 re=$2 n=${3:-1} i
	for i in $(seq 1 $((${4:-5} * 20))); do
		[ "$(log_since "$mark" | grep -cE -- "$re")" -ge "$n" ] && return 0
		sleep 0.05
	done
	return 1
}

# file_hex FILE: the file's bytes in upper-case hex, as sqlite3's hex() prints them.
file_hex() {
	od -An -v -tx1 "$1" | tr -d ' \n' | tr 'a-f' 'A-F'
}

# now_ms: milliseconds since the Unix epoch (bash's clock: no process to start).
now_ms() {
	local us=${EPOCHREALTIME/./}
	echo "${us%???}"
}

# sql_str TEXT: TEXT as an SQL string literal (quotes doubled).
sql_str() {
	local q="'"
	printf "'%s'" "${1//$q/$q$q}"
}

# rows SOURCE EVENT_ID: how many rows of events have that source and event id.
rows() {
	sql "SELECT count(*) FROM events WHERE source = $(sql_str "$1") AND event_id = $(sql_str "$2")"
}

# reload_receiver: sends SIGHUP and waits for the receiver to log the reload's result;
# prints "reloaded" or "failed" (or "timeout" after 5 s).
reload_receiver() {
	local mark
	mark=$(log_mark)
	kill -HUP "$RECEIVER_PID"
	if log_wait "$mark" 'configuration reloaded|reload failed'; then
		if log_since "$mark" | grep -q 'reload failed'; then echo failed; else echo reloaded; fi
	else
		echo timeout
	fi
}

# Several assertions reported as one TAP line:
#   case_start; want WHAT EXPECTED ACTUAL; want_true WHAT COMMAND...; case_end DESCRIPTION
# Each failed assertion becomes a diagnostic line under "not ok".
CASE_ERRORS=()
case_start() {
	CASE_ERRORS=()
}
want() {
	[ "$2" = "$3" ] || CASE_ERRORS+=("$1: expected $(printf %q "$2"), got $(printf %q "$3")")
}
want_true() {
	local what=$1
	shift
	"$@" || CASE_ERRORS+=("$what: false: $*")
}
# want_response TEXT: the last response's body is exactly TEXT (trailing newlines count).
want_response() {
	local r
	r=$(cat "$T/response" 2>/dev/null; printf x)
	want "response body" "$1" "${r%x}"
}
case_end() {
	if [ ${#CASE_ERRORS[@]} -eq 0 ]; then ok "$1"; else not_ok "$1" "${CASE_ERRORS[@]}"; fi
}

# response_header NAME: the value of header NAME in the last response (from post), or nothing.
response_header() {
	tr -d '\r' < "$T/response.headers" 2>/dev/null | sed -n "s/^$1:[[:space:]]*//Ip" | tail -n 1
}

# count_rows: the number of rows in events.
count_rows() {
	sql 'SELECT count(*) FROM events'
}

# --- Process helpers (startup). ---

# launch_receiver CONF: starts a receiver in the background (log in receiver.log),
# sets RECEIVER_PID, and waits until that process logs "listening on". Returns 1
# if it exits or does not listen within 10 s.
launch_receiver() {
	local mark i
	mark=$(log_mark)
	"$RECEIVER" -c "$1" >> "$T/receiver.log" 2>&1 &
	RECEIVER_PID=$!
	for i in $(seq 1 200); do
		log_since "$mark" | grep -q "hookq-receiver\[$RECEIVER_PID\]: listening on" && return 0
		alive "$RECEIVER_PID" || break
		sleep 0.05
	done
	return 1
}
# signal_receiver SIGNAL: sends SIGNAL to the running receiver and waits (10 s at
# most); sets EXIT_RC.
signal_receiver() {
	kill "-$1" "$RECEIVER_PID" 2>/dev/null
	wait_exit "$RECEIVER_PID" 10
	RECEIVER_PID=
}
# post_delivery SOURCE DELIVERY: posts a GitHub-signed push {"delivery":DELIVERY};
# prints the status.
post_delivery() {
	local b
	b=$(body "$2.json" "{\"delivery\":\"$2\"}")
	post_github "$1" "$b" "$2" push
}
# ok_handler: $T/h/ok.sh, a handler that exits 0; prints its path.
ok_handler() {
	mkdir -p "$T/h"
	printf '#!/bin/sh\nexit 0\n' > "$T/h/ok.sh"
	chmod 755 "$T/h/ok.sh"
	echo "$T/h/ok.sh"
}

# stop_nginx: stops the nginx start_nginx started (bounded), so start_nginx can start
# another one, e.g. after changing $SOCK.
stop_nginx() {
	[ -n "$NGINX_PID" ] || return 0
	kill -TERM "$NGINX_PID" 2>/dev/null
	wait_exit "$NGINX_PID" 10
	NGINX_PID=
	rm -f "$T/nginx/nginx.pid"
}

# alive PID: 0 while the process runs (a zombie does not count).
alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) } # after "PID (COMM) ": the state letter
	case $st in Z*|X*|'') return 1 ;; esac
	return 0
}

# wait_exit PID [SECONDS]: waits (default 10 s) for a child of this shell to exit and
# sets EXIT_RC to its exit status; after SECONDS kills it with SIGKILL, sets EXIT_RC to
# "timeout" and returns 1. Call it directly, not in $(...): a subshell cannot wait for it.
EXIT_RC=
wait_exit() {
	local pid=$1 i
	for i in $(seq 1 $((${2:-10} * 20))); do
		alive "$pid" || break
		sleep 0.05
	done
	if alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		EXIT_RC=timeout
		return 1
	fi
	wait "$pid" 2>/dev/null
	EXIT_RC=$?
	return 0
}

# post_github SOURCE BODYFILE DELIVERY EVENT [sign.py args...]: a POST signed
# the GitHub way with $GH_SECRET (default $T/gh.secret); an empty DELIVERY or
# EVENT leaves that header out. Prints the status.
post_github() {
	local src=$1 b=$2 id=$3 ev=$4 h=
	shift 4
	[ -n "$id" ] && h="X-GitHub-Delivery: $id"
	[ -n "$ev" ] && h="$h${h:+$'\n'}X-GitHub-Event: $ev"
	EXTRA_HEADERS=$h post_signed "$src" github "${GH_SECRET:-$T/gh.secret}" "$b" "$@"
}

# write_locked: true while another connection holds the database's write lock.
write_locked() {
	! sqlite3 -batch "$DB" 'PRAGMA busy_timeout = 0; BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1
}

# lock_db: an sqlite3 process takes the database's write lock (BEGIN
# IMMEDIATE: WAL readers go on) and keeps it until unlock_db (or the EXIT
# trap). Sets LOCKED to yes once the lock is held (within 5 s), else no.
LOCK_PID=
lock_db() {
	rm -f "$T/lock.fifo"
	mkfifo "$T/lock.fifo"
	sqlite3 -batch "$DB" < "$T/lock.fifo" > "$T/lock.out" 2>&1 &
	LOCK_PID=$!
	exec 7<> "$T/lock.fifo" # read-write: never blocks, even if sqlite3 died
	printf 'PRAGMA busy_timeout = 5000;\nBEGIN IMMEDIATE;\n' >&7
	for _ in $(seq 1 100); do
		write_locked && { LOCKED=yes; return 0; }
		sleep 0.05
	done
	LOCKED=no
}
unlock_db() {
	[ -n "${LOCK_PID:-}" ] || return 0
	printf 'ROLLBACK;\n.quit\n' >&7
	exec 7>&-
	wait_exit "$LOCK_PID" 5
	LOCK_PID=
}

# ---- the worker -------------------------------------------------------------------

# WORKER_UP: an extended regex for the worker's start-up line ("worker W:
# database D, concurrency N, lease Lms, routes: R1, R2"), not its reload line.
WORKER_UP=', lease [0-9]+ms, routes: '
# start_worker [NAME]: starts hookq-worker on $T/hookq.conf, logging to
# $T/NAME.log (default worker), and waits for its start-up line. Sets
# WORKER_PID (and adds it to WORKER_PIDS, which cleanup kills).
start_worker() {
	local name=${1:-worker} i
	"$WORKER" -c "$T/hookq.conf" >> "$T/$name.log" 2>&1 &
	WORKER_PID=$!
	WORKER_PIDS="$WORKER_PIDS $WORKER_PID"
	for i in $(seq 1 200); do
		grep -qE -- "$WORKER_UP" "$T/$name.log" 2>/dev/null && return 0
		alive "$WORKER_PID" || break
		sleep 0.05
	done
	cat "$T/$name.log" >&2
	bail "hookq-worker did not start"
}
# stop_worker [PID] [SECONDS]: SIGTERM, then waits (default 20 s); sets WORKER_RC
# (the exit code, or "timeout" after a SIGKILL).
stop_worker() {
	local pid=${1:-$WORKER_PID}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" "${2:-20}"
	WORKER_RC=$EXIT_RC
	WORKER_PIDS=$(echo "$WORKER_PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
	[ "$pid" = "$WORKER_PID" ] && WORKER_PID=
	return 0
}
# wait_sql QUERY WANT [SECONDS]: waits (default 10 s) until sql QUERY prints WANT;
# prints what it printed last.
wait_sql() {
	local i out
	for i in $(seq 1 $((${3:-10} * 20))); do
		out=$(sql "$1" 2>/dev/null)
		[ "$out" = "$2" ] && break
		sleep 0.05
	done
	echo "$out"
}
# row_id SOURCE EVENT_ID: the row's id.
row_id() {
	sql "SELECT id FROM events WHERE source = $(sql_str "$1") AND event_id = $(sql_str "$2")"
}
# delivery_id SOURCE EVENT_ID [ROUTE]: the id of the event's delivery on ROUTE
# (default: the route named after SOURCE, the one a source's handler makes);
# empty until the worker has routed the event.
delivery_id() {
	sql "SELECT id FROM delivery_events WHERE source = $(sql_str "$1")
		AND event_id = $(sql_str "$2") AND route = $(sql_str "${3:-$1}")"
}
# wait_file FILE SECONDS: waits until FILE exists and is not empty.
wait_file() {
	local i
	for i in $(seq 1 $(($2 * 20))); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# wait_gone PID SECONDS: waits until PID is no longer a live process.
wait_gone() {
	local i
	for i in $(seq 1 $(($2 * 20))); do
		alive "$1" || return 0
		sleep 0.05
	done
	return 1
}
# wlog_mark [NAME] / wlog_since MARK [NAME] / wlog_wait MARK REGEX [N] [SECONDS] [NAME]:
# log_mark, log_since and log_wait on a worker's log.
wlog_mark() {
	if [ -f "$T/${1:-worker}.log" ]; then wc -l < "$T/${1:-worker}.log" | tr -d ' '; else echo 0; fi
}
wlog_since() {
	tail -n "+$(($1 + 1))" "$T/${2:-worker}.log" 2>/dev/null
}
wlog_wait() {
	local mark=$1 re=$2 n=${3:-1} i
	for i in $(seq 1 $((${4:-10} * 20))); do
		[ "$(wlog_since "$mark" "${5:-worker}" | grep -cE -- "$re")" -ge "$n" ] && return 0
		sleep 0.05
	done
	return 1
}

# ---- faults (crash, power_cut, worker_kill) ---------------------------------------

# kill_receiver: SIGKILL to the receiver (a crash: no answer, no cleanup) and waits for it.
kill_receiver() {
	[ -n "$RECEIVER_PID" ] || return 0
	# (stderr off: bash would report the job's "Killed")
	{ kill -KILL "$RECEIVER_PID"; wait_exit "$RECEIVER_PID" 10; } 2>/dev/null
	RECEIVER_PID=
}
# restart_receiver: starts a receiver where a killed one left its socket file
# behind (start_receiver's wait for the file would end at once): waits for the
# new one's "listening on" line. Sets RESTART_MS, the time that took.
restart_receiver() {
	local mark t0
	mark=$(log_mark)
	t0=$(now_ms)
	"$RECEIVER" -c "$T/hookq.conf" >> "$T/receiver.log" 2>&1 &
	RECEIVER_PID=$!
	if ! log_wait "$mark" 'listening on ' 1 10; then
		log_since "$mark" >&2
		bail "hookq-receiver did not start again"
	fi
	RESTART_MS=$(($(now_ms) - t0))
}
