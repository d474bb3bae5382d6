/*
 * generic_rows.c: the scheme rows scheme_generic() makes of a generic
 * source's keys, built by scheme_generic() itself, so the tests that verify
 * (scheme_test) and sign (sign_test) with them follow the code they test.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>

#include "generic_rows.h"

struct scheme GENERIC_SHA256_HEX;
struct scheme GENERIC_SHA512_HEX;
struct scheme GENERIC_SHA512_BASE64;
struct scheme GENERIC_ED25519_HEX;
struct scheme GENERIC_ED25519_BASE64;

/* One row's keys: what a [source] would say (scheme_generic keeps pointers into them). */
struct generic_keys {
	struct scheme *row;
	char header[16], prefix[16], encoding[16], algorithm[16];
};

static struct generic_keys KEYS[] = {
	{ &GENERIC_SHA256_HEX, "X-Signature", "", "", "" },
	{ &GENERIC_SHA512_HEX, "X-Signature", "", "", "hmac-sha512" },
	{ &GENERIC_SHA512_BASE64, "X-Signature", "sha512=", "base64", "hmac-sha512" },
	{ &GENERIC_ED25519_HEX, "X-Signature", "", "", "ed25519" },
	{ &GENERIC_ED25519_BASE64, "X-Signature", "", "base64", "ed25519" },
};

/* A key's value, or NULL when the row leaves it out. */
static char *
given(char *v)
{
	return v[0] != '\0' ? v : NULL;
}

__attribute__((constructor)) static void
generic_rows_build(void)
{
	size_t i;

	for (i = 0; i < sizeof(KEYS) / sizeof(KEYS[0]); i++) {
		char *g[GENERIC_NKEYS] = { NULL };
		const char *reason, *key;

		g[GENERIC_SIGNATURE_HEADER] = KEYS[i].header;
		g[GENERIC_SIGNATURE_PREFIX] = given(KEYS[i].prefix);
		g[GENERIC_ENCODING] = given(KEYS[i].encoding);
		g[GENERIC_ALGORITHM] = given(KEYS[i].algorithm);
		if (scheme_generic(KEYS[i].row, g, &reason, &key) != 0) {
			fprintf(stderr, "generic_rows: %s\n", reason);
			abort();
		}
	}
}
