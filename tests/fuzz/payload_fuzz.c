/*
 * payload_fuzz.c: libFuzzer harness for the event id and type extraction
 * from JSON bodies (payload_extract(), src/payload.c) and for the JSON
 * object hookq answers handshakes with (payload_json_object()).
 *
 * The input is a body. The paths looked for are every JSON path the scheme
 * table reads, PAYLOAD_MAX_VALUE, gathered at start, and a few more. yajl's tree parser is the
 * second opinion: a body payload_extract() takes must be JSON to it too,
 * and what payload_json_object() writes must parse.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "payload.h"
#include "scheme.h"
#include "util.h"

#define MAX_PATHS 64

static const char *PATHS[MAX_PATHS];
static size_t NPATHS;

/* Paths no row reads: a top-level key, nesting past the rows', a key with a space. */
static const char *const EXTRA[] = { "a", "a.b", "a.b.c.d.e.f", "data.id", "x y", "0" };

/* Adds a path to look for, once. */
static void
add_path(const char *p)
{
	size_t i;

	for (i = 0; i < NPATHS && strcmp(PATHS[i], p) != 0; i++)
		;
	if (i == NPATHS && NPATHS < MAX_PATHS)
		PATHS[NPATHS++] = p;
}

/* Adds a JSON field's path. */
static void
add_field(const struct field *f)
{
	if (f->from == FIELD_FROM_JSON)
		add_path(f->name);
}

/* Gathers the JSON paths of every built-in scheme row. */
static void
init(void)
{
	size_t i;

	fuzz_scheme_fields(add_field);
	for (i = 0; i < nitems(EXTRA); i++)
		add_path(EXTRA[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	char *values[MAX_PATHS];
	const char *names[MAX_PATHS], *found[MAX_PATHS];
	const char *reason = NULL;
	unsigned char *body;
	char *obj;
	size_t i, n = 0, len;
	int rc;

	if (!ready) {
		init();
		ready = true;
	}
	/* A copy of its own size, so reading past the body is caught. */
	body = xmalloc(size);
	memcpy(body, data, size);
	rc = payload_extract(body, size, PAYLOAD_MAX_VALUE, PATHS, values, NPATHS, &reason);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && reason != NULL, "a refusal without a reason");
		for (i = 0; i < NPATHS; i++)
			FUZZ_CHECK(values[i] == NULL, "a value left after a refusal");
		/* A body the tree parser takes is refused only for what the walk limits. */
		if (strcmp(reason, "body is not valid JSON") == 0 &&
		    fuzz_json_valid((const char *)body, size))
			FUZZ_CHECK(memchr(body, '/', size) != NULL,
			    "JSON without comments refused as not JSON");
		free(body);
		return 0;
	}
	FUZZ_CHECK(rc == 0, "payload_extract returns 0 or -1");
	FUZZ_CHECK(memchr(body, '\0', size) != NULL || fuzz_json_valid((const char *)body, size),
	    "a body taken as JSON that yajl's tree parser refuses");
	for (i = 0; i < NPATHS; i++) {
		if (values[i] == NULL)
			continue;
		len = strlen(values[i]);
		FUZZ_CHECK(len > 0 && len <= PAYLOAD_MAX_VALUE, "a value of the wrong length");
		names[n] = PATHS[i];
		found[n++] = values[i];
	}
	/* What a handshake answer would be made of these values is JSON. */
	obj = payload_json_object(names, found, n, &len);
	FUZZ_CHECK(obj != NULL && strlen(obj) == len && fuzz_json_valid(obj, len),
	    "payload_json_object wrote something that is not JSON");
	free(obj);
	for (i = 0; i < NPATHS; i++)
		free(values[i]);
	free(body);
	return 0;
}
