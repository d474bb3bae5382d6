/*
 * payload.c: hookq's JSON. payload_extract() (the receiver's event id and
 * type) and payload_scalars() (the worker's route matches and ordering keys)
 * share one walk of the body with yajl's callback parser, which keeps only the
 * dotted path of the current value, so memory use does not grow with the
 * body; they differ only in what they keep of the values they meet.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "log.h"
#include "payload.h"
#include "util.h"

/* Room for the dotted path of the current value; longer keys become a mark. */
#define PATH_MAX_LEN 1024
/* Stands for a key too long to keep: no configured path contains it. */
#define PATH_TOO_LONG "\x01"

struct walk;
/*
 * What a walk does with a value found where a path may be (inside objects
 * only, not at the top): kind is an enum payload_kind (PAYLOAD_CONTAINER as
 * an object or array opens), s and len the decoded text of a string or the
 * number as written. Returns 1, or 0 with w->reason set to stop the parse.
 */
typedef int (*walk_visit)(struct walk *w, int kind, const char *s, size_t len);

/*
 * One streaming parse: yajl's callbacks keep the dotted path of the current
 * value, and each value at a path goes to visit. Shared by payload_extract()
 * and payload_scalars(), which differ only in what they keep.
 */
struct walk {
	int depth;
	int arrays;                          /* arrays on the stack: no paths go through them */
	size_t base[PAYLOAD_MAX_DEPTH + 1];  /* path length where each container starts */
	char path[PATH_MAX_LEN];
	size_t len;
	bool keys;                           /* PAYLOAD_KEYS: only the top object's members */
	walk_visit visit;
	const char *const *paths;
	size_t n;
	char **values;                       /* payload_extract()'s */
	size_t max;                          /* ... and the longest value it keeps */
	struct payload_scalar *out;          /* payload_scalars()'s */
	payload_member_fn member;            /* payload_members()'s */
	void *arg;
	const char *reason;
};

/* True when the current value is at path (a path the walk looks for). */
static bool
walk_at(const struct walk *w, const char *path)
{
	return strlen(path) == w->len && memcmp(path, w->path, w->len) == 0;
}

/* Hands a value to visit when it stands where a path can be. */
static int
walk_value(struct walk *w, int kind, const char *s, size_t len)
{
	if (w->arrays > 0 || w->depth == 0 || (w->keys && w->depth != 1))
		return 1;
	return w->visit(w, kind, s, len);
}

static int
cb_null(void *ctx)
{
	return walk_value(ctx, PAYLOAD_NULL, NULL, 0);
}

static int
cb_boolean(void *ctx, int b)
{
	return walk_value(ctx, b ? PAYLOAD_TRUE : PAYLOAD_FALSE, NULL, 0);
}

static int
cb_string(void *ctx, const unsigned char *s, size_t len)
{
	return walk_value(ctx, PAYLOAD_STRING, (const char *)s, len);
}

static int
cb_number(void *ctx, const char *s, size_t len)
{
	return walk_value(ctx, PAYLOAD_NUMBER, s, len);
}

/* Enters a container, a value at the current path; refuses nesting past PAYLOAD_MAX_DEPTH. */
static int
walk_push(struct walk *w, bool array)
{
	if (w->depth == PAYLOAD_MAX_DEPTH) {
		w->reason = "JSON nested deeper than 64 levels";
		return 0;
	}
	if (!walk_value(w, PAYLOAD_CONTAINER, NULL, 0))
		return 0;
	w->depth++;
	w->base[w->depth] = w->len;
	if (array)
		w->arrays++;
	return 1;
}

static int
walk_pop(struct walk *w, bool array)
{
	w->len = w->base[w->depth];
	w->depth--;
	if (array)
		w->arrays--;
	return 1;
}

static int
cb_start_map(void *ctx)
{
	return walk_push(ctx, false);
}

static int
cb_end_map(void *ctx)
{
	return walk_pop(ctx, false);
}

static int
cb_start_array(void *ctx)
{
	return walk_push(ctx, true);
}

static int
cb_end_array(void *ctx)
{
	return walk_pop(ctx, true);
}

static int
cb_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct walk *w = ctx;
	size_t at = w->base[w->depth];
	size_t sep = at > 0 ? 1 : 0;

	/* Depth is capped at 64, so marks of 2 bytes always fit. */
	if (at + sep + len >= PATH_MAX_LEN - 2 * (PAYLOAD_MAX_DEPTH + 1)) {
		key = (const unsigned char *)PATH_TOO_LONG;
		len = 1;
	}
	if (sep)
		w->path[at] = '.';
	memcpy(w->path + at + sep, key, len);
	w->len = at + sep + len;
	return 1;
}

static const yajl_callbacks WALK_CALLBACKS = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_boolean,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end_map,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end_array,
};

/*
 * Parses body as exactly one JSON value, handing w->visit each value at a
 * path. Returns 0, or -1 with *reason set (static).
 */
static int
walk_parse(struct walk *w, const unsigned char *body, size_t len, const char **reason)
{
	yajl_handle y;
	yajl_status st;

	y = yajl_alloc(&WALK_CALLBACKS, NULL, w);
	if (y == NULL) {
		*reason = "out of memory";
		return -1;
	}
	st = yajl_parse(y, body, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(y);
	yajl_free(y);
	if (st == yajl_status_ok)
		return 0;
	*reason = w->reason != NULL ? w->reason : "body is not valid JSON";
	return -1;
}

/* payload_extract()'s visit: the first non-empty string or number at each path. */
static int
extract_visit(struct walk *w, int kind, const char *s, size_t len)
{
	size_t i;

	if (kind != PAYLOAD_STRING && kind != PAYLOAD_NUMBER)
		return 1;
	for (i = 0; i < w->n; i++) {
		if (w->values[i] != NULL || !walk_at(w, w->paths[i]))
			continue;
		if (len == 0)
			continue;
		if (len > w->max) {
			w->reason = w->max == PAYLOAD_MAX_VALUE ?
			    "a value read from the body is longer than 256 bytes" :
			    "a value read from the body is longer than the limit";
			return 0;
		}
		if (memchr(s, '\0', len) != NULL) {
			w->reason = "a value read from the body holds a NUL character";
			return 0;
		}
		w->values[i] = xstrndup(s, len);
	}
	return 1;
}

int
payload_extract(const unsigned char *body, size_t len, size_t max,
    const char *const *paths, char **values, size_t n, const char **reason)
{
	struct walk w;
	size_t i;

	memset(&w, 0, sizeof(w));
	w.visit = extract_visit;
	w.max = max;
	w.paths = paths;
	w.values = values;
	w.n = n;
	for (i = 0; i < n; i++)
		values[i] = NULL;

	if (walk_parse(&w, body, len, reason) == 0)
		return 0;
	for (i = 0; i < n; i++) {
		free(values[i]);
		values[i] = NULL;
	}
	return -1;
}

/* payload_scalars()'s visit: whatever comes first at each path, scalar or not. */
static int
scalars_visit(struct walk *w, int kind, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		struct payload_scalar *o = &w->out[i];

		if (o->kind != PAYLOAD_NONE || !walk_at(w, w->paths[i]))
			continue;
		if ((kind == PAYLOAD_STRING || kind == PAYLOAD_NUMBER) &&
		    len > PAYLOAD_MAX_SCALAR) {
			o->kind = PAYLOAD_TOO_LONG;
			continue;
		}
		o->kind = kind;
		if (kind == PAYLOAD_STRING || kind == PAYLOAD_NUMBER) {
			o->text = xstrndup(s, len);
			o->len = len;
		}
	}
	return 1;
}

void
payload_scalars_clear(struct payload_scalar *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(out[i].text);
		out[i].kind = PAYLOAD_NONE;
		out[i].text = NULL;
		out[i].len = 0;
	}
}

int
payload_scalars(const unsigned char *body, size_t len, const char *const *paths,
    struct payload_scalar *out, size_t n, int flags, const char **reason)
{
	struct walk w;
	size_t i;

	memset(&w, 0, sizeof(w));
	w.visit = scalars_visit;
	w.keys = (flags & PAYLOAD_KEYS) != 0;
	w.paths = paths;
	w.out = out;
	w.n = n;
	for (i = 0; i < n; i++) {
		out[i].kind = PAYLOAD_NONE;
		out[i].text = NULL;
		out[i].len = 0;
	}

	if (walk_parse(&w, body, len, reason) == 0)
		return 0;
	payload_scalars_clear(out, n);
	return -1;
}

/* payload_members()'s visit: each string member of the top object, but a name too long to keep. */
static int
members_visit(struct walk *w, int kind, const char *s, size_t len)
{
	if (kind != PAYLOAD_STRING || (w->len == 1 && w->path[0] == PATH_TOO_LONG[0]))
		return 1;
	w->member(w->path, w->len, s, len, w->arg);
	return 1;
}

int
payload_members(const char *json, size_t len, payload_member_fn fn, void *arg,
    const char **reason)
{
	struct walk w;

	memset(&w, 0, sizeof(w));
	w.visit = members_visit;
	w.keys = true;
	w.member = fn;
	w.arg = arg;
	return walk_parse(&w, (const unsigned char *)json, len, reason);
}

/* s read as ISO-8859-1, in UTF-8: a malloc'd, NUL-terminated copy of *outlen bytes. */
static char *
latin1_utf8(const char *s, size_t len, size_t *outlen)
{
	char *out = xmalloc(len * 2 + 1);
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80)
			out[o++] = (char)c;
		else {
			out[o++] = (char)(0xc0 | (c >> 6));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Writes s as a JSON string, reading it as ISO-8859-1 if it is not UTF-8. */
static void
gen_text(yajl_gen g, const char *s, size_t len)
{
	char *latin;
	size_t o;

	if (utf8_valid((const unsigned char *)s, len)) {
		yajl_gen_string(g, (const unsigned char *)s, len);
		return;
	}
	latin = latin1_utf8(s, len, &o);
	yajl_gen_string(g, (const unsigned char *)latin, o);
	free(latin);
}

static bool
omitted(const char *name, const char *const *omit)
{
	for (; omit != NULL && *omit != NULL; omit++)
		if (strcmp(name, *omit) == 0)
			return true;
	return false;
}

/*
 * The JSON names the headers are written under, for headers whose name is
 * not UTF-8: the name read as ISO-8859-1, which may be another header's
 * name ("\xe9" reads as the UTF-8 "\xc3\xa9"). Headers are grouped by the
 * name written, so the object never holds a name twice (RFC 8259 4: a
 * handler's JSON parser may keep either). NULL when every header's name is
 * written as it is, the usual case; otherwise an array of h->n, NULL where
 * the name is its own.
 */
static char **
header_keys(const struct headers *h)
{
	char **keys = NULL;
	size_t i, o;

	for (i = 0; i < h->n; i++) {
		const char *name = h->v[i].name;
		size_t n = strlen(name);

		if (utf8_valid((const unsigned char *)name, n))
			continue;
		if (keys == NULL)
			keys = xcalloc(h->n, sizeof(*keys));
		keys[i] = latin1_utf8(name, n, &o);
	}
	return keys;
}

/* The name header i is written under (header_keys()). */
static const char *
header_key(const struct headers *h, char *const *keys, size_t i)
{
	return keys != NULL && keys[i] != NULL ? keys[i] : h->v[i].name;
}

char *
payload_headers_json(const struct headers *h, const char *const *omit, size_t *len)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	char *out, *joined, **keys;
	size_t i, j, n, blen;

	if (g == NULL)
		return NULL;
	keys = header_keys(h);
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	yajl_gen_map_open(g);
	for (i = 0; i < h->n; i++) {
		const char *name = header_key(h, keys, i);
		size_t vlen;
		bool first = true;

		if (omitted(name, omit))
			continue;
		for (j = 0; j < i && strcmp(header_key(h, keys, j), name) != 0; j++)
			;
		if (j < i)
			continue; /* already written, joined with this one */

		gen_text(g, name, strlen(name));
		vlen = 0;
		n = 0;
		for (j = i; j < h->n; j++)
			if (strcmp(header_key(h, keys, j), name) == 0) {
				vlen += strlen(h->v[j].value) + 2;
				n++;
			}
		if (n == 1) {
			/* The usual case: one value, written as it is. */
			gen_text(g, h->v[i].value, vlen - 2);
			continue;
		}
		joined = xmalloc(vlen + 1);
		joined[0] = '\0';
		vlen = 0;
		for (j = i; j < h->n; j++) {
			size_t l;

			if (strcmp(header_key(h, keys, j), name) != 0)
				continue;
			if (!first) {
				memcpy(joined + vlen, ", ", 2);
				vlen += 2;
			}
			l = strlen(h->v[j].value);
			memcpy(joined + vlen, h->v[j].value, l);
			vlen += l;
			first = false;
		}
		gen_text(g, joined, vlen);
		free(joined);
	}
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &blen);
	out = xstrndup((const char *)buf, blen);
	*len = blen;
	yajl_gen_free(g);
	if (keys != NULL) {
		for (i = 0; i < h->n; i++)
			free(keys[i]);
		free(keys);
	}
	return out;
}

char *
payload_json_object(const char *const *names, const char *const *values, size_t n, size_t *len)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	char *out;
	size_t i, blen;

	if (g == NULL)
		fatal(EXIT_SYSTEM, "out of memory");
	yajl_gen_map_open(g);
	for (i = 0; i < n; i++) {
		gen_text(g, names[i], strlen(names[i]));
		gen_text(g, values[i], strlen(values[i]));
	}
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &blen);
	out = xstrndup((const char *)buf, blen);
	*len = blen;
	yajl_gen_free(g);
	return out;
}
