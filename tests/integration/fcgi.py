#!/usr/bin/env python3
"""fcgi.py: speaks FastCGI straight to the receiver's socket, as anything
that can reach the socket could: well-formed requests, and hostile ones.

usage: fcgi.py SOCKET CASE     prints one line: what the receiver did
  "answered STATUS"   it sent a FastCGI answer with that Status
  "closed"            it closed the connection without an answer
  "open"              it neither answered nor closed within the wait
  "closed after S s"  (stalled: how long it held the connection)
CASE is one of the names in CASES below; `fcgi.py SOCKET list` lists them.
Wire format: the FastCGI 1.0 specification (records of an 8-byte header,
content, padding; name-value pairs with 1- or 4-byte lengths).
"""
import random
import socket
import struct
import sys
import time

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT, GET_VALUES = 1, 2, 3, 4, 5, 6, 9


def record(rtype, content=b"", rid=1, version=1, padding=0, clen=None):
    n = len(content) if clen is None else clen
    return struct.pack(">BBHHBx", version, rtype, rid, n, padding) + content + b"\0" * padding


def length(n, four=False):
    if n < 128 and not four:
        return bytes([n])
    return struct.pack(">I", n | 0x80000000)


def pair(name, value):
    return length(len(name)) + length(len(value)) + name + value


def stream(rtype, data, rid=1, chunk=65535):
    """data as records of at most chunk bytes, ended by an empty record."""
    out = b""
    for i in range(0, len(data), chunk):
        out += record(rtype, data[i:i + chunk], rid)
    return out + record(rtype, b"", rid)


def begin(rid=1, role=1, keep=0):
    return record(BEGIN, struct.pack(">HB5x", role, keep), rid)


def params(uri=b"/hooks/nosuch", method=b"POST", body_len=0, extra=b""):
    p = (pair(b"REQUEST_METHOD", method) + pair(b"DOCUMENT_URI", uri) +
         pair(b"REQUEST_URI", uri) + pair(b"CONTENT_LENGTH", str(body_len).encode()) +
         pair(b"CONTENT_TYPE", b"application/json") + extra)
    return p


def request(body=b"{}", uri=b"/hooks/nosuch", extra=b""):
    return begin() + stream(PARAMS, params(uri, body_len=len(body), extra=extra)) + \
        stream(STDIN, body)


def huge_pair(name_len, value_len):
    """A pair whose lengths claim what is not sent, and a little after it."""
    return begin() + record(PARAMS, length(name_len, True) + length(value_len, True) + b"x" * 64)


def mgmt_overflow():
    # FCGI_GET_VALUES with a name libfcgi answers, many times: its answer is
    # built in a 64-byte stack buffer.
    names = b"".join(pair(b"FCGI_MAX_CONNS", b"") for _ in range(20))
    return record(GET_VALUES, names, rid=0)


def mgmt_in_body():
    # A sound start, 100 KB of body, then a management record with lengths
    # near 2^31 in the middle of the body's records.
    body = b"a" * 100000
    data = begin() + stream(PARAMS, params(body_len=len(body) * 2))
    data += b"".join(record(STDIN, body[i:i + 8000]) for i in range(0, len(body), 8000))
    data += record(GET_VALUES, length(0x7ffffffe, True) + length(1, True), rid=0)
    data += b"".join(record(STDIN, body[i:i + 8000]) for i in range(0, len(body), 8000))
    return data + record(STDIN, b"")


def many_params(n):
    # n distinct short names with empty values: 3-character names keep 10,000
    # of them under the 64 KB the receiver takes.
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    extra = b""
    for i in range(n):
        name = bytes([alphabet[i % 62], alphabet[i // 62 % 62], alphabet[i // 3844 % 62]])
        extra += pair(b"X" + name, b"")
    return begin() + stream(PARAMS, params(extra=extra)) + stream(STDIN, b"")


def junk(seed, n):
    rnd = random.Random(seed)
    return bytes(rnd.randrange(256) for _ in range(n))


def random_records(seed):
    # Headers with random types, ids, lengths and versions after a sound start.
    rnd = random.Random(seed)
    data = begin()
    for _ in range(rnd.randrange(1, 6)):
        data += struct.pack(">BBHHBx", rnd.choice([1, 1, 1, 0, 2, 255]), rnd.randrange(12),
                            rnd.choice([0, 1, 1, 2, 65535]), rnd.randrange(65536),
                            rnd.randrange(256))
        data += junk(rnd.random(), rnd.randrange(200))
    return data


CASES = {
    # name: (bytes to send, what to do after: "close" | "hold" | "read")
    "valid": (lambda: request(), "read"),
    "valid-kept": (lambda: begin(keep=1) + stream(PARAMS, params(body_len=2)) + stream(STDIN, b"{}"), "read"),
    "params-2g": (lambda: huge_pair(0x7ffffffe, 1), "read"),
    "params-1g-1g": (lambda: huge_pair(0x40000000, 0x40000000), "read"),
    "params-1m": (lambda: huge_pair(1 << 20, 0), "read"),
    "params-end-inside-pair": (lambda: begin() + record(PARAMS, length(200) + length(10) + b"abc") +
                               record(PARAMS) + stream(STDIN, b""), "read"),
    "params-over-64k": (lambda: begin() + stream(PARAMS, params(extra=b"".join(
        pair(b"X_BIG%d" % i, b"v" * 30000) for i in range(3)))) + stream(STDIN, b""), "read"),
    "params-10000": (lambda: many_params(10000), "read"),
    "version-2": (lambda: record(BEGIN, struct.pack(">HB5x", 1, 0), version=2), "read"),
    "version-0-in-params": (lambda: begin() + record(PARAMS, pair(b"A", b"B"), version=0), "read"),
    "mgmt-get-values": (mgmt_overflow, "read"),
    "mgmt-in-body": (mgmt_in_body, "read"),
    "begin-short": (lambda: record(BEGIN, b"\0\1"), "read"),
    "role-filter": (lambda: begin(role=3) + stream(PARAMS, params()) + stream(STDIN, b""), "read"),
    "second-request-id": (lambda: begin() + record(PARAMS, pair(b"A", b"B"), rid=2), "read"),
    "stdin-before-params": (lambda: begin() + record(STDIN, b"{}"), "read"),
    "abort-record": (lambda: begin() + stream(PARAMS, params(body_len=2)) + record(ABORT), "read"),
    "truncated-header": (lambda: b"\1\1\0", "close"),
    "truncated-params": (lambda: begin() + record(PARAMS, b"", clen=1000) + b"0123456789", "close"),
    "abort-mid-body": (lambda: begin() + stream(PARAMS, params(body_len=5000)) +
                       record(STDIN, b"x" * 1000), "close"),
    "stalled": (lambda: begin() + record(PARAMS, b"", clen=1000) + b"0123456789", "hold"),
    "junk": (lambda: junk(1, 1000), "read"),
}
for _i in range(40):
    CASES["random-%d" % _i] = ((lambda i=_i: random_records(i)), "read")


def outcome(s, wait):
    """What the receiver did: answered STATUS, closed, or left it open."""
    s.settimeout(wait)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
            if b"Status:" in got and b"\r\n\r\n" in got:
                break
    except socket.timeout:
        if not got:
            return "open"
    except (ConnectionResetError, BrokenPipeError):
        pass
    i = got.find(b"Status: ")
    if i >= 0:
        return "answered " + got[i + 8:i + 11].decode("ascii", "replace")
    return "closed"


def run(path, name):
    data, after = CASES[name]
    data = data()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    start = time.monotonic()
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return "closed"
    if after == "close":
        s.close()
        return "closed"
    if after == "hold":
        r = outcome(s, 15)
        return "%s after %d s" % (r, round(time.monotonic() - start))
    return outcome(s, 8)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    if sys.argv[2] == "list":
        print("\n".join(CASES))
        return
    print(run(sys.argv[1], sys.argv[2]))


if __name__ == "__main__":
    main()
