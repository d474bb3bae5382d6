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
SIGN="$top_srcdir/tests/integration/sign.py"
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

T=$(mktemp -d "${TMPDIR:-/tmp}/hookq-test.XXXXXX")
TESTS_RUN=0
TESTS_FAILED=0
RECEIVER_PID=
NGINX_PID=

cleanup() {
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
	[ -n "$RECEIVER_PID" ] && kill "$RECEIVER_PID" 2>/dev/null
	wait 2>/dev/null
	if [ "$TESTS_FAILED" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "# logs kept in $T"
		sed 's/^/# receiver: /' "$T/receiver.log" 2>/dev/null | tail -n 40
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
		echo "threads = 4"
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
	mkdir -p "$T/nginx/logs" "$T/nginx/tmp"
	cp /etc/nginx/fastcgi_params "$T/nginx/fastcgi_params"
	cp "$top_srcdir/nginx/hookq.conf" "$T/nginx/hookq.conf"
	for attempt in $(seq 1 20); do
		PORT=$((20000 + (RANDOM * 7 + $$ + attempt) % 40000))
		cat > "$T/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log warn;
user $(id -un) $(id -gn);
events { worker_connections 1024; }
http {
    access_log $T/nginx/logs/access.log;
    client_body_temp_path $T/nginx/tmp/body;
    fastcgi_temp_path $T/nginx/tmp/fastcgi;
    proxy_temp_path $T/nginx/tmp/proxy;
    uwsgi_temp_path $T/nginx/tmp/uwsgi;
    scgi_temp_path $T/nginx/tmp/scgi;
    upstream hookq { server unix:$SOCK; }
    server {
        listen 127.0.0.1:$PORT;
        server_name localhost;
        ${NGINX_SERVER_EXTRA:-}
        include $T/nginx/hookq.conf;
    }
}
NGINX
		"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/logs/error.log" \
			-g 'daemon off;' 2>>"$T/nginx/logs/start.log" &
		NGINX_PID=$!
		for _ in $(seq 1 50); do
			if curl -s -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; then
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
	cat "$T/nginx/logs/start.log" "$T/nginx/logs/error.log" >&2
	bail "nginx did not start"
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
	python3 "$SIGN" "$scheme" --secret-file "$secret" --body "$body" "$@"
}

# post_signed SOURCE SCHEME SECRETFILE BODYFILE [extra header lines via EXTRA_HEADERS] [sign.py args]
post_signed() {
	local source=$1 scheme=$2 secret=$3 body=$4
	shift 4
	local args=() h
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
