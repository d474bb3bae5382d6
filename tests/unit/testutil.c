/*
 * testutil.c: see testutil.h.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

char *
tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

void
tu_write_file(const char *path, const void *data, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0)
		fail_msg("cannot create %s", path);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	fchmod(fd, (mode_t)mode);
	close(fd);
}

char *
tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p = malloc(4096);

	assert_non_null(p);
	snprintf(p, 4096, "%s/hookq-unit.XXXXXX", base ? base : "/tmp");
	if (mkdtemp(p) == NULL)
		fail_msg("mkdtemp %s failed", p);
	return p;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

void
tu_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tu_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

char *
tu_vector_path(const char *name)
{
	const char *dir = getenv("HOOKQ_VECTORS");

	return tu_path(dir ? dir : "tests/vectors", name);
}

yajl_val
tu_load_json(const char *name)
{
	char *path = tu_vector_path(name), *text, err[256];
	yajl_val v;

	text = tu_read_file(path, NULL);
	v = yajl_tree_parse(text, err, sizeof(err));
	if (v == NULL)
		fail_msg("%s: %s", path, err);
	free(text);
	free(path);
	return v;
}

const char *
tu_str(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(obj, path, yajl_t_string);

	return v ? YAJL_GET_STRING(v) : NULL;
}

long long
tu_int(yajl_val obj, const char *key, long long def)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(obj, path, yajl_t_number);

	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : def;
}

size_t
tu_unhex(unsigned char *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex), i;

	if (n % 2 != 0 || n / 2 > cap)
		fail_msg("bad hex of length %zu", n);
	for (i = 0; i < n / 2; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			fail_msg("bad hex at %zu", 2 * i);
		out[i] = (unsigned char)b;
	}
	return n / 2;
}
