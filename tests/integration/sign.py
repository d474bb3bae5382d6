#!/usr/bin/env python3
"""Signs a webhook request the way each sender does, independently of hookq.

Prints one "Header: value" line per header to add. HMAC comes from Python's
hmac module, Ed25519 from `openssl pkeyutl`, so a bug in hookq's
verification cannot hide behind the same bug here. The secret is read from a
file, never from the command line.

usage: sign.py SCHEME --secret-file F --body F [--line N] [--id ID]
               [--timestamp T] [--header NAME] [--prefix P] [--encoding hex|base64]
               [--algorithm hmac-sha256|hmac-sha512|ed25519]
  SCHEME: github, stripe, standard-webhooks, generic
  For Ed25519 the secret file line is a PEM private key file's path.

Sources: GitHub docs "Validating webhook deliveries"; Stripe docs "Verify
webhook signatures manually"; Standard Webhooks spec (standardwebhooks.com).
"""
import argparse
import base64
import hashlib
import hmac
import subprocess
import sys
import tempfile
import time
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scheme")
    p.add_argument("--secret-file", required=True)
    p.add_argument("--body", required=True)
    p.add_argument("--line", type=int, default=1)
    p.add_argument("--id")
    p.add_argument("--timestamp")
    p.add_argument("--header", default="X-Signature")
    p.add_argument("--prefix", default="")
    p.add_argument("--encoding", default="hex")
    p.add_argument("--algorithm", default="hmac-sha256")
    a = p.parse_args()

    with open(a.body, "rb") as f:
        body = f.read()
    secret = secret_line(a.secret_file, a.line)
    ts = a.timestamp or str(int(time.time()))
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
    else:
        sys.exit("sign.py: unknown scheme " + a.scheme)
    print("\n".join(out))


if __name__ == "__main__":
    main()
