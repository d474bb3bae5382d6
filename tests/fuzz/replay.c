/*
 * replay.c: a main() for the fuzz harnesses without libFuzzer, so that
 * make check, under any compiler and under ASan and UBSan in CI, replays
 * each harness over its seed corpus and its regression cases (crashes
 * found and fixed) without clang. The program NAME_replay runs the
 * harness NAME_fuzz.c over $top_srcdir/tests/fuzz/corpus/NAME/ and
 * regressions/NAME/, or over the files and folders given, and speaks TAP:
 * one case per input. A broken promise aborts, which the TAP driver
 * reports as the failure of the case that did not answer.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util.h"

struct list {
	char **v;
	size_t n;
};

/* Appends "dir/name" (or name) to the list. */
static void
list_add(struct list *l, const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);

	snprintf(p, n, "%s%s%s", dir, *dir != '\0' ? "/" : "", name);
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = p;
}

/* qsort's order for paths. */
static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path: a file, or every file of a folder in name order; a missing folder adds nothing. */
static void
add_path(struct list *l, const char *path)
{
	struct dirent *e;
	struct stat st;
	size_t first = l->n;
	DIR *d;

	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		list_add(l, "", path);
		return;
	}
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			list_add(l, path, e->d_name);
	closedir(d);
	qsort(l->v + first, l->n - first, sizeof(*l->v), by_name);
}

/* Reads a whole file; NULL when it cannot. */
static unsigned char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (f == NULL)
		return NULL;
	do {
		if (*len == cap)
			buf = xrealloc(buf, cap = cap ? cap * 2 : 4096);
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/'), *top = getenv("top_srcdir");
	struct list l = { NULL, 0 };
	char harness[64], path[1024];
	size_t i, len;
	int failed = 0;

	base = base != NULL ? base + 1 : argv[0];
	snprintf(harness, sizeof(harness), "%.*s", (int)strcspn(base, "_"), base);
	if (argc > 1) {
		for (i = 1; i < (size_t)argc; i++)
			add_path(&l, argv[i]);
	} else {
		static const char *const KINDS[] = { "corpus", "regressions" };

		for (i = 0; i < nitems(KINDS); i++) {
			snprintf(path, sizeof(path), "%s/tests/fuzz/%s/%s", top != NULL ? top : ".",
			    KINDS[i], harness);
			add_path(&l, path);
		}
	}
	printf("1..%zu\n", l.n);
	for (i = 0; i < l.n; i++) {
		unsigned char *data = read_all(l.v[i], &len);

		fflush(stdout);
		if (data == NULL) {
			printf("not ok %zu - %s: cannot read it\n", i + 1, l.v[i]);
			failed = 1;
		} else {
			LLVMFuzzerTestOneInput(data, len);
			printf("ok %zu - %s %s\n", i + 1, harness, l.v[i]);
		}
		free(data);
		free(l.v[i]);
	}
	free(l.v);
	return failed;
}
