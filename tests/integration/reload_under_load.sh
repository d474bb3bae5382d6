#!/bin/bash
# reload_under_load.sh: SIGHUP while 16 clients send distinct events. Ten
# reloads, each swapping in a config that adds a source, and one bad config
# that is refused: no request gets anything but 200, every id answered 200
# has exactly one row, and the receiver logs each reload's result.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

new_secret gh
new_secret other
config() { # [EXTRA SOURCE LINES]
	write_config <<C
[source github]
scheme = github
secret_file = $T/gh.secret
${1:-}
C
}
config
start_receiver
start_nginx

start_load run --clients 16
sleep 0.5
results=
for i in $(seq 1 10); do
	config "[source extra$i]
scheme = github
secret_file = $T/other.secret"
	results="$results $(reload_receiver)"
	sleep 0.1
done
# A broken file is refused and the running configuration kept, under load too.
config "[source broken]
scheme = no-such-scheme
secret_file = $T/other.secret"
results="$results $(reload_receiver)"
sleep 0.3
stop_load run

check "reload results" "$(printf ' reloaded%.0s' $(seq 1 10)) failed" "$results"
case_start
want "load generator exit" 0 "$LOAD_RC"
want "clients still running" 0 "$(load_result run unfinished)"
want "requests without an HTTP answer" 0 "$(load_result run errors)"
want "answers other than 200" 0 "$(awk '$2 != 200' "$T/run.results" | wc -l)"
want_true "requests sent ($(load_result run requests))" test "$(load_result run requests)" -gt 100
case_end "no error answer while the receiver reloads: $(load_result run statuses)"

check "ids answered 200 vs rows" "missing=0 extra=0" "$(ids_vs_rows run github)"
check "a source no config named is unknown" 404 \
	"$(curl -s -o /dev/null -w '%{http_code}' --data-binary x "$URL/hooks/extra11")"
check "a source added by a reload is served" 401 \
	"$(curl -s -o /dev/null -w '%{http_code}' --data-binary x "$URL/hooks/extra10")"

done_testing
[ "$TESTS_FAILED" -eq 0 ]
