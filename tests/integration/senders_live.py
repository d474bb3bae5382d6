#!/usr/bin/env python3
"""senders_live.py: drives senders_live.sh with the Specs of
tests/vectors/senders_more.py, so every sender there is sent through the real
nginx and receiver with no edit to the test.

  senders_live.py config DIR      writes DIR/<scheme>.secret and prints the
                                  [source] sections (source name = scheme)
  senders_live.py send URL DIR    sends each sender's event, signed now, and a
                                  tampered copy (its last body byte changed);
                                  prints one line per sender:
                                  scheme status tampered_status event_id event_type sha256(body)
  senders_live.py handshakes URL DIR
                                  the verification requests of Twitch (signed
                                  POST), Dropbox (GET), X (GET CRC) and Trello
                                  (HEAD); prints "name ok" or "name FAIL why"
  senders_live.py schemes         prints the schemes, one per line

Secrets go to files only (mode 600), never to stdout or argv.
"""
import hashlib
import http.client
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors"))
import senders_more  # noqa: E402


def live_secret(spec, d):
    """The secret line: a Spec's own, or (SendGrid) the public key of the live openssl key."""
    if spec.scheme in ("sendgrid", "aws-sns"):
        with open(os.path.join(d, spec.scheme + ".pub.b64")) as f:
            return f.read().strip()
    return spec.secret_line(spec.secret)


def config(d):
    for s in senders_more.SPECS:
        path = os.path.join(d, s.scheme + ".secret")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, (live_secret(s, d) + "\n").encode())
        os.close(fd)
        print("[source %s]\nscheme = %s\nsecret_file = %s" % (s.scheme, s.scheme, path))
        for k, v in (s.config or {}).items():
            print("%s = %s" % (k, v))
        print()


def request(url, method, path, headers=None, body=None, content_type="application/json"):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    h = dict(headers or {})
    if body is not None:
        h.setdefault("Content-Type", content_type)
    c.request(method, path, body=None if body is None else body.encode(), headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Content-Type") or "", data.decode("utf-8", "replace")


def post(url, scheme, headers, body, content_type, query=None):
    path = "/hooks/" + scheme + ("?" + query if query else "")
    return request(url, "POST", path, headers, body, content_type)[0]


def spec_of(name):
    return next(s for s in senders_more.SPECS if s.scheme == name)


def handshakes(url, d):
    now = int(time.time())
    tw = spec_of("twitch")
    ts = tw.stamp(now)
    got = request(url, "POST", "/hooks/twitch", senders_more.twitch_make(
        ts, senders_more.TW_CHALLENGE, [tw.secret], kind="webhook_callback_verification"),
        senders_more.TW_CHALLENGE)
    check("twitch_verification", got, 200, "text/plain", "pogchamp-kappa-360noscope-vohiyo")
    check("dropbox_challenge", request(url, "GET", "/hooks/dropbox?challenge=hq-" + str(now)), 200,
          "text/plain", "hq-" + str(now))
    x = spec_of("twitter")
    token = "crc-%d" % now
    want = senders_more.cj({"response_token": "sha256=" + senders_more.b64(senders_more.sha256(x.secret, token))})
    check("twitter_crc", request(url, "GET", "/hooks/twitter?crc_token=" + token), 200,
          "application/json", want)
    check("trello_head", request(url, "HEAD", "/hooks/trello"), 200, "text/plain", "")


def check(name, got, status, ctype, body):
    if got[0] == status and got[1].startswith(ctype) and got[2] == body:
        print(name, "ok")
    else:
        print(name, "FAIL", "got %r, want %r" % (got, (status, ctype, body)))


def send(url, d):
    now = int(time.time())
    for s in senders_more.SPECS:
        if s.scheme in ("sendgrid", "aws-sns"):
            s.secret = live_secret(s, d)  # signed with openssl, the key of the live test's own
        headers, body, _, _ = s.live(now)
        status = post(url, s.scheme, headers, body, s.content_type, s.query)
        bad = body[:-1] + ("0" if body[-1] != "0" else "1")
        tampered = post(url, s.scheme, headers, bad, s.content_type, s.query)
        print(s.scheme, status, tampered, s.id_for(body), s.event_type or "NULL",
              hashlib.sha256(body.encode()).hexdigest())


if __name__ == "__main__":
    if sys.argv[1] == "config":
        config(sys.argv[2])
    elif sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "handshakes":
        handshakes(sys.argv[2], sys.argv[3])
    else:
        print("\n".join(senders_more.SCHEMES))
