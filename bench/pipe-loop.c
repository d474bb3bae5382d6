/*
 * pipe-loop: the "just pipes" baseline of bench/worker.sh's stream drains.
 *
 * usage: pipe-loop N C BODYFILE PROGRAM [ARG...]
 * Starts C copies of PROGRAM (a stream handler, e.g. bench/stream-handler)
 * with pipes on their stdin and stdout, then sends N frames in hookq's stream
 * framing (a JSON header line like the worker's, BODYFILE's bytes, "\n"),
 * one at a time per child: a frame goes to a child only once it has answered
 * the last one with a line. C = 1: write, read the answer, again; C > 1:
 * round-robin over the idle children, poll() for answers. Prints "N SECONDS
 * CPU": seconds (CLOCK_MONOTONIC) from the first frame to the last answer and
 * its own user + system CPU seconds (the children's excluded). Then closes
 * the children's stdin and waits for them. Exits 1 when an answer is not
 * "ok" or a child fails.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct child {
	pid_t pid;
	int in, out;    /* its stdin (we write), its stdout (we read) */
	char line[256]; /* its answer so far */
	size_t line_len;
	int busy;
};

static char *body;
static size_t body_len;
static long failed;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static _Noreturn void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
start(struct child *ch, char **argv)
{
	int in[2], out[2];

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("pipe2");
	if ((ch->pid = fork()) < 0)
		die("fork");
	if (ch->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	ch->in = in[1];
	ch->out = out[0];
}

static void
send_frame(struct child *ch, long i)
{
	char head[1024];
	struct iovec iov[3];
	size_t off = 0, total;
	int n;

	n = snprintf(head, sizeof(head), "{\"delivery_id\":%ld,\"row_id\":%ld,\"event_id\":\"loop-%ld\","
	    "\"source\":\"gh\",\"route\":\"bench\",\"event_type\":\"push\",\"attempt\":1,"
	    "\"headers\":{\"content-type\":\"application/json\",\"user-agent\":\"GitHub-Hookshot/bench\","
	    "\"x-github-delivery\":\"loop-%ld\",\"x-github-event\":\"push\","
	    "\"x-hub-signature-256\":\"sha256=%064d\"},\"body_length\":%zu}\n",
	    i + 1, i + 1, i, i, 0, body_len);
	if (n <= 0 || n >= (int)sizeof(head))
		die("snprintf");
	total = (size_t)n + body_len + 1;
	while (off < total) {
		/* The three pieces, minus what is already written. */
		size_t skip = off, k = 0;
		const char *base[3] = { head, body, "\n" };
		size_t lens[3] = { (size_t)n, body_len, 1 };
		ssize_t w;
		int j;

		for (j = 0; j < 3; j++) {
			if (skip >= lens[j]) {
				skip -= lens[j];
				continue;
			}
			iov[k].iov_base = (char *)base[j] + skip;
			iov[k].iov_len = lens[j] - skip;
			skip = 0;
			k++;
		}
		if ((w = writev(ch->in, iov, (int)k)) < 0) {
			if (errno == EINTR)
				continue;
			die("writev");
		}
		off += (size_t)w;
	}
	ch->busy = 1;
}

/* Reads what the child has written; 1 once its answer line is complete. */
static int
read_answer(struct child *ch)
{
	ssize_t n;
	char *nl;

	do
		n = read(ch->out, ch->line + ch->line_len, sizeof(ch->line) - 1 - ch->line_len);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		fprintf(stderr, "pipe-loop: child %ld closed its stdout\n", (long)ch->pid);
		exit(1);
	}
	ch->line_len += (size_t)n;
	if ((nl = memchr(ch->line, '\n', ch->line_len)) == NULL) {
		if (ch->line_len == sizeof(ch->line) - 1) {
			fprintf(stderr, "pipe-loop: answer too long\n");
			exit(1);
		}
		return 0;
	}
	if (nl != ch->line + 2 || memcmp(ch->line, "ok", 2) != 0) {
		if (failed++ < 5)
			fprintf(stderr, "pipe-loop: answer %.*s\n", (int)(nl - ch->line), ch->line);
	}
	/* One event at a time: nothing can follow the line. */
	ch->line_len = 0;
	ch->busy = 0;
	return 1;
}

int
main(int argc, char **argv)
{
	long n, c, i, sent = 0, done = 0;
	struct child *kids;
	struct pollfd *pfd;
	struct rusage ru;
	FILE *f;
	double t0;
	int status;

	if (argc < 5 || (n = atol(argv[1])) <= 0 || (c = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: pipe-loop N C BODYFILE PROGRAM [ARG...]\n");
		return 2;
	}
	if ((f = fopen(argv[3], "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (i = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (body = malloc((size_t)i + 1)) == NULL || fread(body, 1, (size_t)i, f) != (size_t)i)
		die(argv[3]);
	body_len = (size_t)i;
	fclose(f);
	signal(SIGPIPE, SIG_IGN);
	if ((kids = calloc((size_t)c, sizeof(*kids))) == NULL ||
	    (pfd = calloc((size_t)c, sizeof(*pfd))) == NULL)
		die("calloc");
	for (i = 0; i < c; i++)
		start(&kids[i], argv + 4);

	t0 = now();
	if (c == 1) {
		for (; sent < n; sent++) {
			send_frame(&kids[0], sent);
			while (!read_answer(&kids[0]))
				;
		}
		done = n;
	} else {
		for (i = 0; i < c && sent < n; i++)
			send_frame(&kids[i], sent++);
		while (done < n) {
			int k;

			for (i = 0; i < c; i++) {
				pfd[i].fd = kids[i].busy ? kids[i].out : -1;
				pfd[i].events = POLLIN;
				pfd[i].revents = 0;
			}
			if ((k = poll(pfd, (nfds_t)c, -1)) < 0) {
				if (errno == EINTR)
					continue;
				die("poll");
			}
			for (i = 0; i < c; i++) {
				if (pfd[i].revents == 0 || !read_answer(&kids[i]))
					continue;
				done++;
				if (sent < n)
					send_frame(&kids[i], sent++);
			}
		}
	}
	t0 = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	for (i = 0; i < c; i++)
		close(kids[i].in);
	for (i = 0; i < c; i++) {
		if (waitpid(kids[i].pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
		close(kids[i].out);
	}
	printf("%ld %.6f %.6f\n", n, t0, (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6);
	return failed ? 1 : 0;
}
