#!/bin/bash
# handshakes.sh: the senders' endpoint checks of issue 5, through the real
# nginx with nginx/hookq.conf as shipped: Slack's url_verification, Discord's
# PINGs (Webhook Events and Interactions), Zoom's endpoint.url_validation and
# Meta's verification GET are answered only when signed (Meta: when its
# verify_token matches), with Cache-Control: no-store, and never stored; the
# events next to them are stored with the answers those senders expect. A GET
# to a source without a GET handshake is hookq's 405, other methods nginx's.
# Signatures come from sign.py (Python's hmac, openssl pkeyutl); headers go
# to curl through files, so no secret is in argv (except where noted) or output.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

# ---- secrets and keys ---------------------------------------------------------

new_secret slack
new_secret slack_wrong
new_secret zoom
new_secret zoom_wrong
cat "$T/zoom_wrong.secret" "$T/zoom.secret" > "$T/zoom2.secret" # rotation: two lines
new_secret meta
new_secret gh
ed25519_key ed
ed25519_key ed_wrong
cp "$T/ed.public" "$T/discord.secret"
chmod 600 "$T/discord.secret"

VERIFY_TOKEN=meta-verify-7Qx9
write_config <<C
[source slack]
scheme = slack
secret_file = $T/slack.secret

[source discord]
scheme = discord
secret_file = $T/discord.secret

[source interactions]
scheme = discord-interactions
secret_file = $T/discord.secret

[source zoom]
scheme = zoom
secret_file = $T/zoom.secret

[source zoom2]
scheme = zoom
secret_file = $T/zoom2.secret

[source meta]
scheme = meta
secret_file = $T/meta.secret
verify_token = $VERIFY_TOKEN

[source metanotoken]
scheme = meta
secret_file = $T/meta.secret

[source github]
scheme = github
secret_file = $T/gh.secret
C
start_receiver
start_nginx

JSON=application/json
FORM=application/x-www-form-urlencoded

# ---- helpers ------------------------------------------------------------------

# get PATH_AND_QUERY [curl args]: a GET; prints the status.
get() {
	local pq=$1
	shift
	curl -s -o "$T/response" -D "$T/response.headers" -w '%{http_code}' "$@" "$URL/hooks/$pq"
}
row() {
	sql "SELECT coalesce(event_type, 'NULL') || '|' || hex(body) FROM events
		WHERE source = $(sql_str "$1") AND event_id = $(sql_str "$2")"
}
want_stored() {
	want "rows with event_id $2" 1 "$(rows "$1" "$2")"
	want "event_type|hex(body) of $2" "$3|$(file_hex "$4")" "$(row "$1" "$2")"
}
body_id() {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}
# want_handshake SOURCE ROWS_BEFORE MARK: no row added, no-store, outcome=handshake logged.
want_handshake() {
	want "rows added" "$2" "$(count_rows)"
	want "Cache-Control" no-store "$(response_header Cache-Control)"
	want_true "receiver logged outcome=handshake" \
		log_wait "$3" "source=\"$1\" .*status=[0-9]+ outcome=handshake"
}
# want_forbidden SOURCE ROWS_BEFORE MARK: a 403 that stored nothing, logged as forbidden.
want_forbidden() {
	want "rows added" "$2" "$(count_rows)"
	want_response $'forbidden\n'
	want_true "receiver logged outcome=forbidden" \
		log_wait "$3" "source=\"$1\" .*status=403 outcome=forbidden"
}
# want_unauthorized STATUS ROWS_BEFORE: a 401 that stored nothing.
want_unauthorized() {
	want status 401 "$1"
	want_response $'unauthorized\n'
	want "rows added" "$2" "$(count_rows)"
}

# ---- slack --------------------------------------------------------------------

CHALLENGE=3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P
b=$(body slack-uv.json "{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":\"$CHALLENGE\",\"type\":\"url_verification\"}")
sign_to "$T/slack-uv.h" slack "$T/slack.secret" "$b"
n=$(count_rows) mark=$(log_mark)
case_start
s=$(send slack "$b" $JSON -H "@$T/slack-uv.h")
want status 200 "$s"
want_response "$CHALLENGE"
want "content type" "text/plain; charset=utf-8" "$(response_header Content-Type)"
want_handshake slack "$n" "$mark"
case_end "slack url_verification, signed: 200 with exactly the challenge, not stored"

sign_to "$T/slack-uv-bad.h" slack "$T/slack_wrong.secret" "$b"
n=$(count_rows)
case_start
s=$(send slack "$b" $JSON -H "@$T/slack-uv-bad.h")
want_unauthorized "$s" "$n"
want_true "no challenge in the answer" eval "! grep -q $CHALLENGE '$T/response'"
case_end "slack url_verification signed with another secret: 401, no challenge"

b=$(body slack-ev.json '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","team_id":"T061EG9RZ","type":"event_callback","event_id":"Ev0PV52K21","event_time":1515449522,"event":{"type":"message","channel":"C2147483705","user":"U2147483697","text":"Hello world","ts":"1355517523.000005"}}')
sign_to "$T/slack-ev.h" slack "$T/slack.secret" "$b"
case_start
s=$(send slack "$b" $JSON -H "@$T/slack-ev.h")
want status 200 "$s"
want_response ""
want "Content-Length" 0 "$(response_header Content-Length)"
want_stored slack Ev0PV52K21 message "$b"
s=$(send slack "$b" $JSON -H "@$T/slack-ev.h")
want "status again" 200 "$s"
want_response ""
want "rows with the id" 1 "$(rows slack Ev0PV52K21)"
case_end "slack event_callback: 200 with an empty body, stored (id event_id, type event.type); again: 200 empty, one row"

f=$(body slack-cmd.form 'token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve&command=%2Fweather&text=94070&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0')
sign_to "$T/slack-cmd.h" slack "$T/slack.secret" "$f"
case_start
s=$(send slack "$f" $FORM -H "@$T/slack-cmd.h")
want status 200 "$s"
want_response ""
want_stored slack "$(body_id "$f")" /weather "$f"
case_end "slack slash command (form body): 200 empty, stored with type = the command, id the body hash"

# ---- discord (Webhook Events) -------------------------------------------------

b=$(body dc-ping.json '{"version":1,"application_id":"1234567765431","type":0}')
sign_to "$T/dc-ping.h" discord "$T/ed.sign" "$b"
n=$(count_rows) mark=$(log_mark)
case_start
s=$(send discord "$b" $JSON -H "@$T/dc-ping.h")
want status 204 "$s"
want_response ""
want_handshake discord "$n" "$mark"
want "rows of discord" 0 "$(sql "SELECT count(*) FROM events WHERE source = 'discord'")"
case_end "discord PING (type 0), signed: 204, no body, not stored"

sign_to "$T/dc-ping-bad.h" discord "$T/ed_wrong.sign" "$b"
n=$(count_rows)
case_start
s=$(send discord "$b" $JSON -H "@$T/dc-ping-bad.h")
want_unauthorized "$s" "$n"
s=$(send discord "$b" $JSON -H "X-Signature-Timestamp: $(date +%s)" \
	-H "X-Signature-Ed25519: $(head -c 64 /dev/urandom | od -An -v -tx1 | tr -d ' \n')")
want_unauthorized "$s" "$n"
case_end "discord PING with a bad signature (other key, random bytes): 401, as Discord's probe expects"

b=$(body dc-ev.json '{"version":1,"application_id":"1234567765431","type":1,"event":{"type":"ENTITLEMENT_CREATE","timestamp":"2024-10-18T18:41:21.109604","data":{"id":"1297"}}}')
sign_to "$T/dc-ev.h" discord "$T/ed.sign" "$b"
case_start
s=$(send discord "$b" $JSON -H "@$T/dc-ev.h")
want status 200 "$s"
want_response $'stored\n'
want_stored discord "$(body_id "$b")" ENTITLEMENT_CREATE "$b"
case_end "discord event (type 1), signed: 200, stored with type event.type"

# ---- discord-interactions -----------------------------------------------------

b=$(body ix-ping.json '{"application_id":"1234567765431","id":"1150000000000000001","token":"aW50ZXJhY3Rpb24","type":1,"version":1}')
sign_to "$T/ix-ping.h" discord-interactions "$T/ed.sign" "$b"
n=$(count_rows) mark=$(log_mark)
case_start
s=$(send interactions "$b" $JSON -H "@$T/ix-ping.h")
want status 200 "$s"
want_response '{"type":1}'
want "content type" application/json "$(response_header Content-Type)"
want_handshake interactions "$n" "$mark"
want "rows with the PING's id" 0 "$(rows interactions 1150000000000000001)"
case_end "discord-interactions PING (type 1), signed: 200 application/json {\"type\":1}, not stored"

sign_to "$T/ix-ping-bad.h" discord-interactions "$T/ed_wrong.sign" "$b"
n=$(count_rows)
case_start
s=$(send interactions "$b" $JSON -H "@$T/ix-ping-bad.h")
want_unauthorized "$s" "$n"
case_end "discord-interactions PING signed by another key: 401"

b=$(body ix-auto.json '{"application_id":"1234567765431","data":{"id":"771825006014889984","name":"blep","options":[{"name":"animal","type":3,"value":"do","focused":true}],"type":1},"id":"786008729715212339","token":"AUTOCOMPLETE_TOKEN","type":4,"version":1}')
sign_to "$T/ix-auto.h" discord-interactions "$T/ed.sign" "$b"
n=$(count_rows) mark=$(log_mark)
case_start
s=$(send interactions "$b" $JSON -H "@$T/ix-auto.h")
want status 200 "$s"
want_response '{"type":8,"data":{"choices":[]}}'
want "content type" application/json "$(response_header Content-Type)"
want_handshake interactions "$n" "$mark"
want "rows with its id" 0 "$(rows interactions 786008729715212339)"
case_end "discord-interactions autocomplete (type 4), signed: 200 {\"type\":8} with no choices, not stored"

b=$(body ix-cmd.json '{"application_id":"1234567765431","channel_id":"7","data":{"id":"771825006014889984","name":"blep","options":[{"name":"animal","type":3,"value":"animal_dog"}],"type":1},"id":"786008729715212338","token":"A_UNIQUE_TOKEN","type":2,"version":1}')
sign_to "$T/ix-cmd.h" discord-interactions "$T/ed.sign" "$b"
case_start
s=$(send interactions "$b" $JSON -H "@$T/ix-cmd.h")
want status 200 "$s"
want_response '{"type":5}'
want "content type" application/json "$(response_header Content-Type)"
want_stored interactions 786008729715212338 blep "$b"
case_end "discord-interactions application command (type 2): 200 {\"type\":5}, stored (id = interaction id, type = data.name)"

# ---- zoom ---------------------------------------------------------------------

# zoom_mac PLAIN: hex HMAC-SHA256(secret, PLAIN) by openssl. The secret is read
# from its file in this subshell and passed to openssl -hmac (argv, briefly);
# it is never echoed.
zoom_mac() {
	(
		secret=$(head -n 1 "$T/zoom.secret")
		printf %s "$1" | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= *//'
	)
}
# json_get FILE KEY: the string member KEY of the JSON object in FILE ("<not json>" if it is not).
json_get() {
	"$PY" -c '
import json, sys
try:
    print(json.load(open(sys.argv[1]))[sys.argv[2]])
except Exception:
    print("<not json>")' "$1" "$2"
}

PLAIN=qgg8vlvZRS6UYooatFL8Aw
b=$(body zoom-uv.json "{\"payload\":{\"plainToken\":\"$PLAIN\"},\"event_ts\":1654503849680,\"event\":\"endpoint.url_validation\"}")
sign_to "$T/zoom-uv.h" zoom "$T/zoom.secret" "$b"
n=$(count_rows) mark=$(log_mark)
case_start
s=$(send zoom "$b" $JSON -H "@$T/zoom-uv.h")
want status 200 "$s"
want "content type" application/json "$(response_header Content-Type)"
want plainToken "$PLAIN" "$(json_get "$T/response" plainToken)"
mac=$(zoom_mac "$PLAIN")
want "openssl gave 64 hex digits" 64 "${#mac}"
want encryptedToken "$mac" "$(json_get "$T/response" encryptedToken)"
want "members" 2 "$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/response" 2>/dev/null)"
want_handshake zoom "$n" "$mark"
case_end "zoom endpoint.url_validation, signed: 200 JSON with plainToken and encryptedToken = HMAC(secret, plainToken), not stored"

# A plainToken that needs JSON escaping must come back as the same string.
PLAIN2='a"b\c/d <e>'
"$PY" -c '
import json, sys
sys.stdout.write(json.dumps({"payload": {"plainToken": sys.argv[1]}, "event_ts": 1, "event": "endpoint.url_validation"}))' \
	"$PLAIN2" > "$T/zoom-uv2.json"
sign_to "$T/zoom-uv2.h" zoom "$T/zoom.secret" "$T/zoom-uv2.json"
n=$(count_rows)
case_start
s=$(send zoom "$T/zoom-uv2.json" $JSON -H "@$T/zoom-uv2.h")
want status 200 "$s"
want plainToken "$PLAIN2" "$(json_get "$T/response" plainToken)"
want encryptedToken "$(zoom_mac "$PLAIN2")" "$(json_get "$T/response" encryptedToken)"
want "rows added" "$n" "$(count_rows)"
case_end "zoom url_validation with quotes and backslashes in plainToken: the answer is valid JSON echoing it"

sign_to "$T/zoom-uv-bad.h" zoom "$T/zoom_wrong.secret" "$b"
n=$(count_rows)
case_start
s=$(send zoom "$b" $JSON -H "@$T/zoom-uv-bad.h")
want_unauthorized "$s" "$n"
want_true "no encryptedToken in the answer" eval "! grep -q encryptedToken '$T/response'"
case_end "zoom url_validation signed with another secret: 401, nothing answered"

# Rotation: the source holds two secrets; the request is signed with the
# second. encryptedToken must be made with the secret that verified.
n=$(count_rows) mark=$(log_mark)
case_start
s=$(send zoom2 "$b" $JSON -H "@$T/zoom-uv.h")
want status 200 "$s"
want encryptedToken "$mac" "$(json_get "$T/response" encryptedToken)"
want_handshake zoom2 "$n" "$mark"
sign_to "$T/zoom-uv-first.h" zoom "$T/zoom_wrong.secret" "$b"
s=$(send zoom2 "$b" $JSON -H "@$T/zoom-uv-first.h")
want "status (first secret)" 200 "$s"
want "encryptedToken (first secret)" "$(
	secret=$(head -n 1 "$T/zoom_wrong.secret")
	printf %s "$PLAIN" | openssl dgst -sha256 -hmac "$secret" | sed 's/^.*= *//'
)" "$(json_get "$T/response" encryptedToken)"
case_end "zoom url_validation on a source with two secrets: encryptedToken made with the secret that verified"

# ---- meta (GET) ---------------------------------------------------------------

n=$(count_rows) mark=$(log_mark)
case_start
s=$(get "meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=$VERIFY_TOKEN")
want status 200 "$s"
want_response 1158201444
want "content type" "text/plain; charset=utf-8" "$(response_header Content-Type)"
want_handshake meta "$n" "$mark"
case_end "meta GET hub.mode=subscribe with the right hub.verify_token: 200 text/plain hub.challenge"

n=$(count_rows) mark=$(log_mark)
case_start
# The token URL-encoded ("-" as %2D, "x" as %78): the query is decoded before comparing.
s=$(get "meta?hub.verify_token=${VERIFY_TOKEN//-/%2D}&hub.challenge=42%2B1&hub.mode=subscrib%65")
want status 200 "$s"
want_response 42+1
want_handshake meta "$n" "$mark"
case_end "meta GET with percent-encoded parameters in another order: decoded, 200 with the decoded challenge"

n=$(count_rows) mark=$(log_mark)
case_start
s=$(get "meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong-token")
want status 403 "$s"
want_forbidden meta "$n" "$mark"
mark=$(log_mark)
s=$(get "meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${VERIFY_TOKEN}x")
want "status (token with one more byte)" 403 "$s"
want_forbidden meta "$n" "$mark"
mark=$(log_mark)
s=$(get "meta?hub.mode=subscribe&hub.challenge=1158201444")
want "status (no token)" 403 "$s"
want_forbidden meta "$n" "$mark"
case_end "meta GET with a wrong, longer or missing hub.verify_token: 403, not echoed"

n=$(count_rows) mark=$(log_mark)
case_start
s=$(get "meta?hub.challenge=1158201444&hub.verify_token=$VERIFY_TOKEN")
want status 403 "$s"
want_forbidden meta "$n" "$mark"
mark=$(log_mark)
s=$(get "meta?hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=$VERIFY_TOKEN")
want "status (mode unsubscribe)" 403 "$s"
want_forbidden meta "$n" "$mark"
mark=$(log_mark)
s=$(get "meta")
want "status (no query)" 403 "$s"
want_forbidden meta "$n" "$mark"
case_end "meta GET without hub.mode=subscribe (missing, other mode, no query): 403"

n=$(count_rows) mark=$(log_mark)
case_start
s=$(get "metanotoken?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=$VERIFY_TOKEN")
want status 403 "$s"
want_forbidden metanotoken "$n" "$mark"
s=$(get "metanotoken?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=")
want "status (empty token)" 403 "$s"
case_end "meta source without verify_token: every GET gets 403"

# ---- methods ------------------------------------------------------------------

n=$(count_rows) mark=$(log_mark)
case_start
s=$(get github)
want status 405 "$s"
want "Allow header" POST "$(response_header Allow)"
want_response $'method not allowed\n'
want "rows added" "$n" "$(count_rows)"
want_true "receiver logged method_not_allowed" \
	log_wait "$mark" 'source="github" .*status=405 outcome=method_not_allowed'
mark=$(log_mark)
s=$(get "slack?hub.mode=subscribe")
want "status (GET to slack)" 405 "$s"
want "Allow header (slack)" POST "$(response_header Allow)"
want_true "receiver logged method_not_allowed (slack)" \
	log_wait "$mark" 'source="slack" .*status=405 outcome=method_not_allowed'
case_end "GET to a source whose scheme has no GET handshake (github, slack): 405 from hookq, Allow: POST"

b=$(body put.json '{"x":1}')
n=$(count_rows) mark=$(log_mark)
case_start
s=$(curl -s -o "$T/response" -D "$T/response.headers" -w '%{http_code}' -X PUT \
	--data-binary "@$b" "$URL/hooks/meta")
want status 405 "$s"
want "Allow header" "GET, HEAD, POST" "$(response_header Allow)"
want "rows added" "$n" "$(count_rows)"
sleep 0.2
want "receiver log lines (nginx answers)" "" "$(log_since "$mark")"
case_end "PUT to a source: 405 from nginx (Allow: GET, HEAD, POST), hookq never sees it"

# ---- overall ------------------------------------------------------------------

case_start
want "handshake log lines" 10 "$(grep -c 'outcome=handshake' "$T/receiver.log")"
want "forbidden log lines" 8 "$(grep -c 'status=403 outcome=forbidden' "$T/receiver.log")"
want "5xx in the receiver log" 0 "$(grep -c 'status=5' "$T/receiver.log")"
want "rows stored in all (slack 2, discord 1, interactions 1)" 4 "$(count_rows)"
for f in "$T"/*.secret; do
	grep -qF -f "$f" "$T/receiver.log" && CASE_ERRORS+=("$(basename "$f") appears in the receiver log")
done
want_true "receiver alive" alive "$RECEIVER_PID"
case_end "every handshake logged, none stored, no secret in the log"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
