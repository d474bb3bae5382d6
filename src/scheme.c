/*
 * scheme.c: the engine that verifies (and signs) as a scheme row says.
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

#include "fields.h"
#include "form.h"
#include "libcrypto.h"
#include "scheme.h"
#include "util.h"

int
scheme_init(void)
{
	return sodium_init() < 0 || libcrypto_init() != 0 ? -1 : 0;
}

void
scheme_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

const struct scheme *
scheme_find(const char *name)
{
	size_t i;

	for (i = 0; i < SCHEME_TABLE_SIZE; i++)
		if (strcmp(SCHEME_TABLE[i].name, name) == 0)
			return &SCHEME_TABLE[i];
	return NULL;
}

const char *
scheme_name(size_t i)
{
	if (i < SCHEME_TABLE_SIZE)
		return SCHEME_TABLE[i].name;
	return i == SCHEME_TABLE_SIZE ? "generic" : NULL;
}

int
scheme_generic(struct scheme *s, char *g[GENERIC_NKEYS], const char **reason, const char **key)
{
	const char *alg = g[GENERIC_ALGORITHM] != NULL ? g[GENERIC_ALGORITHM] : "hmac-sha256";

	memset(s, 0, sizeof(*s));
	*key = NULL;
	s->name = "generic";
	s->signed_content = "%b";
	if (g[GENERIC_SIGNATURE_HEADER] == NULL) {
		*reason = "scheme generic needs signature_header";
		return -1;
	}
	if (g[GENERIC_ID_HEADER] != NULL && g[GENERIC_ID_JSON] != NULL) {
		*reason = "id_header and id_json both given";
		*key = "id_json";
		return -1;
	}
	if (g[GENERIC_TYPE_HEADER] != NULL && g[GENERIC_TYPE_JSON] != NULL) {
		*reason = "type_header and type_json both given";
		*key = "type_json";
		return -1;
	}
	str_lower(g[GENERIC_SIGNATURE_HEADER]);
	str_lower(g[GENERIC_ID_HEADER]);
	str_lower(g[GENERIC_TYPE_HEADER]);
	s->sig_header = g[GENERIC_SIGNATURE_HEADER];
	s->sigs[0].prefix = g[GENERIC_SIGNATURE_PREFIX] != NULL ? g[GENERIC_SIGNATURE_PREFIX] : "";
	s->sigs[0].encoding = g[GENERIC_ENCODING] != NULL &&
	    strcmp(g[GENERIC_ENCODING], "base64") == 0 ? SCHEME_BASE64 : SCHEME_HEX;
	if (strcmp(alg, "hmac-sha512") == 0)
		s->sigs[0].alg = SCHEME_HMAC_SHA512;
	else if (strcmp(alg, "ed25519") == 0)
		s->sigs[0].alg = SCHEME_ED25519;
	else
		s->sigs[0].alg = SCHEME_HMAC_SHA256;
	s->key_format = s->sigs[0].alg == SCHEME_ED25519 ? SCHEME_KEY_ED25519 : SCHEME_KEY_RAW;
	if (g[GENERIC_ID_HEADER] != NULL)
		s->id[0] = (struct field){ FIELD_FROM_HEADER, g[GENERIC_ID_HEADER] };
	else if (g[GENERIC_ID_JSON] != NULL)
		s->id[0] = (struct field){ FIELD_FROM_JSON, g[GENERIC_ID_JSON] };
	if (g[GENERIC_TYPE_HEADER] != NULL)
		s->type[0] = (struct field){ FIELD_FROM_HEADER, g[GENERIC_TYPE_HEADER] };
	else if (g[GENERIC_TYPE_JSON] != NULL)
		s->type[0] = (struct field){ FIELD_FROM_JSON, g[GENERIC_TYPE_JSON] };
	return 0;
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
	case SCHEME_HMAC_SHA1:
		return LIBCRYPTO_SHA1_BYTES;
	case SCHEME_ED25519:
		return crypto_sign_ed25519_BYTES;
	case SCHEME_ECDSA_P256:
		return LIBCRYPTO_ECDSA_P256_MAX; /* at most: DER is of varying length */
	case SCHEME_RSA_SHA1:
	case SCHEME_RSA_SHA256:
		return LIBCRYPTO_RSA_MAX;        /* at most: the key's size */
	case SCHEME_TOKEN:
		return crypto_hash_sha256_BYTES;
	case SCHEME_NALGS:
		break;
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

/*
 * A public key or certificate line: base64 of DER that ok() takes. Sets
 * *kind and out's bytes; or -1 with *reason (not_base64, or ok()'s).
 */
static int
der_key(const char *line, size_t len, bool (*ok)(const unsigned char *, size_t, const char **),
    bool *kind, struct secret *out, const char *not_base64, const char **reason)
{
	unsigned char buf[SCHEME_SECRET_MAX];
	ssize_t n = base64_decode(buf, sizeof(buf), line, len);

	if (n <= 0) {
		*reason = not_base64;
		return -1;
	}
	if (!ok(buf, (size_t)n, reason))
		return -1;
	*kind = true;
	out->key = xmalloc((size_t)n);
	memcpy(out->key, buf, (size_t)n);
	out->len = (size_t)n;
	return 0;
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
			scheme_wipe(buf, sizeof(buf));
			*reason = "secret is not whsec_ followed by base64";
			return -1;
		}
		out->key = xmalloc((size_t)n);
		memcpy(out->key, buf, (size_t)n);
		out->len = (size_t)n;
		scheme_wipe(buf, sizeof(buf));
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
	case SCHEME_KEY_X509:
		return der_key(line, len, libcrypto_x509_ok, &out->x509, out,
		    "certificate is not base64 (of its DER: a PEM without its lines)", reason);
	case SCHEME_KEY_P256:
		return der_key(line, len, libcrypto_p256_key_ok, &out->p256, out,
		    "public key is not base64 (of its DER SubjectPublicKeyInfo)", reason);
	}
	*reason = "unknown key format";
	return -1;
}

void
scheme_secret_clear(struct secret *sec)
{
	if (sec->key != NULL) {
		scheme_wipe(sec->key, sec->len);
		free(sec->key);
	}
	memset(sec, 0, sizeof(*sec));
}

/* One signature read from the header, decoded: len bytes (DER ECDSA ones vary). */
#define CANDIDATE_MAX LIBCRYPTO_RSA_MAX
struct candidate {
	enum scheme_alg alg;
	size_t len;
	unsigned char sig[CANDIDATE_MAX];
};

/* The pieces the signed content is made of, for one request. */
struct signed_input {
	const char *template;
	const char *ts;
	const char *id;
	const char *token;
	const char *url;
	const unsigned char *body;
	size_t len;
	const char *form;    /* %f: the form's pairs sorted, concatenated (Twilio), or "" */
	size_t formlen;
	const char *query;   /* %q: the request's query string, or "" */
	const char *named;   /* %n: the signed fields, "name\nvalue\n" each (AWS SNS), or "" */
	size_t namedlen;
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
		case 'k':
			emit(arg, (const unsigned char *)in->token, strlen(in->token));
			break;
		case 'u':
			emit(arg, (const unsigned char *)in->url, strlen(in->url));
			break;
		case 'f':
			emit(arg, (const unsigned char *)in->form, in->formlen);
			break;
		case 'n':
			emit(arg, (const unsigned char *)in->named, in->namedlen);
			break;
		case 'q':
			/* The URL as requested: "?" and the query string, when there is one. */
			if (in->query[0] != '\0') {
				emit(arg, (const unsigned char *)"?", 1);
				emit(arg, (const unsigned char *)in->query, strlen(in->query));
			}
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

static void
emit_sha1(void *arg, const unsigned char *p, size_t n)
{
	libcrypto_hmac_update(arg, p, n);
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
	if (alg == SCHEME_HMAC_SHA1) {
		struct libcrypto_hmac *h = libcrypto_hmac_sha1(key->key, key->len);

		signed_walk(in, emit_sha1, h);
		libcrypto_hmac_final(h, mac);
	} else if (alg == SCHEME_HMAC_SHA256) {
		crypto_auth_hmacsha256_state st;

		crypto_auth_hmacsha256_init(&st, key->key, key->len);
		signed_walk(in, emit_sha256, &st);
		crypto_auth_hmacsha256_final(&st, mac);
		scheme_wipe(&st, sizeof(st));
	} else {
		crypto_auth_hmacsha512_state st;

		crypto_auth_hmacsha512_init(&st, key->key, key->len);
		signed_walk(in, emit_sha512, &st);
		crypto_auth_hmacsha512_final(&st, mac);
		scheme_wipe(&st, sizeof(st));
	}
}

/* True when the candidate is a signature of key's over msg. */
static bool
public_verify(const struct candidate *c, const struct secret *key, const unsigned char *msg,
    size_t msglen)
{
	if (c->alg == SCHEME_ED25519 && key->ed25519)
		return crypto_sign_ed25519_verify_detached(c->sig, msg, msglen, key->key) == 0;
	if (c->alg == SCHEME_ECDSA_P256 && key->p256)
		return libcrypto_p256_verify(key->key, key->len, c->sig, c->len, msg, msglen);
	if ((c->alg == SCHEME_RSA_SHA1 || c->alg == SCHEME_RSA_SHA256) && key->x509)
		return libcrypto_rsa_verify(key->key, key->len, c->alg == SCHEME_RSA_SHA256, c->sig,
		    c->len, msg, msglen);
	return false;
}

/*
 * True when some public-key candidate (Ed25519, ECDSA) verifies under some
 * public key of the source. Neither has a streaming verify, so the signed
 * content is assembled once (unless it is the body itself) for all keys
 * and signatures.
 */
static bool
verify_public(const struct secret *secrets, size_t nsecrets,
    const struct candidate *cands, int ncands, const struct signed_input *in, size_t *matched)
{
	struct message m = { NULL, 0 };
	const unsigned char *msg = in->body;
	size_t msglen = in->len, total = 0, k;
	bool ok = false;
	int c;

	if (strcmp(in->template, "%b") != 0) {
		signed_walk(in, emit_count, &total);
		m.buf = xmalloc(total + 1);
		signed_walk(in, emit_message, &m);
		msg = m.buf;
		msglen = m.len;
	}
	for (k = 0; k < nsecrets && !ok; k++) {
		if (!scheme_secret_public(&secrets[k]))
			continue;
		for (c = 0; c < ncands && !ok; c++)
			if (public_verify(&cands[c], &secrets[k], msg, msglen)) {
				ok = true;
				*matched = k;
			}
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
 * Decodes one signature item of kind k (v, len bytes, after the prefix)
 * into c. A token's SHA-256 is kept (of its bytes, or of what its base64
 * decodes to: Basic auth), so comparing it with a secret takes the same
 * time whatever either's length. Returns 0, or -1 when it is malformed.
 */
static int
decode_candidate(const struct scheme_sig *k, const char *v, size_t len, struct candidate *c)
{
	size_t want = alg_size(k->alg);
	ssize_t n;

	if (k->alg == SCHEME_TOKEN) {
		unsigned char buf[SCHEME_SECRET_MAX];

		c->len = crypto_hash_sha256_BYTES;
		if (k->encoding != SCHEME_BASE64) {
			crypto_hash_sha256(c->sig, (const unsigned char *)v, len);
			return 0;
		}
		n = base64_decode(buf, sizeof(buf), v, len);
		if (n <= 0)
			return -1;
		crypto_hash_sha256(c->sig, buf, (unsigned long long)n);
		scheme_wipe(buf, (size_t)n);
		return 0;
	}
	if (k->alg == SCHEME_ECDSA_P256 || k->alg == SCHEME_RSA_SHA1 || k->alg == SCHEME_RSA_SHA256) {
		/* DER ECDSA: a SEQUENCE of two INTEGERs, 8 bytes at the very least; RSA: more. */
		if (k->encoding == SCHEME_HEX) {
			const char *end;
			size_t got;

			if (sodium_hex2bin(c->sig, want, v, len, NULL, &got, &end) != 0 ||
			    end != v + len)
				return -1;
			n = (ssize_t)got;
		} else
			n = base64_decode(c->sig, want, v, len);
		if (n < 8)
			return -1;
		c->len = (size_t)n;
		return 0;
	}
	c->len = want;
	if (k->encoding == SCHEME_HEX)
		return hex_decode_exact(c->sig, want, v, len);
	return base64_decode_exact(c->sig, want, v, len);
}

/*
 * Splits the signature header into items and decodes every signature of a
 * kind the scheme knows into cands. A timestamp item (ts_item) is copied
 * into ts. A token (SCHEME_TOKEN) is kept as its SHA-256, so that comparing
 * it with a secret takes the same time whatever either's length. Returns the
 * number of candidates, or -1 with *reason set.
 */
static int
parse_signature_header(const struct scheme *s, const char *hdr, const char *version,
    struct candidate *cands, int max, char *ts, size_t tssize, const char **reason)
{
	const char *p = hdr, *end = hdr + strlen(hdr);
	int n = 0;
	bool have_ts = false;

	while (p <= end) {
		const char *is = p, *ie;
		const struct scheme_sig *k;

		for (ie = p; ie < end && (s->sig_separator == '\0' || *ie != s->sig_separator) &&
		    (s->sig_separator2 == '\0' || *ie != s->sig_separator2); ie++)
			;
		p = ie + 1;
		trim(&is, &ie);
		if (is == ie)
			continue;

		if (s->ts_item != NULL && (size_t)(ie - is) >= strlen(s->ts_item) &&
		    memcmp(is, s->ts_item, strlen(s->ts_item)) == 0) {
			size_t tl = (size_t)(ie - is) - strlen(s->ts_item);

			if (tl >= tssize) {
				*reason = "malformed timestamp";
				return -1;
			}
			/* Persona repeats t= in each set of a rotation; elsewhere two are refused. */
			if (have_ts && (!s->ts_item_repeats || strlen(ts) != tl ||
			    memcmp(ts, is + strlen(s->ts_item), tl) != 0)) {
				*reason = "more than one timestamp in the signature header";
				return -1;
			}
			memcpy(ts, is + strlen(s->ts_item), tl);
			ts[tl] = '\0';
			have_ts = true;
			continue;
		}
		for (k = s->sigs; k->prefix != NULL; k++) {
			size_t pl = strlen(k->prefix);
			const char *v = is + pl, *want = s->sig_versions[k - s->sigs];
			int rc;

			/* A kind of one version counts only when the request names that version. */
			if (want != NULL && (version == NULL || strcmp(version, want) != 0))
				continue;
			if ((size_t)(ie - is) < pl || memcmp(is, k->prefix, pl) != 0)
				continue;
			if (n == max)
				break;
			rc = decode_candidate(k, v, (size_t)(ie - v), &cands[n]);
			if (rc == 0)
				cands[n++].alg = k->alg;
			/* An item is of the first kind whose prefix it has. */
			break;
		}
	}
	return n;
}

/* Parses 1 to 15 decimal digits. Returns 0 on success. */
static int
parse_decimal(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (len == 0 || len > 15)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to the date (proleptic Gregorian; H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Parses an RFC 3339 time, "2021-03-25T05:09:27Z": a fraction of a second
 * is allowed and dropped, the zone is Z or +hh:mm / -hh:mm. Returns 0 with
 * *out in seconds since the epoch.
 */
static int
parse_iso8601(const char *s, int64_t *out)
{
	int64_t y, mo, d, h, mi, sec, off = 0, oh, om;
	size_t n = strlen(s), i = 19;

	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':' ||
	    parse_decimal(s, 4, &y) != 0 || parse_decimal(s + 5, 2, &mo) != 0 ||
	    parse_decimal(s + 8, 2, &d) != 0 || parse_decimal(s + 11, 2, &h) != 0 ||
	    parse_decimal(s + 14, 2, &mi) != 0 || parse_decimal(s + 17, 2, &sec) != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (s[i] == '.') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == 20)
			return -1;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
		off = 0;
	else if ((s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':' &&
	    parse_decimal(s + i + 1, 2, &oh) == 0 && parse_decimal(s + i + 4, 2, &om) == 0 &&
	    oh <= 23 && om <= 59)
		off = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
	else
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	return 0;
}

/* Parses a timestamp as the scheme writes them into seconds since the epoch. */
static int
parse_timestamp(enum scheme_ts_format fmt, const char *s, int64_t *out)
{
	switch (fmt) {
	case SCHEME_TS_UNIX:
		return parse_decimal(s, strlen(s), out);
	case SCHEME_TS_UNIX_MS:
		if (parse_decimal(s, strlen(s), out) != 0)
			return -1;
		*out /= 1000;
		return 0;
	case SCHEME_TS_ISO8601:
		return parse_iso8601(s, out);
	}
	return -1;
}

/* Checks the timestamp's form and that it is within tolerance of now. */
static int
check_timestamp(const struct scheme *s, const char *ts, int tolerance, int64_t now,
    const char **reason)
{
	int64_t t;

	if (parse_timestamp(s->ts_format, ts, &t) != 0) {
		*reason = "malformed timestamp";
		return -1;
	}
	if (now - t > tolerance) {
		*reason = "timestamp older than the tolerance";
		return -1;
	}
	if (t - now > tolerance && !s->ts_future_ok) {
		*reason = "timestamp ahead of the clock by more than the tolerance";
		return -1;
	}
	return 0;
}

static bool
has_fields(const struct field list[FIELD_LIST_MAX])
{
	return list[0].from != FIELD_FROM_NONE;
}

bool
scheme_token_equal(const char *a, const char *b)
{
	unsigned char ha[crypto_hash_sha256_BYTES], hb[crypto_hash_sha256_BYTES];
	bool eq;

	/* Hashing first makes the comparison's time independent of the lengths too. */
	crypto_hash_sha256(ha, (const unsigned char *)a, strlen(a));
	crypto_hash_sha256(hb, (const unsigned char *)b, strlen(b));
	eq = sodium_memcmp(ha, hb, sizeof(ha)) == 0;
	scheme_wipe(ha, sizeof(ha));
	scheme_wipe(hb, sizeof(hb));
	return eq;
}

bool
scheme_signs(const struct scheme *s, char c)
{
	return template_uses(s->signed_content, c);
}

/*
 * %n's text: for each of the row's signed fields present in the body, its
 * name, "\n", its value, "\n" (AWS SNS's string to sign). Into *out
 * (malloc'd, *len bytes); 0, or -1 when the body is not JSON.
 */
static int
signed_fields(const struct scheme *s, struct fields *f, char **out, size_t *len,
    const char **reason)
{
	size_t i, n = 0, o = 0;
	const char *v;

	if (fields_body(f, reason) != 0)
		return -1;
	for (i = 0; i < SCHEME_MAX_SIGNED_FIELDS && s->signed_fields[i].from != FIELD_FROM_NONE; i++)
		if ((v = fields_get(f, &s->signed_fields[i])) != NULL)
			n += strlen(s->signed_fields[i].name) + strlen(v) + 2;
	*out = xmalloc(n + 1);
	for (i = 0; i < SCHEME_MAX_SIGNED_FIELDS && s->signed_fields[i].from != FIELD_FROM_NONE; i++)
		if ((v = fields_get(f, &s->signed_fields[i])) != NULL)
			o += (size_t)snprintf(*out + o, n + 1 - o, "%s\n%s\n", s->signed_fields[i].name, v);
	*len = o;
	return 0;
}

/*
 * A body that is not a form is covered by its SHA-256 in a query parameter
 * the signature covers (Twilio's bodySHA256): it must be there and match.
 */
static int
check_body_sha256(const struct scheme *s, struct fields *f, const char **reason)
{
	const struct field param = { FIELD_FROM_QUERY, s->body_sha256_param };
	const char *v = fields_get(f, &param);
	unsigned char hash[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];

	if (v == NULL) {
		*reason = "missing the body's hash in the query string";
		return -1;
	}
	crypto_hash_sha256(hash, f->body, f->len);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	/* Lower-case hex, as the sender writes it. */
	if (strlen(v) != 64 || sodium_memcmp(v, hex, 64) != 0) {
		*reason = "the body's hash in the query string does not match the body";
		return -1;
	}
	return 0;
}

/*
 * The signed input's pieces that come before the MAC: the timestamp when
 * the signed content holds it or it is a header or item, the id header,
 * the token and the URL. Returns 0, or -1 with *reason.
 */
static int
gather_signed(const struct scheme *s, const struct scheme_params *p, struct fields *f,
    char *tsbuf, struct signed_input *in, char **form, char **named, const char **reason)
{
	if (s->ts_header != NULL) {
		const char *v = headers_get(f->headers, s->ts_header);

		if (v == NULL) {
			*reason = "missing timestamp header";
			return -1;
		}
		in->ts = v;
	} else if (s->ts_item != NULL) {
		if (tsbuf[0] == '\0') {
			*reason = "missing timestamp in the signature header";
			return -1;
		}
		in->ts = tsbuf;
	} else if (has_fields(s->ts_body) && template_uses(s->signed_content, 't')) {
		if ((in->ts = fields_first(f, s->ts_body)) == NULL) {
			*reason = "missing timestamp in the body";
			return -1;
		}
	}
	if (template_uses(s->signed_content, 'i')) {
		in->id = headers_get(f->headers, s->id[0].name);
		if (in->id == NULL) {
			*reason = "missing id header, which the signature covers";
			return -1;
		}
	}
	if (template_uses(s->signed_content, 'k') &&
	    (in->token = fields_first(f, s->token)) == NULL) {
		*reason = "missing token, which the signature covers";
		return -1;
	}
	if (template_uses(s->signed_content, 'u')) {
		if (p->url == NULL) {
			*reason = "no notification_url, which the signature covers";
			return -1;
		}
		in->url = p->url;
	}
	if (template_uses(s->signed_content, 'q') && f->query != NULL)
		in->query = f->query;
	/* A form's pairs, sorted (Twilio); a JSON body is covered by its hash instead. */
	if (template_uses(s->signed_content, 'f') && f->form) {
		form_sorted_concat((const char *)f->body, f->len, form, &in->formlen);
		in->form = *form;
	}
	if (template_uses(s->signed_content, 'n') && signed_fields(s, f, named, &in->namedlen,
	    reason) != 0)
		return -1;
	if (*named != NULL)
		in->named = *named;
	if (s->body_sha256_param != NULL && !f->form)
		return check_body_sha256(s, f, reason);
	return 0;
}

/* Reads the signature (headers or body fields) into cands; returns their count or -1. */
static int
read_signatures(const struct scheme *s, struct fields *f, struct candidate *cands,
    char *tsbuf, size_t tssize, const char **reason)
{
	const char *sig, *version = NULL;
	int n;

	if (s->sig_version.from != FIELD_FROM_NONE && (s->sig_version.from == FIELD_FROM_HEADER ||
	    fields_body(f, reason) == 0))
		version = fields_get(f, &s->sig_version);
	if (s->sig_header != NULL) {
		const char *sig2 = s->sig_header2 != NULL ? headers_get(f->headers, s->sig_header2) :
		    NULL;

		sig = headers_get(f->headers, s->sig_header);
		if (sig == NULL && sig2 == NULL) {
			*reason = "missing signature header";
			return -1;
		}
		/* Box: each header is a signature under one of two keys; both are candidates. */
		n = sig == NULL ? 0 : parse_signature_header(s, sig, version, cands, SCHEME_MAX_CANDIDATES,
		    tsbuf, tssize, reason);
		if (n < 0)
			return -1;
		if (sig2 != NULL) {
			int n2 = parse_signature_header(s, sig2, version, cands + n,
			    SCHEME_MAX_CANDIDATES - n,
			    tsbuf, tssize, reason);

			if (n2 < 0)
				return -1;
			n += n2;
		}
		if (n == 0) {
			*reason = "no well-formed signature";
			return -1;
		}
		return n;
	} else {
		if (fields_body(f, reason) != 0)
			return -1;
		if ((sig = fields_first(f, s->sig_body)) == NULL) {
			*reason = "no signature in the body";
			return -1;
		}
	}
	n = parse_signature_header(s, sig, version, cands, SCHEME_MAX_CANDIDATES, tsbuf, tssize,
	    reason);
	if (n == 0) {
		*reason = "no well-formed signature";
		return -1;
	}
	return n;
}

int
scheme_verify(const struct scheme *s, const struct scheme_params *p, struct fields *f,
    int64_t now, size_t *matched, const char **reason)
{
	struct candidate cands[SCHEME_MAX_CANDIDATES];
	struct signed_input in = { .template = s->signed_content, .id = "", .token = "", .url = "",
	    .body = f->body, .len = f->len, .form = "", .query = "", .named = "" };
	char *form = NULL, *named = NULL;
	unsigned char mac[64];
	char tsbuf[32];
	bool want_alg[SCHEME_NALGS] = { false };
	static const enum scheme_alg hmacs[] = {
		SCHEME_HMAC_SHA256, SCHEME_HMAC_SHA512, SCHEME_HMAC_SHA1
	};
	bool ok = false;
	int ncands, c;
	size_t k, a;

	tsbuf[0] = '\0';
	ncands = read_signatures(s, f, cands, tsbuf, sizeof(tsbuf), reason);
	if (ncands < 0 || gather_signed(s, p, f, tsbuf, &in, &form, &named, reason) != 0)
		goto out;
	/* A timestamp read so far is checked before any MAC is computed. */
	if (in.ts != NULL && check_timestamp(s, in.ts, p->tolerance, now, reason) != 0)
		goto out;
	if (in.ts == NULL)
		in.ts = "";

	for (c = 0; c < ncands; c++)
		want_alg[cands[c].alg] = true;

	if (want_alg[SCHEME_ED25519] || want_alg[SCHEME_ECDSA_P256] || want_alg[SCHEME_RSA_SHA1] ||
	    want_alg[SCHEME_RSA_SHA256])
		ok = verify_public(p->secrets, p->nsecrets, cands, ncands, &in, matched);
	for (k = 0; k < p->nsecrets && !ok; k++) {
		const struct secret *sec = &p->secrets[k];

		if (scheme_secret_public(sec))
			continue;
		if (want_alg[SCHEME_TOKEN]) {
			crypto_hash_sha256(mac, sec->key, sec->len);
			for (c = 0; c < ncands; c++)
				if (cands[c].alg == SCHEME_TOKEN &&
				    sodium_memcmp(mac, cands[c].sig, crypto_hash_sha256_BYTES) == 0)
					ok = true;
		}
		for (a = 0; a < nitems(hmacs); a++) {
			if (!want_alg[hmacs[a]])
				continue;
			signed_hmac(mac, hmacs[a], sec, &in);
			for (c = 0; c < ncands; c++)
				if (cands[c].alg == hmacs[a] &&
				    sodium_memcmp(mac, cands[c].sig, alg_size(hmacs[a])) == 0)
					ok = true;
		}
		if (ok)
			*matched = k;
	}
	if (!ok)
		*reason = "no signature matched any secret";
out:
	/*
	 * cands may hold a token's SHA-256 (GitLab), mac a secret's: neither
	 * outlives the call. Only the candidates decoded were written (and the
	 * one after, that a malformed item may have half-filled): a whole array
	 * of RSA-sized ones is 8 KiB to wipe per request. After an error while
	 * reading them, all of it.
	 */
	scheme_wipe(cands, ncands >= 0 && ncands < SCHEME_MAX_CANDIDATES ?
	    (size_t)(ncands + 1) * sizeof(cands[0]) : sizeof(cands));
	scheme_wipe(mac, sizeof(mac));
	free(form);
	free(named);
	if (!ok)
		return -1;
	/* A timestamp only in the body is read once the body is known to be the sender's. */
	if (has_fields(s->ts_body) && !template_uses(s->signed_content, 't')) {
		const char *ts = fields_first(f, s->ts_body);

		if (ts == NULL) {
			*reason = "missing timestamp in the body";
			return -1;
		}
		if (check_timestamp(s, ts, p->tolerance, now, reason) != 0)
			return -1;
	}
	return 0;
}

void
scheme_mac_text(const struct secret *key, const char *value, enum scheme_encoding enc,
    const char *prefix, char out[SCHEME_MAC_TEXT_SIZE])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	size_t pl = prefix != NULL ? strlen(prefix) : 0;

	crypto_auth_hmacsha256_init(&st, key->key, key->len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)value, strlen(value));
	crypto_auth_hmacsha256_final(&st, mac);
	scheme_wipe(&st, sizeof(st));
	/* Rows' prefixes are short constants ("sha256="); the MAC's text fits after them. */
	if (pl > 32)
		pl = 32;
	memcpy(out, prefix != NULL ? prefix : "", pl);
	if (enc == SCHEME_BASE64)
		sodium_bin2base64(out + pl, SCHEME_MAC_TEXT_SIZE - pl, mac, sizeof(mac),
		    sodium_base64_VARIANT_ORIGINAL);
	else
		sodium_bin2hex(out + pl, SCHEME_MAC_TEXT_SIZE - pl, mac, sizeof(mac));
	scheme_wipe(mac, sizeof(mac));
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
    const char *url, const unsigned char *body, size_t len, char *out, size_t outsize,
    const char **reason)
{
	struct signed_input in = { .template = s->signed_content, .ts = ts != NULL ? ts : "",
	    .id = id != NULL ? id : "", .token = "", .url = url != NULL ? url : "", .body = body,
	    .len = len, .form = "", .query = "", .named = "" };
	const struct scheme_sig *k;
	unsigned char mac[64];
	char enc[160];
	size_t size;
	int n;

	/* The first kind the scheme reads that is an HMAC: the one to make. */
	for (k = s->sigs; k->prefix != NULL && (k->alg == SCHEME_ED25519 ||
	    k->alg == SCHEME_ECDSA_P256 || k->alg == SCHEME_RSA_SHA1 || k->alg == SCHEME_RSA_SHA256);
	    k++)
		;
	if (k->prefix == NULL) {
		*reason = "the scheme's signatures are public-key ones (Ed25519, ECDSA, RSA): hookq holds"
		    " only public keys, it can verify but not sign";
		return -1;
	}
	if (k->alg == SCHEME_TOKEN) {
		*reason = "the sender sends the secret itself, which hookq does not print";
		return -1;
	}
	if (template_uses(s->signed_content, 'f') || template_uses(s->signed_content, 'q') ||
	    template_uses(s->signed_content, 'n')) {
		*reason = "the sender signs the request's query string and form fields:"
		    " send a test from the sender";
		return -1;
	}
	if (s->sig_header == NULL || has_fields(s->ts_body) || has_fields(s->token)) {
		*reason = "the scheme's signature or timestamp is inside the body:"
		    " send a test from the sender";
		return -1;
	}
	if (scheme_secret_public(key)) {
		*reason = "the secret is a public key: hookq can verify but not sign";
		return -1;
	}
	if ((ts == NULL && (template_uses(s->signed_content, 't') || s->ts_item != NULL)) ||
	    (id == NULL && template_uses(s->signed_content, 'i')) ||
	    (url == NULL && template_uses(s->signed_content, 'u'))) {
		*reason = "the signed content needs a timestamp, an id or a URL that was not given";
		return -1;
	}
	signed_hmac(mac, k->alg, key, &in);
	size = alg_size(k->alg);
	if (k->encoding == SCHEME_HEX)
		sodium_bin2hex(enc, sizeof(enc), mac, size);
	else
		sodium_bin2base64(enc, sizeof(enc), mac, size, sodium_base64_VARIANT_ORIGINAL);
	scheme_wipe(mac, sizeof(mac));
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
