#!/bin/bash
# answers.sh: every row of the answer table (DESIGN.md, "Answers"), sent to
# the real nginx with nginx/hookq.conf as shipped, read back from the table.
# The 503 row is in locked.sh.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

new_secret gh
new_secret other
new_secret st
new_secret ac
# Standard Webhooks secrets are whsec_ and the base64 of the key.
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" > "$T/sw.secret"
chmod 600 "$T/sw.secret"

write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret

[source filtered]
scheme = github
secret_file = $T/gh.secret
events = push pull_request

[source small]
scheme = github
secret_file = $T/gh.secret
max_body = 1K

[source stripe]
scheme = stripe
secret_file = $T/st.secret

[source stripe60]
scheme = stripe
secret_file = $T/st.secret
tolerance = 60

[source svix]
scheme = standard-webhooks
secret_file = $T/sw.secret

[source acme]
scheme = generic
secret_file = $T/ac.secret
signature_header = X-Acme-Signature
signature_prefix = sha256=
C
start_receiver
start_nginx


# stripe_post SOURCE BODYFILE [sign.py args]
stripe_post() {
	local src=$1 b=$2
	shift 2
	EXTRA_HEADERS= post_signed "$src" stripe "$T/st.secret" "$b" "$@"
}

NOW=$(date +%s)

# ---- 200 ----------------------------------------------------------------

b=$(body ev1.json '{"zen":"Keep it logically awesome."}')
case_start
s=$(post_github github "$b" d-stored push)
want status 200 "$s"
want_response $'stored\n'
want rows 1 "$(rows github d-stored)"
want "not routed yet, no delivery, type" "1|0|push" \
	"$(sql "SELECT CAST(routed_at IS NULL AS INTEGER), (SELECT count(*) FROM deliveries WHERE event = events.id),
		event_type FROM events WHERE event_id = 'd-stored'")"
case_end "200 stored: one row, not routed yet (no delivery, so none tried)"

case_start
s=$(post_github github "$b" d-stored push)
want status 200 "$s"
want_response $'duplicate\n'
want rows 1 "$(rows github d-stored)"
case_end "200 duplicate: same delivery id again leaves exactly one row"

b2=$(body ev1b.json '{"zen":"a retry with other bytes"}')
case_start
s=$(post_github github "$b2" d-stored push)
want status 200 "$s"
want_response $'duplicate\n'
want rows 1 "$(rows github d-stored)"
want "stored body" "$(file_hex "$b")" "$(sql "SELECT $(sql_hex body) FROM events WHERE event_id = 'd-stored'")"
case_end "200 duplicate: same id with another body keeps the first row"

mark=$(log_mark)
before=$(count_rows)
case_start
s=$(post_github filtered "$b" d-ignored issues)
want status 200 "$s"
want_response $'ignored\n'
want "rows added" "$before" "$(count_rows)"
want_true "receiver logged outcome=ignored" log_wait "$mark" 'id="d-ignored" status=200 outcome=ignored'
case_end "200 ignored: event type outside the allow-list is not stored"

case_start
s=$(post_github filtered "$b" d-listed pull_request)
want status 200 "$s"
want_response $'stored\n'
want rows 1 "$(rows filtered d-listed)"
want type pull_request "$(sql "SELECT event_type FROM events WHERE event_id = 'd-listed'")"
case_end "200 stored: event type in the allow-list"

# ---- 401 ----------------------------------------------------------------

# unauthorized DESCRIPTION STATUS ROWS_BEFORE LOG_MARK [REASON_REGEX]
unauthorized() {
	case_start
	want status 401 "$2"
	want_response $'unauthorized\n'
	want "rows added" "$3" "$(count_rows)"
	want_true "receiver logged a reason" \
		log_wait "$4" "status=401 outcome=unauthorized reason=\"[^\"]*${5:-}"
	case_end "401 $1: nothing stored, body only \"unauthorized\", reason logged"
}

b=$(body ev401.json '{"action":"opened"}')
before=$(count_rows) mark=$(log_mark)
s=$(EXTRA_HEADERS=$'X-GitHub-Delivery: d-nosig\nX-GitHub-Event: push' post github "$b")
unauthorized "missing signature header" "$s" "$before" "$mark" missing

before=$(count_rows) mark=$(log_mark)
wrong=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
s=$(post github "$b" -H "X-Hub-Signature-256: sha256=$wrong" \
	-H 'X-GitHub-Delivery: d-wrong' -H 'X-GitHub-Event: push')
unauthorized "wrong signature" "$s" "$before" "$mark"

before=$(count_rows) mark=$(log_mark)
s=$(GH_SECRET=$T/other.secret post_github github "$b" d-othersecret push)
unauthorized "signature made with another secret" "$s" "$before" "$mark"

before=$(count_rows) mark=$(log_mark)
tampered=$(body tampered.json '{"action":"closed"}')
args=()
while IFS= read -r h; do args+=(-H "$h"); done < <(signed_headers github "$T/gh.secret" "$b")
s=$(post github "$tampered" "${args[@]}" -H 'X-GitHub-Delivery: d-tampered' -H 'X-GitHub-Event: push')
unauthorized "tampered body" "$s" "$before" "$mark"

sb=$(body stripe-ok.json '{"id":"evt_recent","type":"charge.succeeded"}')
case_start
s=$(stripe_post stripe60 "$sb" --timestamp $((NOW - 30)))
want status 200 "$s"
want rows 1 "$(rows stripe60 evt_recent)"
case_end "200 stored: stripe timestamp 30 s old, within tolerance = 60"

sb=$(body stripe-old.json '{"id":"evt_old","type":"charge.succeeded"}')
before=$(count_rows) mark=$(log_mark)
s=$(stripe_post stripe60 "$sb" --timestamp $((NOW - 120)))
unauthorized "stripe timestamp 120 s old, tolerance = 60" "$s" "$before" "$mark" timestamp

wb=$(body svix-ok.json '{"type":"invoice.paid","data":{}}')
case_start
s=$(EXTRA_HEADERS= post_signed svix standard-webhooks "$T/sw.secret" "$wb" --id msg_now)
want status 200 "$s"
want rows 1 "$(rows svix msg_now)"
want type invoice.paid "$(sql "SELECT event_type FROM events WHERE event_id = 'msg_now'")"
case_end "200 stored: standard-webhooks signed now"

before=$(count_rows) mark=$(log_mark)
s=$(EXTRA_HEADERS= post_signed svix standard-webhooks "$T/sw.secret" "$wb" --id msg_future \
	--timestamp $((NOW + 600)))
unauthorized "standard-webhooks timestamp 600 s ahead, tolerance 300" "$s" "$before" "$mark" timestamp

# ---- 404, 405 -----------------------------------------------------------

b=$(body ev404.json '{"zen":"nobody home"}')
before=$(count_rows) mark=$(log_mark)
case_start
s=$(post_github nosuchsource "$b" d-404 push)
want status 404 "$s"
want "rows added" "$before" "$(count_rows)"
want_true "receiver logged not_found" log_wait "$mark" 'source="nosuchsource" .*status=404'
case_end "404 unknown source (URL matches nginx's location, no [source])"

# A GET reaches hookq (Meta checks its endpoint with one), which refuses it
# for a source whose scheme takes none; other methods stop at nginx.
mark=$(log_mark)
case_start
s=$(curl -s -o "$T/response" -D "$T/response.headers" -w '%{http_code}' "$URL/hooks/github")
want status 405 "$s"
want "Allow header" POST "$(response_header Allow)"
want_true "receiver logged method_not_allowed" log_wait "$mark" \
	'source="github" .*status=405 outcome=method_not_allowed'
case_end "405 for GET to a github source, answered by hookq with Allow: POST"

mark=$(log_mark)
case_start
s=$(curl -s -o "$T/response" -D "$T/response.headers" -w '%{http_code}' -X PUT \
	--data-binary "@$b" "$URL/hooks/github")
want status 405 "$s"
want "Allow header" "GET, HEAD, POST" "$(response_header Allow)"
sleep 0.2
want "receiver log lines" "" "$(log_since "$mark")"
case_end "405 for PUT, answered by nginx with Allow: GET, HEAD, POST"

# ---- 413 ----------------------------------------------------------------

python3 -c 'import sys; sys.stdout.write("x" * 1024)' > "$T/b1024"
python3 -c 'import sys; sys.stdout.write("x" * 1025)' > "$T/b1025"
case_start
s=$(post_github small "$T/b1024" d-1024 push)
want status 200 "$s"
want "stored length" 1024 "$(sql "SELECT length(body) FROM events WHERE source = 'small' AND event_id = 'd-1024'")"
case_end "200 stored: body of exactly max_body = 1K (1024 bytes)"

before=$(count_rows) mark=$(log_mark)
case_start
s=$(post_github small "$T/b1025" d-1025 push)
want status 413 "$s"
want "rows added" "$before" "$(count_rows)"
want_true "receiver logged too_large" log_wait "$mark" 'source="small" .*status=413 outcome=too_large'
case_end "413 from hookq: body of 1025 bytes over max_body = 1K"

python3 -c 'import sys; sys.stdout.write("y" * 1048576)' > "$T/b1m"
case_start
s=$(post_github github "$T/b1m" d-1m push)
want status 200 "$s"
want "stored length" 1048576 "$(sql "SELECT length(body) FROM events WHERE event_id = 'd-1m'")"
case_end "200 stored: body of exactly 1 MiB (nginx's and hookq's default limit)"

python3 -c 'import sys; sys.stdout.write("y" * 1048577)' > "$T/b1m1"
before=$(count_rows) mark=$(log_mark)
case_start
s=$(post_github github "$T/b1m1" d-1m1 push)
want status 413 "$s"
want "rows added" "$before" "$(count_rows)"
sleep 0.2
want "receiver log lines (nginx answers)" "" "$(log_since "$mark")"
case_end "413 from nginx: body of 1 MiB + 1 over client_max_body_size"

# ---- 400 ----------------------------------------------------------------

b=$(body ev400.json '{"zen":"where is my id"}')
before=$(count_rows) mark=$(log_mark)
case_start
s=$(post_github github "$b" "" push)
want status 400 "$s"
want_response $'bad request\n'
want "rows added" "$before" "$(count_rows)"
want_true "receiver logged a reason" log_wait "$mark" 'status=400 outcome=bad_request reason='
case_end "400 github, valid signature, no X-GitHub-Delivery"

nb=$(body notjson.txt 'id=evt_form&type=charge.succeeded')
before=$(count_rows) mark=$(log_mark)
case_start
s=$(stripe_post stripe "$nb")
want status 400 "$s"
want "rows added" "$before" "$(count_rows)"
want_true "receiver logged a reason" log_wait "$mark" 'status=400 outcome=bad_request reason='
case_end "400 stripe, valid signature over a body that is not JSON"

before=$(count_rows) mark=$(log_mark)
case_start
s=$(post stripe "$nb" -H "Stripe-Signature: t=$NOW,v1=$wrong")
want status 401 "$s"
want_response $'unauthorized\n'
want "rows added" "$before" "$(count_rows)"
case_end "401, not 400: a body that is not JSON with a wrong signature is refused before parsing"

# nested N: {"id":"evt_nestN","type":"t","a":{"a":...{"a":1}...}} with N objects under the top one.
nested() {
	python3 -c '
import sys
n = int(sys.argv[1])
sys.stdout.write("{\"id\":\"evt_nest%d\",\"type\":\"t\",\"a\":" % n + "{\"a\":" * (n - 1) + "1" + "}" * n)
' "$1"
}
nested 10 > "$T/nest10.json"
nested 100 > "$T/nest100.json"
case_start
s=$(stripe_post stripe "$T/nest10.json")
want status 200 "$s"
want rows 1 "$(rows stripe evt_nest10)"
case_end "200 stored: stripe JSON nested 10 deep"

before=$(count_rows) mark=$(log_mark)
case_start
s=$(stripe_post stripe "$T/nest100.json")
want status 400 "$s"
want "rows added" "$before" "$(count_rows)"
want_true "receiver logged a reason" log_wait "$mark" 'status=400 outcome=bad_request reason='
case_end "400 stripe, valid signature over JSON nested 100 deep"

ab=$(body acme.json '{"order":42,"state":"paid"}')
want_id="sha256:$(sha256sum "$ab" | cut -d' ' -f1)"
case_start
s=$(EXTRA_HEADERS= post_signed acme generic "$T/ac.secret" "$ab" --header X-Acme-Signature --prefix sha256=)
want status 200 "$s"
want_response $'stored\n'
want "event_id" "$want_id" "$(sql "SELECT event_id FROM events WHERE source = 'acme'")"
case_end "200 stored: generic source without an id gets sha256:<hex of the body>"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
