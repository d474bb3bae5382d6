/*
 * fuzz.h: what the libFuzzer harnesses under tests/fuzz/ share: the entry
 * point libFuzzer calls, a check that turns a broken promise into a crash
 * libFuzzer keeps the input of, and the small parsing of their inputs.
 */
#ifndef HOOKQ_FUZZ_H
#define HOOKQ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called by libFuzzer (or tests/fuzz/replay.c) once per input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints what failed and aborts, so libFuzzer saves the input as a crash. */
void fuzz_fail(const char *file, int line, const char *cond, const char *what)
    __attribute__((noreturn));
#define FUZZ_CHECK(cond, what) \
	do { \
		if (!(cond)) \
			fuzz_fail(__FILE__, __LINE__, #cond, (what)); \
	} while (0)

/*
 * Takes the next line of [*p, end) (without its '\n') into *line and *len
 * and moves *p past it. Returns false when nothing is left.
 */
bool fuzz_line(const uint8_t **p, const uint8_t *end, const char **line, size_t *len);

struct field;
/*
 * Calls add for every field every built-in scheme row names (signature,
 * timestamp, token, id and type lists, the handshakes' fields), so a
 * harness looks for the names a new row brings.
 */
void fuzz_scheme_fields(void (*add)(const struct field *));

/* True when [s, s + len) is one JSON text yajl's tree parser accepts. */
bool fuzz_json_valid(const char *s, size_t len);

#endif
