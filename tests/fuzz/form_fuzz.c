/*
 * form_fuzz.c: libFuzzer harness for urlencoded form and query parsing
 * (form_extract(), src/form.c).
 *
 * The input is a form body or query string. The names looked for are every
 * form and query field the scheme table reads, gathered at start, and a few
 * more; each input is read twice, with the receiver's value limit and with
 * a small one. A second, plain decoder written here from the WHATWG
 * urlencoded parsing rules is the oracle: both must find the same values
 * and refuse the same inputs.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "fuzz.h"
#include "payload.h"
#include "scheme.h"
#include "util.h"

#define MAX_NAMES 64
#define SMALL_MAX 8

static const char *NAMES[MAX_NAMES];
static size_t NNAMES;

/* Names no row reads: empty, with a space (sent as '+' or %20), a percent sign. */
static const char *const EXTRA[] = { "", "a", "a b", "%", "text", "payload" };

/* Adds a name to look for, once. */
static void
add_name(const char *p)
{
	size_t i;

	for (i = 0; i < NNAMES && strcmp(NAMES[i], p) != 0; i++)
		;
	if (i == NNAMES && NNAMES < MAX_NAMES)
		NAMES[NNAMES++] = p;
}

/* Adds a form or query field's name. */
static void
add_field(const struct field *f)
{
	if (f->from == FIELD_FROM_FORM || f->from == FIELD_FROM_QUERY)
		add_name(f->name);
}

/* Gathers the form and query names of every built-in scheme row. */
static void
init(void)
{
	size_t i;

	fuzz_scheme_fields(add_field);
	for (i = 0; i < nitems(EXTRA); i++)
		add_name(EXTRA[i]);
}

/* The value of a hex digit, or -1. */
static int
hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The oracle's decoder: '+' is a space, %XX a byte, any other '%' itself. Returns a copy. */
static unsigned char *
ref_decode(const unsigned char *s, size_t len, size_t *outlen)
{
	unsigned char *out = xmalloc(len + 1);
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && len - i >= 3 && hex_digit(s[i + 1]) >= 0 &&
		    hex_digit(s[i + 2]) >= 0) {
			out[o++] = (unsigned char)(hex_digit(s[i + 1]) << 4 | hex_digit(s[i + 2]));
			i += 2;
		} else
			out[o++] = s[i];
	}
	*outlen = o;
	return out;
}

/*
 * The oracle: the value of the first pair called name whose value is not
 * empty (an empty one, or a name without '=', is as good as absent), in
 * *value (malloc'd) or NULL. Returns -1 when that value is longer than
 * max or holds a NUL.
 */
static int
ref_value(const unsigned char *data, size_t len, const char *name, size_t max, char **value)
{
	const unsigned char *p = data, *end = data + len;

	*value = NULL;
	while (p < end) {
		const unsigned char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		unsigned char *n, *v;
		size_t nl, vl;

		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		n = ref_decode(p, (size_t)((eq != NULL ? eq : amp) - p), &nl);
		if (eq != NULL && nl == strlen(name) && memcmp(n, name, nl) == 0) {
			v = ref_decode(eq + 1, (size_t)(amp - eq - 1), &vl);
			if (vl > 0) {
				free(n);
				if (vl > max || memchr(v, '\0', vl) != NULL) {
					free(v);
					return -1;
				}
				v[vl] = '\0';
				*value = (char *)v;
				return 0;
			}
			free(v);
		}
		free(n);
		p = amp + 1;
	}
	return 0;
}

/* Reads the input with the limit max and holds form_extract() to the oracle. */
static void
check(const char *data, size_t size, size_t max)
{
	char *values[MAX_NAMES], *want[MAX_NAMES];
	const char *reason = NULL;
	int rc, ref_rc = 0;
	size_t i;

	for (i = 0; i < NNAMES; i++)
		if (ref_value((const unsigned char *)data, size, NAMES[i], max, &want[i]) != 0)
			ref_rc = -1;
	rc = form_extract(data, size, NAMES, values, NNAMES, max, &reason);
	FUZZ_CHECK(rc == ref_rc, "form_extract and the oracle disagree on refusing");
	for (i = 0; i < NNAMES; i++) {
		if (rc != 0)
			FUZZ_CHECK(values[i] == NULL, "a value left after a refusal");
		else if (want[i] == NULL)
			FUZZ_CHECK(values[i] == NULL, "a value the oracle does not find");
		else
			FUZZ_CHECK(values[i] != NULL && strcmp(values[i], want[i]) == 0,
			    "a value other than the oracle's");
		free(values[i]);
		free(want[i]);
	}
	if (rc != 0)
		FUZZ_CHECK(reason != NULL, "a refusal without a reason");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	char *copy;

	if (!ready) {
		init();
		ready = true;
	}
	/* A copy of its own size, so reading past the data is caught. */
	copy = xmalloc(size);
	memcpy(copy, data, size);
	check(copy, size, PAYLOAD_MAX_VALUE);
	check(copy, size, SMALL_MAX);
	free(copy);
	return 0;
}
