/*
 * scheme_fuzz.c: libFuzzer harness for signature parsing and verification
 * (src/scheme.c) under every scheme, driven as the receiver drives it:
 * request_route() and request_check() (src/request.c) over one request, so
 * the fields (src/fields.c), the handshakes and the id and type extraction
 * that follow a good signature are fuzzed too.
 *
 * An input is byte 0, the row of ROWS (new rows go at the end, so the
 * corpus keeps its meaning), byte 1, FLAG_* bits, then header lines
 * "name: value" up to an empty line ("?text" is the query string), then
 * the body. Each row has fixed test secrets, the ones tests/vectors/ signs
 * with, so the seed corpus made from the vectors (make_corpus.py) gets past
 * verification. With FLAG_SIGN the harness signs the request itself,
 * without scheme.c (its own template expansion, libsodium's MACs, Ed25519
 * keys derived as the vector scripts derive them), so mutated bodies still
 * reach the code after verification: a request it signed must never be
 * refused for its signature, and scheme_sign() must make what it makes.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <yajl/yajl_tree.h>

#include "config.h"
#include "fields.h"
#include "fuzz.h"
#include "headers.h"
#include "request.h"
#include "response.h"
#include "scheme.h"
#include "util.h"
#include "../unit/generic_rows.h"

/* The clock of every request: the vectors' "now". */
#define NOW 1700000000
#define NOW_ISO8601 "2023-11-14T22:13:20Z"

#define FLAG_SIGN 0x01    /* sign the request as the sender would */
#define FLAG_GET 0x02     /* a GET (Meta's verification), not a POST */
#define FLAG_ALLOW 0x04   /* the source has an allow-list of event types */
#define FLAG_ROTATE 0x08  /* a secret that signs nothing comes first */
#define FLAG_SECRETS 0x10 /* the body's lines are secret lines to parse, nothing else */
#define FLAG_DEDUP 0x20   /* the source has dedup = body */

/* Every escape of the signed-content template (as tests/unit/scheme_test.c's TEMPLATE). */
static const struct scheme TEMPLATE = {
	.name = "template",
	.sig_header = "x-sig",
	.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
	.signed_content = "100%%:%i:%t:%b",
	.ts_header = "x-ts",
	.key_format = SCHEME_KEY_RAW,
	.id = { { FIELD_FROM_HEADER, "x-id" } },
};

/* ECDSA P-256 public keys (SendGrid's SDK tests', tests/vectors/senders_more.py). */
#define P256_KEY "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbh" \
	"dbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
#define P256_OTHER "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1" \
	"flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="

/* An RSA certificate (AWS's validator tests', tests/vectors/senders_more.py), base64 DER. */
#define X509_CERT \
	"MIIF1zCCBL+gAwIBAgIQB9pYWG3Mi7xej22g9pobJTANBgkqhkiG9w0BAQsFADBGMQswCQYD" \
	"VQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRUwEwYDVQQLEwxTZXJ2ZXIgQ0EgMUIxDzANBgNV" \
	"BAMTBkFtYXpvbjAeFw0yMTA5MDcwMDAwMDBaFw0yMjA4MTcyMzU5NTlaMBwxGjAYBgNVBAMT" \
	"EXNucy5hbWF6b25hd3MuY29tMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAutFq" \
	"ueT3XgP13udzxE6UpbdjOtVO5DwoMpSMiDNMnGzF1TYH5/R2LPUOBeTB0SkKnR4kpNcUZhic" \
	"pGD4aKciz/GEZ6wu65xncfT9H/KBOQwoXYTuClHwp6fYpGzcGFaFoEYMnijL/o4qmTSd+ukg" \
	"lQUgKpsDw4ofw6rUm2CttJo+GQSNQ9NfGR1h/0J+zsApkeSYrXRx5wNlu87z8os1C/6PBrUH" \
	"wt3xXeafXzfwut8aRRYsS8BySOA9DAgLfNHlfdQCjKPXKrG/ussgReyWD6n/HH+j7Uha3xos" \
	"TzQqJifcxlTq6MxWdPR6fDaJNvqw6DOE7UjUNxHguXHlVfxhlQIDAQABo4IC6TCCAuUwHwYD" \
	"VR0jBBgwFoAUWaRmBlKge5WSPKOUByeWdFv5PdAwHQYDVR0OBBYEFAqzC+vyouneE7mWWLbi" \
	"9i0UsWUbMBwGA1UdEQQVMBOCEXNucy5hbWF6b25hd3MuY29tMA4GA1UdDwEB/wQEAwIFoDAd" \
	"BgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwOwYDVR0fBDQwMjAwoC6gLIYqaHR0cDov" \
	"L2NybC5zY2ExYi5hbWF6b250cnVzdC5jb20vc2NhMWIuY3JsMBMGA1UdIAQMMAowCAYGZ4EM" \
	"AQIBMHUGCCsGAQUFBwEBBGkwZzAtBggrBgEFBQcwAYYhaHR0cDovL29jc3Auc2NhMWIuYW1h" \
	"em9udHJ1c3QuY29tMDYGCCsGAQUFBzAChipodHRwOi8vY3J0LnNjYTFiLmFtYXpvbnRydXN0" \
	"LmNvbS9zY2ExYi5jcnQwDAYDVR0TAQH/BAIwADCCAX0GCisGAQQB1nkCBAIEggFtBIIBaQFn" \
	"AHYAKXm+8J45OSHwVnOfY6V35b5XfZxgCvj5TV0mXCVdx4QAAAF7vfDVkQAABAMARzBFAiEA" \
	"2XfHuy36aqRFiaL8c3md2mH451go8707+fRE0pEdSRACIE/g5FXTUXUZPFcmOhm9TZ+uMY1i" \
	"4CIQ/CKVWln6C3t+AHYAUaOw9f0BeZxWbbg3eI8MpHrMGyfL956IQpoN/tSLBeUAAAF7vfDV" \
	"jAAABAMARzBFAiBF1MhhFP0+FQt3daDFfMYoWwnrmuTInrjNpwfzlvQBugIhAPYadFzr+Lax" \
	"SJoiZEbEHBvTts7bT0M3eCQONA2O7w6nAHUAQcjKsd8iRkoQxqE6CUKHXk4xixsD6+tLx2jw" \
	"kGKWBvYAAAF7vfDVdAAABAMARjBEAiAtPapmFAuA71ih4NoSd5hJelzAltNQpxDMcDfDyHyU" \
	"8gIgWxmaa6+2KbBu9xdv379zvnJACFR7jc+4asl08Dn4aagwDQYJKoZIhvcNAQELBQADggEB" \
	"AA54QX0uoFWXfMmv02CGZv4NWo5TapyeeixQ2kKpZHRdVZjxZrw+hoF6HD7P3kGjH8ztyJll" \
	"tDxB0qgMltbPhQdScwhA6iTgoaBYqEUC/VHKd4PmmPT6yIsM36NBZVmkGlzl5uNo/dBgBaG0" \
	"SsVJnhr5zro3c2quC7n6fVGEZhf/UgQwRnnvThnvbNKguglDMq4uEqv8njKyleht+glkcmXO" \
	"0m9qLKt6BOS0amy6U2GlAwRn0Wx02ndJtnRCSC6kPuRWK/SQFEjB7gCK4hdKaAOuWdZpI55v" \
	"F6ifOeM8toC3g7ofO8qLTnJupAG+ZitY5J3cvHWrHqOUdKigPDHYLRo="

struct fuzz_row {
	const char *name;          /* a built-in scheme, or NULL: row */
	const struct scheme *row;
	const char *secret;        /* an HMAC (or GitLab token) secret line, or NULL */
	const char *ed25519;       /* the Ed25519 seed is SHA-256 of this text, or NULL */
	const char *url;           /* notification_url */
	const char *verify_token;
};

/* The secrets are the vectors' (senders.json's base rows, schemes.json's). */
static const struct fuzz_row FIXED[] = {
	{ "github", NULL, "scheme-test-github-secret", NULL, NULL, NULL },
	{ "stripe", NULL, "whsec_scheme_test_stripe_secret", NULL, NULL, NULL },
	{ "standard-webhooks", NULL, "whsec_rQ7O2ExS4AWm/pFW03ifeJmUNJjrDhrO",
	    "hookq scheme test ed25519 key", NULL, NULL },
	{ "svix", NULL, "whsec_QeKku2lWAzmjyQ72194ZUkVVAmTjfX2m", "hookq sender test svix ed25519",
	    NULL, NULL },
	{ "shopify", NULL, "hq_869da8909459ddd6c59deebcfa6c175dfaf42d6b", NULL, NULL, NULL },
	{ "slack", NULL, "hq_781ec9c6b9ae089dbdc3b0e1d3832a0090ad47bb", NULL, NULL, NULL },
	{ "zendesk", NULL, "zd_/CZ4oej1vyjV7mn9iwab1nSvbAf36Khh2oUXIxfAOxs=", NULL, NULL, NULL },
	{ "gitlab", NULL, "hq_0f734838447a4ad94385099ce0029e5a4e7232c2", NULL, NULL, NULL },
	{ "discord", NULL, NULL, "hookq sender test discord", NULL, NULL },
	{ "discord-interactions", NULL, NULL, "hookq sender test discord-interactions", NULL, NULL },
	{ "paddle", NULL, "pdl_ntfset_01hookq_a5234905fe8138ece408003907c8fb1a", NULL, NULL, NULL },
	{ "linear", NULL, "lin_wh_72500ecf978181bb0bcb0fb7be547e2727ef97de", NULL, NULL, NULL },
	{ "pagerduty", NULL, "/0DPLodiu0AeudnatpEm8O4BPMDgriu1dLaR19k8JFqlLEugzLfSQ8pQ65OmBmNh",
	    NULL, NULL, NULL },
	{ "jira", NULL, "hq_a37042b6e0444c0b58b2b45da395bdabac83c91e", NULL, NULL, NULL },
	{ "meta", NULL, "8cd5481c2c6e05172ce0dd1e372c5064", NULL, NULL,
	    "hookq-meta-verify-token-7d1e" },
	{ "zoom", NULL, "e10b4049aaeeb3aebc5537", NULL, NULL, NULL },
	{ "mailgun", NULL, "key-022dff2ccb9692e6f610cdcbd60e0b1d", NULL, NULL, NULL },
	{ "square", NULL, "bHmumO7nBUBDRJDyBp-rgg", NULL,
	    "https://hooks.example.com/hookq/in/square", NULL },
	{ NULL, &GENERIC_SHA256_HEX, "scheme-test-generic-secret", NULL, NULL, NULL },
	{ NULL, &GENERIC_SHA512_HEX, "scheme-test-generic-secret", NULL, NULL, NULL },
	{ NULL, &GENERIC_SHA512_BASE64, "scheme-test-generic-secret", NULL, NULL, NULL },
	{ NULL, &GENERIC_ED25519_HEX, NULL, "hookq scheme test ed25519 key", NULL, NULL },
	{ NULL, &GENERIC_ED25519_BASE64, NULL, "hookq scheme test ed25519 key", NULL, NULL },
	{ NULL, &TEMPLATE, "scheme-test-generic-secret", NULL, NULL, NULL },
};

/*
 * FIXED, then a row with default keys for each built-in scheme FIXED does not
 * list, in table order: a new sender is fuzzed with no edit here (its seeds,
 * signed with the vectors' secrets, then stop at the signature unless
 * FLAG_SIGN re-signs them).
 */
#define MAX_ROWS 256
static struct fuzz_row ROWS[MAX_ROWS];
static size_t NROWS;

/* A row made ready: the source as config.c would make it, and the signing keys. */
struct ready {
	struct source src;         /* the row's secrets */
	struct source rotated;     /* a secret that signs nothing, then the row's */
	const struct secret *hmac; /* the HMAC or token secret, or NULL */
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	bool ed25519;
};

static struct ready READY[MAX_ROWS];

/* The event types FLAG_ALLOW lets through: some of the vectors', not all. */
static char *ALLOW[] = { "push", "invoice.paid", "event_callback", "message" };

/* The reasons a request the harness signed may still be refused with: the sender's clock. */
static const char *const TIMESTAMP_REASONS[] = {
	"malformed timestamp",
	"timestamp older than the tolerance",
	"timestamp ahead of the clock by more than the tolerance",
	"missing timestamp in the body",
	NULL
};

/* Adds a secret line to src, as the scheme's key format reads it; the line must be good. */
static struct secret *
add_secret(struct source *src, const char *line)
{
	struct secret *sec = &src->secrets[src->nsecrets];
	const char *reason = NULL;

	FUZZ_CHECK(scheme_secret_parse(&src->scheme, line, strlen(line), sec, &reason) == 0,
	    line);
	src->nsecrets++;
	return sec;
}

/* The secret line of an Ed25519 public key, as the scheme's key format writes it. */
static void
ed25519_line(const struct scheme *s, const unsigned char *pk, char *out, size_t outsize)
{
	if (s->key_format == SCHEME_KEY_WHSEC) {
		memcpy(out, "whpk_", 5);
		sodium_bin2base64(out + 5, outsize - 5, pk, crypto_sign_PUBLICKEYBYTES,
		    sodium_base64_VARIANT_ORIGINAL);
	} else
		sodium_bin2hex(out, outsize, pk, crypto_sign_PUBLICKEYBYTES);
}

/* Makes ROWS ready: FIXED, then every other built-in scheme with default keys. */
static void
init(void)
{
	size_t i, j, k;

	FUZZ_CHECK(scheme_init() == 0, "sodium_init");
	for (i = 0; i < nitems(FIXED); i++)
		ROWS[NROWS++] = FIXED[i];
	for (k = 0; k < SCHEME_TABLE_SIZE; k++) {
		const struct scheme *s = &SCHEME_TABLE[k];
		struct fuzz_row *r;

		for (j = 0; j < nitems(FIXED) && (FIXED[j].name == NULL ||
		    strcmp(FIXED[j].name, s->name) != 0); j++)
			;
		if (j < nitems(FIXED))
			continue;
		FUZZ_CHECK(NROWS < MAX_ROWS, "more schemes than MAX_ROWS");
		r = &ROWS[NROWS++];
		r->name = s->name;
		if (s->key_format == SCHEME_KEY_ED25519)
			r->ed25519 = "hookq fuzz default ed25519";
		else if (s->key_format == SCHEME_KEY_P256)
			r->secret = P256_KEY; /* verify only: the harness cannot sign ECDSA */
		else if (s->key_format == SCHEME_KEY_X509)
			r->secret = X509_CERT; /* verify only: nor RSA */
		else
			r->secret = s->key_format == SCHEME_KEY_WHSEC ?
			    "whsec_aG9va3EgZnV6eiBkZWZhdWx0" : "hookq-fuzz-default-secret";
		if (s->options & SCHEME_OPT_URL)
			r->url = "https://hooks.example.com/hookq/fuzz";
		if (s->options & SCHEME_OPT_VERIFY_TOKEN)
			r->verify_token = "hookq-fuzz-verify-token";
	}
	for (i = 0; i < NROWS; i++) {
		const struct fuzz_row *r = &ROWS[i];
		struct ready *rd = &READY[i];
		struct source *src = &rd->src, *rot = &rd->rotated;
		const struct scheme *s = r->name != NULL ? scheme_find(r->name) : r->row;
		unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
		unsigned char wrong_sk[crypto_sign_SECRETKEYBYTES];
		char line[128];

		FUZZ_CHECK(s != NULL, "a row names no built-in scheme");
		src->name = "fuzz";
		src->scheme = *s;
		src->max_body = 1024 * 1024;
		src->tolerance = s->tolerance != 0 ? s->tolerance : 300;
		src->notification_url = r->url != NULL ? xstrdup(r->url) : NULL;
		src->verify_token = r->verify_token != NULL ? xstrdup(r->verify_token) : NULL;
		/* As config.c finds it; the source then has no alt secrets, so such requests are 401. */
		src->alt_scheme = s->alt_scheme != NULL ? scheme_find(s->alt_scheme) : NULL;
		*rot = *src;

		/* The rotated-out secret comes first, of the key format the scheme reads. */
		if (s->key_format == SCHEME_KEY_P256)
			add_secret(rot, P256_OTHER);
		else if (s->key_format == SCHEME_KEY_X509)
			add_secret(rot, X509_CERT);
		else if (s->key_format == SCHEME_KEY_ED25519) {
			crypto_hash_sha256(seed, (const unsigned char *)"fuzz rotated out", 16);
			crypto_sign_seed_keypair(pk, wrong_sk, seed);
			ed25519_line(s, pk, line, sizeof(line));
			add_secret(rot, line);
		} else
			add_secret(rot, s->key_format == SCHEME_KEY_WHSEC ?
			    "whsec_ZnV6eiByb3RhdGVkIG91dA==" : "fuzz rotated out");
		if (r->secret != NULL) {
			rd->hmac = add_secret(src, r->secret);
			add_secret(rot, r->secret);
		}
		if (r->ed25519 != NULL) {
			crypto_hash_sha256(seed, (const unsigned char *)r->ed25519, strlen(r->ed25519));
			crypto_sign_seed_keypair(pk, rd->sk, seed);
			rd->ed25519 = true;
			ed25519_line(s, pk, line, sizeof(line));
			add_secret(src, line);
			add_secret(rot, line);
		}
	}
}

/* A growing byte buffer, for signed content and header values. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

/* Appends n bytes, keeping the buffer NUL-terminated. */
static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Appends a C string. */
static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* The signed content as the template says, written here rather than with scheme.c's walk. */
static void
expand(struct buf *m, const char *t, const char *ts, const char *id, const char *token,
    const char *url, const unsigned char *body, size_t len)
{
	for (; *t != '\0'; t++) {
		if (t[0] != '%' || t[1] == '\0') {
			buf_add(m, t, 1);
			continue;
		}
		switch (*++t) {
		case 'b':
			buf_add(m, body, len);
			break;
		case 't':
			buf_str(m, ts);
			break;
		case 'i':
			buf_str(m, id);
			break;
		case 'k':
			buf_str(m, token);
			break;
		case 'u':
			buf_str(m, url);
			break;
		default:
			buf_add(m, t, 1);
			break;
		}
	}
}

/* Encodes a signature as the scheme's row writes it into out. */
static void
encode(const struct scheme_sig *k, const unsigned char *sig, size_t n, char *out, size_t outsize)
{
	if (k->encoding == SCHEME_HEX)
		sodium_bin2hex(out, outsize, sig, n);
	else
		sodium_bin2base64(out, outsize, sig, n, sodium_base64_VARIANT_ORIGINAL);
}

/* One signature item of kind k over msg ("v1=<hex>"); false when the row has no key for it. */
static bool
sign_item(const struct ready *rd, const struct scheme_sig *k, const struct buf *msg,
    struct buf *item)
{
	crypto_auth_hmacsha256_state st256;
	crypto_auth_hmacsha512_state st512;
	unsigned char sig[crypto_sign_BYTES];
	char enc[160];
	size_t n;

	item->len = 0;
	if (k->alg == SCHEME_ED25519 ? !rd->ed25519 : rd->hmac == NULL)
		return false;
	switch (k->alg) {
	case SCHEME_TOKEN:
		buf_str(item, k->prefix);
		if (k->encoding == SCHEME_BASE64) {
			/* Basic auth (Postmark): the credentials in base64. */
			char *b = xmalloc(sodium_base64_ENCODED_LEN(rd->hmac->len,
			    sodium_base64_VARIANT_ORIGINAL));

			sodium_bin2base64(b, sodium_base64_ENCODED_LEN(rd->hmac->len,
			    sodium_base64_VARIANT_ORIGINAL), rd->hmac->key, rd->hmac->len,
			    sodium_base64_VARIANT_ORIGINAL);
			buf_str(item, b);
			free(b);
		} else
			buf_add(item, rd->hmac->key, rd->hmac->len);
		return true;
	case SCHEME_HMAC_SHA1: {
		unsigned int len = 0;

		/* OpenSSL's one-shot HMAC, not scheme.c's (libcrypto.c) streaming one. */
		if (HMAC(EVP_sha1(), rd->hmac->key, (int)rd->hmac->len, msg->p, msg->len, sig,
		    &len) == NULL)
			return false;
		n = len;
		break;
	}
	case SCHEME_HMAC_SHA256:
		crypto_auth_hmacsha256_init(&st256, rd->hmac->key, rd->hmac->len);
		crypto_auth_hmacsha256_update(&st256, msg->p, msg->len);
		crypto_auth_hmacsha256_final(&st256, sig);
		n = crypto_auth_hmacsha256_BYTES;
		break;
	case SCHEME_HMAC_SHA512:
		crypto_auth_hmacsha512_init(&st512, rd->hmac->key, rd->hmac->len);
		crypto_auth_hmacsha512_update(&st512, msg->p, msg->len);
		crypto_auth_hmacsha512_final(&st512, sig);
		n = crypto_auth_hmacsha512_BYTES;
		break;
	case SCHEME_ED25519:
		crypto_sign_detached(sig, NULL, msg->p, msg->len, rd->sk);
		n = crypto_sign_BYTES;
		break;
	default:
		return false;
	}
	encode(k, sig, n, enc, sizeof(enc));
	buf_str(item, k->prefix);
	buf_str(item, enc);
	return true;
}

/* A timestamp of the clock in the scheme's format. */
static const char *
now_text(const struct scheme *s)
{
	switch (s->ts_format) {
	case SCHEME_TS_UNIX_MS:
		return STRINGIFY(NOW) "000";
	case SCHEME_TS_ISO8601:
		return NOW_ISO8601;
	default:
		return STRINGIFY(NOW);
	}
}

/* The first field of the list read from kind from (JSON or form), or NULL. */
static const struct field *
field_of(const struct field list[FIELD_LIST_MAX], enum field_from from)
{
	size_t i;

	for (i = 0; i < FIELD_LIST_MAX && list[i].from != FIELD_FROM_NONE; i++)
		if (list[i].from == from)
			return &list[i];
	return NULL;
}

/*
 * Mailgun's signature is a field of the body: puts a placeholder of the
 * signature's length in front of the sender's fields (the first one found
 * counts), reads the timestamp and token as verification will, then writes
 * the signature over the placeholder. Replaces the request's body; false
 * when the body has no timestamp or token to sign.
 */
static bool
sign_body(const struct ready *rd, struct request *req)
{
	static const char FORM_TYPE[] = "application/x-www-form-urlencoded";
	const struct scheme *s = &rd->src.scheme;
	const struct scheme_sig *k = &s->sigs[0];
	const char *ct = headers_get(&req->headers, "content-type");
	bool form = s->form_body && ct != NULL && strncasecmp(ct, FORM_TYPE, strlen(FORM_TYPE)) == 0;
	const struct field *fd = field_of(s->sig_body, form ? FIELD_FROM_FORM : FIELD_FROM_JSON);
	struct buf body = { NULL, 0, 0 }, msg = { NULL, 0, 0 }, item = { NULL, 0, 0 };
	unsigned char zero[crypto_auth_hmacsha256_BYTES] = { 0 };
	char placeholder[160];
	const char *ts, *token, *dot, *path;
	struct fields f;
	bool ok = false;
	size_t at;
	int depth = 0;

	if (fd == NULL || k->alg != SCHEME_HMAC_SHA256 || rd->hmac == NULL)
		return false;
	encode(k, zero, sizeof(zero), placeholder, sizeof(placeholder));
	if (form) {
		buf_str(&body, fd->name);
		buf_str(&body, "=");
	} else {
		/* {"a":{"b":"<sig>"}, then the sender's members: the path as nested objects. */
		if (req->body_len < 2 || req->body[0] != '{')
			return false;
		buf_str(&body, "{");
		for (path = fd->name; (dot = strchr(path, '.')) != NULL; path = dot + 1, depth++) {
			buf_str(&body, "\"");
			buf_add(&body, path, (size_t)(dot - path));
			buf_str(&body, "\":{");
		}
		buf_str(&body, "\"");
		buf_str(&body, path);
		buf_str(&body, "\":\"");
	}
	at = body.len;
	buf_str(&body, placeholder);
	if (form) {
		buf_str(&body, "&");
		buf_add(&body, req->body, req->body_len);
	} else {
		buf_str(&body, "\"");
		while (depth-- > 0)
			buf_str(&body, "}");
		buf_str(&body, ",");
		buf_add(&body, req->body + 1, req->body_len - 1);
	}
	fields_init(&f, s, &req->headers, body.p, body.len, req->query);
	ts = fields_first(&f, s->ts_body);
	token = fields_first(&f, s->token);
	if (ts != NULL && token != NULL) {
		expand(&msg, s->signed_content, ts, "", token, "", body.p, body.len);
		ok = sign_item(rd, k, &msg, &item);
		if (ok)
			memcpy(body.p + at, item.p + strlen(k->prefix), strlen(placeholder));
	}
	fields_clear(&f);
	if (ok) {
		free(req->body);
		req->body = body.p;
		req->body_len = body.len;
	} else
		free(body.p);
	free(msg.p);
	free(item.p);
	return ok;
}

/*
 * Signs the request as the scheme's sender would, setting the signature
 * header (and the timestamp and id headers it covers when the input has
 * none). Checks that scheme_sign() (hookq sign) makes the same header where
 * it signs for the scheme. Returns false when the harness cannot sign.
 */
static bool
sign(const struct ready *rd, struct request *req)
{
	const struct scheme *s = &rd->src.scheme;
	const char *url = rd->src.notification_url != NULL ? rd->src.notification_url : "";
	const char *ts = "", *id = "";
	char sep[2] = { s->sig_separator, '\0' };
	struct buf msg = { NULL, 0, 0 }, item = { NULL, 0, 0 }, value = { NULL, 0, 0 };
	struct buf hmac = { NULL, 0, 0 };
	const struct scheme_sig *k;
	bool ok = false;

	if (s->sig_header == NULL)
		return sign_body(rd, req);
	/* A request of the row's second way of signing (GitLab's webhook-signature) is not this one's. */
	if (s->alt_header != NULL && headers_get(&req->headers, s->alt_header) != NULL)
		return false;
	/* Twilio signs the request's own query and sorted form: no oracle of that here. */
	if (strstr(s->signed_content, "%q") != NULL || strstr(s->signed_content, "%f") != NULL)
		return false;
	/* A timestamp in the body is the sender's, as it is (Linear: checked, not signed). */
	if (s->ts_header != NULL) {
		if (headers_get(&req->headers, s->ts_header) == NULL)
			headers_add(&req->headers, s->ts_header, now_text(s));
		ts = headers_get(&req->headers, s->ts_header);
	} else if (s->ts_item != NULL)
		ts = now_text(s);
	if (strstr(s->signed_content, "%i") != NULL) {
		if (headers_get(&req->headers, s->id[0].name) == NULL)
			headers_add(&req->headers, s->id[0].name, "fuzz-delivery-1");
		id = headers_get(&req->headers, s->id[0].name);
	}
	expand(&msg, s->signed_content, ts, id, "", url, req->body, req->body_len);

	if (s->ts_item != NULL) {
		buf_str(&value, s->ts_item);
		buf_str(&value, ts);
	}
	for (k = s->sigs; k->prefix != NULL; k++) {
		if (!sign_item(rd, k, &msg, &item))
			continue;
		/* A header of one item holds one signature. */
		if (ok && s->sig_separator == '\0')
			break;
		if (value.len > 0)
			buf_str(&value, sep);
		buf_add(&value, item.p, item.len);
		if (hmac.len == 0 && (k->alg == SCHEME_HMAC_SHA256 || k->alg == SCHEME_HMAC_SHA512))
			buf_add(&hmac, item.p, item.len);
		ok = true;
	}
	if (ok)
		headers_set(&req->headers, s->sig_header, (const char *)value.p);

	/* scheme_sign() makes the first HMAC kind the scheme reads: the same text. */
	if (hmac.len > 0) {
		char out[SCHEME_SIGNATURE_MAX];
		const char *reason = NULL;
		struct buf want = { NULL, 0, 0 };

		if (s->ts_item != NULL) {
			buf_str(&want, s->ts_item);
			buf_str(&want, ts);
			buf_str(&want, sep);
		}
		buf_add(&want, hmac.p, hmac.len);
		if (scheme_sign(s, rd->hmac, ts, id, url, req->body, req->body_len, out, sizeof(out),
		    &reason) == 0)
			FUZZ_CHECK(strcmp(out, (const char *)want.p) == 0,
			    "scheme_sign made another signature than the sender would");
		free(want.p);
	}
	free(msg.p);
	free(item.p);
	free(value.p);
	free(hmac.p);
	return ok;
}

/* Reads the input's header lines and query into req; returns where the body starts. */
static const uint8_t *
read_head(struct request *req, const uint8_t *p, const uint8_t *end)
{
	const char *line;
	size_t len;

	while (fuzz_line(&p, end, &line, &len) && len > 0) {
		const char *colon = memchr(line, ':', len), *v;
		char *name, *value;

		if (line[0] == '?') {
			if (req->query == NULL)
				req->query = xstrndup(line + 1, len - 1);
			continue;
		}
		if (colon == NULL)
			continue;
		for (v = colon + 1; v < line + len && (*v == ' ' || *v == '\t'); v++)
			;
		name = xstrndup(line, (size_t)(colon - line));
		value = xstrndup(v, (size_t)(line + len - v));
		headers_add(&req->headers, name, value);
		free(name);
		free(value);
	}
	return p;
}

/* Parses each line of [p, end) as a secret of the scheme: any bytes, never a crash. */
static void
parse_secrets(const struct scheme *s, const uint8_t *p, const uint8_t *end)
{
	const char *line, *reason;
	size_t len;

	while (fuzz_line(&p, end, &line, &len)) {
		struct secret sec;

		reason = NULL;
		if (scheme_secret_parse(s, line, len, &sec, &reason) == 0) {
			FUZZ_CHECK(sec.key != NULL && sec.len > 0, "a parsed secret without a key");
			FUZZ_CHECK(!sec.ed25519 || sec.len == crypto_sign_PUBLICKEYBYTES,
			    "an Ed25519 key that is not 32 bytes");
			scheme_secret_clear(&sec);
		} else
			FUZZ_CHECK(reason != NULL, "a refused secret without a reason");
	}
}

/* Credentials never go into the queue: no such member in the stored headers. */
static void
check_unstored(const char *json, const struct scheme *s)
{
	char err[128];
	yajl_val v = yajl_tree_parse(json, err, sizeof(err));
	size_t i;

	FUZZ_CHECK(v != NULL && YAJL_IS_OBJECT(v), "stored headers that are not a JSON object");
	for (i = 0; i < YAJL_GET_OBJECT(v)->len; i++) {
		const char *key = YAJL_GET_OBJECT(v)->keys[i];

		FUZZ_CHECK(strcmp(key, "authorization") != 0 && strcmp(key, "cookie") != 0 &&
		    strcmp(key, "proxy-authorization") != 0, "stored credentials");
		FUZZ_CHECK(!s->unstored_sig_header || strcmp(key, s->sig_header) != 0,
		    "stored the secret token");
	}
	yajl_tree_free(v);
}

/* What a checked request must hold: the contract with senders and with the queue. */
static void
check_request(const struct request *req, const struct source *src, int rc, bool signed_)
{
	const struct scheme *s = &src->scheme;
	struct response r;
	char head[RESPONSE_HEAD_MAX];
	enum outcome o = rc == 0 ? OUTCOME_STORED : req->outcome;
	size_t i;

	if (rc == 0) {
		FUZZ_CHECK(req->event_id != NULL && req->event_id[0] != '\0' &&
		    strlen(req->event_id) <= 256, "a stored event's id");
		FUZZ_CHECK(req->event_type == NULL || strlen(req->event_type) <= 256,
		    "a stored event's type");
		FUZZ_CHECK(config_type_allowed(src, req->event_type), "stored past the allow-list");
		FUZZ_CHECK(req->headers_json != NULL &&
		    fuzz_json_valid(req->headers_json, req->headers_json_len),
		    "stored headers that are not JSON");
		check_unstored(req->headers_json, s);
		if (src->dedup == DEDUP_BODY) {
			char id[SCHEME_BODY_ID_SIZE];

			scheme_body_id(id, req->body, req->body_len);
			FUZZ_CHECK(req->body_sha256 != NULL && strcmp(req->body_sha256, id) == 0,
			    "dedup = body without the body's hash");
		} else
			FUZZ_CHECK(req->body_sha256 == NULL, "a body hash for dedup = id");
	} else {
		FUZZ_CHECK(o < OUTCOME_COUNT && o != OUTCOME_STORED && o != OUTCOME_DUPLICATE &&
		    o != OUTCOME_ACCEPTED && o != OUTCOME_LOST && o != OUTCOME_UNAVAILABLE,
		    "an outcome request_check cannot give");
		FUZZ_CHECK(o == OUTCOME_HANDSHAKE || req->reason != NULL, "a refusal without a reason");
		FUZZ_CHECK(o != OUTCOME_HANDSHAKE || req->answer_body != NULL,
		    "a handshake without its answer");
	}
	if (signed_ && o == OUTCOME_UNAUTHORIZED) {
		for (i = 0; TIMESTAMP_REASONS[i] != NULL &&
		    strcmp(TIMESTAMP_REASONS[i], req->reason) != 0; i++)
			;
		if (TIMESTAMP_REASONS[i] == NULL)
			fprintf(stderr, "refused: %s\n", req->reason);
		FUZZ_CHECK(TIMESTAMP_REASONS[i] != NULL, "a request signed as the sender signs, refused");
	}
	request_response(req, o, &r);
	FUZZ_CHECK(r.len == 0 || r.body != NULL, "an answer's body");
	FUZZ_CHECK(response_head(&r, head) < RESPONSE_HEAD_MAX, "an answer's head");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	const struct ready *rd;
	struct source src;
	struct config cfg;
	struct request req;
	const uint8_t *body, *end = data + size;
	unsigned flags;
	bool signed_ = false;
	int rc;

	if (!ready) {
		init();
		ready = true;
	}
	if (size < 2)
		return 0;
	rd = &READY[data[0] % NROWS];
	flags = data[1];
	if (flags & FLAG_SECRETS) {
		parse_secrets(&rd->src.scheme, data + 2, end);
		return 0;
	}
	src = (flags & FLAG_ROTATE) ? rd->rotated : rd->src;
	if (flags & FLAG_DEDUP) {
		src.dedup = DEDUP_BODY;
		src.dedup_window = 86400 * 1000;
	}
	if (flags & FLAG_ALLOW) {
		src.events = ALLOW;
		src.nevents = nitems(ALLOW);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.sources = &src;
	cfg.nsources = 1;

	request_init(&req);
	req.method = xstrdup(flags & FLAG_GET ? "GET" : "POST");
	req.source_name = xstrdup(src.name);
	req.received_at = (int64_t)NOW * 1000;
	body = read_head(&req, data + 2, end);
	req.body_len = (size_t)(end - body);
	/* A copy of its own size, so reading past the body is caught. */
	req.body = xmalloc(req.body_len);
	memcpy(req.body, body, req.body_len);

	if ((flags & FLAG_SIGN) && !(flags & FLAG_GET))
		signed_ = sign(rd, &req);
	rc = request_route(&req, &cfg);
	if (rc == 0)
		rc = request_check(&req, NOW);
	check_request(&req, &src, rc, signed_);
	/* HOOKQ_FUZZ_DEBUG=1: what each input came to, to see what a seed reaches. */
	if (getenv("HOOKQ_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "scheme_fuzz: %s%s: %s%s%s\n", src.scheme.name,
		    signed_ ? " (signed)" : "", outcome_info(rc == 0 ? OUTCOME_STORED : req.outcome)->name,
		    req.reason != NULL ? ": " : "", req.reason != NULL ? req.reason : "");
	request_clear(&req);
	return 0;
}
