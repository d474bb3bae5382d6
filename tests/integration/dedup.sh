#!/bin/bash
# dedup.sh: replayed deliveries under a fresh id, through nginx and the
# receiver. A captured GitHub request keeps its signature (it covers only the
# body) and is sent again with a new X-GitHub-Delivery: a dedup = id source
# (the default) stores it twice; a dedup = body source answers 200
# duplicate and keeps one row, until its dedup_window has passed. The same
# body from 16 clients at once, each with its own id, makes one row. The
# database starts at schema version 3 (before body hashes), so the receiver
# upgrades it first; hookq check names bad dedup values by FILE:LINE.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

CLIENTS=16
HOOKQ="$top_builddir/hookq"

new_secret gh
new_secret shop
write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret

[source ghbody]
scheme = github
secret_file = $T/gh.secret
dedup = body

[source ghshort]
scheme = github
secret_file = $T/gh.secret
dedup = body
dedup_window = 2s

[source shopify]
scheme = shopify
secret_file = $T/shop.secret
dedup = body
C

# ---- an existing database upgrades ---------------------------------------------

# Migrations 1-3 as an older hookq applied them, with a row of that time.
# (PostgreSQL's schema starts at version 6: no older one to upgrade.)
if [ "$STORE" = sqlite ]; then
	sed '/^-- migration 4:/,$d' "$top_srcdir/sql/schema.sql" > "$T/schema3.sql"
	sql < "$T/schema3.sql"
	sql "PRAGMA user_version = 3; INSERT INTO events (source, event_id, received_at, headers, body)
		VALUES ('github', 'old-row', $(now_ms), '{}', x'7b7d')"
fi
start_receiver
start_nginx

if [ "$STORE" = sqlite ]; then
	case_start
	want "user_version" "$SCHEMA_VERSION" "$(sql 'PRAGMA user_version')"
	want "old row kept, no hash" "old-row|1" "$(sql "SELECT event_id, body_sha256 IS NULL FROM events")"
	want "partial index" 1 "$(sql "SELECT count(*) FROM sqlite_master WHERE name = 'events_body'
		AND sql LIKE '%WHERE body_sha256 IS NOT NULL%'")"
	case_end "a version-3 database is upgraded to $SCHEMA_VERSION in place by the receiver"
else
	skip "a version-3 database is upgraded in place by the receiver" \
		"SQLite only: PostgreSQL's schema begins at version 6"
fi

# capture SCHEME SECRETFILE BODYFILE NAME [sign.py args]: signs once into
# $T/NAME.headers; replay sends those same headers with a fresh id.
capture() {
	local scheme=$1 secret=$2 b=$3 name=$4
	shift 4
	sign_to "$T/$name.headers" "$scheme" "$secret" "$b" "$@"
}
# replay SOURCE BODYFILE NAME ID_HEADER ID: the captured request again; prints the status.
replay() {
	send "$1" "$2" application/json -H "@$T/$3.headers" -H "$4: $5"
}
# answer: the last response's body, without its newline.
answer() {
	cat "$T/response"
}

# ---- dedup = id: the replay is a new row ---------------------------------------

b=$(body push.json '{"ref":"refs/heads/main","after":"1f2e3d"}')
capture github "$T/gh.secret" "$b" push
case_start
want "first" "200 stored" "$(replay github "$b" push X-GitHub-Delivery id-1) $(answer)"
want "replay" "200 stored" "$(replay github "$b" push X-GitHub-Delivery id-2) $(answer)"
want rows 2 "$(sql "SELECT count(*) FROM events WHERE source = 'github' AND event_id LIKE 'id-%'")"
want "hashes kept" 0 "$(sql "SELECT count(*) FROM events WHERE body_sha256 IS NOT NULL")"
case_end "dedup = id: the same body under a new delivery id is stored again, without a hash"

# ---- dedup = body: the replay is a duplicate -----------------------------------

mark=$(log_mark)
case_start
want "first" "200 stored" "$(replay ghbody "$b" push X-GitHub-Delivery body-1) $(answer)"
want "replay" "200 duplicate" "$(replay ghbody "$b" push X-GitHub-Delivery body-2) $(answer)"
want "replay again" "200 duplicate" "$(replay ghbody "$b" push X-GitHub-Delivery body-3) $(answer)"
want "the same id again" "200 duplicate" "$(replay ghbody "$b" push X-GitHub-Delivery body-1) $(answer)"
want rows "body-1" "$(sql "SELECT $(sql_concat event_id "','") FROM events WHERE source = 'ghbody'")"
want "stored hash" "sha256:$(sha256sum < "$b" | cut -d' ' -f1)" \
	"$(sql "SELECT body_sha256 FROM events WHERE source = 'ghbody'")"
want_true "the duplicate's log line says why" log_wait "$mark" \
	'source="ghbody" id="body-2" status=200 outcome=duplicate reason="same event id, or same body within dedup_window"'
case_end "dedup = body: a replay under a new delivery id gets 200 duplicate, one row with the body's hash"

b2=$(body push2.json '{"ref":"refs/heads/main","after":"4c5b6a"}')
capture github "$T/gh.secret" "$b2" push2
case_start
want "another body" "200 stored" "$(replay ghbody "$b2" push2 X-GitHub-Delivery body-4) $(answer)"
want rows 2 "$(sql "SELECT count(*) FROM events WHERE source = 'ghbody'")"
want "other source, same body" "200 stored" "$(replay ghshort "$b" push X-GitHub-Delivery short-0) $(answer)"
case_end "dedup = body: another body, or the same body on another source, is stored"

sb=$(body order.json '{"id":820982911946154508,"email":"jon@example.com"}')
capture shopify "$T/shop.secret" "$sb" order --type orders/create
case_start
want "first" "200 stored" "$(replay shopify "$sb" order X-Shopify-Event-Id ev-1) $(answer)"
want "replay" "200 duplicate" "$(replay shopify "$sb" order X-Shopify-Event-Id ev-2) $(answer)"
want rows "ev-1" "$(sql "SELECT $(sql_concat event_id "','") FROM events WHERE source = 'shopify'")"
case_end "dedup = body, shopify: a replay under a new X-Shopify-Event-Id is a duplicate"

# ---- the window ------------------------------------------------------------------

b3=$(body push3.json '{"ref":"refs/heads/dev","after":"0a0b0c"}')
capture github "$T/gh.secret" "$b3" push3
case_start
want "first" "200 stored" "$(replay ghshort "$b3" push3 X-GitHub-Delivery w-1) $(answer)"
want "within the window" "200 duplicate" "$(replay ghshort "$b3" push3 X-GitHub-Delivery w-2) $(answer)"
sleep 2.2
want "after the window" "200 stored" "$(replay ghshort "$b3" push3 X-GitHub-Delivery w-3) $(answer)"
want "within the new copy's window" "200 duplicate" \
	"$(replay ghshort "$b3" push3 X-GitHub-Delivery w-4) $(answer)"
want rows "w-1 w-3" "$(sql "SELECT $(sql_concat event_id "' '") FROM
	(SELECT event_id FROM events WHERE source = 'ghshort' AND event_id LIKE 'w-%' ORDER BY id) AS w")"
want "the copies are a window apart" 1 "$(sql "SELECT CAST(max(received_at) - min(received_at) >= 2000 AS INTEGER)
	FROM events WHERE source = 'ghshort' AND event_id LIKE 'w-%'")"
case_end "dedup_window = 2s: refused within it, stored again after it"

# ---- the same body from 16 clients at once ---------------------------------------

# Each client signs the same body and sends it with its own delivery id, all
# released together by a barrier, so the requests share a commit batch or
# race across two. 127.0.0.1 only; prints counts and ids, not the secret.
cat > "$T/same.py" <<'PY'
import hashlib, hmac, http.client, sys, threading

port, secret_file, clients = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
with open(secret_file, "rb") as f:
    secret = [l.strip() for l in f if l.strip()][0]
body = b'{"ref":"refs/heads/main","after":"feedface","replayed":true}'
sig = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
barrier = threading.Barrier(clients)
lock = threading.Lock()
results = []

def client(i):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    delivery = "par-%02d" % i
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push",
               "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": sig}
    try:
        barrier.wait(10)
        conn.request("POST", "/hooks/ghbody", body, headers)
        r = conn.getresponse()
        text = r.read().decode("utf-8", "replace").strip()
        out = "%s %d %s" % (delivery, r.status, text)
    except Exception as e:
        out = "%s error %r" % (delivery, e)
    with lock:
        results.append(out)
    conn.close()

threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join(60)
print("\n".join(sorted(results)))
PY
timeout 90 "$PY" "$T/same.py" "$PORT" "$T/gh.secret" "$CLIENTS" > "$T/same.out" 2>&1
rc=$?
stored=$(awk '$2 == 200 && $3 == "stored" { print $1 }' "$T/same.out")
case_start
want "client exit" 0 "$rc"
want "answers" "$CLIENTS" "$(grep -c '^par-[0-9]* 200 ' "$T/same.out")"
want "stored answers" 1 "$(awk '$3 == "stored"' "$T/same.out" | wc -l | tr -d ' ')"
want "duplicate answers" $((CLIENTS - 1)) "$(awk '$3 == "duplicate"' "$T/same.out" | wc -l | tr -d ' ')"
want "rows of that body" 1 "$(sql "SELECT count(*) FROM events WHERE source = 'ghbody'
	AND event_id LIKE 'par-%'")"
want "the row is the one answered stored" "$stored" \
	"$(sql "SELECT event_id FROM events WHERE source = 'ghbody' AND event_id LIKE 'par-%'")"
case_end "the same body from $CLIENTS clients at once, distinct ids: every answer 200, exactly one row"
[ ${#CASE_ERRORS[@]} -eq 0 ] || sed 's/^/# /' "$T/same.out"

if [ "$STORE" = sqlite ]; then
	check "integrity_check" ok "$(sql 'PRAGMA integrity_check')"
else
	skip "integrity_check" "SQLite only"
fi

# ---- hookq check -----------------------------------------------------------------

cat > "$T/bad.conf" <<EOF
[hookq]
database = $DB
retain_done = 1h

[source a]
scheme = github
secret_file = $T/gh.secret
dedup = hash

[source b]
scheme = github
secret_file = $T/gh.secret
dedup_window = 1h

[source c]
scheme = github
secret_file = $T/gh.secret
dedup = body
EOF
chmod 600 "$T/gh.secret"
case_start
"$HOOKQ" -c "$T/bad.conf" check > "$T/check.out" 2>&1
want "exit" 1 "$?"
want_true "bad choice" grep -q "^$T/bad.conf:8: dedup: 'hash' is not one of the choices" "$T/check.out"
want_true "window without dedup = body" \
	grep -q "^$T/bad.conf:13: 'dedup_window' applies only with dedup = body" "$T/check.out"
want_true "window longer than retain_done" \
	grep -q "^$T/bad.conf:18: dedup_window: 86400000ms is longer than retain_done's 3600000ms" "$T/check.out"
case_end "hookq check: bad dedup values as FILE:LINE"
[ ${#CASE_ERRORS[@]} -eq 0 ] || sed 's/^/# /' "$T/check.out"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
