/*
 * stamp-handler: the cheapest hookq-worker handler that says when it
 * started. Used by bench/worker.sh to measure the worker's wake-up latency.
 *
 * usage: stamp-handler FILE
 * Appends "EVENT_ID SECONDS.NANOSECONDS\n" (CLOCK_REALTIME, read first
 * thing in main) to FILE with one O_APPEND write, so handlers running side
 * by side never interleave. Does not read its stdin (the worker gives it a
 * sealed memfd, so not reading it blocks nothing). Exits 0.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timespec ts;
	const char *id;
	char line[512];
	int fd, n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (argc != 2)
		return 2;
	id = getenv("HOOKQ_EVENT_ID");
	n = snprintf(line, sizeof(line), "%s %lld.%09ld\n", id != NULL ? id : "-",
	    (long long)ts.tv_sec, ts.tv_nsec);
	if (n <= 0 || n >= (int)sizeof(line))
		return 3;
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		return 4;
	return 0;
}
