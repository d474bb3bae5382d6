#!/bin/bash
# bench/receiver.sh: hookq-receiver's throughput through nginx, as a ratio
# of a no-op FastCGI responder's (bench/noop-fcgi: same thread model, no
# verification, no database) measured in the same run on the same nginx.
#
# usage: bench/receiver.sh [ROUNDS] [SECONDS]   (defaults 3 rounds of 10 s)
# Backends: the no-op baseline; hookq with durability full and normal at the
# default 4 threads; hookq durability full with 16 threads (threads bound the
# requests in flight, so they bound how many events share one fsync).
# Each round runs every backend once, in turn; medians over rounds are
# printed. Traffic goes to 127.0.0.1 only. The machine is small and noisy:
# read the ratios, not the absolute rates.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
ROUNDS=${1:-3}
SECS=${2:-10}
CONNS=${BENCH_CONNECTIONS:-32}
hookq_deps wrk:/usr/bin/wrk
hookq_build build --enable-werror
make -C build -s bench/noop-fcgi

top_srcdir=$PWD top_builddir=$PWD/build
. tests/integration/lib.sh
new_secret bench
printf '{"ref":"refs/heads/main","before":"%040d","after":"%040d","repository":{"full_name":"acme/widgets"},"pusher":{"name":"bench"},"commits":[{"id":"%040d","message":"%s"}]}' \
	0 1 2 "$(head -c 600 /dev/zero | tr '\0' 'x')" > "$T/body.json"
export BENCH_BODY
BENCH_BODY=$(cat "$T/body.json")
export BENCH_SIG
BENCH_SIG=$(python3 "$SIGN" github --secret-file "$T/bench.secret" --body "$T/body.json" | sed 's/^[^:]*: //')

# Backends: name and the command that serves $SOCK.
config_for() { # DURABILITY THREADS
	write_config "durability = $1" <<C
[source gh]
scheme = github
secret_file = $T/bench.secret
C
	sed -i "s/^threads = .*/threads = $2/" "$T/hookq.conf"
}
start_backend() {
	rm -f "$SOCK" "$DB" "$DB-wal" "$DB-shm"
	case $1 in
	noop) "$top_builddir/bench/noop-fcgi" "$SOCK" 4 & RECEIVER_PID=$! ;;
	full) config_for full 4 ;;
	normal) config_for normal 4 ;;
	full16) config_for full 16 ;;
	esac
	case $1 in
	noop) ;;
	*) "$RECEIVER" -c "$T/hookq.conf" >> "$T/receiver-$1.log" 2>&1 & RECEIVER_PID=$! ;;
	esac
	for _ in $(seq 1 100); do [ -S "$SOCK" ] && return 0; sleep 0.05; done
	bail "backend $1 did not start"
}

BACKENDS="noop full normal full16"
start_backend noop
start_nginx
kill "$RECEIVER_PID"; wait "$RECEIVER_PID" 2>/dev/null || true; RECEIVER_PID=

declare -A rates p50s p99s events_per_tx
for round in $(seq 1 "$ROUNDS"); do
	for b in $BACKENDS; do
		start_backend "$b"
		export BENCH_RUN="r$round$b"
		out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" -s bench/github.lua "$URL/hooks/gh" | grep '^BENCH')
		kill -TERM "$RECEIVER_PID"; wait "$RECEIVER_PID" 2>/dev/null || true; RECEIVER_PID=
		req=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<< "$out")
		dur=$(sed 's/.*duration_us=\([0-9]*\).*/\1/' <<< "$out")
		bad=$(sed 's/.*non2xx=\([0-9]*\).*/\1/' <<< "$out")
		rate=$((req * 1000000 / dur))
		rates[$b]="${rates[$b]:-} $rate"
		p50s[$b]="${p50s[$b]:-} $(sed 's/.*p50_us=\([0-9]*\).*/\1/' <<< "$out")"
		p99s[$b]="${p99s[$b]:-} $(sed 's/.*p99_us=\([0-9]*\).*/\1/' <<< "$out")"
		extra=""
		if [ "$b" != noop ]; then
			rows=$(sql "SELECT count(*) FROM events")
			extra=" rows=$rows $(grep -o 'stopped: .*' "$T/receiver-$b.log" | tail -1)"
			# Every 200 is a committed row: wrk counts requests it completed.
			[ "$bad" -eq 0 ] || echo "warning: $bad non-2xx answers from $b"
		fi
		echo "round $round $b: $rate req/s, non-2xx $bad$extra"
		[ "$b" = noop ] || events_per_tx[$b]="${events_per_tx[$b]:-} $(grep -o 'stopped: .*' "$T/receiver-$b.log" | tail -1 | awk '{ printf "%.1f", $2 / $6 }')"
	done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
base=$(median <<< "${rates[noop]}")
echo
echo "hookq-receiver vs a no-op FastCGI responder (4 threads), $CONNS connections, wrk -t2, ${SECS}s x $ROUNDS rounds, medians"
printf '%-28s %10s %8s %10s %10s %10s\n' backend "req/s" ratio "p50 ms" "p99 ms" "events/tx"
for b in $BACKENDS; do
	r=$(median <<< "${rates[$b]}")
	p50=$(median <<< "${p50s[$b]}")
	p99=$(median <<< "${p99s[$b]}")
	case $b in
	noop) name="no-op responder" ;;
	full) name="hookq full, 4 threads" ;;
	normal) name="hookq normal, 4 threads" ;;
	full16) name="hookq full, 16 threads" ;;
	esac
	ept=$( [ "$b" = noop ] && echo - || median <<< "${events_per_tx[$b]}")
	awk -v n="$name" -v r="$r" -v b="$base" -v p50="$p50" -v p99="$p99" -v e="$ept" \
		'BEGIN { printf "%-28s %10d %8.2f %10.2f %10.2f %10s\n", n, r, r / b, p50 / 1000, p99 / 1000, e }'
done
TESTS_FAILED=0
