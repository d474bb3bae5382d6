#!/bin/sh
# demo-handler.sh: the handler ./run.sh gives its demo source. It logs what
# it received (the worker puts its output in the worker's log) and keeps a
# copy of each body in ./events/ (relative to the worker's folder), then
# exits 0, so the row becomes done. A real handler does its work here and
# exits non-zero to have the event retried later.
set -eu
mkdir -p events
cat > "events/$HOOKQ_ROW_ID.body"
echo "received $HOOKQ_SOURCE event $HOOKQ_EVENT_ID (type ${HOOKQ_EVENT_TYPE:-none}," \
    "attempt $HOOKQ_ATTEMPT, row $HOOKQ_ROW_ID, $(wc -c < "events/$HOOKQ_ROW_ID.body") bytes)"
echo "body: $(head -c 200 "events/$HOOKQ_ROW_ID.body")"
