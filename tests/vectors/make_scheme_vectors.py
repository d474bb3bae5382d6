#!/usr/bin/env python3
"""Writes schemes.json: signed requests for tests/unit/scheme_test.c.

Every signature here is computed by this script, independently of hookq and
of libsodium: HMAC with Python's hmac module, Ed25519 with the pure-Python
signer in rfc8032.py (RFC 8032 section 5.1.6, checked on start against RFC 8032
TEST 1 and the Svix/Standard Webhooks v1a vector in published.json).

How each sender signs:
  github             X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256(secret, body)
                     (docs.github.com, "Validating webhook deliveries")
  stripe             Stripe-Signature: "t=<ts>,v1=<hex HMAC-SHA256(secret, ts + '.' + body)>",
                     keyed with the whole whsec_ string
                     (docs.stripe.com/webhooks, "Verify signatures manually")
  standard-webhooks  webhook-signature: "v1," + base64 HMAC-SHA256(base64decode(secret
                     without whsec_), id + '.' + ts + '.' + body); "v1a," + base64
                     Ed25519 signature of the same bytes (whpk_ public keys)
                     (standardwebhooks.com, spec/standard-webhooks.md)
The test also builds a few scheme rows of its own (the "scheme" field names
them: slack-adhoc, template-adhoc, generic-*); their signed content is
described in each row's "how".

Each row: name, scheme, secrets (secret_file lines), wrong_secret (a
well-formed secret that did not sign; base rows only), body or body_hex,
headers, now, tolerance, expect ("valid"/"invalid"), why, how.

usage: python3 make_scheme_vectors.py > schemes.json
"""
import base64
import hashlib
import hmac
import json
import os

from rfc8032 import ed25519_public, ed25519_sign, self_check


def _self_check():
    self_check()
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "published.json")) as f:
        pub = {r["name"]: r for r in json.load(f)}
    sv = pub["svix_v1a_ed25519"]
    sk = base64.b64decode(sv["secret"][len("whsk_"):])
    assert ed25519_public(sk[:32]) == base64.b64decode(sv["public"][len("whpk_"):])
    msg = ("%s.%s.%s" % (sv["id"], sv["timestamp"], sv["body"])).encode()
    assert "v1a," + base64.b64encode(ed25519_sign(sk[:32], msg)).decode() == sv["expected"]


_self_check()

# --- keys and helpers ---------------------------------------------------------

NOW = 1700000000
TOL = 300

GH_SECRET = "scheme-test-github-secret"
GH_WRONG = "scheme-test-github-wrong"
ST_SECRET = "whsec_scheme_test_stripe_secret"
ST_WRONG = "whsec_scheme_test_stripe_wrong"
SW_KEY = hashlib.sha256(b"hookq scheme test standard-webhooks key").digest()[:24]
SW_WRONG_KEY = hashlib.sha256(b"hookq scheme test standard-webhooks wrong").digest()[:24]
SW_SECRET = "whsec_" + base64.b64encode(SW_KEY).decode()
SW_WRONG = "whsec_" + base64.b64encode(SW_WRONG_KEY).decode()
ED_SEED = hashlib.sha256(b"hookq scheme test ed25519 key").digest()
ED_WRONG_SEED = hashlib.sha256(b"hookq scheme test ed25519 wrong").digest()
ED_PUB = ed25519_public(ED_SEED)
ED_WRONG_PUB = ed25519_public(ED_WRONG_SEED)
WHPK = "whpk_" + base64.b64encode(ED_PUB).decode()
WHPK_WRONG = "whpk_" + base64.b64encode(ED_WRONG_PUB).decode()
SLACK_SECRET = "scheme-test-slack-signing-secret"
SLACK_WRONG = "scheme-test-slack-wrong"
GEN_SECRET = "scheme-test-generic-secret"
GEN_WRONG = "scheme-test-generic-wrong"

BODY = '{"id":"evt_scheme_1","type":"thing.happened","n":1}'
MSG_ID = "msg_scheme_test_1"

HOW_GH = "python3 'sha256=' + hmac.new(secret, body, hashlib.sha256).hexdigest()"
HOW_ST = "python3 hmac.new(secret, ts + '.' + body, hashlib.sha256).hexdigest()"
HOW_SW = ("python3 base64.b64encode(hmac.new(b64decode(secret[6:]), "
          "id + '.' + ts + '.' + body, hashlib.sha256).digest())")
HOW_ED = ("python3 RFC 8032 Ed25519 (this script's pure-Python signer) over "
          "id + '.' + ts + '.' + body, base64")


def hs256(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def gh_sig(body, secret=GH_SECRET):
    return "sha256=" + hs256(secret.encode(), body).hex()


def st_v1(ts, body, secret=ST_SECRET):
    return hs256(secret.encode(), ts.encode() + b"." + body).hex()


def sw_mac(ts, body, key=SW_KEY, msg_id=MSG_ID):
    return hs256(key, ("%s.%s." % (msg_id, ts)).encode() + body)


def sw_v1(ts, body, key=SW_KEY, msg_id=MSG_ID):
    return "v1," + base64.b64encode(sw_mac(ts, body, key, msg_id)).decode()


def sw_v1a(ts, body, seed=ED_SEED, msg_id=MSG_ID):
    sig = ed25519_sign(seed, ("%s.%s." % (msg_id, ts)).encode() + body)
    return "v1a," + base64.b64encode(sig).decode()


rows = []


def row(name, scheme, secrets, headers, expect, why, how, body=BODY,
        now=NOW, tolerance=TOL, wrong=None, body_hex=None):
    r = {"name": name, "scheme": scheme, "secrets": secrets}
    if wrong is not None:
        r["wrong_secret"] = wrong
    if body_hex is not None:
        r["body_hex"] = body_hex
    else:
        r["body"] = body
    r.update({"headers": headers, "now": now, "tolerance": tolerance,
              "expect": expect, "why": why, "how": how})
    rows.append(r)


B = BODY.encode()
T = str(NOW)

# --- base rows: one valid request per scheme; the test mutates them ----------

row("base_github", "github", [GH_SECRET],
    {"X-Hub-Signature-256": gh_sig(B)}, "valid",
    "a GitHub delivery", HOW_GH, wrong=GH_WRONG)
row("base_stripe", "stripe", [ST_SECRET],
    {"Stripe-Signature": "t=%s,v1=%s" % (T, st_v1(T, B))}, "valid",
    "a Stripe event", HOW_ST, wrong=ST_WRONG)
row("base_stdwh_v1", "standard-webhooks", [SW_SECRET],
    {"webhook-id": MSG_ID, "webhook-timestamp": T, "webhook-signature": sw_v1(T, B)},
    "valid", "a Standard Webhooks HMAC (v1) message", HOW_SW, wrong=SW_WRONG)
row("base_stdwh_v1a", "standard-webhooks", [WHPK],
    {"webhook-id": MSG_ID, "webhook-timestamp": T, "webhook-signature": sw_v1a(T, B)},
    "valid", "a Standard Webhooks Ed25519 (v1a) message", HOW_ED, wrong=WHPK_WRONG)
row("base_slack", "slack-adhoc", [SLACK_SECRET],
    {"X-Slack-Request-Timestamp": T,
     "X-Slack-Signature": "v0=" + hs256(SLACK_SECRET.encode(), ("v0:%s:" % T).encode() + B).hex()},
    "valid", "Slack v0 signing, through a scheme row built by the test",
    "python3 'v0=' + hmac.new(secret, 'v0:' + ts + ':' + body, hashlib.sha256).hexdigest()",
    wrong=SLACK_WRONG)
row("base_template", "template-adhoc", [GEN_SECRET],
    {"X-Sig": hs256(GEN_SECRET.encode(),
                    ("100%%:%s:%s:" % (MSG_ID, T)).encode() + B).hex(),
     "X-Id": MSG_ID, "X-Ts": T},
    "valid", "the template escapes %% %i %t %b, through a scheme row built by the test",
    "python3 hmac.new(secret, '100%:' + id + ':' + ts + ':' + body, hashlib.sha256).hexdigest()",
    wrong=GEN_WRONG)
row("base_generic_sha256_hex", "generic-hmac-sha256-hex", [GEN_SECRET],
    {"X-Signature": hs256(GEN_SECRET.encode(), B).hex()}, "valid",
    "generic: HMAC-SHA256, hex, no prefix",
    "python3 hmac.new(secret, body, hashlib.sha256).hexdigest()", wrong=GEN_WRONG)
row("base_generic_sha512_base64", "generic-hmac-sha512-base64", [GEN_SECRET],
    {"X-Signature": "sha512=" + base64.b64encode(
        hmac.new(GEN_SECRET.encode(), B, hashlib.sha512).digest()).decode()}, "valid",
    "generic: HMAC-SHA512, base64, prefix sha512=",
    "python3 'sha512=' + base64.b64encode(hmac.new(secret, body, hashlib.sha512).digest())",
    wrong=GEN_WRONG)
row("base_generic_ed25519_hex", "generic-ed25519-hex", [ED_PUB.hex()],
    {"X-Signature": ed25519_sign(ED_SEED, B).hex()}, "valid",
    "generic: Ed25519 over the body, hex signature, hex public key",
    "python3 RFC 8032 Ed25519 (this script's signer) over body, hex", wrong=ED_WRONG_PUB.hex())
row("base_generic_ed25519_base64", "generic-ed25519-base64", [base64.b64encode(ED_PUB).decode()],
    {"X-Signature": base64.b64encode(ed25519_sign(ED_SEED, B)).decode()}, "valid",
    "generic: Ed25519 over the body, base64 signature, base64 public key",
    "python3 RFC 8032 Ed25519 (this script's signer) over body, base64",
    wrong=base64.b64encode(ED_WRONG_PUB).decode())

BIN = bytes([0x00, 0x01, 0xFF, 0x00, 0x7F, 0x80, 0x0A, 0x0D, 0x00])
row("github_binary_body", "github", [GH_SECRET],
    {"X-Hub-Signature-256": gh_sig(BIN)}, "valid",
    "the body is bytes, NULs and high bytes included, not a C string", HOW_GH,
    body_hex=BIN.hex())

# --- multi-signature headers ---------------------------------------------------

W1, W2, W3 = (st_v1(T, B, "whsec_other_%d" % i) for i in (1, 2, 3))
R = st_v1(T, B)
row("stripe_multi_one_matches", "stripe", [ST_SECRET],
    {"Stripe-Signature": "t=%s,v1=%s,v1=%s,v1=%s" % (T, W1, R, W2)}, "valid",
    "one v1 of several matches", HOW_ST)
row("stripe_three_wrong_then_right", "stripe", [ST_SECRET],
    {"Stripe-Signature": "t=%s,v1=%s,v1=%s,v1=%s,v1=%s" % (T, W1, W2, W3, R)}, "valid",
    "a match after three wrong v1", HOW_ST)
row("stripe_v0_only", "stripe", [ST_SECRET],
    {"Stripe-Signature": "t=%s,v0=%s" % (T, R)}, "invalid",
    "v0 is ignored even when it carries the right MAC (only v1 counts)", HOW_ST)
row("stripe_v0_right_v1_wrong", "stripe", [ST_SECRET],
    {"Stripe-Signature": "t=%s,v1=%s,v0=%s" % (T, W1, R)}, "invalid",
    "v0 is ignored even next to a v1", HOW_ST)
row("stripe_15_wrong_then_right", "stripe", [ST_SECRET],
    {"Stripe-Signature": "t=%s," % T + ",".join(
        ["v1=" + st_v1(T, B, "whsec_other_%d" % i) for i in range(15)] + ["v1=" + R])},
    "valid", "the 16th signature (SCHEME_MAX_CANDIDATES) is still read", HOW_ST)
row("stripe_16_wrong_then_right", "stripe", [ST_SECRET],
    {"Stripe-Signature": "t=%s," % T + ",".join(
        ["v1=" + st_v1(T, B, "whsec_other_%d" % i) for i in range(16)] + ["v1=" + R])},
    "invalid", "signatures after the 16th (SCHEME_MAX_CANDIDATES) are ignored", HOW_ST)

SR = sw_v1(T, B)
SRB = SR[len("v1,"):]
SWW = [sw_v1(T, B, hashlib.sha256(b"other %d" % i).digest()) for i in range(16)]
sw_hdr = {"webhook-id": MSG_ID, "webhook-timestamp": T}
row("stdwh_unknown_versions_skipped", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": "v2,%s v1b,%s v1,%s" % (SRB, SRB, SRB)}), "valid",
    "unknown versions (v2, v1b) are skipped, the v1 after them counts", HOW_SW)
row("stdwh_only_unknown_versions", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": "v2,%s v1b,%s" % (SRB, SRB)}), "invalid",
    "the right MAC under unknown versions does not count", HOW_SW)
row("stdwh_three_wrong_then_right", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": " ".join(SWW[:3] + [SR])}), "valid",
    "a match after three wrong v1", HOW_SW)
row("stdwh_15_wrong_then_right", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": " ".join(SWW[:15] + [SR])}), "valid",
    "the 16th signature (SCHEME_MAX_CANDIDATES) is still read", HOW_SW)
row("stdwh_16_wrong_then_right", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": " ".join(SWW[:16] + [SR])}), "invalid",
    "signatures after the 16th (SCHEME_MAX_CANDIDATES) are ignored", HOW_SW)
row("stdwh_20_malformed_then_right", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": " ".join(["v1,!!notbase64!!"] * 20 + [SR])}), "valid",
    "malformed signatures are dropped and do not use up the 16 candidates", HOW_SW)
row("stdwh_20_unknown_then_right", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": " ".join(["v2," + SRB] * 20 + [SR])}), "valid",
    "unknown versions do not use up the 16 candidates", HOW_SW)
row("stdwh_v1_wrong_v1a_right", "standard-webhooks", [SW_SECRET, WHPK],
    dict(sw_hdr, **{"webhook-signature": "%s %s" % (SWW[0], sw_v1a(T, B))}), "valid",
    "HMAC and Ed25519 signatures in one header, secrets of both kinds: Ed25519 matches", HOW_ED)
row("stdwh_v1_right_v1a_wrong", "standard-webhooks", [WHPK, SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": "%s %s" % (sw_v1a(T, B, ED_WRONG_SEED), SR)}), "valid",
    "HMAC and Ed25519 signatures in one header, secrets of both kinds: HMAC matches", HOW_SW)
row("stdwh_v1_wrong_v1a_wrong", "standard-webhooks", [SW_SECRET, WHPK],
    dict(sw_hdr, **{"webhook-signature": "%s %s" % (SWW[0], sw_v1a(T, B, ED_WRONG_SEED))}),
    "invalid", "HMAC and Ed25519 signatures, neither matches", HOW_ED)
row("stdwh_v1a_under_hmac_secret", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": sw_v1a(T, B)}), "invalid",
    "an Ed25519 signature is not checked against an HMAC secret", HOW_ED)
row("stdwh_v1_under_public_key", "standard-webhooks", [WHPK],
    dict(sw_hdr, **{"webhook-signature": SR}), "invalid",
    "an HMAC signature is not checked against an Ed25519 public key", HOW_SW)

# --- timestamps ------------------------------------------------------------------


def stripe_ts(name, ts, expect, why):
    row(name, "stripe", [ST_SECRET],
        {"Stripe-Signature": "t=%s,v1=%s" % (ts, st_v1(ts, B))}, expect, why, HOW_ST)


def stdwh_ts(name, ts, expect, why, v1a=False):
    sig = sw_v1a(ts, B) if v1a else sw_v1(ts, B)
    row(name, "standard-webhooks", [WHPK if v1a else SW_SECRET],
        dict(sw_hdr, **{"webhook-timestamp": ts, "webhook-signature": sig}), expect, why,
        HOW_ED if v1a else HOW_SW)


stripe_ts("stripe_ts_old_edge", str(NOW - TOL), "valid", "exactly tolerance seconds old")
stripe_ts("stripe_ts_old_past", str(NOW - TOL - 1), "invalid",
          "one second older than the tolerance")
stripe_ts("stripe_ts_future_edge", str(NOW + TOL), "valid", "tolerance seconds ahead")
stripe_ts("stripe_ts_future_past", str(NOW + TOL + 1), "valid",
          "Stripe's libraries refuse only old timestamps")
stripe_ts("stripe_ts_future_far", str(NOW + 10 ** 8), "valid",
          "Stripe's libraries refuse only old timestamps")
stripe_ts("stripe_ts_15_digits", "9" * 15, "valid", "15 digits is the longest timestamp read")
stripe_ts("stripe_ts_16_digits", "1" + "0" * 15, "invalid", "16 digits is refused as malformed")
stripe_ts("stripe_ts_non_numeric", "17000000x0", "invalid", "a timestamp with a letter")
stripe_ts("stripe_ts_negative", "-1", "invalid", "a negative timestamp")
stripe_ts("stripe_ts_empty", "", "invalid", "t= with nothing after it")
row("stripe_ts_missing", "stripe", [ST_SECRET],
    {"Stripe-Signature": "v1=%s" % st_v1("", B)}, "invalid",
    "no t= item (the MAC is over '.' + body, as if the timestamp were empty)", HOW_ST)
row("stripe_ts_last", "stripe", [ST_SECRET],
    {"Stripe-Signature": "v1=%s,t=%s" % (R, T)}, "valid",
    "t= may come after the signatures", HOW_ST)
row("stripe_ts_after_17_signatures", "stripe", [ST_SECRET],
    {"Stripe-Signature": ",".join(
        ["v1=" + st_v1(T, B, "whsec_other_%d" % i) for i in range(16)] + ["v1=" + R, "t=" + T])},
    "invalid", "past 16 signatures, further ones are ignored but t= is still read", HOW_ST)
row("stripe_ts_twice", "stripe", [ST_SECRET],
    {"Stripe-Signature": "t=%s,t=%s,v1=%s" % (T, T, R)}, "invalid",
    "two t= items are refused, even when equal", HOW_ST)
stdwh_ts("stdwh_ts_old_edge", str(NOW - TOL), "valid", "exactly tolerance seconds old")
stdwh_ts("stdwh_ts_old_past", str(NOW - TOL - 1), "invalid", "one second older than the tolerance")
stdwh_ts("stdwh_ts_future_edge", str(NOW + TOL), "valid", "exactly tolerance seconds ahead")
stdwh_ts("stdwh_ts_future_past", str(NOW + TOL + 1), "invalid",
         "one second further ahead than the tolerance")
stdwh_ts("stdwh_ts_16_digits", "1" + "0" * 15, "invalid", "16 digits is refused as malformed")
stdwh_ts("stdwh_ts_non_numeric", "17000000x0", "invalid", "a timestamp with a letter")
stdwh_ts("stdwh_ts_fractional", T + ".5", "invalid", "a timestamp with a fraction")
stdwh_ts("stdwh_v1a_ts_old_past", str(NOW - TOL - 1), "invalid",
         "Ed25519 signatures get the same timestamp check", v1a=True)
stdwh_ts("stdwh_v1a_ts_future_past", str(NOW + TOL + 1), "invalid",
         "Ed25519 signatures get the same timestamp check", v1a=True)
row("stdwh_ts_missing", "standard-webhooks", [SW_SECRET],
    {"webhook-id": MSG_ID, "webhook-signature": sw_v1("", B)}, "invalid",
    "no webhook-timestamp header", HOW_SW)
row("stdwh_id_missing", "standard-webhooks", [SW_SECRET],
    {"webhook-timestamp": T, "webhook-signature": sw_v1(T, B, msg_id="")}, "invalid",
    "no webhook-id header (the MAC is over '' + '.' + ts + '.' + body)", HOW_SW)

# --- encodings -------------------------------------------------------------------

GR = hs256(GH_SECRET.encode(), B).hex()
row("github_uppercase_hex", "github", [GH_SECRET],
    {"X-Hub-Signature-256": "sha256=" + GR.upper()}, "valid",
    "upper-case hex digits are accepted (sodium_hex2bin reads both cases)", HOW_GH)
row("github_surrounding_space", "github", [GH_SECRET],
    {"X-Hub-Signature-256": " \tsha256=" + GR + " "}, "valid",
    "spaces and tabs around the value are trimmed", HOW_GH)
row("github_no_prefix", "github", [GH_SECRET],
    {"X-Hub-Signature-256": GR}, "invalid", "the right hex without sha256=", HOW_GH)
row("github_wrong_prefix", "github", [GH_SECRET],
    {"X-Hub-Signature-256": "sha1=" + GR}, "invalid", "the right hex under sha1=", HOW_GH)
row("github_odd_hex", "github", [GH_SECRET],
    {"X-Hub-Signature-256": "sha256=" + GR + "0"}, "invalid", "65 hex digits", HOW_GH)
row("github_odd_hex_short", "github", [GH_SECRET],
    {"X-Hub-Signature-256": "sha256=" + GR[:63]}, "invalid", "63 hex digits", HOW_GH)
row("github_hex_31_bytes", "github", [GH_SECRET],
    {"X-Hub-Signature-256": "sha256=" + GR[:62]}, "invalid", "hex of 31 bytes", HOW_GH)
row("github_hex_33_bytes", "github", [GH_SECRET],
    {"X-Hub-Signature-256": "sha256=" + GR + "00"}, "invalid", "hex of 33 bytes", HOW_GH)
row("github_non_hex", "github", [GH_SECRET],
    {"X-Hub-Signature-256": "sha256=" + GR[:10] + "g" + GR[11:]}, "invalid",
    "a non-hex digit", HOW_GH)
row("github_inner_space", "github", [GH_SECRET],
    {"X-Hub-Signature-256": "sha256=" + GR[:32] + " " + GR[32:]}, "invalid",
    "a space inside the hex", HOW_GH)
row("github_two_values", "github", [GH_SECRET],
    {"X-Hub-Signature-256": "sha256=" + GR + ",sha256=" + GR}, "invalid",
    "GitHub's header carries one signature: a list is not split", HOW_GH)
row("stripe_spaces_around_items", "stripe", [ST_SECRET],
    {"Stripe-Signature": "t=%s, v1=%s" % (T, R)}, "valid",
    "a space after the comma is trimmed (hookq is laxer than stripe-python here)", HOW_ST)
row("stripe_tabs_and_spaces", "stripe", [ST_SECRET],
    {"Stripe-Signature": " t=%s ,\tv1=%s\t, " % (T, R)}, "valid",
    "spaces and tabs around every item, and an empty last item, are trimmed", HOW_ST)
row("stripe_uppercase_hex", "stripe", [ST_SECRET],
    {"Stripe-Signature": "t=%s,v1=%s" % (T, R.upper())}, "valid",
    "upper-case hex digits are accepted", HOW_ST)
row("stripe_space_in_timestamp", "stripe", [ST_SECRET],
    {"Stripe-Signature": "t= %s,v1=%s" % (T, st_v1(" " + T, B))}, "invalid",
    "a space inside the t= item makes a malformed timestamp", HOW_ST)
row("stdwh_unpadded_base64", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": SR.rstrip("=")}), "valid",
    "base64 without its = padding is accepted", HOW_SW)
row("stdwh_bad_base64", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": "v1," + SRB[:5] + "!" + SRB[6:]}), "invalid",
    "a character outside the base64 alphabet", HOW_SW)
row("stdwh_urlsafe_base64", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": "v1," + base64.urlsafe_b64encode(
        sw_mac(T, B)).decode()}), "invalid",
    "the URL-safe alphabet is not the standard one (only when the MAC has + or /)", HOW_SW)
row("stdwh_base64_31_bytes", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": "v1," + base64.b64encode(sw_mac(T, B)[:31]).decode()}),
    "invalid", "base64 of the first 31 bytes of the right MAC", HOW_SW)
row("stdwh_base64_33_bytes", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": "v1," + base64.b64encode(sw_mac(T, B) + b"\0").decode()}),
    "invalid", "base64 of the right MAC and one more byte", HOW_SW)
row("stdwh_no_version", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": SRB}), "invalid",
    "the right base64 without v1,", HOW_SW)
row("stdwh_comma_separated", "standard-webhooks", [SW_SECRET],
    dict(sw_hdr, **{"webhook-signature": SWW[0] + "," + SR}), "invalid",
    "the list is space-separated: a comma does not split it", HOW_SW)

# The URL-safe row only means something when the MAC has a + or a /.
assert "+" in SRB or "/" in SRB, "pick another key: the MAC has no + or /"

print(json.dumps(rows, indent=1))
