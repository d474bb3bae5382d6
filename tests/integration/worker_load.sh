#!/bin/bash
# worker_load.sh: the receiver under steady load while one hookq-worker
# (concurrency 4, a handler that exits 0) drains the queue. For LOAD_S
# seconds CLIENTS clients post GitHub-signed events through nginx at RATE
# requests per second in all (steady, so that the worker, whose rate on the
# 2-core VM is bounded by how fast it can start processes, a few hundred a
# second, drains the backlog within the test's time); busy_timeout stays at its default (2000 ms). No answer may be 503
# (the worker's claims and results share the write lock with the receiver),
# the receiver logs no outcome=unavailable, every stored event ends done with
# attempts 1, and the WAL does not stay large: the worker truncates it every
# 10 s, so once the load is over the -wal file shrinks below 4 MiB, to 0
# (SQLite only).
# RATE=0 takes the pause out (thousands of events; the drain then takes minutes).

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

LOAD_S=${LOAD_S:-8}
CLIENTS=${CLIENTS:-6}
RATE=${RATE:-60}
WAL_LIMIT=$((4 * 1024 * 1024))

new_secret gh
write_config "concurrency = 4" <<C
[source github]
scheme = github
secret_file = $T/gh.secret
handler = /bin/true
handler_timeout = 10s
backoff_base = 100ms
C
start_receiver
start_nginx
start_worker

# wal_size: the -wal file's size in bytes (0 when there is none).
wal_size() {
	stat -c %s "$DB-wal" 2>/dev/null || echo 0
}

# The load generator: CLIENTS threads, one keep-alive connection each, posting
# distinct GitHub-signed events to 127.0.0.1 for LOAD_S seconds at RATE
# requests a second in all (a client that falls behind sends at once; a rate
# of 0 means no pause). Prints counts (never the secret) and, in
# $T/stored.ids, the ids answered "stored".
cat > "$T/load.py" <<'PY'
import hashlib, hmac, http.client, json, sys, threading, time

port, secret_file, seconds, clients, rate, out = (int(sys.argv[1]), sys.argv[2], float(sys.argv[3]),
    int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
with open(secret_file, "rb") as f:
    secret = [l.strip() for l in f if l.strip()][0]
lock = threading.Lock()
statuses, answers, errors, stored = {}, {}, [], []
begin = time.monotonic()
deadline = begin + seconds

def client(c):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    while time.monotonic() < deadline:
        if rate > 0:
            # This client's i-th request is due at begin + (i * clients + c) / rate.
            pause = begin + (i * clients + c) / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            if time.monotonic() >= deadline:
                break
        i += 1
        delivery = "l-%d-%06d" % (c, i)
        body = json.dumps({"client": c, "n": i, "pad": "x" * (i % 200)}, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
        }
        try:
            conn.request("POST", "/hooks/github", body, headers)
            r = conn.getresponse()
            text = r.read().decode("utf-8", "replace").strip()
            with lock:
                statuses[r.status] = statuses.get(r.status, 0) + 1
                answers[text] = answers.get(text, 0) + 1
                if r.status == 200 and text == "stored":
                    stored.append(delivery)
        except Exception as e:
            with lock:
                errors.append("%s: %r" % (delivery, e))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()

start = time.monotonic()
threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join(max(1.0, seconds + 60 - (time.monotonic() - start)))
with lock:
    with open(out, "w") as f:
        f.write("".join(d + "\n" for d in stored))
    total = sum(statuses.values())
    print("elapsed %.1f" % (time.monotonic() - start))
    print("requests %d" % total)
    print("rate %.0f" % (total / max(0.001, time.monotonic() - start)))
    print("unfinished %d" % sum(t.is_alive() for t in threads))
    print("statuses " + " ".join("%s=%d" % kv for kv in sorted(statuses.items())))
    print("answers " + " ".join("%s=%d" % kv for kv in sorted(answers.items())))
    print("errors %d" % len(errors))
    for e in errors[:5]:
        print("error " + e)
PY

# The WAL's size, sampled while the load runs (for the diagnostics).
( while :; do wal_size; sleep 0.2; done ) > "$T/wal.samples" 2>/dev/null &
SAMPLER=$!
# lib.sh's cleanup waits for every child: stop the sampler first, whatever happens.
trap 'kill "$SAMPLER" 2>/dev/null; cleanup' EXIT

timeout $((LOAD_S + 90)) python3 "$T/load.py" "$PORT" "$T/gh.secret" "$LOAD_S" "$CLIENTS" "$RATE" "$T/stored.ids" \
	> "$T/load.out" 2>&1
rc=$?
t_load_end=$(date +%s)
sed 's/^/# /' "$T/load.out"
result() { sed -n "s/^$1 //p" "$T/load.out"; }
requests=$(result requests)
stored=$(wc -l < "$T/stored.ids" | tr -d ' ')
pending_at_end=$(sql "SELECT (SELECT count(*) FROM events WHERE routed_at IS NULL) +
	(SELECT count(*) FROM deliveries WHERE status <> 'done')")
echo "# rows not done yet when the load ended: $pending_at_end of $(count_rows)"

case_start
want "load generator exit" 0 "$rc"
want "clients still running" 0 "$(result unfinished)"
want "transport errors" 0 "$(result errors)"
want "statuses" "200=${requests:-?}" "$(result statuses)"
want "answers" "stored=${requests:-?}" "$(result answers)"
want_true "requests made (${requests:-0}, at least half the planned $((RATE * LOAD_S)))" \
	[ "${requests:-0}" -ge $((RATE * LOAD_S / 2)) ]
case_end "$CLIENTS clients, ${RATE}/s for ${LOAD_S}s while the worker drains: every answer 200 stored, none 503"

case_start
want "receiver log lines outcome=unavailable" 0 "$(grep -c 'outcome=unavailable' "$T/receiver.log")"
want "receiver log lines with status=503" 0 "$(grep -c 'status=503' "$T/receiver.log")"
want "receiver warnings" 0 "$(grep -c 'warning' "$T/receiver.log")"
want_true "receiver logged every request" log_wait 0 'outcome=stored' "${requests:-1}" 10
case_end "the receiver logged no unavailable outcome and no warning"

case_start
want "rows" "$stored" "$(count_rows)"
# Generous: 40 s, plus 1 s for every 40 events (RATE=0, no pause, stores thousands).
drain_s=$((40 + stored / 40))
want "rows done within $drain_s s" "$stored" \
	"$(wait_sql "SELECT count(*) FROM delivery_events WHERE status = 'done'" "$stored" "$drain_s")"
want "rows with attempts <> 1 or an error" 0 \
	"$(sql "SELECT count(*) FROM deliveries WHERE attempts <> 1 OR last_error IS NOT NULL OR finished_at IS NULL")"
want "events without exactly one delivery" 0 \
	"$(sql "SELECT count(*) FROM events WHERE (SELECT count(*) FROM deliveries WHERE event = events.id) <> 1")"
sql "SELECT event_id FROM delivery_events WHERE status = 'done'" | sort > "$T/done.ids"
want "ids answered stored but not done" 0 "$(sort "$T/stored.ids" | comm -23 - "$T/done.ids" | wc -l | tr -d ' ')"
want "worker warnings" 0 "$(grep -c 'warning' "$T/worker.log")"
want "worker runs that were not exit 0" 0 "$(grep ' ms=' "$T/worker.log" | grep -vc ' exit 0 ms=.* result=done')"
case_end "every stored event ends done, attempts 1; the worker logged no warning"
echo "# drained $(( $(date +%s) - t_load_end )) s after the load ended"

# ---- the WAL -------------------------------------------------------------------------

if [ "$STORE" = pg ]; then
	kill "$SAMPLER" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	skip "the WAL stays bounded: truncated after the load" "SQLite only: its -wal file"
else
peak=$(sort -n "$T/wal.samples" | tail -n 1)
echo "# WAL while loaded: peak ${peak:-?} bytes over $(wc -l < "$T/wal.samples") samples; now $(wal_size)"
case_start
for _ in $(seq 1 $((25 * 5))); do
	[ "$(wal_size)" -lt "$WAL_LIMIT" ] && break
	sleep 0.2
done
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
size=$(wal_size)
want_true "the WAL is below $WAL_LIMIT bytes within 25 s of the drain ($size bytes)" [ "$size" -lt "$WAL_LIMIT" ]
# The receiver only runs PASSIVE checkpoints, which never shrink the file:
# a size of 0 is the worker's TRUNCATE (every 10 s), so wait for it.
for _ in $(seq 1 $((25 * 5))); do
	[ "$(wal_size)" -eq 0 ] && break
	sleep 0.2
done
want "the WAL file's size within 25 s (a TRUNCATE checkpoint)" 0 "$(wal_size)"
case_end "the WAL stays bounded: truncated after the load"
fi

case_start
stop_worker
want "worker exit status" 0 "$WORKER_RC"
want "worker stop line" 1 "$(grep -c "stopped: $stored events routed (0 to no route); deliveries: $stored done, 0 retried, 0 dead, 0 released, 0 overtaken" "$T/worker.log")"
stop_receiver
want "receiver exit status" 0 "$RECEIVER_RC"
case_end "SIGTERM: the worker ($stored done) and the receiver exit 0"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
