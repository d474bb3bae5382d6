"""senders_more.py: the senders of issue 15, for make_sender_vectors.py and
tests/integration/senders_live.sh.

Each sender is a Spec: its secret, a body, and make(ts, body, secrets), which
signs a request as the sender does, computed here independently of hookq
(Python's hmac/hashlib/base64; ECDSA with the `cryptography` package when the
vectors are made, with the openssl command when the live test runs). From a
Spec, rows() writes the vector rows the unit sweeps need (a base row, the
tolerance bounds of a timestamped sender, rotation where the sender sends
more than one signature) and live() makes a request signed now for the
integration test, so a new sender is one Spec here plus its row in
src/scheme_table.c. Published examples are checked against the value their
publisher printed before they are written as rows.

Where each sender documents what it signs is in the Spec's src, and in the
row's comment in src/scheme_table.c.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import tempfile
import urllib.parse

NOW = 1700000000
TOL = 300


def _b(x):
    return x.encode() if isinstance(x, str) else x


def mac(alg, key, msg):
    return hmac.new(_b(key), _b(msg), alg).digest()


def sha256(key, msg):
    return mac(hashlib.sha256, key, msg)


def sha1(key, msg):
    return mac(hashlib.sha1, key, msg)


def sha512(key, msg):
    return mac(hashlib.sha512, key, msg)


def b64(raw):
    return base64.b64encode(raw).decode()


def cj(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def seeded(scheme, what="secret"):
    return "hq_" + hashlib.sha256(("hookq sender test %s %s" % (scheme, what)).encode()).hexdigest()[:40]


def body_id(body):
    return "sha256:" + hashlib.sha256(_b(body)).hexdigest()


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def whsec(key):
    return "whsec_" + b64(key)


def whsec_key(secret):
    return base64.b64decode(secret[len("whsec_"):])


# How a timestamp is written: unix seconds, milliseconds, RFC 3339.
TS_FORMATS = {
    "unix": lambda t: str(t),
    "ms": lambda t: str(t * 1000),
    "iso": iso,
    "iso_nanos": lambda t: iso(t)[:-1] + ".123456789Z",
}


class Spec:
    """One sender. make(ts, body, secrets) -> headers: the request signed with
    every secret in secrets (a list, the sender's own rotation) at time ts
    (a string as the sender writes it, or None for a sender without one)."""

    def __init__(self, scheme, src, how, secret, wrong, body, make, event_id, event_type,
                 ts=None, tolerance=TOL, future_ok=False, multi_sig=False, config=None,
                 content_type="application/json", secret_line=None, extra=None, now=NOW,
                 answer=None, query=None):
        self.scheme, self.src, self.how = scheme, src, how
        self.secret, self.wrong, self.body, self.make = secret, wrong, body, make
        self.event_id, self.event_type = event_id, event_type
        self.ts, self.tolerance, self.future_ok = ts, tolerance, future_ok
        self.multi_sig, self.config, self.content_type = multi_sig, config, content_type
        self.secret_line = secret_line or (lambda s: s)
        self.extra = extra or (lambda row, spec: None)
        self.now = now
        self.answer = answer  # what a stored event is answered with, when not hookq's own
        self.query = query    # the query string the request is sent with (Twilio signs it)

    def stamp(self, t):
        return TS_FORMATS[self.ts](t) if self.ts else None

    def id_for(self, body):
        return body_id(body) if self.event_id is None else self.event_id

    def rows(self, row):
        n = self.scheme.replace("-", "_")
        kw = dict(body=self.body, config=self.config, content_type=self.content_type, now=self.now,
                  tolerance=self.tolerance, query=self.query)
        stored = dict(event_id=self.id_for(self.body), event_type=self.event_type)
        if self.answer is not None:
            stored["answer"] = self.answer
        t = self.stamp(self.now)
        row(n + "_base", self.scheme, [self.secret], self.make(t, self.body, [self.secret]),
            "stored", "a signed %s event" % self.scheme, self.how, self.src, wrong=self.wrong,
            base=True, **kw, **stored)
        row(n + "_wrong_secret", self.scheme, [self.secret], self.make(t, self.body, [self.wrong]),
            "unauthorized", "signed with another secret", self.how, self.src, **kw)
        row(n + "_rotation_second_line", self.scheme, [self.wrong, self.secret],
            self.make(t, self.body, [self.secret]), "stored",
            "two secret lines, the second one signed", self.how, self.src, **kw, **stored)
        if self.multi_sig:
            row(n + "_rotation_two_signatures", self.scheme, [self.secret],
                self.make(t, self.body, [self.wrong, self.secret]), "stored",
                "two signatures (old and new secret), the second matches", self.how, self.src,
                **kw, **stored)
        if self.ts:
            for nm, d, exp, why in [
                    ("old_edge", -self.tolerance, "stored", "exactly tolerance seconds old"),
                    ("old_past", -self.tolerance - 1, "unauthorized",
                     "one second older than the tolerance"),
                    ("future_edge", self.tolerance, "stored", "exactly tolerance seconds ahead"),
                    ("future_past", self.tolerance + 1,
                     "stored" if self.future_ok else "unauthorized",
                     "one second further ahead than the tolerance")]:
                tt = self.stamp(self.now + d)
                row(n + "_ts_" + nm, self.scheme, [self.secret],
                    self.make(tt, self.body, [self.secret]), exp, why, self.how, self.src, **kw,
                    **(stored if exp == "stored" else {}))
        self.extra(row, self)

    def live(self, now):
        """A request signed at now (seconds): (headers, body, config, secret line); self.query
        is its query string."""
        return (self.make(self.stamp(now), self.body, [self.secret]), self.body,
                self.config or {}, self.secret_line(self.secret))


SPECS = []


def spec(**kw):
    SPECS.append(Spec(**kw))


def plain(header, enc, alg=sha256, prefix="", signed=lambda ts, body: body, ts_header=None,
          sep=None, fixed=None):
    """make() for a sender that puts prefix + enc(alg(secret, signed(ts, body))) in header,
    one signature per secret (joined by sep, or only the last one when sep is None)."""
    def make(ts, body, secrets):
        sigs = [prefix + enc(alg(s, signed(ts, body))) for s in secrets]
        h = dict(fixed or {})
        h[header] = sep.join(sigs) if sep else sigs[-1]
        if ts_header and ts is not None:
            h[ts_header] = ts
        return h
    return make


HEX = lambda raw: raw.hex()  # noqa: E731


def stripe_like(header, sep=",", item_sep=",", fixed=None, signed=lambda ts, body: ts + "." + body):
    """make() for t=<ts>,v1=<hex> (Calendly, WorkOS, Mux, Persona)."""
    def make(ts, body, secrets):
        h = dict(fixed or {})
        h[header] = "t=%s%s" % (ts, item_sep) + item_sep.join(
            "v1=" + sha256(s, signed(ts, body)).hex() for s in secrets)
        return h
    return make


# ============================== Svix and Standard Webhooks families ==============

def svix_make(prefix, type_fixed=None):
    def make(ts, body, secrets, msg_id="msg_2Yh8dLxkPq1bT0sVwE5uZrN3aQ"):
        sig = " ".join("v1," + b64(sha256(whsec_key(s), "%s.%s.%s" % (msg_id, ts, body)))
                       for s in secrets)
        return {prefix + "-id": msg_id, prefix + "-timestamp": ts, prefix + "-signature": sig}
    return make


SW_SRC = "standardwebhooks.com spec/standard-webhooks.md"
SW_HOW = ("python3 'v1,' + base64(hmac.new(b64decode(secret[6:]), id + '.' + ts + '.' + body, "
          "sha256).digest())")


def svix_family(scheme, prefix, src, body, event_type, published=None):
    def extra(row, sp):
        if published is None:
            return
        p = published
        sig = "v1," + b64(sha256(whsec_key(p["secret"]), "%s.%s.%s" % (p["id"], p["ts"], p["body"])))
        assert sig == p["signature"], (scheme, sig)
        row(scheme.replace("-", "_") + "_published", scheme, [p["secret"]],
            {prefix + "-id": p["id"], prefix + "-timestamp": p["ts"],
             prefix + "-signature": p["signature"]}, "stored",
            "the signature its publisher printed for this body", "copied from the source; "
            "recomputed here: " + SW_HOW, p["src"], body=p["body"], now=int(p["ts"]),
            event_id=p["id"], event_type=p["type"], published=True)
    spec(scheme=scheme, src=src, how=SW_HOW.replace("id +", prefix + "-id +"),
         secret=whsec(hashlib.sha256(("hookq %s" % scheme).encode()).digest()[:32]),
         wrong=whsec(hashlib.sha256(("hookq %s wrong" % scheme).encode()).digest()[:32]),
         body=body, make=svix_make(prefix), event_id="msg_2Yh8dLxkPq1bT0sVwE5uZrN3aQ",
         event_type=event_type, ts="unix", multi_sig=True, extra=extra)


# Svix's own test vector (svix/svix-webhooks javascript/src/webhook.test.ts).
SVIX_PUBLISHED = {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
                  "ts": "1614265330", "body": '{"test": 2432232314}',
                  "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "type": None,
                  "src": "svix/svix-webhooks javascript/src/webhook.test.ts (defaultMsgID, defaultPayload, "
                         "defaultSecret)"}

svix_family("clerk", "svix", "clerk.com/docs/guides/development/webhooks/overview; " + SW_SRC,
            cj({"type": "user.created", "object": "event", "data": {"id": "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S"}}),
            "user.created", dict(SVIX_PUBLISHED))
svix_family("resend", "svix", "resend.com/docs/webhooks/verify-webhooks-requests; " + SW_SRC,
            cj({"type": "email.delivered", "created_at": "2023-11-14T22:13:20.000Z",
                "data": {"email_id": "4ef9a417-02e9-4d39-ad75-9611e0fcc33c"}}), "email.delivered")
# OpenAI's SDK test vector (openai/openai-node tests/api-resources/webhooks.test.ts).
svix_family("openai", "webhook", "platform.openai.com/docs/guides/webhooks; openai-node "
            "src/resources/webhooks.ts; " + SW_SRC,
            cj({"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": 1700000000,
                "type": "response.completed", "data": {"id": "resp_123"}}), "response.completed",
            {"secret": "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=",
             "id": "wh_685c059ae39c8190af8c71ed1022a24d", "ts": "1750861210",
             "body": '{"id": "evt_685c059ae3a481909bdc86819b066fb6", "object": "event", "created_at": '
                     '1750861210, "type": "response.completed", "data": {"id": "resp_123"}}',
             "signature": "v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY=", "type": "response.completed",
             "src": "openai/openai-node tests/api-resources/webhooks.test.ts"})
svix_family("replicate", "webhook", "replicate.com/docs/topics/webhooks/verify-webhook; " + SW_SRC,
            cj({"id": "ufawqhfynnddngldkgtslldrkq", "status": "succeeded", "output": ["https://x/y.png"]}),
            "succeeded")

# ============================== HMAC-SHA256 (and -512) senders ====================

HUB_URL = "https://hooks.example.com/hookq/hooks/hubspot"
spec(scheme="hubspot", src="developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/"
     "request-validation (v3)",
     how="python3 base64(hmac.new(client_secret, 'POST' + url + body + ts_ms, sha256).digest())",
     secret="6e2f8b1c-7d4a-4b3e-9f10-2a5c8d7e6b41", wrong="0b9d7f3e-1a2c-4e5f-8a6b-7c9d0e1f2a3b",
     body=cj([{"eventId": 1, "subscriptionId": 12345, "portalId": 62515, "occurredAt": 1700000000000,
               "subscriptionType": "contact.creation", "attemptNumber": 0, "objectId": 123,
               "changeSource": "CRM", "changeFlag": "NEW", "appId": 54321}]),
     make=plain("X-HubSpot-Signature-v3", b64, signed=lambda ts, body: "POST" + HUB_URL + body + ts,
                ts_header="X-HubSpot-Request-Timestamp"),
     event_id=None, event_type=None, ts="ms", config={"notification_url": HUB_URL})


def twitch_make(ts, body, secrets, kind="notification", msg_id="e76c6bd4-55c9-4987-8304-da1588d8988b"):
    h = {"Twitch-Eventsub-Message-Id": msg_id, "Twitch-Eventsub-Message-Retry": "0",
         "Twitch-Eventsub-Message-Type": kind, "Twitch-Eventsub-Subscription-Type": "channel.follow",
         "Twitch-Eventsub-Subscription-Version": "2"}
    h["Twitch-Eventsub-Message-Timestamp"] = ts
    h["Twitch-Eventsub-Message-Signature"] = "sha256=" + sha256(secrets[-1], msg_id + ts + body).hex()
    return h


TW_SRC = ("dev.twitch.tv/docs/eventsub/handling-webhook-events; twitchdev/twitch-cli "
          "internal/events/verify/subscription_verify.go")
TW_HOW = "python3 'sha256=' + hmac.new(secret, message_id + timestamp + body, sha256).hexdigest()"
TW_CHALLENGE = cj({"challenge": "pogchamp-kappa-360noscope-vohiyo",
                   "subscription": {"id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4",
                                    "status": "webhook_callback_verification_pending",
                                    "type": "channel.follow", "version": "2"}})


def twitch_extra(row, sp):
    t = sp.stamp(NOW)
    row("twitch_verification", "twitch", [sp.secret],
        twitch_make(t, TW_CHALLENGE, [sp.secret], kind="webhook_callback_verification"), "handshake",
        "webhook_callback_verification (signed) is answered with the raw challenge, text/plain",
        TW_HOW, TW_SRC, body=TW_CHALLENGE,
        answer={"status": 200, "content_type": "text/plain", "body": "pogchamp-kappa-360noscope-vohiyo"})
    row("twitch_verification_bad_sig", "twitch", [sp.secret],
        twitch_make(t, TW_CHALLENGE, [sp.wrong], kind="webhook_callback_verification"),
        "unauthorized", "a verification signed with another secret is not answered", TW_HOW, TW_SRC,
        body=TW_CHALLENGE)
    rev = cj({"subscription": {"id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4", "status": "authorization_revoked",
                               "type": "channel.follow", "version": "2"}})
    row("twitch_revocation", "twitch", [sp.secret], twitch_make(t, rev, [sp.secret], kind="revocation",
                                                                 msg_id="84c1e79a-2a4b-4c13-ba0d-4312293e9308"),
        "stored", "a revocation is stored as an event, for the handler to see", TW_HOW, TW_SRC, body=rev,
        event_id="84c1e79a-2a4b-4c13-ba0d-4312293e9308", event_type="channel.follow")


spec(scheme="twitch", src=TW_SRC, how=TW_HOW, secret="s3cRe7-hookq-twitch-" + "a" * 12,
     wrong="s3cRe7-hookq-twitch-" + "b" * 12,
     body=cj({"subscription": {"id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4", "type": "channel.follow",
                               "version": "2", "status": "enabled"},
              "event": {"user_id": "1234", "user_login": "cool_user", "broadcaster_user_id": "1337",
                        "followed_at": "2023-11-14T22:13:20.123456789Z"}}),
     make=twitch_make, event_id="e76c6bd4-55c9-4987-8304-da1588d8988b", event_type="channel.follow",
     ts="iso_nanos", tolerance=600, extra=twitch_extra)

spec(scheme="typeform", src="typeform.com/developers/webhooks/secure-your-webhooks",
     how="python3 'sha256=' + base64(hmac.new(secret, body, sha256).digest())",
     secret=seeded("typeform"), wrong=seeded("typeform", "wrong"),
     body=cj({"event_id": "01HF3X2T9W6QZ7K8Y5M4N3B2V1", "event_type": "form_response",
              "form_response": {"form_id": "lT4Z3j", "token": "a3a12ec67a1365927098a606107fac15",
                                "submitted_at": "2023-11-14T22:13:20Z"}}),
     make=plain("Typeform-Signature", b64, prefix="sha256="), event_id="01HF3X2T9W6QZ7K8Y5M4N3B2V1",
     event_type="form_response")

spec(scheme="calendly", src="developer.calendly.com/api-docs/overview/webhooks/webhook-signatures",
     how="python3 't=' + ts + ',v1=' + hmac.new(key, ts + '.' + body, sha256).hexdigest()",
     secret=seeded("calendly"), wrong=seeded("calendly", "wrong"),
     body=cj({"event": "invitee.created", "created_at": "2023-11-14T22:13:20.000000Z",
              "payload": {"uri": "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAA"}}),
     make=stripe_like("Calendly-Webhook-Signature"), event_id=None, event_type="invitee.created", ts="unix")

spec(scheme="bitbucket", src="support.atlassian.com/bitbucket-cloud/docs/manage-webhooks; "
     "bitbucket.org/blog/enhanced-webhook-security",
     how="python3 'sha256=' + hmac.new(secret, body, sha256).hexdigest()",
     secret=seeded("bitbucket"), wrong=seeded("bitbucket", "wrong"),
     body=cj({"push": {"changes": [{"new": {"type": "branch", "name": "main"}}]},
              "repository": {"full_name": "hookq/hookq"}}),
     make=plain("X-Hub-Signature", HEX, prefix="sha256=",
                fixed={"X-Event-Key": "repo:push", "X-Request-UUID": "0d6e9e51-6d5b-4a8c-9c1e-3e8f7a6b5c4d",
                       "X-Hook-UUID": "8b0c1d2e-3f4a-5b6c-7d8e-9f0a1b2c3d4e"}),
     event_id="0d6e9e51-6d5b-4a8c-9c1e-3e8f7a6b5c4d", event_type="repo:push")

for _name, _pfx in (("gitea", "Gitea"), ("forgejo", "Forgejo")):
    spec(scheme=_name, src=("docs.gitea.com/usage/webhooks; go-gitea/gitea services/webhook/deliver.go"
                            if _name == "gitea" else "forgejo.org/docs/latest/user/webhooks"),
         how="python3 hmac.new(secret, body, sha256).hexdigest()",
         secret=seeded(_name), wrong=seeded(_name, "wrong"),
         body=cj({"ref": "refs/heads/main", "before": "0" * 40, "after": "a" * 40,
                  "repository": {"full_name": "hookq/hookq"}}),
         make=plain("X-%s-Signature" % _pfx, HEX,
                    fixed={"X-%s-Event" % _pfx: "push", "X-%s-Delivery" % _pfx: "f6266f16-1bf3-46a5-9ea4-602e06ead473"}),
         event_id="f6266f16-1bf3-46a5-9ea4-602e06ead473", event_type="push")

spec(scheme="sentry", src="docs.sentry.io/integrations/integration-platform/webhooks; getsentry/sentry "
     "src/sentry/sentry_apps/api/serializers/app_platform_event.py",
     how="python3 hmac.new(client_secret, body, sha256).hexdigest()",
     secret=seeded("sentry"), wrong=seeded("sentry", "wrong"),
     body=cj({"action": "created", "installation": {"uuid": "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"},
              "data": {"issue": {"id": "1170820242"}}}),
     make=plain("Sentry-Hook-Signature", HEX,
                fixed={"Sentry-Hook-Resource": "issue", "Sentry-Hook-Timestamp": "1700000000",
                       "Request-ID": "7b4c9a1e2d3f4e5a8b6c7d8e9f0a1b2c"}),
     event_id="7b4c9a1e2d3f4e5a8b6c7d8e9f0a1b2c", event_type="issue")

spec(scheme="workos", src="workos.com/docs/events/data-syncing/webhooks; workos/workos-node "
     "src/common/crypto/SignatureProvider.ts",
     how="python3 't=' + ts_ms + ', v1=' + hmac.new(secret, ts_ms + '.' + body, sha256).hexdigest()",
     secret=seeded("workos"), wrong=seeded("workos", "wrong"),
     body=cj({"id": "event_01HF3X2T9W6QZ7K8Y5M4N3B2V1", "event": "dsync.user.created",
              "data": {"id": "directory_user_01E1X56GH84T3FB41SD6PZGDBX"}}),
     make=stripe_like("WorkOS-Signature", item_sep=", "), event_id="event_01HF3X2T9W6QZ7K8Y5M4N3B2V1",
     event_type="dsync.user.created", ts="ms", tolerance=180)


def coinbase_extra(row, sp):
    # coinbase/coinbase-commerce-node test/testWebhook.spec.js
    secret = "30291a20-0bd1-4267-9b0f-e6e7b123c0bf"
    body = ('{"id":1,"scheduled_for":"2017-01-31T20:50:02Z","attempt_number":1,"event":{"id":'
            '"24934862-d980-46cb-9402-43c81b0cdba6","type":"charge:created","api_version":"2018-03-22",'
            '"created_at":"2017-01-31T20:49:02Z","data":{"code":"66BEOV2A","name":"The Sovereign Individual",'
            '"description":"Mastering the Transition to the Information Age","hosted_url":'
            '"https://commerce.coinbase.com/charges/66BEOV2A","created_at":"2017-01-31T20:49:02Z",'
            '"expires_at":"2017-01-31T21:04:02Z","timeline":[{"time":"2017-01-31T20:49:02Z","status":"NEW"}],'
            '"metadata":{},"pricing_type":"no_price","payments":[],"addresses":{"bitcoin":'
            '"0000000000000000000000000000000000","ethereum":"0x0000000000000000000000000000000000000000",'
            '"litecoin":"3000000000000000000000000000000000","bitcoincash":'
            '"bitcoincash:000000000000000000000000000000000000000000"}}}}')
    sig = "8be7742c7d372f08a6a3224edadf18a22b65fa9e28f3f2de97376cdaa092590d"
    assert sha256(secret, body).hex() == sig
    row("coinbase_commerce_published", "coinbase-commerce", [secret], {"X-CC-Webhook-Signature": sig},
        "stored", "the SDK test's signature for its body", "copied from the source; recomputed here: "
        + sp.how, "coinbase/coinbase-commerce-node test/testWebhook.spec.js", body=body,
        event_id="24934862-d980-46cb-9402-43c81b0cdba6", event_type="charge:created", published=True)


spec(scheme="coinbase-commerce", src="docs.cdp.coinbase.com/commerce/api-arcitecture/webhooks-security",
     how="python3 hmac.new(shared_secret, body, sha256).hexdigest()",
     secret=seeded("coinbase-commerce"), wrong=seeded("coinbase-commerce", "wrong"),
     body=cj({"id": "5f2b3c1a-0d9e-4f8a-b7c6-1e2d3f4a5b6c", "scheduled_for": "2023-11-14T22:13:20Z",
              "attempt_number": 1, "event": {"id": "a5f1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b",
                                             "type": "charge:confirmed", "data": {"code": "66BEOV2A"}}}),
     make=plain("X-CC-Webhook-Signature", HEX), event_id="a5f1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b",
     event_type="charge:confirmed", extra=coinbase_extra)

spec(scheme="razorpay", src="razorpay.com/docs/webhooks/validate-test; razorpay.com/docs/webhooks/best-practices",
     how="python3 hmac.new(webhook_secret, body, sha256).hexdigest()",
     secret=seeded("razorpay"), wrong=seeded("razorpay", "wrong"),
     body=cj({"entity": "event", "account_id": "acc_BFQ7uQEaa7j2z7", "event": "payment.captured",
              "payload": {"payment": {"entity": {"id": "pay_DESlfW9H8K9uqM", "amount": 100}}}}),
     make=plain("X-Razorpay-Signature", HEX, fixed={"x-razorpay-event-id": "Ev5M8tqRxZk1Qy"}),
     event_id="Ev5M8tqRxZk1Qy", event_type="payment.captured")

XERO_ITR = cj({"events": [], "firstEventSequence": 0, "lastEventSequence": 0,
               "entropy": "S0m3r4Nd0mT3xt"})


def xero_extra(row, sp):
    h = plain("x-xero-signature", b64)
    row("xero_intent_to_receive", "xero", [sp.secret], h(None, XERO_ITR, [sp.secret]), "stored",
        "Intent to Receive, rightly signed: 200 with no body (and stored: Xero tells it apart only by"
        " its empty events list)", sp.how, sp.src, body=XERO_ITR, event_id=body_id(XERO_ITR),
        event_type=None, answer={"status": 200, "content_type": None, "body": ""})
    row("xero_intent_to_receive_bad", "xero", [sp.secret], h(None, XERO_ITR, [sp.wrong]), "unauthorized",
        "Intent to Receive, wrongly signed on purpose: 401", sp.how, sp.src, body=XERO_ITR)


spec(scheme="xero", src="developer.xero.com/documentation/webhooks/configuring-your-server",
     how="python3 base64(hmac.new(webhook_key, body, sha256).digest())",
     secret=seeded("xero"), wrong=seeded("xero", "wrong"),
     body=cj({"events": [{"resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/1",
                          "resourceId": "f5b8a1c2-3d4e-4f50-8a6b-7c8d9e0f1a2b",
                          "eventDateUtc": "2023-11-14T22:13:20.000", "eventType": "UPDATE",
                          "eventCategory": "INVOICE", "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f",
                          "tenantType": "ORGANISATION"}],
              "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "CPCBNEXVXBRNTZEJSSPF"}),
     make=plain("x-xero-signature", b64), event_id=None, event_type=None, extra=xero_extra,
     answer={"status": 200, "content_type": None, "body": ""})

spec(scheme="quickbooks", src="developer.intuit.com/app/developer/qbo/docs/develop/webhooks/"
     "managing-webhooks-notifications; Java SDK com.intuit.ipp.services.WebhooksService",
     how="python3 base64(hmac.new(verifier_token, body, sha256).digest())",
     secret=seeded("quickbooks"), wrong=seeded("quickbooks", "wrong"),
     body=cj({"eventNotifications": [{"realmId": "1185883450", "dataChangeEvent": {"entities": [
         {"name": "Customer", "id": "1", "operation": "Create", "lastUpdated": "2023-11-14T22:13:20.000Z"}]}}]}),
     make=plain("intuit-signature", b64), event_id=None, event_type=None)

spec(scheme="lemonsqueezy", src="docs.lemonsqueezy.com/help/webhooks/signing-requests",
     how="python3 hmac.new(signing_secret, body, sha256).hexdigest()",
     secret=seeded("lemonsqueezy")[:40], wrong=seeded("lemonsqueezy", "wrong")[:40],
     body=cj({"meta": {"event_name": "order_created"}, "data": {"type": "orders", "id": "1"}}),
     make=plain("X-Signature", HEX, fixed={"X-Event-Name": "order_created"}),
     event_id=None, event_type="order_created")

spec(scheme="paystack", src="paystack.com/docs/payments/webhooks",
     how="python3 hmac.new(secret_key, body, sha512).hexdigest()",
     secret="sk_test_" + hashlib.sha256(b"hookq paystack").hexdigest()[:40],
     wrong="sk_test_" + hashlib.sha256(b"hookq paystack wrong").hexdigest()[:40],
     body=cj({"event": "charge.success", "data": {"id": 302961, "reference": "qTPrJoy9Bx", "amount": 10000}}),
     make=plain("x-paystack-signature", HEX, alg=sha512), event_id=None, event_type="charge.success")

spec(scheme="webflow", src="developers.webflow.com/data/docs/working-with-webhooks",
     how="python3 hmac.new(client_secret, ts_ms + ':' + body, sha256).hexdigest()",
     secret=seeded("webflow"), wrong=seeded("webflow", "wrong"),
     body=cj({"triggerType": "form_submission", "payload": {"name": "Contact", "siteId": "65427cf400e02b306eaa049c"}}),
     make=plain("x-webflow-signature", HEX, signed=lambda ts, body: ts + ":" + body,
                ts_header="x-webflow-timestamp"),
     event_id=None, event_type="form_submission", ts="ms")

spec(scheme="customerio", src="docs.customer.io/api/webhooks (Securely Verifying Requests)",
     how="python3 hmac.new(signing_key, 'v0:' + ts + ':' + body, sha256).hexdigest()",
     secret=seeded("customerio"), wrong=seeded("customerio", "wrong"),
     body=cj({"event_id": "01E4C4C6P79C12J5A6KPE6XNFD", "object_type": "email", "metric": "delivered",
              "timestamp": 1700000000, "data": {"customer_id": "42"}}),
     make=plain("X-CIO-Signature", HEX, signed=lambda ts, body: "v0:" + ts + ":" + body,
                ts_header="X-CIO-Timestamp"),
     event_id="01E4C4C6P79C12J5A6KPE6XNFD", event_type="delivered", ts="unix")


def persona_make(ts, body, secrets):
    # One "t=...,v1=..." set per secret, sets separated by a space (rotation).
    return {"Persona-Signature": " ".join("t=%s,v1=%s" % (ts, sha256(s, ts + "." + body).hex())
                                          for s in secrets)}


spec(scheme="persona", src="docs.withpersona.com/docs/webhooks-best-practices",
     how="python3 't=' + ts + ',v1=' + hmac.new(secret, ts + '.' + body, sha256).hexdigest()",
     secret="wbhsec_" + hashlib.sha256(b"hookq persona").hexdigest()[:32],
     wrong="wbhsec_" + hashlib.sha256(b"hookq persona wrong").hexdigest()[:32],
     body=cj({"data": {"type": "event", "id": "evt_XGuYWp8WnF9k3ZmCbSqUTFvA",
                       "attributes": {"name": "inquiry.completed", "payload": {}}}}),
     make=persona_make, event_id="evt_XGuYWp8WnF9k3ZmCbSqUTFvA", event_type="inquiry.completed",
     ts="unix", multi_sig=True)

spec(scheme="mux", src="mux.com/docs/core/verify-webhook-signatures",
     how="python3 't=' + ts + ',v1=' + hmac.new(secret, ts + '.' + body, sha256).hexdigest()",
     secret=seeded("mux"), wrong=seeded("mux", "wrong"),
     body=cj({"type": "video.asset.ready", "id": "3a56ac3d-33da-4366-855b-f592d898409d",
              "object": {"type": "asset", "id": "0201p02fGKPE7MrbC269XRD7LpcHhrmbu0002"}}),
     make=stripe_like("Mux-Signature"), event_id="3a56ac3d-33da-4366-855b-f592d898409d",
     event_type="video.asset.ready", ts="unix")


def box_make(ts, body, secrets):
    # secrets[0] signs the primary header, secrets[1] (when given) the secondary.
    h = {"BOX-DELIVERY-ID": "f96bb54b-ee16-4fc5-aa65-8c2d9e5b546f", "BOX-DELIVERY-TIMESTAMP": ts,
         "BOX-SIGNATURE-ALGORITHM": "HmacSHA256", "BOX-SIGNATURE-VERSION": "1"}
    h["BOX-SIGNATURE-PRIMARY"] = b64(sha256(secrets[0], body + ts))
    if len(secrets) > 1:
        h["BOX-SIGNATURE-SECONDARY"] = b64(sha256(secrets[1], body + ts))
    return h


def box_extra(row, sp):
    # box/box-node-sdk tests/lib/managers/webhooks-test.js; its body has no id: the hash is one.
    src = "box/box-node-sdk tests/lib/managers/webhooks-test.js"
    body = ('{"type":"webhook_event","webhook":{"id":"1234567890"},"trigger":"FILE.UPLOADED",'
            '"source":{"id":"1234567890","type":"file","name":"Test.txt"}}')
    ts = "2020-01-01T00:00:00-07:00"
    prim, sec = "6TfeAW3A1PASkgboxxA5yqHNKOwFyMWuEXny/FPD5hI=", "v+1CD1Jdo3muIcbpv5lxxgPglOqMfsNHPV899xWYydo="
    assert b64(sha256("SamplePrimaryKey", body + ts)) == prim
    assert b64(sha256("SampleSecondaryKey", body + ts)) == sec
    now = int(datetime.datetime(2020, 1, 1, 7, 0, 0, tzinfo=datetime.timezone.utc).timestamp())
    for nm, keys, hdr, why in [
            ("published_primary", ["SamplePrimaryKey"], {"BOX-SIGNATURE-PRIMARY": prim},
             "the SDK's primary signature under the primary key"),
            ("published_secondary", ["SampleSecondaryKey"], {"BOX-SIGNATURE-SECONDARY": sec},
             "only the secondary header, under the secondary key"),
            ("published_both", ["SampleSecondaryKey", "SamplePrimaryKey"],
             {"BOX-SIGNATURE-PRIMARY": prim, "BOX-SIGNATURE-SECONDARY": sec},
             "both headers and both keys (a secret_file of two lines)")]:
        hdr = dict(hdr, **{"BOX-DELIVERY-TIMESTAMP": ts})
        row("box_" + nm, "box", keys, hdr, "stored", why, "copied from the source", src, body=body,
            now=now, tolerance=600, event_id=body_id(body), event_type="FILE.UPLOADED", published=True)
    row("box_published_wrong_key", "box", ["SampleSecondaryKey"], {"BOX-SIGNATURE-PRIMARY": prim,
                                                                   "BOX-DELIVERY-TIMESTAMP": ts},
        "unauthorized", "the primary signature under the secondary key only", "copied from the source",
        src, body=body, now=now, tolerance=600, published=True)


spec(scheme="box", src="developer.box.com/guides/webhooks/v2/signatures-v2",
     how="python3 base64(hmac.new(key, body + timestamp, sha256).digest()), primary and secondary key",
     secret=seeded("box"), wrong=seeded("box", "wrong"),
     body=cj({"type": "webhook_event", "id": "c3d2a0b9-6f5e-4d3c-8b1a-0f9e8d7c6b5a",
              "created_at": "2023-11-14T22:13:20-00:00", "trigger": "FILE.UPLOADED",
              "webhook": {"id": "1234567890"}, "source": {"id": "1234567890", "type": "file"}}),
     make=box_make, event_id="c3d2a0b9-6f5e-4d3c-8b1a-0f9e8d7c6b5a", event_type="FILE.UPLOADED",
     ts="iso", tolerance=600, multi_sig=True, extra=box_extra)


def dropbox_extra(row, sp):
    # A vector of hapi-dropbox-webhooks' tests (not Dropbox's own), checked here.
    body, sig = '{"delta": {"users": [12345]}}', "0a8c16b085420b960dc78664279fe09e936a2a01b1f91064869d9e77dfd64529"
    assert sha256("the_secret", body).hex() == sig
    row("dropbox_third_party", "dropbox", ["the_secret"], {"X-Dropbox-Signature": sig}, "stored",
        "a third-party library's test vector", "copied from hapi-dropbox-webhooks' tests; recomputed here",
        "npm hapi-dropbox-webhooks test", body=body, event_id=body_id(body), event_type=None)
    for nm, q, exp, why, a in [
            ("challenge", "challenge=4Kq1tJ9v8dXWmZ3r", "handshake",
             "the verification GET: the challenge back, text/plain", "4Kq1tJ9v8dXWmZ3r"),
            ("challenge_encoded", "challenge=a%20b%2Bc", "handshake",
             "the challenge is URL-decoded", "a b+c"),
            ("no_challenge", "", "forbidden", "a GET without challenge is 403", None)]:
        row("dropbox_get_" + nm, "dropbox", [sp.secret], {}, exp, why, "no signature: the GET is an echo",
            sp.src, method="GET", query=q, content_type=None,
            answer=None if a is None else {"status": 200, "content_type": "text/plain", "body": a})


spec(scheme="dropbox", src="dropbox.com/developers/reference/webhooks",
     how="python3 hmac.new(app_secret, body, sha256).hexdigest()",
     secret=seeded("dropbox")[:15], wrong=seeded("dropbox", "wrong")[:15],
     body=cj({"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]},
              "delta": {"users": [12345678]}}),
     make=plain("X-Dropbox-Signature", HEX), event_id=None, event_type=None, extra=dropbox_extra)


def twitter_extra(row, sp):
    token = "9b4507b3-9040-4669-9ca3-6b94edb50553"
    resp = "sha256=" + b64(sha256(sp.secret, token))
    row("twitter_crc", "twitter", [sp.secret], {}, "handshake",
        "the CRC GET: {\"response_token\": \"sha256=\" + base64 HMAC-SHA256(consumer secret, crc_token)}",
        "python3 'sha256=' + base64(hmac.new(consumer_secret, crc_token, sha256).digest())", sp.src,
        method="GET", query="crc_token=" + token, content_type=None,
        answer={"status": 200, "content_type": "application/json", "body": cj({"response_token": resp})})
    row("twitter_crc_rotation", "twitter", [sp.wrong, sp.secret], {}, "handshake",
        "with two secret lines the CRC answer is made with the first", "as twitter_crc, first line",
        sp.src, method="GET", query="crc_token=" + token, content_type=None,
        answer={"status": 200, "content_type": "application/json",
                "body": cj({"response_token": "sha256=" + b64(sha256(sp.wrong, token))})})
    row("twitter_get_no_token", "twitter", [sp.secret], {}, "forbidden", "a GET without crc_token is 403",
        "no signature", sp.src, method="GET", query="", content_type=None)


spec(scheme="twitter", src="developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks",
     how="python3 'sha256=' + base64(hmac.new(consumer_secret, body, sha256).digest())",
     secret="z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu", wrong=seeded("twitter", "wrong"),
     body=cj({"for_user_id": "2244994945", "tweet_create_events": [{"id_str": "1724583021111111111"}]}),
     make=plain("x-twitter-webhooks-signature", b64, prefix="sha256="), event_id=None, event_type=None,
     extra=twitter_extra)


def postmark_make(ts, body, secrets):
    return {"Authorization": "Basic " + b64(secrets[-1].encode())}


def postmark_extra(row, sp):
    row("postmark_no_auth", "postmark", [sp.secret], {}, "unauthorized", "no Authorization header",
        "no credentials", sp.src, body=sp.body)
    row("postmark_bearer", "postmark", [sp.secret], {"Authorization": "Bearer " + b64(sp.secret.encode())},
        "unauthorized", "the credentials under another scheme than Basic", "hand-written", sp.src, body=sp.body)
    row("postmark_plain_not_base64", "postmark", [sp.secret], {"Authorization": "Basic " + sp.secret},
        "unauthorized", "user:password not base64-encoded", "hand-written", sp.src, body=sp.body)


spec(scheme="postmark", src="postmarkapp.com/developer/webhooks/webhooks-overview (basic auth in the URL)",
     how="python3 'Basic ' + base64('user:password')",
     secret="hookq:" + hashlib.sha256(b"hookq postmark").hexdigest()[:24],
     wrong="hookq:" + hashlib.sha256(b"hookq postmark wrong").hexdigest()[:24],
     body=cj({"RecordType": "Delivery", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
              "Recipient": "john@example.com", "DeliveredAt": "2023-11-14T22:13:20Z"}),
     make=postmark_make, event_id=None, event_type="Delivery", extra=postmark_extra)

spec(scheme="shopify-events", src="shopify.dev/docs/apps/build/events/verify-deliveries",
     how="python3 base64(hmac.new(client_secret, body, sha256).digest())",
     secret=seeded("shopify-events"), wrong=seeded("shopify-events", "wrong"),
     body=cj({"topic": "Product", "action": "update", "handle": "product-updates",
              "fields": {"id": "gid://shopify/Product/1"}}),
     make=plain("Shopify-Hmac-Sha256", b64, fixed={"Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"}),
     event_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", event_type="Product")

# ============================== HMAC-SHA1 (libcrypto) =============================

TRELLO_URL = "https://hooks.example.com/hookq/hooks/trello"


def trello_extra(row, sp):
    row("trello_head", "trello", [sp.secret], {}, "handshake",
        "the HEAD Trello sends when a webhook is made: 200", "no signature", sp.src, method="HEAD",
        query="", content_type=None, config=sp.config,
        answer={"status": 200, "content_type": "text/plain", "body": ""})
    h = plain("X-Trello-Webhook", b64, alg=sha1, signed=lambda ts, body: body)
    row("trello_without_url", "trello", [sp.secret], h(None, sp.body, [sp.secret]), "unauthorized",
        "signed over the body alone, without the callback URL", "python3 base64(hmac sha1 of body)",
        sp.src, body=sp.body, config=sp.config)


spec(scheme="trello", src="developer.atlassian.com/cloud/trello/guides/rest-api/webhooks (webhook signatures)",
     how="python3 base64(hmac.new(app_secret, body + callbackURL, sha1).digest())",
     secret=hashlib.sha256(b"hookq trello").hexdigest(), wrong=hashlib.sha256(b"hookq trello wrong").hexdigest(),
     body=cj({"action": {"id": "51f9424bcd6e040f3c002412", "type": "updateCard",
                         "date": "2023-11-14T22:13:20.000Z"}, "model": {"id": "4d5ea62fd76aa1136000000c"}}),
     make=plain("X-Trello-Webhook", b64, alg=sha1, signed=lambda ts, body: body + TRELLO_URL),
     event_id="51f9424bcd6e040f3c002412", event_type="updateCard", config={"notification_url": TRELLO_URL},
     extra=trello_extra)


def intercom_extra(row, sp):
    h = plain("X-Hub-Signature", HEX, prefix="sha256=")
    row("intercom_sha256_refused", "intercom", [sp.secret], h(None, sp.body, [sp.secret]), "unauthorized",
        "an HMAC-SHA256 under a sha256= prefix: Intercom signs SHA-1", "python3 hmac sha256", sp.src,
        body=sp.body)


spec(scheme="intercom", src="developers.intercom.com/docs/webhooks/webhook-notifications (signed notifications)",
     how="python3 'sha1=' + hmac.new(client_secret, body, sha1).hexdigest()",
     secret=seeded("intercom"), wrong=seeded("intercom", "wrong"),
     body=cj({"type": "notification_event", "id": "notif_ccd8a4d2-3a5c-4a0b-9f37-1b7c2b1e0f1a",
              "topic": "conversation.user.created", "data": {"item": {"type": "conversation", "id": "147"}}}),
     make=plain("X-Hub-Signature", HEX, alg=sha1, prefix="sha1="),
     event_id="notif_ccd8a4d2-3a5c-4a0b-9f37-1b7c2b1e0f1a", event_type="conversation.user.created",
     extra=intercom_extra)

spec(scheme="vercel", src="vercel.com/docs/webhooks/webhooks-api (Securing webhooks)",
     how="python3 hmac.new(secret, body, sha1).hexdigest()",
     secret=seeded("vercel"), wrong=seeded("vercel", "wrong"),
     body=cj({"id": "uev_3bTzgnqOIvC8aBTcQJQ8iIS9", "type": "deployment.created", "createdAt": 1700000000000,
              "payload": {"deployment": {"id": "dpl_2euZBFqxYdDMDG1jTrHFnNZ2eUVa"}}}),
     make=plain("x-vercel-signature", HEX, alg=sha1), event_id="uev_3bTzgnqOIvC8aBTcQJQ8iIS9",
     event_type="deployment.created")

spec(scheme="helpscout", src="developer.helpscout.com/webhooks",
     how="python3 base64(hmac.new(secret_key, body, sha1).digest())",
     secret=seeded("helpscout"), wrong=seeded("helpscout", "wrong"),
     body=cj({"id": 1234, "number": 56, "subject": "Refund", "status": "active"}),
     make=plain("X-HelpScout-Signature", b64, alg=sha1, fixed={"X-HelpScout-Event": "convo.created"}),
     event_id=None, event_type="convo.created")

spec(scheme="segment", src="segment.com/docs/connections/destinations/catalog/actions-webhook; "
     "segmentio/action-destinations packages/destination-actions/src/destinations/webhook/index.ts",
     how="python3 hmac.new(shared_secret, body, sha1).hexdigest()",
     secret=seeded("segment"), wrong=seeded("segment", "wrong"),
     body=cj({"type": "track", "event": "Order Completed", "messageId": "ajs-next-1700000000000-0f3c",
              "userId": "u-42"}),
     make=plain("X-Signature", HEX, alg=sha1), event_id="ajs-next-1700000000000-0f3c", event_type="track")

# Twilio signs the URL it requested (notification_url + "?" + query) and the
# form's pairs sorted by name, each name then its value; twilio-python
# tests/unit/test_request_validator.py prints the vectors checked below.
TWILIO_SRC = ("twilio.com/docs/usage/webhooks/webhooks-security; twilio/twilio-python "
              "tests/unit/test_request_validator.py")
TWILIO_HOW = ("python3 base64(hmac.new(auth_token, url + '?' + query + ''.join(k + v for k, v in "
              "sorted(form pairs)), sha1).digest())")
TWILIO_URL = "https://hooks.example.com/hookq/hooks/twilio"


def twilio_sig(token, url, query, body, form=True):
    signed = url + ("?" + query if query else "")
    if form:
        pairs = urllib.parse.parse_qsl(body, keep_blank_values=True)
        signed += "".join(k + v for k, v in sorted(pairs))
    return b64(sha1(token, signed))


def twilio_make(query):
    def make(ts, body, secrets):
        return {"X-Twilio-Signature": twilio_sig(secrets[-1], TWILIO_URL, query, body)}
    return make


def twilio_extra(row, sp):
    url, query = "https://mycompany.com/myapp.php", "foo=1&bar=2"
    form = urllib.parse.urlencode([("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"),
                                   ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212")])
    sig = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio_sig("12345", url, query, form) == sig
    formct = "application/x-www-form-urlencoded"
    row("twilio_published_form", "twilio", ["12345"], {"X-Twilio-Signature": sig}, "stored",
        "twilio-python's test_validation vector: URL with a query, five POST parameters",
        "copied from the source; recomputed here: " + TWILIO_HOW, TWILIO_SRC, body=form,
        content_type=formct, query=query, config={"notification_url": url}, event_id=body_id(form),
        event_type=None, published=True)
    row("twilio_published_form_reordered", "twilio", ["12345"], {"X-Twilio-Signature": sig}, "stored",
        "the same parameters posted in another order: Twilio signs them sorted",
        "copied from the source", TWILIO_SRC, body="&".join(reversed(form.split("&"))),
        content_type=formct, query=query, config={"notification_url": url},
        event_id=body_id("&".join(reversed(form.split("&")))), event_type=None, published=True)
    row("twilio_published_query_dropped", "twilio", ["12345"], {"X-Twilio-Signature": sig},
        "unauthorized", "the same request without its query string", "copied from the source",
        TWILIO_SRC, body=form, content_type=formct, query="", config={"notification_url": url},
        published=True)
    dup = urllib.parse.urlencode([("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"),
                                  ("Digits", "1234")])
    assert twilio_sig("12345", url, query, dup) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    row("twilio_published_duplicate_keys", "twilio", ["12345"],
        {"X-Twilio-Signature": "IK+Dwps556ElfBT0I3Rgjkr1wJU="}, "stored",
        "twilio-python's duplicate-parameter vector: Digits twice, values sorted too",
        "copied from the source", TWILIO_SRC, body=dup, content_type=formct, query=query,
        config={"notification_url": url}, event_id=body_id(dup), event_type=None, published=True)
    body = '{"property": "value", "boolean": true}'
    bq = query + "&bodySHA256=" + hashlib.sha256(body.encode()).hexdigest()
    assert hashlib.sha256(body.encode()).hexdigest() == \
        "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    assert twilio_sig("12345", url, bq, body, form=False) == "a9nBmqA0ju/hNViExpshrM61xv4="
    for nm, b, q, exp, why in [
            ("published_json", body, bq, "stored", "twilio-python's JSON vector: the body is covered by"
             " bodySHA256 in the signed URL"),
            ("published_json_body_changed", body.replace("value", "valuE"), bq, "unauthorized",
             "the JSON body changed: its hash no longer matches bodySHA256"),
            ("published_json_no_hash", body, query, "unauthorized",
             "a JSON body without bodySHA256 (signed over the URL alone)")]:
        sg = "a9nBmqA0ju/hNViExpshrM61xv4=" if q == bq else twilio_sig("12345", url, q, b, form=False)
        row("twilio_" + nm, "twilio", ["12345"], {"X-Twilio-Signature": sg}, exp, why,
            "copied from the source; recomputed here", TWILIO_SRC, body=b, query=q,
            config={"notification_url": url}, published=True,
            **(dict(event_id=body_id(b), event_type=None) if exp == "stored" else {}))


_TW_FORM = urllib.parse.urlencode([("MessageSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"),
                                   ("MessageStatus", "delivered"), ("AccountSid", "AC0123456789abcdef"),
                                   ("To", "+15558675310"), ("From", "+15017122661")])
spec(scheme="twilio", src=TWILIO_SRC, how=TWILIO_HOW, secret=hashlib.sha256(b"hookq twilio").hexdigest()[:32],
     wrong=hashlib.sha256(b"hookq twilio wrong").hexdigest()[:32], body=_TW_FORM,
     make=twilio_make("hookq=1"), event_id=None, event_type="delivered", query="hookq=1",
     content_type="application/x-www-form-urlencoded", config={"notification_url": TWILIO_URL},
     extra=twilio_extra)

# ============================== ECDSA P-256 (libcrypto) ===========================

SG_SRC = ("twilio.com/docs/sendgrid/for-developers/tracking-events/"
          "getting-started-event-webhook-security-features")
SG_HOW = "ECDSA P-256 over SHA-256 of timestamp + body, DER, base64 (the cryptography package)"
# The sender's own key here is derived from a seed, as the Ed25519 ones are (make_sender_vectors.py).
SG_SEED = int.from_bytes(hashlib.sha256(b"hookq sender test sendgrid").digest(), "big")
SG_WRONG_SEED = int.from_bytes(hashlib.sha256(b"hookq sender test sendgrid wrong").digest(), "big")
_SG_KEY_FILE = os.environ.get("SENDGRID_KEY_PEM")  # the live test's key, made by openssl


def _p256(seed):
    from cryptography.hazmat.primitives.asymmetric import ec
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(seed % (n - 1) + 1, ec.SECP256R1())


def _spki_b64(key):
    from cryptography.hazmat.primitives import serialization
    return b64(key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo))


def p256_sign(seed, msg):
    """DER ECDSA signature, base64: with cryptography, or (live) with openssl and SENDGRID_KEY_PEM."""
    if seed is None:
        with tempfile.NamedTemporaryFile() as f:
            f.write(_b(msg))
            f.flush()
            return b64(subprocess.run(["openssl", "dgst", "-sha256", "-sign", _SG_KEY_FILE, f.name],
                                      check=True, capture_output=True).stdout)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    try:  # RFC 6979, so the vectors come out the same each time (cryptography >= 43)
        alg = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    except TypeError:
        alg = ec.ECDSA(hashes.SHA256())
    return b64(_p256(seed).sign(_b(msg), alg))


def sendgrid_make(ts, body, secrets):
    # secrets are public keys: the signer is the seed whose key it is (None: the live key).
    seed = {SG_PUBLIC: SG_SEED, SG_WRONG_PUBLIC: SG_WRONG_SEED}.get(secrets[-1])
    return {"X-Twilio-Email-Event-Webhook-Timestamp": ts,
            "X-Twilio-Email-Event-Webhook-Signature": p256_sign(seed, ts + body)}


def sendgrid_extra(row, sp):
    for nm, key, ts, body, sig, src in [
            ("published_node", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbh"
             "dbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==", "1588788367",
             '{"category":"example_payload","event":"test_event","message_id":"message_id"}',
             "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=",
             "sendgrid/sendgrid-nodejs packages/eventwebhook/src/eventwebhook.spec.js"),
            ("published_python", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1"
             "flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==", "1600112502",
             '[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":'
             '"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":'
             '"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":'
             '"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]\r\n',
             "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=",
             "sendgrid/sendgrid-python test/unit/test_eventwebhook.py")]:
        _check_p256(key, ts + body, sig)
        hdr = {"X-Twilio-Email-Event-Webhook-Timestamp": ts, "X-Twilio-Email-Event-Webhook-Signature": sig}
        row("sendgrid_" + nm, "sendgrid", [key], hdr, "stored", "the SDK test's signature for its payload",
            "copied from the source; checked here with the cryptography package", src, body=body,
            now=int(ts), tolerance=sp.tolerance, event_id=body_id(body), event_type=None, published=True)
        row("sendgrid_" + nm + "_tampered", "sendgrid", [key], hdr, "unauthorized",
            "the SDK test's signature over a body with one more space", "copied from the source", src,
            body=body.replace(":", ": ", 1), now=int(ts), tolerance=sp.tolerance, published=True)


def _check_p256(key_b64, msg, sig_b64):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    k = serialization.load_der_public_key(base64.b64decode(key_b64))
    k.verify(base64.b64decode(sig_b64), _b(msg), ec.ECDSA(hashes.SHA256()))


try:
    SG_PUBLIC, SG_WRONG_PUBLIC = _spki_b64(_p256(SG_SEED)), _spki_b64(_p256(SG_WRONG_SEED))
except ImportError:  # the live test signs with openssl and needs no seeded key
    SG_PUBLIC, SG_WRONG_PUBLIC = "seeded-key-needs-cryptography", "-"

spec(scheme="sendgrid", src=SG_SRC, how=SG_HOW, secret=SG_PUBLIC, wrong=SG_WRONG_PUBLIC,
     body=cj([{"email": "example@test.com", "timestamp": 1700000000, "event": "delivered",
               "sg_event_id": "sg_event_id", "sg_message_id": "sg_message_id"}]) + "\r\n",
     make=sendgrid_make, event_id=None, event_type=None, ts="unix", tolerance=25 * 3600,
     extra=sendgrid_extra)

# GitLab's signing tokens (gitlab-org/gitlab merge requests 230944, 231325):
# Standard Webhooks headers, webhook-id the Idempotency-Key, a whsec_ token,
# beside the legacy X-Gitlab-Token rows of make_sender_vectors.py.
GLS_SRC = ("gitlab-org/gitlab merge requests 230944 (Add webhook HMAC signing token) and 231325; "
           + SW_SRC)
GLS_TOKEN = "hq_" + hashlib.sha256(b"hookq sender test gitlab secret").hexdigest()[:40]
GLS_KEY = whsec(hashlib.sha256(b"hookq gitlab signing token").digest())
GLS_WRONG = whsec(hashlib.sha256(b"hookq gitlab signing token wrong").digest())
GLS_IDEM = "3b9c2d1e-7f4a-4e8b-9c6d-0a1b2c3d4e5f"
GLS_BODY = cj({"object_kind": "push", "event_name": "push", "ref": "refs/heads/main",
               "project": {"path_with_namespace": "hookq/hookq"}})


def gitlab_signed_rows(row):
    def hdr(key, token=None, ts=str(NOW)):
        h = {"X-Gitlab-Event": "Push Hook", "Idempotency-Key": GLS_IDEM, "webhook-id": GLS_IDEM,
             "webhook-timestamp": ts,
             "webhook-signature": "v1," + b64(sha256(whsec_key(key), "%s.%s.%s" % (GLS_IDEM, ts, GLS_BODY)))}
        if token is not None:
            h["X-Gitlab-Token"] = token
        return h
    kw = dict(body=GLS_BODY)
    stored = dict(event_id=GLS_IDEM, event_type="Push Hook")
    row("gitlab_signing_token", "gitlab", [GLS_KEY], hdr(GLS_KEY), "stored",
        "a webhook with a signing token: verified as Standard Webhooks under the whsec_ line",
        SW_HOW, GLS_SRC, **kw, **stored)
    row("gitlab_signing_token_and_secret", "gitlab", [GLS_TOKEN, GLS_KEY], hdr(GLS_KEY, GLS_TOKEN),
        "stored", "a token line and a whsec_ line; both headers sent: the signature is what counts",
        SW_HOW, GLS_SRC, **kw, **stored)
    row("gitlab_signing_token_wrong_token_header", "gitlab", [GLS_TOKEN, GLS_KEY],
        hdr(GLS_KEY, "not-the-token"), "stored",
        "a good signature with a wrong X-Gitlab-Token beside it: the signature is verified, not the token",
        SW_HOW, GLS_SRC, **kw, **stored)
    row("gitlab_signing_token_wrong_key", "gitlab", [GLS_TOKEN, GLS_KEY], hdr(GLS_WRONG, GLS_TOKEN),
        "unauthorized", "signed with another signing token: 401, though X-Gitlab-Token is right",
        SW_HOW, GLS_SRC, **kw)
    row("gitlab_signing_token_no_whsec_line", "gitlab", [GLS_TOKEN], hdr(GLS_KEY, GLS_TOKEN),
        "unauthorized", "a signed request to a source with only a token line: 401", SW_HOW, GLS_SRC, **kw)
    row("gitlab_signing_token_stale", "gitlab", [GLS_KEY], hdr(GLS_KEY, ts=str(NOW - TOL - 1)),
        "unauthorized", "a signing-token request older than the tolerance", SW_HOW, GLS_SRC, **kw)
    legacy = {"X-Gitlab-Event": "Push Hook", "Idempotency-Key": GLS_IDEM, "X-Gitlab-Token": GLS_KEY}
    row("gitlab_legacy_token_like_whsec", "gitlab", [GLS_KEY], legacy, "stored",
        "a legacy Secret token that looks like a signing token still works as a token",
        "the token itself in X-Gitlab-Token", GLS_SRC, **kw, **stored)
    row("gitlab_legacy_token_like_whsec_not_base64", "gitlab", ["whsec_not base64!"],
        dict(legacy, **{"X-Gitlab-Token": "whsec_not base64!"}), "stored",
        "a whsec_ token that does not decode is a token only: the source loads, the token works",
        "the token itself in X-Gitlab-Token", GLS_SRC, **kw, **stored)


# ============================== RSA with a certificate (libcrypto) ================

SNS_SRC = ("docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html; "
           "aws/aws-php-sns-message-validator tests/FunctionalValidationsTest.php")
SNS_HOW = ("RSA PKCS#1 v1.5 (SHA-1 for SignatureVersion 1, SHA-256 for 2) of 'Name\\nValue\\n' for each "
           "of Message, MessageId, Subject, SubscribeURL, Timestamp, Token, TopicArn, Type present "
           "(the cryptography package; openssl dgst when live)")
SNS_FIELDS = ["Message", "MessageId", "Subject", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
# The certificate AWS's own validator tests with (CN sns.amazonaws.com, expired 2022-08-17:
# hookq checks no dates), base64 of its DER, and four messages it signed.
SNS_AWS_CERT = (
    "MIIF1zCCBL+gAwIBAgIQB9pYWG3Mi7xej22g9pobJTANBgkqhkiG9w0BAQsFADBGMQswCQYDVQQGEwJVUzEPMA0G"
    "A1UEChMGQW1hem9uMRUwEwYDVQQLEwxTZXJ2ZXIgQ0EgMUIxDzANBgNVBAMTBkFtYXpvbjAeFw0yMTA5MDcwMDAw"
    "MDBaFw0yMjA4MTcyMzU5NTlaMBwxGjAYBgNVBAMTEXNucy5hbWF6b25hd3MuY29tMIIBIjANBgkqhkiG9w0BAQEF"
    "AAOCAQ8AMIIBCgKCAQEAutFqueT3XgP13udzxE6UpbdjOtVO5DwoMpSMiDNMnGzF1TYH5/R2LPUOBeTB0SkKnR4k"
    "pNcUZhicpGD4aKciz/GEZ6wu65xncfT9H/KBOQwoXYTuClHwp6fYpGzcGFaFoEYMnijL/o4qmTSd+ukglQUgKpsD"
    "w4ofw6rUm2CttJo+GQSNQ9NfGR1h/0J+zsApkeSYrXRx5wNlu87z8os1C/6PBrUHwt3xXeafXzfwut8aRRYsS8By"
    "SOA9DAgLfNHlfdQCjKPXKrG/ussgReyWD6n/HH+j7Uha3xosTzQqJifcxlTq6MxWdPR6fDaJNvqw6DOE7UjUNxHg"
    "uXHlVfxhlQIDAQABo4IC6TCCAuUwHwYDVR0jBBgwFoAUWaRmBlKge5WSPKOUByeWdFv5PdAwHQYDVR0OBBYEFAqz"
    "C+vyouneE7mWWLbi9i0UsWUbMBwGA1UdEQQVMBOCEXNucy5hbWF6b25hd3MuY29tMA4GA1UdDwEB/wQEAwIFoDAd"
    "BgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwOwYDVR0fBDQwMjAwoC6gLIYqaHR0cDovL2NybC5zY2ExYi5h"
    "bWF6b250cnVzdC5jb20vc2NhMWIuY3JsMBMGA1UdIAQMMAowCAYGZ4EMAQIBMHUGCCsGAQUFBwEBBGkwZzAtBggr"
    "BgEFBQcwAYYhaHR0cDovL29jc3Auc2NhMWIuYW1hem9udHJ1c3QuY29tMDYGCCsGAQUFBzAChipodHRwOi8vY3J0"
    "LnNjYTFiLmFtYXpvbnRydXN0LmNvbS9zY2ExYi5jcnQwDAYDVR0TAQH/BAIwADCCAX0GCisGAQQB1nkCBAIEggFt"
    "BIIBaQFnAHYAKXm+8J45OSHwVnOfY6V35b5XfZxgCvj5TV0mXCVdx4QAAAF7vfDVkQAABAMARzBFAiEA2XfHuy36"
    "aqRFiaL8c3md2mH451go8707+fRE0pEdSRACIE/g5FXTUXUZPFcmOhm9TZ+uMY1i4CIQ/CKVWln6C3t+AHYAUaOw"
    "9f0BeZxWbbg3eI8MpHrMGyfL956IQpoN/tSLBeUAAAF7vfDVjAAABAMARzBFAiBF1MhhFP0+FQt3daDFfMYoWwnr"
    "muTInrjNpwfzlvQBugIhAPYadFzr+LaxSJoiZEbEHBvTts7bT0M3eCQONA2O7w6nAHUAQcjKsd8iRkoQxqE6CUKH"
    "Xk4xixsD6+tLx2jwkGKWBvYAAAF7vfDVdAAABAMARjBEAiAtPapmFAuA71ih4NoSd5hJelzAltNQpxDMcDfDyHyU"
    "8gIgWxmaa6+2KbBu9xdv379zvnJACFR7jc+4asl08Dn4aagwDQYJKoZIhvcNAQELBQADggEBAA54QX0uoFWXfMmv"
    "02CGZv4NWo5TapyeeixQ2kKpZHRdVZjxZrw+hoF6HD7P3kGjH8ztyJlltDxB0qgMltbPhQdScwhA6iTgoaBYqEUC"
    "/VHKd4PmmPT6yIsM36NBZVmkGlzl5uNo/dBgBaG0SsVJnhr5zro3c2quC7n6fVGEZhf/UgQwRnnvThnvbNKguglD"
    "Mq4uEqv8njKyleht+glkcmXO0m9qLKt6BOS0amy6U2GlAwRn0Wx02ndJtnRCSC6kPuRWK/SQFEjB7gCK4hdKaAOu"
    "WdZpI55vF6ifOeM8toC3g7ofO8qLTnJupAG+ZitY5J3cvHWrHqOUdKigPDHYLRo=")
SNS_AWS = [
    ("792cda85-518f-5dd3-9163-81d851212f3a", "publish-and-verify-892f85fe-4836-424d-8188-ab85bef0f362",
     None, "2022-07-28T21:23:58.317Z", "1",
     "ghtf+deOBAzHJJZ6s6CdRLfTQAlcGzq9naoFM1wi0CJiq//uVRuZnamrkWNF0fhouMFvuLVRwcz8PZLUMSfnmd5VpdTKpTyiKmy1qJAZXma"
     "0w+yi7G+I33hD1Jyk1Nbym2n0kqp3fVu2aoooiN2ZeLAT2bH0/BtjLSfN1yAOKNoprco4qV9gGUZinXJdj9a1YdNhDR2jKi33ldlsVtEXAti"
     "aDklGEk7DgRKX38GerBPiLg3FdtgY6KC7cdeGpU/dGK+4hjc83Ive1HoFkAwqhpgInM2sMytBosoiXfCmOKmU4xeGD0gHDNZTlJUJQDlzw8"
     "Eag0H9f/5zXF9d3uy0YQ=="),
    ("17dea24b-55c2-540b-8362-f916557af765", "publish-and-verify-62674b1d-4295-426b-88e7-5fb75652a04e",
     None, "2022-07-28T21:24:08.324Z", "2",
     "CXVqp9PfZAL+4JHS3Zxo1PFbQsvnOjvmYhtIf17TWpwc+iIVas8kZ8GopuzVzVMdatE7rCl/O4P91Zp05Dwz8lk8dLhfp8gSu3Njlzxlyrm"
     "zo9x3va3Jb7zFnedgS2GKnZWHGBdwTXho+TosNUE+3e10OMSlwN5XGDwX7+R3WL+rn+AXmFAqp3alg27sYa55h1dLE9cGszGPjScPdtF3Bm"
     "ZsUDMx9wSdNKsCk+vSvE8yBjnCmUl7laSFj3LzPVrlSwgNYCF3kYnNAkah7NplK4SFhJYLwS0HCVCQJKa8rVbQLf9cBTu60U402mrgy0bN8x"
     "WoyimzbYbrOMJjalqkUg=="),
    ("11405cc3-9ac7-56d5-b45d-079e8f7a8edf", "publish-and-verify-6e11fed2-fcdf-4c52-9dc4-36ef43f37f84",
     "Hello world", "2022-07-28T22:53:49.654Z", "1",
     "AItkS26d8yvnIKJevdirIPW7eM/yKbZy3/CF2EreCHmXWB3etWaV5Fb7SYpGABMpugpDZzNyGY1wCVWaopDoQ+7Q/kI2TpDu8bw1eExbi8U"
     "3kduvc/2m2fIrI4gDEY8/v3nzoLcr8pPodqMzrX6SzQou4klfaqbNK+rFmH0LVf2Q1VyOROODoSXmo4jg2Yu12jfxccBl96Drr/ihq4MJ4O"
     "crWh6UzXXlVYjJHx2Ui4anNwNEb+Z4C2CAF1DjQUbhDtaoajDBPY+4d9C1OwbqwQpXsd6tyVcI9nFyEsVK8lfnAV+/3GZQcdXHbIUYBRGcB"
     "a4X5TlWJku5nDH2ERtHHw=="),
    ("4504e649-d933-5aa9-8199-bd14ccf05f0b", "publish-and-verify-530b26da-0687-4fe4-9f71-780bad3181e2",
     "Hello world", "2022-07-28T22:53:55.086Z", "2",
     "cETcSvmmkt+My05qCLKexyl0+RyG83mSryKPqTfS+tYcxDJWVcjPJAr+qdpElzVaBl1aTGYVWMY64i9JqZ/JES8pylNj8LGvdhuNQKO59/WC"
     "oIimZAsNhn0xEgOeeDU+W/0BU4sdpCGMNjo0S/FuIiWaRe4E0YWRVrxeQevaQ70euDdfWgd5v1eCKQz8b367b9XBmMztL/CWUFI6YaKK/MV2"
     "1eyvJe3Y7CtVYiOKEYiAZnAEkynK7gUGO5TsgDjGNYhj6U3xYsWgI03bmioSl7kdFSUj+AZ7ugas5fghqxgoDsdfqsjMYKRm5KKHQWsgzI61"
     "9yIzpNKUiSMHxdZXpQ=="),
]
_SNS_KEY_FILE = os.environ.get("SNS_KEY_PEM")  # the live test's key, made by openssl


def sns_string(msg):
    return "".join("%s\n%s\n" % (k, msg[k]) for k in SNS_FIELDS if k in msg)


def sns_body(msg):
    """The JSON SNS posts: every field, signed or not, in SNS's order."""
    return json.dumps(msg, indent=2, ensure_ascii=False)


def _iso_ms(t):
    return iso(t)[:-1] + ".317Z"


class SnsSpec(Spec):
    """AWS SNS: the signature is inside the body, so the body is made per signer."""

    def __init__(self):
        self.scheme, self.src, self.how = "aws-sns", SNS_SRC, SNS_HOW
        self.tolerance, self.query, self.config, self.content_type = 7 * 86400, None, None, \
            "text/plain; charset=UTF-8"
        self.event_type = "Notification"
        self.keys = {}

    def _key(self, name):
        """A self-signed certificate of the test key sns_test_key_<name>.pem (made once with
        cryptography's rsa.generate_private_key, kept so the vectors come out the same)."""
        if name not in self.keys:
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.x509.oid import NameOID
            with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                   "sns_test_key_%s.pem" % name), "rb") as f:
                k = serialization.load_pem_private_key(f.read(), password=None)
            n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.hookq.test " + name)])
            t = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
            c = (x509.CertificateBuilder().subject_name(n).issuer_name(n).public_key(k.public_key())
                 .serial_number(1).not_valid_before(t).not_valid_after(t + datetime.timedelta(days=3650))
                 .sign(k, hashes.SHA256()))
            self.keys[name] = (k, b64(c.public_bytes(serialization.Encoding.DER)))
        return self.keys[name]

    def message(self, t, signer, version="2", kind="Notification", subject=None):
        msg = {"Type": kind, "MessageId": "2e1f7c3a-%08d-4b5c-9d6e-7f8a9b0c1d2e" % (t % 10 ** 8),
               "TopicArn": "arn:aws:sns:us-east-1:123456789012:hookq-test",
               "Message": '{"order": 42, "note": "line one\nline two \u2713"}',
               "Timestamp": _iso_ms(t), "SignatureVersion": version}
        if subject is not None:
            msg["Subject"] = subject
        if kind != "Notification":
            msg["Message"] = "You have chosen to subscribe to the topic. To confirm, visit the SubscribeURL."
            msg["Token"] = "2336412f37fb687f5d51e6e2425dacbba7a1b3c3aa43a6b6e5c77f7a1e2cc0fe"
            msg["SubscribeURL"] = ("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token="
                                   + msg["Token"])
        msg["Signature"] = sign_rsa(signer, sns_string(msg), version)
        msg["SigningCertURL"] = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-hookq.pem"
        return msg

    def rows(self, row):
        kw = dict(content_type=self.content_type, tolerance=self.tolerance)
        k, cert = self._key("a")
        _, other = self._key("b")
        self.secret, self.wrong = cert, other

        def put(name, secrets, msg, exp, why, now=NOW, body=None, **extra):
            b = body if body is not None else sns_body(msg)
            if exp == "stored":
                extra.setdefault("event_id", msg["MessageId"])
                extra.setdefault("event_type", msg["Type"])
            row(name, "aws-sns", secrets, {"x-amz-sns-message-type": msg["Type"],
                                           "x-amz-sns-message-id": msg["MessageId"]},
                exp, why, self.how, self.src, body=b, now=now, **kw, **extra)

        base = self.message(NOW, k)
        put("aws_sns_base", [cert], base, "stored", "a Notification, SignatureVersion 2 (SHA-256)",
            wrong=other, base=True)
        put("aws_sns_v1", [cert], self.message(NOW, k, version="1"), "stored",
            "SignatureVersion 1 (SHA-1)")
        put("aws_sns_subject", [cert], self.message(NOW, k, subject="Order 42"), "stored",
            "with a Subject, which is signed")
        put("aws_sns_subscription_confirmation", [cert],
            self.message(NOW, k, kind="SubscriptionConfirmation"), "stored",
            "a SubscriptionConfirmation (Token and SubscribeURL signed) is stored for the handler to confirm")
        put("aws_sns_rotation", [other, cert], base, "stored", "two certificate lines, the second signed")
        put("aws_sns_wrong_cert", [other], base, "unauthorized", "signed by another certificate's key")
        m = dict(base)
        m["SignatureVersion"] = "1"
        put("aws_sns_version_mismatch", [cert], m, "unauthorized",
            "a SHA-256 signature under SignatureVersion 1")
        m = dict(base)
        m["SignatureVersion"] = "3"
        put("aws_sns_version_unknown", [cert], m, "unauthorized", "an unknown SignatureVersion")
        m = dict(base)
        m["Message"] = m["Message"].replace("42", "43")
        put("aws_sns_message_changed", [cert], m, "unauthorized", "the Message changed after signing")
        m = dict(base)
        m["Subject"] = "added"
        put("aws_sns_subject_added", [cert], m, "unauthorized", "a Subject added after signing")
        m = dict(base)
        del m["Signature"]
        put("aws_sns_unsigned", [cert], m, "unauthorized", "no Signature")
        for nm, d, exp, why in [
                ("old_edge", -self.tolerance, "stored", "exactly tolerance seconds old"),
                ("old_past", -self.tolerance - 1, "unauthorized", "one second older than the tolerance"),
                ("future_edge", self.tolerance, "stored", "exactly tolerance seconds ahead"),
                ("future_past", self.tolerance + 1, "unauthorized", "one second further ahead")]:
            put("aws_sns_ts_" + nm, [cert], self.message(NOW + d, k), exp, why)
        for i, (mid, topic, subject, ts, ver, sig) in enumerate(SNS_AWS):
            msg = {"Type": "Notification", "MessageId": mid,
                   "TopicArn": "arn:aws:sns:us-east-2:295079676684:" + topic, "Message": "Hello world",
                   "Timestamp": ts, "SignatureVersion": ver, "Signature": sig}
            if subject is not None:
                msg["Subject"] = subject
            _check_rsa(SNS_AWS_CERT, sns_string(msg), sig, ver)
            now = int(datetime.datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")
                      .replace(tzinfo=datetime.timezone.utc).timestamp())
            put("aws_sns_published_%d" % (i + 1), [SNS_AWS_CERT], msg, "stored",
                "AWS's validator test fixture %d (SignatureVersion %s%s)" % (i + 1, ver,
                                                                            ", with Subject" if subject else ""),
                now=now, published=True)

    def live(self, now):
        msg = self.message(now, None)
        return ({"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": msg["MessageId"]},
                sns_body(msg), {}, self.secret)

    def id_for(self, body):
        return json.loads(body)["MessageId"]


def sign_rsa(key, text, version):
    """base64 RSA PKCS#1 v1.5 signature: with cryptography, or (key None, live) openssl and SNS_KEY_PEM."""
    if key is None:
        with tempfile.NamedTemporaryFile() as f:
            f.write(_b(text))
            f.flush()
            return b64(subprocess.run(["openssl", "dgst", "-sha1" if version == "1" else "-sha256",
                                       "-sign", _SNS_KEY_FILE, f.name], check=True,
                                      capture_output=True).stdout)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    return b64(key.sign(_b(text), padding.PKCS1v15(), hashes.SHA1() if version == "1" else hashes.SHA256()))


def _check_rsa(cert_b64, text, sig, version):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    c = x509.load_der_x509_certificate(base64.b64decode(cert_b64))
    c.public_key().verify(base64.b64decode(sig), _b(text), padding.PKCS1v15(),
                          hashes.SHA1() if version == "1" else hashes.SHA256())


SPECS.append(SnsSpec())

SCHEMES = [s.scheme for s in SPECS]


def add_rows(row):
    for s in SPECS:
        s.rows(row)
    gitlab_signed_rows(row)
