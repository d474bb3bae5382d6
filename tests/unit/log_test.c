/*
 * log_test.c: log lines (src/log.c). A batch of lines gathered by one thread
 * comes out whole and in order, flushed by itself before it overflows; each
 * line has the timestamp and program prefix; a NULL batch writes at once.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "log.h"

/* Points stderr at a fresh file of dir; returns the saved stderr. */
static int
capture(const char *path)
{
	int saved = dup(STDERR_FILENO), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	return saved;
}

static void
restore(int saved)
{
	dup2(saved, STDERR_FILENO);
	close(saved);
}

static void
test_batch(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_path(dir, "err"), *text, *p, want[64];
	struct log_batch b;
	size_t len;
	int saved, i;

	(void)state;
	log_init("hookq-test");
	saved = capture(path);
	log_batch_init(&b);
	/* 200 lines of about 110 bytes: several PIPE_BUF-sized writes. */
	for (i = 0; i < 200; i++)
		log_batch_info(&b, "line %03d %s", i,
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_true(b.len < sizeof(b.buf));
	log_batch_flush(&b);
	assert_int_equal(b.len, 0);
	log_batch_info(NULL, "written at once");
	restore(saved);

	text = tu_read_file(path, &len);
	for (p = text, i = 0; i < 200; i++) {
		char *nl = strchr(p, '\n');

		assert_non_null(nl);
		snprintf(want, sizeof(want), "Z hookq-test[%ld]: line %03d x", (long)getpid(), i);
		*nl = '\0';
		assert_non_null(strstr(p, want));
		/* 2026-12-02T16:24:53.525Z: the date, the time to the millisecond, in UTC. */
		assert_true(strlen(p) > 24 && p[4] == '-' && p[10] == 'T' && p[19] == '.' && p[23] == 'Z');
		p = nl + 1;
	}
	assert_non_null(strstr(p, "]: written at once\n"));
	free(text);
	tu_rmtree(dir);
	free(path);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
