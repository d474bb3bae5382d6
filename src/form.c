/*
 * form.c: urlencoded name=value pairs. Each pair is decoded into a
 * scratch buffer only far enough to compare its name; values are copied
 * only for the names asked for.
 */
#include "autoconf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "util.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes [s, s + len) into out (room for len bytes: decoding never grows).
 * Returns the decoded length.
 */
static size_t
decode(char *out, const char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else
			out[o++] = s[i];
	}
	return o;
}

int
form_extract(const char *data, size_t len, const char *const *names, char **values,
    size_t n, size_t max, const char **reason)
{
	const char *p = data, *end = data + len;
	char *name = xmalloc(len + 1);
	size_t i;

	for (i = 0; i < n; i++)
		values[i] = NULL;
	while (p < end) {
		const char *pe = memchr(p, '&', (size_t)(end - p)), *eq;
		size_t nl, vl;

		if (pe == NULL)
			pe = end;
		eq = memchr(p, '=', (size_t)(pe - p));
		if (eq == NULL)
			eq = pe;
		nl = decode(name, p, (size_t)(eq - p));
		for (i = 0; i < n; i++) {
			char *v;

			if (values[i] != NULL || strlen(names[i]) != nl || memcmp(names[i], name, nl) != 0)
				continue;
			if (eq == pe)
				continue; /* a name without '=': an empty value */
			v = xmalloc((size_t)(pe - eq));
			vl = decode(v, eq + 1, (size_t)(pe - eq - 1));
			if (vl == 0) {
				free(v);
				continue;
			}
			if (vl > max || memchr(v, '\0', vl) != NULL) {
				free(v);
				free(name);
				for (i = 0; i < n; i++) {
					free(values[i]);
					values[i] = NULL;
				}
				*reason = vl > max ? "a value read from the form is longer than the limit" :
				    "a value read from the form holds a NUL character";
				return -1;
			}
			v[vl] = '\0';
			values[i] = v;
		}
		p = pe + 1;
	}
	free(name);
	return 0;
}

/* One decoded pair, pointing into a shared buffer. */
struct pair {
	const char *name, *value;
	size_t nlen, vlen;
};

/* Orders pairs by name, then value, as bytes (a prefix first). */
static int
pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
	int c = memcmp(x->name, y->name, n);

	if (c != 0 || x->nlen != y->nlen)
		return c != 0 ? c : (x->nlen < y->nlen ? -1 : 1);
	n = x->vlen < y->vlen ? x->vlen : y->vlen;
	c = memcmp(x->value, y->value, n);
	if (c != 0 || x->vlen == y->vlen)
		return c;
	return x->vlen < y->vlen ? -1 : 1;
}

void
form_sorted_concat(const char *data, size_t len, char **out, size_t *outlen)
{
	const char *p = data, *end = data + len;
	/* Decoding never grows: every name and value fits in len bytes together. */
	char *buf = xmalloc(len + 1), *b = buf, *o;
	struct pair *pairs = xmalloc((len / 2 + 1) * sizeof(*pairs));
	size_t np = 0, i, total = 0;

	while (p < end) {
		const char *pe = memchr(p, '&', (size_t)(end - p)), *eq;

		if (pe == NULL)
			pe = end;
		eq = memchr(p, '=', (size_t)(pe - p));
		if (eq == NULL)
			eq = pe;
		if (pe > p) {
			pairs[np].name = b;
			pairs[np].nlen = decode(b, p, (size_t)(eq - p));
			b += pairs[np].nlen;
			pairs[np].value = b;
			pairs[np].vlen = eq < pe ? decode(b, eq + 1, (size_t)(pe - eq - 1)) : 0;
			b += pairs[np].vlen;
			total += pairs[np].nlen + pairs[np].vlen;
			np++;
		}
		p = pe + 1;
	}
	qsort(pairs, np, sizeof(*pairs), pair_cmp);
	o = *out = xmalloc(total + 1);
	for (i = 0; i < np; i++) {
		memcpy(o, pairs[i].name, pairs[i].nlen);
		o += pairs[i].nlen;
		memcpy(o, pairs[i].value, pairs[i].vlen);
		o += pairs[i].vlen;
	}
	*o = '\0';
	*outlen = total;
	free(pairs);
	free(buf);
}
