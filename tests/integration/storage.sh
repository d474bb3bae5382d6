#!/bin/bash
# storage.sh: the row hookq-receiver stores, column by column, read back
# with the sqlite3 CLI after a request through the real nginx.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

new_secret gh
new_secret ac
write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret

[source github2]
scheme = github
secret_file = $T/gh.secret

[source acme]
scheme = generic
secret_file = $T/ac.secret
signature_header = X-Acme-Signature
signature_prefix = sha256=
C
start_receiver
start_nginx

# col SQL_EXPR SOURCE EVENT_ID: one value of the row.
col() {
	sql "SELECT $1 FROM events WHERE source = $(sql_str "$2") AND event_id = $(sql_str "$3")"
}

# ---- body bytes ------------------------------------------------------------

python3 -c '
import sys
sys.stdout.buffer.write(b"\x00\x00NUL\x00 in the middle\r\nCRLF\r\n\r\n"
    b"bad utf-8: \xc3\x28 \xa0\xa1 \xe2\x82 \xed\xa0\x80 \xf0\x28\x8c\x28 "
    b"0xff: \xff\xfe\xff high: \x80\x81\xfe\xfd\n\r\x00\x7f\x1b[0m" + bytes(range(256)) + b"\x00")
' > "$T/binary.bin"
case_start
s=$(EXTRA_HEADERS=$'X-GitHub-Delivery: s-bin\nX-GitHub-Event: push' \
	post_signed github github "$T/gh.secret" "$T/binary.bin")
want status 200 "$s"
want typeof blob "$(col 'typeof(body)' github s-bin)"
want length "$(stat -c %s "$T/binary.bin")" "$(col 'length(body)' github s-bin)"
want "hex(body)" "$(file_hex "$T/binary.bin")" "$(col 'hex(body)' github s-bin)"
case_end "binary body (NUL, CRLF, invalid UTF-8, 0xff) stored byte for byte"

e=$(body empty.bin '')
case_start
s=$(EXTRA_HEADERS= post_signed acme generic "$T/ac.secret" "$e" --header X-Acme-Signature --prefix sha256=)
want status 200 "$s"
id="sha256:$(sha256sum "$e" | cut -d' ' -f1)"
want "typeof(body)|length(body)|body IS NOT NULL" "blob|0|1" \
	"$(col "typeof(body), length(body), body IS NOT NULL" acme "$id")"
case_end "0-byte body stored as an empty blob, not NULL"

# ---- headers ---------------------------------------------------------------

b=$(body hdr.json '{"ref":"refs/heads/main","after":"0000000000000000000000000000000000000000"}')
sig=$(signed_headers github "$T/gh.secret" "$b" | sed -n 's/^X-Hub-Signature-256: //p')
token=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
hdrs=(
	'X-GitHub-Event: push'
	'X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958'
	'User-Agent: GitHub-Hookshot/044aadd'
	'X-Custom-Thing: a "quoted" value'
	'X-Repeat: one'
	'X-Repeat: two'
	"Authorization: Bearer auth$token"
	"Proxy-Authorization: Basic proxy$token"
	"Cookie: session=cookie$token; theme=dark"
	$'X-Latin: caf\xe9'
)
EXTRA_HEADERS=$(printf '%s\n' "${hdrs[@]}")
before_ms=$(now_ms)
s=$(post_signed github github "$T/gh.secret" "$b")
after_ms=$(now_ms)
EXTRA_HEADERS=
D=72d3162e-cc78-11e3-81ab-4c9367dc0958
check "request with many headers stored" 200 "$s"

# h NAME: the stored value of header NAME (as json_extract reads it).
h() {
	col "json_extract(headers, '\$.\"$1\"')" github "$D"
}

case_start
want json_valid 1 "$(col 'json_valid(headers)' github "$D")"
want json_type object "$(col 'json_type(headers)' github "$D")"
case_end "headers column is a valid JSON object"

case_start
want "names not lower case" "" \
	"$(sql "SELECT group_concat(j.key, ' ') FROM events, json_each(events.headers) AS j
		WHERE events.event_id = '$D' AND j.key <> lower(j.key)")"
want "every value a string" "" \
	"$(sql "SELECT group_concat(j.key, ' ') FROM events, json_each(events.headers) AS j
		WHERE events.event_id = '$D' AND j.type <> 'text'")"
case_end "header names are lower case, values strings"

case_start
want x-github-event push "$(h x-github-event)"
want x-github-delivery "$D" "$(h x-github-delivery)"
want x-hub-signature-256 "$sig" "$(h x-hub-signature-256)"
want content-type application/json "$(h content-type)"
want user-agent GitHub-Hookshot/044aadd "$(h user-agent)"
case_end "x-github-event, x-github-delivery, x-hub-signature-256, content-type, user-agent as sent"

check "custom header with quotes read back with json_extract" 'a "quoted" value' "$(h x-custom-thing)"
check "repeated header joined with \", \"" "one, two" "$(h x-repeat)"

case_start
for name in authorization proxy-authorization cookie; do
	want "$name stored" 0 "$(col "json_type(headers, '\$.\"$name\"') IS NOT NULL" github "$D")"
done
for what in auth proxy cookie; do
	want "$what credential anywhere in the row" 0 \
		"$(col "instr(headers, '$what$token') + instr(CAST(body AS TEXT), '$what$token')" github "$D")"
done
case_end "Authorization, Proxy-Authorization and Cookie are not stored"

check "header value that is not UTF-8 (0xe9) stored as its ISO-8859-1 character" \
	"café" "$(h x-latin)"

# ---- the other columns -----------------------------------------------------

check "event_type from X-GitHub-Event" push "$(col event_type github "$D")"

case_start
s=$(EXTRA_HEADERS='X-GitHub-Delivery: s-notype' post_signed github github "$T/gh.secret" "$b")
want status 200 "$s"
want "event_type IS NULL" 1 "$(col 'event_type IS NULL' github s-notype)"
case_end "event_type NULL when the sender gives none"

r=$(col received_at github "$D")
case_start
want "typeof(received_at)" integer "$(col 'typeof(received_at)' github "$D")"
want_true "received_at $r within [$before_ms - 1000, $after_ms + 1000]" \
	[ "$r" -ge $((before_ms - 1000)) -a "$r" -le $((after_ms + 1000)) ]
case_end "received_at is now, in ms since the epoch"

case_start
want "routed_at|routes" "|" "$(col "routed_at, routes" github "$D")"
want "deliveries" 0 "$(col "(SELECT count(*) FROM deliveries WHERE event = events.id)" github "$D")"
want "waiting to be routed, from its arrival" "$r" \
	"$(sql "SELECT received_at FROM events WHERE routed_at IS NULL AND source = 'github'
		AND event_id = $(sql_str "$D")")"
want source github "$(col source github "$D")"
case_end "new row: not routed yet (routed_at and routes NULL), no delivery: nothing tried, leased, claimed or finished"

check "PRAGMA user_version = $SCHEMA_VERSION (every migration in sql/schema.sql)" "$SCHEMA_VERSION" "$(sql 'PRAGMA user_version')"
check "journal_mode = wal" wal "$(sql 'PRAGMA journal_mode')"

# ---- UNIQUE (source, event_id) -------------------------------------------------

b=$(body shared.json '{"shared":true}')
case_start
s1=$(EXTRA_HEADERS='X-GitHub-Delivery: s-shared' post_signed github github "$T/gh.secret" "$b")
s2=$(EXTRA_HEADERS='X-GitHub-Delivery: s-shared' post_signed github2 github "$T/gh.secret" "$b")
want "first source" 200 "$s1"
want "second source" 200 "$s2"
want_response $'stored\n'
want "rows with id s-shared" "github|github2" \
	"$(sql "SELECT group_concat(source, '|') FROM (SELECT source FROM events WHERE event_id = 's-shared' ORDER BY source)")"
case_end "same event id on two sources makes two rows"

case_start
s=$(EXTRA_HEADERS='X-GitHub-Delivery: s-shared' post_signed github2 github "$T/gh.secret" "$b")
want status 200 "$s"
want_response $'duplicate\n'
want "rows with id s-shared" 2 "$(sql "SELECT count(*) FROM events WHERE event_id = 's-shared'")"
case_end "same event id again on one of them is a duplicate"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
