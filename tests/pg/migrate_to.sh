#!/bin/bash
# migrate_to.sh: hookq migrate-to URL moves a SQLite queue into PostgreSQL
# without losing or changing anything. A queue made through the real chain
# (nginx, the receiver, the worker on SQLite) in every state a row can be in
# (done, dead, pending with a retry due, running under a lease when its
# worker was killed, unrouted, an ordered route's held delivery, a replay, a
# rate bucket, metric counters) is copied; every table is then the same on
# both sides, column by column, bodies byte for byte. The receiver and the
# worker started on the copy carry on: the running delivery is run again
# after its lease, the unrouted event is routed, a new event gets an id past
# the copied ones and nothing is run twice at the same time. A queue that is
# not empty, a password in the URL, or a PostgreSQL configuration are
# refused, and a refused copy leaves the target as it was.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export HOOKQ_STORE=pg
. "$top_srcdir/tests/integration/lib.sh"

PG_URL=$DB
HOOKQ="$top_builddir/hookq"
# Phase 1 on SQLite: sql() and the config follow STORE and DB.
STORE=sqlite
DB="$T/queue.db"

mkdir -p "$T/h"
printf '#!/bin/sh\necho "$HOOKQ_DELIVERY_ID $HOOKQ_ATTEMPT" >> %q/ran\nexit 0\n' "$T" > "$T/h/ok.sh"
printf '#!/bin/sh\necho nope >&2\nexit 3\n' > "$T/h/fail.sh"
# hang: the first run sleeps (its worker is killed under it); later runs succeed.
printf '#!/bin/sh\nif [ ! -e %q/hung ]; then touch %q/hung; exec sleep 60; fi\necho "$HOOKQ_DELIVERY_ID $HOOKQ_ATTEMPT" >> %q/ran\n' \
	"$T" "$T" "$T" > "$T/h/hang.sh"
# block: never ends by itself (handler_timeout ends it, and the retry is an hour away).
printf '#!/bin/sh\nexec sleep 60\n' > "$T/h/block.sh"
chmod +x "$T"/h/*.sh

new_secret gh
# conf [LATER_HANDLER]: the configuration; the source "later" has a handler only on the copy.
conf() {
	write_config "lease = 12s" <<C
[source okay]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/ok.sh
handler_timeout = 2s

[source bad]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/fail.sh
handler_timeout = 2s
max_attempts = 1

[source retry]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/fail.sh
max_attempts = 5
handler_timeout = 2s
backoff_base = 1h

[source hang]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/hang.sh
handler_timeout = 2s

[source later]
scheme = github
secret_file = $T/gh.secret
${1:+handler = $1}
handler_timeout = 2s

[source ord]
scheme = github
secret_file = $T/gh.secret

[route keyed]
source = ord
order = repository.id
rate = 1/h
handler = $T/h/block.sh
handler_timeout = 2s
backoff_base = 1h
C
}
conf
start_receiver
start_nginx
b=$(body push.json '{"repository":{"id":7},"binary":"\u00e9\u0000"}')
for i in 1 2 3; do post_github okay "$b" "ok-$i" push > /dev/null; done
post_github bad "$b" bad-1 push > /dev/null
post_github retry "$b" retry-1 push > /dev/null
post_github hang "$b" hang-1 push > /dev/null
# Two of one key on a route with a rate of 1/h: the first runs (and blocks), the second is held.
post_github ord "$b" ord-1 push > /dev/null
post_github ord "$b" ord-2 push > /dev/null
start_worker
# Once the quick ones are through, while hang and ord-1 run (2 s before their timeout).
wait_sql "SELECT (SELECT count(*) FROM deliveries WHERE status IN ('done', 'dead')) || ' ' ||
	(SELECT count(*) FROM deliveries WHERE route = 'retry' AND status = 'pending' AND attempts = 1)
	|| ' ' || (SELECT group_concat(status, ' ') FROM
	(SELECT status FROM deliveries WHERE route IN ('hang', 'keyed') ORDER BY id) AS d)" \
	"4 1 running running held" 5 > /dev/null
# The worker adds its counters once a second: the first ones, before hang's timeout at 2 s.
wait_sql "SELECT CAST(count(*) > 0 AS INTEGER) FROM route_stats" 1 2 > /dev/null
# Killed with the hang delivery running: its lease stays in the table.
kill -KILL "$WORKER_PID"
wait "$WORKER_PID" 2>/dev/null
WORKER_PID=
post_github later "$b" later-1 push > /dev/null
# A replay and counters besides, as an operator's hookq replay would leave them.
"$HOOKQ" -c "$T/hookq.conf" replay --source okay --status done > /dev/null ||
	bail "hookq replay failed"
states=$(sql "SELECT group_concat(route || ':' || status, ' ') FROM
	(SELECT route, status FROM deliveries ORDER BY id) AS d")
check "SQLite queue in every state before the copy" \
	"okay:done okay:done okay:done bad:dead retry:pending hang:running keyed:running keyed:held okay:pending okay:pending okay:pending" \
	"$states"
check "an unrouted event, a rate bucket and counters on SQLite" "1 1 yes" \
	"$(sql "SELECT count(*) FROM events WHERE routed_at IS NULL") $(sql "SELECT count(*) FROM route_state") $([ "$(sql "SELECT count(*) FROM route_stats")" -gt 0 ] && echo yes)"
stop_nginx
stop_receiver

# dump TABLE: the table's every column, NULL as ~, bodies in hex, tokens in
# thousandths (a REAL and a double print alike), ordered by the key.
dump() {
	case $1 in
	events) sql "SELECT id, source, event_id, coalesce(event_type, '~'), received_at, headers,
		$(sql_hex body), coalesce(body_sha256, '~'), coalesce(routed_at, -1), coalesce(routes, -1)
		FROM events ORDER BY id" ;;
	deliveries) sql "SELECT id, event, route, status, attempts, next_attempt_at,
		coalesce(lease_until, -1), coalesce(claimed_by, '~'), coalesce(last_error, '~'),
		coalesce(finished_at, -1), coalesce(failed_at, -1), created_at, coalesce(order_key, '~'),
		coalesce(replay_of, -1) FROM deliveries ORDER BY id" ;;
	route_state) sql "SELECT route, CAST(round(tokens * 1000) AS INTEGER), refilled_at
		FROM route_state ORDER BY route" ;;
	route_stats) sql "SELECT route, series, value FROM route_stats ORDER BY route, series" ;;
	esac
}
for t in events deliveries route_state route_stats; do dump "$t" > "$T/sqlite.$t"; done

out=$("$HOOKQ" -c "$T/hookq.conf" migrate-to "$PG_URL" 2>&1)
rc=$?
n_ev=$(sql "SELECT count(*) FROM events") n_d=$(sql "SELECT count(*) FROM deliveries")
check "migrate-to: exit 0, says what it copied" \
	"0 copied $DB to $PG_URL: $n_ev events, $n_d deliveries, 1 rate buckets" \
	"$rc $(head -n 1 <<< "$out" | sed 's/, [0-9]* counters$//')"

STORE=pg DB=$PG_URL
for t in events deliveries route_state route_stats; do
	dump "$t" > "$T/pg.$t"
	if cmp -s "$T/sqlite.$t" "$T/pg.$t"; then
		ok "$t: every row and column the same on PostgreSQL ($(sql "SELECT count(*) FROM $t") rows)"
	else
		not_ok "$t: the copy differs" "$(diff "$T/sqlite.$t" "$T/pg.$t" | head -n 6 | tr '\n' ' ')"
	fi
done

# Refusals leave the target as it was.
before=$(pg_fingerprint "$PG_URL")
STORE=sqlite DB="$T/queue.db"
"$HOOKQ" -c "$T/hookq.conf" migrate-to "$PG_URL" > "$T/again.out" 2>&1
check "a second migrate-to into the now full queue: exit 111, nothing written" \
	"111 yes $before" \
	"$? $(grep -q 'is not empty' "$T/again.out" && echo yes) $(pg_fingerprint "$PG_URL")"
"$HOOKQ" -c "$T/hookq.conf" migrate-to "postgresql://hookq:s3cret-pw@127.0.0.1/x" > "$T/pw.out" 2>&1
check "a password in the URL: exit 100, not echoed back" "100 no" \
	"$? $(grep -q 's3cret-pw' "$T/pw.out" && echo yes || echo no)"

# Phase 2: the daemons on the copy.
STORE=pg DB=$PG_URL
conf "$T/h/ok.sh"
"$HOOKQ" -c "$T/hookq.conf" migrate-to "$PG_URL" > "$T/pgconf.out" 2>&1
check "migrate-to from a PostgreSQL configuration: refused (exit 1)" 1 "$?"
start_receiver
start_nginx
start_worker
post_github okay "$b" ok-new push > /dev/null
check "a new event on PostgreSQL: 200 stored, its id past the copied ones" "stored yes" \
	"$(cat "$T/response") $([ "$(sql "SELECT id FROM events WHERE event_id = 'ok-new'")" -gt "$n_ev" ] && echo yes)"
# The hang delivery's lease (12 s) runs out: run again, attempt 2, by the new worker.
got=$(wait_sql "SELECT status || ' ' || attempts FROM delivery_events WHERE event_id = 'hang-1'" \
	"done 2" 30)
check "the delivery running when SQLite's worker died: run again after its lease, done on attempt 2" \
	"done 2" "$got"
got=$(wait_sql "SELECT count(*) FROM delivery_events WHERE event_id = 'later-1' AND status = 'done'" \
	1 10)
check "the event unrouted on SQLite is routed and run on PostgreSQL" 1 "$got"
got=$(wait_sql "SELECT count(*) FROM deliveries WHERE route = 'okay' AND status = 'done'" 7 10)
check "the replays pending on SQLite are run, and the new event: 7 okay deliveries done" 7 "$got"
check "the dead and the held deliveries stay as they were" "dead 1 held" \
	"$(sql "SELECT status || ' ' || CAST(last_error LIKE '%nope%' AS INTEGER) FROM delivery_events WHERE event_id = 'bad-1'") $(sql "SELECT status FROM delivery_events WHERE event_id = 'ord-2'")"
check "no delivery ran twice at once: every (delivery, attempt) line once" "" \
	"$(sort "$T/ran" | uniq -d)"
stop_worker
done_testing
