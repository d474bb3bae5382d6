#!/bin/bash
# rotation.sh: rotating a secret without downtime. The secret_file holds the
# old and the new secret while senders switch; then it holds only the new
# one and SIGHUP makes the receiver read it. A bad config on SIGHUP is
# refused and the running one stays.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

new_secret old
new_secret new
new_secret third
cat "$T/old.secret" "$T/new.secret" > "$T/rot.secret"
chmod 600 "$T/rot.secret"

# config SECRET_FILE [EXTRA SOURCE LINE]
config() {
	write_config <<C
[source github]
scheme = github
secret_file = $1
${2:-}
C
}
config "$T/rot.secret"
start_receiver
start_nginx

b=$(body ev.json '{"zen":"Rotate your secrets."}')
# send SECRET ID: a GitHub delivery ID signed with $T/SECRET.secret; prints the status.
send() {
	EXTRA_HEADERS="X-GitHub-Delivery: $2"$'\n''X-GitHub-Event: push' \
		post_signed github github "$T/$1.secret" "$b"
}
# stored ID: the number of rows for delivery ID.
stored() {
	rows github "$1"
}

case_start
want "old secret (line 1)" 200 "$(send old r1)"
want "row" 1 "$(stored r1)"
want "new secret (line 2)" 200 "$(send new r2)"
want "row" 1 "$(stored r2)"
case_end "secret_file with two lines: either secret is accepted"

cp "$T/new.secret" "$T/rot.secret"
check "file rewritten, no SIGHUP yet: the running config still accepts the old secret" \
	200 "$(send old r3)"

check "SIGHUP: receiver reloads" reloaded "$(reload_receiver)"

case_start
want "old secret" 401 "$(send old r4)"
want "row" 0 "$(stored r4)"
want "new secret" 200 "$(send new r5)"
want "row" 1 "$(stored r5)"
case_end "after SIGHUP: old secret 401, new secret 200"

# A bad config that would also switch to a third secret, were it applied.
mark=$(log_mark)
config "$T/third.secret" "no_such_key = 1"
check "SIGHUP with an unknown key: reload fails" failed "$(reload_receiver)"

case_start
want_true "log says the reload failed" log_wait "$mark" 'reload failed'
want_true "log names the unknown key" log_wait "$mark" "no_such_key"
want_true "receiver still running" kill -0 "$RECEIVER_PID"
case_end "failed reload is logged, the receiver keeps running"

case_start
want "new secret" 200 "$(send new r6)"
want "row" 1 "$(stored r6)"
want "third secret (only in the refused config)" 401 "$(send third r7)"
want "row" 0 "$(stored r7)"
case_end "after the failed reload the running config still verifies"

config "$T/third.secret"
check "SIGHUP with the config fixed: receiver reloads" reloaded "$(reload_receiver)"

case_start
want "third secret" 200 "$(send third r8)"
want "new secret" 401 "$(send new r9)"
case_end "a good reload after a failed one applies"

# Reloads while requests are in flight: each request keeps the config it
# started with, none fails, the receiver survives.
python3 - "$PORT" "$T/third.secret" > "$T/hupload.out" 2>&1 <<'PY' &
import hashlib, hmac, http.client, sys, threading
port, secret = int(sys.argv[1]), open(sys.argv[2], "rb").read().split(b"\n")[0]
res, lock = {}, threading.Lock()
def client(k):
    for j in range(100):
        body = b'{"hup":%d}' % (k * 100 + j)
        h = {"X-GitHub-Delivery": "hup-%d-%d" % (k, j), "X-GitHub-Event": "push",
             "X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()}
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            c.request("POST", "/hooks/github", body, h)
            st = str(c.getresponse().status)
            c.close()
        except Exception as e:
            st = type(e).__name__
        with lock:
            res[st] = res.get(st, 0) + 1
ts = [threading.Thread(target=client, args=(k,)) for k in range(8)]
for t in ts: t.start()
for t in ts: t.join(60)
print(" ".join("%s=%d" % kv for kv in sorted(res.items())))
PY
LOAD=$!
mark=$(log_mark)
log_wait "$mark" 'id="hup-' 1 10
hups=0
for _ in $(seq 1 400); do
	kill -0 "$LOAD" 2>/dev/null || break
	kill -HUP "$RECEIVER_PID" 2>/dev/null && hups=$((hups + 1))
	sleep 0.01
done
kill "$LOAD" 2>/dev/null
wait "$LOAD"
# Reloads logged between the first and the last of these requests.
during=$(log_since "$mark" | awk '/id="hup-/ { if (!first) first = NR; last = NR }
	/configuration reloaded/ { r[NR] = 1 }
	END { n = 0; for (i in r) if (i > first && i < last) n++; print n }')
echo "# $hups SIGHUPs sent, $during reloads logged while the requests ran"
case_start
want "statuses of 800 requests" "200=800" "$(cat "$T/hupload.out")"
want rows 800 "$(sql "SELECT count(*) FROM events WHERE event_id LIKE 'hup-%'")"
want_true "reloads while the requests ran: $during" [ "$during" -gt 0 ]
want_true "receiver still running" kill -0 "$RECEIVER_PID"
case_end "SIGHUPs during 800 concurrent requests: all stored, receiver alive"

case_start
for s in old new third; do
	want "$s secret in the receiver or nginx logs" 0 \
		"$(cat "$T/receiver.log" "$T"/nginx/logs/*.log | grep -cF -- "$(head -n 1 "$T/$s.secret")")"
done
case_end "no secret appears in any log"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
