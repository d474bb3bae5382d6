#!/usr/bin/env python3
"""swh_verify.py: checks hookq's own Standard Webhooks signature on a request
http_sink.py logged, independently of hookq's code.

usage: swh_verify.py LOGFILE LINE SECRETFILE     (LINE: 1 for the first request)
Exit 0 when webhook-signature holds a v1 signature made with the secret,
1 when not.

The Standard Webhooks spec
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
the signed content is "{webhook-id}.{webhook-timestamp}.{body}", the MAC
HMAC-SHA256 under the secret's bytes (base64 after "whsec_"), the header a
space-separated list of "v1,<base64 MAC>"; a timestamp more than 5 minutes
from now is refused.
"""
import base64
import hashlib
import hmac
import json
import sys
import time

log, line, secret_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(log, encoding="utf-8") as f:
    rec = json.loads(f.readlines()[line - 1])
headers = {k.lower(): v for k, v in rec["headers"]}
body = base64.b64decode(rec["body"])
with open(secret_file, encoding="utf-8") as f:
    secret = f.read().split()[0]
if not secret.startswith("whsec_"):
    sys.exit("secret is not whsec_...")
key = base64.b64decode(secret[len("whsec_"):])
msg_id, ts = headers["webhook-id"], headers["webhook-timestamp"]
if abs(time.time() - int(ts)) > 300:
    print("timestamp too far from now")
    sys.exit(1)
want = base64.b64encode(hmac.new(key, b"%s.%s.%s" % (msg_id.encode(), ts.encode(), body),
                                 hashlib.sha256).digest()).decode()
for sig in headers["webhook-signature"].split(" "):
    version, _, value = sig.partition(",")
    if version == "v1" and hmac.compare_digest(value, want):
        sys.exit(0)
print("no v1 signature matches")
sys.exit(1)
