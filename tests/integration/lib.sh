# lib.sh: shared setup for hookq's integration tests (sourced, bash).
#
# Each test gets a private temp folder holding a hookq.conf, secrets, the
# SQLite database, the FastCGI socket and an nginx that listens on a free
# 127.0.0.1 port with nginx/hookq.conf included verbatim. Everything is torn
# down by an EXIT trap. Results are TAP: ok/not ok lines, plan at the end.
#
# HOOKQ_STORE=pg in the environment runs the same suite on PostgreSQL: the
# store is then a private cluster of this test (in $T/pg, its socket there,
# no TCP), DB its URL, and sql() speaks psql with sqlite3's output. STORE
# (sqlite or pg) is what suites test to skip the cases that only make sense
# on one store (skip DESCRIPTION REASON).

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
	# The server last, once nothing uses it: immediate, since its data goes.
	[ -n "${PG_DIR:-}" ] && pg_stop immediate >/dev/null 2>&1
	if [ "$TESTS_FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "# logs kept in $T"
		sed 's/^/# receiver: /' "$T/receiver.log" 2>/dev/null | tail -n 40
		for p in "$T"/worker*.log; do
			[ -f "$p" ] && sed "s/^/# $(basename "$p" .log): /" "$p" | tail -n 40
		done
		if [ -n "${PG_DIR:-}" ]; then
			sed 's/^/# postgres: /' "$PG_DIR/server.log" 2>/dev/null | tail -n 40
			# The server's log stays; its cluster (tens of MB) does not.
			rm -rf "$PG_DIR/data"
		fi
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
# skip DESCRIPTION [REASON]: a case not run here, e.g. a SQLite-only one on
# PostgreSQL; it counts in the plan as a skip, never as a pass.
skip() {
	TESTS_RUN=$((TESTS_RUN + 1))
	if [ $# -ge 2 ]; then
		echo "ok $TESTS_RUN - $1 # SKIP $2"
	else
		echo "ok $TESTS_RUN - # SKIP $1"
	fi
}

# The database, socket and default [hookq] settings of this test.
DB="$T/queue.db"
SOCK="$T/hookq.sock"

# ---- the store: SQLite (a file), or PostgreSQL with HOOKQ_STORE=pg ----------------

case ${HOOKQ_STORE:-sqlite} in
sqlite) STORE=sqlite ;;
pg|postgresql) STORE=pg ;;
*) bail "HOOKQ_STORE=$HOOKQ_STORE: sqlite or pg" ;;
esac
PG_DIR=
PG_BIN=

# pg_bindir: the folder of the PostgreSQL server programs (PG_BIN to choose
# one), the newest Debian version first, else the PATH's.
pg_bindir() {
	local d p
	for d in ${PG_BIN:-} $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
		[ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/psql" ] &&
			{ echo "$d"; return 0; }
	done
	p=$(command -v pg_ctl) || return 1
	d=$(dirname "$(readlink -f "$p")")
	[ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/psql" ] && { echo "$d"; return 0; }
	return 1
}
# pg_as COMMAND...: runs a server program (initdb, pg_ctl) as the cluster's
# owner: they refuse root, so as root that is the user postgres.
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		# (from the cluster's folder: postgres may not be able to enter the caller's)
		(cd "$PG_DIR" && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}
# pg_start: starts (or starts again, after pg_stop) this test's cluster and
# waits until it takes connections.
pg_start() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -s start > /dev/null ||
		{ tail -n 20 "$PG_DIR/server.log" >&2; bail "PostgreSQL did not start"; }
}
# pg_stop [MODE]: stops the cluster (pg_ctl -m MODE: fast by default: the
# server ends every session, as a restart or a failover does; immediate:
# as a crash) and waits until it is down.
pg_stop() {
	[ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-fast}" -w -t 60 -s stop > /dev/null
}
# pg_psql [psql args]: psql on this test's database, printing as sqlite3
# -batch -noheader does: unaligned, "|" between columns, no header or
# footer, NULL as nothing; stops at the first error, which makes it fail.
pg_psql() {
	PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -X -q -A -t -F '|' -P null= \
		-v ON_ERROR_STOP=1 -d "$DB" "$@"
}
# pg_init: a cluster of this test's own in $T/pg: initdb (no fsync of its
# files: a crash of the test machine loses the test anyway), the server with
# fsync on as in production, only a socket in $T/pg (no TCP: tests in
# parallel, or the machine's own cluster on 5432, never meet), trust on it.
# The database is C-collated UTF-8, so text orders bytewise as in SQLite. DB
# becomes its URL.
pg_init() {
	if ! PG_BIN=$(pg_bindir); then
		# (nothing started yet: the folder is all there is to clean)
		trap - EXIT
		rm -rf "$T"
		echo "1..0 # SKIP PostgreSQL server not installed"
		exit 0
	fi
	PG_DIR="$T/pg"
	# Any number: it only names the socket, in a folder no one else uses.
	PG_PORT=$((20000 + (RANDOM * 7 + $$) % 40000))
	mkdir -p "$PG_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		id postgres > /dev/null 2>&1 || bail "no user postgres to run the PostgreSQL server as"
		# The server's user must reach its folder through $T (mktemp makes it 0700).
		chmod 711 "$T"
		chown postgres: "$PG_DIR"
	fi
	# The superuser is named after whoever runs the test, the role libpq
	# connects as by default: the URL then needs no user, as hookq's in production.
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$(id -un)" -A trust -E UTF8 --locale=C \
		--no-sync --no-instructions > "$PG_DIR/initdb.log" 2>&1 ||
		{ cat "$PG_DIR/initdb.log" >&2; bail "initdb failed"; }
	pg_as sh -c "cat >> '$PG_DIR/data/postgresql.conf'" <<-CONF
		# tests/integration/lib.sh
		listen_addresses = ''
		unix_socket_directories = '$PG_DIR'
		port = $PG_PORT
		fsync = on
		max_connections = 100
		shared_buffers = 16MB
		timezone = 'UTC'
		log_timezone = 'UTC'
		log_line_prefix = '%m [%p] %a: '
	CONF
	pg_start
	"$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" --locale=C -E UTF8 -T template0 hookq ||
		bail "createdb failed"
	DB="postgresql:///hookq?host=$PG_DIR&port=$PG_PORT"
}
# pg_new_db NAME: another database on this test's cluster, made as pg_init
# makes the test's; prints its URL.
pg_new_db() {
	"$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" --locale=C -E UTF8 -T template0 "$1" ||
		bail "createdb $1 failed"
	echo "postgresql:///$1?host=$PG_DIR&port=$PG_PORT"
}
# pg_fingerprint URL: the hash of the database's dump (schema and rows): it
# changes with any write that stays. (Without the random key of the dump's
# \restrict lines, new on every run.)
pg_fingerprint() {
	"$PG_BIN/pg_dump" -d "$1" 2>&1 | grep -v '^\\\(un\)\?restrict ' | sha256sum | cut -c1-64
}

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
# without a row of SOURCE, and rows of SOURCE (whose event_id matches GLOB,
# whose only wildcard is *) whose id was never answered 200.
ids_vs_rows() {
	local match
	if [ "$STORE" = sqlite ]; then
		match="GLOB $(sql_str "${3:-*}")"
	else
		match="LIKE $(sql_str "$(printf '%s' "${3:-*}" | tr '*' '%')")"
	fi
	load_ids "$1" 200 > "$T/$1.ok"
	sql "SELECT event_id FROM events WHERE source = $(sql_str "$2")
		AND event_id $match" | sort > "$T/$1.rows"
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

# sql [SQL...]: runs each SQL argument (or stdin) on the store; prints rows
# as sqlite3 -batch -noheader does on both stores (booleans excepted: 0/1
# on SQLite, t/f on PostgreSQL: CAST(... AS INTEGER) where it matters).
sql() {
	if [ "$STORE" = sqlite ]; then
		sqlite3 -batch -noheader "$DB" "$@"
	elif [ $# -gt 0 ]; then
		# Statement by statement, as sqlite3 runs them (psql -c would make one
		# transaction of them); the ";" ends one that has none.
		printf '%s\n;\n' "$@" | pg_psql -f -
	else
		pg_psql -f -
	fi
}

# SQL that is not the same on both stores, as functions that print the
# expression for this test's store, to put in a sql query. Everything else
# the suites write in the SQL both understand: LIKE rather than GLOB,
# coalesce() rather than ifnull(), IS DISTINCT FROM rather than IS NOT,
# CAST(... AS INTEGER) of a comparison to print it as 0 or 1, an alias on
# each subquery in FROM.
#
# sql_hex BLOB / sql_text_hex TEXT: the bytes (of a text: its UTF-8), in
# upper-case hex, as SQLite's hex() and file_hex print them.
sql_hex() {
	if [ "$STORE" = sqlite ]; then echo "hex($1)"; else echo "upper(encode($1, 'hex'))"; fi
}
sql_text_hex() {
	if [ "$STORE" = sqlite ]; then
		echo "hex($1)"
	else
		echo "upper(encode(convert_to(CAST($1 AS text), 'UTF8'), 'hex'))"
	fi
}
# sql_body_text BLOB: the bytes as UTF-8 text.
sql_body_text() {
	if [ "$STORE" = sqlite ]; then echo "CAST($1 AS TEXT)"; else echo "convert_from($1, 'UTF8')"; fi
}
# sql_json TEXT KEY: the top-level member KEY of the JSON text (a number
# is an integer on SQLite, text on PostgreSQL: CAST it to compare).
sql_json() {
	if [ "$STORE" = sqlite ]; then
		echo "json_extract($1, '\$.\"$2\"')"
	else
		echo "(CAST($1 AS json) ->> '$2')"
	fi
}
# sql_octets TEXT: the length of the text in bytes (length() counts characters).
sql_octets() {
	if [ "$STORE" = sqlite ]; then echo "length(CAST($1 AS BLOB))"; else echo "octet_length($1)"; fi
}
# sql_instr TEXT PART: where PART starts in TEXT, from 1; 0 when it is not in it.
sql_instr() {
	if [ "$STORE" = sqlite ]; then echo "instr($1, $2)"; else echo "strpos($1, $2)"; fi
}
# sql_chr N: the character of code N, e.g. 10 for a newline.
sql_chr() {
	if [ "$STORE" = sqlite ]; then echo "char($1)"; else echo "chr($1)"; fi
}
# sql_concat EXPR SEP: the aggregate that joins EXPR's text with SEP (an SQL literal).
sql_concat() {
	if [ "$STORE" = sqlite ]; then echo "group_concat($1, $2)"; else echo "string_agg($1, $2)"; fi
}
# sql_blob FILE: the file's bytes as an SQL literal.
sql_blob() {
	if [ "$STORE" = sqlite ]; then echo "X'$(file_hex "$1")'"; else echo "decode('$(file_hex "$1")', 'hex')"; fi
}
# schema_version: the store's schema version (PRAGMA user_version; hookq_schema on PostgreSQL).
schema_version() {
	if [ "$STORE" = sqlite ]; then sql 'PRAGMA user_version'; else sql 'SELECT version FROM hookq_schema'; fi
}
# sql_sync_ids: after rows were inserted with ids of their own: on
# PostgreSQL the identity sequences move past them, as SQLite's next rowid
# (the largest plus one) does by itself.
sql_sync_ids() {
	[ "$STORE" = pg ] || return 0
	local t
	for t in events deliveries; do
		sql "SELECT setval(pg_get_serial_sequence('$t', 'id'), coalesce(max(id), 0) + 1, false)
			FROM $t" > /dev/null
	done
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

# The tables a PostgreSQL lock_db locks: every one hookq writes (hookq_schema
# too: the health check's probe writes it).
PG_LOCK_TABLES="events, deliveries, route_state, route_stats, hookq_schema"
# write_locked: true while another connection holds the database's write lock
# (on PostgreSQL: lock_db's lock on the tables).
write_locked() {
	if [ "$STORE" = pg ]; then
		[ "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND granted
			AND mode = 'ExclusiveLock' AND relation = CAST('events' AS regclass)" 2>/dev/null)" = 1 ]
		return
	fi
	! sqlite3 -batch "$DB" 'PRAGMA busy_timeout = 0; BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1
}

# lock_db: an sqlite3 process takes the database's write lock (BEGIN
# IMMEDIATE: WAL readers go on) and keeps it until unlock_db (or the EXIT
# trap). Sets LOCKED to yes once the lock is held (within 5 s), else no.
# On PostgreSQL a psql session does the same with LOCK TABLE ... IN
# EXCLUSIVE MODE on hookq's tables: plain SELECTs go on, every write (and
# SELECT ... FOR UPDATE, a claim) waits.
LOCK_PID=
lock_db() {
	rm -f "$T/lock.fifo"
	mkfifo "$T/lock.fifo"
	if [ "$STORE" = pg ]; then
		pg_psql -f - < "$T/lock.fifo" > "$T/lock.out" 2>&1 &
	else
		sqlite3 -batch "$DB" < "$T/lock.fifo" > "$T/lock.out" 2>&1 &
	fi
	LOCK_PID=$!
	exec 7<> "$T/lock.fifo" # read-write: never blocks, even if sqlite3 died
	if [ "$STORE" = pg ]; then
		printf 'BEGIN;\nLOCK TABLE %s IN EXCLUSIVE MODE;\n' "$PG_LOCK_TABLES" >&7
	else
		printf 'PRAGMA busy_timeout = 5000;\nBEGIN IMMEDIATE;\n' >&7
	fi
	for _ in $(seq 1 100); do
		write_locked && { LOCKED=yes; return 0; }
		sleep 0.05
	done
	LOCKED=no
}
unlock_db() {
	[ -n "${LOCK_PID:-}" ] || return 0
	if [ "$STORE" = pg ]; then printf 'ROLLBACK;\n\\q\n' >&7; else printf 'ROLLBACK;\n.quit\n' >&7; fi
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

# Last, once every function cleanup may call is defined: this test's cluster.
if [ "$STORE" = pg ]; then pg_init; fi
