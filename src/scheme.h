/*
 * scheme.h: how each sender signs its webhooks, as data, and verification.
 *
 * A scheme is one row of a table: which header carries the signature and how
 * it is split and encoded, what bytes are signed, the algorithm, where the
 * timestamp is, and where the event id and type are. Adding a sender is adding
 * a row (scheme_table.c) and its test vectors (tests/vectors/); scheme.c is
 * the engine. This is the only module that calls libsodium's MAC, hash and
 * signature functions, and the only caller of libcrypto.c (HMAC-SHA1 and
 * ECDSA, which libsodium lacks).
 */
#ifndef HOOKQ_SCHEME_H
#define HOOKQ_SCHEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"
#include "headers.h"

enum scheme_alg {
	SCHEME_HMAC_SHA256,
	SCHEME_HMAC_SHA512,
	SCHEME_HMAC_SHA1,   /* libcrypto.c */
	SCHEME_ED25519,
	SCHEME_ECDSA_P256,  /* a DER signature over the SHA-256 of the content (libcrypto.c) */
	SCHEME_RSA_SHA1,    /* PKCS #1 v1.5 over SHA-1, the key a certificate's (libcrypto.c) */
	SCHEME_RSA_SHA256,  /* ... over SHA-256 */
	SCHEME_TOKEN,       /* the item is the secret itself (GitLab), compared in constant time */
	SCHEME_NALGS
};

enum scheme_encoding {
	SCHEME_HEX,
	SCHEME_BASE64, /* standard alphabet, padded or not */
	SCHEME_TEXT,   /* SCHEME_TOKEN: the bytes as sent (SCHEME_BASE64: decoded first, Basic auth) */
};

/* How a line of a source's secret_file becomes a key. */
enum scheme_key_format {
	SCHEME_KEY_RAW,     /* the line's bytes are the HMAC key */
	SCHEME_KEY_WHSEC,   /* whsec_<base64> (or bare base64) HMAC key; whpk_<base64> Ed25519 public key */
	SCHEME_KEY_ED25519, /* an Ed25519 public key in hex (64 digits) or base64 */
	SCHEME_KEY_P256,    /* an ECDSA P-256 public key: base64 of its DER SubjectPublicKeyInfo */
	SCHEME_KEY_X509,    /* an RSA signing certificate: base64 of its DER (PEM without its lines) */
};


/* One kind of signature the header may carry. */
struct scheme_sig {
	const char *prefix; /* an item carrying this kind starts with it ("v1="); NULL ends the list */
	enum scheme_alg alg;
	enum scheme_encoding encoding;
};

#define SCHEME_MAX_SIGS 2
/* Body fields a row's %n signs, at most. */
#define SCHEME_MAX_SIGNED_FIELDS 8

enum scheme_ts_format {
	SCHEME_TS_UNIX,     /* seconds since the epoch, decimal */
	SCHEME_TS_UNIX_MS,  /* milliseconds since the epoch, decimal */
	SCHEME_TS_ISO8601,  /* 2021-03-25T05:09:27Z (a fraction and a +hh:mm offset allowed) */
};

enum scheme_answer_kind {
	SCHEME_ANSWER_TEXT,      /* the body is text */
	SCHEME_ANSWER_ECHO,      /* the body is the value of a field (a challenge) */
	SCHEME_ANSWER_TOKEN_MAC, /* {"<key>": value, "<mac_key>": mac_prefix + HMAC-SHA256(secret, value)} */
};

/* An answer given instead of hookq's own text (status 0: none). */
struct scheme_answer {
	int status;
	const char *content_type;
	enum scheme_answer_kind kind;
	const char *text;            /* SCHEME_ANSWER_TEXT */
	struct field value;   /* ECHO, TOKEN_MAC */
	const char *key, *mac_key;   /* TOKEN_MAC: the JSON object's names; key NULL: mac_key only */
	enum scheme_encoding mac_encoding; /* TOKEN_MAC: hex (the default) or base64 */
	const char *mac_prefix;      /* TOKEN_MAC: before the MAC ("sha256="), or NULL */
};

/*
 * A sender's request that checks the endpoint rather than bringing an event.
 * It is answered, never stored. A POST handshake counts only once the
 * request's signature verified. A GET or HEAD one carries no signature: it
 * is authorised by the token field equalling the source's verify_token
 * (Meta), or needs nothing because its answer proves the secret (X's CRC,
 * a MAC) or reveals nothing (Dropbox's echo, Trello's HEAD).
 */
struct scheme_handshake {
	const char *method;          /* "POST", "GET", "HEAD", or NULL: no (more) handshakes */
	struct field when;           /* the field that marks a handshake (none: every such request) */
	const char *equals;          /* ... by having this value (NULL: by being present) */
	struct field token;          /* GET: must equal the source's verify_token (none: no token) */
	struct scheme_answer answer;
};

/* Source keys a row needs: each is required by the rows that name it and refused on the rest. */
enum scheme_option {
	SCHEME_OPT_URL = 1 << 0,          /* notification_url: %u, the URL signed with the body */
	SCHEME_OPT_VERIFY_TOKEN = 1 << 1, /* verify_token: what a GET handshake's token must be */
};

/* Handshakes a row may have (Discord interactions: PING and autocomplete). */
#define SCHEME_MAX_HANDSHAKES 2

struct scheme {
	const char *name;
	const char *sig_header;    /* lower case; NULL: the signature is in the body (sig_body) */
	const char *sig_header2;   /* another header read the same way, or NULL (Box's secondary) */
	struct field sig_body[FIELD_LIST_MAX];
	/*
	 * A field naming the kind of signature (AWS SNS's SignatureVersion):
	 * sigs[i] counts only when it has the value sig_versions[i]. None: every kind.
	 */
	struct field sig_version;
	const char *sig_versions[SCHEME_MAX_SIGS];
	char sig_separator;        /* splits the header into items; '\0': one item */
	char sig_separator2;       /* splits them too ('\0': none): Persona's ' ' between sets */
	struct scheme_sig sigs[SCHEME_MAX_SIGS + 1];
	/*
	 * The signed bytes: literal text with %b (body), %t (timestamp), %i (the
	 * id header's value), %k (the token field), %u (the source's
	 * notification_url), %q ("?" and the request's query string, when it has
	 * one), %f (a form body's pairs sorted by name, each name followed by its
	 * value: Twilio), %n (each of signed_fields present, as its name, a
	 * newline, its value, a newline: AWS SNS) and %% (a percent sign).
	 * "%t.%b" is Stripe's.
	 */
	const char *signed_content;
	struct field signed_fields[SCHEME_MAX_SIGNED_FIELDS]; /* %n, in the order signed */
	const char *ts_header;     /* timestamp header, or NULL */
	const char *ts_item;       /* or: prefix of the timestamp item in the signature header ("t=") */
	bool ts_item_repeats;      /* the item may come again, with the same value (Persona) */
	struct field ts_body[FIELD_LIST_MAX]; /* or: fields of the body */
	enum scheme_ts_format ts_format;
	bool ts_future_ok;         /* only timestamps older than the tolerance are refused */
	int tolerance;             /* the source's tolerance when it sets none, s; 0: 300 */
	struct field token[FIELD_LIST_MAX];   /* %k */
	enum scheme_key_format key_format;
	/*
	 * The event id: the first of these present. When none is (or none is
	 * listed) and id_body_hash is set, or the list is empty, the id is
	 * sha256:<hex of the body>; otherwise the request is refused.
	 */
	struct field id[FIELD_LIST_MAX];
	bool id_body_hash;
	struct field type[FIELD_LIST_MAX];
	bool form_body;            /* a urlencoded body is read as a form, else as JSON */
	bool any_body;             /* a body that is not JSON is stored without id/type from it */
	bool unstored_sig_header;  /* the signature header is a secret: not kept with the event */
	/*
	 * A query parameter that carries the hex SHA-256 of a body that is not a
	 * form (Twilio's bodySHA256), which %q signs; NULL: none.
	 */
	const char *body_sha256_param;
	/*
	 * A second way the sender signs, picked by a header: a request that
	 * carries alt_header is verified as the row alt_scheme, with the
	 * source's secret lines that start with alt_key_prefix (GitLab's
	 * signing tokens: Standard Webhooks headers, whsec_ lines).
	 */
	const char *alt_header, *alt_scheme, *alt_key_prefix;
	struct scheme_handshake handshakes[SCHEME_MAX_HANDSHAKES]; /* method NULL ends them */
	struct scheme_answer stored; /* every 200 of an event (stored, duplicate, ...), if set; text only */
	unsigned options;          /* SCHEME_OPT_*: the source keys this row needs */
};

/* The built-in rows (scheme_table.c), SCHEME_TABLE_SIZE of them. */
extern const struct scheme SCHEME_TABLE[];
extern const size_t SCHEME_TABLE_SIZE;

/* The keys of a [source] with scheme = generic, in the order of struct source's generic[]. */
enum generic_key {
	GENERIC_SIGNATURE_HEADER,
	GENERIC_SIGNATURE_PREFIX,
	GENERIC_ENCODING,          /* "hex" (the default) or "base64" */
	GENERIC_ALGORITHM,         /* "hmac-sha256" (the default), "hmac-sha512" or "ed25519" */
	GENERIC_ID_HEADER,
	GENERIC_ID_JSON,
	GENERIC_TYPE_HEADER,
	GENERIC_TYPE_JSON,
	GENERIC_NKEYS
};

/* A decoded secret: an HMAC key of any length, or a public key. */
struct secret {
	bool ed25519;
	bool p256;          /* the DER SubjectPublicKeyInfo of an ECDSA P-256 key */
	bool x509;          /* the DER of an RSA signing certificate */
	size_t len;
	unsigned char *key; /* owned, wiped on clear */
};

/* True when the secret is a public key: it verifies, but makes no MAC. */
static inline bool
scheme_secret_public(const struct secret *s)
{
	return s->ed25519 || s->p256 || s->x509;
}

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
/*
 * The i-th name a source's scheme key takes: the built-ins in table order,
 * then "generic"; NULL past the end.
 */
const char *scheme_name(size_t i);
/*
 * Builds *out, a row that verifies a body HMAC (or Ed25519 signature) in one
 * header, from a generic source's keys (NULL: not given). The header names
 * are lower-cased in place; out keeps pointers into keys, which must outlive
 * it. Returns 0, or -1 with *reason (static) and *key the name of the key at
 * fault (NULL: the source as a whole).
 */
int scheme_generic(struct scheme *out, char *keys[GENERIC_NKEYS], const char **reason,
    const char **key);
/*
 * Decodes one secret line (len bytes, no line terminator) as the scheme's
 * key format wants. On failure returns -1 and sets *reason to a message that
 * never includes the secret.
 */
int scheme_secret_parse(const struct scheme *, const char *line, size_t len,
    struct secret *out, const char **reason) __attribute__((warn_unused_result));
void scheme_secret_clear(struct secret *);
/*
 * Overwrites len bytes at p with zeros in a way no compiler may drop as a
 * dead store (sodium_memzero). hookq's one wipe: every buffer that held a
 * secret, a token or a request header goes through it before it is freed
 * or goes out of scope, so no copy is left for a core dump or a read of the
 * process's memory to find.
 */
void scheme_wipe(void *p, size_t len);

struct fields;

/* What a source gives verification besides the scheme. */
struct scheme_params {
	const struct secret *secrets;
	size_t nsecrets;
	int tolerance;     /* seconds */
	const char *url;   /* %u: the source's notification_url, or NULL */
};

/*
 * Verifies a request: some signature from the scheme's header (or body
 * fields), under some secret, over the exact signed bytes, then the
 * timestamp (if the scheme has one) within tolerance seconds of now (seconds
 * since the epoch). Every signature is tried against every secret and
 * compared in constant time. The request's values come from f (fields.h);
 * a body is parsed only for a scheme that signs or timestamps with body
 * fields, and only when the MAC cannot be checked without them. Returns 0
 * when one matches, with *matched the index of the secret that did; -1
 * otherwise, with *reason saying why (a static string fit for a log line,
 * never for the response).
 */
int scheme_verify(const struct scheme *, const struct scheme_params *, struct fields *f,
    int64_t now, size_t *matched, const char **reason) __attribute__((warn_unused_result));

/*
 * Writes prefix (NULL: none) and the HMAC-SHA256 of value under an HMAC
 * secret, in hex or base64, into out (SCHEME_MAC_TEXT_SIZE bytes).
 */
#define SCHEME_MAC_TEXT_SIZE 128
void scheme_mac_text(const struct secret *, const char *value, enum scheme_encoding,
    const char *prefix, char out[SCHEME_MAC_TEXT_SIZE]);

/*
 * Signs a request as the scheme's sender would, so an operator can test the
 * chain (hookq sign): the MAC of the same signed content scheme_verify()
 * checks (body, and ts, id and url where the scheme's template has them),
 * made with the first HMAC kind of signature the scheme reads, under key.
 * Writes the signature header's value into out: "sha256=<hex>" for GitHub,
 * "t=<ts>,v1=<hex>" for Stripe, "v1,<base64>" for Standard Webhooks. The
 * caller sends ts and id in their own headers where the scheme reads them
 * there (ts_header, id). Returns 0, or -1 with *reason (a static string:
 * the scheme or the key is Ed25519, the signature or timestamp is in the
 * body, the signature is the secret itself, a needed ts, id or url is NULL,
 * out is too small; never any key material).
 */
#define SCHEME_SIGNATURE_MAX 256
int scheme_sign(const struct scheme *, const struct secret *key, const char *ts, const char *id,
    const char *url, const unsigned char *body, size_t len, char *out, size_t outsize,
    const char **reason) __attribute__((warn_unused_result));

/* True when a and b are equal, in time that depends on neither's contents nor length. */
bool scheme_token_equal(const char *a, const char *b);

/* True when the scheme's signed content uses the escape %c ('u': notification_url). */
bool scheme_signs(const struct scheme *, char c);

/* Writes "sha256:<hex>" of the body into out: the id of events without one. */
void scheme_body_id(char out[SCHEME_BODY_ID_SIZE], const unsigned char *body, size_t len);

#endif
