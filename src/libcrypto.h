/*
 * libcrypto.h: what hookq takes from OpenSSL's libcrypto, which is only
 * what libsodium lacks: HMAC-SHA1 (Twilio, Intercom, Vercel, Trello, ...),
 * ECDSA P-256 signatures (SendGrid) and RSA ones made by a certificate's
 * key (AWS SNS). This is the only module that calls libcrypto; scheme.c is
 * its only caller, so the constant-time comparisons stay there, on
 * libsodium.
 */
#ifndef HOOKQ_LIBCRYPTO_H
#define HOOKQ_LIBCRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#define LIBCRYPTO_SHA1_BYTES 20
/* The longest DER ECDSA P-256 signature: SEQUENCE of two INTEGERs of up to 33 bytes. */
#define LIBCRYPTO_ECDSA_P256_MAX 72

/* Fetches the algorithms once; call before anything else here. Returns 0 or -1. */
int libcrypto_init(void);

/* An HMAC-SHA1 being computed; fed piece by piece like scheme.c's HMAC-SHA256. */
struct libcrypto_hmac;
/* Starts one under key (any length); out of memory is fatal. */
struct libcrypto_hmac *libcrypto_hmac_sha1(const unsigned char *key, size_t len);
void libcrypto_hmac_update(struct libcrypto_hmac *, const unsigned char *p, size_t n);
/* Writes the MAC into mac and frees the state. */
void libcrypto_hmac_final(struct libcrypto_hmac *, unsigned char mac[LIBCRYPTO_SHA1_BYTES]);

/*
 * True when der (len bytes) is a DER SubjectPublicKeyInfo of an ECDSA key
 * on P-256; otherwise false with *reason (static, naming no key material).
 */
bool libcrypto_p256_key_ok(const unsigned char *der, size_t len, const char **reason);
/*
 * True when sig, a DER ECDSA signature, is key's (a DER P-256
 * SubjectPublicKeyInfo) over the SHA-256 of msg.
 */
bool libcrypto_p256_verify(const unsigned char *key, size_t keylen, const unsigned char *sig,
    size_t siglen, const unsigned char *msg, size_t msglen);

/* The longest RSA signature taken: a 4096-bit key's. */
#define LIBCRYPTO_RSA_MAX 512

/*
 * True when der (len bytes) is a DER X.509 certificate with an RSA key of
 * 2048 bits or more; otherwise false with *reason (static). Its dates are
 * not checked: the operator pinned it, and senders sign with a certificate
 * until they roll it.
 */
bool libcrypto_x509_ok(const unsigned char *der, size_t len, const char **reason);
/*
 * True when sig is a PKCS #1 v1.5 RSA signature of msg, over SHA-256 (or
 * SHA-1 when !sha256), by the key of cert (a DER certificate).
 */
bool libcrypto_rsa_verify(const unsigned char *cert, size_t certlen, bool sha256,
    const unsigned char *sig, size_t siglen, const unsigned char *msg, size_t msglen);

#endif
