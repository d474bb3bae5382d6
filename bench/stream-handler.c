/*
 * stream-handler: the cheapest hookq stream handler (handler_mode = stream),
 * for bench/worker.sh's stream drains and wake-up latency and for
 * bench/pipe-loop.
 *
 * usage: stream-handler [STAMPFILE]
 * Reads frames from stdin: a JSON header line, body_length bytes of body,
 * "\n". body_length and event_id are found by a plain search of the header
 * line (hookq writes them as "body_length":N and "event_id":"...", and the
 * bench's ids need no escapes). Answers "ok\n" with one write(2) per event,
 * so nothing waits in a buffer. Exits 0 at EOF between frames, 1 on a
 * malformed frame or EOF inside one.
 *
 * STAMPFILE (else the environment's HOOKQ_BENCH_STAMPS; hookq-worker passes
 * its handlers no HOOKQ_* variable, so under the worker it is the argument):
 * for each event, "EVENT_ID SECONDS.NANOSECONDS" appended with one O_APPEND
 * write, where the time is CLOCK_REALTIME right after the read() that
 * returned the frame's first byte: bench/stamp-handler's format.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *buf;
static size_t len, cap;

/* Reads more of stdin into buf; the bytes read, 0 at EOF. */
static size_t
fill(void)
{
	ssize_t n;

	if (cap - len < 65536) {
		cap = cap ? cap * 2 : 1 << 20;
		if ((buf = realloc(buf, cap)) == NULL)
			exit(3);
	}
	do
		n = read(0, buf + len, cap - len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		exit(1);
	len += (size_t)n;
	return (size_t)n;
}

int
main(int argc, char **argv)
{
	const char *stamps = argc > 1 ? argv[1] : getenv("HOOKQ_BENCH_STAMPS");
	int sfd = -1;

	if (stamps != NULL && *stamps != '\0' &&
	    (sfd = open(stamps, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		perror(stamps);
		return 2;
	}
	for (;;) {
		struct timespec first;
		char *nl, *p, id[128] = "-";
		size_t head, need;

		/* The frame's first byte: what is left over from the last read, or a new read. */
		if (len == 0 && fill() == 0)
			return 0;
		clock_gettime(CLOCK_REALTIME, &first);
		while ((nl = memchr(buf, '\n', len)) == NULL)
			if (fill() == 0)
				return 1;
		head = (size_t)(nl - buf) + 1;
		*nl = '\0';
		if ((p = strstr(buf, "\"body_length\":")) == NULL)
			return 1;
		need = head + strtoul(p + 14, NULL, 10) + 1;
		if (sfd >= 0 && (p = strstr(buf, "\"event_id\":\"")) != NULL) {
			char *q = strchr(p + 12, '"');

			if (q != NULL && (size_t)(q - (p + 12)) < sizeof(id)) {
				memcpy(id, p + 12, (size_t)(q - (p + 12)));
				id[q - (p + 12)] = '\0';
			}
		}
		while (len < need)
			if (fill() == 0)
				return 1;
		if (buf[need - 1] != '\n')
			return 1;
		if (write(1, "ok\n", 3) != 3)
			return 1;
		if (sfd >= 0) {
			char line[192];
			int n = snprintf(line, sizeof(line), "%s %lld.%09ld\n", id,
			    (long long)first.tv_sec, first.tv_nsec);

			if (n > 0 && n < (int)sizeof(line) && write(sfd, line, (size_t)n) != n)
				return 1;
		}
		memmove(buf, buf + need, len - need);
		len -= need;
	}
}
