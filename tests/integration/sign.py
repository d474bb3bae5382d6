#!/usr/bin/env python3
"""Signs a webhook request the way each sender does, independently of hookq.

Prints one "Header: value" line per header to add. HMAC comes from Python's
hmac module, Ed25519 from `openssl pkeyutl`, so a bug in hookq's
verification cannot hide behind the same bug here. The secret is read from a
file, never from the command line, and never printed, except for gitlab:
GitLab sends the secret token itself as X-Gitlab-Token, so that header line
is the secret (callers must not echo it).

usage: sign.py SCHEME --secret-file F --body F [--line N] [--id ID] [--type T]
               [--timestamp T] [--header NAME] [--prefix P] [--encoding hex|base64]
               [--algorithm hmac-sha256|hmac-sha512|ed25519] [--url URL]
               [--webhook-id W] [--event-uuid U]
       sign.py mailgun --secret-file F --body-out F --token T [--form]
               [--timestamp T] [--event E]
  SCHEME: github, stripe, standard-webhooks, generic, svix, shopify, slack,
  zendesk, gitlab, discord, discord-interactions, paddle, linear, pagerduty,
  jira, meta, zoom, square, mailgun.
  For Ed25519 (generic ed25519, standard-webhooks v1a, discord,
  discord-interactions) the secret file line is a PEM private key file's path.
  --timestamp is unix seconds (zendesk: formatted as ISO 8601 UTC
  "%Y-%m-%dT%H:%M:%SZ" unless given already formatted). --id is the delivery
  or event id header where the sender has one (svix-id, X-Shopify-Event-Id,
  X-Zendesk-Webhook-Invocation-Id, Idempotency-Key, Linear-Delivery,
  X-Atlassian-Webhook-Identifier); --type the event header (X-Shopify-Topic,
  X-Gitlab-Event). linear bodies must already hold webhookTimestamp (ms).
  mailgun writes a signed body (JSON {"signature":{...},"event-data":{...}},
  or a urlencoded form with --form) to --body-out instead of printing headers.

Sources (how each sender signs):
  github: docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
  stripe: docs.stripe.com/webhooks#verify-manually
  standard-webhooks: standardwebhooks.com, spec/standard-webhooks.md
  svix: docs.svix.com/receiving/verifying-payloads/how-manual
    (svix-id, svix-timestamp, svix-signature "v1,<base64 HMAC-SHA256 of
    id.ts.body>", the key is the base64 after "whsec_")
  shopify: shopify.dev/docs/apps/build/webhooks/subscribe/https, "Verify the
    webhook" (X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body;
    X-Shopify-Event-Id, X-Shopify-Webhook-Id, X-Shopify-Topic)
  slack: api.slack.com/authentication/verifying-requests-from-slack
    (X-Slack-Signature "v0=" hex HMAC of "v0:ts:body", X-Slack-Request-Timestamp)
  zendesk: developer.zendesk.com/documentation/webhooks/verifying/
    (X-Zendesk-Webhook-Signature: base64 HMAC-SHA256 of timestamp + body;
    X-Zendesk-Webhook-Signature-Timestamp ISO 8601; X-Zendesk-Webhook-Invocation-Id)
  gitlab: docs.gitlab.com/ee/user/project/integrations/webhooks.html
    ("Validate payloads by using a secret token": X-Gitlab-Token; X-Gitlab-Event,
    Idempotency-Key, X-Gitlab-Event-UUID in "Delivery headers")
  discord: discord.com/developers/docs/events/webhook-events and
    discord.com/developers/docs/interactions/overview, "Validating Security
    Request Headers" (X-Signature-Ed25519: hex Ed25519 of timestamp + body,
    X-Signature-Timestamp)
  paddle: developer.paddle.com/webhooks/signature-verification
    (Paddle-Signature "ts=T;h1=<hex HMAC-SHA256 of ts:body>")
  linear: linear.app/developers/webhooks, "Securing webhooks"
    (Linear-Signature: hex HMAC-SHA256 of the body; webhookTimestamp in ms;
    Linear-Delivery)
  pagerduty: developer.pagerduty.com/docs/verifying-webhook-signatures
    (X-PagerDuty-Signature "v1=<hex HMAC-SHA256 of body>", comma-separated)
  jira: developer.atlassian.com/cloud/jira/platform/webhooks/, "Secure admin
    webhooks" (X-Hub-Signature "sha256=<hex>"; X-Atlassian-Webhook-Identifier)
  meta: developers.facebook.com/docs/graph-api/webhooks/getting-started,
    "Validate Payloads" (X-Hub-Signature-256 "sha256=<hex>" under the app secret)
  zoom: developers.zoom.us/docs/api/webhooks/#verify-webhook-events
    (x-zm-signature "v0=<hex HMAC-SHA256 of v0:ts:body>", x-zm-request-timestamp)
  square: developer.squareup.com/docs/webhooks/step3validate
    (x-square-hmacsha256-signature: base64 HMAC-SHA256 of notification URL + body)
  mailgun: documentation.mailgun.com/docs/mailgun/user-manual/tracking-messages/
    #securing-webhooks (signature.signature: hex HMAC-SHA256 of timestamp + token,
    inside the body; the webhook signing key)
"""
import argparse
import base64
import hashlib
import hmac
import subprocess
import sys
import json
import tempfile
import time
import urllib.parse
import uuid


def secret_line(path, n):
    with open(path, "rb") as f:
        lines = [l.rstrip(b"\r\n") for l in f.read().split(b"\n")]
    lines = [l for l in lines if l]
    return lines[n - 1]


def mac(alg, key, msg):
    digest = hashlib.sha512 if alg == "hmac-sha512" else hashlib.sha256
    return hmac.new(key, msg, digest).digest()


def ed25519_sign(pem_path, msg):
    # OpenSSL 3.0's pkeyutl signs Ed25519 in one shot and sizes its buffer from
    # the input file's length, so a pipe (/dev/stdin) gives "Could not allocate
    # 0 bytes": the message goes through a private temporary file instead.
    with tempfile.NamedTemporaryFile(prefix="sign-", suffix=".msg") as f:
        f.write(msg)
        f.flush()
        out = subprocess.run(
            ["openssl", "pkeyutl", "-sign", "-inkey", pem_path, "-rawin", "-in", f.name],
            capture_output=True)
    if out.returncode != 0 or len(out.stdout) != 64:
        sys.exit("sign.py: openssl pkeyutl failed: " + out.stderr.decode(errors="replace").strip())
    return out.stdout


def b64mac(key, msg):
    return base64.b64encode(mac("hmac-sha256", key, msg)).decode()


def mailgun(a, secret, ts):
    """Writes a body signed the Mailgun way to --body-out; prints nothing."""
    if not a.body_out or not a.token:
        sys.exit("sign.py: mailgun needs --body-out and --token")
    sig = mac("hmac-sha256", secret, ts.encode() + a.token.encode()).hex()
    if a.form:
        data = urllib.parse.urlencode([("timestamp", ts), ("token", a.token),
                                       ("signature", sig), ("event", a.event),
                                       ("recipient", "alice@example.com")]).encode()
    else:
        data = json.dumps({"signature": {"timestamp": ts, "token": a.token, "signature": sig},
                           "event-data": {"event": a.event, "id": "mg-" + a.token[:8],
                                          "recipient": "alice@example.com"}},
                          separators=(",", ":")).encode()
    with open(a.body_out, "wb") as f:
        f.write(data)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scheme")
    p.add_argument("--secret-file", required=True)
    p.add_argument("--body")
    p.add_argument("--body-out")
    p.add_argument("--token")
    p.add_argument("--form", action="store_true")
    p.add_argument("--event", default="delivered")
    p.add_argument("--type")
    p.add_argument("--url")
    p.add_argument("--webhook-id")
    p.add_argument("--event-uuid")
    p.add_argument("--line", type=int, default=1)
    p.add_argument("--id")
    p.add_argument("--timestamp")
    p.add_argument("--header", default="X-Signature")
    p.add_argument("--prefix", default="")
    p.add_argument("--encoding", default="hex")
    p.add_argument("--algorithm", default="hmac-sha256")
    a = p.parse_args()

    secret = secret_line(a.secret_file, a.line)
    ts = a.timestamp or str(int(time.time()))
    if a.scheme == "mailgun":
        mailgun(a, secret, ts)
        return
    if a.body is None:
        sys.exit("sign.py: --body is required for " + a.scheme)
    with open(a.body, "rb") as f:
        body = f.read()
    out = []
    if a.scheme == "github":
        out.append("X-Hub-Signature-256: sha256=" + mac("hmac-sha256", secret, body).hex())
    elif a.scheme == "stripe":
        sig = mac("hmac-sha256", secret, ts.encode() + b"." + body).hex()
        out.append("Stripe-Signature: t=%s,v1=%s" % (ts, sig))
    elif a.scheme == "standard-webhooks":
        msg_id = a.id or "msg_" + uuid.uuid4().hex
        signed = msg_id.encode() + b"." + ts.encode() + b"." + body
        if secret.startswith(b"whsec_"):
            key = base64.b64decode(secret[6:] + b"=" * (-len(secret[6:]) % 4))
            sig = "v1," + base64.b64encode(mac("hmac-sha256", key, signed)).decode()
        else:  # a PEM private key path, for v1a (Ed25519)
            sig = "v1a," + base64.b64encode(ed25519_sign(secret.decode(), signed)).decode()
        out += ["webhook-id: " + msg_id, "webhook-timestamp: " + ts, "webhook-signature: " + sig]
    elif a.scheme == "generic":
        if a.algorithm == "ed25519":
            raw = ed25519_sign(secret.decode(), body)
        else:
            raw = mac(a.algorithm, secret, body)
        enc = raw.hex() if a.encoding == "hex" else base64.b64encode(raw).decode()
        out.append("%s: %s%s" % (a.header, a.prefix, enc))
    elif a.scheme == "svix":
        msg_id = a.id or "msg_" + uuid.uuid4().hex
        signed = msg_id.encode() + b"." + ts.encode() + b"." + body
        key = secret[6:] if secret.startswith(b"whsec_") else secret
        key = base64.b64decode(key + b"=" * (-len(key) % 4))
        sig = "v1," + base64.b64encode(mac("hmac-sha256", key, signed)).decode()
        out += ["svix-id: " + msg_id, "svix-timestamp: " + ts, "svix-signature: " + sig]
    elif a.scheme == "shopify":
        out.append("X-Shopify-Hmac-Sha256: " + b64mac(secret, body))
        if a.id:
            out.append("X-Shopify-Event-Id: " + a.id)
        out.append("X-Shopify-Webhook-Id: " + (a.webhook_id or str(uuid.uuid4())))
        if a.type:
            out.append("X-Shopify-Topic: " + a.type)
    elif a.scheme == "slack":
        sig = mac("hmac-sha256", secret, b"v0:" + ts.encode() + b":" + body).hex()
        out += ["X-Slack-Request-Timestamp: " + ts, "X-Slack-Signature: v0=" + sig]
    elif a.scheme == "zendesk":
        iso = ts
        if ts.isdigit():
            iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))
        out.append("X-Zendesk-Webhook-Signature: " + b64mac(secret, iso.encode() + body))
        out.append("X-Zendesk-Webhook-Signature-Timestamp: " + iso)
        if a.id:
            out.append("X-Zendesk-Webhook-Invocation-Id: " + a.id)
    elif a.scheme == "gitlab":
        # GitLab sends the secret token itself: this line carries it.
        out.append("X-Gitlab-Token: " + secret.decode())
        if a.type:
            out.append("X-Gitlab-Event: " + a.type)
        if a.id:
            out.append("Idempotency-Key: " + a.id)
        if a.event_uuid:
            out.append("X-Gitlab-Event-UUID: " + a.event_uuid)
    elif a.scheme in ("discord", "discord-interactions"):
        sig = ed25519_sign(secret.decode(), ts.encode() + body).hex()
        out += ["X-Signature-Ed25519: " + sig, "X-Signature-Timestamp: " + ts]
    elif a.scheme == "paddle":
        sig = mac("hmac-sha256", secret, ts.encode() + b":" + body).hex()
        out.append("Paddle-Signature: ts=%s;h1=%s" % (ts, sig))
    elif a.scheme == "linear":
        out.append("Linear-Signature: " + mac("hmac-sha256", secret, body).hex())
        if a.id:
            out.append("Linear-Delivery: " + a.id)
        if a.type:
            out.append("Linear-Event: " + a.type)
    elif a.scheme == "pagerduty":
        out.append("X-PagerDuty-Signature: v1=" + mac("hmac-sha256", secret, body).hex())
    elif a.scheme == "jira":
        out.append("X-Hub-Signature: sha256=" + mac("hmac-sha256", secret, body).hex())
        if a.id:
            out.append("X-Atlassian-Webhook-Identifier: " + a.id)
    elif a.scheme == "meta":
        out.append("X-Hub-Signature-256: sha256=" + mac("hmac-sha256", secret, body).hex())
    elif a.scheme == "zoom":
        sig = mac("hmac-sha256", secret, b"v0:" + ts.encode() + b":" + body).hex()
        out += ["x-zm-request-timestamp: " + ts, "x-zm-signature: v0=" + sig]
    elif a.scheme == "square":
        if not a.url:
            sys.exit("sign.py: square needs --url (the subscription's notification URL)")
        out.append("x-square-hmacsha256-signature: " + b64mac(secret, a.url.encode() + body))
    else:
        sys.exit("sign.py: unknown scheme " + a.scheme)
    print("\n".join(out))


if __name__ == "__main__":
    main()
