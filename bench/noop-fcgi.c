/*
 * noop-fcgi: the baseline for bench/receiver.sh. A FastCGI responder with
 * hookq-receiver's thread model (N threads in FCGX_Accept_r on one unix
 * socket) that reads the body and answers 200 at once: no verification, no
 * database. hookq's rate is quoted as a ratio of this one's.
 *
 * usage: noop-fcgi SOCKET THREADS
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

static int listen_fd;

static void *
serve(void *arg)
{
	FCGX_Request r;
	char buf[65536];

	FCGX_InitRequest(&r, listen_fd, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		while (FCGX_GetStr(buf, sizeof(buf), r.in) > 0)
			;
		FCGX_PutS("Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nstored\n", r.out);
		FCGX_Finish_r(&r);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	pthread_t t[256];
	int n, i;

	if (argc != 3 || (n = atoi(argv[2])) < 1 || n > 256) {
		fprintf(stderr, "usage: noop-fcgi SOCKET THREADS\n");
		return 100;
	}
	FCGX_Init();
	/* libfcgi catches SIGTERM to wake one accept(); we want the plain exit. */
	signal(SIGTERM, SIG_DFL);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(argv[1], 0666) != 0 || listen(listen_fd, SOMAXCONN) != 0) {
		perror(argv[1]);
		return 111;
	}
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, serve, NULL);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
