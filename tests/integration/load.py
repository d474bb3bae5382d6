#!/usr/bin/env python3
"""load.py: the integration tests' load generator (127.0.0.1 only).

CLIENTS threads, each with one keep-alive HTTP connection to nginx, POST
GitHub-signed events (X-Hub-Signature-256 over the body, a distinct
X-GitHub-Delivery per event) to /hooks/SOURCE:
  --events N     send events PREFIX000000 .. N-1 once each (twice with --dup,
                 the copy right behind the first) and stop;
  --until FILE   keep sending new events until FILE exists (at most --max-s).
Every request is recorded in --results as "ID STATUS" (STATUS "error" when
the connection failed: no HTTP answer at all; "503-without-Retry-After" for
a 503 that does not say when to retry). Prints a summary: elapsed,
unfinished, statuses, answers (response bodies), errors. Secrets are read
from the secret file and never printed.
"""
import argparse
import hashlib
import hmac
import http.client
import itertools
import json
import os
import queue
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--secret-file", required=True)
ap.add_argument("--source", default="github")
ap.add_argument("--clients", type=int, default=16)
ap.add_argument("--events", type=int)
ap.add_argument("--until")
ap.add_argument("--max-s", type=float, default=60)
ap.add_argument("--dup", action="store_true")
ap.add_argument("--prefix", default="l-")
ap.add_argument("--pad", type=int, default=0, help="bytes added to every body")
ap.add_argument("--results")
args = ap.parse_args()

with open(args.secret_file, "rb") as f:
    secret = [l.strip() for l in f if l.strip()][0]

work = queue.Queue()
if args.events is not None:
    for i in range(args.events):
        work.put(i)
        if args.dup:
            work.put(i)
counter = itertools.count()
lock = threading.Lock()
statuses, answers, errors, results = {}, {}, [], []
start = time.monotonic()


def next_event():
    """The next event number, or None when the run is over."""
    if args.events is not None:
        try:
            return work.get_nowait()
        except queue.Empty:
            return None
    if os.path.exists(args.until) or time.monotonic() - start > args.max_s:
        return None
    return next(counter)


def client():
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    while True:
        i = next_event()
        if i is None:
            break
        delivery = "%s%06d" % (args.prefix, i)
        body = json.dumps({"n": i, "pad": "x" * (i % 97 + args.pad)}, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
        }
        try:
            conn.request("POST", "/hooks/" + args.source, body, headers)
            r = conn.getresponse()
            text = " ".join(r.read().decode("utf-8", "replace").split())[:40]
            # A 503 must say when to come back: one without Retry-After is its own status.
            status = str(r.status)
            if r.status == 503 and r.getheader("Retry-After") is None:
                status = "503-without-Retry-After"
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                answers[text] = answers.get(text, 0) + 1
                results.append("%s %s" % (delivery, status))
        except Exception as e:
            with lock:
                errors.append("%s: %r" % (delivery, e))
                results.append("%s error" % delivery)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
    conn.close()


threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
for t in threads:
    t.start()
for t in threads:
    t.join(max(1.0, args.max_s + 60 - (time.monotonic() - start)))
elapsed = time.monotonic() - start
with lock:
    if args.results:
        with open(args.results, "w") as f:
            f.write("".join(r + "\n" for r in results))
    print("elapsed %.1f" % elapsed)
    print("unfinished %d" % sum(t.is_alive() for t in threads))
    print("requests %d" % len(results))
    print("statuses " + " ".join("%s=%d" % kv for kv in sorted(statuses.items())))
    print("answers " + " ".join("%s=%d" % kv for kv in sorted(answers.items())))
    print("errors %d" % len(errors))
    for e in errors[:5]:
        print("error " + e)
sys.exit(0)
