/*
 * scheme.h: how each sender signs its webhooks, as data, and verification.
 *
 * A scheme is one row of a table: which header carries the signature and how
 * it is split and encoded, what bytes are signed, the algorithm, where the
 * timestamp is, and where the event id and type are. Adding a sender is adding
 * a row (scheme.c) and its test vectors (tests/vectors/). This is the only
 * module that calls libsodium's MAC, hash and signature functions.
 */
#ifndef HOOKQ_SCHEME_H
#define HOOKQ_SCHEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "headers.h"

enum scheme_alg {
	SCHEME_HMAC_SHA256,
	SCHEME_HMAC_SHA512,
	SCHEME_ED25519,
};

enum scheme_encoding {
	SCHEME_HEX,
	SCHEME_BASE64, /* standard alphabet, padded or not */
};

/* How a line of a source's secret_file becomes a key. */
enum scheme_key_format {
	SCHEME_KEY_RAW,     /* the line's bytes are the HMAC key */
	SCHEME_KEY_WHSEC,   /* whsec_<base64> (or bare base64) HMAC key; whpk_<base64> Ed25519 public key */
	SCHEME_KEY_ED25519, /* an Ed25519 public key in hex (64 digits) or base64 */
};

enum scheme_from {
	SCHEME_FROM_NONE,   /* not given by the sender */
	SCHEME_FROM_HEADER, /* a request header (lower-case name) */
	SCHEME_FROM_JSON,   /* a dotted path into the JSON body ("data.object.id") */
};

struct scheme_field {
	enum scheme_from from;
	const char *name;
};

/* One kind of signature the header may carry. */
struct scheme_sig {
	const char *prefix; /* an item carrying this kind starts with it ("v1="); NULL ends the list */
	enum scheme_alg alg;
	enum scheme_encoding encoding;
};

#define SCHEME_MAX_SIGS 2

struct scheme {
	const char *name;
	const char *sig_header;    /* lower case */
	char sig_separator;        /* splits the header into items; '\0': one item */
	struct scheme_sig sigs[SCHEME_MAX_SIGS + 1];
	/*
	 * The signed bytes: literal text with %b (body), %t (timestamp), %i (the
	 * id header's value) and %% (a percent sign). "%t.%b" is Stripe's.
	 */
	const char *signed_content;
	const char *ts_header;     /* timestamp header, or NULL */
	const char *ts_item;       /* or: prefix of the timestamp item in the signature header ("t=") */
	bool ts_future_ok;         /* only timestamps older than the tolerance are refused */
	enum scheme_key_format key_format;
	struct scheme_field id;    /* SCHEME_FROM_NONE: the id is sha256:<hex of the body> */
	struct scheme_field type;
};

/* A decoded secret: an HMAC key of any length or an Ed25519 public key. */
struct secret {
	bool ed25519;
	size_t len;
	unsigned char *key; /* owned, wiped on clear */
};

/* Largest secret line accepted, and the most secrets a source may have. */
#define SCHEME_SECRET_MAX 4096
#define SCHEME_MAX_SECRETS 16
/* Signatures read from one header; more are ignored (bounds Ed25519 work). */
#define SCHEME_MAX_CANDIDATES 16
/* "sha256:" + 64 hex digits + NUL */
#define SCHEME_BODY_ID_SIZE 72

/* Initialises libsodium; call once before anything else here. Returns 0 or -1. */
int scheme_init(void);

/* The built-in scheme called name ("github"), or NULL. "generic" is not one. */
const struct scheme *scheme_find(const char *name);
/* The names of the built-in schemes, NULL-terminated, for error messages. */
const char *const *scheme_names(void);
/* True when verifying or routing the scheme needs the body parsed as JSON. */
bool scheme_needs_json(const struct scheme *);

/*
 * Decodes one secret line (len bytes, no line terminator) as the scheme's
 * key format wants. On failure returns -1 and sets *reason to a message that
 * never includes the secret.
 */
int scheme_secret_parse(const struct scheme *, const char *line, size_t len,
    struct secret *out, const char **reason) __attribute__((warn_unused_result));
void scheme_secret_clear(struct secret *);

/*
 * Verifies a request: some signature in the scheme's header, under some
 * secret, over the exact body bytes, with the timestamp (if the scheme has
 * one) within tolerance seconds of now (seconds since the epoch). Every
 * signature is tried against every secret and compared in constant time.
 * Returns 0 when one matches; -1 otherwise, with *reason saying why (a static
 * string fit for a log line, never for the response).
 */
int scheme_verify(const struct scheme *, const struct secret *secrets,
    size_t nsecrets, int tolerance, int64_t now, const struct headers *,
    const unsigned char *body, size_t len, const char **reason)
    __attribute__((warn_unused_result));

/*
 * Signs a request as the scheme's sender would, so an operator can test the
 * chain (hookq sign): the MAC of the same signed content scheme_verify()
 * checks (body, and ts and id where the scheme's template has them), made
 * with the first HMAC kind of signature the scheme reads, under key. Writes
 * the signature header's value into out: "sha256=<hex>" for GitHub,
 * "t=<ts>,v1=<hex>" for Stripe, "v1,<base64>" for Standard Webhooks. The
 * caller sends ts and id in their own headers where the scheme reads them
 * there (ts_header, id). Returns 0, or -1 with *reason (a static string:
 * the scheme or the key is Ed25519, a needed ts or id is NULL, out is too
 * small; never any key material).
 */
#define SCHEME_SIGNATURE_MAX 256
int scheme_sign(const struct scheme *, const struct secret *key, const char *ts, const char *id,
    const unsigned char *body, size_t len, char *out, size_t outsize, const char **reason)
    __attribute__((warn_unused_result));

/* Writes "sha256:<hex>" of the body into out: the id of events without one. */
void scheme_body_id(char out[SCHEME_BODY_ID_SIZE], const unsigned char *body, size_t len);

#endif
