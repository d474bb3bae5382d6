/*
 * systemd.c: socket activation and sd_notify, spoken directly (systemd.h).
 * The protocols are a few environment variables and one datagram; linking
 * libsystemd for them would add a dependency to a daemon that must also run
 * under spawn-fcgi or by hand.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "systemd.h"

/* A decimal environment value as a positive number, or -1. */
static long
env_number(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return -1;
	return n;
}

int
systemd_listen_fds(void)
{
	long pid = env_number("LISTEN_PID"), n = env_number("LISTEN_FDS");
	int fd;

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	/* Variables inherited from a parent that was itself activated are not ours. */
	if (pid != (long)getpid() || n <= 0 || n > INT_MAX - SYSTEMD_LISTEN_FD)
		return 0;
	for (fd = SYSTEMD_LISTEN_FD; fd < SYSTEMD_LISTEN_FD + n; fd++) {
		int flags = fcntl(fd, F_GETFD);

		if (flags < 0)
			return 0;
		(void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	}
	return (int)n;
}

int
systemd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	size_t plen;
	ssize_t sent;
	int fd, saved;

	if (path == NULL || *path == '\0')
		return 0;
	plen = strlen(path);
	/* An absolute path, or '@' for an abstract socket: nothing else is defined. */
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sun.sun_path)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
	saved = errno;
	close(fd);
	errno = saved;
	return sent == (ssize_t)strlen(state) ? 1 : -1;
}

int
systemd_notify_reloading(void)
{
	struct timespec ts;
	char state[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	return systemd_notify(state);
}
