/*
 * libcrypto.c: HMAC-SHA1, ECDSA P-256 and RSA verification on OpenSSL 3's
 * EVP interfaces. The HMAC is fetched once (a fetch per request would cost
 * more than the MAC); public keys and certificates are parsed from their
 * DER bytes per use, since the senders that sign so send a few events a
 * second at most and a key kept as bytes needs no lifetime of its own.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include "libcrypto.h"
#include "log.h"
#include "util.h"

static EVP_MAC *HMAC_ALG;

struct libcrypto_hmac {
	EVP_MAC_CTX *ctx;
};

int
libcrypto_init(void)
{
	if (HMAC_ALG == NULL)
		HMAC_ALG = EVP_MAC_fetch(NULL, "HMAC", NULL);
	return HMAC_ALG != NULL ? 0 : -1;
}

struct libcrypto_hmac *
libcrypto_hmac_sha1(const unsigned char *key, size_t len)
{
	struct libcrypto_hmac *h = xmalloc(sizeof(*h));
	OSSL_PARAM params[2];
	static const unsigned char empty[1];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0);
	params[1] = OSSL_PARAM_construct_end();
	h->ctx = EVP_MAC_CTX_new(HMAC_ALG);
	/* A zero-length key is a valid HMAC key; OpenSSL wants a pointer for it all the same. */
	if (h->ctx == NULL || EVP_MAC_init(h->ctx, len > 0 ? key : empty, len, params) != 1)
		fatal(EXIT_SYSTEM, "libcrypto: HMAC-SHA1 could not be started");
	return h;
}

void
libcrypto_hmac_update(struct libcrypto_hmac *h, const unsigned char *p, size_t n)
{
	if (n > 0 && EVP_MAC_update(h->ctx, p, n) != 1)
		fatal(EXIT_SYSTEM, "libcrypto: HMAC-SHA1 update failed");
}

void
libcrypto_hmac_final(struct libcrypto_hmac *h, unsigned char mac[LIBCRYPTO_SHA1_BYTES])
{
	size_t got = 0;

	if (EVP_MAC_final(h->ctx, mac, &got, LIBCRYPTO_SHA1_BYTES) != 1 ||
	    got != LIBCRYPTO_SHA1_BYTES)
		fatal(EXIT_SYSTEM, "libcrypto: HMAC-SHA1 final failed");
	/* EVP_MAC_CTX_free cleanses the key schedule it holds. */
	EVP_MAC_CTX_free(h->ctx);
	free(h);
}

/* The P-256 public key of a DER SubjectPublicKeyInfo, or NULL. */
static EVP_PKEY *
p256_key(const unsigned char *der, size_t len, const char **reason)
{
	const unsigned char *p = der;
	EVP_PKEY *k;
	char group[32];
	size_t glen = 0;

	if (len > 4096 || (k = d2i_PUBKEY(NULL, &p, (long)len)) == NULL || p != der + len) {
		if (reason != NULL)
			*reason = "not a DER public key (SubjectPublicKeyInfo)";
		return NULL;
	}
	if (!EVP_PKEY_is_a(k, "EC") || EVP_PKEY_get_utf8_string_param(k,
	    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen) != 1 ||
	    strcmp(group, "prime256v1") != 0) {
		if (reason != NULL)
			*reason = "not an ECDSA P-256 public key";
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

bool
libcrypto_p256_key_ok(const unsigned char *der, size_t len, const char **reason)
{
	EVP_PKEY *k = p256_key(der, len, reason);

	EVP_PKEY_free(k);
	return k != NULL;
}

/* True when sig is k's signature of msg over the digest md; frees k (NULL: false). */
static bool
digest_verify(EVP_PKEY *k, const EVP_MD *md, const unsigned char *sig, size_t siglen,
    const unsigned char *msg, size_t msglen)
{
	EVP_MD_CTX *ctx;
	bool ok = false;

	if (k == NULL)
		return false;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatal(EXIT_SYSTEM, "libcrypto: out of memory");
	/* An RSA key's default padding here is PKCS #1 v1.5, the one AWS SNS signs with. */
	if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, k) == 1)
		ok = EVP_DigestVerify(ctx, sig, siglen, msg, msglen) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok;
}

bool
libcrypto_p256_verify(const unsigned char *key, size_t keylen, const unsigned char *sig,
    size_t siglen, const unsigned char *msg, size_t msglen)
{
	return digest_verify(p256_key(key, keylen, NULL), EVP_sha256(), sig, siglen, msg, msglen);
}

/* The RSA public key of a DER certificate, or NULL. */
static EVP_PKEY *
x509_key(const unsigned char *der, size_t len, const char **reason)
{
	const unsigned char *p = der;
	X509 *x;
	EVP_PKEY *k;

	if (len > 65536 || (x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len) {
		if (reason != NULL)
			*reason = "not a DER X.509 certificate";
		return NULL;
	}
	k = X509_get_pubkey(x);
	X509_free(x);
	if (k == NULL || !EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_get_bits(k) < 2048) {
		if (reason != NULL)
			*reason = "the certificate's key is not RSA of 2048 bits or more";
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

bool
libcrypto_x509_ok(const unsigned char *der, size_t len, const char **reason)
{
	EVP_PKEY *k = x509_key(der, len, reason);

	EVP_PKEY_free(k);
	return k != NULL;
}

bool
libcrypto_rsa_verify(const unsigned char *cert, size_t certlen, bool sha256,
    const unsigned char *sig, size_t siglen, const unsigned char *msg, size_t msglen)
{
	return digest_verify(x509_key(cert, certlen, NULL), sha256 ? EVP_sha256() : EVP_sha1(), sig,
	    siglen, msg, msglen);
}
