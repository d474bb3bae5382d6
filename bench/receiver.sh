#!/bin/bash
# bench/receiver.sh: hookq-receiver next to what it is measured against,
# side by side through one nginx (1 worker) on 127.0.0.1, in one run.
#
# usage: bench/receiver.sh [ROUNDS] [SECONDS]     (defaults 3 rounds of 8 s)
# Environment: BENCH_CONNS (wrk connections, default "16 64"), BENCH_TARGETS
# (a subset of the targets below, default all), BENCH_PERF=TARGET (perf
# record -g nginx and that target during its runs; the profile is printed at
# the end), KEEP=1 (keep the temp folder).
#
# Targets (each serves /hooks/gh behind the same nginx, one at a time):
#   noop                 bench/noop-fcgi: reads the body, answers 200 (the floor)
#   naive-full/-normal   bench/naive-fcgi: verifies the signature, one INSERT
#                        per transaction, synchronous=FULL / NORMAL
#   hookq-full/-normal   build/hookq-receiver with the shipped defaults
#                        (durability full; durability = normal), through the
#                        shipped nginx snippet and upstream: persistent FastCGI
#                        connections (fastcgi_keep_conn on, keepalive 128)
#   hookq-full-nokeep    hookq-full with a new connection per request, as noop
#                        and naive are served (they have a thread per
#                        connection, so kept connections would stall them)
#   pg-full              hookq-full on PostgreSQL (database = postgresql://, a
#                        private cluster of the run's, on its socket, fsync
#                        and synchronous_commit on): the same nginx, conf, body
#   pg-full-2recv        pg-full with two hookq-receiver processes behind one
#                        nginx upstream (two servers, kept connections), as
#                        on two machines sharing one database
#   express              bench/peers/express: Express 4 + better-sqlite3 behind
#                        proxy_pass (only when node and npm are there)
# Every run: a fresh database, wrk -t1 -cCONNS -dSECONDS with a fresh
# X-GitHub-Delivery per request and a ~2 KB GitHub-signed body.
#
# How to read the table (medians over rounds, per target and connection count):
#   req/s, ratio       throughput, and as a share of noop's at the same conns
#   p50, p99           latency seen by wrk, ms
#   CPU us/req         nginx (master + worker) and the target's CPU time
#                      (user + system, all threads) over the requests wrk
#                      completed; "CPU ratio" is that over noop's
#   events/tx          events per SQLite transaction (hookq's group commit;
#                      1 for the one-INSERT-per-transaction peers)
# The machine is small and noisy: read the ratios, not the absolute rates.
# Each run is checked: every delivery id nginx logged a 200 for must be a row,
# and there may be no more rows than 200s + 499s (wrk's cut-off requests).
# A failed check is a loud warning and exit status 1; the goal lines at the
# end are information only.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
ROUNDS=${1:-3}
SECS=${2:-8}
CONNS_LIST=${BENCH_CONNS:-16 64}
hookq_deps wrk:/usr/bin/wrk
hookq_build build --enable-werror
make -C build -s bench/noop-fcgi bench/naive-fcgi

top_srcdir=$PWD top_builddir=$PWD/build
. tests/integration/lib.sh
EXPRESS_DIR=$PWD/bench/peers/express
EXPRESS_SOCK="$T/express.sock"
SOCK2="$T/hookq2.sock"
RECEIVER2_PID=
BLOG="$T/nginx/logs/bench.log"

# The targets: name, which nginx server reaches it, and how it starts.
TARGET_TABLE="
noop                 fcgi      start_noop
naive-full           fcgi      start_naive full
naive-normal         fcgi      start_naive normal
hookq-full           shipped   start_hookq full
hookq-normal         shipped   start_hookq normal
hookq-full-nokeep    fcgi      start_hookq full
pg-full              shipped   start_hookq full pg
pg-full-2recv        two       start_hookq full pg 2
express              proxy     start_express
"
declare -A SERVER START PORTS
ALL_TARGETS=
while read -r name server start; do
	[ -n "$name" ] || continue
	SERVER[$name]=$server
	START[$name]=$start
	ALL_TARGETS="$ALL_TARGETS $name"
done <<< "$TARGET_TABLE"
TARGETS=${BENCH_TARGETS:-$ALL_TARGETS}
for t in $TARGETS; do [ -n "${SERVER[$t]:-}" ] || bail "unknown target $t (targets:$ALL_TARGETS)"; done

# start_noop: the no-op responder on $SOCK.
start_noop() {
	"$top_builddir/bench/noop-fcgi" "$SOCK" 4 > "$T/target-$RUN.log" 2>&1 &
	RECEIVER_PID=$!
}
# start_naive full|normal: the naive reference on $SOCK.
start_naive() {
	"$top_builddir/bench/naive-fcgi" "$SOCK" 4 "$DB" "$T/bench.secret" "$1" > "$T/target-$RUN.log" 2>&1 &
	RECEIVER_PID=$!
}
# start_hookq full|normal [pg [2]]: hookq-receiver with the shipped defaults
# (no threads key), on SQLite or on PostgreSQL; with 2, a second one on
# $SOCK2 (RECEIVER2_PID), behind the "two" server's upstream.
start_hookq() {
	local i sock db=$DB
	[ "${2:-}" = pg ] && db=$PG_URL
	for i in $(seq 1 "${3:-1}"); do
		sock=$SOCK
		[ "$i" = 2 ] && sock=$SOCK2
		{
			echo "[hookq]"
			echo "database = $db"
			echo "listen = $sock"
			[ "$1" = normal ] && echo "durability = normal"
			echo "[source gh]"
			echo "scheme = github"
			echo "secret_file = $T/bench.secret"
		} > "$T/hookq-$i.conf"
		if [ "$i" = 1 ]; then
			"$RECEIVER" -c "$T/hookq-$i.conf" > "$T/target-$RUN.log" 2>&1 &
			RECEIVER_PID=$!
		else
			# Once the first has migrated the database.
			wait_socket "$SOCK"
			"$RECEIVER" -c "$T/hookq-$i.conf" > "$T/target2-$RUN.log" 2>&1 &
			RECEIVER2_PID=$!
			# Before the first request: nginx's upstream would find no socket yet.
			wait_socket "$SOCK2"
		fi
	done
}
# wait_socket PATH: until the socket is there (10 s at most).
wait_socket() {
	local i
	for i in $(seq 1 200); do [ -S "$1" ] && return 0; sleep 0.05; done
}
# pg_fresh: an empty database for a PostgreSQL run (the previous run's dropped).
pg_fresh() {
	"$PG_BIN/dropdb" -h "$PG_DIR" -p "$PG_PORT" --if-exists hookq
	"$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" --locale=C -E UTF8 -T template0 hookq
}
# start_express: the Express peer on $EXPRESS_SOCK.
start_express() {
	node "$EXPRESS_DIR/server.js" "$EXPRESS_SOCK" "$DB" "$T/bench.secret" > "$T/target-$RUN.log" 2>&1 &
	RECEIVER_PID=$!
}

# express_ready: true when the Express peer's modules are installed and load.
express_ready() {
	(cd "$EXPRESS_DIR" && npm ls --depth=0 && node -e "require('express'); require('better-sqlite3')") \
		> /dev/null 2>&1
}
# setup_express: installs the Express peer's modules if needed; false (with a
# one-line message) when it cannot run.
setup_express() {
	if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
		echo "express: skipped (no node or npm)"
		return 1
	fi
	express_ready && return 0
	echo "express: npm install in bench/peers/express (better-sqlite3 may build from source: a minute or two)"
	if (cd "$EXPRESS_DIR" && npm install --no-audit --no-fund --no-package-lock) > "$T/npm.log" 2>&1 &&
		express_ready; then
		return 0
	fi
	echo "express: skipped (npm install failed: $(grep -m 2 '^npm error' "$T/npm.log" | sed 's/^npm error //' | tr '\n' ' '))"
	return 1
}

# free_port: a loopback port number to try.
free_port() {
	echo $((20000 + (RANDOM * 7 + $$ + RANDOM) % 40000))
}
# start_bench_nginx: one nginx, three servers on three free loopback ports:
# shipped (nginx/hookq.conf and the upstream of nginx/hookq-upstream.conf as
# shipped: kept connections), fcgi (a copy of the snippet with
# fastcgi_keep_conn off, passing to an upstream without keepalive: a
# connection per request) and proxy (to the Express peer). All log
# "$status $delivery" to $BLOG.
start_bench_nginx() {
	local d="$T/nginx" attempt p ok ping='location = /bench-ping { return 204; }'
	mkdir -p "$d"
	cp nginx/hookq.conf "$d/hookq.conf"
	sed -e 's/fastcgi_pass hookq;/fastcgi_pass hookq_plain;/' \
		-e 's/fastcgi_keep_conn on;/fastcgi_keep_conn off;/' nginx/hookq.conf > "$d/hookq-plain.conf"
	[ "$(grep -c 'fastcgi_pass hookq_plain;' "$d/hookq-plain.conf")" = "$(grep -c 'fastcgi_pass' nginx/hookq.conf)" ] ||
		bail "could not point every fastcgi_pass of nginx/hookq.conf at hookq_plain"
	grep -q 'fastcgi_keep_conn on' "$d/hookq-plain.conf" && bail "could not turn fastcgi_keep_conn off"
	sed -e 's/fastcgi_pass hookq;/fastcgi_pass hookq_two;/' nginx/hookq.conf > "$d/hookq-two.conf"
	for attempt in $(seq 1 20); do
		PORTS[shipped]=$(free_port) PORTS[fcgi]=$(free_port) PORTS[proxy]=$(free_port)
		PORTS[two]=$(free_port)
		[ "$(printf '%s\n' "${PORTS[@]}" | sort -u | wc -l)" = 4 ] || continue
		hookq_nginx_conf "$d" "${PORTS[shipped]}" "$SOCK" "$d/hookq.conf" "$ping access_log $BLOG bench;" "" "
    log_format bench '\$status \$http_x_github_delivery';
    upstream hookq_plain { server unix:$SOCK; }
    server {
        listen 127.0.0.1:${PORTS[fcgi]};
        $ping
        access_log $BLOG bench;
        include $d/hookq-plain.conf;
    }
    upstream hookq_two { server unix:$SOCK; server unix:$SOCK2; keepalive 128; }
    server {
        listen 127.0.0.1:${PORTS[two]};
        $ping
        access_log $BLOG bench;
        include $d/hookq-two.conf;
    }
    server {
        listen 127.0.0.1:${PORTS[proxy]};
        $ping
        access_log $BLOG bench;
        location ~ ^/hooks/ {
            proxy_pass http://unix:$EXPRESS_SOCK;
            client_max_body_size 1m;
            client_body_buffer_size 1m;
        }
    }"
		rm -f "$d/nginx.pid"
		hookq_nginx_start "$d"
		NGINX_PID=$!
		for _ in $(seq 1 50); do
			# The pid file appears once nginx holds every port: answers come from it.
			ok=yes
			if [ -s "$d/nginx.pid" ]; then
				for p in "${PORTS[@]}"; do
					curl -s -o /dev/null "http://127.0.0.1:$p/bench-ping" || ok=no
				done
				[ $ok = yes ] && return 0
			fi
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null || true
		NGINX_PID=
	done
	cat "$d/logs/start.log" "$d/logs/error.log" >&2
	bail "nginx did not start"
}

# pg_pids: the PostgreSQL server's processes (their CPU counts as the target's), or nothing.
pg_pids() {
	[ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	local pm
	pm=$(head -n 1 "$PG_DIR/data/postmaster.pid")
	echo "$pm" $(cat "/proc/$pm/task/$pm/children" 2>/dev/null)
}
# nginx_pids: nginx's master and worker.
nginx_pids() {
	echo "$NGINX_PID" $(cat "/proc/$NGINX_PID/task/$NGINX_PID/children" 2>/dev/null)
}
# cpu_ticks PID...: the processes' user + system time (all threads), in clock ticks.
cpu_ticks() {
	local p st f total=0
	for p in "$@"; do
		st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		read -r -a f <<< "${st##*) }" # fields from the state on: utime is 14th, stime 15th
		total=$((total + f[11] + f[12]))
	done
	echo "$total"
}

# wait_target SOCKET URL: waits until the target's socket is there and it
# answers through nginx (any status but 502/504: a POST without a signature
# is 401, noop's 200); 1 after 10 s.
wait_target() {
	local code i
	for i in $(seq 1 200); do
		alive "$RECEIVER_PID" || return 1
		[ -S "$1" ] || { sleep 0.05; continue; }
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary x "$2" || true)
		case $code in 502|504|000) sleep 0.05 ;; *) return 0 ;; esac
	done
	return 1
}

# row_check TARGET: checks the run's 200s against the database; sets CHECK
# (the "rows=R 200s=A missing=M ..." part of the run's line) and, on a
# missing id or an excess row, RUN_FAILED.
row_check() {
	local ok n499 other rows missing
	awk -v run="$BENCH_RUN" '{ id = $2; sub(/-[0-9]+-[0-9]+$/, "", id) } id == run' "$BLOG" > "$T/run.log"
	awk '$1 == 200 { print $2 }' "$T/run.log" > "$T/ok.ids"
	ok=$(wc -l < "$T/ok.ids")
	n499=$(awk '$1 == 499' "$T/run.log" | wc -l)
	other=$(awk '$1 != 200 && $1 != 499 { n[$1]++ } END { for (s in n) printf " %s=%d", s, n[s] }' "$T/run.log")
	RUN_FAILED=
	if [ "$1" = noop ]; then
		CHECK="rows=- 200s=$ok 499s=$n499$other"
		return 0
	fi
	if [[ $1 == pg-* ]]; then
		rows=$(DB=$PG_URL pg_psql -c "SELECT count(*) FROM events")
		missing=$(DB=$PG_URL pg_psql <<SQL
CREATE TEMP TABLE ok (event_id text PRIMARY KEY);
\\copy ok FROM '$T/ok.ids'
SELECT count(*) FROM ok WHERE event_id NOT IN (SELECT event_id FROM events WHERE source = 'gh');
SQL
)
	elif rows=$(sql "SELECT count(*) FROM events" 2>/dev/null); then
		missing=$(sqlite3 -batch -noheader "$DB" <<SQL
CREATE TEMP TABLE ok(event_id TEXT PRIMARY KEY);
.import --csv --schema temp $T/ok.ids ok
SELECT count(*) FROM temp.ok WHERE event_id NOT IN (SELECT event_id FROM events WHERE source = 'gh');
SQL
)
	else
		rows=0 missing=$ok # no events table: nothing was stored
	fi
	CHECK="rows=$rows 200s=$ok missing=$missing 499s=$n499$other"
	if [ "$missing" != 0 ] || [ "$rows" -gt $((ok + n499)) ]; then
		RUN_FAILED=yes
	fi
}

# events_per_tx TARGET: hookq's events per transaction from its "stopped:" line; 1 for the peers.
events_per_tx() {
	case $1 in
	noop) echo - ;;
	hookq-*|pg-*) { cat "$T/target-$RUN.log"; cat "$T/target2-$RUN.log" 2>/dev/null || true; } | sed -n 's/.*stopped: \([0-9]*\) events written in \([0-9]*\) transactions.*/\1 \2/p' \
		| awk '{ n += $1; m += $2 } END { if (m > 0) printf "%.2f\n", n / m; else print "?" }' ;;
	*) echo 1 ;;
	esac
}

declare -A RATE P50 P99 CPU EPT
FAILED=0
RUN_NO=0
PERF_PID=
declare -A PERF_FILE
# run_one ROUND CONNS TARGET: one wrk run against one target; records its numbers.
run_one() {
	local round=$1 conns=$2 t=$3 url out req dur bad errs tick0 tick1 cpu ept errlines0 errlines p50 p99
	RUN_NO=$((RUN_NO + 1))
	RUN="$RUN_NO-$t"
	export BENCH_RUN="r$round-c$conns-$t"
	rm -f "$SOCK" "$SOCK2" "$EXPRESS_SOCK" "$DB" "$DB-wal" "$DB-shm"
	url="http://127.0.0.1:${PORTS[${SERVER[$t]}]}/hooks/gh"
	[[ $t == pg-* ]] && pg_fresh
	RECEIVER2_PID=
	${START[$t]}
	wait_target "$([ "$t" = express ] && echo "$EXPRESS_SOCK" || echo "$SOCK")" "$url" || { cat "$T/target-$RUN.log" >&2; bail "target $t did not start"; }
	errlines0=$(wc -l < "$T/nginx/logs/error.log")
	tick0=$(cpu_ticks $(nginx_pids) "$RECEIVER_PID" $RECEIVER2_PID $(pg_pids))
	if [ "${BENCH_PERF:-}" = "$t" ]; then
		perf record -q -g -o "$T/perf-$RUN.data" -p "$(nginx_pids | tr ' ' ','),$RECEIVER_PID" \
			> "$T/perf-$RUN.log" 2>&1 &
		PERF_PID=$!
		PERF_FILE[$conns]="$T/perf-$RUN.data" # the last round's is reported
	fi
	out=$(wrk -t1 -c"$conns" -d"${SECS}s" -s bench/github.lua "$url" | grep '^BENCH' || true)
	tick1=$(cpu_ticks $(nginx_pids) "$RECEIVER_PID" $RECEIVER2_PID $(pg_pids))
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID"
		wait "$PERF_PID" || true
		PERF_PID=
	fi
	kill -TERM "$RECEIVER_PID" $RECEIVER2_PID 2>/dev/null || true
	wait_exit "$RECEIVER_PID" 10 || echo "warning: $t did not stop within 10 s after SIGTERM (killed)"
	[ -n "$RECEIVER2_PID" ] && { wait_exit "$RECEIVER2_PID" 10 || echo "warning: second receiver killed"; }
	RECEIVER_PID= RECEIVER2_PID=
	[ -n "$out" ] || bail "wrk printed no BENCH line for $t"
	req=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<< "$out")
	dur=$(sed 's/.*duration_us=\([0-9]*\).*/\1/' <<< "$out")
	bad=$(sed 's/.*non2xx=\([0-9]*\).*/\1/' <<< "$out")
	errs=$(sed 's/.*socket_errors=\([0-9]*\).*/\1/' <<< "$out")
	p50=$(sed 's/.*p50_us=\([0-9]*\).*/\1/' <<< "$out")
	p99=$(sed 's/.*p99_us=\([0-9]*\).*/\1/' <<< "$out")
	[ "$req" -gt 0 ] || bail "wrk completed no request against $t"
	cpu=$(awk -v d="$((tick1 - tick0))" -v hz="$(getconf CLK_TCK)" -v n="$req" \
		'BEGIN { printf "%.0f", d * 1000000 / hz / n }')
	row_check "$t"
	ept=$(events_per_tx "$t")
	# The file system discards a deleted database's blocks (mount -o discard):
	# let that finish here, not in the middle of the next run's fsyncs.
	rm -f "$DB" "$DB-wal" "$DB-shm"
	sync
	sleep 1
	local key="$t/$conns"
	RATE[$key]="${RATE[$key]:-} $((req * 1000000 / dur))"
	P50[$key]="${P50[$key]:-} $p50"
	P99[$key]="${P99[$key]:-} $p99"
	CPU[$key]="${CPU[$key]:-} $cpu"
	EPT[$key]="${EPT[$key]:-} $ept"
	errlines=$(($(wc -l < "$T/nginx/logs/error.log") - errlines0))
	printf 'round %d c%-3d %-20s %6d req/s  p50 %6.2f ms  p99 %7.2f ms  cpu %5d us/req  ev/tx %-5s non2xx=%d sockerr=%d %s%s\n' \
		"$round" "$conns" "$t" "$((req * 1000000 / dur))" \
		"$(ratio "$p50" 1000)" "$(ratio "$p99" 1000)" \
		"$cpu" "$ept" "$bad" "$errs" "$CHECK" "$([ "$errlines" -gt 0 ] && echo " nginx-errors=$errlines")"
	if [ -n "$RUN_FAILED" ]; then
		FAILED=$((FAILED + 1))
		echo "!!!!!! ROW CHECK FAILED for $t at $conns conns (round $round): $CHECK"
		echo "!!!!!! every delivery answered 200 must be a row, and rows <= 200s + 499s"
	fi
}

# median: the median of the numbers on stdin (space or newline separated).
median() { tr ' ' '\n' | awk NF | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "" }'; }
# cell METRIC TARGET CONNS: the median of METRIC (RATE, P50, ...) for that cell, or nothing.
cell() {
	local -n m=$1
	median <<< "${m[$2/$3]:-}"
}
# ratio A B [FORMAT]: A / B, or n/a when either is missing or not a number.
ratio() {
	awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b == 0) { print "n/a"; exit }
		printf f "\n", a / b }'
}
# goal TEXT VALUE OP LIMIT: one goal line, "met" / "NOT met" (n/a when there is no value).
goal() {
	local verdict
	if [ "$2" = n/a ] || [ -z "$2" ]; then
		verdict="n/a"
	else
		verdict=$(awk -v v="$2" -v op="$3" -v l="$4" 'BEGIN {
			m = (op == ">=") ? v >= l : (op == "<=") ? v <= l : v > l
			print m ? "met" : "NOT met" }')
	fi
	printf '  %-52s %8s   (goal %s %s)  %s\n' "$1" "${2:-n/a}" "$3" "$4" "$verdict"
}

bench_cleanup() {
	[ -n "$PERF_PID" ] && kill -INT "$PERF_PID" 2>/dev/null
	cleanup
}
trap bench_cleanup EXIT

# ---- set up ------------------------------------------------------------------
new_secret bench
# A push event of about 2,000 bytes (GitHub's are mostly larger; 2 KB keeps
# the body in one read).
body_of() { # FILLER_LENGTH
	printf '{"ref":"refs/heads/main","before":"%040d","after":"%040d","repository":{"full_name":"acme/widgets"},"pusher":{"name":"bench"},"commits":[{"id":"%040d","message":"%s"}]}' \
		0 1 2 "$(head -c "$1" /dev/zero | tr '\0' 'x')"
}
body_of $((2000 - $(body_of 0 | wc -c))) > "$T/body.json"
export BENCH_BODY BENCH_SIG
BENCH_BODY=$(cat "$T/body.json")
BENCH_SIG=$("$PY" "$SIGN" github --secret-file "$T/bench.secret" --body "$T/body.json" | sed 's/^[^:]*: //')

if [[ " $TARGETS " == *" express "* ]] && ! setup_express; then
	TARGETS=$(tr ' ' '\n' <<< "$TARGETS" | awk 'NF && $0 != "express"' | tr '\n' ' ')
fi
# The PostgreSQL targets' cluster: lib.sh's (a private one, socket only).
PG_URL=
if [[ " $TARGETS " == *" pg-"* ]]; then
	hookq_deps $HOOKQ_TEST_DEPS
	SQLITE_DB=$DB
	pg_init
	PG_URL=$DB DB=$SQLITE_DB
fi
start_bench_nginx

NTARGETS=$(wc -w <<< "$TARGETS")
NCONNS=$(wc -w <<< "$CONNS_LIST")
RUNS=$((ROUNDS * NCONNS * NTARGETS))
echo "bench/receiver.sh: $ROUNDS round(s) x conns ($CONNS_LIST) x targets ($(echo $TARGETS)), ${SECS}s each:"
echo "  $RUNS runs, about $(( (RUNS * (SECS + 2) + 30) / 60 )) min $(( RUNS * (SECS + 2) % 60 )) s; body $(wc -c < "$T/body.json") bytes; nginx on 127.0.0.1:${PORTS[shipped]} (shipped) :${PORTS[fcgi]} (fcgi) :${PORTS[proxy]} (proxy)"

# ---- run ---------------------------------------------------------------------
for round in $(seq 1 "$ROUNDS"); do
	for conns in $CONNS_LIST; do
		for t in $TARGETS; do
			run_one "$round" "$conns" "$t"
		done
	done
done

# ---- report ------------------------------------------------------------------
echo
echo "machine: $(nproc) cores, $(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //' || echo 'unknown CPU'), Linux $(uname -r)"
echo "         $("$NGINX" -v 2>&1), sqlite3 $(sqlite3 --version | cut -d' ' -f1), node $(node -v 2>/dev/null || echo 'no node')"
echo "         databases on $(df -T "$T" | awk 'NR == 2 { print $2 " (" $1 ")" }')"
echo "run:     $ROUNDS round(s) x ${SECS}s, wrk -t1, conns: $CONNS_LIST; medians over rounds; nginx 1 worker"
printf '%-20s %5s %9s %6s %8s %8s %8s %6s %9s\n' target conns "req/s" ratio "p50 ms" "p99 ms" "CPU us" "CPU x" "events/tx"
for conns in $CONNS_LIST; do
	base=$(cell RATE noop "$conns")
	base_cpu=$(cell CPU noop "$conns")
	for t in $TARGETS; do
		r=$(cell RATE "$t" "$conns")
		c=$(cell CPU "$t" "$conns")
		printf '%-20s %5s %9s %6s %8s %8s %8s %6s %9s\n' "$t" "$conns" "$r" "$(ratio "$r" "$base")" \
			"$(ratio "$(cell P50 "$t" "$conns")" 1000)" "$(ratio "$(cell P99 "$t" "$conns")" 1000)" \
			"$c" "$(ratio "$c" "$base_cpu")" "$(cell EPT "$t" "$conns")"
	done
done

echo
echo "goals (information: they do not change the exit status):"
for conns in 16 64; do
	goal "hookq-full req/s / noop, $conns conns" \
		"$(ratio "$(cell RATE hookq-full $conns)" "$(cell RATE noop $conns)")" ">=" 0.70
done
goal "hookq-full p99 at 16 conns, ms" "$(ratio "$(cell P99 hookq-full 16)" 1000)" "<=" 5
for conns in 16 64; do
	goal "hookq-full CPU/req / noop CPU/req, $conns conns" \
		"$(ratio "$(cell CPU hookq-full $conns)" "$(cell CPU noop $conns)")" "<=" 1.5
done
for conns in 16 64; do
	goal "hookq-full req/s / express, $conns conns" \
		"$(ratio "$(cell RATE hookq-full $conns)" "$(cell RATE express $conns)")" ">=" 5
done
for conns in 16 64; do
	goal "hookq-normal req/s / noop, $conns conns" \
		"$(ratio "$(cell RATE hookq-normal $conns)" "$(cell RATE noop $conns)")" ">=" 0.80
done
for conns in 16 64; do
	goal "pg-full req/s / hookq-full (SQLite), $conns conns" \
		"$(ratio "$(cell RATE pg-full $conns)" "$(cell RATE hookq-full $conns)")" ">=" 0.5
done
for conns in 16 64; do
	goal "pg-full-2recv req/s / pg-full, $conns conns" \
		"$(ratio "$(cell RATE pg-full-2recv $conns)" "$(cell RATE pg-full $conns)")" ">=" 1.0
done
for conns in 16 64; do
	goal "stretch: hookq-full (kept conns) / noop, $conns conns" \
		"$(ratio "$(cell RATE hookq-full $conns)" "$(cell RATE noop $conns)")" ">" 1.0
done

n=$(grep -cv '^\s*$' "$T/nginx/logs/error.log" || true)
if [ "$n" -gt 0 ]; then
	echo
	echo "nginx error.log: $n line(s); the distinct messages (counts):"
	sed -e 's/^[0-9\/: ]*\[[a-z]*\] [0-9#]*: \*[0-9]* //' -e 's/, client: .*//' "$T/nginx/logs/error.log" |
		sort | uniq -c | sort -rn | head -n 10
fi

for conns in $CONNS_LIST; do
	f=${PERF_FILE[$conns]:-}
	[ -n "$f" ] || continue
	echo
	echo "perf: $BENCH_PERF at $conns conns, round $ROUNDS (nginx + $BENCH_PERF): perf report --no-children --sort dso,sym"
	echo "(flat; the call graphs are in $f: KEEP=1 keeps it, perf report -i FILE --no-children)"
	perf report -i "$f" --no-children --sort dso,sym --stdio -g none 2>/dev/null | awk 'NF && !/^#/' | head -n 60 || true
done

TESTS_FAILED=0
if [ "$FAILED" -gt 0 ]; then
	echo
	echo "!!!!!! $FAILED run(s) failed the row check (see the lines marked !!!!!! above)"
	exit 1
fi
