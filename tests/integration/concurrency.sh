#!/bin/bash
# concurrency.sh: 500 distinct events from 16 concurrent clients, each event
# sent twice (the two copies back to back in the work queue, so they are
# often in flight at the same time and land in the same group commit).
# Every answer must be 200, the table must hold each event exactly once with
# its own body, and the receiver must log 500 stored and 500 duplicate.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

EVENTS=500
CLIENTS=16

new_secret gh
write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret
C
start_receiver
start_nginx

# The load generator: signs like GitHub (hmac module), one keep-alive
# connection per client thread, 127.0.0.1 only. Prints counts, not secrets.
cat > "$T/load.py" <<'PY'
import hashlib, hmac, http.client, json, queue, sys, threading, time

port, secret_file, events, clients = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(secret_file, "rb") as f:
    secret = [l.strip() for l in f if l.strip()][0]

work = queue.Queue()
for i in range(events):
    work.put(i)
    work.put(i)   # the retry, right behind the first copy
lock = threading.Lock()
statuses, answers, errors = {}, {}, []

def client():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while True:
        try:
            i = work.get_nowait()
        except queue.Empty:
            break
        body = json.dumps({"n": i, "pad": "x" * (i % 97)}, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "c-%04d" % i,
            "X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
        }
        try:
            conn.request("POST", "/hooks/github", body, headers)
            r = conn.getresponse()
            text = r.read().decode("utf-8", "replace").strip()
            with lock:
                statuses[r.status] = statuses.get(r.status, 0) + 1
                answers[text] = answers.get(text, 0) + 1
        except Exception as e:
            with lock:
                errors.append("c-%04d: %r" % (i, e))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()

start = time.monotonic()
threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join(max(1.0, 120 - (time.monotonic() - start)))
elapsed = time.monotonic() - start
with lock:
    print("elapsed %.1f" % elapsed)
    print("unfinished %d" % sum(t.is_alive() for t in threads))
    print("statuses " + " ".join("%s=%d" % kv for kv in sorted(statuses.items())))
    print("answers " + " ".join("%s=%d" % kv for kv in sorted(answers.items())))
    print("errors %d" % len(errors))
    for e in errors[:5]:
        print("error " + e)
PY

timeout 150 python3 "$T/load.py" "$PORT" "$T/gh.secret" "$EVENTS" "$CLIENTS" > "$T/load.out" 2>&1
rc=$?
sed 's/^/# /' "$T/load.out"
result() { sed -n "s/^$1 //p" "$T/load.out"; }

case_start
want "load generator exit" 0 "$rc"
want "clients still running" 0 "$(result unfinished)"
want "transport errors" 0 "$(result errors)"
want "statuses" "200=$((2 * EVENTS))" "$(result statuses)"
case_end "$((2 * EVENTS)) requests from $CLIENTS clients: every answer is 200"

check "answers: $EVENTS stored, $EVENTS duplicate" "duplicate=$EVENTS stored=$EVENTS" "$(result answers)"

# c- and four digits (SQLite has GLOB, PostgreSQL regular expressions).
if [ "$STORE" = sqlite ]; then
	c_id="event_id GLOB 'c-[0-9][0-9][0-9][0-9]'"
else
	c_id="event_id ~ '^c-[0-9]{4}\$'"
fi
case_start
want rows "$EVENTS" "$(count_rows)"
want "distinct event ids" "$EVENTS" "$(sql 'SELECT count(DISTINCT event_id) FROM events')"
want "ids outside c-0000..c-0499" 0 \
	"$(sql "SELECT count(*) FROM events WHERE
		CASE WHEN $c_id THEN CAST(substr(event_id, 3) AS INTEGER) >= $EVENTS ELSE 1 = 1 END")"
case_end "exactly $EVENTS rows, $EVENTS distinct event ids"

# Each row holds the body sent with its own delivery id, not another request's.
check "every row's body is the one sent with its event id" 0 \
	"$(sql "SELECT count(*) FROM events
		WHERE CAST($(sql_json "$(sql_body_text body)" n) AS INTEGER)
			IS DISTINCT FROM CAST(substr(event_id, 3) AS INTEGER)
		OR routed_at IS NOT NULL OR event_type IS DISTINCT FROM 'push'
		OR id IN (SELECT event FROM deliveries)")"

case_start
log_wait 0 'outcome=(stored|duplicate)' $((2 * EVENTS)) 5
want "log lines outcome=stored" "$EVENTS" "$(grep -c 'source="github" .*status=200 outcome=stored' "$T/receiver.log")"
want "log lines outcome=duplicate" "$EVENTS" "$(grep -c 'source="github" .*status=200 outcome=duplicate' "$T/receiver.log")"
want "other request log lines" 0 "$(grep -c 'status=' "$T/receiver.log" | awk -v n=$((2 * EVENTS)) '{print $1 - n}')"
case_end "receiver log: $EVENTS stored + $EVENTS duplicate"

elapsed=$(result elapsed)
case_start
want_true "load took ${elapsed:-?} s" awk -v e="${elapsed:-999}" 'BEGIN { exit !(e < 60) }'
case_end "load finished within 60 s"

# For information: how many transactions the group commit needed.
stop_receiver
sed -n 's/.*\(stopped: .*\)/# receiver \1/p' "$T/receiver.log"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
