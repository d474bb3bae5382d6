#!/usr/bin/env python3
"""make_corpus.py: writes the fuzzers' seed corpus, tests/fuzz/corpus/<harness>/,
from the test vectors (tests/vectors/*.json, the published examples) and
hookq.conf.example. Run it again after the vectors change:

    python3 tests/fuzz/make_corpus.py

Each harness reads its own input format (see the top of tests/fuzz/*_fuzz.c).
scheme_fuzz's byte 0 is an index into its ROWS: SCHEME_ROWS below is that
table's order, and the harness's secrets are the vectors' base secrets, so
the seeds made from the vectors verify.
"""
import json
import os
import re
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
VECTORS = os.path.join(TOP, "tests", "vectors")

# scheme_fuzz.c's ROWS, in order.
SCHEME_ROWS = [
    "github", "stripe", "standard-webhooks", "svix", "shopify", "slack", "zendesk", "gitlab",
    "discord", "discord-interactions", "paddle", "linear", "pagerduty", "jira", "meta", "zoom",
    "mailgun", "square", "generic-hmac-sha256-hex", "generic-hmac-sha512-hex",
    "generic-hmac-sha512-base64", "generic-ed25519-hex", "generic-ed25519-base64",
    "template-adhoc",
]
# scheme_fuzz.c's FLAG_* bits.
SIGN, GET, ALLOW, ROTATE, SECRETS, DEDUP = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


def load(name):
    with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
        return json.load(f)


def body_of(row):
    if "body_hex" in row:
        return bytes.fromhex(row["body_hex"])
    return row.get("body", "").encode()


class Corpus:
    """One harness's folder, emptied first; inputs named after their vectors."""

    def __init__(self, harness):
        self.dir = os.path.join(HERE, "corpus", harness)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.seen = set()

    def add(self, name, data):
        if data in self.seen:
            return
        self.seen.add(data)
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)


def scheme_input(scheme, flags, headers, body, content_type=None, query=None):
    out = bytes([SCHEME_ROWS.index(scheme), flags])
    if query is not None:
        out += b"?" + query.encode() + b"\n"
    if content_type is not None:
        out += b"Content-Type: " + content_type.encode() + b"\n"
    for k, v in headers.items():
        out += k.encode() + b": " + v.encode() + b"\n"
    return out + b"\n" + body


def make_scheme(senders, schemes, published):
    c = Corpus("scheme")
    # A wrong signature is every mutation's first result: the seeds are requests that pass,
    # and the answers other than 401 (handshakes, 403, 400, 405).
    kept = {}
    for r in senders:
        if r["expect"] == "unauthorized" or not r.get("base") and r["expect"] == "stored":
            continue
        kept[r["scheme"], r["expect"]] = kept.get((r["scheme"], r["expect"]), 0) + 1
        if kept[r["scheme"], r["expect"]] > 2:
            continue
        flags = GET if r.get("method") == "GET" else 0
        if r.get("base"):
            c.add(r["name"] + "_signed", scheme_input(r["scheme"], SIGN | ALLOW | DEDUP, {},
                                                      body_of(r), r.get("content_type")))
        c.add(r["name"], scheme_input(r["scheme"], flags, r["headers"], body_of(r),
                                      r.get("content_type"), r.get("query")))
    # Secret lines of each key format: raw, whsec_/whpk_, Ed25519 hex.
    for r in senders:
        if r.get("base") and r["scheme"] in ("svix", "discord", "github", "mailgun"):
            c.add(r["scheme"] + "_secrets", bytes([SCHEME_ROWS.index(r["scheme"]), SECRETS]) +
                  "\n".join(r["secrets"] + [r["wrong_secret"]]).encode())
    # schemes.json's rows test signatures only: GitHub's id and type headers are not signed.
    unsigned = {"github": {"X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
                           "X-GitHub-Event": "push"}}
    for r in schemes:
        if r["scheme"] in SCHEME_ROWS and (r["name"].startswith("base") or
                                           r["name"].startswith("stdwh_v1_")):
            headers = dict(r["headers"], **unsigned.get(r["scheme"], {}))
            c.add(r["name"], scheme_input(r["scheme"], 0, headers, body_of(r)))
    # The senders' own examples, signed by the harness under its secrets.
    for r in published:
        scheme = {"github-sha256": "github", "slack-v0": "slack",
                  "standard-webhooks-v1": "standard-webhooks"}.get(r["scheme"])
        if scheme is None or "body" not in r:
            continue
        headers = {}
        if scheme == "slack":
            headers["X-Slack-Request-Timestamp"] = r["timestamp"]
        ct = "application/x-www-form-urlencoded" if scheme == "slack" else None
        c.add("published_" + r["name"], scheme_input(scheme, SIGN, headers, r["body"].encode(), ct))


def make_payload(senders, schemes, requests):
    c = Corpus("payload")
    for r in senders:
        if r.get("base") or r["expect"] in ("handshake", "bad_request"):
            if r.get("content_type", "application/json") == "application/json":
                c.add(r["name"], body_of(r))
    for r in schemes[:1] + requests:
        c.add(r["name"], body_of(r))
    c.add("deep_65", b"[" * 65 + b"]" * 65)
    c.add("deep_64_object", b'{"a":' * 64 + b"1" + b"}" * 64)
    c.add("long_value", b'{"id":"' + b"x" * 257 + b'"}')
    c.add("nul_escape", b'{"id":"a\\u0000b","type":"t"}')
    c.add("surrogates", b'{"type":"\\ud83d\\ude00","id":"\\udc00"}')
    c.add("duplicate_keys", b'{"id":"1","id":"2","data":{"object":{"id":3}},"data":{"name":"n"}}')


def make_form(senders, published):
    c = Corpus("form")
    for r in senders:
        if r.get("content_type") == "application/x-www-form-urlencoded":
            c.add(r["name"], body_of(r))
        if r.get("query"):
            c.add(r["name"] + "_query", r["query"].encode())
    for r in published:
        if r["scheme"] == "slack-v0":
            c.add("published_" + r["name"], r["body"].encode())
    c.add("escapes", b"a=%41%4g%%2&text=%&a+b=1+2&%61=dup&=empty&signature&token=")
    c.add("nul", b"command=%00x&token=ok")


def make_headers(senders):
    c = Corpus("headers")
    for r in senders[::12]:
        lines = ["REQUEST_METHOD=" + r.get("method", "POST"),
                 "REQUEST_URI=/hooks/%s?%s" % (r["scheme"], r.get("query", "")),
                 "DOCUMENT_URI=/hooks/" + r["scheme"],
                 "CONTENT_LENGTH=%d" % len(body_of(r))]
        if r.get("content_type"):
            lines.append("CONTENT_TYPE=" + r["content_type"])
            lines.append("HTTP_CONTENT_TYPE=" + r["content_type"])
        for k, v in r["headers"].items():
            lines.append("HTTP_" + k.upper().replace("-", "_") + "=" + v)
        c.add(r["name"], "\n".join(lines).encode())
    c.add("repeated", b"HTTP_X_A=1\nHTTP_X_A=2\nHTTP_COOKIE=c\nHTTP_X_A=3\nCONTENT_TYPE=t\n"
          b"HTTP_=x\nHTTP_X_LATIN=caf\xe9\nHTTP_X_\xe9=v\nREQUEST_URI=/a/b/c/?q#f\n")


def make_config():
    c = Corpus("config")
    with open(os.path.join(TOP, "hookq.conf.example"), encoding="utf-8") as f:
        example = f.read()
    # Secret files are the harness's, next to the file (a path with a folder is skipped).
    example = re.sub(r"/etc/hookq/(\w+)\.secret",
                     lambda m: "whsec.secret" if m.group(1) == "svix" else "raw.secret", example)
    c.add("example", example.encode())
    # The commented-out sources too.
    c.add("example_all", re.sub(r"^;(\[source|scheme|secret_file|signature|encoding|algorithm|"
                                r"id_header|type_json)", r"\1", example, flags=re.M).encode())
    head = "[hookq]\ndatabase = q.db\n"
    keyfile = {"standard-webhooks": "whsec.secret", "svix": "whpk.secret",
               "discord": "ed25519.secret", "discord-interactions": "ed25519.secret"}
    for scheme in SCHEME_ROWS:
        if "-adhoc" in scheme or scheme.startswith("generic"):
            continue
        extra = ""
        if scheme == "square":
            extra = "notification_url = https://hooks.example.com/hookq/in/square\n"
        if scheme == "meta":
            extra = "verify_token = t0k3n\n"
        c.add("scheme_" + scheme, (head + "[source s]\nscheme = %s\nsecret_file = %s\n%s" % (
            scheme, keyfile.get(scheme, "raw.secret"), extra)).encode())
    c.add("generic", (head + "[source g]\nscheme = generic\nsecret_file = raw.secret\n"
                      "signature_header = X-Acme-Signature\nsignature_prefix = sha512=\n"
                      "encoding = base64\nalgorithm = hmac-sha512\nid_json = data.id\n"
                      "type_header = X-Acme-Event\n").encode())
    c.add("generic_ed25519", (head + "[source g]\nscheme = generic\nsecret_file = ed25519.secret\n"
                              "signature_header = X-Sig\nalgorithm = ed25519\n").encode())
    c.add("worker", (head + "concurrency = 8\nlease = 90s\nretain_done = 0\nstop_grace = 500ms\n"
                     "[source w]\nscheme = github\nsecret_file = raw.secret\n"
                     "handler = ./on-event --flag x\nhandler_timeout = 1m\nmax_attempts = 3\n"
                     "backoff_base = 1s\nbackoff_max = 1h\nevents = push, pull_request\n"
                     "max_body = 64K\ntolerance = 60\n").encode())
    c.add("dedup", (head + "retain_done = 30d\n[source d]\nscheme = github\nsecret_file = raw.secret\n"
                    "dedup = body\ndedup_window = 12h\n[source i]\nscheme = slack\n"
                    "secret_file = raw.secret\ndedup = id\n").encode())
    c.add("routes", (head + "on_dead = ./alert --dead\nlease = 5m\n"
                     "[route deploy]\nsource = r\nevents = push\n"
                     "match = ref = \"refs/heads/ma\\u00efn\"\nmatch = repository.fork=false\n"
                     "match = size = -1.5e3\nmatch = a.b = null\nmatch = owner.login = acme\n"
                     "handler = ./deploy --prod\nconcurrency = 2\nrate = 30/m\n"
                     "order = repository.full_name\nhandler_timeout = 2m\nmax_attempts = 5\n"
                     "[source r]\nscheme = github\nsecret_file = raw.secret\n"
                     "events = push, release\nhandler = ./on-event\nbackoff_max = 10m\n"
                     "[route notify]\nsource = r\nhandler = logger -t hookq\nrate = 1/s\n"
                     "order = header:X-GitHub-Hook-ID\n").encode())
    c.add("routes_errors", (head + "on_dead =\n[source r]\nscheme = github\n"
                            "secret_file = raw.secret\nevents = push\nhandler = ./h\n"
                            "[route r]\nsource = r\nhandler = ./h\n[route bad]\nsource = nope\n"
                            "rate = 10\nrate = 0/s\nmatch = a..b=1\nmatch = x\nmatch = y=\n"
                            "match = s=\"\\ud800\"\nmatch = z=\"\\u0000\"\norder = header:\n"
                            "events = ping\n[route bad]\n[route]\n").encode())
    c.add("secret_files", (head + "[source a]\nscheme = github\nsecret_file = huge.secret\n"
                           "[source b]\nscheme = stripe\nsecret_file = long.secret\n"
                           "[source c]\nscheme = github\nsecret_file = missing.secret\n"
                           "[source d]\nscheme = svix\nsecret_file = bad.secret\n").encode())
    c.add("errors", ("\xef\xbb\xbf[hookq]\ndatabase = q.db\nthreads = 0\nmax_body = 2M\n"
                     "durability = sometimes\nmetrics_path = /m\nhealth_path = /m\n"
                     "lease = 1s\nnot a key line\n[source]\n[source a b]\n[other]\n"
                     "[source x]\nscheme = nope\nsecret_file = bad.secret\n[source x]\n"
                     "[source y]\nscheme = github\nsecret_file = empty.secret\n"
                     "handler = /bin/true\n[source z]\nscheme = stripe\n"
                     "secret_file = many.secret\nsignature_header = X\n").encode())


def main():
    senders = load("senders.json")
    schemes = load("schemes.json")
    published = load("published.json")
    requests = load("request.json")
    make_scheme(senders, schemes, published)
    make_payload(senders, schemes, requests)
    make_form(senders, published)
    make_headers(senders)
    make_config()
    for h in sorted(os.listdir(os.path.join(HERE, "corpus"))):
        print("%s: %d inputs" % (h, len(os.listdir(os.path.join(HERE, "corpus", h)))))


if __name__ == "__main__":
    main()
