#!/bin/bash
# senders.sh: the 15 senders of issue 5 (svix, shopify, slack, zendesk, gitlab,
# discord, discord-interactions, paddle, linear, pagerduty, jira, meta, zoom,
# square, mailgun), each through the real nginx with nginx/hookq.conf as
# shipped: one correctly signed event read back from the table (source,
# event_id with its fallbacks, event_type, exact body bytes), one tampered
# request (401, no row) and a set of malformed signatures (401, never 5xx,
# the receiver still alive). Signatures come from sign.py (Python's hmac,
# openssl pkeyutl), independently of hookq's own code. Headers go to curl
# through files (-H @file), so no secret is ever in argv or in the output.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

# ---- secrets and keys ---------------------------------------------------------

for s in shopify slack zendesk gitlab paddle linear pagerduty jira meta zoom square mailgun; do
	new_secret "$s"
done
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" > "$T/svix.secret"
chmod 600 "$T/svix.secret"
ed25519_key ed
cp "$T/ed.public" "$T/discord.secret"
chmod 600 "$T/discord.secret"

SQ_URL=https://example.com/hooks/sq

write_config <<C
[source svix]
scheme = svix
secret_file = $T/svix.secret

[source shopify]
scheme = shopify
secret_file = $T/shopify.secret

[source slack]
scheme = slack
secret_file = $T/slack.secret

[source zendesk]
scheme = zendesk
secret_file = $T/zendesk.secret

[source gitlab]
scheme = gitlab
secret_file = $T/gitlab.secret

[source discord]
scheme = discord
secret_file = $T/discord.secret

[source interactions]
scheme = discord-interactions
secret_file = $T/discord.secret

[source paddle]
scheme = paddle
secret_file = $T/paddle.secret

[source linear]
scheme = linear
secret_file = $T/linear.secret

[source pagerduty]
scheme = pagerduty
secret_file = $T/pagerduty.secret

[source jira]
scheme = jira
secret_file = $T/jira.secret

[source meta]
scheme = meta
secret_file = $T/meta.secret

[source zoom]
scheme = zoom
secret_file = $T/zoom.secret

[source square]
scheme = square
secret_file = $T/square.secret
notification_url = $SQ_URL

[source mailgun]
scheme = mailgun
secret_file = $T/mailgun.secret
C
start_receiver
start_nginx

JSON=application/json
FORM=application/x-www-form-urlencoded

# ---- helpers ------------------------------------------------------------------

# row SOURCE EVENT_ID: "event_type|hex(body)" of that row ("NULL" for no type).
row() {
	sql "SELECT coalesce(event_type, 'NULL') || '|' || hex(body) FROM events
		WHERE source = $(sql_str "$1") AND event_id = $(sql_str "$2")"
}
source_rows() {
	sql "SELECT count(*) FROM events WHERE source = $(sql_str "$1")"
}
# want_stored SOURCE EVENT_ID TYPE BODYFILE: exactly one row with that id, type and body.
want_stored() {
	want "rows with event_id $2" 1 "$(rows "$1" "$2")"
	want "event_type|hex(body) of $2" "$3|$(file_hex "$4")" "$(row "$1" "$2")"
}
body_id() {
	echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}
# tamper IN OUT: OUT is IN with one byte changed (the last letter or digit,
# so JSON stays JSON and the signature no longer matches).
tamper() {
	"$PY" - "$1" "$2" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
for i in range(len(b) - 1, -1, -1):
    c = chr(b[i])
    if c.isalnum():
        b[i] = ord("1") if c == "0" else ord("0") if c.isdigit() else ord("b") if c == "a" else ord("a")
        break
open(sys.argv[2], "wb").write(bytes(b))
PY
}
# want_refused STATUS SOURCE ROWS_BEFORE: a 401 with the usual body that stored nothing.
want_refused() {
	want status 401 "$1"
	want_response $'unauthorized\n'
	want "rows of $2" "$3" "$(source_rows "$2")"
}
# header_value FILE NAME: the value of header NAME in a sign_to file.
header_value() {
	sed -n "s/^$2: //Ip" "$1" | head -n 1
}
# replace_header IN OUT NAME LINE...: OUT is IN without header NAME, plus the
# raw LINEs (printf %b: escapes allowed). "NAME;" sends NAME with an empty value.
replace_header() {
	local in=$1 out=$2 name=$3
	shift 3
	grep -vi "^$name:" "$in" > "$out"
	local l
	for l in "$@"; do printf '%b\n' "$l" >> "$out"; done
}
JUNK=$(head -c 8000 /dev/zero | tr '\0' 'A')
ZEROS=0000000000000000000000000000000000000000000000000000000000000000
STATUSES=()
# malformed SOURCE BODYFILE CT HEADERFILE SIGHEADER PREFIX ALPHABET [SEP ITEM]: sends the
# signed request with its signature header replaced by each malformed shape;
# every one must get 401 and leave the source's rows unchanged.
# ALPHABET: hex or base64 (what a non-decodable signature is made of). With a
# separator SEP, one more shape: PREFIX then 80 items ITEM<64 zeros>SEP (all
# wrong; the header stays under nginx's 8 KB line limit).
malformed() {
	local src=$1 b=$2 ct=$3 hf=$4 name=$5 p=$6 alpha=$7 sep=${8:-} item=${9:-} n valid shape s i
	local bad many=""
	n=$(source_rows "$src")
	valid=$(header_value "$hf" "$name")
	[ "$alpha" = hex ] && bad=$(printf 'zz%.0s' $(seq 32)) || bad='!!!!****~~~~@@@@'
	if [ -n "$sep" ]; then
		many=$p
		for i in $(seq 1 80); do many="$many$item${ZEROS}$sep"; done
	fi
	local shapes=(
		"$name;"                                    # present, empty
		"$name: $p"                                 # only the prefix
		"$name: $p$bad"                             # not hex / not base64
		"$name: ${valid%??}"                        # the right signature, truncated by 2
		"$name: ${valid}00"                         # the right signature, 2 more digits
		"$name: $p$JUNK"                            # 8 KB of junk
		"$name: $p\\x01\\x02\\x7f\\x80\\xff\\xfe\\t%00\\\\x00\\x1b[31m" # binary-ish escapes
		"$name: ${sep:-,}${sep:-,}${sep:-,}"        # separators (or commas) only
	)
	[ -n "$many" ] && shapes+=("$name: $many") # 80 well-formed, wrong items
	i=0
	for shape in "${shapes[@]}"; do
		i=$((i + 1))
		replace_header "$hf" "$T/malformed.h" "$name" "$shape"
		s=$(send "$src" "$b" "$ct" -H "@$T/malformed.h")
		STATUSES+=("$s")
		want "status of shape $i" 401 "$s"
		want "rows of $src after shape $i" "$n" "$(source_rows "$src")"
	done
	want_true "receiver alive" alive "$RECEIVER_PID"
}

# refusals SOURCE BODYFILE CONTENT_TYPE HEADERFILE ROWS HEADER PREFIX ENCODING NAME
#          [SEPARATOR ITEM_PREFIX]: the two refusals every header-signed source
# gets: the body with one byte changed after signing (401, still ROWS rows),
# and malformed HEADERs (malformed's arguments).
refusals() {
	local src=$1 b=$2 ct=$3 h=$4 n=$5 hdr=$6 prefix=$7 enc=$8 name=$9
	shift 9
	tamper "$b" "$T/$src.t"
	case_start
	s=$(send "$src" "$T/$src.t" "$ct" -H "@$h")
	want_refused "$s" "$src" "$n"
	case_end "$name: one body byte changed after signing gets 401 and no row"

	case_start
	malformed "$src" "$b" "$ct" "$h" "$hdr" "$prefix" "$enc" "$@"
	case_end "$name: malformed $hdr headers get 401, no row, no 5xx"
}

# ---- svix ---------------------------------------------------------------------

b=$(body svix.json '{"type":"invoice.paid","data":{"id":"inv_svix_1","amount":100}}')
sign_to "$T/svix.h" svix "$T/svix.secret" "$b" --id msg_svix_1
case_start
s=$(send svix "$b" $JSON -H "@$T/svix.h")
want status 200 "$s"
want_response $'stored\n'
want_stored svix msg_svix_1 invoice.paid "$b"
case_end "svix: v1 over svix-id.svix-timestamp.body (whsec_ key); id svix-id, type JSON type"

tamper "$b" "$T/svix.t"
sign_to "$T/svix.h2" svix "$T/svix.secret" "$b" --id msg_svix_tampered
case_start
s=$(send svix "$T/svix.t" $JSON -H "@$T/svix.h2")
want_refused "$s" svix 1
want "rows with the id" 0 "$(rows svix msg_svix_tampered)"
case_end "svix: one body byte changed after signing gets 401 and no row"

case_start
malformed svix "$b" $JSON "$T/svix.h2" svix-signature "v1," base64 " " "v1,"
case_end "svix: malformed svix-signature headers get 401, no row, no 5xx"

# ---- shopify ------------------------------------------------------------------

b=$(body shopify.json '{"id":820982911946154508,"email":"jon@example.com","total_price":"10.00"}')
sign_to "$T/shopify.h" shopify "$T/shopify.secret" "$b" --id evt-shopify-1 \
	--webhook-id wh-shopify-1 --type orders/create
case_start
s=$(send shopify "$b" $JSON -H "@$T/shopify.h")
want status 200 "$s"
want_response $'stored\n'
want_stored shopify evt-shopify-1 orders/create "$b"
want "rows with the webhook id" 0 "$(rows shopify wh-shopify-1)"
case_end "shopify: base64 HMAC of the body; id X-Shopify-Event-Id (before Webhook-Id), type X-Shopify-Topic"

b2=$(body shopify2.json '{"id":820982911946154509,"email":"ann@example.com"}')
sign_to "$T/shopify.h2" shopify "$T/shopify.secret" "$b2" --webhook-id wh-shopify-2 --type orders/paid
case_start
s=$(send shopify "$b2" $JSON -H "@$T/shopify.h2")
want status 200 "$s"
want_stored shopify wh-shopify-2 orders/paid "$b2"
case_end "shopify: without X-Shopify-Event-Id the id is X-Shopify-Webhook-Id"

sign_to "$T/shopify.h3" shopify "$T/shopify.secret" "$b" --id evt-shopify-t --type orders/create
refusals shopify "$b" $JSON "$T/shopify.h3" 2 X-Shopify-Hmac-Sha256 "" base64 shopify

# ---- slack --------------------------------------------------------------------

b=$(body slack.json '{"token":"z26uFbvR1xHJEdHE1OQiO6t8","team_id":"T061EG9RZ","api_app_id":"A0FFV41KK","event":{"type":"app_mention","user":"U061F7AUR","text":"hi","ts":"1515449522.000016","channel":"C0LAN2Q65"},"type":"event_callback","event_id":"Ev9UQ52YNA","event_time":1515449522}')
sign_to "$T/slack.h" slack "$T/slack.secret" "$b"
case_start
s=$(send slack "$b" $JSON -H "@$T/slack.h")
want status 200 "$s"
want_response ""
want_stored slack Ev9UQ52YNA app_mention "$b"
case_end "slack: v0= over v0:ts:body; id event_id, type event.type; the 200 is empty"

f=$(body slack.form 'token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&channel_name=test&user_name=Steve&command=%2Fweather&text=94070&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0')
sign_to "$T/slack.h2" slack "$T/slack.secret" "$f"
case_start
s=$(send slack "$f" $FORM -H "@$T/slack.h2")
want status 200 "$s"
want_response ""
want_stored slack "$(body_id "$f")" /weather "$f"
case_end "slack: slash-command form body stored with id sha256:<body hash>, type the command"

refusals slack "$b" $JSON "$T/slack.h" 2 X-Slack-Signature "v0=" hex slack

# ---- zendesk ------------------------------------------------------------------

b=$(body zendesk.json '{"account_id":22129848,"detail":{"id":"5158"},"event":{},"id":"cbe4028c-7239-495d-b020-f22348516046","subject":"zen:ticket:5158","time":"2021-03-25T05:09:27Z","type":"zen:event-type:ticket.created","zendesk_event_version":"2022-11-06"}')
sign_to "$T/zendesk.h" zendesk "$T/zendesk.secret" "$b" --id 01F1KRFQ6BG29CNWFR60NK5FNY
case_start
s=$(send zendesk "$b" $JSON -H "@$T/zendesk.h")
want status 200 "$s"
want_response $'stored\n'
want_stored zendesk 01F1KRFQ6BG29CNWFR60NK5FNY zen:event-type:ticket.created "$b"
want "ISO 8601 timestamp header" 1 \
	"$(grep -cE '^X-Zendesk-Webhook-Signature-Timestamp: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$T/zendesk.h")"
case_end "zendesk: base64 HMAC of ISO timestamp + body; id X-Zendesk-Webhook-Invocation-Id, type JSON type"

b2=$(body zendesk2.json '{"type":"zen:event-type:ticket.updated","id":"second"}')
sign_to "$T/zendesk.h2" zendesk "$T/zendesk.secret" "$b2"
case_start
s=$(send zendesk "$b2" $JSON -H "@$T/zendesk.h2")
want status 200 "$s"
want_stored zendesk "$(body_id "$b2")" zen:event-type:ticket.updated "$b2"
case_end "zendesk: without X-Zendesk-Webhook-Invocation-Id the id is sha256:<body hash>"

x=$(body zendesk.xml '<ticket><id>5158</id><status>open</status></ticket>')
sign_to "$T/zendesk.h3" zendesk "$T/zendesk.secret" "$x" --id zd-xml-1
case_start
s=$(send zendesk "$x" application/xml -H "@$T/zendesk.h3")
want status 200 "$s"
want_stored zendesk zd-xml-1 NULL "$x"
case_end "zendesk: a trigger webhook's XML body is stored with no type, not refused"

tamper "$b" "$T/zendesk.t"
sign_to "$T/zendesk.h4" zendesk "$T/zendesk.secret" "$b" --id zd-tampered
case_start
s=$(send zendesk "$T/zendesk.t" $JSON -H "@$T/zendesk.h4")
want_refused "$s" zendesk 3
want "rows with the id" 0 "$(rows zendesk zd-tampered)"
case_end "zendesk: one body byte changed after signing gets 401 and no row"

case_start
malformed zendesk "$b" $JSON "$T/zendesk.h4" X-Zendesk-Webhook-Signature "" base64
case_end "zendesk: malformed X-Zendesk-Webhook-Signature headers get 401, no row, no 5xx"

# ---- gitlab -------------------------------------------------------------------

b=$(body gitlab.json '{"object_kind":"push","event_name":"push","ref":"refs/heads/main","project_id":15}')
sign_to "$T/gitlab.h" gitlab "$T/gitlab.secret" "$b" --type "Push Hook" --id idem-gl-1 \
	--event-uuid 11111111-2222-3333-4444-555555555555
case_start
s=$(send gitlab "$b" $JSON -H "@$T/gitlab.h")
want status 200 "$s"
want_response $'stored\n'
want_stored gitlab idem-gl-1 "Push Hook" "$b"
case_end "gitlab: X-Gitlab-Token equal to the secret; id Idempotency-Key (before Event-UUID), type X-Gitlab-Event"

b2=$(body gitlab2.json '{"object_kind":"issue","event_type":"issue"}')
sign_to "$T/gitlab.h2" gitlab "$T/gitlab.secret" "$b2" --type "Issue Hook" \
	--event-uuid 6b1a6fe4-3b8c-4fd3-b3c6-6c2a3f0a9e11
case_start
s=$(send gitlab "$b2" $JSON -H "@$T/gitlab.h2")
want status 200 "$s"
want_stored gitlab 6b1a6fe4-3b8c-4fd3-b3c6-6c2a3f0a9e11 "Issue Hook" "$b2"
case_end "gitlab: without Idempotency-Key the id is X-Gitlab-Event-UUID"

# The secret is read by sqlite3 itself (readfile), never put in argv or output.
GL_SECRET_SQL="rtrim(readfile($(sql_str "$T/gitlab.secret")), char(10))"
case_start
want "rows" 2 "$(source_rows gitlab)"
want "rows whose headers hold x-gitlab-token" 0 \
	"$(sql "SELECT count(*) FROM events WHERE source = 'gitlab'
		AND json_extract(headers, '\$.\"x-gitlab-token\"') IS NOT NULL")"
want "rows whose headers hold x-gitlab-event (headers are stored)" 2 \
	"$(sql "SELECT count(*) FROM events WHERE source = 'gitlab'
		AND json_extract(headers, '\$.\"x-gitlab-event\"') IS NOT NULL")"
want "secret length read by sqlite3" 64 "$(sql "SELECT length($GL_SECRET_SQL)")"
want "rows holding the secret text anywhere" 0 \
	"$(sql "SELECT count(*) FROM events WHERE instr(headers, $GL_SECRET_SQL) > 0
		OR instr(CAST(body AS TEXT), $GL_SECRET_SQL) > 0 OR instr(event_id, $GL_SECRET_SQL) > 0
		OR instr(coalesce(event_type, ''), $GL_SECRET_SQL) > 0")"
want_true "the secret is not in the receiver log" eval "! grep -qF -f '$T/gitlab.secret' '$T/receiver.log'"
case_end "gitlab: the token header is not stored, and the secret appears nowhere in the rows or the log"

# The body is not signed: the tampered request changes one byte of the token.
"$PY" - "$T/gitlab.h" "$T/gitlab.h3" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
out = []
for l in lines:
    if l.startswith("X-Gitlab-Token: "):
        c = l[-1]
        l = l[:-1] + ("0" if c != "0" else "1")
    if l.startswith("Idempotency-Key: "):
        l = "Idempotency-Key: idem-gl-wrong"
    out.append(l)
open(sys.argv[2], "w").write("\n".join(out))
PY
case_start
want "headers differ in the token line only (and id)" 2 "$(diff "$T/gitlab.h" "$T/gitlab.h3" | grep -c '^>')"
s=$(send gitlab "$b" $JSON -H "@$T/gitlab.h3")
want_refused "$s" gitlab 2
want "rows with the id" 0 "$(rows gitlab idem-gl-wrong)"
case_end "gitlab: a token with one byte changed gets 401 and no row"

case_start
malformed gitlab "$b" $JSON "$T/gitlab.h3" X-Gitlab-Token "" base64
case_end "gitlab: malformed X-Gitlab-Token headers get 401, no row, no 5xx"

# ---- discord ------------------------------------------------------------------

b=$(body discord.json '{"version":1,"application_id":"1234567765431","type":1,"event":{"type":"APPLICATION_AUTHORIZED","timestamp":"2024-10-18T14:42:53.064834","data":{"integration_type":1,"scopes":["applications.commands"],"user":{"id":"4567"}}}}')
sign_to "$T/discord.h" discord "$T/ed.sign" "$b"
case_start
s=$(send discord "$b" $JSON -H "@$T/discord.h")
want status 200 "$s"
want_response $'stored\n'
want_stored discord "$(body_id "$b")" APPLICATION_AUTHORIZED "$b"
case_end "discord: Ed25519 (hex) over timestamp + body; id sha256:<body hash>, type event.type"

refusals discord "$b" $JSON "$T/discord.h" 1 X-Signature-Ed25519 "" hex discord

# ---- discord-interactions -----------------------------------------------------

b=$(body inter.json '{"id":"1151234567890123456","application_id":"1234567765431","type":2,"token":"aW50ZXJhY3Rpb24","version":1,"data":{"id":"771825006014889984","name":"blep","type":1}}')
sign_to "$T/inter.h" discord-interactions "$T/ed.sign" "$b"
case_start
s=$(send interactions "$b" $JSON -H "@$T/inter.h")
want status 200 "$s"
want_response '{"type":5}'
want "content type" application/json "$(response_header Content-Type)"
want_stored interactions 1151234567890123456 blep "$b"
case_end "discord-interactions: application command stored (id id, type data.name), answered {\"type\":5}"

refusals interactions "$b" $JSON "$T/inter.h" 1 X-Signature-Ed25519 "" hex discord-interactions

# ---- paddle -------------------------------------------------------------------

b=$(body paddle.json '{"event_id":"evt_01h8bzakzx3hm2fmen703n5q45","event_type":"transaction.completed","occurred_at":"2023-08-21T11:57:47.390028Z","notification_id":"ntf_01h8bzam1z32agrxjwhjgqk8w6","data":{"id":"txn_01h8bz"}}')
sign_to "$T/paddle.h" paddle "$T/paddle.secret" "$b"
case_start
s=$(send paddle "$b" $JSON -H "@$T/paddle.h")
want status 200 "$s"
want_response $'stored\n'
want_stored paddle evt_01h8bzakzx3hm2fmen703n5q45 transaction.completed "$b"
case_end "paddle: ts=;h1= over ts:body; id event_id, type event_type"

refusals paddle "$b" $JSON "$T/paddle.h" 1 Paddle-Signature "ts=$(date +%s);h1=" hex paddle ";" "h1="

# ---- linear -------------------------------------------------------------------

b=$(body linear.json "{\"action\":\"create\",\"type\":\"Issue\",\"data\":{\"id\":\"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9\",\"title\":\"Bug\"},\"url\":\"https://linear.app/issue/LIN-1\",\"webhookTimestamp\":$(now_ms)}")
sign_to "$T/linear.h" linear "$T/linear.secret" "$b" --id 8d3a5c2e-delivery-1
case_start
s=$(send linear "$b" $JSON -H "@$T/linear.h")
want status 200 "$s"
want_response $'stored\n'
want_stored linear 8d3a5c2e-delivery-1 Issue "$b"
case_end "linear: hex HMAC of the body, webhookTimestamp (ms) in the body; id Linear-Delivery, type type"

b2=$(body linear2.json "{\"action\":\"update\",\"type\":\"Comment\",\"data\":{\"id\":\"c1\"},\"webhookTimestamp\":$(now_ms)}")
sign_to "$T/linear.h2" linear "$T/linear.secret" "$b2"
case_start
s=$(send linear "$b2" $JSON -H "@$T/linear.h2")
want status 200 "$s"
want_stored linear "$(body_id "$b2")" Comment "$b2"
case_end "linear: without Linear-Delivery the id is sha256:<body hash>"

refusals linear "$b" $JSON "$T/linear.h" 2 Linear-Signature "" hex linear

# ---- pagerduty ----------------------------------------------------------------

b=$(body pagerduty.json '{"event":{"id":"01DEN4HPBQAGOI1L6QJHOSQN2C","event_type":"incident.triggered","resource_type":"incident","occurred_at":"2020-10-02T18:45:22.169Z","data":{"id":"PGR0VU2","type":"incident"}}}')
sign_to "$T/pagerduty.h" pagerduty "$T/pagerduty.secret" "$b"
case_start
s=$(send pagerduty "$b" $JSON -H "@$T/pagerduty.h")
want status 200 "$s"
want_response $'stored\n'
want_stored pagerduty 01DEN4HPBQAGOI1L6QJHOSQN2C incident.triggered "$b"
case_end "pagerduty: v1= hex HMAC of the body; id event.id, type event.event_type"

refusals pagerduty "$b" $JSON "$T/pagerduty.h" 1 X-PagerDuty-Signature "v1=" hex pagerduty "," "v1="

# ---- jira ---------------------------------------------------------------------

b=$(body jira.json '{"timestamp":1700000000000,"webhookEvent":"jira:issue_created","issue_event_type_name":"issue_created","issue":{"id":"10001","key":"PRJ-1"}}')
sign_to "$T/jira.h" jira "$T/jira.secret" "$b" --id 4f2b1c3a-jira-1
case_start
s=$(send jira "$b" $JSON -H "@$T/jira.h")
want status 200 "$s"
want_response $'stored\n'
want_stored jira 4f2b1c3a-jira-1 jira:issue_created "$b"
case_end "jira: X-Hub-Signature sha256= hex; id X-Atlassian-Webhook-Identifier, type webhookEvent"

b2=$(body jira2.json '{"timestamp":1700000000001,"webhookEvent":"jira:issue_updated","issue":{"id":"10002"}}')
sign_to "$T/jira.h2" jira "$T/jira.secret" "$b2"
case_start
s=$(send jira "$b2" $JSON -H "@$T/jira.h2")
want status 200 "$s"
want_stored jira "$(body_id "$b2")" jira:issue_updated "$b2"
case_end "jira: without X-Atlassian-Webhook-Identifier the id is sha256:<body hash>"

refusals jira "$b" $JSON "$T/jira.h" 2 X-Hub-Signature "sha256=" hex jira

# ---- meta ---------------------------------------------------------------------

b=$(body meta.json '{"object":"page","entry":[{"id":"0","time":1700000000,"changes":[{"field":"feed","value":{"item":"status"}}]}]}')
sign_to "$T/meta.h" meta "$T/meta.secret" "$b"
case_start
s=$(send meta "$b" $JSON -H "@$T/meta.h")
want status 200 "$s"
want_response $'stored\n'
want_stored meta "$(body_id "$b")" page "$b"
case_end "meta: X-Hub-Signature-256 sha256= hex (app secret); id sha256:<body hash>, type object"

refusals meta "$b" $JSON "$T/meta.h" 1 X-Hub-Signature-256 "sha256=" hex meta

# ---- zoom ---------------------------------------------------------------------

b=$(body zoom.json '{"event":"meeting.started","event_ts":1700000000000,"payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890","uuid":"4444AAAiAAAAAiAiAiiAii==","topic":"My Meeting"}}}')
sign_to "$T/zoom.h" zoom "$T/zoom.secret" "$b"
case_start
s=$(send zoom "$b" $JSON -H "@$T/zoom.h")
want status 200 "$s"
want_response $'stored\n'
want_stored zoom "$(body_id "$b")" meeting.started "$b"
case_end "zoom: x-zm-signature v0= over v0:ts:body; id sha256:<body hash>, type event"

refusals zoom "$b" $JSON "$T/zoom.h" 1 x-zm-signature "v0=" hex zoom

# ---- square -------------------------------------------------------------------

b=$(body square.json '{"merchant_id":"6SSW7HV8K2ST5","type":"payment.created","event_id":"6a8f5f28-54a1-4eb0-a98a-3111513fd4fc","created_at":"2020-02-06T21:27:30.792Z","data":{"type":"payment","id":"KkAkhdMsgzn59SM8A89WgKwekxLZY"}}')
sign_to "$T/square.h" square "$T/square.secret" "$b" --url "$SQ_URL"
case_start
s=$(send square "$b" $JSON -H "@$T/square.h")
want status 200 "$s"
want_response $'stored\n'
want_stored square 6a8f5f28-54a1-4eb0-a98a-3111513fd4fc payment.created "$b"
case_end "square: base64 HMAC of notification_url + body; id event_id, type type"

b2=$(body square2.json '{"merchant_id":"6SSW7HV8K2ST5","type":"payment.updated","event_id":"sq-other-url","data":{}}')
case_start
sign_to "$T/square.h2" square "$T/square.secret" "$b2" --url "https://example.com/hooks/other"
s=$(send square "$b2" $JSON -H "@$T/square.h2")
want_refused "$s" square 1
sign_to "$T/square.h2" square "$T/square.secret" "$b2" --url "$SQ_URL/"
s=$(send square "$b2" $JSON -H "@$T/square.h2")
want_refused "$s" square 1
want "rows with the id" 0 "$(rows square sq-other-url)"
case_end "square: signed with another notification URL (other path, trailing slash) gets 401 and no row"

refusals square "$b" $JSON "$T/square.h" 1 x-square-hmacsha256-signature "" base64 square

# ---- mailgun ------------------------------------------------------------------

MG_TOKEN=a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0
"$PY" "$SIGN" mailgun --secret-file "$T/mailgun.secret" --body-out "$T/mailgun.json" \
	--token "$MG_TOKEN" --event delivered || bail "sign.py mailgun failed"
case_start
s=$(send mailgun "$T/mailgun.json" $JSON)
want status 200 "$s"
want_response $'stored\n'
want_stored mailgun "$MG_TOKEN" delivered "$T/mailgun.json"
case_end "mailgun: JSON body with signature.{timestamp,token,signature}; id the token, type event-data.event"

case_start
s=$(send mailgun "$T/mailgun.json" $JSON)
want status 200 "$s"
want_response $'duplicate\n'
want "rows with the token" 1 "$(rows mailgun "$MG_TOKEN")"
case_end "mailgun: the same token posted again is a 200 duplicate"

MG_FORM_TOKEN=f0rm7e5t0ken5d1ee6c2405235584e45aa91d1e9f979f3de1
"$PY" "$SIGN" mailgun --secret-file "$T/mailgun.secret" --body-out "$T/mailgun.form" \
	--token "$MG_FORM_TOKEN" --event opened --form || bail "sign.py mailgun failed"
case_start
s=$(send mailgun "$T/mailgun.form" $FORM)
want status 200 "$s"
want_response $'stored\n'
want_stored mailgun "$MG_FORM_TOKEN" opened "$T/mailgun.form"
s=$(send mailgun "$T/mailgun.form" $FORM)
want "status again" 200 "$s"
want_response $'duplicate\n'
want "rows with the token" 1 "$(rows mailgun "$MG_FORM_TOKEN")"
case_end "mailgun: urlencoded form body stored with id the token, type event; again: 200 duplicate"

# The signature covers timestamp + token: the tampered request changes one byte of the token.
MG_T=tamper7e5t0ken5d1ee6c2405235584e45aa91d1e9f979f3de2
"$PY" "$SIGN" mailgun --secret-file "$T/mailgun.secret" --body-out "$T/mailgun.t0" \
	--token "$MG_T" || bail "sign.py mailgun failed"
sed "s/\"token\":\"$MG_T\"/\"token\":\"${MG_T%?}3\"/" "$T/mailgun.t0" > "$T/mailgun.t"
"$PY" "$SIGN" mailgun --secret-file "$T/mailgun.secret" --body-out "$T/mailgun.tf0" \
	--token "$MG_T" --form || bail "sign.py mailgun failed"
sed "s/token=$MG_T/token=${MG_T%?}3/" "$T/mailgun.tf0" > "$T/mailgun.tf"
case_start
want "tampered JSON differs by one byte" 1 "$(cmp -l "$T/mailgun.t0" "$T/mailgun.t" | wc -l)"
want "tampered form differs by one byte" 1 "$(cmp -l "$T/mailgun.tf0" "$T/mailgun.tf" | wc -l)"
n=$(source_rows mailgun)
s=$(send mailgun "$T/mailgun.t" $JSON)
want_refused "$s" mailgun "$n"
s=$(send mailgun "$T/mailgun.tf" $FORM)
want_refused "$s" mailgun "$n"
case_end "mailgun: one byte of the signed token changed (JSON and form) gets 401 and no row"

# mg_json FILE SIGNATURE_JSON: a JSON body with a valid timestamp and token and the given signature member.
mg_json() {
	printf '{"signature":{"timestamp":"%s","token":"mgbad%s"%s},"event-data":{"event":"failed"}}' \
		"$(date +%s)" "$RANDOM" "$2" > "$1"
}
case_start
n=$(source_rows mailgun)
"$PY" "$SIGN" mailgun --secret-file "$T/mailgun.secret" --body-out "$T/mg.valid" --token mgvalidsig ||
	bail "sign.py mailgun failed"
valid=$(sed -n 's/.*"signature":"\([0-9a-f]*\)".*/\1/p' "$T/mg.valid")
want "valid signature extracted" 64 "${#valid}"
i=0
for sig in ',"signature":""' ',"signature":"zz"' ",\"signature\":\"${valid%??}\"" \
	",\"signature\":\"${valid}00\"" ",\"signature\":\"$JUNK\"" \
	',"signature":"\u0001\u00ff\ud800\\x00"' ',"signature":12345' ',"signature":{"a":1}' \
	',"signature":null' ''; do
	i=$((i + 1))
	mg_json "$T/mg.bad" "$sig"
	s=$(send mailgun "$T/mg.bad" $JSON)
	STATUSES+=("$s")
	want "status of JSON shape $i" 401 "$s"
done
for f in 'timestamp=1&token=x&signature=' "timestamp=$(date +%s)&token=x&signature=%00%01" \
	"timestamp=$(date +%s)&token=x&signature=$JUNK" "timestamp=$(date +%s)&token=x" \
	"timestamp=$(date +%s)&token=x&signature=%zz%" '&&&==&'; do
	i=$((i + 1))
	printf '%s' "$f" > "$T/mg.bad"
	s=$(send mailgun "$T/mg.bad" $FORM)
	STATUSES+=("$s")
	want "status of form shape $i" 401 "$s"
done
printf '{"signature":' > "$T/mg.bad"
s=$(send mailgun "$T/mg.bad" $JSON)
STATUSES+=("$s")
want "status of truncated JSON" 401 "$s"
want "rows of mailgun" "$n" "$(source_rows mailgun)"
want_true "receiver alive" alive "$RECEIVER_PID"
case_end "mailgun: malformed signatures in JSON and form bodies get 401, no row, no 5xx"

# ---- overall ------------------------------------------------------------------

case_start
fivexx=0
for s in "${STATUSES[@]}"; do case $s in 5*|000) fivexx=$((fivexx + 1)) ;; esac; done
want_true "at least 130 malformed requests sent (${#STATUSES[@]})" test "${#STATUSES[@]}" -ge 130
want "5xx or dropped answers" 0 "$fivexx"
want "5xx in the receiver log" 0 "$(grep -c 'status=5' "$T/receiver.log")"
want_true "receiver alive" alive "$RECEIVER_PID"
b=$(body final.json '{"event":{"id":"final-pd","event_type":"incident.resolved"}}')
sign_to "$T/final.h" pagerduty "$T/pagerduty.secret" "$b"
s=$(send pagerduty "$b" $JSON -H "@$T/final.h")
want "a valid event after all that" 200 "$s"
want_stored pagerduty final-pd incident.resolved "$b"
case_end "after every malformed request: no 5xx, the receiver alive and still storing"

case_start
for f in "$T"/*.secret; do
	grep -qF -f "$f" "$T/receiver.log" && CASE_ERRORS+=("$(basename "$f") appears in the receiver log")
	grep -qF -f "$f" "$T/nginx/logs/access.log" && CASE_ERRORS+=("$(basename "$f") appears in nginx's access log")
done
want "unauthorized log lines have a reason" 0 \
	"$(grep 'status=401' "$T/receiver.log" | grep -vc 'outcome=unauthorized reason=')"
case_end "no secret appears in the receiver's or nginx's logs"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
