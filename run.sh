#!/bin/bash
# run.sh: the whole hookq chain on this machine, to try it out.
#
# Installs what is missing (apt), builds, and starts nginx on
# 127.0.0.1:8080 (HOOKQ_PORT to change) in front of hookq-receiver, with a
# demo source "demo" (scheme github, a random secret), the queue in
# ./demo/queue.db and hookq-worker running scripts/demo-handler.sh for each
# event. Prints the hookq sign command that sends a signed test event.
# Ctrl-C stops everything; ./demo keeps the database and logs (delete it to
# start over).
set -euo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh
. scripts/nginx.sh

PORT=${HOOKQ_PORT:-8080}
TOP=$PWD
D=$TOP/demo

hookq_deps
echo "== building hookq"
hookq_build build --enable-werror

if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
	echo "run.sh: something already listens on 127.0.0.1:$PORT; set HOOKQ_PORT to another port" >&2
	exit 1
fi

mkdir -p "$D"
if [ ! -s "$D/demo.secret" ]; then
	(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$D/demo.secret" && echo >> "$D/demo.secret")
fi
cat > "$D/hookq.conf" <<CONF
; written by run.sh
[hookq]
database = queue.db
listen = hookq.sock
metrics_path = /hookq/metrics
health_path = /hookq/health

[source demo]
scheme = github
secret_file = demo.secret
handler = $TOP/scripts/demo-handler.sh
max_attempts = 5
backoff_base = 2s
CONF
hookq_nginx_conf "$D/nginx" "$PORT" "$D/hookq.sock" "$TOP/nginx/hookq.conf"

pids=()
stop() {
	trap - INT TERM EXIT
	echo
	echo "== stopping"
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "stopped; the queue stays in $D/queue.db"
}
trap stop INT TERM EXIT

"$TOP/build/hookq-receiver" -c "$D/hookq.conf" >> "$D/receiver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$D/hookq.sock" ] && break; sleep 0.05; done
[ -S "$D/hookq.sock" ] || { tail "$D/receiver.log"; echo "run.sh: hookq-receiver did not start" >&2; exit 1; }

(cd "$D" && exec "$TOP/build/hookq-worker" -c "$D/hookq.conf" >> "$D/worker.log" 2>&1) &
pids+=($!)

hookq_nginx_start "$D/nginx"
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.05; done

printf '{"zen":"Design for failure.","hook_id":1,"sent_by":"run.sh"}' > "$D/event.json"
HQ="$TOP/build/hookq -c $D/hookq.conf"

cat <<TXT

hookq is running: nginx on http://127.0.0.1:$PORT -> hookq-receiver -> $D/queue.db
                  -> hookq-worker -> scripts/demo-handler.sh

Send a signed test event: hookq sign prints a curl command signed with the
demo source's secret (GitHub's scheme; the secret itself is never printed),
and sh runs it:

  $HQ sign demo --body $D/event.json --type ping --url http://127.0.0.1:$PORT/hooks/demo | sh

See it in the queue (its delivery done once the handler has run; its copy of the
body is in $D/events/):

  $HQ status
  $HQ list
  $HQ show ID          (a delivery id from list; show --event ID for the event)

Metrics and health (loopback only):

  curl -s http://127.0.0.1:$PORT/hookq/metrics
  curl -si http://127.0.0.1:$PORT/hookq/health

Receiver and worker logs below (also in $D/receiver.log and $D/worker.log).
Ctrl-C stops everything.

TXT
tail -n 0 -q -f "$D/receiver.log" "$D/worker.log" &
pids+=($!)
wait "${pids[0]}"
