#!/usr/bin/env python3
"""stream-handler.py: an example hookq stream handler (handler_mode = stream).

hookq-worker starts it once and writes one event at a time to its stdin:

    {"delivery_id":12,"row_id":7,"event_id":"...","source":"gh","route":"r",
     "event_type":"push","attempt":1,"headers":{...},"body_length":123}\\n
    <body_length bytes of body>\\n

and reads one answer line per event on its stdout: "ok", "retry REASON"
(retried with backoff) or "dead REASON" (no more attempts). Anything else
on stdout makes the worker kill it and count the event as failed, so log to
stderr (each line goes to the worker's log). End of file on stdin: exit.

Put your code in handle(). This one appends a line per event to the file
named by $STREAM_HANDLER_OUT (when set) and says what it got on stderr.

    [route index]
    source = github
    handler = /usr/local/bin/stream-handler.py   (a copy of this file)
    handler_mode = stream
    concurrency = 2
"""
import json
import os
import sys


def handle(meta, body):
    """Does the work for one event; raising an exception asks for a retry."""
    out = os.environ.get("STREAM_HANDLER_OUT")
    if out:
        with open(out, "a", encoding="utf-8") as f:
            f.write("%d %d %s %d %d\n" % (meta["delivery_id"], os.getpid(), meta["event_id"],
                                          meta["attempt"], len(body)))
    print("%s %s: %d bytes" % (meta["route"], meta["event_id"], len(body)), file=sys.stderr,
          flush=True)


def main():
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        line = stdin.readline()
        if not line:
            return 0  # the worker is stopping or reloading
        meta = json.loads(line)
        body = stdin.read(meta["body_length"])
        if len(body) != meta["body_length"] or stdin.read(1) != b"\n":
            return 1  # the stream is cut short: the worker is gone
        try:
            handle(meta, body)
            answer = "ok"
        except Exception as e:  # pylint: disable=broad-except
            answer = "retry " + " ".join(("%s: %s" % (type(e).__name__, e)).split())
        stdout.write(answer.encode() + b"\n")
        stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
