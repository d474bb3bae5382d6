#!/bin/bash
# nginx_hostile.sh: hostile input through nginx, the way the internet sends
# it: 1,000 random signature headers (all 401, nothing stored), NUL bytes
# and invalid UTF-8 in bodies and headers (stored byte for byte when signed,
# refused by nginx where HTTP forbids them), JSON 10^6 arrays deep (400),
# bodies at and over max_body (200, 413), random junk and a 100 KB header
# (nginx's 400s), and, held open all along, a client trickling a request at
# 1 byte a second and 200 idle connections, while signed events go on being
# answered 200 within a second each. The receiver's PID never changes.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
HH="$top_srcdir/tests/integration/http_hostile.py"

new_secret gh
new_secret stripe
write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret

[source stripe]
scheme = stripe
secret_file = $T/stripe.secret
C
start_receiver
start_nginx
pid=$RECEIVER_PID
hh() { "$PY" "$HH" "$PORT" "$@"; }

# Held open through everything below.
hh slow 25 > "$T/slow.out" &
slow_pid=$!
hh idle 200 25 > "$T/idle.out" &
idle_pid=$!
sleep 1

got=$(hh sigs "$T/gh.secret" 1000)
case_start
want "1,000 random signatures" "statuses 401=1000" "$got"
want "rows" 0 "$(sql "SELECT count(*) FROM events WHERE event_id GLOB 'sig-*'")"
case_end "1,000 random signature headers: all 401, nothing stored"

hh bytes "$T/gh.secret" > "$T/bytes.out"
sed 's/^/# /' "$T/bytes.out"
case_start
want "a body with NUL bytes" "body-nul 200" "$(grep '^body-nul ' "$T/bytes.out")"
want "a body of invalid UTF-8" "body-utf8 200" "$(grep '^body-utf8 ' "$T/bytes.out")"
want "a body of every byte" "body-binary 200" "$(grep '^body-binary ' "$T/bytes.out")"
want "stored byte for byte" "$(printf '%s' '{"a":"x' | od -An -tx1 | tr -d ' \n')00$(printf '%s' 'y"}' | od -An -tx1 | tr -d ' \n')00" \
	"$(sql "SELECT lower(hex(body)) FROM events WHERE event_id = 'bytes-nul'")"
want "every byte, in order" "$("$PY" -c 'print(bytes(range(256)).hex())')" \
	"$(sql "SELECT lower(hex(body)) FROM events WHERE event_id = 'bytes-binary'")"
want_true "an event type of invalid UTF-8: stored or refused, never 5xx" \
	grep -qE '^type-utf8 (200|400)$' "$T/bytes.out"
want_true "an id of invalid UTF-8: stored or refused, never 5xx" \
	grep -qE '^id-utf8 (200|400)$' "$T/bytes.out"
want "a NUL in a header: nginx refuses it" "header-nul 400" "$(grep '^header-nul ' "$T/bytes.out")"
want "integrity_check" ok "$(sql 'PRAGMA integrity_check')"
case_end "NUL bytes and invalid UTF-8: signed bodies stored exactly, the rest refused"

case_start
want "JSON 10^6 arrays deep" "deep 400" "$(hh deep "$T/stripe.secret" 1000000)"
want "stored" 0 "$(sql "SELECT count(*) FROM events WHERE source = 'stripe'")"
case_end "JSON 10^6 arrays deep: 400, not stored"

hh limit "$T/gh.secret" 1048576 > "$T/limit.out"
case_start
want "a body of exactly max_body" "at 200" "$(grep '^at ' "$T/limit.out")"
want "one byte over" "over 413" "$(grep '^over ' "$T/limit.out")"
want "rows" "1" "$(sql "SELECT count(*) FROM events WHERE event_id GLOB 'limit-*'")"
case_end "bodies at max_body stored, one byte over 413"

case_start
want "random junk: nginx answers 400 or hangs up" "" \
	"$(hh junk 50 | tr ' ' '\n' | grep '=' | grep -vE '^(400|closed)=')"
want "a 100 KB header" "bigheader 400" "$(hh bigheader)"
case_end "random junk and a 100 KB header: nginx's 400s"

# While the slow client and the 200 idle connections are still there.
hh timed "$T/gh.secret" 50 timed- > "$T/timed.out"
sed 's/^/# /' "$T/timed.out"
case_start
want "idle and slow clients still connected" "yes yes" \
	"$(alive "$slow_pid" && echo yes) $(alive "$idle_pid" && echo yes)"
want "signed events meanwhile" "statuses 200=50" "$(grep '^statuses' "$T/timed.out")"
want_true "each answered within a second ($(grep slowest "$T/timed.out"))" \
	awk -v ms="$(sed -n 's/^slowest_ms //p' "$T/timed.out")" 'BEGIN { exit !(ms < 1000) }'
want "rows" 50 "$(sql "SELECT count(*) FROM events WHERE event_id GLOB 'timed-*'")"
case_end "a 1 byte/s client and 200 idle connections: events still answered at once"

wait "$slow_pid" "$idle_pid"
check "the receiver's PID after it all" "$pid" "$(alive "$pid" && echo "$pid")"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
