/*
 * generic_rows.h: scheme rows as scheme_generic() builds them for scheme =
 * generic (signature_header = X-Signature, and the algorithm, encoding and
 * prefix each name says), shared by the unit tests and the scheme fuzzer.
 * They are filled before main() runs.
 */
#ifndef HOOKQ_GENERIC_ROWS_H
#define HOOKQ_GENERIC_ROWS_H

#include "scheme.h"

extern struct scheme GENERIC_SHA256_HEX;
extern struct scheme GENERIC_SHA512_HEX;
extern struct scheme GENERIC_SHA512_BASE64;
extern struct scheme GENERIC_ED25519_HEX;
extern struct scheme GENERIC_ED25519_BASE64;

#endif
