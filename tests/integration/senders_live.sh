#!/bin/bash
# senders_live.sh: every sender of tests/vectors/senders_more.py (issue 15's
# senders) through the real nginx, FastCGI socket and SQLite file: one event
# signed now, as its sender signs (senders_live.py: Python's hmac, openssl for
# SendGrid's ECDSA, independently of hookq), is answered 200 and read back
# from the table (source, event_id, event_type, exact body); the same request
# with its body's last byte changed is refused and stores nothing (Postmark's
# credentials cover no byte: its copy is a second event). A new sender needs
# no edit here: its Spec in senders_more.py is enough. The handshakes
# (Twitch's signed challenge, Dropbox's GET, X's CRC, Trello's HEAD) are
# answered through nginx as each sender wants, and store nothing.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

LIVE="$top_srcdir/tests/integration/senders_live.py"

# SendGrid signs with a P-256 key: one made here, its public key the secret line.
openssl ecparam -name prime256v1 -genkey -noout -out "$T/sendgrid.pem" 2>/dev/null ||
	bail "openssl cannot make a P-256 key"
chmod 600 "$T/sendgrid.pem"
openssl ec -in "$T/sendgrid.pem" -pubout -outform DER 2>/dev/null | base64 -w0 > "$T/sendgrid.pub.b64"
export SENDGRID_KEY_PEM="$T/sendgrid.pem"
# AWS SNS signs with an RSA key whose certificate the source pins: a self-signed one made here.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/sns.pem" -out "$T/sns.crt" -days 2 \
	-subj /CN=sns.hookq.test 2>/dev/null || bail "openssl cannot make an RSA certificate"
chmod 600 "$T/sns.pem"
openssl x509 -in "$T/sns.crt" -outform DER | base64 -w0 > "$T/aws-sns.pub.b64"
export SNS_KEY_PEM="$T/sns.pem"

"$PY" "$LIVE" config "$T" > "$T/sources.conf" || bail "senders_live.py config failed"
write_config < "$T/sources.conf"
start_receiver
start_nginx

"$PY" "$LIVE" send "$URL" "$T" > "$T/sent" || bail "senders_live.py send failed"
case_start
want "senders sent" "$("$PY" "$LIVE" schemes | wc -l)" "$(wc -l < "$T/sent")"
case_end "every sender of senders_more.py was sent ($(wc -l < "$T/sent"))"

while read -r scheme status tampered id type hash; do
	case_start
	want "a signed event" 200 "$status"
	if [ "$scheme" = postmark ]; then
		want "the changed copy, under the same credentials" 200 "$tampered"
	else
		want "the same request with one body byte changed" 401 "$tampered"
	fi
	got=$(sql "SELECT event_id || ' ' || coalesce(event_type, 'NULL') || ' ' || hex(body)
		FROM events WHERE source = $(sql_str "$scheme") AND event_id = $(sql_str "$id")")
	got="${got% *} $(printf '%s' "${got##* }" | xxd -r -p | sha256sum | cut -d' ' -f1)"
	want "the row's id, type and sha256 of its body" "$id $type $hash" "$got"
	want "rows of the source" "$([ "$scheme" = postmark ] && echo 2 || echo 1)" \
		"$(sql "SELECT count(*) FROM events WHERE source = $(sql_str "$scheme")")"
	case_end "$scheme: signed now, through nginx: 200 and its row; a changed body $([ "$scheme" = postmark ] && echo "is a second event (credentials sign nothing)" || echo "is 401 with no row")"
done < "$T/sent"

"$PY" "$LIVE" handshakes "$URL" "$T" > "$T/handshakes" || bail "senders_live.py handshakes failed"
while read -r name result why; do
	case_start
	want "$name" ok "$result${why:+ $why}"
	case_end "$name: answered through nginx as its sender wants, nothing stored"
done < "$T/handshakes"
case_start
want "rows after the handshakes" "$(( $(wc -l < "$T/sent") + 1 ))" "$(sql "SELECT count(*) FROM events")"
want_true "receiver" alive "$RECEIVER_PID"
case_end "the receiver is alive"
done_testing
