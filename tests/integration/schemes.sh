#!/bin/bash
# schemes.sh: one source per signature scheme (github, stripe, standard-webhooks
# v1 and v1a, generic hex/base64/Ed25519), each sent a correctly signed event
# through the real nginx and read back from the table with the event id and
# type the scheme defines; and for each, a well-formed signature made with the
# wrong key gets 401 and no row. Signatures come from sign.py (Python's hmac,
# openssl pkeyutl), independently of hookq's own code.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

# ---- secrets and keys (written by builtins and pipes: never in argv) ---------

new_secret gh
new_secret gh_wrong
new_secret ac
new_secret ac_wrong
new_secret b64
new_secret b64_wrong
new_secret mx
new_secret mx_wrong
# Stripe: the whole whsec_ string is the HMAC key (base64-looking, used as text).
printf 'whsec_%s\n' "$(head -c 24 /dev/urandom | base64 | tr -d '\n=+/')" > "$T/st.secret"
printf 'whsec_%s\n' "$(head -c 24 /dev/urandom | base64 | tr -d '\n=+/')" > "$T/st_wrong.secret"
# Standard Webhooks v1: whsec_ + base64 of the key bytes.
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" > "$T/sw.secret"
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 | tr -d '\n')" > "$T/sw_wrong.secret"
chmod 600 "$T"/*.secret

# Ed25519 keys: ed.pem signs; ed_wrong.pem is a key the receivers do not know.
# The raw public key is the last 32 bytes of the DER SubjectPublicKeyInfo.
for k in ed ed_wrong; do
	openssl genpkey -algorithm ed25519 -out "$T/$k.pem" 2>/dev/null ||
		bail "openssl cannot make an Ed25519 key"
	chmod 600 "$T/$k.pem"
	echo "$T/$k.pem" > "$T/$k.sign" # sign.py's "secret" for Ed25519: the PEM path
done
pub_raw() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | tail -c 32; }
printf 'whpk_%s\n' "$(pub_raw "$T/ed.pem" | base64 | tr -d '\n')" > "$T/swpk.secret"
pub_raw "$T/ed.pem" | od -An -v -tx1 | tr -d ' \n' > "$T/edgen.secret"
echo >> "$T/edgen.secret"
cat "$T/sw.secret" "$T/swpk.secret" > "$T/swboth.secret"
[ "$(tr -d '\n' < "$T/edgen.secret" | wc -c)" -eq 64 ] || bail "could not extract the Ed25519 public key"

write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret

[source stripe]
scheme = stripe
secret_file = $T/st.secret

[source svix]
scheme = standard-webhooks
secret_file = $T/sw.secret

[source svixpk]
scheme = standard-webhooks
secret_file = $T/swpk.secret

[source svixboth]
scheme = standard-webhooks
secret_file = $T/swboth.secret

[source acme]
scheme = generic
secret_file = $T/ac.secret
signature_header = X-Acme-Signature
signature_prefix = sha256=
encoding = hex
algorithm = hmac-sha256
id_header = X-Acme-Delivery
type_header = X-Acme-Event

[source b64]
scheme = generic
secret_file = $T/b64.secret
signature_header = X-B64-Signature
encoding = base64
algorithm = hmac-sha512
id_json = data.object.id
type_json = type

[source edgen]
scheme = generic
secret_file = $T/edgen.secret
signature_header = X-Ed-Signature
encoding = base64
algorithm = ed25519

[source mixed]
scheme = generic
secret_file = $T/mx.secret
signature_header = X-MiXeD-SiGnAtUrE
id_header = X-MIXED-Id
type_header = x-Mixed-TYPE
C
start_receiver
start_nginx

# row SOURCE EVENT_ID: "event_type|hex(body)" of that row ("NULL" for no type), or nothing.
row() {
	sql "SELECT coalesce(event_type, 'NULL') || '|' || hex(body) FROM events
		WHERE source = $(sql_str "$1") AND event_id = $(sql_str "$2")"
}
# source_rows SOURCE: how many rows the source has.
source_rows() {
	sql "SELECT count(*) FROM events WHERE source = $(sql_str "$1")"
}
# want_stored SOURCE EVENT_ID TYPE BODYFILE: one row with that id, type and body.
want_stored() {
	want "rows with event_id $2" 1 "$(rows "$1" "$2")"
	want "event_type|hex(body) of $2" "$3|$(file_hex "$4")" "$(row "$1" "$2")"
}
# want_refused STATUS SOURCE ROWS_BEFORE [EVENT_ID]: a 401 that stored nothing.
REFUSED=0
want_refused() {
	REFUSED=$((REFUSED + 1))
	want status 401 "$1"
	want_response $'unauthorized\n'
	want "rows of $2" "$3" "$(source_rows "$2")"
	[ -n "${4:-}" ] && want "rows with event_id $4" 0 "$(rows "$2" "$4")"
}

# ---- github --------------------------------------------------------------------

b=$(body gh.json '{"zen":"Design for failure.","hook_id":1}')
case_start
s=$(EXTRA_HEADERS=$'X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958\nX-GitHub-Event: push' \
	post_signed github github "$T/gh.secret" "$b")
want status 200 "$s"
want_response $'stored\n'
want_stored github 72d3162e-cc78-11e3-81ab-4c9367dc0958 push "$b"
case_end "github: X-Hub-Signature-256 verified; id from X-GitHub-Delivery, type from X-GitHub-Event"

case_start
n=$(source_rows github)
s=$(EXTRA_HEADERS=$'X-GitHub-Delivery: gh-wrong\nX-GitHub-Event: push' \
	post_signed github github "$T/gh_wrong.secret" "$b")
want_refused "$s" github "$n" gh-wrong
case_end "github: signature made with another secret gets 401 and no row"

# ---- stripe --------------------------------------------------------------------

b=$(body st.json '{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"invoice.paid","data":{"object":{"id":"in_1"}}}')
case_start
s=$(EXTRA_HEADERS= post_signed stripe stripe "$T/st.secret" "$b")
want status 200 "$s"
want_response $'stored\n'
want_stored stripe evt_1NG8Du2eZvKYlo2CUI79vXWy invoice.paid "$b"
case_end "stripe: t=,v1= over \"t.body\" keyed with the whole whsec_ string; id and type from the JSON body"

# stripe_sig SECRETFILE BODYFILE TS: the hex v1 signature sign.py makes.
stripe_sig() {
	signed_headers stripe "$1" "$2" --timestamp "$3" | sed -n 's/^Stripe-Signature: .*v1=//p'
}
b=$(body st2.json '{"id":"evt_two_v1","object":"event","type":"charge.succeeded"}')
ts=$(date +%s)
good=$(stripe_sig "$T/st.secret" "$b" "$ts")
bad=$(stripe_sig "$T/st_wrong.secret" "$b" "$ts")
case_start
want "sign.py gave two distinct 64-hex signatures" "64 64 different" \
	"${#good} ${#bad} $([ "$good" != "$bad" ] && echo different)"
s=$(post stripe "$b" -H "Stripe-Signature: t=$ts,v1=$bad,v1=$good")
want status 200 "$s"
want_stored stripe evt_two_v1 charge.succeeded "$b"
case_end "stripe: two v1 entries, only the second right: accepted"

b=$(body st3.json '{"id":"evt_v0_only","object":"event","type":"charge.succeeded"}')
ts=$(date +%s)
good=$(stripe_sig "$T/st.secret" "$b" "$ts")
case_start
n=$(source_rows stripe)
s=$(post stripe "$b" -H "Stripe-Signature: t=$ts,v0=$good")
want_refused "$s" stripe "$n" evt_v0_only
case_end "stripe: a header with only v0= (even the right MAC) gets 401 and no row"

b=$(body st4.json '{"id":"evt_wrong_key","object":"event","type":"charge.succeeded"}')
case_start
n=$(source_rows stripe)
s=$(EXTRA_HEADERS= post_signed stripe stripe "$T/st_wrong.secret" "$b")
want_refused "$s" stripe "$n" evt_wrong_key
case_end "stripe: signature made with another whsec_ gets 401 and no row"

# ---- standard webhooks ---------------------------------------------------------

b=$(body sw.json '{"type":"invoice.paid","data":{"id":"inv_1"}}')
case_start
s=$(EXTRA_HEADERS= post_signed svix standard-webhooks "$T/sw.secret" "$b" --id msg_p5jXN8AQM9LWM0D4loKWxJek)
want status 200 "$s"
want_response $'stored\n'
want_stored svix msg_p5jXN8AQM9LWM0D4loKWxJek invoice.paid "$b"
case_end "standard-webhooks v1: HMAC over id.timestamp.body with the whsec_ key; id from webhook-id, type from JSON"

case_start
n=$(source_rows svix)
s=$(EXTRA_HEADERS= post_signed svix standard-webhooks "$T/sw_wrong.secret" "$b" --id msg_wrong_key)
want_refused "$s" svix "$n" msg_wrong_key
case_end "standard-webhooks v1: signature made with another whsec_ gets 401 and no row"

b=$(body swpk.json '{"type":"user.created","data":{"id":"u_1"}}')
case_start
s=$(EXTRA_HEADERS= post_signed svixpk standard-webhooks "$T/ed.sign" "$b" --id msg_v1a_1)
want status 200 "$s"
want_response $'stored\n'
want_stored svixpk msg_v1a_1 user.created "$b"
case_end "standard-webhooks v1a: Ed25519 signature verified with the whpk_ public key"

case_start
n=$(source_rows svixpk)
s=$(EXTRA_HEADERS= post_signed svixpk standard-webhooks "$T/ed_wrong.sign" "$b" --id msg_v1a_wrong)
want_refused "$s" svixpk "$n" msg_v1a_wrong
case_end "standard-webhooks v1a: signature by another Ed25519 key gets 401 and no row"

case_start
n=$(source_rows svixpk)
s=$(EXTRA_HEADERS= post_signed svixpk standard-webhooks "$T/sw.secret" "$b" --id msg_v1_on_pk)
want_refused "$s" svixpk "$n" msg_v1_on_pk
case_end "standard-webhooks: a v1 HMAC signature on a source with only a whpk_ key gets 401"

b=$(body swboth.json '{"type":"user.updated","data":{"id":"u_2"}}')
case_start
s=$(EXTRA_HEADERS= post_signed svixboth standard-webhooks "$T/sw.secret" "$b" --id msg_both_v1)
want "status (v1)" 200 "$s"
s=$(EXTRA_HEADERS= post_signed svixboth standard-webhooks "$T/ed.sign" "$b" --id msg_both_v1a)
want "status (v1a)" 200 "$s"
want_stored svixboth msg_both_v1 user.updated "$b"
want_stored svixboth msg_both_v1a user.updated "$b"
case_end "standard-webhooks: a secret file with a whsec_ and a whpk_ line accepts v1 and v1a"

case_start
n=$(source_rows svixboth)
s=$(EXTRA_HEADERS= post_signed svixboth standard-webhooks "$T/ed_wrong.sign" "$b" --id msg_both_wrong_ed)
want_refused "$s" svixboth "$n" msg_both_wrong_ed
s=$(EXTRA_HEADERS= post_signed svixboth standard-webhooks "$T/sw_wrong.secret" "$b" --id msg_both_wrong_mac)
want_refused "$s" svixboth "$n" msg_both_wrong_mac
case_end "standard-webhooks: with both keys, a wrong v1a and a wrong v1 each get 401 and no row"

# ---- generic -------------------------------------------------------------------

b=$(body ac.json '{"action":"created","n":1}')
case_start
s=$(EXTRA_HEADERS=$'X-Acme-Delivery: acme-0001\nX-Acme-Event: thing.created' \
	post_signed acme generic "$T/ac.secret" "$b" --header X-Acme-Signature --prefix sha256= --encoding hex)
want status 200 "$s"
want_response $'stored\n'
want_stored acme acme-0001 thing.created "$b"
case_end "generic hex hmac-sha256 with signature_prefix sha256=; id_header and type_header"

case_start
n=$(source_rows acme)
s=$(EXTRA_HEADERS=$'X-Acme-Delivery: acme-wrong\nX-Acme-Event: thing.created' \
	post_signed acme generic "$T/ac_wrong.secret" "$b" --header X-Acme-Signature --prefix sha256= --encoding hex)
want_refused "$s" acme "$n" acme-wrong
s=$(EXTRA_HEADERS=$'X-Acme-Delivery: acme-noprefix\nX-Acme-Event: thing.created' \
	post_signed acme generic "$T/ac.secret" "$b" --header X-Acme-Signature --encoding hex)
want_refused "$s" acme "$n" acme-noprefix
case_end "generic hex: wrong secret, and the right MAC without its sha256= prefix, get 401 and no row"

b=$(body b64.json '{"type":"invoice.paid","data":{"object":{"id":"in_b64_1","amount":100}}}')
case_start
s=$(EXTRA_HEADERS= post_signed b64 generic "$T/b64.secret" "$b" --header X-B64-Signature \
	--encoding base64 --algorithm hmac-sha512)
want status 200 "$s"
want_response $'stored\n'
want_stored b64 in_b64_1 invoice.paid "$b"
case_end "generic base64 hmac-sha512; id_json data.object.id, type_json type"

b=$(body b64w.json '{"type":"invoice.paid","data":{"object":{"id":"in_b64_wrong"}}}')
case_start
n=$(source_rows b64)
s=$(EXTRA_HEADERS= post_signed b64 generic "$T/b64_wrong.secret" "$b" --header X-B64-Signature \
	--encoding base64 --algorithm hmac-sha512)
want_refused "$s" b64 "$n" in_b64_wrong
s=$(EXTRA_HEADERS= post_signed b64 generic "$T/b64.secret" "$b" --header X-B64-Signature \
	--encoding base64 --algorithm hmac-sha256)
want_refused "$s" b64 "$n" in_b64_wrong
case_end "generic base64 hmac-sha512: wrong secret, and an HMAC-SHA256 by the right secret, get 401 and no row"

b=$(body ed.json '{"kind":"no id here","n":42}')
case_start
s=$(EXTRA_HEADERS= post_signed edgen generic "$T/ed.sign" "$b" --header X-Ed-Signature \
	--encoding base64 --algorithm ed25519)
want status 200 "$s"
want_response $'stored\n'
want_stored edgen "sha256:$(sha256sum "$b" | cut -d' ' -f1)" NULL "$b"
case_end "generic ed25519 (hex public key, base64 signature), no id configured: event_id sha256:<hex of body>, no type"

b=$(body edw.json '{"kind":"wrong key","n":43}')
case_start
n=$(source_rows edgen)
s=$(EXTRA_HEADERS= post_signed edgen generic "$T/ed_wrong.sign" "$b" --header X-Ed-Signature \
	--encoding base64 --algorithm ed25519)
want_refused "$s" edgen "$n" "sha256:$(sha256sum "$b" | cut -d' ' -f1)"
case_end "generic ed25519: signature by another key gets 401 and no row"

b=$(body mx.json '{"case":"mixed"}')
case_start
s=$(EXTRA_HEADERS=$'x-mixed-id: mx-1\nX-MIXED-TYPE: mixed.case' \
	post_signed mixed generic "$T/mx.secret" "$b" --header x-mixed-signature)
want status 200 "$s"
want_stored mixed mx-1 mixed.case "$b"
s=$(EXTRA_HEADERS=$'X-Mixed-Id: mx-2\nx-mixed-type: mixed.case' \
	post_signed mixed generic "$T/mx.secret" "$b" --header X-MIXED-SIGNATURE)
want status 200 "$s"
want_stored mixed mx-2 mixed.case "$b"
case_end "generic: signature_header, id_header, type_header in mixed case in the config match any case"

case_start
n=$(source_rows mixed)
s=$(EXTRA_HEADERS=$'X-Mixed-Id: mx-wrong\nX-Mixed-Type: mixed.case' \
	post_signed mixed generic "$T/mx_wrong.secret" "$b" --header X-Mixed-Signature)
want_refused "$s" mixed "$n" mx-wrong
case_end "generic (mixed-case header): signature made with another secret gets 401 and no row"

# ---- the log never carries a secret --------------------------------------------

case_start
for f in gh ac b64 mx st sw; do
	# grep -f: the secret is read from its file, never passed in argv.
	grep -qF -f "$T/$f.secret" "$T/receiver.log" && CASE_ERRORS+=("the $f secret appears in the receiver log")
done
want "unauthorized lines in the log" "$REFUSED" "$(grep -c 'status=401 outcome=unauthorized' "$T/receiver.log")"
case_end "every refusal is logged as unauthorized, and no secret appears in the log"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
