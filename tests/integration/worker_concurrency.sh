#!/bin/bash
# worker_concurrency.sh: two hookq-workers (concurrency 4 each) on one
# database while 300 events arrive through nginx from 8 parallel clients
# (two sources, 150 each). Every event is handled exactly once: the handler
# appends one line per run to a log (O_APPEND, one short write each), and
# afterwards the log holds 300 distinct lines, one per row, all attempt 1;
# every row is done with attempts 1; both workers took part; both exit 0 on
# SIGTERM and their "stopped:" counts add up to 300.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

PER_SOURCE=150
EVENTS=$((2 * PER_SOURCE))
CLIENTS=8

# One line per run; the short pause lets the work spread over both workers.
cat > "$T/handler.sh" <<'SH'
#!/bin/sh
echo "$HOOKQ_SOURCE $HOOKQ_EVENT_ID $HOOKQ_ROW_ID $HOOKQ_ATTEMPT" >> "$1"
sleep 0.05
exit 0
SH
chmod +x "$T/handler.sh"
: > "$T/handled.log"

new_secret gh
write_config "concurrency = 4" <<C
[source alpha]
scheme = github
secret_file = $T/gh.secret
handler = $T/handler.sh $T/handled.log
handler_timeout = 20s
backoff_base = 100ms

[source beta]
scheme = github
secret_file = $T/gh.secret
handler = $T/handler.sh $T/handled.log
handler_timeout = 20s
backoff_base = 100ms
C
start_receiver
start_nginx
start_worker w1
W1_PID=$WORKER_PID
start_worker w2
W2_PID=$WORKER_PID

# claimant NAME: the claimed_by value of the worker logging to $T/NAME.log.
claimant() {
	sed -n 's/.* worker \([^ ]*\): database .*/\1/p' "$T/$1.log" | tail -n 1
}
W1=$(claimant w1)
W2=$(claimant w2)

# The load generator: GitHub-signed POSTs to 127.0.0.1 only, one keep-alive
# connection per client thread; events alternate between the two sources.
# Prints counts, never the secret.
cat > "$T/post.py" <<'PY'
import hashlib, hmac, http.client, json, queue, sys, threading, time

port, secret_file, per_source, clients = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(secret_file, "rb") as f:
    secret = [l.strip() for l in f if l.strip()][0]
work = queue.Queue()
for i in range(per_source):
    for source in ("alpha", "beta"):
        work.put((source, i))
lock = threading.Lock()
statuses, answers, errors = {}, {}, []

def client():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while True:
        try:
            source, i = work.get_nowait()
        except queue.Empty:
            break
        body = json.dumps({"source": source, "n": i}, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "%s-%04d" % (source, i),
            "X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
        }
        try:
            conn.request("POST", "/hooks/" + source, body, headers)
            r = conn.getresponse()
            text = r.read().decode("utf-8", "replace").strip()
            with lock:
                statuses[r.status] = statuses.get(r.status, 0) + 1
                answers[text] = answers.get(text, 0) + 1
        except Exception as e:
            with lock:
                errors.append("%s-%04d: %r" % (source, i, e))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()

start = time.monotonic()
threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join(max(1.0, 60 - (time.monotonic() - start)))
with lock:
    print("elapsed %.1f" % (time.monotonic() - start))
    print("unfinished %d" % sum(t.is_alive() for t in threads))
    print("statuses " + " ".join("%s=%d" % kv for kv in sorted(statuses.items())))
    print("answers " + " ".join("%s=%d" % kv for kv in sorted(answers.items())))
    print("errors %d" % len(errors))
    for e in errors[:5]:
        print("error " + e)
PY

timeout 90 python3 "$T/post.py" "$PORT" "$T/gh.secret" "$PER_SOURCE" "$CLIENTS" > "$T/post.out" 2>&1
rc=$?
sed 's/^/# /' "$T/post.out"
result() { sed -n "s/^$1 //p" "$T/post.out"; }

case_start
want "load generator exit" 0 "$rc"
want "clients still running" 0 "$(result unfinished)"
want "transport errors" 0 "$(result errors)"
want "statuses" "200=$EVENTS" "$(result statuses)"
want "answers" "stored=$EVENTS" "$(result answers)"
want rows "$EVENTS" "$(count_rows)"
case_end "$EVENTS events from $CLIENTS clients through nginx: every answer 200 stored, $EVENTS rows"

# ---- every row done, once --------------------------------------------------------

case_start
want "rows done within 60 s" "$EVENTS" \
	"$(wait_sql "SELECT count(*) FROM delivery_events WHERE status = 'done'" "$EVENTS" 60)"
want "rows not done, or attempts <> 1, or with last_error" 0 \
	"$(sql "SELECT count(*) FROM deliveries WHERE status <> 'done' OR attempts <> 1 OR last_error IS NOT NULL
		OR lease_until IS NOT NULL OR finished_at IS NULL")"
want "events without exactly one delivery, on the route of their source" 0 \
	"$(sql "SELECT count(*) FROM events WHERE routed_at IS NULL OR routes IS DISTINCT FROM 1
		OR (SELECT count(*) FROM deliveries WHERE event = events.id AND route = events.source) <> 1
		OR (SELECT count(*) FROM deliveries WHERE event = events.id) <> 1")"
case_end "all $EVENTS rows done with attempts 1"

case_start
want "handler runs (log lines)" "$EVENTS" "$(wc -l < "$T/handled.log" | tr -d ' ')"
want "distinct log lines" "$EVENTS" "$(sort -u "$T/handled.log" | wc -l | tr -d ' ')"
want "distinct source + event id" "$EVENTS" "$(awk '{print $1, $2}' "$T/handled.log" | sort -u | wc -l | tr -d ' ')"
want "distinct row ids" "$EVENTS" "$(awk '{print $3}' "$T/handled.log" | sort -u | wc -l | tr -d ' ')"
want "runs with an attempt other than 1" 0 "$(awk '$4 != 1' "$T/handled.log" | wc -l | tr -d ' ')"
want "malformed log lines" 0 "$(awk 'NF != 4' "$T/handled.log" | wc -l | tr -d ' ')"
sql "SELECT source || ' ' || event_id || ' ' || event || ' ' || attempts FROM delivery_events" | sort > "$T/expected.log"
sort "$T/handled.log" > "$T/handled.sorted"
want "log lines that differ from the table's rows" 0 \
	"$(diff "$T/expected.log" "$T/handled.sorted" | grep -c '^[<>]')"
case_end "exactly once: $EVENTS handler runs, one per row, with the row's source, event id, row id and attempt 1"

# ---- both workers took part ----------------------------------------------------------

n1=$(sql "SELECT count(*) FROM deliveries WHERE claimed_by = $(sql_str "$W1")")
n2=$(sql "SELECT count(*) FROM deliveries WHERE claimed_by = $(sql_str "$W2")")
echo "# rows done by w1: $n1, by w2: $n2"
case_start
want_true "two distinct claimants logged" [ -n "$W1" -a -n "$W2" -a "$W1" != "$W2" ]
want "distinct claimed_by" 2 "$(sql 'SELECT count(DISTINCT claimed_by) FROM deliveries')"
want "rows claimed by neither worker" 0 \
	"$(sql "SELECT count(*) FROM deliveries WHERE claimed_by NOT IN ($(sql_str "$W1"), $(sql_str "$W2"))")"
want_true "w1 did some of the work ($n1 rows)" [ "${n1:-0}" -gt 0 ]
want_true "w2 did some of the work ($n2 rows)" [ "${n2:-0}" -gt 0 ]
want "w1 log lines result=done" "$n1" "$(grep -c 'result=done' "$T/w1.log")"
want "w2 log lines result=done" "$n2" "$(grep -c 'result=done' "$T/w2.log")"
want "warnings about results not recorded" 0 "$(cat "$T/w1.log" "$T/w2.log" | grep -c 'not recorded\|cannot')"
case_end "both workers handled events; each logged done for exactly the rows it claimed"

# ---- SIGTERM: both exit 0 ---------------------------------------------------------------

case_start
stop_worker "$W1_PID"
want "w1 exit status" 0 "$WORKER_RC"
stop_worker "$W2_PID"
want "w2 exit status" 0 "$WORKER_RC"
want "w1 stop line" 1 "$(grep -cE "stopped: [0-9]+ events routed \(0 to no route\); deliveries: $n1 done, 0 retried, 0 dead, 0 released, 0 overtaken" "$T/w1.log")"
want "w2 stop line" 1 "$(grep -cE "stopped: [0-9]+ events routed \(0 to no route\); deliveries: $n2 done, 0 retried, 0 dead, 0 released, 0 overtaken" "$T/w2.log")"
r1=$(sed -n 's/.*stopped: \([0-9]*\) events routed .*/\1/p' "$T/w1.log")
r2=$(sed -n 's/.*stopped: \([0-9]*\) events routed .*/\1/p' "$T/w2.log")
want "events routed by w1 ($r1) and w2 ($r2), each once" "$EVENTS" "$(( ${r1:-0} + ${r2:-0} ))"
case_end "SIGTERM: both workers exit 0; their done counts add up to $EVENTS, and so do their routed counts"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
