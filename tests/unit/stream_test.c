/*
 * stream_test.c: a real stream handler process driven as the worker drives
 * it (src/stream.c): hundreds of events through one process, bodies byte for
 * byte (NUL bytes, 1 MiB), each answer kind, and every way a process fails
 * its event: garbage, an exit, a hang past the timeout, an answer with no
 * event out; and end of file on stdin making it exit.
 *
 * The handler is a Python script written here: per event it answers by the
 * event type, "hash" with "retry <sha256 of the body it read>", so the test
 * checks what arrived without trusting the handler's word for it.
 */
#include "autoconf.h"

#include <sys/wait.h>

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "testutil.h"

#include "stream.h"
#include "util.h"

static const char HANDLER[] =
    "import hashlib, json, os, sys, time\n"
    "i, o = sys.stdin.buffer, sys.stdout.buffer\n"
    "while True:\n"
    "    line = i.readline()\n"
    "    if not line:\n"
    "        sys.exit(0)\n"
    "    m = json.loads(line)\n"
    "    body = i.read(m['body_length'])\n"
    "    assert i.read(1) == b'\\n'\n"
    "    t = m['event_type']\n"
    "    assert m['headers'] == {'x-a': 'b'} and m['route'] == 'r' and m['source'] == 's'\n"
    "    assert m['delivery_id'] == m['row_id'] + 1000 and os.environ['HOOKQ_ROUTE'] == 'r'\n"
    "    if t == 'hash': o.write(b'retry ' + hashlib.sha256(body).hexdigest().encode() + b'\\n')\n"
    "    elif t == 'ok': o.write(b'ok\\n')\n"
    "    elif t == 'dead': o.write(b'dead nope\\n')\n"
    "    elif t == 'bare': o.write(b'retry\\n')\n"
    "    elif t == 'garbage': o.write(b'hello\\n')\n"
    "    elif t == 'twice': o.write(b'ok\\nok\\n')\n"
    "    elif t == 'exit': sys.stderr.write('bye\\n'); sys.exit(3)\n"
    "    elif t == 'okexit': o.write(b'ok\\n'); o.flush(); sys.exit(0)\n"
    "    elif t == 'sleep': time.sleep(30)\n"
    "    o.flush()\n";

struct fixture {
	char *dir;
	char *script;
	char *argv[3];
	struct stream st;
	int status;          /* the process's, once reaped */
	bool reaped;
};

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	char *cause = NULL;

	fx->dir = tu_tmpdir();
	fx->script = tu_path(fx->dir, "handler.py");
	tu_write_file(fx->script, HANDLER, strlen(HANDLER), 0700);
	/* Debian's own: a python3 earlier in PATH may be a wrapper that takes a second to start. */
	fx->argv[0] = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	fx->argv[1] = fx->script;
	if (stream_start(&fx->st, fx->argv, "r", "s", &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (!fx->reaped && fx->st.h.pid > 0) {
		kill(-fx->st.h.pid, SIGKILL);
		waitpid(fx->st.h.pid, NULL, 0);
	}
	stream_free(&fx->st);
	tu_rmtree(fx->dir);
	free(fx->script);
	free(fx->dir);
	free(fx);
	return 0;
}

/* One turn of the worker's loop: poll, I/O, deadlines, reaping. */
static void
turn(struct fixture *fx, int timeout_ms)
{
	struct pollfd pfd[3];
	int n = stream_pollfds(&fx->st, pfd, 3), i, status;

	if (poll(pfd, (nfds_t)n, timeout_ms) > 0)
		for (i = 0; i < n; i++)
			if (pfd[i].revents != 0)
				stream_io(&fx->st, pfd[i].fd, pfd[i].revents);
	(void)stream_tick(&fx->st, clock_mono_us());
	if (!fx->reaped && fx->st.h.pid > 0 && waitpid(fx->st.h.pid, &status, WNOHANG) > 0) {
		fx->reaped = true;
		fx->status = status;
		stream_reaped(&fx->st, status);
	}
}

/* Sends one event and runs the loop until its verdict (10 s at most). */
static enum stream_verdict
run(struct fixture *fx, const char *type, const void *body, size_t len, char **why)
{
	static int64_t row = 1;
	struct store_job job;
	int64_t until = clock_mono_us() + 10000000;
	enum stream_verdict v;

	memset(&job, 0, sizeof(job));
	job.event = row;
	job.id = row + 1000;
	row++;
	job.route = "r";
	job.source = "s";
	job.event_id = "e\"1";
	job.event_type = (char *)type;
	job.headers = "{\"x-a\":\n\"b\"}";
	job.body = (void *)body;
	job.body_len = len;
	job.attempt = 1;
	assert_int_equal(stream_send(&fx->st, &job, 2000), 0);
	assert_false(stream_ready(&fx->st));
	while ((v = stream_result(&fx->st, why)) == STREAM_PENDING) {
		assert_true(clock_mono_us() < until);
		turn(fx, 100);
	}
	return v;
}

static char *
hex_sha256(const void *p, size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char *hex = xmalloc(sizeof(h) * 2 + 1);

	crypto_hash_sha256(h, p, len);
	sodium_bin2hex(hex, sizeof(h) * 2 + 1, h, sizeof(h));
	return hex;
}

/* 500 events through one process, every body arriving as it was sent. */
static void
test_many(void **state)
{
	struct fixture *fx = *state;
	size_t big = 1024 * 1024, i;
	unsigned char *body = xmalloc(big);
	pid_t pid = fx->st.h.pid;
	char *why, *want;

	for (i = 0; i < big; i++)
		body[i] = (unsigned char)(i * 7 + (i >> 8));
	for (i = 0; i < 500; i++) {
		/* Lengths 0..499, with NULs and newlines in them; every 100th one 1 MiB. */
		size_t len = i % 100 == 99 ? big : i;

		assert_int_equal(run(fx, "hash", body, len, &why), STREAM_RETRY);
		want = hex_sha256(body, len);
		assert_string_equal(why, want);
		free(want);
		free(why);
		assert_true(stream_ready(&fx->st));
	}
	assert_int_equal(fx->st.h.pid, pid);
	assert_int_equal(run(fx, "ok", "x", 1, &why), STREAM_OK);
	assert_null(why);
	assert_int_equal(run(fx, "dead", "x", 1, &why), STREAM_DEAD);
	assert_string_equal(why, "nope");
	free(why);
	assert_int_equal(run(fx, "bare", "x", 1, &why), STREAM_RETRY);
	assert_string_equal(why, "the stream handler answered retry");
	free(why);
	free(body);

	/* End of file on stdin: it exits 0 of itself. */
	stream_stop(&fx->st, clock_mono_us());
	for (i = 0; i < 100 && !fx->reaped; i++)
		turn(fx, 50);
	assert_true(fx->reaped);
	assert_true(WIFEXITED(fx->status) && WEXITSTATUS(fx->status) == 0);
}

/* A line that is no answer: the event fails and the process group is killed. */
static void
test_garbage(void **state)
{
	struct fixture *fx = *state;
	char *why;
	int i;

	assert_int_equal(run(fx, "garbage", "x", 1, &why), STREAM_FAILED);
	assert_non_null(strstr(why, "stream handler wrote \"hello\" on stdout"));
	free(why);
	assert_false(stream_ready(&fx->st));
	for (i = 0; i < 100 && !fx->reaped; i++)
		turn(fx, 50);
	assert_true(fx->reaped);
	assert_true(WIFSIGNALED(fx->status) && WTERMSIG(fx->status) == SIGKILL);
}

/* An exit with the event out fails it, with the exit status and the stderr tail. */
static void
test_exit(void **state)
{
	struct fixture *fx = *state;
	char *why;

	assert_int_equal(run(fx, "exit", "x", 1, &why), STREAM_FAILED);
	assert_non_null(strstr(why, "exited with status 3"));
	assert_non_null(strstr(why, "bye"));
	free(why);
	assert_false(stream_ready(&fx->st));
}

/* An answer written just before an exit still counts. */
static void
test_answer_then_exit(void **state)
{
	struct fixture *fx = *state;
	char *why;

	assert_int_equal(run(fx, "okexit", "x", 1, &why), STREAM_OK);
	assert_null(why);
}

/* Two answers to one event: the second is garbage, and the process goes. */
static void
test_twice(void **state)
{
	struct fixture *fx = *state;
	char *why;
	int i;

	assert_int_equal(run(fx, "twice", "x", 1, &why), STREAM_OK);
	for (i = 0; i < 100 && !fx->reaped; i++)
		turn(fx, 50);
	assert_true(fx->reaped);
	assert_false(stream_ready(&fx->st));
}

/* Past the timeout (2 s here): killed, the event failed. */
static void
test_timeout(void **state)
{
	struct fixture *fx = *state;
	int64_t t0 = clock_mono_us();
	char *why;

	assert_int_equal(run(fx, "sleep", "x", 1, &why), STREAM_FAILED);
	assert_true(clock_mono_us() - t0 >= 2000000);
	assert_true(clock_mono_us() - t0 < 4000000);
	assert_non_null(strstr(why, "timed out after 2.000s"));
	free(why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_then_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
