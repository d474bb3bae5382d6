#!/bin/bash
# cli.sh: the hookq command on a database seeded through nginx and
# hookq-receiver, and routed by sqlite3 or psql (deliveries inserted, then UPDATEs
# for done, dead and running ones; no worker runs): init, status, list,
# show, requeue (held on an ordered route), purge, replay, check and sign,
# each for its output (human and --json, parsed by python3) and its exit
# code. The commands sign prints, run against nginx, are stored; no output
# ever holds a secret.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

HOOKQ="$top_builddir/hookq"
OUT="$T/out"   # stdout of the last run
ERR="$T/err"   # stderr of the last run
ALL="$T/all"   # everything hookq printed, checked for secrets at the end
RC=

# q ARGS...: runs hookq -c $T/hookq.conf ARGS; sets RC, OUT and ERR.
q() {
	"$HOOKQ" -c "$T/hookq.conf" "$@" > "$OUT" 2> "$ERR"
	RC=$?
	cat "$OUT" "$ERR" >> "$ALL"
}
# json PYTHON-EXPRESSION: evaluates it with j = the last stdout parsed as JSON.
json() {
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($1)" "$OUT" 2>&1
}
has() { grep -qE -- "$1" "$OUT"; }
has_err() { grep -qE -- "$1" "$ERR"; }

new_secret gh
new_secret st
new_secret gen
printf 'whsec_%s\n' "$(head -c 24 /dev/urandom | base64)" > "$T/sw.secret"
chmod 600 "$T/sw.secret"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/ed.secret"
echo >> "$T/ed.secret"
chmod 600 "$T/ed.secret"
ok_handler > /dev/null

write_config <<EOF
[source gh]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/ok.sh

[source st]
scheme = stripe
secret_file = $T/st.secret

[source sw]
scheme = standard-webhooks
secret_file = $T/sw.secret

[source gen]
scheme = generic
secret_file = $T/gen.secret
signature_header = X-Sig
signature_prefix = sha512=
algorithm = hmac-sha512
encoding = base64
id_json = data.id
type_json = data.type

[source ed]
scheme = generic
secret_file = $T/ed.secret
signature_header = X-Sig
algorithm = ed25519

[source svix]
scheme = svix
secret_file = $T/sw.secret

[source shopify]
scheme = shopify
secret_file = $T/gh.secret

[source slack]
scheme = slack
secret_file = $T/gh.secret

[source zendesk]
scheme = zendesk
secret_file = $T/gh.secret

[source paddle]
scheme = paddle
secret_file = $T/gh.secret

[source pagerduty]
scheme = pagerduty
secret_file = $T/gh.secret

[source jira]
scheme = jira
secret_file = $T/gh.secret

[source meta]
scheme = meta
secret_file = $T/gh.secret

[source zoom]
scheme = zoom
secret_file = $T/gh.secret

[source square]
scheme = square
secret_file = $T/gh.secret
notification_url = https://example.com/hooks/square

[source gitlab]
scheme = gitlab
secret_file = $T/gh.secret

[source mailgun]
scheme = mailgun
secret_file = $T/gh.secret

[source linear]
scheme = linear
secret_file = $T/gh.secret

[source discord]
scheme = discord
secret_file = $T/ed.secret
EOF

# ---- usage ---------------------------------------------------------------------

case_start
"$HOOKQ" > "$OUT" 2> "$ERR"; want "no command: exit" 100 "$?"
"$HOOKQ" --help > "$OUT" 2> "$ERR"; want "--help: exit" 0 "$?"
want_true "--help documents the exit codes" grep -q '100 usage or configuration error; 111 system' "$OUT"
want_true "--help lists every command" grep -q 'hookq sign SOURCE' "$OUT"
q frobnicate; want "unknown command: exit" 100 "$RC"
q list --bogus; want "unknown option: exit" 100 "$RC"
q list --help; want "a command's --help: exit" 0 "$RC"
want_true "a command's --help: its usage" grep -q 'list \[--source S\]' "$OUT"
"$HOOKQ" -c "$T/nonexistent.conf" status > "$OUT" 2> "$ERR"; want "missing config: exit" 100 "$?"
case_end "usage, --help and unknown commands or options: exit 100 (0 for --help)"

# ---- init ----------------------------------------------------------------------

case_start
q status; want "status before init: exit" 111 "$RC"
if [ "$STORE" = sqlite ]; then
	want_true "status before init says init creates it" has_err 'hookq init creates it'
	want "status before init leaves no database" no "$([ -e "$DB" ] && echo yes || echo no)"
else
	# The database is the server's (lib.sh made it, empty): what hookq makes in it is the schema.
	want_true "status before init says to run hookq init" has_err ': run hookq init$'
	want "status before init leaves no table" 0 \
		"$(sql "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
fi
q init; want "init: exit" 0 "$RC"
if [ "$STORE" = sqlite ]; then
	want_true "init says created" has "created, schema version $SCHEMA_VERSION"
else
	want_true "init says the schema version" has " is ready, schema version $SCHEMA_VERSION\$"
fi
want "schema version" "$SCHEMA_VERSION" "$(schema_version)"
[ "$STORE" = sqlite ] && want "journal mode" wal "$(sql 'PRAGMA journal_mode')"
q --json init; want "init again: exit" 0 "$RC"
want "init --json" "False $SCHEMA_VERSION" "$(json 'j["created"], j["schema_version"]')"
case_end "init creates the database at the current schema; again, it is up to date"

# ---- seed --------------------------------------------------------------------------

start_receiver
start_nginx
b=$(body event.json '{"zen":"Keep it logically awesome.","hook_id":1}')
for i in 1 2 3 4 5; do
	s=$(post_github gh "$b" "d-$i" push)
	[ "$s" = 200 ] || bail "seeding: POST d-$i answered $s"
done
printf 'bin\000\377\001ary' > "$T/binary.bin"
[ "$(post_github gh "$T/binary.bin" d-bin push)" = 200 ] || bail "seeding: binary body"
for i in un nm; do
	[ "$(post_github gh "$b" "d-$i" push)" = 200 ] || bail "seeding: POST d-$i"
done
NOW=$(now_ms)
DAY=86400000
# Routed as a worker would: one delivery each on the route gh, its id 1000
# above its event's (so that an event id and a delivery id never meet by
# chance); but d-un, not routed yet, and d-nm, which no route took.
sql "UPDATE events SET routed_at = $NOW, routes = 1 WHERE source = 'gh' AND event_id NOT IN ('d-un', 'd-nm');
     UPDATE events SET routed_at = $NOW, routes = 0 WHERE event_id = 'd-nm';
     INSERT INTO deliveries (id, event, route, created_at)
          SELECT id + 1000, id, 'gh', $NOW FROM events WHERE routes = 1;"
# (Rows given ids of their own: on PostgreSQL the id sequences must pass
# them, as a worker's inserts would have moved them; here and below.)
sql_sync_ids
# dset EVENT_ID SET: the UPDATE of that event's delivery on the route gh.
dset() { echo "UPDATE deliveries SET $2 WHERE route = 'gh' AND event = (SELECT id FROM events WHERE event_id = '$1');"; }
sql "$(dset d-1 "status = 'done', attempts = 1, finished_at = $NOW - 10 * $DAY")
     $(dset d-2 "status = 'dead', attempts = 10, finished_at = $NOW - 10 * $DAY,
            failed_at = $NOW - 10 * $DAY, last_error = 'exit status 3' || $(sql_chr 10) || 'boom on stderr'")
     $(dset d-3 "status = 'dead', attempts = 10, finished_at = $NOW, failed_at = $NOW,
            last_error = 'exit status 4'")
     $(dset d-4 "status = 'running', attempts = 1, lease_until = $NOW + 60000,
            claimed_by = 'host:1:abc'")
     $(dset d-bin "status = 'done', attempts = 1, finished_at = $NOW")
     UPDATE events SET received_at = received_at - 120000 WHERE event_id = 'd-5';"
EV() { sql "SELECT id FROM events WHERE event_id = '$1'"; }
ROW() { sql "SELECT id FROM deliveries WHERE route = 'gh' AND event = $(EV "$1")"; }
R1=$(ROW d-1) R2=$(ROW d-2) R3=$(ROW d-3) R4=$(ROW d-4) R5=$(ROW d-5) RB=$(ROW d-bin)
E1=$(EV d-1) E2=$(EV d-2) E3=$(EV d-3) E4=$(EV d-4) E5=$(EV d-5) EB=$(EV d-bin)
EUN=$(EV d-un) ENM=$(EV d-nm)
DSTATUS() { sql "SELECT status FROM deliveries WHERE id = $1"; }

# ---- status --------------------------------------------------------------------

case_start
q status; want "exit" 0 "$RC"
want_true "done count" has '^gh +gh +done +2 '
want_true "dead count" has '^gh +gh +dead +2 '
want_true "running count" has '^gh +gh +running +1 '
want_true "pending count" has '^gh +gh +pending +1 '
want_true "events not routed yet, route -" has '^gh +- +unrouted +1 '
want_true "events no route took, route -" has '^gh +- +unmatched +1 '
want_true "oldest pending age" has '^oldest pending: 2m[0-9]+s ago \(route gh, source gh\)'
want_true "dead letters" has '^dead letters: 2'
want_true "unrouted events" has '^unrouted events: 1 '
want_true "unmatched events" has '^unmatched events: 1 '
want_true "last received of gh" has "^  gh +[0-9T:Z-]+ \\([0-9ms]+ ago\\)  row $ENM id \"d-nm\" type \"push\""
want_true "a source with no events" has '^  st +never'
case_end "status: deliveries per source, route and status, unrouted and unmatched events, oldest pending, dead letters, last received"

case_start
q --json status; want "exit" 0 "$RC"
want "queue rows" "gh:None:unmatched:1 gh:None:unrouted:1 gh:gh:dead:2 gh:gh:done:2 gh:gh:pending:1 gh:gh:running:1" \
	"$(json '" ".join("%s:%s:%s:%d" % (r["source"], r["route"], r["status"], r["count"]) for r in j["queue"])')"
want "oldest pending" "True gh gh" \
	"$(json '120 <= j["oldest_pending_age_s"] < 300, j["oldest_pending_source"], j["oldest_pending_route"]')"
want "dead letters, unrouted, unmatched" "2 1 1" "$(json 'j["dead_letters"], j["unrouted"], j["unmatched"]')"
want "last received" "gh:$ENM:d-nm st:None ed:None" \
	"$(json '" ".join("%s:%s%s" % (r["source"], r["row"], ":" + r["event_id"] if r["row"] else "") for r in j["last_received"] if r["source"] in ("gh", "st", "ed"))')"
case_end "status --json: the same, parsed"

# ---- list ----------------------------------------------------------------------

case_start
q list; want "exit" 0 "$RC"
want "deliveries listed, newest first" "$RB $R5 $R4 $R3 $R2 $R1" "$(awk 'NR > 1 { printf "%s%s", sep, $1; sep = " " }' "$OUT")"
want_true "a delivery's columns" has "^ +$R2 +$E2  gh +gh +dead +10  [0-9T:Z-]+ +[0-9dhms]+ +\"d-2\" \"push\"$"
q list --status dead; want "--status dead: exit" 0 "$RC"
want "--status dead deliveries" "$R3 $R2" "$(awk 'NR > 1 { printf "%s%s", sep, $1; sep = " " }' "$OUT")"
q list --route gh --status dead
want "--route gh --status dead" "$R3 $R2" "$(awk 'NR > 1 { printf "%s%s", sep, $1; sep = " " }' "$OUT")"
q list --route nope; want "unknown route: exit" 0 "$RC"
want "unknown route: no deliveries" "no deliveries" "$(cat "$OUT")"
q list --limit 2; want "--limit 2 rows" 2 "$(grep -c '"d-' "$OUT")"
want_true "--limit says there are more" has '--limit N for more'
q list --source nope; want "unknown source: exit" 0 "$RC"
want "unknown source: no deliveries" "no deliveries" "$(cat "$OUT")"
q list --status unrouted; want "--status unrouted: exit" 0 "$RC"
want_true "an unrouted event: no delivery id, no route" has "^ +- +$EUN  - +gh +unrouted +0  .*\"d-un\" \"push\"$"
want "--status unrouted: just it" 1 "$(grep -c '"d-' "$OUT")"
q --json list --status unmatched
want "--status unmatched --json" "None $ENM None unmatched d-nm 1" \
	"$(json '" ".join(str(j[0][k]) for k in ("id", "event", "route", "status", "event_id"))') $(json 'len(j)')"
q list --status unrouted --route gh; want "--route with an event status: exit" 100 "$RC"
q list --status bogus; want "bad status: exit" 100 "$RC"
q list --limit 0; want "bad limit: exit" 100 "$RC"
q list extra; want "stray argument: exit" 100 "$RC"
q list --json --source gh --status done; want "--json: exit" 0 "$RC"
want "--json rows" "$RB:$EB:gh:done:d-bin $R1:$E1:gh:done:d-1" \
	"$(json '" ".join("%d:%d:%s:%s:%s" % (r["id"], r["event"], r["route"], r["status"], r["event_id"]) for r in j)')"
want "--json times" "True None None" "$(json 'j[1]["finished_at_ms"] > 0, j[1]["last_error"], j[1]["replay_of"]')"
case_end "list: deliveries newest first, --status, --source, --route, --limit, --json; unrouted and unmatched events; bad values exit 100"

# ---- show ----------------------------------------------------------------------

case_start
q show "$R2"; want "exit" 0 "$RC"
want_true "delivery" has "^delivery +$R2\$"
want_true "its event" has "^event +$E2\$"
want_true "route" has '^route +gh$'
want_true "event id" has '^event_id +"d-2"$'
want_true "status" has '^status +dead$'
want_true "attempts" has '^attempts +10$'
want_true "last error, each line indented" grep -qx '  boom on stderr' "$OUT"
want_true "a header" has '^  x-github-event: push$'
want_true "the body" grep -qxF '{"zen":"Keep it logically awesome.","hook_id":1}' "$OUT"
q show "$R2" --json; want "--json: exit" 0 "$RC"
want "--json fields" "$R2 $E2 gh d-2 dead 10 push" \
	"$(json 'j["id"], j["event"], j["route"], j["event_id"], j["status"], j["attempts"], j["headers"]["x-github-event"]')"
want "--json body" "$(cat "$b")" "$(json 'j["body"]')"
q show "$RB" --json
want "binary body as base64" "$(base64 -w0 "$T/binary.bin")" "$(json 'j["body_base64"]')"
q show "$RB"
want_true "binary body in hex" has '^62696e00 ff016172 79$'
q show "$E2"; want "an event's id is no delivery's: exit" 1 "$RC"
want_true "no such delivery: message" has_err "delivery $E2: no such delivery"
q show 99999; want "no such delivery: exit" 1 "$RC"
q show abc; want "not an id: exit" 100 "$RC"
q show; want "no id: exit" 100 "$RC"
case_end "show ID: the delivery, its event's metadata, headers and body (hex or base64 when binary); missing exits 1"

case_start
sql "INSERT INTO deliveries (id, event, route, status, created_at) VALUES (1900, $E2, 'audit', 'pending', $NOW)"
sql_sync_ids
q show --event "$E2"; want "exit" 0 "$RC"
want_true "event" has "^event +$E2\$"
want_true "status routed" has '^status +routed$'
want_true "routes" has '^routes +1$'
want_true "its delivery on gh" has "^ +$R2 +$E2  gh +gh +dead "
want_true "and on audit" has "^ +1900 +$E2  audit +gh +pending "
want_true "the body" grep -qxF '{"zen":"Keep it logically awesome.","hook_id":1}' "$OUT"
q --json show --event "$E2"
want "--json" "None $E2 routed [$R2, 1900] push" \
	"$(json 'j["id"], j["event"], j["status"], [d["id"] for d in j["deliveries"]], j["headers"]["x-github-event"]')"
q --json show --event "$EUN"
want "an unrouted event" "unrouted [] None" "$(json 'j["status"], j["deliveries"], j["routed_at_ms"]')"
q show --event "$ENM"
want_true "an unmatched event" has '^status +unmatched$'
q show --event 99999; want "no such event: exit" 1 "$RC"
want_true "no such event: message" has_err 'event 99999: no such event'
sql "DELETE FROM deliveries WHERE id = 1900"
case_end "show --event ID: the event, its routing and every delivery of it"

# ---- requeue -------------------------------------------------------------------

case_start
q requeue "$R4"; want "running delivery: exit" 1 "$RC"
want_true "running delivery: refused with a reason" has_err "delivery $R4 is running: only dead or done deliveries are requeued"
want "running delivery unchanged" running "$(DSTATUS "$R4")"
q requeue "$R5"; want "pending delivery: exit" 1 "$RC"
q requeue 99999; want "no such delivery: exit" 1 "$RC"
want_true "no such delivery: message" has_err 'delivery 99999: no such delivery'
q requeue; want "nothing to requeue: exit" 100 "$RC"
q requeue "$R2" --dead; want "ids and --dead: exit" 100 "$RC"
q requeue --source gh; want "--source without --dead: exit" 100 "$RC"
q requeue --route gh; want "--route without --dead: exit" 100 "$RC"
q requeue "$R2" 99999; want "one dead, one missing: exit" 1 "$RC"
want_true "says how many" has '^requeued 1 of 2 deliveries$'
want_true "logs who and what" has_err "hookq\\[[0-9]+\\]: .*requeued row=$E2 delivery=$R2 route=gh source=gh id=\"d-2\" was=dead by=[^ ]+"
want "requeued delivery" "pending|0|||" \
	"$(sql "SELECT status, attempts, finished_at, last_error, failed_at FROM deliveries WHERE id = $R2")"
want "due now" 1 "$(sql "SELECT CAST(next_attempt_at BETWEEN $NOW AND $NOW + 600000 AS INTEGER) FROM deliveries WHERE id = $R2")"
case_end "requeue ID: dead or done deliveries only, back to pending with attempts reset; logged"

case_start
q requeue --dead --source st; want "--dead of a source without dead deliveries: exit" 0 "$RC"
want_true "nothing requeued" has '^requeued 0 dead deliveries of source st$'
q requeue --dead --route nope; want "--dead of a route without dead deliveries: exit" 0 "$RC"
want_true "nothing requeued on the route" has '^requeued 0 dead deliveries on route nope$'
q --json requeue --dead --source gh --route gh; want "--dead --json: exit" 0 "$RC"
want "--dead requeued" "[$R3] []" "$(json 'j["requeued"], j["held"]')"
want_true "logged" has_err "requeued row=$E3 delivery=$R3 route=gh source=gh id=\"d-3\" was=dead"
want "no dead deliveries left" 0 "$(sql "SELECT count(*) FROM deliveries WHERE status = 'dead'")"
q --json requeue --force "$RB" "$R4"
want "--json: requeued and refused" "[$RB] [$R4] 1" "$(json 'j["requeued"], j["refused"]') $RC"
case_end "requeue --dead [--source S] [--route R], and --json"

case_start
R1_BEFORE=$(sql "SELECT status, attempts, finished_at FROM deliveries WHERE id = $R1")
q requeue "$R1"; want "done delivery without --force: exit" 1 "$RC"
want_true "done delivery: says to pass --force" has_err "delivery $R1 is done: pass --force to run it again"
want "done delivery unchanged" "$R1_BEFORE" "$(sql "SELECT status, attempts, finished_at FROM deliveries WHERE id = $R1")"
want_true "done delivery: not logged as requeued" eval "! grep -q 'delivery=$R1 ' '$ERR'"
q requeue --force --dead; want "--force with --dead: exit" 100 "$RC"
q requeue --force "$R1"; want "done delivery with --force: exit" 0 "$RC"
want "done delivery with --force: pending again" "pending|0||" \
	"$(sql "SELECT status, attempts, finished_at, failed_at FROM deliveries WHERE id = $R1")"
want_true "--force: logged was=done" has_err "requeued row=$E1 delivery=$R1 route=gh source=gh id=\"d-1\" was=done"
sql "UPDATE deliveries SET status = 'done', attempts = 1, finished_at = $NOW - 10 * $DAY WHERE id = $R1"
case_end "requeue of a done delivery needs --force (exit 1 and the reason without it)"

# An ordered route: a delivery requeued while another of its key is pending
# or running is held (the worker releases it when that one finishes), so two
# of a key never run at once; with none open it is pending. Of two dead ones
# of a key requeued together, the older is pending and the newer held.
case_start
sql "INSERT INTO deliveries (id, event, route, status, attempts, finished_at, created_at, order_key) VALUES
	(2001, $E4, 'ord', 'dead', 3, $NOW, $NOW, 'k1'),
	(2002, $E5, 'ord', 'pending', 0, NULL, $NOW, 'k1'),
	(2003, $E4, 'ord', 'dead', 3, $NOW, $NOW, 'k2'),
	(2004, $E5, 'ord', 'running', 1, NULL, $NOW, 'k3'),
	(2005, $E4, 'ord', 'done', 1, $NOW, $NOW, 'k3'),
	(2006, $E4, 'ord', 'dead', 3, $NOW, $NOW, 'k4'),
	(2007, $E5, 'ord', 'dead', 3, $NOW, $NOW, 'k4'),
	(2008, $E5, 'ord', 'held', 0, NULL, $NOW, 'k2')"
sql_sync_ids
q requeue 2001 2003; want "exit" 0 "$RC"
want "behind a pending one of its key: held; its key's only one: pending" "held pending" "$(DSTATUS 2001) $(DSTATUS 2003)"
want_true "says one is held" has '^requeued 2 of 2 deliveries \(1 held behind an open delivery of its key\)$'
want "the held one reset all the same" "0||" "$(sql "SELECT attempts, finished_at, last_error FROM deliveries WHERE id = 2001")"
q --json requeue --force 2005
want "behind a running one: held (--json)" "[2005] [2005] held" "$(json 'j["requeued"], j["held"]') $(DSTATUS 2005)"
q --json requeue --dead --route ord
want "--dead, two of a key: the older pending, the newer held" "[2006, 2007] [2007] pending held" \
	"$(json 'j["requeued"], j["held"]') $(DSTATUS 2006) $(DSTATUS 2007)"
want "never two of a key pending or running" "" \
	"$(sql "SELECT order_key FROM deliveries WHERE route = 'ord' AND status IN ('pending', 'running') GROUP BY order_key HAVING count(*) > 1")"
sql "DELETE FROM deliveries WHERE route = 'ord'"
case_end "requeue on an ordered route: held while another delivery of its key is pending or running"

# The README's UPDATE for a dead letter, run as printed there, leaves the
# delivery as hookq requeue does.
case_start
readme_sql=$(awk '/^-- requeue one dead letter/ { on = 1; next } on { print } /WHERE id = 42 AND status/ { exit }' \
	"$top_srcdir/README.md")
# (The README's clock is SQLite's; on PostgreSQL the schema's hookq_now_ms() in its place.)
[ "$STORE" = pg ] && readme_sql=${readme_sql//"CAST(strftime('%s', 'now') AS INTEGER) * 1000"/hookq_now_ms()}
want_true "README has the requeue UPDATE" eval "printf '%s' \"\$readme_sql\" | grep -q 'WHERE id = 42'"
DEADSET="status = 'dead', attempts = 10, finished_at = $NOW, failed_at = $NOW, last_error = 'x',
	lease_until = $NOW, claimed_by = 'host:1:abc'"
sql "UPDATE deliveries SET $DEADSET WHERE id IN ($R2, $R3)"
q requeue "$R2"; want "CLI requeue: exit" 0 "$RC"
sql "$(printf '%s' "$readme_sql" | sed "s/id = 42/id = $R3/")"
COLS="status, attempts, finished_at, failed_at, last_error, lease_until, claimed_by"
want "README SQL delivery = CLI delivery" "$(sql "SELECT $COLS FROM deliveries WHERE id = $R2")" \
	"$(sql "SELECT $COLS FROM deliveries WHERE id = $R3")"
want "README SQL: due now, as the CLI makes it" 1 \
	"$(sql "SELECT CAST(abs((SELECT next_attempt_at FROM deliveries WHERE id = $R2) - (SELECT next_attempt_at FROM deliveries WHERE id = $R3)) < 5000 AS INTEGER)")"
sql "UPDATE deliveries SET $DEADSET WHERE id IN ($R2, $R3)"
case_end "the README's SQL requeue resets what hookq requeue resets (failed_at, the claim)"

# ---- purge ---------------------------------------------------------------------

# Purged: R1 (done 10 days ago), whose event is left without a delivery; the
# audit delivery of E2, done as long ago, whose event keeps its dead one;
# and d-nm, which no route took 8 days ago. Then R3, dead 8 days ago, with its event.
case_start
sql "UPDATE deliveries SET status = 'dead', finished_at = $NOW - 8 * $DAY WHERE id = $R3;
     INSERT INTO deliveries (id, event, route, status, finished_at, created_at)
          VALUES (1901, $E2, 'audit', 'done', $NOW - 10 * $DAY, $NOW);
     UPDATE events SET routed_at = $NOW - 8 * $DAY WHERE id = $ENM"
sql_sync_ids
q purge --done --older-than 7d; want "exit" 0 "$RC"
want_true "says how many" has '^purged 2 done deliveries finished more than 7d0h ago .* and 2 events left without one$'
want "old done deliveries gone, dead ones kept" "0 0 1" \
	"$(sql "SELECT (SELECT count(*) FROM deliveries WHERE id IN ($R1, 1901)) || ' ' || (SELECT count(*) FROM events WHERE id IN ($E1, $ENM)) || ' ' || (SELECT count(*) FROM deliveries WHERE id = $R3)")"
want "an event that keeps a delivery is kept" 1 "$(sql "SELECT count(*) FROM events WHERE id = $E2")"
want "an unrouted event is kept" 1 "$(sql "SELECT count(*) FROM events WHERE id = $EUN")"
want_true "logged" has_err "purged 2 done deliveries and 2 events finished before .* by="
q --json purge --dead --older-than 7d
want "--json dead purge" "dead 1 1" "$(json 'j["status"], j["purged"], j["events"]')"
want "old dead delivery gone, with its event" "0 0" \
	"$(sql "SELECT (SELECT count(*) FROM deliveries WHERE id = $R3) || ' ' || (SELECT count(*) FROM events WHERE id = $E3)")"
q purge --status done --older-than 7d; want "nothing more (--status done, as before): exit" 0 "$RC"
want_true "nothing more" has '^purged 0 done deliveries'
q purge --status pending --older-than 7d; want "pending: exit" 100 "$RC"
q purge --done; want "no --older-than: exit" 100 "$RC"
q purge --done --dead --older-than 7d; want "--done and --dead: exit" 100 "$RC"
q purge --older-than 7d; want "neither: exit" 100 "$RC"
q purge --done --older-than soon; want "bad duration: exit" 100 "$RC"
case_end "purge --done|--dead --older-than: finished deliveries past the age, the events left without one, unmatched events with --done"

# ---- replay --------------------------------------------------------------------

# Replays of the route rp: 3001 done, 3002 dead (its event of type release),
# 3005 done behind 3006 pending of its key k; 3003 pending is never replayed;
# 3004 is another route's. Of rs's two of key j, replayed together, the
# first is pending and the second held. E4 arrived 3 hours ago.
case_start
sql "UPDATE events SET event_type = 'release' WHERE id = $E5;
     UPDATE events SET received_at = $NOW - 3 * 3600000 WHERE id = $E4;
     INSERT INTO deliveries (id, event, route, status, attempts, finished_at, created_at, order_key, last_error) VALUES
	(3001, $E4, 'rp', 'done', 1, $NOW, $NOW, NULL, NULL),
	(3002, $E5, 'rp', 'dead', 5, $NOW, $NOW, NULL, 'exit status 1'),
	(3003, $EB, 'rp', 'pending', 0, NULL, $NOW, NULL, NULL),
	(3004, $E4, 'rq', 'done', 1, $NOW, $NOW, NULL, NULL),
	(3005, $EB, 'rp', 'done', 1, $NOW, $NOW, 'k', NULL),
	(3006, $E5, 'rp', 'pending', 0, NULL, $NOW, 'k', NULL),
	(3007, $E4, 'rs', 'done', 1, $NOW, $NOW, 'j', NULL),
	(3008, $E5, 'rs', 'dead', 3, $NOW, $NOW, 'j', NULL)"
sql_sync_ids
BEFORE=$(sql "SELECT count(*), max(id) FROM deliveries")
q replay; want "no filter: exit" 100 "$RC"
want_true "no filter: says why" has_err 'give at least one of --source, --route, --type, --since or --status'
q replay --until 1h; want "--until alone: exit" 100 "$RC"
q replay --route rp --dry-run; want "--dry-run: exit" 0 "$RC"
want "--dry-run: the count" "would replay 3 deliveries" "$(cat "$OUT")"
want "--dry-run: nothing changed" "$BEFORE" "$(sql "SELECT count(*), max(id) FROM deliveries")"
want_true "--dry-run: not logged" eval "! grep -q 'replayed' '$ERR'"
q replay --route rp --status dead --dry-run; want "--status dead" "would replay 1 delivery" "$(cat "$OUT")"
q replay --route rp --type release --dry-run; want "--type" "would replay 1 delivery" "$(cat "$OUT")"
q replay --route rp --since 2h --dry-run; want "--since a duration ago" "would replay 2 deliveries" "$(cat "$OUT")"
ISO=$(date -u -d "@$(( (NOW - 2 * 3600000) / 1000 ))" +%Y-%m-%dT%H:%M:%SZ)
q replay --route rp --since "$ISO" --dry-run; want "--since an ISO 8601 time" "would replay 2 deliveries" "$(cat "$OUT")"
q replay --route rp --until 2h --dry-run; want "--until" "would replay 1 delivery" "$(cat "$OUT")"
q replay --source gh --dry-run; want "--source: done and dead of every route (rp, rq, rs and gh's dead R2)" \
	"would replay 7 deliveries" "$(cat "$OUT")"
q --json replay --type release --status done --dry-run
want "--json dry run" "True 0" "$(json 'j["dry_run"], j["would_replay"]')"
q replay --since yesterday; want "bad time: exit" 100 "$RC"
q replay --route rp --status pending; want "--status pending: exit" 100 "$RC"
q replay --route rp; want "exit" 0 "$RC"
want "says how many" "replayed 3 deliveries" "$(cat "$OUT")"
want_true "logged with the filters" has_err "replayed 3 deliveries source=- route=rp type=- since=- until=- status=done,dead by=[^ ]+"
want "new deliveries: same event, route and key; replay_of; attempts 0; pending, or held behind its key" \
	"3001:$E4:rp::0:pending 3002:$E5:rp::0:pending 3005:$EB:rp:k:0:held" \
	"$(sql "SELECT $(sql_concat "replay_of || ':' || event || ':' || route || ':' || coalesce(order_key, '') || ':' || attempts || ':' || status" "' '")
	          FROM (SELECT * FROM deliveries WHERE replay_of IS NOT NULL ORDER BY replay_of) AS r")"
want "new ids, after every old one" 3 "$(sql "SELECT count(*) FROM deliveries WHERE replay_of IS NOT NULL AND id > 3008")"
want "due now, nothing carried over" "3 0" "$(sql "SELECT sum(CAST(next_attempt_at BETWEEN $NOW AND $NOW + 600000 AS INTEGER)) || ' ' || (count(last_error) + count(finished_at) + count(failed_at)) FROM deliveries WHERE replay_of IS NOT NULL")"
want "the replayed ones as they were" "done dead pending done" "$(DSTATUS 3001) $(DSTATUS 3002) $(DSTATUS 3003) $(DSTATUS 3005)"
q --json replay --route rs; want "two of a key: exit" 0 "$RC"
want "--json" "False 2" "$(json 'j["dry_run"], j["replayed"]')"
want "two of a key at once: the first pending, the second held" "3007:pending 3008:held" \
	"$(sql "SELECT $(sql_concat "replay_of || ':' || status" "' '") FROM (SELECT * FROM deliveries WHERE route = 'rs' AND replay_of IS NOT NULL ORDER BY id) AS r")"
q replay --route rq --source gh --status done; want "--route --source --status" "replayed 1 delivery" "$(cat "$OUT")"
want "replay of rq" "3004:pending" "$(sql "SELECT replay_of || ':' || status FROM deliveries WHERE route = 'rq' AND replay_of IS NOT NULL")"
sql "DELETE FROM deliveries WHERE route IN ('rp', 'rq', 'rs')"
case_end "replay: a new pending delivery (held behind its key) for each done or dead one the filters select; --dry-run counts; at least one filter"

# ---- check ---------------------------------------------------------------------

# The checks as the daemons' user are cli_ops.sh's: here --user names no
# user, so what a machine's hookq user (from the package) could read does not count.
NOUSER=hookq-cli-test-no-such-user
case_start
q check --user "$NOUSER"; want "good config: exit" 0 "$RC"
want "good config" "note: no user $NOUSER: checks as the daemons' user skipped
configuration OK" "$(cat "$OUT")"
q --json check --user "$NOUSER"
want "good config --json" "True [] True" \
	"$(json 'j["ok"], j["problems"], j["user_checks_skipped"].startswith("no user")')"
case_end "check: a good configuration is OK"

line_of() { grep -n -- "$1" "$T/$2" | head -n 1 | cut -d: -f1; }
cp "$T/gh.secret" "$T/open.secret"
chmod 644 "$T/open.secret"
printf '#!/bin/sh\n' > "$T/h/noexec.sh"
chmod 644 "$T/h/noexec.sh"
cat > "$T/bad.conf" <<EOF
[hookq]
database = $DB

[source a]
scheme = github
secret_file = $T/open.secret
handler = $T/h/missing.sh --flag

[source b]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/noexec.sh

[source c]
scheme = github
secret_file = $T/gh.secret
handler = hookq-no-such-program-in-path
EOF
case_start
"$HOOKQ" -c "$T/bad.conf" check --user "$NOUSER" > "$OUT" 2> "$ERR"; RC=$?
want "exit" 1 "$RC"
want_true "world-readable secret" grep -qx "$T/bad.conf:$(line_of open.secret bad.conf): secret_file $T/open.secret is readable by every user (mode 0644): chmod 600 it" "$OUT"
want_true "missing handler" grep -qx "$T/bad.conf:$(line_of missing.sh bad.conf): handler $T/h/missing.sh: No such file or directory" "$OUT"
want_true "handler not executable" grep -qx "$T/bad.conf:$(line_of noexec.sh bad.conf): handler $T/h/noexec.sh: not executable (mode 0644)" "$OUT"
want_true "bare name not in PATH" grep -q "^$T/bad.conf:$(line_of no-such-program bad.conf): handler hookq-no-such-program-in-path: not found in PATH" "$OUT"
want_true "count" grep -qx '4 problems' "$OUT"
"$HOOKQ" -c "$T/bad.conf" --json check --user "$NOUSER" > "$OUT" 2> "$ERR"
want "--json" "False 4 $(line_of open.secret bad.conf)" "$(json 'j["ok"], len(j["problems"]), j["problems"][0]["line"]')"
case_end "check: secret files others can read, handlers missing, not executable or not in PATH, with their lines"

# A [route]'s handler and [hookq]'s on_dead are checked as a source's handler,
# the route's named with its section line; an implicit route is its source's.
cat > "$T/routes.conf" <<EOF
[hookq]
database = $DB
on_dead = hookq-no-such-on-dead

[source gh]
scheme = github
secret_file = $T/gh.secret
handler = /bin/true

[route deploy]
source = gh
handler = $T/h/missing-route.sh --x

[route notify]
source = gh
handler = $T/h/noexec.sh
EOF
case_start
"$HOOKQ" -c "$T/routes.conf" check --user "$NOUSER" > "$OUT" 2> "$ERR"; RC=$?
want "exit" 1 "$RC"
want_true "missing route handler" grep -qx "$T/routes.conf:$(line_of 'route deploy' routes.conf): \\[route deploy\\] handler $T/h/missing-route.sh: No such file or directory" "$OUT"
want_true "route handler not executable" grep -qx "$T/routes.conf:$(line_of 'route notify' routes.conf): \\[route notify\\] handler $T/h/noexec.sh: not executable (mode 0644)" "$OUT"
want_true "on_dead not in PATH" grep -q "^$T/routes.conf: \\[hookq\\] on_dead hookq-no-such-on-dead: not found in PATH" "$OUT"
want_true "count" grep -qx '3 problems' "$OUT"
case_end "check: [route] handlers and on_dead missing or not executable"

# check looks a bare handler name up as the worker will (handler_find_program):
# an empty PATH entry is the working folder, as execvp(3) has it, and a folder
# of that name is passed over. Before they shared it, check read "" as "/".
mkdir -p "$T/pathtest/bin/hookq-path-handler" "$T/pathtest/cwd"
printf '#!/bin/sh\nexit 0\n' > "$T/pathtest/cwd/hookq-path-handler"
chmod 755 "$T/pathtest/cwd/hookq-path-handler"
cat > "$T/path.conf" <<EOF
[hookq]
database = $DB

[source p]
scheme = github
secret_file = $T/gh.secret
handler = hookq-path-handler
EOF
case_start
(cd "$T/pathtest/cwd" && PATH="$T/pathtest/bin::/usr/bin:/bin" "$HOOKQ" -c "$T/path.conf" check --user "$NOUSER") > "$OUT" 2> "$ERR"
want "exit, found through the empty entry" 0 "$?"
(cd "$T/pathtest" && PATH="$T/pathtest/bin::/usr/bin:/bin" "$HOOKQ" -c "$T/path.conf" check --user "$NOUSER") > "$OUT" 2> "$ERR"
want "exit elsewhere (only a folder of that name in PATH)" 1 "$?"
want_true "not found in PATH" grep -q "handler hookq-path-handler: not found in PATH" "$OUT"
case_end "check finds a bare handler as the worker does: an empty PATH entry is the working folder, a folder of the name is passed over"

cat > "$T/broken.conf" <<EOF
[hookq]
database = $DB
colour = blue

[source a]
scheme = gitlub
secret_file = $T/gh.secret

[source b]
scheme = github
secret_file = $T/no-such.secret
EOF
case_start
"$HOOKQ" -c "$T/broken.conf" check > "$OUT" 2> "$ERR"; RC=$?
want "exit" 1 "$RC"
want_true "unknown key" grep -q "^$T/broken.conf:3: .*colour" "$OUT"
want_true "unknown scheme" grep -q "^$T/broken.conf:6: unknown scheme 'gitlub'" "$OUT"
want_true "unreadable secret file" grep -q "^$T/broken.conf:11: secret_file $T/no-such.secret: No such file" "$OUT"
"$HOOKQ" -c "$T/broken.conf" --json check > "$OUT" 2> "$ERR"
want "--json lines" "3 6 11" "$(json '" ".join(str(p["line"]) for p in j["problems"])')"
case_end "check: what the daemons refuse (unknown keys and schemes, unreadable secrets), as FILE:LINE"

# ---- sign ----------------------------------------------------------------------

# run_signed SOURCE ARGS...: runs hookq sign, then the command it printed; sets RC,
# and STATUS to the HTTP status and ANSWER to the response body of the command.
run_signed() {
	q sign "$@"
	STATUS= ANSWER=
	[ "$RC" = 0 ] || return 0
	bash "$OUT" > "$T/curl.out" 2>&1
	STATUS=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$T/curl.out")
	ANSWER=$(tail -n 1 "$T/curl.out")
}

case_start
run_signed gh --url "$URL/hooks/gh"
want "github: exit" 0 "$RC"
want "github: answer" "200 stored" "$STATUS $ANSWER"
want_true "github: curl command" grep -q "^curl -sS -i $URL/hooks/gh " "$OUT"
want_true "github: delivery header" grep -q "x-github-delivery: hookq-test-" "$OUT"
want "github: stored with the default type" "1" "$(sql "SELECT count(*) FROM events WHERE source = 'gh' AND event_type = 'hookq.test' AND event_id LIKE 'hookq-test-%'")"
run_signed st --url "$URL/hooks/st"
want "stripe: answer" "0 200 stored" "$RC $STATUS $ANSWER"
want_true "stripe: timestamp note" has_err 'valid for 300 s'
run_signed sw --url "$URL/hooks/sw" --type order.created
want "standard-webhooks: answer" "0 200 stored" "$RC $STATUS $ANSWER"
want "standard-webhooks: type" order.created "$(sql "SELECT event_type FROM events WHERE source = 'sw'")"
run_signed gen --url "$URL/hooks/gen" --type x.y
want "generic sha512 base64, nested JSON paths: answer" "0 200 stored" "$RC $STATUS $ANSWER"
want "generic: id and type from the body" "1" \
	"$(sql "SELECT count(*) FROM events WHERE source = 'gen' AND event_type = 'x.y' AND event_id LIKE 'hookq-test-%'")"
case_end "sign: the printed curl command is stored, for github, stripe, standard-webhooks and generic"

# Every other sender whose signature is an HMAC in a header: zendesk's
# timestamp is ISO 8601, square signs its notification_url, slack answers
# an empty 200.
case_start
for src in svix shopify slack zendesk paddle pagerduty jira meta zoom square; do
	run_signed "$src" --url "$URL/hooks/$src" --type "$src.test"
	want "$src: exit and status" "0 200" "$RC $STATUS"
	want "$src: one row of the type" 1 \
		"$(sql "SELECT count(*) FROM events WHERE source = '$src' AND event_type = '$src.test'")"
	[ "$src" = slack ] && want_true "slack: empty answer" grep -qi '^content-length: 0' "$T/curl.out"
done
for src in gitlab:'secret itself' mailgun:'inside the body' linear:'inside the body' \
	discord:'can verify but not sign'; do
	q sign "${src%%:*}"
	want "${src%%:*}: refused, exit" 1 "$RC"
	want "${src%%:*}: nothing on stdout" "" "$(cat "$OUT")"
	want_true "${src%%:*}: says why" has_err "${src#*:}"
done
case_end "sign: every HMAC header sender (svix ... square) is stored; gitlab, mailgun, linear, discord refused with the reason"

case_start
b2=$(body mine.json '{"id":"evt_mine","type":"invoice.paid"}')
(cd "$T/h" && "$HOOKQ" -c "$T/hookq.conf" sign st --body ../mine.json --url "$URL/hooks/st" > "$OUT" 2> "$ERR")
want_true "--body: absolute path for curl" grep -q -- "--data-binary @$b2\$" "$OUT"
bash "$OUT" > "$T/curl.out" 2>&1
want "--body: stored" "invoice.paid" "$(sql "SELECT event_type FROM events WHERE event_id = 'evt_mine'")"
bash "$OUT" > "$T/curl.out" 2>&1
want "--body again: duplicate" duplicate "$(tail -n 1 "$T/curl.out")"
q sign st --body "$b2" --type other; want "--type with a JSON type from --body: exit" 100 "$RC"
q sign gh --body "$T/binary.bin" --type issues --url "$URL/hooks/gh"; bash "$OUT" > "$T/curl.out" 2>&1
want "--body binary, --type header: stored" "issues" \
	"$(sql "SELECT event_type FROM events WHERE source = 'gh' AND body = $(sql_blob "$T/binary.bin") AND event_id LIKE 'hookq-test-%'")"
q sign gh
want_true "default URL" grep -q '^curl -sS -i http://127.0.0.1:8080/hooks/gh ' "$OUT"
want_true "default URL: a note says it was assumed and how to set base_url" \
	has_err 'no base_url in \[hookq\] of .*: assumed http://127.0.0.1:8080, the demo of run.sh; set base_url'
q --json sign sw --url "$URL/hooks/sw"
want "--json" "True True" "$(json '"webhook-signature" in j["headers"], j["command"].startswith("curl ")')"
q sign ed; want "Ed25519: exit" 1 "$RC"
want_true "Ed25519: can only verify" has_err 'can verify but not sign'
want "Ed25519: nothing on stdout" "" "$(cat "$OUT")"
q sign nope; want "unknown source: exit" 1 "$RC"
q sign gh --body "$T/no-such-file"; want "missing body: exit" 1 "$RC"
q sign; want "no source: exit" 100 "$RC"
case_end "sign --body (absolute path, binary), --type, --json, default URL; Ed25519 and unknown sources refused"

# base_url: sign prints BASE_URL/hooks/SOURCE; --url still wins; a bad one is a FILE:LINE error.
case_start
sed "s|^\[hookq\]\$|[hookq]\nbase_url = $URL/|" "$T/hookq.conf" > "$T/base.conf"
"$HOOKQ" -c "$T/base.conf" sign gh > "$OUT" 2> "$ERR"; RC=$?
cat "$OUT" "$ERR" >> "$ALL"
want "base_url: exit" 0 "$RC"
want_true "base_url: the URL (trailing / dropped)" grep -q "^curl -sS -i $URL/hooks/gh " "$OUT"
want_true "base_url: no note about the demo URL" eval "! grep -q 'base_url' '$ERR'"
sid=$(grep -oi 'x-github-delivery: hookq-test-[0-9a-f]*' "$OUT" | cut -d' ' -f2)
bash "$OUT" > "$T/curl.out" 2>&1
want "base_url: the printed command is stored" 1 \
	"$(sql "SELECT count(*) FROM events WHERE source = 'gh' AND event_id = $(sql_str "${sid:-none}")")"
want_true "base_url: 200" grep -q '^HTTP/1.1 200' "$T/curl.out"
"$HOOKQ" -c "$T/base.conf" sign gh --url http://other.example:81/x > "$OUT" 2> "$ERR"
want_true "--url overrides base_url" grep -q '^curl -sS -i http://other.example:81/x ' "$OUT"
for bad in https://example.com/hooks ftp://example.com example.com http://example.com:0 'http://a@b'; do
	sed "s|^\[hookq\]\$|[hookq]\nbase_url = $bad|" "$T/hookq.conf" > "$T/badurl.conf"
	"$HOOKQ" -c "$T/badurl.conf" sign gh > "$OUT" 2> "$ERR"; RC=$?
	want "base_url = $bad: exit" 100 "$RC"
	want_true "base_url = $bad: FILE:LINE" has_err "badurl.conf:2: base_url: '$bad' is not an http or https URL"
	"$HOOKQ" -c "$T/badurl.conf" status > "$OUT" 2> "$ERR"; RC=$?
	want "base_url = $bad: status refuses the file too" 100 "$RC"
done
case_end "sign with base_url prints BASE_URL/hooks/SOURCE; --url overrides it; a bad base_url is FILE:LINE, exit 100"

case_start
for f in gh st gen sw; do
	want_true "no $f secret in any output" eval "! grep -qF -- \"\$(head -n 1 '$T/$f.secret')\" '$ALL'"
done
want_true "no base64 standard-webhooks key in any output" \
	eval "! grep -qF -- \"\$(head -n 1 '$T/sw.secret' | cut -c7-)\" '$ALL'"
case_end "no secret in anything hookq printed"

done_testing
