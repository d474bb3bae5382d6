/*
 * fcgi_fuzz.c: libFuzzer harness for the FastCGI record check
 * (fcgi_guard_feed(), src/fcgi_guard.c), which reads whatever a peer of the
 * socket sends before libfcgi does.
 *
 * The input's first byte seeds the sizes of the pieces the rest is fed in;
 * the rest is the byte stream of one connection. The answer may not depend
 * on how the bytes arrive: fed whole and fed in pieces, the state, the
 * bytes taken and the end of the parameters must agree; the check never
 * takes more than it was given, and nothing after the request's end; a
 * refusal always says why.
 */
#include "autoconf.h"

#include <string.h>

#include "fcgi_guard.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgi_guard whole, parts;
	enum fcgi_guard_state a, b = FCGI_GUARD_MORE;
	char why_a[160], why_b[160];
	unsigned seed;
	size_t at = 0;

	if (size == 0)
		return 0;
	seed = data[0] | 1u;
	data++;
	size--;
	why_a[0] = '\0';
	fcgi_guard_init(&whole);
	a = fcgi_guard_feed(&whole, data, size, why_a, sizeof(why_a));
	FUZZ_CHECK(whole.fed <= size, "took more bytes than it was given");
	FUZZ_CHECK(a != FCGI_GUARD_MORE || whole.fed == size, "stopped early without an answer");
	FUZZ_CHECK(a != FCGI_GUARD_BAD || why_a[0] != '\0', "a refusal without a reason");
	FUZZ_CHECK(a != FCGI_GUARD_END || (whole.ended && whole.params_end > 0 &&
	    whole.params_end <= whole.fed), "an end before the parameters' end");

	fcgi_guard_init(&parts);
	while (at < size && b == FCGI_GUARD_MORE) {
		size_t k;

		seed = seed * 1103515245u + 12345u;
		k = 1 + (seed >> 16) % 97;
		if (k > size - at)
			k = size - at;
		b = fcgi_guard_feed(&parts, data + at, k, why_b, sizeof(why_b));
		at += k;
	}
	FUZZ_CHECK(a == b, "whole and in pieces, different answers");
	if (a != FCGI_GUARD_BAD) {
		FUZZ_CHECK(whole.fed == parts.fed, "whole and in pieces, different bytes taken");
		FUZZ_CHECK(whole.params_end == parts.params_end, "different ends of the parameters");
	}
	return 0;
}
