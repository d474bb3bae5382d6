#!/bin/bash
# bench/worker.sh: hookq-worker's wake-up latency and drain rate, each next
# to what merely starting processes costs on the same machine in the same run.
#
# usage: bench/worker.sh [ROUNDS]        (default 3)
# Environment: BUILDDIR (default build; a folder directly in this checkout,
# configured and built when it has no Makefile), BENCH_EVENTS (drain backlog, default
# 500), BENCH_LAT_EVENTS (latency samples per durability, default 100),
# BENCH_DRAIN_DURABILITY (default "full"; "full normal" drains under both).
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
WARMUP=3
FLOOR_EVENTS=50
case $ROUNDS$EVENTS$LAT_EVENTS in *[!0-9]*|'') echo "usage: bench/worker.sh [ROUNDS]" >&2; exit 100 ;; esac
for d in $DRAIN_DURS; do
	case $d in full|normal) ;; *) echo "BENCH_DRAIN_DURABILITY: full and/or normal" >&2; exit 100 ;; esac
done

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
	"stamp-handler $STAMP_LINK"
fresh_db
config_for full 4 "$TRUE"
start_receiver
start_nginx

# --- 1. wake-up latency ------------------------------------------------------
declare -A lat
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

# --- 2. drain rate -----------------------------------------------------------
# The backlog, once: POSTed through nginx with no worker running, then the
# database (checkpointed, WAL gone) is the template every drain starts from.
stop_receiver
fresh_db
config_for normal 4 "$TRUE"
start_receiver
fill_start=$EPOCHREALTIME
python3 "$T/poster.py" "$T/body.json" "$SIG" fill "$PORT" drain "$EVENTS" 8
fill_s=$(awk -v a="$fill_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
stop_receiver
sql 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
[ "$(sql "SELECT count(*) FROM events WHERE routed_at IS NULL")" = "$EVENTS" ] ||
	bail "the backlog has $(sql 'SELECT count(*) FROM events') rows, not $EVENTS"
cp "$DB" "$T/template.db"
echo "backlog: $EVENTS events POSTed in ${fill_s}s (8 connections, durability normal)"

CONFIGS=
for d in $DRAIN_DURS; do CONFIGS="$CONFIGS $d-1 $d-4 $d-8"; done
declare -A rates cpus ratio1 ratio4 round_rate
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

# --- 3. the tables -----------------------------------------------------------
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
s1=$(median <<< "${rates[spawn-1]}")
s4=$(median <<< "${rates[spawn-4]}")
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
TESTS_FAILED=0
