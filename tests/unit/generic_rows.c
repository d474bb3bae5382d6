/*
 * generic_rows.c: the scheme rows config.c's build_generic() makes of the
 * generic keys, written out for the unit tests that verify (scheme_test)
 * and sign (sign_test) with them.
 */
#include "autoconf.h"

#include "generic_rows.h"

/* What build_generic (src/config.c) makes of signature_header = X-Signature. */
const struct scheme GENERIC_SHA256_HEX = {
	.name = "generic",
	.sig_header = "x-signature",
	.sigs = { { "", SCHEME_HMAC_SHA256, SCHEME_HEX } },
	.signed_content = "%b",
	.key_format = SCHEME_KEY_RAW,
};

/* ... with algorithm = hmac-sha512. */
const struct scheme GENERIC_SHA512_HEX = {
	.name = "generic",
	.sig_header = "x-signature",
	.sigs = { { "", SCHEME_HMAC_SHA512, SCHEME_HEX } },
	.signed_content = "%b",
	.key_format = SCHEME_KEY_RAW,
};

/* ... with algorithm = hmac-sha512, encoding = base64, signature_prefix = sha512=. */
const struct scheme GENERIC_SHA512_BASE64 = {
	.name = "generic",
	.sig_header = "x-signature",
	.sigs = { { "sha512=", SCHEME_HMAC_SHA512, SCHEME_BASE64 } },
	.signed_content = "%b",
	.key_format = SCHEME_KEY_RAW,
};

/* ... with algorithm = ed25519. */
const struct scheme GENERIC_ED25519_HEX = {
	.name = "generic",
	.sig_header = "x-signature",
	.sigs = { { "", SCHEME_ED25519, SCHEME_HEX } },
	.signed_content = "%b",
	.key_format = SCHEME_KEY_ED25519,
};

/* ... with algorithm = ed25519, encoding = base64. */
const struct scheme GENERIC_ED25519_BASE64 = {
	.name = "generic",
	.sig_header = "x-signature",
	.sigs = { { "", SCHEME_ED25519, SCHEME_BASE64 } },
	.signed_content = "%b",
	.key_format = SCHEME_KEY_ED25519,
};
