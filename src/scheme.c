/*
 * scheme.c: the scheme table and signature verification.
 *
 * Verification reads the signature header into candidate signatures (each
 * decoded to bytes of the length its algorithm produces), checks the
 * timestamp, then computes the MAC of the signed content once per secret
 * and compares it with every candidate in constant time; Ed25519 candidates
 * are checked against every public key. The signed content is streamed into
 * the HMAC piece by piece, so the body is never copied for HMAC schemes.
 */
#include "autoconf.h"

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "scheme.h"
#include "util.h"

/*
 * The built-in senders. Each row cites where the sender documents it; the
 * vectors under tests/vectors/ pin the behaviour down.
 */
static const struct scheme SCHEMES[] = {
	/*
	 * GitHub: docs.github.com "Validating webhook deliveries":
	 * X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>.
	 */
	{
		.name = "github",
		.sig_header = "x-hub-signature-256",
		.sigs = { { "sha256=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%b",
		.key_format = SCHEME_KEY_RAW,
		.id = { SCHEME_FROM_HEADER, "x-github-delivery" },
		.type = { SCHEME_FROM_HEADER, "x-github-event" },
	},
	/*
	 * Stripe: docs.stripe.com/webhooks "Verify manually": Stripe-Signature:
	 * t=<unix>,v1=<hex>[,v1=…][,v0=…]; HMAC-SHA256 of "t.body" keyed with the
	 * whole whsec_ string; only v1 counts. Like Stripe's own libraries, only
	 * timestamps older than the tolerance are refused.
	 */
	{
		.name = "stripe",
		.sig_header = "stripe-signature",
		.sig_separator = ',',
		.sigs = { { "v1=", SCHEME_HMAC_SHA256, SCHEME_HEX } },
		.signed_content = "%t.%b",
		.ts_item = "t=",
		.ts_future_ok = true,
		.key_format = SCHEME_KEY_RAW,
		.id = { SCHEME_FROM_JSON, "id" },
		.type = { SCHEME_FROM_JSON, "type" },
	},
	/*
	 * Standard Webhooks (standardwebhooks.com, spec/standard-webhooks.md):
	 * webhook-signature is a space-separated list of "v1,<base64 HMAC-SHA256>"
	 * (whsec_ secrets) and "v1a,<base64 Ed25519>" (whpk_ public keys) over
	 * "id.timestamp.body"; other versions are skipped.
	 */
	{
		.name = "standard-webhooks",
		.sig_header = "webhook-signature",
		.sig_separator = ' ',
		.sigs = {
			{ "v1,", SCHEME_HMAC_SHA256, SCHEME_BASE64 },
			{ "v1a,", SCHEME_ED25519, SCHEME_BASE64 },
		},
		.signed_content = "%i.%t.%b",
		.ts_header = "webhook-timestamp",
		.key_format = SCHEME_KEY_WHSEC,
		.id = { SCHEME_FROM_HEADER, "webhook-id" },
		.type = { SCHEME_FROM_JSON, "type" },
	},
};

static const char *const SCHEME_NAMES[] = {
	"github", "stripe", "standard-webhooks", "generic", NULL
};

int
scheme_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

const struct scheme *
scheme_find(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(SCHEMES); i++)
		if (strcmp(SCHEMES[i].name, name) == 0)
			return &SCHEMES[i];
	return NULL;
}

const char *const *
scheme_names(void)
{
	return SCHEME_NAMES;
}

bool
scheme_needs_json(const struct scheme *s)
{
	return s->id.from == SCHEME_FROM_JSON || s->type.from == SCHEME_FROM_JSON;
}

/* Bytes of a signature made by alg. */
static size_t
alg_size(enum scheme_alg alg)
{
	switch (alg) {
	case SCHEME_HMAC_SHA256:
		return crypto_auth_hmacsha256_BYTES;
	case SCHEME_HMAC_SHA512:
		return crypto_auth_hmacsha512_BYTES;
	case SCHEME_ED25519:
		return crypto_sign_ed25519_BYTES;
	}
	return 0;
}

/* Decodes base64, padded or not, into a buffer of cap bytes; returns the length or -1. */
static ssize_t
base64_decode(unsigned char *out, size_t cap, const char *s, size_t len)
{
	static const int variants[] = {
		sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING
	};
	size_t i, got;

	for (i = 0; i < nitems(variants); i++) {
		if (sodium_base642bin(out, cap, s, len, NULL, &got, NULL,
		    variants[i]) == 0)
			return (ssize_t)got;
	}
	return -1;
}

/* Decodes base64, padded or not, into exactly want bytes; returns 0 on success. */
static int
base64_decode_exact(unsigned char *out, size_t want, const char *s, size_t len)
{
	return base64_decode(out, want, s, len) == (ssize_t)want ? 0 : -1;
}

/* Decodes hex into exactly want bytes; returns 0 on success. */
static int
hex_decode_exact(unsigned char *out, size_t want, const char *s, size_t len)
{
	const char *end;
	size_t got;

	if (sodium_hex2bin(out, want, s, len, NULL, &got, &end) != 0)
		return -1;
	return (got == want && end == s + len) ? 0 : -1;
}

int
scheme_secret_parse(const struct scheme *s, const char *line, size_t len,
    struct secret *out, const char **reason)
{
	unsigned char buf[SCHEME_SECRET_MAX];
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (len == 0) {
		*reason = "empty secret";
		return -1;
	}
	if (len > SCHEME_SECRET_MAX) {
		*reason = "secret longer than 4096 bytes";
		return -1;
	}
	switch (s->key_format) {
	case SCHEME_KEY_RAW:
		out->key = xmalloc(len);
		memcpy(out->key, line, len);
		out->len = len;
		return 0;
	case SCHEME_KEY_WHSEC:
		if (len > 5 && memcmp(line, "whpk_", 5) == 0) {
			out->ed25519 = true;
			out->key = xmalloc(crypto_sign_ed25519_PUBLICKEYBYTES);
			out->len = crypto_sign_ed25519_PUBLICKEYBYTES;
			if (base64_decode_exact(out->key, out->len, line + 5, len - 5) != 0) {
				*reason = "whpk_ key is not 32 bytes of base64";
				scheme_secret_clear(out);
				return -1;
			}
			return 0;
		}
		if (len > 6 && memcmp(line, "whsec_", 6) == 0) {
			line += 6;
			len -= 6;
		}
		n = base64_decode(buf, sizeof(buf), line, len);
		if (n <= 0) {
			sodium_memzero(buf, sizeof(buf));
			*reason = "secret is not whsec_ followed by base64";
			return -1;
		}
		out->key = xmalloc((size_t)n);
		memcpy(out->key, buf, (size_t)n);
		out->len = (size_t)n;
		sodium_memzero(buf, sizeof(buf));
		return 0;
	case SCHEME_KEY_ED25519:
		out->ed25519 = true;
		out->key = xmalloc(crypto_sign_ed25519_PUBLICKEYBYTES);
		out->len = crypto_sign_ed25519_PUBLICKEYBYTES;
		if (hex_decode_exact(out->key, out->len, line, len) == 0 ||
		    base64_decode_exact(out->key, out->len, line, len) == 0)
			return 0;
		*reason = "Ed25519 public key is not 32 bytes of hex or base64";
		scheme_secret_clear(out);
		return -1;
	}
	*reason = "unknown key format";
	return -1;
}

void
scheme_secret_clear(struct secret *sec)
{
	if (sec->key != NULL) {
		sodium_memzero(sec->key, sec->len);
		free(sec->key);
	}
	memset(sec, 0, sizeof(*sec));
}

/* One signature read from the header, decoded. */
struct candidate {
	enum scheme_alg alg;
	unsigned char sig[64];
};

/* The pieces the signed content is made of, for one request. */
struct signed_input {
	const char *template;
	const char *ts;
	const char *id;
	const unsigned char *body;
	size_t len;
};

/* True when the template uses the escape %c (a "%%" is a literal percent). */
static bool
template_uses(const char *t, char c)
{
	for (; *t != '\0'; t++)
		if (t[0] == '%' && t[1] != '\0') {
			if (t[1] == c)
				return true;
			t++;
		}
	return false;
}

/* Calls emit for each piece of the signed content, in order. */
static void
signed_walk(const struct signed_input *in,
    void (*emit)(void *, const unsigned char *, size_t), void *arg)
{
	const char *p = in->template, *lit;

	while (*p != '\0') {
		if (*p != '%') {
			for (lit = p; *p != '\0' && *p != '%'; p++)
				;
			emit(arg, (const unsigned char *)lit, (size_t)(p - lit));
			continue;
		}
		switch (p[1]) {
		case 'b':
			emit(arg, in->body, in->len);
			break;
		case 't':
			emit(arg, (const unsigned char *)in->ts, strlen(in->ts));
			break;
		case 'i':
			emit(arg, (const unsigned char *)in->id, strlen(in->id));
			break;
		case '%':
			emit(arg, (const unsigned char *)"%", 1);
			break;
		default:
			/* Rows are static data; a bad escape is a bug caught by the tests. */
			emit(arg, (const unsigned char *)p, p[1] ? 2 : 1);
			break;
		}
		p += p[1] ? 2 : 1;
	}
}

static void
emit_sha256(void *arg, const unsigned char *p, size_t n)
{
	crypto_auth_hmacsha256_update(arg, p, n);
}

static void
emit_sha512(void *arg, const unsigned char *p, size_t n)
{
	crypto_auth_hmacsha512_update(arg, p, n);
}

struct message {
	unsigned char *buf;
	size_t len;
};

static void
emit_message(void *arg, const unsigned char *p, size_t n)
{
	struct message *m = arg;

	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

static void
emit_count(void *arg, const unsigned char *p, size_t n)
{
	*(size_t *)arg += n;
}

/* Computes the HMAC of the signed content under key into mac. */
static void
signed_hmac(unsigned char *mac, enum scheme_alg alg, const struct secret *key,
    const struct signed_input *in)
{
	if (alg == SCHEME_HMAC_SHA256) {
		crypto_auth_hmacsha256_state st;

		crypto_auth_hmacsha256_init(&st, key->key, key->len);
		signed_walk(in, emit_sha256, &st);
		crypto_auth_hmacsha256_final(&st, mac);
		sodium_memzero(&st, sizeof(st));
	} else {
		crypto_auth_hmacsha512_state st;

		crypto_auth_hmacsha512_init(&st, key->key, key->len);
		signed_walk(in, emit_sha512, &st);
		crypto_auth_hmacsha512_final(&st, mac);
		sodium_memzero(&st, sizeof(st));
	}
}

/*
 * True when some Ed25519 candidate verifies under some Ed25519 public key.
 * Ed25519 has no streaming verify, so the signed content is assembled once
 * (unless it is the body itself) for all keys and signatures.
 */
static bool
verify_ed25519(const struct secret *secrets, size_t nsecrets,
    const struct candidate *cands, int ncands, const struct signed_input *in)
{
	struct message m = { NULL, 0 };
	const unsigned char *msg = in->body;
	size_t msglen = in->len, total = 0, k;
	bool ok = false;
	int c;

	if (strcmp(in->template, "%b") != 0) {
		signed_walk(in, emit_count, &total);
		m.buf = xmalloc(total);
		signed_walk(in, emit_message, &m);
		msg = m.buf;
		msglen = m.len;
	}
	for (k = 0; k < nsecrets && !ok; k++) {
		if (!secrets[k].ed25519)
			continue;
		for (c = 0; c < ncands && !ok; c++)
			if (cands[c].alg == SCHEME_ED25519 &&
			    crypto_sign_ed25519_verify_detached(cands[c].sig, msg, msglen,
			    secrets[k].key) == 0)
				ok = true;
	}
	free(m.buf);
	return ok;
}

/* Trims spaces and tabs around [*s, *e). */
static void
trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

/*
 * Splits the signature header into items and decodes every signature of a
 * kind the scheme knows into cands. A timestamp item (ts_item) is copied
 * into ts. Returns the number of candidates, or -1 with *reason set.
 */
static int
parse_signature_header(const struct scheme *s, const char *hdr,
    struct candidate *cands, char *ts, size_t tssize, const char **reason)
{
	const char *p = hdr, *end = hdr + strlen(hdr);
	int n = 0;
	bool have_ts = false;

	while (p <= end) {
		const char *is = p, *ie;
		const struct scheme_sig *k;

		if (s->sig_separator != '\0') {
			ie = memchr(p, s->sig_separator, (size_t)(end - p));
			if (ie == NULL)
				ie = end;
		} else
			ie = end;
		p = ie + 1;
		trim(&is, &ie);
		if (is == ie)
			continue;

		if (s->ts_item != NULL && (size_t)(ie - is) >= strlen(s->ts_item) &&
		    memcmp(is, s->ts_item, strlen(s->ts_item)) == 0) {
			size_t tl = (size_t)(ie - is) - strlen(s->ts_item);

			if (have_ts) {
				*reason = "more than one timestamp in the signature header";
				return -1;
			}
			if (tl >= tssize) {
				*reason = "malformed timestamp";
				return -1;
			}
			memcpy(ts, is + strlen(s->ts_item), tl);
			ts[tl] = '\0';
			have_ts = true;
			continue;
		}
		for (k = s->sigs; k->prefix != NULL; k++) {
			size_t pl = strlen(k->prefix);
			const char *v = is + pl;
			size_t want = alg_size(k->alg);
			int rc;

			if ((size_t)(ie - is) < pl || memcmp(is, k->prefix, pl) != 0)
				continue;
			if (n == SCHEME_MAX_CANDIDATES)
				break;
			if (k->encoding == SCHEME_HEX)
				rc = hex_decode_exact(cands[n].sig, want, v, (size_t)(ie - v));
			else
				rc = base64_decode_exact(cands[n].sig, want, v, (size_t)(ie - v));
			if (rc == 0)
				cands[n++].alg = k->alg;
			/* An item is of the first kind whose prefix it has. */
			break;
		}
	}
	return n;
}

/* Parses a decimal timestamp of at most 15 digits. Returns 0 on success. */
static int
parse_timestamp(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (*s == '\0' || strlen(s) > 15)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
scheme_verify(const struct scheme *s, const struct secret *secrets,
    size_t nsecrets, int tolerance, int64_t now, const struct headers *h,
    const unsigned char *body, size_t len, const char **reason)
{
	struct candidate cands[SCHEME_MAX_CANDIDATES];
	struct signed_input in = { s->signed_content, "", "", body, len };
	unsigned char mac[64];
	char tsbuf[32];
	const char *hdr;
	bool has_ts = s->ts_header != NULL || s->ts_item != NULL;
	bool want_alg[3] = { false, false, false };
	static const enum scheme_alg hmacs[] = { SCHEME_HMAC_SHA256, SCHEME_HMAC_SHA512 };
	bool ok = false;
	int ncands, c;
	size_t k, a;

	hdr = headers_get(h, s->sig_header);
	if (hdr == NULL) {
		*reason = "missing signature header";
		return -1;
	}
	tsbuf[0] = '\0';
	ncands = parse_signature_header(s, hdr, cands, tsbuf, sizeof(tsbuf), reason);
	if (ncands < 0)
		return -1;
	if (ncands == 0) {
		*reason = "no well-formed signature in the signature header";
		return -1;
	}

	if (has_ts) {
		int64_t ts;

		if (s->ts_header != NULL) {
			const char *v = headers_get(h, s->ts_header);

			if (v == NULL) {
				*reason = "missing timestamp header";
				return -1;
			}
			if (strlen(v) >= sizeof(tsbuf)) {
				*reason = "malformed timestamp";
				return -1;
			}
			memcpy(tsbuf, v, strlen(v) + 1);
		} else if (tsbuf[0] == '\0') {
			*reason = "missing timestamp in the signature header";
			return -1;
		}
		if (parse_timestamp(tsbuf, &ts) != 0) {
			*reason = "malformed timestamp";
			return -1;
		}
		if (now - ts > tolerance) {
			*reason = "timestamp older than the tolerance";
			return -1;
		}
		if (ts - now > tolerance && !s->ts_future_ok) {
			*reason = "timestamp ahead of the clock by more than the tolerance";
			return -1;
		}
		in.ts = tsbuf;
	}
	if (template_uses(s->signed_content, 'i')) {
		in.id = headers_get(h, s->id.name);
		if (in.id == NULL) {
			*reason = "missing id header, which the signature covers";
			return -1;
		}
	}

	for (c = 0; c < ncands; c++)
		want_alg[cands[c].alg] = true;

	if (want_alg[SCHEME_ED25519])
		ok = verify_ed25519(secrets, nsecrets, cands, ncands, &in);
	for (k = 0; k < nsecrets && !ok; k++) {
		const struct secret *sec = &secrets[k];

		if (sec->ed25519)
			continue;
		for (a = 0; a < nitems(hmacs); a++) {
			if (!want_alg[hmacs[a]])
				continue;
			signed_hmac(mac, hmacs[a], sec, &in);
			for (c = 0; c < ncands; c++)
				if (cands[c].alg == hmacs[a] &&
				    sodium_memcmp(mac, cands[c].sig, alg_size(hmacs[a])) == 0)
					ok = true;
		}
	}
	sodium_memzero(mac, sizeof(mac));
	if (!ok) {
		*reason = "no signature matched any secret";
		return -1;
	}
	return 0;
}

void
scheme_body_id(char out[SCHEME_BODY_ID_SIZE], const unsigned char *body, size_t len)
{
	unsigned char hash[crypto_hash_sha256_BYTES];

	memcpy(out, "sha256:", 7);
	crypto_hash_sha256(hash, body, len);
	sodium_bin2hex(out + 7, SCHEME_BODY_ID_SIZE - 7, hash, sizeof(hash));
}

int
scheme_sign(const struct scheme *s, const struct secret *key, const char *ts, const char *id,
    const unsigned char *body, size_t len, char *out, size_t outsize, const char **reason)
{
	struct signed_input in = { s->signed_content, ts != NULL ? ts : "", id != NULL ? id : "",
	    body, len };
	const struct scheme_sig *k;
	unsigned char mac[64];
	char enc[160];
	size_t size;
	int n;

	/* The first kind the scheme reads that is an HMAC: the one to make. */
	for (k = s->sigs; k->prefix != NULL && k->alg == SCHEME_ED25519; k++)
		;
	if (k->prefix == NULL) {
		*reason = "the scheme's signatures are Ed25519: hookq holds only public keys,"
		    " it can verify but not sign";
		return -1;
	}
	if (key->ed25519) {
		*reason = "the secret is an Ed25519 public key: hookq can verify but not sign";
		return -1;
	}
	if ((ts == NULL && (template_uses(s->signed_content, 't') || s->ts_item != NULL)) ||
	    (id == NULL && template_uses(s->signed_content, 'i'))) {
		*reason = "the signed content needs a timestamp or an id that was not given";
		return -1;
	}
	signed_hmac(mac, k->alg, key, &in);
	size = alg_size(k->alg);
	if (k->encoding == SCHEME_HEX)
		sodium_bin2hex(enc, sizeof(enc), mac, size);
	else
		sodium_bin2base64(enc, sizeof(enc), mac, size, sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(mac, sizeof(mac));
	if (s->ts_item != NULL) {
		char sep[2] = { s->sig_separator, '\0' };

		n = snprintf(out, outsize, "%s%s%s%s%s", s->ts_item, ts, sep, k->prefix, enc);
	} else
		n = snprintf(out, outsize, "%s%s", k->prefix, enc);
	if (n < 0 || (size_t)n >= outsize) {
		*reason = "signature header longer than the buffer";
		return -1;
	}
	return 0;
}
