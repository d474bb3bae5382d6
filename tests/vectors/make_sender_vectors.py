#!/usr/bin/env python3
"""Writes senders.json: signed requests for the senders of issue 5 and, from
senders_more.py, those of issue 15.

Every signature, MAC and handshake answer here is computed by this script,
independently of hookq: HMAC with Python's hmac/hashlib, base64 with base64,
Ed25519 with the pure-Python RFC 8032 signer in rfc8032.py (shared with
make_scheme_vectors.py). On start the signer is checked against
published.json's rfc8032_test1, and every sender-published example used below is checked
against the signature its publisher printed.

How each sender signs (what this script computes), and where that is defined:
  svix        svix-signature: "v1," + base64 HMAC-SHA256(base64decode(secret minus
              "whsec_"), svix-id + "." + svix-timestamp + "." + body); "v1a," + base64
              Ed25519 of the same bytes for whpk_ keys. Space-separated list.
              (docs.svix.com/receiving/verifying-payloads/how-manual; standardwebhooks.com
              spec/standard-webhooks.md "Verifying webhook authenticity")
  shopify     X-Shopify-Hmac-Sha256: base64 HMAC-SHA256(client secret, body), no prefix.
              (shopify.dev/docs/apps/build/webhooks/verify-deliveries "HMAC verification";
              id: shopify.dev/apps/build/webhooks/ignore-duplicates, X-Shopify-Event-Id)
  slack       X-Slack-Signature: "v0=" + hex HMAC-SHA256(signing secret,
              "v0:" + X-Slack-Request-Timestamp + ":" + body); reject if more than
              5 minutes off. (api.slack.com/authentication/verifying-requests-from-slack)
  zendesk     X-Zendesk-Webhook-Signature: base64 HMAC-SHA256(signing secret as raw
              bytes, X-Zendesk-Webhook-Signature-Timestamp + body), no separator,
              timestamp ISO 8601 "2021-03-25T05:09:27Z".
              (developer.zendesk.com/documentation/webhooks/verifying/ "Verifying the
              signature": base64(HMACSHA256(TIMESTAMP + BODY)); headers:
              developer.zendesk.com/documentation/webhooks/anatomy-of-a-webhook-request/)
  gitlab      X-Gitlab-Token: the secret token itself, nothing signed.
              (docs.gitlab.com/user/project/integrations/webhooks/ "Validate requests
              with a secret token"; "Delivery headers": Idempotency-Key, X-Gitlab-Event-UUID)
  discord     X-Signature-Ed25519: hex Ed25519(app key, X-Signature-Timestamp + body),
              checked with the app's hex public key.
              (docs.discord.com/developers/events/webhook-events "Preparing for events":
              validate the security headers as for interactions; PING type 0 -> 204)
  discord-interactions
              same signature (discord.com/developers/docs/interactions/overview
              "Validating Security Request Headers"; PING type 1 -> {"type":1};
              interactions/receiving-and-responding: type 5 DEFERRED_CHANNEL_MESSAGE)
  paddle      Paddle-Signature: "ts=<unix>;h1=<hex HMAC-SHA256(secret, ts + ':' + body)>",
              more than one h1 during rotation.
              (developer.paddle.com/webhooks/signature-verification)
  linear      Linear-Signature: hex HMAC-SHA256(secret, body), no prefix; body
              webhookTimestamp in unix MILLISECONDS (Linear's SDK allows one minute).
              (linear.app/developers/webhooks "Securing webhooks";
              linear/linear packages/sdk/src/webhooks/client.ts verify())
  pagerduty   X-PagerDuty-Signature: "v1=" + hex HMAC-SHA256(secret, body), one per
              secret, comma-separated. (developer.pagerduty.com "Verifying Signatures",
              PagerDuty/developer-docs docs/webhooks/04-Signatures.md)
  jira        X-Hub-Signature: "sha256=" + hex HMAC-SHA256(secret, body) (WebSub form).
              (developer.atlassian.com/cloud/jira/platform/webhooks/ "Secure admin webhooks")
  meta        X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256(app secret, body as sent,
              i.e. with Meta's \\uXXXX escapes); GET handshake hub.mode=subscribe,
              hub.verify_token, echo hub.challenge.
              (developers.facebook.com/docs/graph-api/webhooks/getting-started
              "Verification Requests", "Validating Payloads")
  zoom        x-zm-signature: "v0=" + hex HMAC-SHA256(secret token,
              "v0:" + x-zm-request-timestamp + ":" + body); endpoint.url_validation answered
              {"plainToken":p,"encryptedToken":hex HMAC-SHA256(secret token, p)}.
              (developers.zoom.us/docs/api/webhooks/ "Verify webhook events", "Validate
              your webhook endpoint"; zoom/webhook-sample index.js checks the signature
              before answering url_validation)
  mailgun     in the body: signature.signature (form field signature) = hex
              HMAC-SHA256(webhook signing key, timestamp + token), no separator. Only
              timestamp and token are signed, not event-data.
              (documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks)
  square      x-square-hmacsha256-signature: base64 HMAC-SHA256(signature key as raw
              bytes, notification URL + body). (developer.squareup.com/docs/webhooks/step3validate;
              square/square-python-sdk tests/utilities/test_webhooks_helper.py)

Rows: see the keys written by row() below (name, scheme, secrets, wrong_secret,
config, method, query, content_type, headers, body/body_hex, now, tolerance,
expect, event_id, event_type, answer, base, why, how, source, published).
An answer's content_type is null when the answer has no body.

usage: python3 make_sender_vectors.py > senders.json
"""
import base64
import hashlib
import hmac
import json
import os
import urllib.parse

from rfc8032 import ed25519_public, ed25519_sign, self_check

self_check()

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "published.json")) as _f:
    PUB = {r["name"]: r for r in json.load(_f)}


# --- helpers -------------------------------------------------------------------------------

NOW = 1700000000
TOL = 300
T = str(NOW)


def hs(key, msg):
    """HMAC-SHA256; key and msg as str (UTF-8) or bytes."""
    if isinstance(key, str):
        key = key.encode()
    if isinstance(msg, str):
        msg = msg.encode()
    return hmac.new(key, msg, hashlib.sha256).digest()


def b64(raw):
    return base64.b64encode(raw).decode()


def body_id(body):
    if isinstance(body, str):
        body = body.encode()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def seeded(scheme, what="secret"):
    """A deterministic secret string for a scheme."""
    return "hq_" + hashlib.sha256(("hookq sender test %s %s" % (scheme, what)).encode()).hexdigest()[:40]


def iso(ts):
    import datetime
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cj(obj):
    """Compact JSON, as most senders send it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


rows = []
names = set()
KEYS = ["name", "scheme", "secrets", "wrong_secret", "config", "method", "query",
        "content_type", "headers", "body", "body_hex", "now", "tolerance", "expect",
        "event_id", "event_type", "answer", "base", "why", "how", "source", "published"]
NO_ID = object()


def row(name, scheme, secrets, headers, expect, why, how, source, body="",
        content_type="application/json", now=NOW, tolerance=TOL, wrong=None, config=None,
        method=None, query=None, event_id=NO_ID, event_type=NO_ID, answer=None,
        base=False, published=False, body_hex=None):
    assert name not in names, name
    assert name.startswith(scheme.replace("-", "_")), name
    names.add(name)
    r = {"name": name, "scheme": scheme, "secrets": list(secrets)}
    if wrong is not None:
        r["wrong_secret"] = wrong
    if config is not None:
        r["config"] = config
    if method is not None:
        r["method"] = method
    if query is not None:
        r["query"] = query
    if content_type is not None:
        r["content_type"] = content_type
    r["headers"] = headers
    if body_hex is not None:
        r["body_hex"] = body_hex
    else:
        r["body"] = body
    r["now"] = now
    r["tolerance"] = tolerance
    r["expect"] = expect
    if expect == "stored":
        assert event_id is not NO_ID and event_type is not NO_ID, name
        r["event_id"] = event_id
        r["event_type"] = event_type
    else:
        assert event_id is NO_ID and event_type is NO_ID, name
    if answer is not None:
        r["answer"] = answer
    if expect == "handshake":
        assert answer is not None, name
    if base:
        assert expect == "stored" and len(secrets) == 1 and wrong is not None, name
        assert len(body.encode()) >= 2, name
        r["base"] = True
    r["why"] = why
    r["how"] = how
    r["source"] = source
    r["published"] = published
    rows.append({k: r[k] for k in KEYS if k in r})


def ans(status, content_type, body):
    return {"status": status, "content_type": content_type, "body": body}


# Malformed signature values (all refused with 401). prefix: the scheme's prefix.
BINARY_MESS = "".join(chr(c) for c in (1, 2, 3, 7, 8, 0x0b, 0x0c, 0x0e, 0x1b, 0x1f, 0x7f)) + \
    "\u0080\u00ff\u00fe" + "".join(chr(c) for c in range(0x10, 0x1a))


def malformed(prefix, good):
    """(suffix, value, why) for signature header values of many broken shapes."""
    out = [
        ("empty", "", "an empty signature header"),
        ("only_prefix", prefix, "only the prefix %r, nothing after it" % prefix)
        if prefix else ("only_space", " ", "a signature header of one space"),
        ("non_hex", prefix + "z" * len(good), "right length, characters outside the alphabet"),
        ("short", prefix + good[:-4], "the right value cut short"),
        ("long", prefix + good + good[:4], "the right value with more after it"),
        ("huge", prefix + "a" * 8192, "8 KiB of signature"),
        ("separators", ",;= ,;= ,;=", "separators only"),
        ("unicode", prefix + "\u00e9\u00e8\u2713\u4e2d" + good[6:], "non-ASCII (UTF-8) bytes"),
        ("binary", prefix + BINARY_MESS, "control and high bytes (no NUL), JSON-escaped here"),
    ]
    return out


# ============================== svix ==============================================

SVIX_KEY = hashlib.sha256(b"hookq sender test svix").digest()[:24]
SVIX_WRONG_KEY = hashlib.sha256(b"hookq sender test svix wrong").digest()[:24]
SVIX_SECRET = "whsec_" + b64(SVIX_KEY)
SVIX_WRONG = "whsec_" + b64(SVIX_WRONG_KEY)
SVIX_SEED = hashlib.sha256(b"hookq sender test svix ed25519").digest()
SVIX_WHPK = "whpk_" + b64(ed25519_public(SVIX_SEED))
SVIX_SRC = ("docs.svix.com/receiving/verifying-payloads/how-manual (Verifying webhooks manually); "
            "standardwebhooks.com spec/standard-webhooks.md")
SVIX_HOW = ("python3 'v1,' + base64.b64encode(hmac.new(b64decode(secret[6:]), "
            "svix_id + '.' + ts + '.' + body, sha256).digest())")
SVIX_HOW_ED = ("python3 'v1a,' + base64 of RFC 8032 Ed25519 (this script's signer, seed "
               "sha256(b'hookq sender test svix ed25519')) over svix_id + '.' + ts + '.' + body")
SVIX_ID = "msg_2Yh8dLxkPq1bT0sVwE5uZrN3aQ"
SVIX_BODY = cj({"type": "invoice.paid", "timestamp": "2023-11-14T22:13:20.000Z",
                "data": {"id": "inv_7Hs2", "amount": 1200, "currency": "usd"}})


def svix_sig(ts, body, key=SVIX_KEY, msg_id=SVIX_ID):
    return "v1," + b64(hs(key, "%s.%s.%s" % (msg_id, ts, body)))


def svix_hdr(ts, sig, msg_id=SVIX_ID):
    h = {}
    if msg_id is not None:
        h["svix-id"] = msg_id
    if ts is not None:
        h["svix-timestamp"] = ts
    if sig is not None:
        h["svix-signature"] = sig
    return h


row("svix_base", "svix", [SVIX_SECRET], svix_hdr(T, svix_sig(T, SVIX_BODY)), "stored",
    "a Svix message signed with a whsec_ key", SVIX_HOW, SVIX_SRC, body=SVIX_BODY,
    wrong=SVIX_WRONG, event_id=SVIX_ID, event_type="invoice.paid", base=True)
row("svix_v1a_ed25519", "svix", [SVIX_WHPK],
    svix_hdr(T, "v1a," + b64(ed25519_sign(SVIX_SEED, ("%s.%s.%s" % (SVIX_ID, T, SVIX_BODY)).encode()))),
    "stored", "an Ed25519 (v1a) signature checked with a whpk_ public key", SVIX_HOW_ED, SVIX_SRC,
    body=SVIX_BODY, event_id=SVIX_ID, event_type="invoice.paid")
row("svix_rotation_second_sig", "svix", [SVIX_SECRET],
    svix_hdr(T, svix_sig(T, SVIX_BODY, SVIX_WRONG_KEY) + " " + svix_sig(T, SVIX_BODY)), "stored",
    "two space-separated v1 signatures (old and new key), the second matches", SVIX_HOW, SVIX_SRC,
    body=SVIX_BODY, event_id=SVIX_ID, event_type="invoice.paid")
for nm, ts, exp, why in [
        ("old_edge", NOW - TOL, "stored", "exactly tolerance seconds old"),
        ("old_past", NOW - TOL - 1, "unauthorized", "one second older than the tolerance"),
        ("future_edge", NOW + TOL, "stored", "exactly tolerance seconds ahead"),
        ("future_past", NOW + TOL + 1, "unauthorized", "one second further ahead than the tolerance")]:
    kw = dict(event_id=SVIX_ID, event_type="invoice.paid") if exp == "stored" else {}
    row("svix_ts_" + nm, "svix", [SVIX_SECRET], svix_hdr(str(ts), svix_sig(str(ts), SVIX_BODY)), exp,
        why, SVIX_HOW, SVIX_SRC, body=SVIX_BODY, **kw)
row("svix_id_missing", "svix", [SVIX_SECRET], svix_hdr(T, svix_sig(T, SVIX_BODY, msg_id=""), msg_id=None),
    "unauthorized", "no svix-id header (MAC over '' + '.' + ts + '.' + body)", SVIX_HOW, SVIX_SRC,
    body=SVIX_BODY)
row("svix_ts_missing", "svix", [SVIX_SECRET], svix_hdr(None, svix_sig("", SVIX_BODY)),
    "unauthorized", "no svix-timestamp header", SVIX_HOW, SVIX_SRC, body=SVIX_BODY)
row("svix_webhook_headers", "svix", [SVIX_SECRET],
    {"webhook-id": SVIX_ID, "webhook-timestamp": T, "webhook-signature": svix_sig(T, SVIX_BODY)},
    "unauthorized", "the svix scheme reads svix-* headers; webhook-* ones belong to standard-webhooks",
    SVIX_HOW, SVIX_SRC, body=SVIX_BODY)
# Published: the Standard Webhooks libraries' sign test and Svix's own Ed25519
# example (published.json), sent as Svix sends them, under svix-* headers.
for pname, secret in (("stdwebhooks_sign", None), ("svix_v1a_ed25519", "public")):
    pr = PUB[pname]
    line = pr["public"] if secret == "public" else pr["secret"]
    row("svix_published_" + pname, "svix", [line],
        {"svix-id": pr["id"], "svix-timestamp": pr["timestamp"], "svix-signature": pr["expected"]},
        "stored", "published.json %s (%s) under svix-* headers" % (pname, pr["source"]),
        "the signature as published (published.json %s)" % pname, pr["source"], body=pr["body"],
        now=int(pr["timestamp"]), event_id=pr["id"], event_type=None, published=True)

_good = svix_sig(T, SVIX_BODY)[3:]
for sfx, val, why in malformed("v1,", _good):
    row("svix_sig_" + sfx, "svix", [SVIX_SECRET], svix_hdr(T, val), "unauthorized", why,
        "hand-written malformed value", SVIX_SRC, body=SVIX_BODY)

# ============================== shopify ===========================================

SHOP_SECRET = seeded("shopify")
SHOP_WRONG = seeded("shopify", "wrong")
SHOP_SRC = ("shopify.dev/docs/apps/build/webhooks/verify-deliveries (HMAC verification); "
            "shopify.dev/apps/build/webhooks/ignore-duplicates (X-Shopify-Event-Id)")
SHOP_HOW = "python3 base64.b64encode(hmac.new(secret, body, sha256).digest())"
SHOP_BODY = cj({"id": 820982911946154508, "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
                "email": "jon@example.com", "created_at": "2023-11-14T17:13:20-05:00",
                "currency": "USD", "financial_status": "paid", "name": "#9999",
                "total_price": "199.65",
                "line_items": [{"id": 866550311766439020, "title": "IPod Nano - 8GB",
                                "quantity": 1, "price": "199.00", "sku": "IPOD2008PINK"}]})
SHOP_EVENT = "7f6b0d3e-2c43-4a8e-9d7e-5b1f0c2a9e11"
SHOP_WEBHOOK = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


def shop_hdr(body, secret=SHOP_SECRET, event=SHOP_EVENT, webhook=SHOP_WEBHOOK, sig=None):
    h = {"X-Shopify-Topic": "orders/create",
         "X-Shopify-Hmac-Sha256": b64(hs(secret, body)) if sig is None else sig,
         "X-Shopify-Shop-Domain": "hookq-test.myshopify.com",
         "X-Shopify-API-Version": "2024-01",
         "X-Shopify-Triggered-At": "2023-11-14T22:13:20.000Z"}
    if webhook is not None:
        h["X-Shopify-Webhook-Id"] = webhook
    if event is not None:
        h["X-Shopify-Event-Id"] = event
    return h


row("shopify_base", "shopify", [SHOP_SECRET], shop_hdr(SHOP_BODY), "stored",
    "a Shopify orders/create delivery", SHOP_HOW, SHOP_SRC, body=SHOP_BODY, wrong=SHOP_WRONG,
    event_id=SHOP_EVENT, event_type="orders/create", base=True)
row("shopify_no_event_id", "shopify", [SHOP_SECRET], shop_hdr(SHOP_BODY, event=None), "stored",
    "without X-Shopify-Event-Id the id is X-Shopify-Webhook-Id", SHOP_HOW, SHOP_SRC, body=SHOP_BODY,
    event_id=SHOP_WEBHOOK, event_type="orders/create")
row("shopify_no_ids", "shopify", [SHOP_SECRET], shop_hdr(SHOP_BODY, event=None, webhook=None),
    "bad_request", "neither id header: verified, but refused with 400 (shopify has no body-hash"
    " fallback, and a row needs an id)", SHOP_HOW, SHOP_SRC, body=SHOP_BODY)
row("shopify_hex_not_base64", "shopify", [SHOP_SECRET],
    shop_hdr(SHOP_BODY, sig=hs(SHOP_SECRET, SHOP_BODY).hex()), "unauthorized",
    "the right MAC in hex: Shopify's header is base64", "python3 hmac.new(secret, body, sha256).hexdigest()",
    SHOP_SRC, body=SHOP_BODY)
row("shopify_prefixed", "shopify", [SHOP_SECRET],
    shop_hdr(SHOP_BODY, sig="sha256=" + b64(hs(SHOP_SECRET, SHOP_BODY))), "unauthorized",
    "the right base64 under a sha256= prefix Shopify never sends", SHOP_HOW, SHOP_SRC, body=SHOP_BODY)
_h = shop_hdr(SHOP_BODY)
del _h["X-Shopify-Hmac-Sha256"]
row("shopify_sig_missing", "shopify", [SHOP_SECRET], _h, "unauthorized", "no signature header",
    SHOP_HOW, SHOP_SRC, body=SHOP_BODY)
for sfx, val, why in malformed("", b64(hs(SHOP_SECRET, SHOP_BODY))):
    row("shopify_sig_" + sfx, "shopify", [SHOP_SECRET], shop_hdr(SHOP_BODY, sig=val), "unauthorized",
        why, "hand-written malformed value", SHOP_SRC, body=SHOP_BODY)
row("shopify_get", "shopify", [SHOP_SECRET], {}, "method",
    "a GET on a scheme with no GET handshake is 405", "no signature", SHOP_SRC, method="GET",
    query="", content_type=None)

# ============================== slack =============================================

SLACK_SECRET = seeded("slack")
SLACK_WRONG = seeded("slack", "wrong")
SLACK_SRC = "api.slack.com/authentication/verifying-requests-from-slack"
SLACK_HOW = "python3 'v0=' + hmac.new(secret, 'v0:' + ts + ':' + body, sha256).hexdigest()"
SLACK_STORED = ans(200, None, "")
SLACK_EVENT = cj({"token": "XXYYZZ", "team_id": "T0HOOKQ01", "api_app_id": "A0HOOKQ01",
                  "event": {"type": "app_mention", "user": "U0HOOKQ01", "text": "<@U0BOT> deploy",
                            "ts": "1700000000.000100", "channel": "C0HOOKQ01",
                            "event_ts": "1700000000.000100"},
                  "type": "event_callback", "event_id": "Ev0HOOKQ0001", "event_time": 1700000000})


def slack_sig(ts, body, secret=SLACK_SECRET):
    return "v0=" + hs(secret, "v0:%s:%s" % (ts, body)).hex()


def slack_hdr(ts, sig):
    h = {}
    if ts is not None:
        h["X-Slack-Request-Timestamp"] = ts
    if sig is not None:
        h["X-Slack-Signature"] = sig
    return h


row("slack_base", "slack", [SLACK_SECRET], slack_hdr(T, slack_sig(T, SLACK_EVENT)), "stored",
    "an Events API event_callback: id event_id, type event.type, answer 200 with an empty body",
    SLACK_HOW, SLACK_SRC + "; api.slack.com/apis/events-api (event_callback)", body=SLACK_EVENT,
    wrong=SLACK_WRONG, event_id="Ev0HOOKQ0001", event_type="app_mention", answer=SLACK_STORED, base=True)

sd = PUB["slack_docs"]
assert slack_sig(sd["timestamp"], sd["body"], sd["secret"]) == sd["expected"]
row("slack_docs_slash_command", "slack", [sd["secret"]],
    slack_hdr(sd["timestamp"], sd["expected"]), "stored",
    "Slack's published slash-command example (form body): id body hash, type the command field",
    "signature copied from the source; recomputed here: " + SLACK_HOW,
    sd["source"] + " (published.json slack_docs)", body=sd["body"],
    content_type="application/x-www-form-urlencoded", now=int(sd["timestamp"]),
    event_id=body_id(sd["body"]), event_type="/webhook-collect", answer=SLACK_STORED, published=True)

SLACK_CHALLENGE = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
SLACK_URLV = cj({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": SLACK_CHALLENGE,
                 "type": "url_verification"})
row("slack_url_verification", "slack", [SLACK_SECRET], slack_hdr(T, slack_sig(T, SLACK_URLV)),
    "handshake", "url_verification is answered 200 text/plain with the challenge, not stored",
    SLACK_HOW, "api.slack.com/events/url_verification; " + SLACK_SRC, body=SLACK_URLV,
    answer=ans(200, "text/plain", SLACK_CHALLENGE))
row("slack_url_verification_bad_sig", "slack", [SLACK_SECRET],
    slack_hdr(T, slack_sig(T, SLACK_URLV, SLACK_WRONG)), "unauthorized",
    "url_verification is answered only after the signature verifies", SLACK_HOW,
    "api.slack.com/events/url_verification; " + SLACK_SRC, body=SLACK_URLV)

SLACK_SLASH = urllib.parse.urlencode([
    ("token", "gIkuvaNzQIHg97ATvDxqgjtO"), ("team_id", "T0HOOKQ01"), ("team_domain", "hookq"),
    ("enterprise_id", "E0HOOKQ01"), ("enterprise_name", "Hook Q Inc"),
    ("channel_id", "C0HOOKQ01"), ("channel_name", "ops"), ("user_id", "U0HOOKQ01"),
    ("user_name", "ada"), ("command", "/deploy"), ("text", "api v1.2.3 --force"),
    ("response_url", "https://hooks.slack.com/commands/1234/5678"),
    ("trigger_id", "13345224609.738474920.8088930838d88f008e0"), ("api_app_id", "A0HOOKQ01")])
row("slack_slash_command", "slack", [SLACK_SECRET], slack_hdr(T, slack_sig(T, SLACK_SLASH)), "stored",
    "a slash command (form body, %2F and + escapes): id body hash, type the decoded command",
    SLACK_HOW, SLACK_SRC + "; api.slack.com/interactivity/slash-commands", body=SLACK_SLASH,
    content_type="application/x-www-form-urlencoded", event_id=body_id(SLACK_SLASH),
    event_type="/deploy", answer=SLACK_STORED)
SLACK_INTERACT = "payload=" + urllib.parse.quote(cj({
    "type": "block_actions", "user": {"id": "U0HOOKQ01", "username": "ada"},
    "api_app_id": "A0HOOKQ01", "token": "9s8d9as89d8as9d8as989",
    "trigger_id": "12466734323.1395872398", "team": {"id": "T0HOOKQ01", "domain": "hookq"},
    "actions": [{"action_id": "approve", "block_id": "b1", "value": "yes", "type": "button",
                 "action_ts": "1700000000.000200"}],
    "response_url": "https://hooks.slack.com/actions/T0HOOKQ01/1/abc"}), safe="")
row("slack_interactivity", "slack", [SLACK_SECRET], slack_hdr(T, slack_sig(T, SLACK_INTERACT)), "stored",
    "an interactivity request: form body payload=<urlencoded JSON>; no command field, so no type "
    "(JSON paths are not read inside a form field)", SLACK_HOW,
    SLACK_SRC + "; api.slack.com/interactivity/handling#payloads", body=SLACK_INTERACT,
    content_type="application/x-www-form-urlencoded", event_id=body_id(SLACK_INTERACT),
    event_type=None, answer=SLACK_STORED)
SLACK_NOID = cj({"type": "app_rate_limited", "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
                 "team_id": "T0HOOKQ01", "minute_rate_limited": 1518467820,
                 "api_app_id": "A0HOOKQ01"})
row("slack_no_event_id", "slack", [SLACK_SECRET], slack_hdr(T, slack_sig(T, SLACK_NOID)), "stored",
    "a JSON body with no event_id and no event: id body hash, type the top-level type", SLACK_HOW,
    SLACK_SRC + "; api.slack.com/events/app_rate_limited", body=SLACK_NOID,
    event_id=body_id(SLACK_NOID), event_type="app_rate_limited", answer=SLACK_STORED)
for nm, ts, exp, why in [
        ("old_edge", NOW - TOL, "stored", "exactly tolerance seconds old"),
        ("old_past", NOW - TOL - 1, "unauthorized", "one second older than the tolerance"),
        ("future_edge", NOW + TOL, "stored", "exactly tolerance seconds ahead"),
        ("future_past", NOW + TOL + 1, "unauthorized", "one second further ahead than the tolerance")]:
    kw = dict(event_id="Ev0HOOKQ0001", event_type="app_mention", answer=SLACK_STORED) \
        if exp == "stored" else {}
    row("slack_ts_" + nm, "slack", [SLACK_SECRET], slack_hdr(str(ts), slack_sig(str(ts), SLACK_EVENT)),
        exp, why, SLACK_HOW, SLACK_SRC, body=SLACK_EVENT, **kw)
row("slack_ts_missing", "slack", [SLACK_SECRET], slack_hdr(None, slack_sig("", SLACK_EVENT)),
    "unauthorized", "no X-Slack-Request-Timestamp", SLACK_HOW, SLACK_SRC, body=SLACK_EVENT)
row("slack_ts_milliseconds", "slack", [SLACK_SECRET],
    slack_hdr(T + "000", slack_sig(T + "000", SLACK_EVENT)), "unauthorized",
    "a timestamp in milliseconds is far in the future", SLACK_HOW, SLACK_SRC, body=SLACK_EVENT)
row("slack_v1_prefix", "slack", [SLACK_SECRET],
    slack_hdr(T, "v1=" + slack_sig(T, SLACK_EVENT)[3:]), "unauthorized",
    "the right hex under v1= (only v0 exists)", SLACK_HOW, SLACK_SRC, body=SLACK_EVENT)
for sfx, val, why in malformed("v0=", slack_sig(T, SLACK_EVENT)[3:]):
    row("slack_sig_" + sfx, "slack", [SLACK_SECRET], slack_hdr(T, val), "unauthorized", why,
        "hand-written malformed value", SLACK_SRC, body=SLACK_EVENT)
row("slack_get", "slack", [SLACK_SECRET], {}, "method", "slack has no GET handshake: 405",
    "no signature", SLACK_SRC, method="GET", query="", content_type=None)

# ============================== zendesk ===========================================

ZD_SECRET = "zd_" + b64(hashlib.sha256(b"hookq sender test zendesk").digest())
ZD_WRONG = "zd_" + b64(hashlib.sha256(b"hookq sender test zendesk wrong").digest())
ZD_SRC = ("developer.zendesk.com/documentation/webhooks/verifying/ (base64(HMACSHA256(TIMESTAMP + BODY))); "
          "developer.zendesk.com/documentation/webhooks/anatomy-of-a-webhook-request/ (headers)")
ZD_HOW = "python3 base64.b64encode(hmac.new(secret (raw bytes), iso_ts + body, sha256).digest())"
ZD_INV = "8350205582"
ZD_BODY = cj({"account_id": 22222222,
              "detail": {"id": "12345", "subject": "Printer on fire", "status": "NEW",
                         "priority": "HIGH", "requester_id": "366112539691"},
              "event": {}, "id": "cbe4028c-7239-495d-b020-f22348516046",
              "subject": "zen:ticket:12345", "time": "2023-11-14T22:13:20Z",
              "type": "zen:event-type:ticket.created", "zendesk_event_version": "2022-11-06"})
ZD_TYPE = "zen:event-type:ticket.created"


def zd_sig(ts, body, secret=ZD_SECRET):
    return b64(hs(secret, ts + body))


def zd_hdr(ts, sig, inv=ZD_INV):
    h = {"x-zendesk-account-id": "22222222", "x-zendesk-webhook-id": "01F1KRFQ6BG29CNWFR60NK5FNY"}
    if inv is not None:
        h["x-zendesk-webhook-invocation-id"] = inv
    if sig is not None:
        h["x-zendesk-webhook-signature"] = sig
    if ts is not None:
        h["x-zendesk-webhook-signature-timestamp"] = ts
    return h


ZT = iso(NOW)
assert ZT == "2023-11-14T22:13:20Z"
row("zendesk_base", "zendesk", [ZD_SECRET], zd_hdr(ZT, zd_sig(ZT, ZD_BODY)), "stored",
    "a Zendesk event webhook (ticket.created): id the invocation id, type JSON type", ZD_HOW, ZD_SRC,
    body=ZD_BODY, wrong=ZD_WRONG, event_id=ZD_INV, event_type=ZD_TYPE, base=True)
row("zendesk_no_invocation_id", "zendesk", [ZD_SECRET], zd_hdr(ZT, zd_sig(ZT, ZD_BODY), inv=None),
    "stored", "without x-zendesk-webhook-invocation-id the id is the body hash", ZD_HOW, ZD_SRC,
    body=ZD_BODY, event_id=body_id(ZD_BODY), event_type=ZD_TYPE)
ZD_FORM = "ticket_id=12345&status=open&title=Printer+on+fire"
row("zendesk_trigger_form_body", "zendesk", [ZD_SECRET], zd_hdr(ZT, zd_sig(ZT, ZD_FORM)), "stored",
    "a trigger webhook with a form body: stored, no type", ZD_HOW,
    ZD_SRC + "; anatomy-of-a-webhook-request (Requests for triggers and automations)", body=ZD_FORM,
    content_type="application/x-www-form-urlencoded", event_id=ZD_INV, event_type=None)
ZD_XML = "<ticket><id>12345</id><status>open</status></ticket>"
row("zendesk_trigger_xml_body", "zendesk", [ZD_SECRET], zd_hdr(ZT, zd_sig(ZT, ZD_XML)), "stored",
    "a trigger webhook with an XML body: stored, no type", ZD_HOW, ZD_SRC, body=ZD_XML,
    content_type="application/xml", event_id=ZD_INV, event_type=None)
for nm, ts, exp, why in [
        ("old_edge", NOW - TOL, "stored", "exactly tolerance seconds old"),
        ("old_past", NOW - TOL - 1, "unauthorized", "one second older than the tolerance"),
        ("future_edge", NOW + TOL, "stored", "exactly tolerance seconds ahead"),
        ("future_past", NOW + TOL + 1, "unauthorized", "one second further ahead than the tolerance")]:
    kw = dict(event_id=ZD_INV, event_type=ZD_TYPE) if exp == "stored" else {}
    row("zendesk_ts_" + nm, "zendesk", [ZD_SECRET], zd_hdr(iso(ts), zd_sig(iso(ts), ZD_BODY)), exp,
        why + " (ISO 8601 %s)" % iso(ts), ZD_HOW, ZD_SRC, body=ZD_BODY, **kw)
row("zendesk_ts_unix", "zendesk", [ZD_SECRET], zd_hdr(T, zd_sig(T, ZD_BODY)), "unauthorized",
    "a unix-seconds timestamp is not Zendesk's ISO 8601 form (signed over it all the same)", ZD_HOW,
    ZD_SRC, body=ZD_BODY)
row("zendesk_ts_missing", "zendesk", [ZD_SECRET], zd_hdr(None, zd_sig("", ZD_BODY)), "unauthorized",
    "no timestamp header (MAC over the body alone)", ZD_HOW, ZD_SRC, body=ZD_BODY)
row("zendesk_body_then_ts", "zendesk", [ZD_SECRET], zd_hdr(ZT, b64(hs(ZD_SECRET, ZD_BODY + ZT))),
    "unauthorized",
    "signed body + timestamp (the order of Zendesk's 2021 docs example) instead of timestamp + body",
    "python3 base64.b64encode(hmac.new(secret, body + iso_ts, sha256).digest())", ZD_SRC, body=ZD_BODY)
row("zendesk_b64_decoded_key", "zendesk", [ZD_SECRET],
    zd_hdr(ZT, b64(hs(base64.b64decode(ZD_SECRET[3:]), ZT + ZD_BODY))), "unauthorized",
    "signed with the base64-decoded secret: Zendesk keys the HMAC with the secret string as is",
    "python3 base64.b64encode(hmac.new(b64decode(secret[3:]), iso_ts + body, sha256).digest())",
    ZD_SRC, body=ZD_BODY)
for sfx, val, why in malformed("", zd_sig(ZT, ZD_BODY)):
    row("zendesk_sig_" + sfx, "zendesk", [ZD_SECRET], zd_hdr(ZT, val), "unauthorized", why,
        "hand-written malformed value", ZD_SRC, body=ZD_BODY)

# ============================== gitlab ============================================

GL_SECRET = seeded("gitlab")
GL_WRONG = seeded("gitlab", "wrong")
GL_SRC = ("docs.gitlab.com/user/project/integrations/webhooks/ (Validate requests with a secret token; "
          "Delivery headers)")
GL_HOW = "X-Gitlab-Token is the secret line itself; nothing is computed"
GL_IDEM = "f1c2a7b0-6d43-4b2e-9a51-3c0e8e7d2b14"
GL_UUID = "0a3e9f52-1b8c-4d7a-8e6f-2c5b9d4a7e30"
GL_BODY = cj({"object_kind": "push", "event_name": "push",
              "before": "95790bf891e76fee5e1747ab589903a6a1f80f22",
              "after": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
              "ref": "refs/heads/main", "checkout_sha": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
              "user_username": "ada", "project_id": 15,
              "project": {"id": 15, "name": "hookq", "path_with_namespace": "ops/hookq",
                          "web_url": "https://gitlab.example.com/ops/hookq"},
              "commits": [{"id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
                           "message": "Fix the queue\n", "timestamp": "2023-11-14T22:13:20+00:00"}],
              "total_commits_count": 1})


def gl_hdr(token, idem=GL_IDEM, uuid=GL_UUID):
    h = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Instance": "https://gitlab.example.com",
         "X-Gitlab-Webhook-UUID": "7e3d1b4a-8c2f-4e6a-9b0d-5f1c3a7e9d21", "User-Agent": "GitLab/16.6.0"}
    if token is not None:
        h["X-Gitlab-Token"] = token
    if uuid is not None:
        h["X-Gitlab-Event-UUID"] = uuid
    if idem is not None:
        h["Idempotency-Key"] = idem
    return h


row("gitlab_base", "gitlab", [GL_SECRET], gl_hdr(GL_SECRET), "stored",
    "a GitLab Push Hook with the right X-Gitlab-Token; NOTE: nothing signs the body, so flipping "
    "body bytes does not make this 401 (only the token does)", GL_HOW, GL_SRC, body=GL_BODY,
    wrong=GL_WRONG, event_id=GL_IDEM, event_type="Push Hook", base=True)
row("gitlab_no_idempotency_key", "gitlab", [GL_SECRET], gl_hdr(GL_SECRET, idem=None), "stored",
    "without Idempotency-Key (GitLab before 17.4) the id is X-Gitlab-Event-UUID", GL_HOW, GL_SRC,
    body=GL_BODY, event_id=GL_UUID, event_type="Push Hook")
row("gitlab_wrong_token", "gitlab", [GL_SECRET], gl_hdr(GL_WRONG), "unauthorized",
    "a well-formed token that is not a secret line", GL_HOW, GL_SRC, body=GL_BODY)
row("gitlab_token_missing", "gitlab", [GL_SECRET], gl_hdr(None), "unauthorized", "no X-Gitlab-Token",
    GL_HOW, GL_SRC, body=GL_BODY)
row("gitlab_token_prefix", "gitlab", [GL_SECRET], gl_hdr(GL_SECRET[:-1]), "unauthorized",
    "the secret less its last character", GL_HOW, GL_SRC, body=GL_BODY)
row("gitlab_token_longer", "gitlab", [GL_SECRET], gl_hdr(GL_SECRET + "x"), "unauthorized",
    "the secret and one more character", GL_HOW, GL_SRC, body=GL_BODY)
row("gitlab_token_case", "gitlab", [GL_SECRET], gl_hdr(GL_SECRET.upper()), "unauthorized",
    "the secret in upper case: tokens are compared byte for byte", GL_HOW, GL_SRC, body=GL_BODY)
row("gitlab_rotation_second_line", "gitlab", [GL_WRONG, GL_SECRET], gl_hdr(GL_SECRET), "stored",
    "the token equals the second of two secret lines", GL_HOW, GL_SRC, body=GL_BODY,
    event_id=GL_IDEM, event_type="Push Hook")
for sfx, val, why in malformed("", GL_SECRET):
    if sfx in ("short", "long"):
        continue
    row("gitlab_token_" + sfx, "gitlab", [GL_SECRET], gl_hdr(val), "unauthorized", why,
        "hand-written malformed value", GL_SRC, body=GL_BODY)

# ============================== discord (webhook events) ===========================

DC_SEED = hashlib.sha256(b"hookq sender test discord").digest()
DC_WRONG_SEED = hashlib.sha256(b"hookq sender test discord wrong").digest()
DC_PUB = ed25519_public(DC_SEED).hex()
DC_WRONG_PUB = ed25519_public(DC_WRONG_SEED).hex()
DC_SRC = ("docs.discord.com/developers/events/webhook-events (Preparing for events: validating "
          "security request headers; PING type 0 -> 204; event type 1)")
DC_HOW = "python3 RFC 8032 Ed25519 (this script's signer) over ts + body, hex"
DC_EVENT = cj({"version": 1, "application_id": "1234560123453231555", "type": 1,
               "event": {"type": "APPLICATION_AUTHORIZED", "timestamp": "2023-11-14T22:13:20.064834",
                         "data": {"integration_type": 1, "scopes": ["applications.commands"],
                                  "user": {"id": "123456789012345678", "username": "ada",
                                           "discriminator": "0", "global_name": "Ada"}}}})
DC_PING = cj({"version": 1, "application_id": "1234560123453231555", "type": 0})


def dc_sig(ts, body, seed=DC_SEED):
    return ed25519_sign(seed, (ts + body).encode()).hex()


def dc_hdr(ts, sig):
    h = {"User-Agent": "Discord-Webhook/1.0 (+https://discord.com)"}
    if sig is not None:
        h["X-Signature-Ed25519"] = sig
    if ts is not None:
        h["X-Signature-Timestamp"] = ts
    return h


row("discord_base", "discord", [DC_PUB], dc_hdr(T, dc_sig(T, DC_EVENT)), "stored",
    "a webhook event (type 1, APPLICATION_AUTHORIZED): id body hash, type event.type", DC_HOW, DC_SRC,
    body=DC_EVENT, wrong=DC_WRONG_PUB, event_id=body_id(DC_EVENT), event_type="APPLICATION_AUTHORIZED",
    base=True)
row("discord_ping", "discord", [DC_PUB], dc_hdr(T, dc_sig(T, DC_PING)), "handshake",
    "PING (type 0) is answered 204 with no body and not stored", DC_HOW, DC_SRC, body=DC_PING,
    answer=ans(204, None, ""))
row("discord_ping_bad_sig", "discord", [DC_PUB], dc_hdr(T, dc_sig(T, DC_PING, DC_WRONG_SEED)),
    "unauthorized", "a PING with a wrong signature is 401 (Discord tests this before saving the URL)",
    DC_HOW, DC_SRC, body=DC_PING)
row("discord_sig_body_only", "discord", [DC_PUB], dc_hdr(T, ed25519_sign(DC_SEED, DC_EVENT.encode()).hex()),
    "unauthorized", "signed over the body alone, without the timestamp", 
    "python3 RFC 8032 Ed25519 over body only, hex", DC_SRC, body=DC_EVENT)
row("discord_sig_uppercase_hex", "discord", [DC_PUB], dc_hdr(T, dc_sig(T, DC_EVENT).upper()), "stored",
    "upper-case hex signature digits are accepted (sodium_hex2bin reads both cases)", DC_HOW, DC_SRC,
    body=DC_EVENT, event_id=body_id(DC_EVENT), event_type="APPLICATION_AUTHORIZED")
_badsig = bytearray(bytes.fromhex(dc_sig(T, DC_EVENT)))
_badsig[63] ^= 0x01
row("discord_sig_bit_flip", "discord", [DC_PUB], dc_hdr(T, bytes(_badsig).hex()), "unauthorized",
    "the right signature with one bit of S flipped", DC_HOW, DC_SRC, body=DC_EVENT)
row("discord_rotation_second_key", "discord", [DC_WRONG_PUB, DC_PUB], dc_hdr(T, dc_sig(T, DC_EVENT)),
    "stored", "the second of two public keys verifies", DC_HOW, DC_SRC, body=DC_EVENT,
    event_id=body_id(DC_EVENT), event_type="APPLICATION_AUTHORIZED")
for nm, ts, exp, why in [
        ("old_edge", NOW - TOL, "stored", "exactly tolerance seconds old"),
        ("old_past", NOW - TOL - 1, "unauthorized", "one second older than the tolerance"),
        ("future_edge", NOW + TOL, "stored", "exactly tolerance seconds ahead"),
        ("future_past", NOW + TOL + 1, "unauthorized", "one second further ahead than the tolerance")]:
    kw = dict(event_id=body_id(DC_EVENT), event_type="APPLICATION_AUTHORIZED") if exp == "stored" else {}
    row("discord_ts_" + nm, "discord", [DC_PUB], dc_hdr(str(ts), dc_sig(str(ts), DC_EVENT)), exp, why,
        DC_HOW, DC_SRC, body=DC_EVENT, **kw)
row("discord_ts_missing", "discord", [DC_PUB], dc_hdr(None, dc_sig("", DC_EVENT)), "unauthorized",
    "no X-Signature-Timestamp (signed over the body alone)", DC_HOW, DC_SRC, body=DC_EVENT)
for sfx, val, why in malformed("", dc_sig(T, DC_EVENT)):
    row("discord_sig_" + sfx, "discord", [DC_PUB], dc_hdr(T, val), "unauthorized", why,
        "hand-written malformed value", DC_SRC, body=DC_EVENT)

# ============================== discord-interactions ================================

DI_SEED = hashlib.sha256(b"hookq sender test discord-interactions").digest()
DI_WRONG_SEED = hashlib.sha256(b"hookq sender test discord-interactions wrong").digest()
DI_PUB = ed25519_public(DI_SEED).hex()
DI_WRONG_PUB = ed25519_public(DI_WRONG_SEED).hex()
DI_SRC = ("discord.com/developers/docs/interactions/overview (Setting Up an Endpoint: Validating "
          "Security Request Headers, PING type 1); interactions/receiving-and-responding "
          "(interaction types; callback type 5 DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, type 8 "
          "APPLICATION_COMMAND_AUTOCOMPLETE_RESULT)")
DI_HOW = "python3 RFC 8032 Ed25519 (this script's signer) over ts + body, hex"
DI_DEFER = ans(200, "application/json", '{"type":5}')
DI_CMD = cj({"app_permissions": "442368", "application_id": "1234560123453231555",
             "channel_id": "1150000000000000001", "guild_id": "1140000000000000001",
             "data": {"id": "1160000000000000001", "name": "deploy", "type": 1,
                      "options": [{"name": "service", "type": 3, "value": "api"}]},
             "entitlements": [], "id": "1180000000000000001", "locale": "en-US",
             "member": {"user": {"id": "123456789012345678", "username": "ada"}, "roles": []},
             "token": "aW50ZXJhY3Rpb246MTE4MDAwMDAwMDAwMDAwMDAwMTpob29rcQ", "type": 2, "version": 1})
DI_PING = cj({"application_id": "1234560123453231555", "id": "1180000000000000000",
              "token": "aW50ZXJhY3Rpb246cGluZw", "type": 1,
              "user": {"id": "123456789012345678", "username": "ada"}, "version": 1})
DI_COMPONENT = cj({"application_id": "1234560123453231555", "channel_id": "1150000000000000001",
                   "data": {"component_type": 2, "custom_id": "approve"},
                   "id": "1180000000000000002", "token": "aW50ZXJhY3Rpb246Y29tcG9uZW50",
                   "type": 3, "version": 1,
                   "member": {"user": {"id": "123456789012345678", "username": "ada"}, "roles": []}})
# APPLICATION_COMMAND_AUTOCOMPLETE (interaction type 4), sent as the user types an option.
DI_AUTOCOMPLETE = cj({"application_id": "1234560123453231555", "channel_id": "1150000000000000001",
                      "data": {"id": "1170000000000000001", "name": "deploy", "type": 1,
                               "options": [{"name": "env", "type": 3, "value": "pro",
                                            "focused": True}]},
                      "id": "1180000000000000003", "token": "aW50ZXJhY3Rpb246YXV0b2NvbXBsZXRl",
                      "type": 4, "version": 1})


def di_sig(ts, body, seed=DI_SEED):
    return ed25519_sign(seed, (ts + body).encode()).hex()


def di_hdr(ts, sig):
    h = {"User-Agent": "Discord-Interactions/1.0 (+https://discord.com)"}
    if sig is not None:
        h["X-Signature-Ed25519"] = sig
    if ts is not None:
        h["X-Signature-Timestamp"] = ts
    return h


row("discord_interactions_base", "discord-interactions", [DI_PUB], di_hdr(T, di_sig(T, DI_CMD)), "stored",
    "an application command (type 2): id JSON id, type data.name, answered {\"type\":5}", DI_HOW, DI_SRC,
    body=DI_CMD, wrong=DI_WRONG_PUB, event_id="1180000000000000001", event_type="deploy",
    answer=DI_DEFER, base=True)
row("discord_interactions_ping", "discord-interactions", [DI_PUB], di_hdr(T, di_sig(T, DI_PING)),
    "handshake", "PING (type 1) is answered {\"type\":1} and not stored", DI_HOW, DI_SRC, body=DI_PING,
    answer=ans(200, "application/json", '{"type":1}'))
row("discord_interactions_ping_bad_sig", "discord-interactions", [DI_PUB],
    di_hdr(T, di_sig(T, DI_PING, DI_WRONG_SEED)), "unauthorized",
    "a PING with a wrong signature is 401 (Discord sends one on purpose when the URL is saved)",
    DI_HOW, DI_SRC, body=DI_PING)
row("discord_interactions_autocomplete", "discord-interactions", [DI_PUB],
    di_hdr(T, di_sig(T, DI_AUTOCOMPLETE)), "handshake",
    "autocomplete (type 4) wants its choices at once (callback type 8, "
    "APPLICATION_COMMAND_AUTOCOMPLETE_RESULT), which no queued handler can give: answered with "
    "no choices, not stored", DI_HOW, DI_SRC, body=DI_AUTOCOMPLETE,
    answer=ans(200, "application/json", '{"type":8,"data":{"choices":[]}}'))
row("discord_interactions_autocomplete_bad_sig", "discord-interactions", [DI_PUB],
    di_hdr(T, di_sig(T, DI_AUTOCOMPLETE, DI_WRONG_SEED)), "unauthorized",
    "an autocomplete request with a wrong signature is 401, not answered", DI_HOW, DI_SRC,
    body=DI_AUTOCOMPLETE)
row("discord_interactions_component", "discord-interactions", [DI_PUB],
    di_hdr(T, di_sig(T, DI_COMPONENT)), "stored",
    "a message component (type 3) has no data.name: type falls back to JSON type, a number stored "
    "as its text (as request_test.c's stripe_numeric_id stores 12345 as \"12345\")", DI_HOW, DI_SRC,
    body=DI_COMPONENT, event_id="1180000000000000002", event_type="3", answer=DI_DEFER)
for nm, ts, exp, why in [
        ("old_past", NOW - TOL - 1, "unauthorized", "one second older than the tolerance"),
        ("future_past", NOW + TOL + 1, "unauthorized", "one second further ahead than the tolerance"),
        ("old_edge", NOW - TOL, "stored", "exactly tolerance seconds old")]:
    kw = dict(event_id="1180000000000000001", event_type="deploy", answer=DI_DEFER) \
        if exp == "stored" else {}
    row("discord_interactions_ts_" + nm, "discord-interactions", [DI_PUB],
        di_hdr(str(ts), di_sig(str(ts), DI_CMD)), exp, why, DI_HOW, DI_SRC, body=DI_CMD, **kw)
row("discord_interactions_ping_stale", "discord-interactions", [DI_PUB],
    di_hdr(str(NOW - TOL - 1), di_sig(str(NOW - TOL - 1), DI_PING)), "unauthorized",
    "a correctly signed PING with a stale timestamp is not answered", DI_HOW, DI_SRC, body=DI_PING)
row("discord_interactions_other_app_key", "discord-interactions", [DC_PUB],
    di_hdr(T, di_sig(T, DI_CMD)), "unauthorized", "signed by another application's key", DI_HOW,
    DI_SRC, body=DI_CMD)
for sfx, val, why in malformed("", di_sig(T, DI_CMD)):
    if sfx not in ("empty", "non_hex", "short", "huge", "binary"):
        continue
    row("discord_interactions_sig_" + sfx, "discord-interactions", [DI_PUB], di_hdr(T, val),
        "unauthorized", why, "hand-written malformed value", DI_SRC, body=DI_CMD)

# ============================== paddle ============================================

PD_SECRET = "pdl_ntfset_01hookq_" + hashlib.sha256(b"hookq sender test paddle").hexdigest()[:32]
PD_WRONG = "pdl_ntfset_01hookq_" + hashlib.sha256(b"hookq sender test paddle wrong").hexdigest()[:32]
PD_SRC = "developer.paddle.com/webhooks/signature-verification (Verify manually)"
PD_HOW = "python3 'ts=' + ts + ';h1=' + hmac.new(secret, ts + ':' + body, sha256).hexdigest()"
PD_BODY = cj({"event_id": "evt_01hv8x2acma2gz4fbpmn8m3q2a", "event_type": "transaction.completed",
              "occurred_at": "2023-11-14T22:13:20.000000Z",
              "notification_id": "ntf_01hv8x2af5ab1fq1xtv4fbmx8t",
              "data": {"id": "txn_01hv8wptq8987qeep44cyrewp9", "status": "completed",
                       "customer_id": "ctm_01hv6y1jedq4p1n0yqn5ba3ky4", "currency_code": "USD",
                       "details": {"totals": {"subtotal": "1000", "tax": "200", "total": "1200"}}}})
PD_ID, PD_TYPE = "evt_01hv8x2acma2gz4fbpmn8m3q2a", "transaction.completed"


def pd_h1(ts, body, secret=PD_SECRET):
    return hs(secret, "%s:%s" % (ts, body)).hex()


def pd_hdr(value):
    return {} if value is None else {"Paddle-Signature": value}


row("paddle_base", "paddle", [PD_SECRET], pd_hdr("ts=%s;h1=%s" % (T, pd_h1(T, PD_BODY))), "stored",
    "a Paddle Billing transaction.completed notification", PD_HOW, PD_SRC, body=PD_BODY, wrong=PD_WRONG,
    event_id=PD_ID, event_type=PD_TYPE, base=True)
row("paddle_two_h1_second_matches", "paddle", [PD_SECRET],
    pd_hdr("ts=%s;h1=%s;h1=%s" % (T, pd_h1(T, PD_BODY, PD_WRONG), pd_h1(T, PD_BODY))), "stored",
    "two h1 items during secret rotation, the second matches", PD_HOW, PD_SRC, body=PD_BODY,
    event_id=PD_ID, event_type=PD_TYPE)
row("paddle_two_h1_none_match", "paddle", [PD_SECRET],
    pd_hdr("ts=%s;h1=%s;h1=%s" % (T, pd_h1(T, PD_BODY, PD_WRONG), pd_h1(T, PD_BODY, "other"))),
    "unauthorized", "two h1 items, neither matches", PD_HOW, PD_SRC, body=PD_BODY)
row("paddle_h1_before_ts", "paddle", [PD_SECRET], pd_hdr("h1=%s;ts=%s" % (pd_h1(T, PD_BODY), T)), "stored",
    "items in the other order", PD_HOW, PD_SRC, body=PD_BODY, event_id=PD_ID, event_type=PD_TYPE)
row("paddle_ts_missing", "paddle", [PD_SECRET], pd_hdr("h1=%s" % pd_h1("", PD_BODY)), "unauthorized",
    "no ts item (MAC over ':' + body)", PD_HOW, PD_SRC, body=PD_BODY)
row("paddle_h1_missing", "paddle", [PD_SECRET], pd_hdr("ts=%s;h2=%s" % (T, pd_h1(T, PD_BODY))),
    "unauthorized", "the right MAC under an unknown h2 item, no h1", PD_HOW, PD_SRC, body=PD_BODY)
row("paddle_dot_separator", "paddle", [PD_SECRET],
    pd_hdr("ts=%s;h1=%s" % (T, hs(PD_SECRET, "%s.%s" % (T, PD_BODY)).hex())), "unauthorized",
    "signed ts + '.' + body (Stripe's separator) instead of ts + ':' + body",
    "python3 hmac.new(secret, ts + '.' + body, sha256).hexdigest()", PD_SRC, body=PD_BODY)
row("paddle_comma_separated", "paddle", [PD_SECRET],
    pd_hdr("ts=%s,h1=%s" % (T, pd_h1(T, PD_BODY))), "unauthorized",
    "items separated by ',' instead of ';'", PD_HOW, PD_SRC, body=PD_BODY)
for nm, ts, exp, why in [
        ("old_edge", NOW - TOL, "stored", "exactly tolerance seconds old"),
        ("old_past", NOW - TOL - 1, "unauthorized", "one second older than the tolerance"),
        ("future_edge", NOW + TOL, "stored", "exactly tolerance seconds ahead"),
        ("future_past", NOW + TOL + 1, "unauthorized", "one second further ahead than the tolerance")]:
    kw = dict(event_id=PD_ID, event_type=PD_TYPE) if exp == "stored" else {}
    row("paddle_ts_" + nm, "paddle", [PD_SECRET],
        pd_hdr("ts=%d;h1=%s" % (ts, pd_h1(str(ts), PD_BODY))), exp, why, PD_HOW, PD_SRC, body=PD_BODY, **kw)
for sfx, val, why in malformed("", pd_h1(T, PD_BODY)):
    v = val if sfx in ("empty", "only_space", "separators") else "ts=%s;h1=%s" % (T, val)
    row("paddle_sig_" + sfx, "paddle", [PD_SECRET], pd_hdr(v), "unauthorized", why,
        "hand-written malformed value", PD_SRC, body=PD_BODY)

# Paddle's own SDK test vectors (PaddleHQ/paddle-node-sdk
# src/__tests__/notifications/webhooks-validator.test.ts), checked here first.
PD_SDK_SRC = ("PaddleHQ/paddle-node-sdk src/__tests__/notifications/webhooks-validator.test.ts "
              "(commit 4210c16b61d697c92bfd3b094136369591f71f29)")
_pb1 = '{"data": ["1", "2"]}'
_ph1 = "ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9"
assert "h1=" + pd_h1("1698796800", _pb1, "VALID_SECRET") == _ph1.split(";")[1]
_pb2 = '{"data": "value"}'
_ph2 = ("ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;"
        "h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;h2=RANDOM_HASH")
assert pd_h1("1698796800", _pb2, "VALID_SECRET") == "28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261"
row("paddle_sdk_valid", "paddle", ["VALID_SECRET"], pd_hdr(_ph1), "bad_request",
    "Paddle's SDK 'Valid signature' vector: it verifies, and then, having no event_id in the"
    " body, is refused with 400 (not 401)",
    "signature copied from the source; recomputed here: " + PD_HOW, PD_SDK_SRC, body=_pb1,
    now=1698796800, published=True)
row("paddle_sdk_multiple_hashes", "paddle", ["VALID_SECRET"], pd_hdr(_ph2), "bad_request",
    "Paddle's SDK 'Valid signature with multiple hashes' vector: two h1 and an unknown h2 item;"
    " it verifies, and then, having no event_id in the body, is refused with 400 (not 401)",
    "signature copied from the source; recomputed here: " + PD_HOW, PD_SDK_SRC, body=_pb2,
    now=1698796800, published=True)
row("paddle_sdk_more_space", "paddle", ["VALID_SECRET"], pd_hdr(_ph1), "unauthorized",
    "Paddle's SDK 'Invalid data - has more space' vector: the body re-spaced",
    "signature copied from the source", PD_SDK_SRC, body='{ "data": [ "1", "2" ]}', now=1698796800,
    published=True)
row("paddle_sdk_invalid_secret", "paddle", ["INVALID_VALID_SECRET"], pd_hdr(_ph1), "unauthorized",
    "Paddle's SDK 'Invalid secret' vector", "signature copied from the source", PD_SDK_SRC, body=_pb1,
    now=1698796800, published=True)

# ============================== linear ============================================

LN_SECRET = "lin_wh_" + hashlib.sha256(b"hookq sender test linear").hexdigest()[:40]
LN_WRONG = "lin_wh_" + hashlib.sha256(b"hookq sender test linear wrong").hexdigest()[:40]
LN_SRC = ("linear.app/developers/webhooks (Securing webhooks); linear/linear "
          "packages/sdk/src/webhooks/client.ts (verify: hex HMAC of the raw body, webhookTimestamp ms)")
LN_HOW = "python3 hmac.new(secret, body, sha256).hexdigest()"
LN_DELIVERY = "234d1a4e-b617-4388-90fe-adc3633d6b72"


def ln_body(ts_ms=NOW * 1000, drop_ts=False):
    d = {"action": "create", "actor": {"id": "2e6eea91-1111-0000-9486-acea0603064d", "name": "Ada",
                                       "type": "user"},
         "createdAt": "2023-11-14T22:13:20.000Z",
         "data": {"id": "9f5a3c1d-2222-4c3b-8a1e-7d6b5c4a3f21", "identifier": "ENG-123",
                  "title": "Queue stalls on restart", "priority": 2,
                  "team": {"id": "72b2a2dc-3333-4a11-b9c7-0f1e2d3c4b5a", "key": "ENG", "name": "Engineering"}},
         "url": "https://linear.app/hookq/issue/ENG-123/queue-stalls-on-restart",
         "type": "Issue", "organizationId": "ec4ef9c8-4444-4c9c-8a1f-1a2b3c4d5e6f",
         "webhookTimestamp": ts_ms, "webhookId": "000042e3-5555-4a5f-9f6c-7d8e9f0a1b2c"}
    if drop_ts:
        del d["webhookTimestamp"]
    return cj(d)


def ln_hdr(body, secret=LN_SECRET, delivery=LN_DELIVERY, sig=None):
    h = {"Linear-Event": "Issue", "User-Agent": "Linear-Webhook"}
    if delivery is not None:
        h["Linear-Delivery"] = delivery
    h["Linear-Signature"] = hs(secret, body).hex() if sig is None else sig
    return h


LN_BODY = ln_body()
row("linear_base", "linear", [LN_SECRET], ln_hdr(LN_BODY), "stored",
    "a Linear Issue create: id Linear-Delivery, type JSON type, webhookTimestamp in ms", LN_HOW, LN_SRC,
    body=LN_BODY, wrong=LN_WRONG, event_id=LN_DELIVERY, event_type="Issue", base=True)
row("linear_no_delivery", "linear", [LN_SECRET], ln_hdr(LN_BODY, delivery=None), "stored",
    "without Linear-Delivery the id is the body hash", LN_HOW, LN_SRC, body=LN_BODY,
    event_id=body_id(LN_BODY), event_type="Issue")
for nm, ts, exp, why in [
        ("old_edge", NOW - TOL, "stored", "exactly tolerance seconds old"),
        ("old_past", NOW - TOL - 1, "unauthorized", "one second older than the tolerance"),
        ("future_edge", NOW + TOL, "stored", "exactly tolerance seconds ahead"),
        ("future_past", NOW + TOL + 1, "unauthorized", "one second further ahead than the tolerance")]:
    b = ln_body(ts * 1000)
    kw = dict(event_id=LN_DELIVERY, event_type="Issue") if exp == "stored" else {}
    row("linear_ts_" + nm, "linear", [LN_SECRET], ln_hdr(b), exp,
        why + " (webhookTimestamp %d ms)" % (ts * 1000), LN_HOW, LN_SRC, body=b, **kw)
_b = ln_body(NOW)
row("linear_ts_seconds", "linear", [LN_SECRET], ln_hdr(_b), "unauthorized",
    "webhookTimestamp in seconds read as milliseconds is in January 1970", LN_HOW, LN_SRC, body=_b)
_b = ln_body(drop_ts=True)
row("linear_ts_missing", "linear", [LN_SECRET], ln_hdr(_b), "unauthorized",
    "no webhookTimestamp: a missing timestamp is a bad timestamp (Linear's own SDK skips the check)",
    LN_HOW, LN_SRC, body=_b)
row("linear_sha256_prefix", "linear", [LN_SECRET], ln_hdr(LN_BODY, sig="sha256=" + hs(LN_SECRET, LN_BODY).hex()),
    "unauthorized", "the right hex under a sha256= prefix Linear never sends", LN_HOW, LN_SRC, body=LN_BODY)
row("linear_not_json", "linear", [LN_SECRET], ln_hdr("action=create&type=Issue"), "unauthorized",
    "a correctly signed body that is not JSON has no webhookTimestamp", LN_HOW, LN_SRC,
    body="action=create&type=Issue", content_type="application/x-www-form-urlencoded")
for sfx, val, why in malformed("", hs(LN_SECRET, LN_BODY).hex()):
    row("linear_sig_" + sfx, "linear", [LN_SECRET], ln_hdr(LN_BODY, sig=val), "unauthorized", why,
        "hand-written malformed value", LN_SRC, body=LN_BODY)

# ============================== pagerduty =========================================

PG_SECRET = b64(hashlib.sha256(b"hookq sender test pagerduty").digest() +
                hashlib.sha256(b"hookq sender test pagerduty 2").digest()[:16])
PG_WRONG = b64(hashlib.sha256(b"hookq sender test pagerduty wrong").digest() +
               hashlib.sha256(b"hookq sender test pagerduty wrong 2").digest()[:16])
PG_SRC = ("developer.pagerduty.com/docs/webhooks/verifying-signatures "
          "(PagerDuty/developer-docs docs/webhooks/04-Signatures.md)")
PG_HOW = "python3 'v1=' + hmac.new(secret, body, sha256).hexdigest()"
PG_BODY = cj({"event": {"id": "01DEN4HPBQAYJ4ZBX2ZAQ9JBDM", "event_type": "incident.triggered",
                        "resource_type": "incident", "occurred_at": "2023-11-14T22:13:20.000Z",
                        "agent": None, "client": None,
                        "data": {"id": "PGR0VU2", "type": "incident",
                                 "self": "https://api.pagerduty.com/incidents/PGR0VU2",
                                 "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
                                 "number": 2, "status": "triggered", "incident_key": "d3640fbd41",
                                 "title": "A little bump in the road", "urgency": "high",
                                 "service": {"id": "PF9KMXH", "type": "service_reference",
                                             "summary": "API Service"}}}})
PG_ID, PG_TYPE = "01DEN4HPBQAYJ4ZBX2ZAQ9JBDM", "incident.triggered"


def pg_v1(body, secret=PG_SECRET):
    return "v1=" + hs(secret, body).hex()


def pg_hdr(sig):
    h = {"X-Webhook-Id": "a3c1d6e8-2f4b-4c7a-9e1d-0b5f8c3a6d21",
         "X-Webhook-Subscription": "PY1OUDC", "User-Agent": "PagerDuty-Webhook/V3.0"}
    if sig is not None:
        h["X-PagerDuty-Signature"] = sig
    return h


row("pagerduty_base", "pagerduty", [PG_SECRET], pg_hdr(pg_v1(PG_BODY)), "stored",
    "a v3 incident.triggered event: id event.id, type event.event_type", PG_HOW, PG_SRC, body=PG_BODY,
    wrong=PG_WRONG, event_id=PG_ID, event_type=PG_TYPE, base=True)
row("pagerduty_two_v1_one_matches", "pagerduty", [PG_SECRET],
    pg_hdr(pg_v1(PG_BODY, PG_WRONG) + "," + pg_v1(PG_BODY)), "stored",
    "two v1 signatures (secret rotation), the second matches", PG_HOW, PG_SRC, body=PG_BODY,
    event_id=PG_ID, event_type=PG_TYPE)
row("pagerduty_two_v1_first_matches", "pagerduty", [PG_SECRET],
    pg_hdr(pg_v1(PG_BODY) + "," + pg_v1(PG_BODY, PG_WRONG)), "stored",
    "two v1 signatures, the first matches", PG_HOW, PG_SRC, body=PG_BODY, event_id=PG_ID, event_type=PG_TYPE)
row("pagerduty_two_v1_none_match", "pagerduty", [PG_SECRET],
    pg_hdr(pg_v1(PG_BODY, PG_WRONG) + "," + pg_v1(PG_BODY, "other")), "unauthorized",
    "two v1 signatures, neither matches", PG_HOW, PG_SRC, body=PG_BODY)
row("pagerduty_v2_only", "pagerduty", [PG_SECRET], pg_hdr("v2=" + pg_v1(PG_BODY)[3:]), "unauthorized",
    "the right hex under an unknown version v2", PG_HOW, PG_SRC, body=PG_BODY)
row("pagerduty_sig_missing", "pagerduty", [PG_SECRET], pg_hdr(None), "unauthorized",
    "no X-PagerDuty-Signature", PG_HOW, PG_SRC, body=PG_BODY)
for sfx, val, why in malformed("v1=", pg_v1(PG_BODY)[3:]):
    row("pagerduty_sig_" + sfx, "pagerduty", [PG_SECRET], pg_hdr(val), "unauthorized", why,
        "hand-written malformed value", PG_SRC, body=PG_BODY)

# PagerDuty's Go client test vector (PagerDuty/go-pagerduty webhookv3/webhookv3_test.go)
PG_GO_SRC = ("PagerDuty/go-pagerduty webhookv3/webhookv3_test.go TestVerifySignature "
             "(commit 3df5eb4e62dcdf897d37106578d7be6ad54449dc)")
PG_GO_SECRET = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK"
PG_GO_BODY = ('{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK","event_type":"incident.priority_updated","resource_type":"incident","occurred_at":"2021-04-26T17:36:27.458Z","agent":{"html_url":"https://acme.pagerduty.com/users/PLH1HKV","id":"PLH1HKV","self":"https://api.pagerduty.com/users/PLH1HKV","summary":"Tenex Engineer","type":"user_reference"},"client":null,"data":{"id":"PGR0VU2","type":"incident","self":"https://api.pagerduty.com/incidents/PGR0VU2","html_url":"https://acme.pagerduty.com/incidents/PGR0VU2","number":2,"status":"triggered","title":"A little bump in the road","service":{"html_url":"https://acme.pagerduty.com/services/PF9KMXH","id":"PF9KMXH","self":"https://api.pagerduty.com/services/PF9KMXH","summary":"API Service","type":"service_reference"},"assignees":[{"html_url":"https://acme.pagerduty.com/users/PTUXL6G","id":"PTUXL6G","self":"https://api.pagerduty.com/users/PTUXL6G","summary":"User 123","type":"user_reference"}],"escalation_policy":{"html_url":"https://acme.pagerduty.com/escalation_policies/PUS0KTE","id":"PUS0KTE","self":"https://api.pagerduty.com/escalation_policies/PUS0KTE","summary":"Default","type":"escalation_policy_reference"},"teams":[{"html_url":"https://acme.pagerduty.com/teams/PFCVPS0","id":"PFCVPS0","self":"https://api.pagerduty.com/teams/PFCVPS0","summary":"Engineering","type":"team_reference"}],"priority":{"html_url":"https://acme.pagerduty.com/account/incident_priorities","id":"PSO75BM","self":"https://api.pagerduty.com/priorities/PSO75BM","summary":"P1","type":"priority_reference"},"urgency":"high","conference_bridge":{"conference_number":1000,"conference_url":"https://example.com"},"resolve_reason":null}}}')
PG_GO_SIG = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd"
assert pg_v1(PG_GO_BODY, PG_GO_SECRET) == PG_GO_SIG
row("pagerduty_go_client_valid", "pagerduty", [PG_GO_SECRET], pg_hdr(PG_GO_SIG), "stored",
    "PagerDuty's Go client 'valid' vector", "signature copied from the source; recomputed here: " + PG_HOW,
    PG_GO_SRC, body=PG_GO_BODY, event_id="01BWDWL3NYY7LUFPZCC28QUCMK",
    event_type="incident.priority_updated", published=True)
row("pagerduty_go_client_mismatch", "pagerduty", [PG_GO_SECRET],
    pg_hdr("v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5"), "unauthorized",
    "PagerDuty's Go client 'mismatch' vector", "signature copied from the source", PG_GO_SRC,
    body=PG_GO_BODY, published=True)

# ============================== jira ==============================================

JR_SECRET = seeded("jira")
JR_WRONG = seeded("jira", "wrong")
JR_SRC = "developer.atlassian.com/cloud/jira/platform/webhooks/ (Secure admin webhooks; X-Atlassian-Webhook-Identifier)"
JR_HOW = "python3 'sha256=' + hmac.new(secret, body, sha256).hexdigest()"
JR_IDENT = "3b6f2a1c-9e4d-4f7a-8c21-5d0e7b9a4c13"
JR_BODY = cj({"timestamp": 1700000000000, "webhookEvent": "jira:issue_created",
              "issue_event_type_name": "issue_created",
              "user": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Ada"},
              "issue": {"id": "10002", "key": "ED-1",
                        "self": "https://hookq.atlassian.net/rest/api/2/10002",
                        "fields": {"summary": "Queue stalls on restart",
                                   "issuetype": {"name": "Bug"}, "status": {"name": "To Do"}}}})


def jr_hdr(sig, ident=JR_IDENT, name="X-Hub-Signature"):
    h = {"X-Atlassian-Webhook-Flow": "Primary"}
    if ident is not None:
        h["X-Atlassian-Webhook-Identifier"] = ident
    if sig is not None:
        h[name] = sig
    return h


JR_SIG = "sha256=" + hs(JR_SECRET, JR_BODY).hex()
row("jira_base", "jira", [JR_SECRET], jr_hdr(JR_SIG), "stored",
    "a Jira Cloud admin webhook (jira:issue_created): id X-Atlassian-Webhook-Identifier, type webhookEvent",
    JR_HOW, JR_SRC, body=JR_BODY, wrong=JR_WRONG, event_id=JR_IDENT, event_type="jira:issue_created",
    base=True)
row("jira_no_identifier", "jira", [JR_SECRET], jr_hdr(JR_SIG, ident=None), "stored",
    "without X-Atlassian-Webhook-Identifier the id is the body hash", JR_HOW, JR_SRC, body=JR_BODY,
    event_id=body_id(JR_BODY), event_type="jira:issue_created")
row("jira_sha1_prefix", "jira", [JR_SECRET], jr_hdr("sha1=" + JR_SIG[7:]), "unauthorized",
    "the right hex under sha1=", JR_HOW, JR_SRC, body=JR_BODY)
row("jira_no_prefix", "jira", [JR_SECRET], jr_hdr(JR_SIG[7:]), "unauthorized",
    "the right hex without sha256=", JR_HOW, JR_SRC, body=JR_BODY)
row("jira_github_header", "jira", [JR_SECRET], jr_hdr(JR_SIG, name="X-Hub-Signature-256"),
    "unauthorized", "the signature in X-Hub-Signature-256 (GitHub's header), not X-Hub-Signature",
    JR_HOW, JR_SRC, body=JR_BODY)
for sfx, val, why in malformed("sha256=", JR_SIG[7:]):
    row("jira_sig_" + sfx, "jira", [JR_SECRET], jr_hdr(val), "unauthorized", why,
        "hand-written malformed value", JR_SRC, body=JR_BODY)

# ============================== meta ==============================================

MT_SECRET = hashlib.sha256(b"hookq sender test meta").hexdigest()[:32]
MT_WRONG = hashlib.sha256(b"hookq sender test meta wrong").hexdigest()[:32]
MT_TOKEN = "hookq-meta-verify-token-7d1e"
MT_SRC = ("developers.facebook.com/docs/graph-api/webhooks/getting-started (Verification Requests; "
          "Event Notifications: Validating Payloads)")
MT_HOW = "python3 'sha256=' + hmac.new(app_secret, body, sha256).hexdigest()"
MT_BODY = cj({"object": "page", "entry": [{"id": "1234567890", "time": 1700000000,
                                            "changes": [{"field": "feed",
                                                         "value": {"item": "status", "verb": "add",
                                                                   "post_id": "1234567890_987654321"}}]}]})
# Meta escapes non-ASCII as \uXXXX in the body it signs and sends.
MT_WA = json.dumps({"object": "whatsapp_business_account", "entry": [
    {"id": "102290129340398", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "messages": [{"from": "16505551234", "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                      "timestamp": "1700000000", "type": "text",
                      "text": {"body": "Caf\u00e9 \u2615 \U0001f600"}}]}}]}]},
    separators=(",", ":"), ensure_ascii=True)
assert "\\u00e9" in MT_WA and "\\ud83d\\ude00" in MT_WA


def mt_hdr(sig):
    return {} if sig is None else {"X-Hub-Signature-256": sig}


row("meta_base", "meta", [MT_SECRET], mt_hdr("sha256=" + hs(MT_SECRET, MT_BODY).hex()), "stored",
    "a signed Page feed change: id body hash, type JSON object", MT_HOW, MT_SRC, body=MT_BODY,
    wrong=MT_WRONG, config={"verify_token": MT_TOKEN}, event_id=body_id(MT_BODY), event_type="page",
    base=True)
row("meta_whatsapp_escaped_unicode", "meta", [MT_SECRET], mt_hdr("sha256=" + hs(MT_SECRET, MT_WA).hex()),
    "stored", "a WhatsApp message with \\uXXXX escapes (as Meta sends and signs them): the MAC is over "
    "the bytes as received", MT_HOW, MT_SRC, body=MT_WA, config={"verify_token": MT_TOKEN},
    event_id=body_id(MT_WA), event_type="whatsapp_business_account")
_dec = json.dumps(json.loads(MT_WA), separators=(",", ":"), ensure_ascii=False)
row("meta_signed_decoded_unicode", "meta", [MT_SECRET], mt_hdr("sha256=" + hs(MT_SECRET, _dec).hex()),
    "unauthorized", "signed over the body with its escapes decoded to UTF-8, sent escaped",
    "python3 hmac.new(app_secret, utf8 of the decoded JSON, sha256).hexdigest()", MT_SRC, body=MT_WA,
    config={"verify_token": MT_TOKEN})
row("meta_sha1_header_only", "meta", [MT_SECRET],
    {"X-Hub-Signature": "sha1=" + hmac.new(MT_SECRET.encode(), MT_BODY.encode(), hashlib.sha1).hexdigest()},
    "unauthorized", "only the legacy SHA-1 X-Hub-Signature header", 
    "python3 'sha1=' + hmac.new(app_secret, body, sha1).hexdigest()", MT_SRC, body=MT_BODY,
    config={"verify_token": MT_TOKEN})
row("meta_sig_missing", "meta", [MT_SECRET], mt_hdr(None), "unauthorized", "no X-Hub-Signature-256",
    MT_HOW, MT_SRC, body=MT_BODY, config={"verify_token": MT_TOKEN})
for sfx, val, why in malformed("sha256=", hs(MT_SECRET, MT_BODY).hex()):
    row("meta_sig_" + sfx, "meta", [MT_SECRET], mt_hdr(val), "unauthorized", why,
        "hand-written malformed value", MT_SRC, body=MT_BODY, config={"verify_token": MT_TOKEN})
MT_GET_HOW = "no signature: the GET is authorised by hub.verify_token == config verify_token"
for nm, q, exp, why, cfg, a in [
        ("get_subscribe", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + MT_TOKEN,
         "handshake", "the verification request: answered 200 text/plain with hub.challenge",
         {"verify_token": MT_TOKEN}, ans(200, "text/plain", "1158201444")),
        ("get_params_reordered", "hub.verify_token=%s&hub.challenge=998877&hub.mode=subscribe" % MT_TOKEN,
         "handshake", "parameters in another order", {"verify_token": MT_TOKEN},
         ans(200, "text/plain", "998877")),
        ("get_encoded_token", "hub.mode=subscribe&hub.challenge=42&hub.verify_token=tok+en%2B1%26%C3%A9",
         "handshake", "the query is URL-decoded before comparing ('+' is a space, %XX a byte)",
         {"verify_token": "tok en+1&\u00e9"}, ans(200, "text/plain", "42")),
        ("get_wrong_token", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong-token",
         "forbidden", "a wrong verify token is 403", {"verify_token": MT_TOKEN}, None),
        ("get_token_prefix", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + MT_TOKEN[:-1],
         "forbidden", "the verify token less its last character", {"verify_token": MT_TOKEN}, None),
        ("get_no_token", "hub.mode=subscribe&hub.challenge=1158201444", "forbidden",
         "no hub.verify_token", {"verify_token": MT_TOKEN}, None),
        ("get_mode_unsubscribe", "hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=" + MT_TOKEN,
         "forbidden", "hub.mode other than subscribe", {"verify_token": MT_TOKEN}, None),
        ("get_no_mode", "hub.challenge=1158201444&hub.verify_token=" + MT_TOKEN, "forbidden",
         "no hub.mode", {"verify_token": MT_TOKEN}, None),
        ("get_no_config_token", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + MT_TOKEN,
         "forbidden", "the source has no verify_token: every GET is 403", None, None),
        ("get_empty_query", "", "forbidden", "a GET with no query", {"verify_token": MT_TOKEN}, None)]:
    row("meta_" + nm, "meta", [MT_SECRET], {}, exp, why, MT_GET_HOW, MT_SRC, method="GET", query=q,
        content_type=None, config=cfg, answer=a)

# ============================== zoom ==============================================

ZM_SECRET = hashlib.sha256(b"hookq sender test zoom").hexdigest()[:22]
ZM_WRONG = hashlib.sha256(b"hookq sender test zoom wrong").hexdigest()[:22]
ZM_SRC = ("developers.zoom.us/docs/api/webhooks/ (Verify webhook events; Validate your webhook "
          "endpoint); zoom/webhook-sample index.js")
ZM_HOW = "python3 'v0=' + hmac.new(secret_token, 'v0:' + ts + ':' + body, sha256).hexdigest()"
ZM_BODY = cj({"event": "meeting.started", "event_ts": 1700000000123,
              "payload": {"account_id": "AAAAAABBBB",
                          "object": {"id": "1234567890", "uuid": "4444AAAiAAAAAiAiAiiAii==",
                                     "host_id": "x1yCzABCDEfg23HiJKl4mN", "topic": "Standup",
                                     "type": 2, "start_time": "2023-11-14T22:13:20Z",
                                     "timezone": "America/Los_Angeles", "duration": 30}}})
ZM_PLAIN = "qgg8vlvZRS6UYooatFL8Aw"
ZM_URLV = cj({"payload": {"plainToken": ZM_PLAIN}, "event_ts": 1654503849680,
              "event": "endpoint.url_validation"})


def zm_sig(ts, body, secret=ZM_SECRET):
    return "v0=" + hs(secret, "v0:%s:%s" % (ts, body)).hex()


def zm_hdr(ts, sig):
    h = {"x-zm-trackingid": "v=2.0;clid=aw1;rid=WEB_0f3c9a7e"}
    if sig is not None:
        h["x-zm-signature"] = sig
    if ts is not None:
        h["x-zm-request-timestamp"] = ts
    return h


def zm_answer(plain, secret):
    return ans(200, "application/json",
               '{"plainToken":"%s","encryptedToken":"%s"}' % (plain, hs(secret, plain).hex()))


row("zoom_base", "zoom", [ZM_SECRET], zm_hdr(T, zm_sig(T, ZM_BODY)), "stored",
    "a meeting.started event: id body hash, type JSON event", ZM_HOW, ZM_SRC, body=ZM_BODY, wrong=ZM_WRONG,
    event_id=body_id(ZM_BODY), event_type="meeting.started", base=True)
row("zoom_url_validation", "zoom", [ZM_SECRET], zm_hdr(T, zm_sig(T, ZM_URLV)), "handshake",
    "endpoint.url_validation (signed like any Zoom request) is answered with plainToken and "
    "encryptedToken = hex HMAC-SHA256(secret, plainToken), not stored",
    ZM_HOW + "; encryptedToken: python3 hmac.new(secret_token, plainToken, sha256).hexdigest()",
    ZM_SRC, body=ZM_URLV, answer=zm_answer(ZM_PLAIN, ZM_SECRET))
row("zoom_url_validation_rotation", "zoom", [ZM_WRONG, ZM_SECRET], zm_hdr(T, zm_sig(T, ZM_URLV)),
    "handshake", "two secret lines, the second verifies: encryptedToken is keyed with that second one",
    ZM_HOW + "; encryptedToken with the second secret line", ZM_SRC, body=ZM_URLV,
    answer=zm_answer(ZM_PLAIN, ZM_SECRET))
row("zoom_url_validation_unsigned", "zoom", [ZM_SECRET], zm_hdr(None, None), "unauthorized",
    "url_validation with no signature headers is not answered", "no signature", ZM_SRC, body=ZM_URLV)
row("zoom_url_validation_bad_sig", "zoom", [ZM_SECRET], zm_hdr(T, zm_sig(T, ZM_URLV, ZM_WRONG)),
    "unauthorized", "url_validation signed with another secret is not answered", ZM_HOW, ZM_SRC,
    body=ZM_URLV)
row("zoom_url_validation_stale", "zoom", [ZM_SECRET],
    zm_hdr(str(NOW - TOL - 1), zm_sig(str(NOW - TOL - 1), ZM_URLV)), "unauthorized",
    "a correctly signed url_validation with a stale timestamp is not answered", ZM_HOW, ZM_SRC,
    body=ZM_URLV)
for nm, ts, exp, why in [
        ("old_edge", NOW - TOL, "stored", "exactly tolerance seconds old"),
        ("old_past", NOW - TOL - 1, "unauthorized", "one second older than the tolerance"),
        ("future_edge", NOW + TOL, "stored", "exactly tolerance seconds ahead"),
        ("future_past", NOW + TOL + 1, "unauthorized", "one second further ahead than the tolerance")]:
    kw = dict(event_id=body_id(ZM_BODY), event_type="meeting.started") if exp == "stored" else {}
    row("zoom_ts_" + nm, "zoom", [ZM_SECRET], zm_hdr(str(ts), zm_sig(str(ts), ZM_BODY)), exp, why,
        ZM_HOW, ZM_SRC, body=ZM_BODY, **kw)
row("zoom_ts_milliseconds", "zoom", [ZM_SECRET], zm_hdr(T + "123", zm_sig(T + "123", ZM_BODY)),
    "unauthorized", "a timestamp in milliseconds is far in the future", ZM_HOW, ZM_SRC, body=ZM_BODY)
for sfx, val, why in malformed("v0=", zm_sig(T, ZM_BODY)[3:]):
    row("zoom_sig_" + sfx, "zoom", [ZM_SECRET], zm_hdr(T, val), "unauthorized", why,
        "hand-written malformed value", ZM_SRC, body=ZM_BODY)
row("zoom_get", "zoom", [ZM_SECRET], {}, "method", "zoom's handshake is a POST: a GET is 405",
    "no signature", ZM_SRC, method="GET", query="", content_type=None)

# ============================== mailgun ===========================================

MG_SECRET = "key-" + hashlib.sha256(b"hookq sender test mailgun").hexdigest()[:32]
MG_WRONG = "key-" + hashlib.sha256(b"hookq sender test mailgun wrong").hexdigest()[:32]
MG_SRC = "documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks"
MG_HOW = "python3 hmac.new(signing_key, timestamp + token, sha256).hexdigest()"
MG_TOKEN = hashlib.sha256(b"hookq sender test mailgun token").hexdigest()[:50]
assert len(MG_TOKEN) == 50


def mg_sig(ts, token=MG_TOKEN, secret=MG_SECRET):
    return hs(secret, ts + token).hex()


def mg_json(ts=T, token=MG_TOKEN, sig=None, secret=MG_SECRET, drop_sig=False, event="delivered"):
    d = {}
    if not drop_sig:
        d["signature"] = {"token": token, "timestamp": ts,
                          "signature": mg_sig(ts, token, secret) if sig is None else sig}
    d["event-data"] = {"event": event, "id": "CPgfbmQMTCKtHW6uIWtuVe",
                       "timestamp": 1700000000.123456, "log-level": "info",
                       "recipient": "alice@example.com", "recipient-domain": "example.com",
                       "envelope": {"sender": "bob@mg.example.com", "transport": "smtp"},
                       "message": {"headers": {"to": "alice@example.com",
                                               "message-id": "20231114221320.1.ABCDEF@mg.example.com",
                                               "from": "bob@mg.example.com", "subject": "Hello"}}}
    return cj(d)


def mg_form(ts=T, token=MG_TOKEN, sig=None):
    return urllib.parse.urlencode([
        ("domain", "mg.example.com"), ("event", "delivered"), ("recipient", "alice@example.com"),
        ("message-headers", '[["Message-Id", "<20231114221320.1.ABCDEF@mg.example.com>"]]'),
        ("Message-Id", "<20231114221320.1.ABCDEF@mg.example.com>"),
        ("timestamp", ts), ("token", token),
        ("signature", mg_sig(ts, token) if sig is None else sig)])


MG_BODY = mg_json()
row("mailgun_base", "mailgun", [MG_SECRET], {}, "stored",
    "a JSON delivered event: id the token, type event-data.event. NOTE: only timestamp and token "
    "are signed, so flipping bytes of event-data does not make this 401", MG_HOW, MG_SRC, body=MG_BODY,
    wrong=MG_WRONG, event_id=MG_TOKEN, event_type="delivered", base=True)
_f = mg_form()
row("mailgun_form", "mailgun", [MG_SECRET], {}, "stored",
    "a form-encoded (legacy) webhook: fields timestamp, token, signature, event; id the token",
    MG_HOW, MG_SRC, body=_f, content_type="application/x-www-form-urlencoded", event_id=MG_TOKEN,
    event_type="delivered")
_f = mg_form(sig=mg_sig(T, secret=MG_WRONG))
row("mailgun_form_wrong_key", "mailgun", [MG_SECRET], {}, "unauthorized",
    "a form body signed with another key", MG_HOW, MG_SRC, body=_f,
    content_type="application/x-www-form-urlencoded")
_b = mg_json(event="opened")
row("mailgun_opened", "mailgun", [MG_SECRET], {}, "stored", "an opened event", MG_HOW, MG_SRC, body=_b,
    event_id=MG_TOKEN, event_type="opened")
_b = mg_json(drop_sig=True)
row("mailgun_no_signature_object", "mailgun", [MG_SECRET], {}, "unauthorized",
    "a JSON body with event-data but no signature object", "no signature", MG_SRC, body=_b)
row("mailgun_not_json", "mailgun", [MG_SECRET], {}, "unauthorized",
    "an application/json body that is not JSON", "no signature", MG_SRC,
    body="timestamp=%s&token=%s&signature=%s" % (T, MG_TOKEN, mg_sig(T)))
row("mailgun_garbage", "mailgun", [MG_SECRET], {}, "unauthorized", "a body of garbage",
    "no signature", MG_SRC, body="{\"signature\":", content_type="application/json")
_b = mg_json(sig=hs(MG_SECRET, T + "." + MG_TOKEN).hex())
row("mailgun_dot_separator", "mailgun", [MG_SECRET], {}, "unauthorized",
    "signed timestamp + '.' + token instead of timestamp + token",
    "python3 hmac.new(signing_key, timestamp + '.' + token, sha256).hexdigest()", MG_SRC, body=_b)
_b = mg_json(sig=hs(MG_SECRET, MG_TOKEN + T).hex())
row("mailgun_token_then_ts", "mailgun", [MG_SECRET], {}, "unauthorized",
    "signed token + timestamp (wrong order)",
    "python3 hmac.new(signing_key, token + timestamp, sha256).hexdigest()", MG_SRC, body=_b)
_b = json.loads(MG_BODY)
_b["signature"]["token"] = MG_TOKEN[:-1] + ("0" if MG_TOKEN[-1] != "0" else "1")
_b = cj(_b)
row("mailgun_token_changed", "mailgun", [MG_SECRET], {}, "unauthorized",
    "the token changed after signing", MG_HOW, MG_SRC, body=_b)
for nm, ts, exp, why in [
        ("old_edge", NOW - TOL, "stored", "exactly tolerance seconds old"),
        ("old_past", NOW - TOL - 1, "unauthorized", "one second older than the tolerance"),
        ("future_edge", NOW + TOL, "stored", "exactly tolerance seconds ahead"),
        ("future_past", NOW + TOL + 1, "unauthorized", "one second further ahead than the tolerance")]:
    _b = mg_json(ts=str(ts))
    kw = dict(event_id=MG_TOKEN, event_type="delivered") if exp == "stored" else {}
    row("mailgun_ts_" + nm, "mailgun", [MG_SECRET], {}, exp, why, MG_HOW, MG_SRC, body=_b, **kw)
_f = mg_form(ts=str(NOW - TOL - 1))
row("mailgun_form_ts_old_past", "mailgun", [MG_SECRET], {}, "unauthorized",
    "a form body one second older than the tolerance", MG_HOW, MG_SRC, body=_f,
    content_type="application/x-www-form-urlencoded")
for sfx, val, why in malformed("", mg_sig(T)):
    if sfx == "huge":
        val = "a" * 8192
    row("mailgun_sig_" + sfx, "mailgun", [MG_SECRET], {}, "unauthorized", why + " (in signature.signature)",
        "hand-written malformed value", MG_SRC, body=mg_json(sig=val))

# ============================== square ============================================

SQ_SECRET = b64(hashlib.sha256(b"hookq sender test square").digest()[:16]).rstrip("=").replace("+", "-").replace("/", "_")
SQ_WRONG = b64(hashlib.sha256(b"hookq sender test square wrong").digest()[:16]).rstrip("=").replace("+", "-").replace("/", "_")
SQ_URL = "https://hooks.example.com/hookq/in/square"
SQ_SRC = ("developer.squareup.com/docs/webhooks/step3validate (Validate that the notification is from "
          "Square)")
SQ_HOW = "python3 base64.b64encode(hmac.new(signature_key, notification_url + body, sha256).digest())"
SQ_BODY = cj({"merchant_id": "6SSW7HV8K2ST5", "type": "payment.created",
              "event_id": "13b867cf-db3d-4b1c-90b6-2f32a9d78124", "created_at": "2023-11-14T22:13:20.000Z",
              "data": {"type": "payment", "id": "KkAkhdMsgzn59SM8A89WgKwekxLZY",
                       "object": {"payment": {"id": "KkAkhdMsgzn59SM8A89WgKwekxLZY",
                                              "amount_money": {"amount": 100, "currency": "USD"},
                                              "status": "APPROVED",
                                              "location_id": "S8GWD5R9QB376"}}}})
SQ_ID, SQ_TYPE = "13b867cf-db3d-4b1c-90b6-2f32a9d78124", "payment.created"


def sq_sig(url, body, secret=SQ_SECRET):
    return b64(hs(secret, url + body))


def sq_hdr(sig):
    h = {"square-environment": "Production", "square-version": "2023-10-18"}
    if sig is not None:
        h["x-square-hmacsha256-signature"] = sig
    return h


SQ_CFG = {"notification_url": SQ_URL}
row("square_base", "square", [SQ_SECRET], sq_hdr(sq_sig(SQ_URL, SQ_BODY)), "stored",
    "a payment.created notification: id event_id, type JSON type", SQ_HOW, SQ_SRC, body=SQ_BODY,
    wrong=SQ_WRONG, config=SQ_CFG, event_id=SQ_ID, event_type=SQ_TYPE, base=True)
row("square_other_url", "square", [SQ_SECRET], sq_hdr(sq_sig("https://hooks.example.com/other", SQ_BODY)),
    "unauthorized", "signed with a notification URL other than the source's", SQ_HOW, SQ_SRC,
    body=SQ_BODY, config=SQ_CFG)
row("square_url_trailing_slash", "square", [SQ_SECRET], sq_hdr(sq_sig(SQ_URL + "/", SQ_BODY)),
    "unauthorized", "signed with the URL plus a trailing slash: the URL is used byte for byte", SQ_HOW,
    SQ_SRC, body=SQ_BODY, config=SQ_CFG)
row("square_body_only", "square", [SQ_SECRET], sq_hdr(b64(hs(SQ_SECRET, SQ_BODY))), "unauthorized",
    "signed over the body alone, without the URL", "python3 base64.b64encode(hmac.new(key, body, sha256).digest())",
    SQ_SRC, body=SQ_BODY, config=SQ_CFG)
row("square_b64_decoded_key", "square", [SQ_SECRET],
    sq_hdr(b64(hs(base64.urlsafe_b64decode(SQ_SECRET + "=="), SQ_URL + SQ_BODY))), "unauthorized",
    "signed with the base64url-decoded key: Square keys the HMAC with the key string as is",
    "python3 base64.b64encode(hmac.new(urlsafe_b64decode(key), url + body, sha256).digest())",
    SQ_SRC, body=SQ_BODY, config=SQ_CFG)
row("square_legacy_sha1_only", "square", [SQ_SECRET],
    {"x-square-signature": b64(hmac.new(SQ_SECRET.encode(), (SQ_URL + SQ_BODY).encode(), hashlib.sha1).digest())},
    "unauthorized", "only the legacy HMAC-SHA1 x-square-signature header",
    "python3 base64.b64encode(hmac.new(key, url + body, sha1).digest())", SQ_SRC, body=SQ_BODY, config=SQ_CFG)
row("square_sig_missing", "square", [SQ_SECRET], sq_hdr(None), "unauthorized", "no signature header",
    SQ_HOW, SQ_SRC, body=SQ_BODY, config=SQ_CFG)
for sfx, val, why in malformed("", sq_sig(SQ_URL, SQ_BODY)):
    row("square_sig_" + sfx, "square", [SQ_SECRET], sq_hdr(val), "unauthorized", why,
        "hand-written malformed value", SQ_SRC, body=SQ_BODY, config=SQ_CFG)

# Square's SDK test vectors (square/square-python-sdk), checked here first.
SQ_SDK_SRC = ("square/square-python-sdk tests/utilities/test_webhooks_helper.py and "
              "tests/integration/test_webhooks_helper.py")
SQ_SDK_BODY = ('{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification",'
               '"event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z",'
               '"data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}')
SQ_SDK_SIG = "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="
SQ_SDK_KEY = "Ibxx_5AKakO-3qeNVR61Dw"
SQ_SDK_URL = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"
assert sq_sig(SQ_SDK_URL, SQ_SDK_BODY, SQ_SDK_KEY) == SQ_SDK_SIG
row("square_sdk_valid", "square", [SQ_SDK_KEY], sq_hdr(SQ_SDK_SIG), "stored",
    "Square's SDK test_signature_validation_pass vector",
    "signature copied from the source; recomputed here: " + SQ_HOW, SQ_SDK_SRC, body=SQ_SDK_BODY,
    config={"notification_url": SQ_SDK_URL}, event_id="ac3ac95b-f97d-458c-a6e6-18981597e05f",
    event_type="webhooks.test_notification", published=True)
row("square_sdk_url_mismatch", "square", [SQ_SDK_KEY], sq_hdr(SQ_SDK_SIG), "unauthorized",
    "Square's SDK test_signature_validation_url_mismatch vector: the source's URL lacks one character",
    "signature copied from the source", SQ_SDK_SRC, body=SQ_SDK_BODY,
    config={"notification_url": "https://webhook.site/79a4f3a-dcfa-49ee-bac5-9d0edad886b9"}, published=True)
row("square_sdk_invalid_key", "square", ["MCmhFRxGX82xMwg5FsaoQA"], sq_hdr(SQ_SDK_SIG), "unauthorized",
    "Square's SDK test_signature_validation_invalid_signature_key vector",
    "signature copied from the source", SQ_SDK_SRC, body=SQ_SDK_BODY,
    config={"notification_url": SQ_SDK_URL}, published=True)
_esc_body = '{"data":{"type":"webhooks","id":">id<"}}'
_esc_sig = "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U="
assert sq_sig("https://webhook.site/webhooks", _esc_body, "signature-key") == _esc_sig
row("square_sdk_escaped", "square", ["signature-key"], sq_hdr(_esc_sig), "bad_request",
    "Square's SDK test_signature_validation_escaped_pass vector (> and < sent raw, not \\u003e):"
    " it verifies, and then, having no event_id, is refused with 400 (not 401)",
    "signature copied from the source; recomputed here: " + SQ_HOW,
    SQ_SDK_SRC, body=_esc_body, config={"notification_url": "https://webhook.site/webhooks"},
    published=True)

# ============================== issue 15's senders ================================
# One Spec each in senders_more.py, which the live test (senders_live.sh) shares.

import senders_more  # noqa: E402

senders_more.add_rows(row)

# --- checks on the whole set ------------------------------------------------------------

SCHEMES = ["svix", "shopify", "slack", "zendesk", "gitlab", "discord", "discord-interactions", "paddle",
           "linear", "pagerduty", "jira", "meta", "zoom", "mailgun", "square"] + senders_more.SCHEMES
for s in SCHEMES:
    assert sum(1 for r in rows if r["scheme"] == s and r.get("base")) == 1, s
assert {r["scheme"] for r in rows} == set(SCHEMES)
for r in rows:
    if r["scheme"] in ("square", "hubspot", "trello", "twilio"):
        assert "notification_url" in (r.get("config") or {}), r["name"]

print(json.dumps(rows, indent=1))
