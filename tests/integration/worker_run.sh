#!/bin/bash
# worker_run.sh: hookq-worker runs a source's handler for an event that came
# in through nginx and hookq-receiver: the exact body on stdin, the event's
# metadata (and nothing inherited under HOOKQ_*) in the environment, argv
# split on white space, a relative program taken from the config file's
# folder, a bare name from PATH (and only from PATH); the event's delivery
# (on the route named after its source) ends done. A source without a
# handler keeps its events unrouted (said once at start-up); a handler that
# cannot be executed is a
# failure with exit status 127; the handler's output goes to the worker's
# log; SIGTERM stops the worker with exit 0.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

# The worker runs from a folder of its own (see "relative handler" below).
WORKER=$(cd "$(dirname "$WORKER")" && pwd)/$(basename "$WORKER")

# handler NAME: writes the bash script $T/h/NAME from stdin (with T set), executable.
mkdir -p "$T/h" "$T/cap"
handler() {
	{ echo '#!/bin/bash'; printf 'T=%q\n' "$T"; cat; } > "$T/h/$1"
	chmod +x "$T/h/$1"
}
# capture: records what it was given under $T/cap/<HOOKQ_ROW_ID>/, says one
# line on stdout and one on stderr, exits 0.
CAPTURE='
d=$T/cap/$HOOKQ_ROW_ID
mkdir -p "$d"
cat > "$d/body"
cat /proc/$$/environ > "$d/environ"
printf "%s" "$0" > "$d/argv0"
printf "%s\n" "$#" "$@" > "$d/argv"
for v in HOOKQ_SOURCE HOOKQ_ROUTE HOOKQ_EVENT_ID HOOKQ_EVENT_TYPE HOOKQ_ATTEMPT HOOKQ_ROW_ID \
	HOOKQ_DELIVERY_ID HOOKQ_HEADERS KEEPME; do
	[ -n "${!v+set}" ] && printf "%s" "${!v}" > "$d/$v"
done
echo "stdout line from row $HOOKQ_ROW_ID"
echo "stderr line from row $HOOKQ_ROW_ID" >&2
exit 0
'
handler capture.sh <<< "$CAPTURE"
handler rel.sh <<< "$CAPTURE"
# A decoy where a handler path taken from the worker's working folder would lead.
mkdir -p "$T/cwd/h"
cat > "$T/cwd/h/rel.sh" <<D
#!/bin/bash
touch $(printf %q "$T/decoy-ran")
D
chmod +x "$T/cwd/h/rel.sh"
# A bare handler name: found in a PATH folder ($T/bin, put in the worker's PATH),
# or, for a name that no PATH folder holds, not run at all; the decoy of that
# name in the worker's working folder must not run either.
mkdir -p "$T/bin"
{ echo '#!/bin/bash'; printf 'T=%q\n' "$T"; echo "$CAPTURE"; } > "$T/bin/hookq-test-path-handler"
chmod +x "$T/bin/hookq-test-path-handler"
cat > "$T/cwd/hookq-test-not-in-path" <<D
#!/bin/bash
touch $(printf %q "$T/bare-decoy-ran")
D
chmod +x "$T/cwd/hookq-test-not-in-path"

new_secret gh
write_config <<C
[source run]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/capture.sh   first-arg$(printf '\t')second-arg

[source nohandler]
scheme = github
secret_file = $T/gh.secret

[source missing]
scheme = github
secret_file = $T/gh.secret
handler = $T/h/does-not-exist --flag
max_attempts = 1

[source rel]
scheme = github
secret_file = $T/gh.secret
handler = h/rel.sh

[source bare]
scheme = github
secret_file = $T/gh.secret
handler = hookq-test-path-handler from-path

[source barenf]
scheme = github
secret_file = $T/gh.secret
handler = hookq-test-not-in-path
max_attempts = 1
C
start_receiver
start_nginx

# col EXPR ID: one value of event row ID's delivery (delivery_events: the
# delivery's state with its event's columns).
col() {
	sql "SELECT $1 FROM delivery_events WHERE event = $2"
}
# ecol EXPR ID: one value of event row ID itself.
ecol() {
	sql "SELECT $1 FROM events WHERE id = $2"
}
# env_names FILE: the names in a NUL-separated environment dump, one a line, in order.
env_names() {
	local e LC_ALL=C
	while IFS= read -r -d '' e; do printf '%s\n' "${e%%=*}"; done < "$1"
}
# jq_file FILE SQL_JSON_EXPR: evaluates an SQL expression over the file's text as J
# (sqlite3's JSON functions, on a file: whatever the store), e.g. "json_type(J)".
jq_file() {
	local q="'"
	sqlite3 -batch -noheader :memory: \
		"SELECT $2 FROM (SELECT CAST(readfile('${1//$q/$q$q}') AS TEXT) AS J)" 2>/dev/null
}
# quiet COMMAND...: COMMAND without its output.
quiet() {
	"$@" > /dev/null 2>&1
}
NOHANDLER_WARNING='warning: source nohandler has no handler and no route: its events stay unrouted'

# ---- start-up --------------------------------------------------------------------------
# Started from $T/cwd (which holds the decoys), with PATH = $T/bin and the
# system folders (no empty entry, no "."), with HOOKQ_* variables of its own
# that no handler may see, and one ordinary variable that it may.

case_start
want_true "hookq-worker -n accepts the configuration" quiet "$WORKER" -n -c "$T/hookq.conf"
cd "$T/cwd" || bail "cd $T/cwd"
PATH=$T/bin:/usr/local/bin:/usr/bin:/bin \
	HOOKQ_SOURCE=inherited HOOKQ_ATTEMPT=99 HOOKQ_PLANTED=planted KEEPME=kept start_worker
cd - > /dev/null || bail "cd back"
want_true "worker running" alive "$WORKER_PID"
want "start-up line lists the routes (one per source with a handler, named after it)" 1 \
	"$(grep -cE "$WORKER_UP"'run, missing, rel, bare, barenf$' "$T/worker.log")"
want "warnings about nohandler at start-up" 1 "$(grep -cF "$NOHANDLER_WARNING" "$T/worker.log")"
case_end "worker starts: handled sources' routes listed, the source without a handler named once"

# ---- one event, end to end -------------------------------------------------------------
# The source without a handler gets an event first: it must be passed over.

b_none=$(body none.json '{"for":"nobody"}')
# NUL bytes, CRLF, invalid UTF-8 (a lone 0xff, a truncated sequence, a surrogate) and all 256 bytes.
{
	printf '{"zen":"worker"}\0NUL\r\nCRLF\r\nbad utf-8: \xc3\x28 \xff\xfe \xed\xa0\x80\0'
	all=
	for i in {0..255}; do printf -v x '\\x%02x' "$i"; all+=$x; done
	printf %b "$all"
	printf '\n'
} > "$T/run.bin"
mark=$(wlog_mark)
case_start
want "POST nohandler" 200 "$(post_github nohandler "$b_none" d-none-1 push)"
want "POST run" 200 "$(post_github run "$T/run.bin" d-run-1 push)"
id=$(row_id run d-run-1)
none_id=$(row_id nohandler d-none-1)
want_true "run row stored (id '$id')" [ -n "$id" ]
want_true "nohandler row stored (id '$none_id')" [ -n "$none_id" ]
want "status within 15 s" "done" "$(wait_sql "SELECT status FROM delivery_events WHERE event = ${id:-0}" "done" 15)"
want_true "handler ran (capture folder)" [ -d "$T/cap/${id:-x}" ]
did=$(delivery_id run d-run-1)
want "deliveries of the event|route|routed_at set|routes" "1|run|1|1" \
	"$(ecol "(SELECT count(*) || '|' || max(route) FROM deliveries WHERE event = events.id),
		CAST(routed_at >= received_at AS INTEGER), routes" "${id:-0}")"
case_end "an event POSTed through nginx reaches the worker, is routed to one delivery, and it ends done"

d=$T/cap/${id:-x}
case_start
want "body bytes (hex), as sent" "$(file_hex "$T/run.bin")" "$(file_hex "$d/body" 2>/dev/null)"
want "body bytes (hex), as stored" "$(ecol "$(sql_hex body)" "${id:-0}")" "$(file_hex "$d/body" 2>/dev/null)"
case_end "handler's stdin is the exact body (NUL, CRLF, invalid UTF-8)"

case_start
want HOOKQ_SOURCE run "$(cat "$d/HOOKQ_SOURCE" 2>/dev/null)"
want HOOKQ_EVENT_ID d-run-1 "$(cat "$d/HOOKQ_EVENT_ID" 2>/dev/null)"
want HOOKQ_EVENT_TYPE push "$(cat "$d/HOOKQ_EVENT_TYPE" 2>/dev/null)"
want HOOKQ_ATTEMPT 1 "$(cat "$d/HOOKQ_ATTEMPT" 2>/dev/null)"
want HOOKQ_ROW_ID "$id" "$(cat "$d/HOOKQ_ROW_ID" 2>/dev/null)"
want HOOKQ_ROUTE run "$(cat "$d/HOOKQ_ROUTE" 2>/dev/null)"
want_true "the delivery made (id '$did')" [ -n "$did" ]
want "HOOKQ_DELIVERY_ID: the deliveries row of the event" "$did" "$(cat "$d/HOOKQ_DELIVERY_ID" 2>/dev/null)"
want "that delivery's event is HOOKQ_ROW_ID" "$id" \
	"$(sql "SELECT event FROM deliveries WHERE id = $(sql_str "$(cat "$d/HOOKQ_DELIVERY_ID" 2>/dev/null)")")"
want "HOOKQ_HEADERS (hex) = the headers column (hex)" "$(ecol "$(sql_text_hex headers)" "${id:-0}")" \
	"$(file_hex "$d/HOOKQ_HEADERS" 2>/dev/null)"
want "HOOKQ_HEADERS: valid JSON|an object|x-github-delivery|x-github-event" \
	"1|object|d-run-1|push" \
	"$(jq_file "$d/HOOKQ_HEADERS" "json_valid(J), json_type(J), json_extract(J, '\$.\"x-github-delivery\"'), json_extract(J, '\$.\"x-github-event\"')")"
case_end "handler's environment: HOOKQ_SOURCE, _ROUTE (= source), _EVENT_ID, _EVENT_TYPE, _ATTEMPT=1, _ROW_ID, _DELIVERY_ID, _HEADERS (= headers column, valid JSON)"

case_start
want "HOOKQ_* names in the handler's environment (sorted)" \
	"HOOKQ_ATTEMPT HOOKQ_DELIVERY_ID HOOKQ_EVENT_ID HOOKQ_EVENT_TYPE HOOKQ_HEADERS HOOKQ_ROUTE HOOKQ_ROW_ID HOOKQ_SOURCE" \
	"$(env_names "$d/environ" 2>/dev/null | grep '^HOOKQ_' | sort | tr '\n' ' ' | sed 's/ $//')"
want "HOOKQ_PLANTED entries" 0 "$(env_names "$d/environ" 2>/dev/null | grep -c '^HOOKQ_PLANTED$')"
want "KEEPME (not HOOKQ_*) passed through" kept "$(cat "$d/KEEPME" 2>/dev/null)"
case_end "the worker's own HOOKQ_* variables are not passed on (no duplicate, no leftover); others are"

case_start
want "argc and argv" $'2\nfirst-arg\nsecond-arg' "$(cat "$d/argv" 2>/dev/null)"
want "argv[0]" "$T/h/capture.sh" "$(cat "$d/argv0" 2>/dev/null)"
case_end "handler = 'PROGRAM  a<TAB>b': argv split on white space, no shell"

case_start
want "status|attempts|finished_at set|claimed_by set|last_error NULL|lease_until NULL" \
	"done|1|1|1|1|1" \
	"$(col "status, attempts, CAST(finished_at > 0 AS INTEGER), CAST(length(claimed_by) > 0 AS INTEGER),
		CAST(last_error IS NULL AS INTEGER), CAST(lease_until IS NULL AS INTEGER)" "${id:-0}")"
want_true "finished_at not before received_at" \
	[ "$(col 'CAST(finished_at >= received_at AS INTEGER)' "${id:-0}")" = 1 ]
want "claimed_by names this worker's pid" 1 \
	"$(col "CAST(claimed_by LIKE '%:' || $WORKER_PID || ':%' AS INTEGER)" "${id:-0}")"
case_end "row after a successful run: done, finished_at set, attempts 1, claimed_by set, last_error NULL"

case_start
want_true "stdout line in the worker log" wlog_wait "$mark" \
	"source=run row=$id attempt=1 stdout: \"stdout line from row $id\"" 1 5
want_true "stderr line in the worker log" wlog_wait "$mark" \
	"source=run row=$id attempt=1 stderr: \"stderr line from row $id\"" 1 5
want_true "result line in the worker log" wlog_wait "$mark" \
	"source=run row=$id attempt=1 exit 0 ms=[0-9]+ result=done" 1 5
want_true "log lines start with the route and the delivery" wlog_wait "$mark" \
	"route=run delivery=$did source=run row=$id attempt=1 exit 0 " 1 5
case_end "the handler's stdout and stderr lines, and its result, appear in the worker log"

# ---- a source without a handler ---------------------------------------------------------

case_start
want "nohandler row: routed_at NULL|routes NULL|no delivery|received_at <= now" "1|1|0|1" \
	"$(ecol "CAST(routed_at IS NULL AS INTEGER), CAST(routes IS NULL AS INTEGER),
		(SELECT count(*) FROM deliveries WHERE event = events.id),
		CAST(received_at <= $(now_ms) AS INTEGER)" "${none_id:-0}")"
want "warnings about nohandler so far" 1 "$(grep -cF "$NOHANDLER_WARNING" "$T/worker.log")"
want "log lines naming nohandler since the POSTs" 0 \
	"$(wlog_since "$mark" | grep -c 'source=nohandler')"
case_end "a source without a handler: its row stays unrouted and untouched, no more warnings"

# ---- a handler that cannot be executed ---------------------------------------------------

mark=$(wlog_mark)
b=$(body missing.json '{"for":"missing"}')
case_start
want "POST missing" 200 "$(post_github missing "$b" d-missing-1 push)"
mid=$(row_id missing d-missing-1)
want "status within 15 s" dead "$(wait_sql "SELECT status FROM delivery_events WHERE event = ${mid:-0}" dead 15)"
want "attempts|finished_at set|lease_until NULL" "1|1|1" \
	"$(col "attempts, CAST(finished_at > 0 AS INTEGER), CAST(lease_until IS NULL AS INTEGER)" "${mid:-0}")"
want "last_error's first line" "exit status 127" "$(col "last_error" "${mid:-0}" | head -n 1)"
want "last_error says cannot run the program" 1 \
	"$(col "CAST($(sql_instr last_error "$(sql_str "cannot run $T/h/does-not-exist")") > 0 AS INTEGER)" "${mid:-0}")"
want_true "worker log: exit 127, result=dead" wlog_wait "$mark" \
	"source=missing row=$mid attempt=1 exit 127 ms=[0-9]+ result=dead" 1 5
want_true "worker still running" alive "$WORKER_PID"
case_end "handler program missing: exit 127 counted as a failure, 'cannot run' in last_error, dead at max_attempts = 1"

# ---- a relative handler path -------------------------------------------------------------
# No type header and an empty body, on the way.

e=$(body empty.bin '')
case_start
want "POST rel" 200 "$(post_github rel "$e" d-rel-1 '')"
rid=$(row_id rel d-rel-1)
want "status within 15 s" "done" "$(wait_sql "SELECT status FROM delivery_events WHERE event = ${rid:-0}" "done" 15)"
want "argv[0]" "$T/h/rel.sh" "$(cat "$T/cap/${rid:-x}/argv0" 2>/dev/null)"
want_true "the decoy in the worker's working folder did not run" [ ! -e "$T/decoy-ran" ]
want "body length" 0 "$(stat -c %s "$T/cap/${rid:-x}/body" 2>/dev/null)"
want "HOOKQ_EVENT_TYPE set" 1 "$(env_names "$T/cap/${rid:-x}/environ" 2>/dev/null | grep -c '^HOOKQ_EVENT_TYPE$')"
want "HOOKQ_EVENT_TYPE empty (event_type NULL)" "" "$(cat "$T/cap/${rid:-x}/HOOKQ_EVENT_TYPE" 2>/dev/null)"
want "argc" 0 "$(head -n 1 "$T/cap/${rid:-x}/argv" 2>/dev/null)"
case_end "handler = h/rel.sh runs \$confdir/h/rel.sh, not the worker's ./h/rel.sh (empty body, no type)"

# ---- a bare handler name -----------------------------------------------------------------

b=$(body bare.json '{"for":"bare"}')
case_start
want "POST bare" 200 "$(post_github bare "$b" d-bare-1 push)"
pid_=$(row_id bare d-bare-1)
want "status within 15 s" "done" "$(wait_sql "SELECT status FROM delivery_events WHERE event = ${pid_:-0}" "done" 15)"
want "program run" "$T/bin/hookq-test-path-handler" "$(cat "$T/cap/${pid_:-x}/argv0" 2>/dev/null)"
want "argc and argv" $'1\nfrom-path' "$(cat "$T/cap/${pid_:-x}/argv" 2>/dev/null)"
case_end "handler = a bare name: the program is found in the worker's PATH"

mark=$(wlog_mark)
b=$(body barenf.json '{"for":"barenf"}')
case_start
want "POST barenf" 200 "$(post_github barenf "$b" d-barenf-1 push)"
nid=$(row_id barenf d-barenf-1)
want "finished within 15 s" 1 "$(wait_sql "SELECT CAST(status IN ('done', 'dead') AS INTEGER) FROM delivery_events WHERE event = ${nid:-0}" 1 15)"
want status dead "$(col status "${nid:-0}")"
want_true "the decoy ./hookq-test-not-in-path in the worker's working folder did not run" \
	[ ! -e "$T/bare-decoy-ran" ]
want "last_error's first line" "exit status 127" "$(col "last_error" "${nid:-0}" | head -n 1)"
want "last_error says cannot run" 1 "$(col "CAST($(sql_instr last_error "'cannot run'") > 0 AS INTEGER)" "${nid:-0}")"
case_end "handler = a bare name in no PATH folder: exit 127, not the file of that name in the worker's working folder"

# ---- stopping ------------------------------------------------------------------------------

mark=$(wlog_mark)
pid=$WORKER_PID
case_start
stop_worker
want "exit status" 0 "$WORKER_RC"
want_true "stopped line" wlog_wait "$mark" \
	'stopped: [0-9]+ events routed \(0 to no route\); deliveries: [0-9]+ done, 0 retried, [0-9]+ dead, 0 released, 0 overtaken' 1 1
want "nohandler row still unrouted, no delivery" "1|0" \
	"$(ecol "CAST(routed_at IS NULL AS INTEGER), (SELECT count(*) FROM deliveries WHERE event = events.id)" "${none_id:-0}")"
want "warnings about nohandler in the whole log" 1 "$(grep -cF "$NOHANDLER_WARNING" "$T/worker.log")"
want_true "process gone" eval "! alive $pid"
case_end "SIGTERM with nothing running: the worker logs its totals and exits 0"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
