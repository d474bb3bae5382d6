/*
 * spawn-loop: the "just spawning processes" baseline of bench/worker.sh.
 *
 * usage: spawn-loop [-s FILE] N P PROGRAM [ARG...]
 * Runs PROGRAM N times with at most P running at once, as cheaply as a
 * process can be started (vfork, execve with the environment, wait; the
 * child does nothing else, so vfork is safe) and prints "N SECONDS CPU":
 * seconds (CLOCK_MONOTONIC) from the first vfork to the last reap, and its
 * own user + system CPU seconds (the runs' excluded). Exits 1 if a run
 * fails.
 *
 * -s FILE: the floor under the worker's wake-up latency. Before each start,
 * a random 20-100 ms pause (as between bench/worker.sh's POSTs), then
 * HOOKQ_EVENT_ID=spawn-I in the environment and CLOCK_REALTIME just before
 * vfork() into FILE as "spawn-I T T", the format of bench/worker.sh's client
 * times, so bench/stamp-handler's stamps join with it.
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double
now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* vfork in a function of its own, so nothing of main()'s can be clobbered. */
static pid_t __attribute__((noinline))
spawn(char *const argv[])
{
	pid_t pid = vfork();

	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	return pid;
}

int
main(int argc, char **argv)
{
	long n, p, started = 0, running = 0, failed = 0;
	const char *stamps = NULL;
	FILE *out = NULL;
	struct rusage ru;
	double t0;
	int status, ch;

	while ((ch = getopt(argc, argv, "+s:")) != -1) {
		if (ch != 's')
			goto usage;
		stamps = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || (n = atol(argv[0])) <= 0 || (p = atol(argv[1])) <= 0)
		goto usage;
	if (stamps != NULL && (out = fopen(stamps, "w")) == NULL) {
		perror(stamps);
		return 1;
	}
	srandom((unsigned)getpid());
	t0 = now(CLOCK_MONOTONIC);
	while (started < n || running > 0) {
		while (started < n && running < p) {
			pid_t pid;

			if (out != NULL) {
				char id[32];
				double t;
				struct timespec pause = { 0, (20 + random() % 81) * 1000000L };

				nanosleep(&pause, NULL);
				snprintf(id, sizeof(id), "spawn-%ld", started);
				setenv("HOOKQ_EVENT_ID", id, 1);
				t = now(CLOCK_REALTIME);
				fprintf(out, "%s %.6f %.6f\n", id, t, t);
			}
			if ((pid = spawn(argv + 2)) < 0) {
				perror("vfork");
				return 1;
			}
			started++;
			running++;
		}
		if (wait(&status) < 0) {
			perror("wait");
			return 1;
		}
		running--;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	t0 = now(CLOCK_MONOTONIC) - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("%ld %.6f %.6f\n", n, t0, (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6);
	if (out != NULL && fclose(out) != 0) {
		perror(stamps);
		return 1;
	}
	return failed ? 1 : 0;
usage:
	fprintf(stderr, "usage: spawn-loop [-s FILE] N P PROGRAM [ARG...]\n");
	return 2;
}
