#!/usr/bin/env python3
"""http_hostile.py: hostile HTTP at nginx on 127.0.0.1, for nginx_hostile.sh.

usage: http_hostile.py PORT MODE [ARGS]   prints "key value" lines
  sigs SECRET_FILE N          N GitHub posts, each with a random
                              X-Hub-Signature-256 (random length, bytes,
                              prefixes): "statuses 401=N"
  bytes SECRET_FILE           signed bodies and headers holding NUL bytes and
                              invalid UTF-8: one "case STATUS" line each
  deep SECRET_FILE DEPTH      a Stripe event whose JSON opens DEPTH arrays
  limit SECRET_FILE MAX       signed bodies of MAX and MAX + 1 bytes
  junk N                      N connections of random bytes
  bigheader                   one header of 100 KB
  slow SECONDS                a request trickled 1 byte a second, then dropped
  idle N SECONDS              N connections opened and left idle, then closed
  timed SECRET_FILE N PREFIX  N signed events one after another: statuses and
                              the slowest answer in ms
Secrets come from files and are never printed.
"""
import hashlib
import hmac
import http.client
import json
import random
import socket
import sys
import time

PORT = int(sys.argv[1])
MODE = sys.argv[2]
ARGS = sys.argv[3:]


def secret(path):
    with open(path, "rb") as f:
        return [l.strip() for l in f if l.strip()][0]


def post(path, body, headers, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        c.putrequest("POST", path, skip_accept_encoding=True)
        for k, v in headers:
            c.putheader(k, v)
        c.putheader("Content-Length", str(len(body)))
        c.endheaders()
        c.send(body)
        r = c.getresponse()
        r.read()
        return r.status
    except (OSError, http.client.HTTPException):
        return "error"
    finally:
        c.close()


def github(key, body, delivery, event=b"push"):
    sig = b"sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    return [("Content-Type", "application/json"), ("X-GitHub-Event", event),
            ("X-GitHub-Delivery", delivery), ("X-Hub-Signature-256", sig)]


def histogram(statuses):
    h = {}
    for s in statuses:
        h[str(s)] = h.get(str(s), 0) + 1
    return " ".join("%s=%d" % kv for kv in sorted(h.items()))


def raw(data, wait=5):
    """Sends data on a fresh connection; the status nginx answers, or closed."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=wait)
    try:
        s.sendall(data)
        got = s.recv(100)
    except OSError:
        got = b""
    finally:
        s.close()
    if got.startswith(b"HTTP/1.1 "):
        return got[9:12].decode()
    return "closed"


def main():
    rnd = random.Random(7)
    if MODE == "sigs":
        key, n = secret(ARGS[0]), int(ARGS[1])
        out = []
        for i in range(n):
            body = json.dumps({"n": i}).encode()
            kind = rnd.randrange(4)
            if kind == 0:   # the right shape, wrong digest
                sig = "sha256=" + "".join(rnd.choice("0123456789abcdef") for _ in range(64))
            elif kind == 1:  # any printable garbage of any length
                sig = "".join(chr(rnd.randrange(33, 127)) for _ in range(rnd.randrange(1, 300)))
            elif kind == 2:  # a prefix and high bytes
                sig = "sha256=" + "".join(chr(rnd.randrange(128, 256)) for _ in range(rnd.randrange(0, 80)))
            else:            # the right digest cut, doubled, shifted or one bit off
                good = hmac.new(key, body, hashlib.sha256).hexdigest()
                flip = "%x" % (int(good[-1], 16) ^ 1)
                sig = "sha256=" + rnd.choice([good[:63], good + good, good[:-1] + flip, good[1:] + "0"])
            hdrs = github(key, body, ("sig-%d" % i).encode())
            hdrs[-1] = ("X-Hub-Signature-256", sig.encode("latin-1"))
            out.append(post("/hooks/github", body, hdrs))
        print("statuses " + histogram(out))
    elif MODE == "bytes":
        key = secret(ARGS[0])
        cases = [
            ("body-nul", b'{"a":"x\x00y"}\x00', b"bytes-nul", b"push"),
            ("body-utf8", b'{"a":"\xff\xfe\xc3\x28"}', b"bytes-utf8", b"push"),
            ("body-binary", bytes(range(256)), b"bytes-binary", b"push"),
            ("type-utf8", b"{}", b"bytes-type", b"p\xffsh"),
            ("id-utf8", b"{}", b"bytes-id-\xc3\x28", b"push"),
        ]
        for name, body, delivery, event in cases:
            print("%s %s" % (name, post("/hooks/github", body, github(key, body, delivery, event))))
        # A NUL in a header value: nginx refuses the request itself.
        body = b"{}"
        hdrs = github(key, body, b"bytes-hdr-nul") + [("X-Extra", b"a\x00b")]
        print("header-nul %s" % post("/hooks/github", body, hdrs))
    elif MODE == "deep":
        key, depth = secret(ARGS[0]), int(ARGS[1])
        # Opened only: a parser must go DEPTH levels down before it can tell,
        # and the body stays under nginx's 1 MB for DEPTH = 10^6.
        body = b'{"id":"evt_deep","type":"x","a":' + b"[" * depth
        t = str(int(time.time()))
        sig = hmac.new(key, t.encode() + b"." + body, hashlib.sha256).hexdigest()
        hdrs = [("Content-Type", "application/json"), ("Stripe-Signature", "t=%s,v1=%s" % (t, sig))]
        print("deep %s" % post("/hooks/stripe", body, hdrs))
    elif MODE == "limit":
        key, mx = secret(ARGS[0]), int(ARGS[1])
        for name, n in (("at", mx), ("over", mx + 1)):
            body = b'{"p":"' + b"x" * (n - 8) + b'"}'
            assert len(body) == n
            print("%s %s" % (name, post("/hooks/github", body, github(key, body, b"limit-" + name.encode()))))
    elif MODE == "junk":
        out = [raw(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 4000))))
               for _ in range(int(ARGS[0]))]
        print("answers " + histogram(out))
    elif MODE == "bigheader":
        print("bigheader " + raw(b"POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                 b"a" * 100000 + b"\r\nContent-Length: 0\r\n\r\n"))
    elif MODE == "slow":
        req = b"POST /hooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"{" * 1000
        s = socket.create_connection(("127.0.0.1", PORT))
        end = time.monotonic() + float(ARGS[0])
        sent = 0
        try:
            while time.monotonic() < end and sent < len(req):
                s.send(req[sent:sent + 1])
                sent += 1
                time.sleep(1)
        except OSError:
            pass
        s.close()
        print("slow sent %d" % sent)
    elif MODE == "idle":
        conns = [socket.create_connection(("127.0.0.1", PORT)) for _ in range(int(ARGS[0]))]
        time.sleep(float(ARGS[1]))
        for c in conns:
            c.close()
        print("idle %d" % len(conns))
    elif MODE == "timed":
        key, n, prefix = secret(ARGS[0]), int(ARGS[1]), ARGS[2].encode()
        out, slowest = [], 0.0
        for i in range(n):
            body = json.dumps({"n": i}).encode()
            t0 = time.monotonic()
            out.append(post("/hooks/github", body, github(key, body, prefix + str(i).encode())))
            slowest = max(slowest, time.monotonic() - t0)
        print("statuses " + histogram(out))
        print("slowest_ms %d" % (slowest * 1000))
    else:
        sys.exit(__doc__)


main()
