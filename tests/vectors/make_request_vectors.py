#!/usr/bin/env python3
"""Writes request.json: signed requests for tests/unit/request_test.c.

Signatures are computed here with Python's hmac module, independently of
hookq (GitHub: HMAC-SHA256 of the body, "sha256=" + hex; Stripe: HMAC-SHA256
of "t.body" keyed with the whole whsec_ string, "t=…,v1=" + hex). Run it
again only to add rows: python3 make_request_vectors.py > request.json
"""
import hashlib
import hmac
import json

GITHUB_SECRET = "request-test-github-secret"
STRIPE_SECRET = "whsec_request_test_stripe_secret"
TS = "1700000000"


def github(name, body):
    sig = hmac.new(GITHUB_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    return {"name": name, "scheme": "github", "secret": GITHUB_SECRET, "body": body,
            "header": "X-Hub-Signature-256", "value": "sha256=" + sig,
            "how": "python3 hmac.new(secret, body, hashlib.sha256).hexdigest()"}


def stripe(name, body):
    sig = hmac.new(STRIPE_SECRET.encode(), (TS + "." + body).encode(), hashlib.sha256).hexdigest()
    return {"name": name, "scheme": "stripe", "secret": STRIPE_SECRET, "body": body,
            "timestamp": int(TS), "header": "Stripe-Signature",
            "value": "t=%s,v1=%s" % (TS, sig),
            "how": "python3 hmac.new(secret, ts + '.' + body, hashlib.sha256).hexdigest()"}


rows = [
    github("github_push", '{"ref":"refs/heads/main"}'),
    stripe("stripe_event", '{"id":"evt_1","type":"invoice.paid","data":{"object":{"id":"in_1"}}}'),
    stripe("stripe_not_json", "id=evt_1&type=invoice.paid"),
    stripe("stripe_no_id", '{"type":"invoice.paid"}'),
    stripe("stripe_deep", "[" * 100 + "]" * 100),
    stripe("stripe_numeric_id", '{"id":12345,"type":"invoice.paid"}'),
]
print(json.dumps(rows, indent=1))
