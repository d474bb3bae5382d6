#!/usr/bin/env python3
"""Writes hmac_key_lengths.json: HMAC-SHA256 and HMAC-SHA512 under keys of
awkward lengths, for tests/unit/scheme_test.c.

HMAC (RFC 2104) pads keys up to the hash's block size (64 bytes for SHA-256,
128 for SHA-512) and hashes longer keys first, so the lengths sit around
those edges, plus the empty key. MACs come from Python's hmac module,
independently of hookq and libsodium.

Bodies are described rather than stored: {"pattern": P, "len": N} is P
repeated and cut to N bytes; the test rebuilds it the same way.

usage: python3 make_hmac_key_lengths.py > hmac_key_lengths.json
"""
import hashlib
import hmac
import json

KEY_LENGTHS = [0, 1, 31, 32, 33, 64, 65, 100, 128, 129]
BODIES = [
    {"pattern": "hookq", "len": 5},
    {"pattern": "0123456789abcdef\n", "len": 1048576 + 3},
]
ALGS = [("hmac-sha256", hashlib.sha256), ("hmac-sha512", hashlib.sha512)]


def key_bytes(n):
    # Distinct, non-text bytes so a key handled as a C string would break.
    return bytes(((i * 37 + 11) & 0xFF) for i in range(n))


def body_bytes(desc):
    p = desc["pattern"].encode()
    n = desc["len"]
    return (p * (n // len(p) + 1))[:n]


rows = []
for alg, digest in ALGS:
    for klen in KEY_LENGTHS:
        for desc in BODIES:
            key = key_bytes(klen)
            body = body_bytes(desc)
            rows.append({
                "name": "%s_key%d_body%d" % (alg, klen, desc["len"]),
                "algorithm": alg,
                "key_len": klen,
                "key_hex": key.hex(),
                "body": desc,
                "expected_hex": hmac.new(key, body, digest).hexdigest(),
                "how": "python3 hmac.new(key, body, hashlib.%s).hexdigest()" % digest().name,
            })

print(json.dumps(rows, indent=1))
