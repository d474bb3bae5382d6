#!/bin/bash
# bench/worker.sh: hookq-worker's wake-up latency and drain rate, each next
# to what merely starting processes costs on the same machine in the same run.
#
# usage: bench/worker.sh [ROUNDS]        (default 3)
# Environment: BUILDDIR (default build; a folder directly in this checkout,
# configured and built when it has no Makefile), BENCH_EVENTS (drain backlog, default
# 500), BENCH_LAT_EVENTS (latency samples per durability, default 100),
# BENCH_DRAIN_DURABILITY (default "full"; "full normal" drains under both),
# BENCH_TRANSPORTS (default "exec stream http": the transports of parts 3 and
# 4; empty: none), BENCH_TRANSPORT_EVENTS (their drain backlog, default
# 10000), BENCH_PARTS (default "latency drain transports": which of parts
# 1-2, 2 and 3-4 to run).
#
# 1. Wake-up latency: LAT_EVENTS GitHub-signed POSTs, one at a time over one
#    keep-alive connection with a random 20-100 ms pause before each (so
#    every one finds the worker asleep in poll()), nginx -> hookq-receiver ->
#    SQLite, with hookq-worker running bench/stamp-handler. The client notes
#    time.time() right after reading the 200; the handler notes
#    CLOCK_REALTIME first thing in main(); the two are joined on the event
#    id. Once for durability = full and once for normal, after 3 warm-up
#    events. Negative values are possible: the worker can start the handler
#    before the 200 has travelled back through nginx. The floor: bench/
#    spawn-loop -s starting stamp-handler with the same pauses, from just
#    before vfork() to main().
# 2. Drain rate: a backlog of EVENTS rows, POSTed through nginx once and
#    kept as a template database, is drained by a worker started on a fresh
#    copy with handler /bin/true at concurrency 1, 4 and 8; from the
#    worker's exec to the last finished_at. The worker's own commits never
#    fsync (whatever durability says), so one durability is enough unless
#    BENCH_DRAIN_DURABILITY asks for more. Baseline in the same round:
#    bench/spawn-loop vfork+execve+wait's /bin/true EVENTS times,
#    sequentially and 4 at a time: the worker's per-event process work,
#    without SQLite, pipes, the memfd and the log. CPU ms is the worker's
#    (or spawn-loop's) own CPU time per event, the handlers' excluded.
# 3. Wake-up latency of the other transports, as in 1 (durability = full,
#    concurrency 4): a [route bench] of source gh with handler
#    bench/stream-handler (handler_mode = stream; it stamps CLOCK_REALTIME
#    right after the read() that returns a frame's first byte), and one with
#    url = bench/http-sink (it stamps the read() that returns a request's
#    first byte, keyed on X-Hookq-Event-Id).
# 4. Drain rate per transport: a backlog of TRANSPORT_EVENTS rows (its own
#    template) drained by a [route bench] at concurrency 1 and 8 (the
#    route's and [hookq]'s): exec with handler /bin/true, stream with
#    bench/stream-handler, http with url to bench/http-sink (a fresh sink per
#    drain, which counts connections and requests), from the worker's exec to
#    the last finished_at. The bare loops, in the same round, do the same
#    transport without hookq, TRANSPORT_EVENTS times at 1 and 8 at once:
#    bench/spawn-loop (vfork+execve+wait /bin/true), bench/pipe-loop (frames
#    to bench/stream-handler children, one at a time each) and bench/http-loop
#    (libcurl POSTs of the same body over kept-alive connections to an
#    http-sink). The ratio is the drain's events/s over its loop's at the same
#    concurrency, within the round; CPU is the worker's own µs per event.
# Each round runs both baselines and every drain once, in turn; medians over
# rounds are printed. Traffic goes to 127.0.0.1 only. The database lives in
# a folder of its own, as in /var/lib/hookq, so the worker's inotify watch
# sees only the database's files. The machine is small and noisy (the load
# average is printed before and after): read the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
ROUNDS=${1:-3}
BUILDDIR=${BUILDDIR:-build}
EVENTS=${BENCH_EVENTS:-500}
LAT_EVENTS=${BENCH_LAT_EVENTS:-100}
DRAIN_DURS=${BENCH_DRAIN_DURABILITY:-full}
TRANSPORTS=${BENCH_TRANSPORTS-exec stream http}
TEVENTS=${BENCH_TRANSPORT_EVENTS:-10000}
PARTS=${BENCH_PARTS:-latency drain transports}
TCONCS="1 8"
WARMUP=3
FLOOR_EVENTS=50
case $ROUNDS$EVENTS$LAT_EVENTS$TEVENTS in *[!0-9]*|'') echo "usage: bench/worker.sh [ROUNDS]" >&2; exit 100 ;; esac
for d in $DRAIN_DURS; do
	case $d in full|normal) ;; *) echo "BENCH_DRAIN_DURABILITY: full and/or normal" >&2; exit 100 ;; esac
done
for x in $TRANSPORTS; do
	case $x in exec|stream|http) ;; *) echo "BENCH_TRANSPORTS: exec, stream and/or http" >&2; exit 100 ;; esac
done
for x in $PARTS; do
	case $x in latency|drain|transports) ;; *) echo "BENCH_PARTS: latency, drain and/or transports" >&2; exit 100 ;; esac
done
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

hookq_deps
if [ -f "$BUILDDIR/Makefile" ]; then
	make -C "$BUILDDIR" -s -j"$(nproc)" hookq-receiver hookq-worker
else
	hookq_build "$BUILDDIR" --enable-werror
fi
BB=$(cd "$BUILDDIR" && pwd)
mkdir -p "$BB/bench"
# The handler's start is the measurement: static when the C library allows,
# so no dynamic loading comes before main().
if cc -O2 -Wall -Wextra -static -o "$BB/bench/stamp-handler" bench/stamp-handler.c 2>/dev/null; then
	STAMP_LINK=static
else
	cc -O2 -Wall -Wextra -o "$BB/bench/stamp-handler" bench/stamp-handler.c
	STAMP_LINK=dynamic
fi
cc -O2 -Wall -Wextra -o "$BB/bench/spawn-loop" bench/spawn-loop.c
cc -O2 -Wall -Wextra -o "$BB/bench/stream-handler" bench/stream-handler.c
cc -O2 -Wall -Wextra -o "$BB/bench/pipe-loop" bench/pipe-loop.c
cc -O2 -Wall -Wextra -o "$BB/bench/http-sink" bench/http-sink.c
cc -O2 -Wall -Wextra -o "$BB/bench/http-loop" bench/http-loop.c -lcurl
TRUE=/bin/true

top_srcdir=$PWD top_builddir=$BB
. tests/integration/lib.sh
# Logs are kept (and their tails shown) unless the run gets to the end.
TESTS_FAILED=1
mkdir -p "$T/db"
DB="$T/db/queue.db"
new_secret bench
printf '{"ref":"refs/heads/main","before":"%040d","after":"%040d","repository":{"full_name":"acme/widgets"},"pusher":{"name":"bench"},"commits":[{"id":"%040d","message":"%s"}]}' \
	0 1 2 "$(head -c 600 /dev/zero | tr '\0' 'x')" > "$T/body.json"
# GitHub signs only the body: one signature serves every delivery id.
SIG=$(python3 "$SIGN" github --secret-file "$T/bench.secret" --body "$T/body.json" | sed 's/^[^:]*: //')

config_for() { # DURABILITY CONCURRENCY HANDLER...
	local dur=$1 conc=$2
	shift 2
	write_config "durability = $dur
concurrency = $conc" <<C
[source gh]
scheme = github
secret_file = $T/bench.secret
handler = $*
C
}
# route_config DURABILITY CONCURRENCY TRANSPORT [STAMPFILE]: [route bench]
# takes source gh's events over TRANSPORT (exec: /bin/true; stream:
# bench/stream-handler; http: url to the running http-sink, $SINK_PORT).
route_config() {
	local dur=$1 conc=$2 how
	case $3 in
	exec) how="handler = $TRUE" ;;
	stream) how="handler = $BB/bench/stream-handler${4:+ $4}
handler_mode = stream" ;;
	http) how="url = http://127.0.0.1:$SINK_PORT/hook" ;;
	esac
	write_config "durability = $dur
concurrency = $conc" <<C
[source gh]
scheme = github
secret_file = $T/bench.secret

[route bench]
source = gh
concurrency = $conc
$how
C
}
# start_sink NAME [STAMPFILE]: bench/http-sink on a free loopback port (SINK_PORT),
# its output in $T/NAME.sink. stop_sink: SIGTERM, waits; SINK_STATS is its
# "connections N requests M". (Its pid is in LOAD_PIDS, which lib.sh's cleanup
# kills, should the run end early.)
SINK_PID=
start_sink() {
	rm -f "$T/sink.port"
	"$BB/bench/http-sink" -p "$T/sink.port" ${2:+-s "$2"} > "$T/$1.sink" 2>&1 &
	SINK_PID=$!
	LOAD_PIDS="${LOAD_PIDS:-} $SINK_PID"
	for _ in $(seq 1 100); do
		[ -s "$T/sink.port" ] && { SINK_PORT=$(cat "$T/sink.port"); return 0; }
		sleep 0.05
	done
	bail "http-sink did not start"
}
stop_sink() {
	kill -TERM "$SINK_PID" 2>/dev/null
	wait_exit "$SINK_PID" 10 || bail "http-sink did not stop"
	[ "$EXIT_RC" = 0 ] || bail "http-sink exited $EXIT_RC"
	# Out of LOAD_PIDS again: cleanup's kill of a pid long gone would fail under set -e.
	LOAD_PIDS=$(echo "$LOAD_PIDS" | tr ' ' '\n' | grep -vx "$SINK_PID" | tr '\n' ' ' || true)
	SINK_STATS=$(grep '^connections ' "$T/$1.sink" | sed 's/^connections \([0-9]*\) requests \([0-9]*\)$/\1 \2/')
	SINK_PID=
}
fresh_db() {
	rm -f "$DB" "$DB-wal" "$DB-shm"
}
# wait_done WANT SECONDS: until WANT rows are done; fails after SECONDS.
wait_done() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		[ "$(sql "SELECT count(*) FROM deliveries WHERE status = 'done'" 2>/dev/null)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# cpu_ms PID: the process's own user + system CPU so far, ms (not its children's).
cpu_ms() {
	local st
	st=$(cat "/proc/$1/stat")
	st=${st##*) }
	awk -v s="$st" -v hz="$(getconf CLK_TCK)" 'BEGIN { split(s, f, " "); printf "%d", (f[12] + f[13]) * 1000 / hz }'
}
loadavg() {
	cut -d' ' -f1-3 /proc/loadavg
}

# poster.py: POSTs to /hooks/gh over keep-alive connections.
#   seq PORT PREFIX WARMUP COUNT OUT: one at a time, a 20-100 ms pause before each;
#     OUT gets "ID T_SENT T_OK" per event (time.time(), T_OK right after the body is read).
#   fill PORT PREFIX COUNT CONNS: as fast as CONNS connections go.
# Every answer must be a 200 "stored".
cat > "$T/poster.py" <<'PY'
import http.client, random, sys, threading, time

body = open(sys.argv[1], "rb").read()
sig = sys.argv[2]
mode, port, prefix = sys.argv[3], int(sys.argv[4]), sys.argv[5]

def headers(delivery):
    return {"Content-Type": "application/json", "X-GitHub-Event": "push",
            "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": sig}

def post(conn, delivery):
    conn.request("POST", "/hooks/gh", body, headers(delivery))
    r = conn.getresponse()
    text = r.read()
    if r.status != 200 or not text.startswith(b"stored"):
        sys.exit("poster.py: %s: %d %r" % (delivery, r.status, text[:80]))

if mode == "seq":
    warmup, count, out = int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
    rnd = random.Random(prefix)
    conn = http.client.HTTPConnection("127.0.0.1", port)
    rows = []
    for i in range(warmup + count):
        delivery = "%s-%s-%d" % (prefix, "warm" if i < warmup else "ev", i)
        time.sleep(rnd.uniform(0.020, 0.100) if i >= warmup else 0.2)
        t_sent = time.time()
        post(conn, delivery)
        t_ok = time.time()
        if i >= warmup:
            rows.append("%s %.6f %.6f\n" % (delivery, t_sent, t_ok))
    conn.close()
    with open(out, "w") as f:
        f.writelines(rows)
else:
    count, conns = int(sys.argv[6]), int(sys.argv[7])
    def run(k):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for i in range(k, count, conns):
            post(conn, "%s-%d" % (prefix, i))
        conn.close()
    ts = [threading.Thread(target=run, args=(k,)) for k in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
PY

# latency.py CLIENT STAMPS: joins the client's T_OK with the handler's start per
# event; prints "N P50 P90 P99 MAX RTT50 DUPS" (ms; RTT50: the POST's round trip).
cat > "$T/latency.py" <<'PY'
import math, sys
client = {}
for line in open(sys.argv[1]):
    i, sent, ok = line.split()
    client[i] = (float(sent), float(ok))
stamps, dups = {}, 0
for line in open(sys.argv[2]):
    i, t = line.split()
    if i in stamps:
        dups += 1
    else:
        stamps[i] = float(t)
lat = sorted((stamps[i] - ok) * 1000 for i, (sent, ok) in client.items() if i in stamps)
rtt = sorted((ok - sent) * 1000 for sent, ok in client.values())
missing = len(client) - len(lat)
if missing:
    sys.exit("latency.py: %d events have no handler stamp" % missing)
def pct(a, p):
    return a[max(0, math.ceil(p / 100 * len(a)) - 1)]
print("%d %.2f %.2f %.2f %.2f %.2f %d" % (len(lat), pct(lat, 50), pct(lat, 90), pct(lat, 99),
      lat[-1], pct(rtt, 50), dups))
PY

echo "hookq-worker bench: $ROUNDS rounds, $EVENTS-event backlog, $LAT_EVENTS latency samples," \
	"$(nproc) CPUs, load average $(loadavg), build $BB of $(git describe --always --dirty 2>/dev/null || echo ?)" \
	"($(git status --porcelain -- src 2>/dev/null | wc -l) files changed in src/)," \
	"stamp-handler $STAMP_LINK; transports: ${TRANSPORTS:-none}, $TEVENTS-event backlog; parts: $PARTS"
fresh_db
config_for full 4 "$TRUE"
start_receiver
start_nginx

# --- 1. wake-up latency ------------------------------------------------------
declare -A lat
if part latency; then
	for dur in full normal; do
		stop_receiver
		fresh_db
		rm -f "$T/stamps-$dur"
		config_for "$dur" 4 "$BB/bench/stamp-handler" "$T/stamps-$dur"
		start_receiver
		start_worker "worker-latency-$dur"
		python3 "$T/poster.py" "$T/body.json" "$SIG" seq "$PORT" "lat-$dur" "$WARMUP" "$LAT_EVENTS" \
			"$T/client-$dur"
		wait_done $((WARMUP + LAT_EVENTS)) 30 || bail "latency $dur: the worker did not finish"
		stop_worker
		[ "$WORKER_RC" = 0 ] || bail "latency $dur: the worker exited $WORKER_RC"
		lat[$dur]=$(python3 "$T/latency.py" "$T/client-$dur" "$T/stamps-$dur")
		echo "latency $dur: n p50 p90 p99 max rtt50 dups = ${lat[$dur]}"
	done
	"$BB/bench/spawn-loop" -s "$T/client-floor" "$FLOOR_EVENTS" 1 "$BB/bench/stamp-handler" "$T/stamps-floor" >/dev/null
	lat[floor]=$(python3 "$T/latency.py" "$T/client-floor" "$T/stamps-floor")
	echo "latency floor (vfork -> main): n p50 p90 p99 max = ${lat[floor]% * *}"
fi

# --- 3. wake-up latency, stream and http ---------------------------------------
# (Run here, while nginx and the receiver are up.)
LAT_TRANSPORTS=
if part transports; then
	for x in $TRANSPORTS; do
		[ "$x" = exec ] || LAT_TRANSPORTS="$LAT_TRANSPORTS $x"
	done
fi
for x in $LAT_TRANSPORTS; do
	stop_receiver
	fresh_db
	rm -f "$T/stamps-$x"
	if [ "$x" = http ]; then
		start_sink "sink-latency" "$T/stamps-$x"
		route_config full 4 http
	else
		route_config full 4 stream "$T/stamps-$x"
	fi
	start_receiver
	start_worker "worker-latency-$x"
	python3 "$T/poster.py" "$T/body.json" "$SIG" seq "$PORT" "lat-$x" "$WARMUP" "$LAT_EVENTS" \
		"$T/client-$x"
	wait_done $((WARMUP + LAT_EVENTS)) 30 || bail "latency $x: the worker did not finish"
	stop_worker
	[ "$WORKER_RC" = 0 ] || bail "latency $x: the worker exited $WORKER_RC"
	[ "$x" = http ] && stop_sink "sink-latency"
	# The warm-up events' stamps are not in the client's file: dropped by the join.
	lat[$x]=$(python3 "$T/latency.py" "$T/client-$x" "$T/stamps-$x")
	echo "latency $x: n p50 p90 p99 max rtt50 dups = ${lat[$x]}"
done

# --- 2. drain rate -----------------------------------------------------------
# make_template N FILE: a backlog of N events, POSTed through nginx with no
# worker running, then the database (checkpointed, WAL gone) is the template
# every drain of that size starts from.
make_template() {
	local fill_start fill_s
	stop_receiver
	fresh_db
	config_for normal 4 "$TRUE"
	start_receiver
	fill_start=$EPOCHREALTIME
	python3 "$T/poster.py" "$T/body.json" "$SIG" fill "$PORT" "drain$1" "$1" 8
	fill_s=$(awk -v a="$fill_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
	stop_receiver
	sql 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	[ "$(sql "SELECT count(*) FROM events WHERE routed_at IS NULL")" = "$1" ] ||
		bail "the backlog has $(sql 'SELECT count(*) FROM events') rows, not $1"
	cp "$DB" "$2"
	echo "backlog: $1 events POSTed in ${fill_s}s (8 connections, durability normal)"
}
# drain NAME TEMPLATE N: a worker on a fresh copy of TEMPLATE (config already
# written) until its N deliveries are done; sets SECS (worker exec -> last
# finished_at), RATE (events/s), CPU_US (the worker's own CPU, µs per event) and ROUTED.
drain() {
	local name=$1 t0 t1 r0 r1 cpu again
	fresh_db
	cp "$2" "$DB"
	t0=$EPOCHREALTIME
	start_worker "$name"
	wait_done "$3" 600 || bail "drain $name: not done after 600 s"
	cpu=$(cpu_ms "$WORKER_PID")
	read -r t1 r0 r1 <<< "$(sql "SELECT max(finished_at), min(created_at), max(created_at) FROM deliveries" | tr '|' ' ')"
	stop_worker
	[ "$WORKER_RC" = 0 ] || bail "drain $name: the worker exited $WORKER_RC"
	# How much of the time went to routing (deliveries' created_at, from the exec).
	ROUTED=$(awk -v a="$t0" -v b="$r0" -v c="$r1" 'BEGIN { printf "routed +%.3f..+%.3fs", b / 1000 - a, c / 1000 - a }')
	again=$(sql 'SELECT count(*) FROM deliveries WHERE attempts != 1')
	[ "$again" = 0 ] || echo "warning: drain $name: $again rows took more than one attempt"
	SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b / 1000 - a }')
	RATE=$(awk -v n="$3" -v s="$SECS" 'BEGIN { printf "%d", n / s }')
	CPU_US=$(awk -v n="$3" -v c="$cpu" 'BEGIN { printf "%.1f", c * 1000 / n }')
}
# loop_run N SECONDS CPU: sets RATE (runs/s) and CPU_US (µs per run) of a bare loop's output.
loop_run() {
	RATE=$(awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", n / s }')
	CPU_US=$(awk -v n="$1" -v c="$3" 'BEGIN { printf "%.1f", c * 1e6 / n }')
}

declare -A rates cpus ratio1 ratio4 round_rate
CONFIGS=
if part drain; then
	make_template "$EVENTS" "$T/template.db"
	for d in $DRAIN_DURS; do CONFIGS="$CONFIGS $d-1 $d-4 $d-8"; done
	for round in $(seq 1 "$ROUNDS"); do
		for p in 1 4; do
			read -r n secs cpu <<< "$("$BB/bench/spawn-loop" "$EVENTS" "$p" "$TRUE")"
			rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%d", n / s }')
			cpu=$(awk -v n="$n" -v c="$cpu" 'BEGIN { printf "%.2f", c * 1000 / n }')
			rates[spawn-$p]="${rates[spawn-$p]:-} $rate"
			cpus[spawn-$p]="${cpus[spawn-$p]:-} $cpu"
			round_rate[$p]=$rate
			echo "round $round spawn x$p: $rate runs/s (${secs}s, spawn-loop CPU $cpu ms/run)"
		done
		for c in $CONFIGS; do
			dur=${c%-*} conc=${c#*-}
			fresh_db
			cp "$T/template.db" "$DB"
			config_for "$dur" "$conc" "$TRUE"
			name="worker-drain-$c-r$round"
			t0=$EPOCHREALTIME
			start_worker "$name"
			wait_done "$EVENTS" 120 || bail "drain $c: not done after 120 s"
			cpu=$(cpu_ms "$WORKER_PID")
			t1=$(sql 'SELECT max(finished_at) FROM deliveries')
			stop_worker
			[ "$WORKER_RC" = 0 ] || bail "drain $c: the worker exited $WORKER_RC"
			again=$(sql 'SELECT count(*) FROM deliveries WHERE attempts != 1')
			[ "$again" = 0 ] || echo "warning: drain $c: $again rows took more than one attempt"
			secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b / 1000 - a }')
			rate=$(awk -v n="$EVENTS" -v s="$secs" 'BEGIN { printf "%d", n / s }')
			cpu=$(awk -v n="$EVENTS" -v c="$cpu" 'BEGIN { printf "%.2f", c / n }')
			rates[$c]="${rates[$c]:-} $rate"
			cpus[$c]="${cpus[$c]:-} $cpu"
			# Ratios within the round: the machine's speed drifts between rounds.
			ratio1[$c]="${ratio1[$c]:-} $(awk -v r="$rate" -v b="${round_rate[1]}" 'BEGIN { printf "%.3f", r / b }')"
			ratio4[$c]="${ratio4[$c]:-} $(awk -v r="$rate" -v b="${round_rate[4]}" 'BEGIN { printf "%.3f", r / b }')"
			echo "round $round worker $dur c$conc: $rate events/s (${secs}s, worker CPU ${cpu} ms/event;" \
				"$(grep -o 'stopped: .*' "$T/$name.log" | tail -1))"
		done
	done
fi

# --- 4. drain rate per transport -------------------------------------------------
declare -A trate tcpu tratio tratio1
TCONFIGS=
if part transports && [ -n "$TRANSPORTS" ]; then
	if [ "$TEVENTS" = "$EVENTS" ] && part drain; then
		cp "$T/template.db" "$T/ttemplate.db"
	else
		make_template "$TEVENTS" "$T/ttemplate.db"
	fi
	for x in $TRANSPORTS; do
		for conc in $TCONCS; do TCONFIGS="$TCONFIGS $x-$conc"; done
	done
	for round in $(seq 1 "$ROUNDS"); do
		declare -A base=()
		for x in $TRANSPORTS; do
			for conc in $TCONCS; do
				case $x in
				exec) out=$("$BB/bench/spawn-loop" "$TEVENTS" "$conc" "$TRUE") ;;
				stream) out=$("$BB/bench/pipe-loop" "$TEVENTS" "$conc" "$T/body.json" "$BB/bench/stream-handler") ;;
				http)
					start_sink "sink-loop-$conc-r$round"
					out=$("$BB/bench/http-loop" "$TEVENTS" "$conc" "http://127.0.0.1:$SINK_PORT/hook" "$T/body.json")
					stop_sink "sink-loop-$conc-r$round"
					;;
				esac
				read -r n secs cpu <<< "$out"
				loop_run "$n" "$secs" "$cpu"
				base[$x-$conc]=$RATE
				trate[loop-$x-$conc]="${trate[loop-$x-$conc]:-} $RATE"
				tcpu[loop-$x-$conc]="${tcpu[loop-$x-$conc]:-} $CPU_US"
				echo "round $round bare $x x$conc: $RATE events/s (${secs}s, loop CPU $CPU_US µs/event$([ "$x" = http ] && echo "; sink connections/requests $SINK_STATS"))"
			done
		done
		for c in $TCONFIGS; do
			x=${c%-*} conc=${c#*-}
			name="worker-$c-r$round"
			[ "$x" = http ] && start_sink "sink-$c-r$round"
			route_config full "$conc" "$x"
			drain "$name" "$T/ttemplate.db" "$TEVENTS"
			extra=
			if [ "$x" = http ]; then
				stop_sink "sink-$c-r$round"
				extra="; sink connections/requests $SINK_STATS"
			fi
			trate[$c]="${trate[$c]:-} $RATE"
			tcpu[$c]="${tcpu[$c]:-} $CPU_US"
			tratio[$c]="${tratio[$c]:-} $(awk -v r="$RATE" -v b="${base[$c]}" 'BEGIN { printf "%.3f", r / b }')"
			# The issue's bare loop: one keep-alive connection, one pipe (the x1 loop), when run.
			[ -n "${base[$x-1]:-}" ] && tratio1[$c]="${tratio1[$c]:-} $(awk -v r="$RATE" -v b="${base[$x-1]}" 'BEGIN { printf "%.3f", r / b }')"
			echo "round $round worker $x c$conc: $RATE events/s (${SECS}s, $ROUTED, worker CPU $CPU_US µs/event$extra;" \
				"$(grep -o 'stopped: .*' "$T/$name.log" | tail -1))"
		done
	done
fi

# --- 5. the tables -----------------------------------------------------------
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
if part latency; then
	echo
	echo "Wake-up latency, ms: the client has read the 200 -> the handler's main() ($LAT_EVENTS events" \
		"one at a time, 20-100 ms apart, keep-alive, after $WARMUP warm-up; floor: vfork() -> main()" \
		"in spawn-loop, $FLOOR_EVENTS runs with the same pauses)"
	printf '%-28s %5s %8s %8s %8s %8s %13s\n' "" n p50 p90 p99 max "POST rtt p50"
	for k in full normal floor; do
		read -r n p50 p90 p99 max rtt dups <<< "${lat[$k]}"
		case $k in
		floor) name="floor: vfork+exec only"; rtt=- ;;
		*) name="durability = $k" ;;
		esac
		printf '%-28s %5d %8.2f %8.2f %8.2f %8.2f %13s\n' "$name" "$n" "$p50" "$p90" "$p99" "$max" "$rtt"
		[ "$dups" = 0 ] || echo "  warning: $dups handler runs were for an event already run"
	done
fi
if part drain; then
	s1=$(median <<< "${rates[spawn-1]}")
	s4=$(median <<< "${rates[spawn-4]}")
	echo
	echo "Drain of a $EVENTS-event backlog, handler /bin/true, medians of $ROUNDS rounds" \
		"(ratios: events/s over spawn-loop's runs/s in the same round)"
	printf '%-34s %8s %12s %12s %8s\n' "" "per s" "vs spawn x1" "vs spawn x4" "CPU ms"
	for c in spawn-1 spawn-4 $CONFIGS; do
		r=$(median <<< "${rates[$c]}")
		cpu=$(median <<< "${cpus[$c]}")
		case $c in
		spawn-1) name="spawn /bin/true, sequential"; q1=1; q4=$(awk -v a="$r" -v b="$s4" 'BEGIN { print a / b }') ;;
		spawn-4) name="spawn /bin/true, 4 at a time"; q4=1; q1=$(awk -v a="$r" -v b="$s1" 'BEGIN { print a / b }') ;;
		*) name="worker ${c%-*}, concurrency ${c#*-}"; q1=$(median <<< "${ratio1[$c]}"); q4=$(median <<< "${ratio4[$c]}") ;;
		esac
		awk -v n="$name" -v r="$r" -v a="$q1" -v b="$q4" -v c="$cpu" \
			'BEGIN { printf "%-34s %8d %12.2f %12.2f %8.2f\n", n, r, a, b, c }'
	done
	echo "(CPU ms: per event or run, the worker's or spawn-loop's own user+system time, the" \
		"handlers' excluded; load average now $(loadavg))"
fi
if [ -n "$LAT_TRANSPORTS" ]; then
	echo
	echo "Wake-up latency per transport, ms: the client has read the 200 -> the app's first byte" \
		"(stream: stream-handler's read() of the frame; http: http-sink's read() of the request;" \
		"$LAT_EVENTS events as above, durability = full, concurrency 4)"
	printf '%-28s %5s %8s %8s %8s %8s %13s\n' "" n p50 p90 p99 max "POST rtt p50"
	for k in $LAT_TRANSPORTS; do
		read -r n p50 p90 p99 max rtt dups <<< "${lat[$k]}"
		case $k in stream) name="stream handler" ;; http) name="HTTP delivery (url)" ;; esac
		printf '%-28s %5d %8.2f %8.2f %8.2f %8.2f %13s\n' "$name" "$n" "$p50" "$p90" "$p99" "$max" "$rtt"
		[ "$dups" = 0 ] || echo "  warning: $dups stamps were for an event already delivered"
	done
fi
if [ -n "$TCONFIGS" ]; then
	echo
	echo "Drain of a $TEVENTS-event backlog per transport, medians of $ROUNDS rounds (ratio: the" \
		"worker's events/s over the bare loop's of the same transport and concurrency, same round)"
	printf '%-44s %9s %9s %9s %12s\n' "" "events/s" "vs loop" "vs x1" "CPU µs/ev"
	for c in $TCONFIGS; do
		x=${c%-*} conc=${c#*-}
		case $x in
		exec) wname="per-event command /bin/true"; lname="spawn-loop vfork+exec+wait" ;;
		stream) wname="stream handler"; lname="pipe-loop frames to stream-handler" ;;
		http) wname="HTTP delivery to http-sink"; lname="http-loop libcurl keep-alive" ;;
		esac
		for k in "loop-$c" "$c"; do
			r=$(median <<< "${trate[$k]}")
			cpu=$(median <<< "${tcpu[$k]}")
			case $k in
			loop-*) name="bare: $lname, x$conc"; q=1; q1=- ;;
			*) name="worker: $wname, c$conc"; q=$(median <<< "${tratio[$k]}")
				q1=$(median <<< "${tratio1[$k]:-}"); q1=${q1:--} ;;
			esac
			awk -v n="$name" -v r="$r" -v q="$q" -v q1="$q1" -v c="$cpu" \
				'BEGIN { printf "%-44s %9d %9.2f %9s %12.1f\n", n, r, q, q1, c }'
		done
	done
	echo "(vs x1: over the bare loop of one keep-alive connection or one pipe, the issue's baseline;" \
		"vs loop: over the bare loop with as many connections or pipes as the worker's concurrency)"
	echo "(CPU µs: per event, the worker's or the bare loop's own user+system time; the handlers'," \
		"the sink's excluded; load average now $(loadavg))"
	echo "Goals: HTTP >= 3000 events/s and >= 0.5 of the bare loop; stream >= 5000 events/s;" \
		"wake-up p50 <= 3 ms for both."
fi
TESTS_FAILED=0
