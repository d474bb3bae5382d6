"""Ed25519 signing, RFC 8032 section 5.1, in the standard library only.

The vector scripts (make_scheme_vectors.py, make_sender_vectors.py) sign
with this instead of libsodium, so that hookq's verification is checked
against an independent implementation. self_check() compares it with
RFC 8032 TEST 1 from published.json.
"""
import hashlib
import json
import os


P = 2 ** 255 - 19
Q = 2 ** 252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    assert (x * x - x2) % P == 0
    if (x & 1) != sign:
        x = P - x
    return x


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
G = (_GX, _GY, 1, _GX * _GY % P)


def _add(a, b):
    aa = (a[1] - a[0]) * (b[1] - b[0]) % P
    bb = (a[1] + a[0]) * (b[1] + b[0]) % P
    cc = 2 * a[3] * b[3] * D % P
    dd = 2 * a[2] * b[2] % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, pt):
    r = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            r = _add(r, pt)
        pt = _add(pt, pt)
        s >>= 1
    return r


def _compress(pt):
    zi = pow(pt[2], P - 2, P)
    x, y = pt[0] * zi % P, pt[1] * zi % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_public(seed):
    return _compress(_mul(_expand(seed)[0], G))


def ed25519_sign(seed, msg):
    a, prefix = _expand(seed)
    pub = _compress(_mul(a, G))
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % Q
    big_r = _compress(_mul(r, G))
    k = int.from_bytes(hashlib.sha512(big_r + pub + msg).digest(), "little") % Q
    return big_r + int.to_bytes((r + k * a) % Q, 32, "little")


def self_check():
    """Asserts the signer reproduces published.json's rfc8032_test1."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "published.json")) as f:
        t1 = {r["name"]: r for r in json.load(f)}["rfc8032_test1"]
    seed = bytes.fromhex(t1["seed_hex"])
    assert ed25519_public(seed).hex() == t1["public_hex"]
    assert ed25519_sign(seed, t1["message"].encode()).hex() == t1["expected_hex"]
