/*
 * http-sink: the local HTTP application of bench/worker.sh's HTTP drains: a
 * single-threaded epoll HTTP/1.1 server on 127.0.0.1 that answers every
 * request "204 No Content" and keeps the connection open.
 *
 * usage: http-sink -p PORTFILE [-s STAMPFILE]
 * Listens on a port the kernel picks and writes it to PORTFILE (written to
 * PORTFILE.tmp and renamed, so a reader never sees half of it). Requests may
 * arrive in pieces or several in one read (pipelined); each one's head is
 * read up to the blank line, Content-Length says how much body to skip
 * (chunked bodies are not supported: the request is answered 411 and the
 * connection closed), "Expect: 100-continue" gets its interim answer and
 * "Connection: close" is honoured.
 *
 * -s STAMPFILE: for each request, "EVENT_ID SECONDS.NANOSECONDS" where
 * EVENT_ID is its X-Hookq-Event-Id ("-" when none) and the time is
 * CLOCK_REALTIME right after the read() that returned its first byte: the
 * format of bench/stamp-handler, for the wake-up latency join. Kept in memory
 * and written at exit, so the sink does no file I/O while it is measured.
 *
 * SIGTERM or SIGINT: writes the stamps, prints "connections N requests M"
 * on stdout and exits 0.
 */
#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD 65536 /* a request head longer than this is refused */

struct conn {
	int fd;
	char *in;               /* unparsed input */
	size_t in_len, in_cap;
	size_t body_left;       /* body bytes of the current request still to skip */
	bool in_body;
	bool stamped;           /* the request being read has its first-byte time */
	struct timespec first;  /* that time */
	char *out;              /* answers not yet written */
	size_t out_len, out_off, out_cap;
	bool closing;           /* close once out is written */
	bool want_out;          /* EPOLLOUT is in the watched events */
};

struct stamp {
	char id[96];
	struct timespec t;
};

static struct stamp *stamps;
static size_t nstamps, stamps_cap;
static bool keep_stamps;
static unsigned long long nconns, nrequests;
static int epfd;

static _Noreturn void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		die("realloc");
	return p;
}

static void
append(char **buf, size_t *len, size_t *cap, const void *data, size_t n)
{
	if (*len + n > *cap) {
		*cap = (*len + n) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, data, n);
	*len += n;
}

static void
conn_free(struct conn *c)
{
	close(c->fd); /* also leaves the epoll set */
	free(c->in);
	free(c->out);
	free(c);
}

/* header NAME's value in HEAD (lines after the request line), or NULL; *len its length. */
static const char *
header(const char *head, size_t head_len, const char *name, size_t *len)
{
	size_t nlen = strlen(name);
	const char *p = memchr(head, '\n', head_len), *end = head + head_len;

	while (p != NULL && ++p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1, *e = eol;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
				e--;
			*len = (size_t)(e - v);
			return v;
		}
		p = eol;
	}
	return NULL;
}

static void
queue_answer(struct conn *c, const char *text)
{
	append(&c->out, &c->out_len, &c->out_cap, text, strlen(text));
}

/* One request's head is complete (HEAD_LEN bytes, blank line included): answers it. */
static void
request(struct conn *c, const char *head, size_t head_len)
{
	const char *v;
	size_t vlen;

	nrequests++;
	if (keep_stamps) {
		struct stamp *s;

		if (nstamps == stamps_cap) {
			stamps_cap = stamps_cap ? stamps_cap * 2 : 4096;
			stamps = xrealloc(stamps, stamps_cap * sizeof(*stamps));
		}
		s = &stamps[nstamps++];
		s->t = c->first;
		if ((v = header(head, head_len, "X-Hookq-Event-Id", &vlen)) == NULL || vlen == 0)
			v = "-", vlen = 1;
		if (vlen >= sizeof(s->id))
			vlen = sizeof(s->id) - 1;
		memcpy(s->id, v, vlen);
		s->id[vlen] = '\0';
	}
	c->body_left = 0;
	if ((v = header(head, head_len, "Content-Length", &vlen)) != NULL) {
		char num[32];

		if (vlen >= sizeof(num))
			vlen = sizeof(num) - 1;
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		c->body_left = strtoull(num, NULL, 10);
	} else if (header(head, head_len, "Transfer-Encoding", &vlen) != NULL) {
		queue_answer(c, "HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
		c->closing = true;
		return;
	}
	if ((v = header(head, head_len, "Expect", &vlen)) != NULL && vlen == 12 &&
	    strncasecmp(v, "100-continue", 12) == 0 && c->body_left > 0)
		queue_answer(c, "HTTP/1.1 100 Continue\r\n\r\n");
	if ((v = header(head, head_len, "Connection", &vlen)) != NULL && vlen == 5 &&
	    strncasecmp(v, "close", 5) == 0) {
		queue_answer(c, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
		c->closing = true;
	} else {
		queue_answer(c, "HTTP/1.1 204 No Content\r\n\r\n");
	}
	c->in_body = true;
}

/* Parses what c->in holds, read at NOW; answers whole requests. */
static void
parse(struct conn *c, const struct timespec *now)
{
	size_t off = 0;

	while (off < c->in_len && !c->closing) {
		if (c->in_body) {
			size_t n = c->in_len - off < c->body_left ? c->in_len - off : c->body_left;

			off += n;
			c->body_left -= n;
			if (c->body_left > 0)
				break;
			c->in_body = false;
			c->stamped = false;
			continue;
		}
		/* A request's head starts here: its first byte came with this read, or an earlier one. */
		const char *start = c->in + off, *end;
		size_t avail = c->in_len - off;

		if (!c->stamped) {
			c->first = *now;
			c->stamped = true;
		}
		if ((end = memmem(start, avail, "\r\n\r\n", 4)) == NULL) {
			if (avail > MAX_HEAD) {
				queue_answer(c, "HTTP/1.1 431 Request Header Fields Too Large\r\n"
				    "Content-Length: 0\r\nConnection: close\r\n\r\n");
				c->closing = true;
			}
			break;
		}
		request(c, start, (size_t)(end + 4 - start));
		off += (size_t)(end + 4 - start);
		if (c->body_left == 0) {
			c->in_body = false;
			c->stamped = false;
		}
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

static void
watch(struct conn *c, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };

	if (c->want_out != out && epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->want_out = out;
}

/* Writes what it can of c->out; false when the connection is to be closed now. */
static bool
flush_out(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				watch(c, true);
				return true;
			}
			return false;
		}
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	watch(c, false);
	return !c->closing;
}

/* Readable or writable: false when the connection is to be closed. */
static bool
conn_event(struct conn *c, unsigned events)
{
	struct timespec now;

	if ((events & EPOLLOUT) && !flush_out(c))
		return false;
	if (c->closing || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return true;
	for (;;) {
		ssize_t n;

		if (c->in_cap - c->in_len < 16384) {
			c->in_cap = c->in_cap ? c->in_cap * 2 : 65536;
			c->in = xrealloc(c->in, c->in_cap);
		}
		n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return false;
		}
		if (n == 0)
			return false;
		clock_gettime(CLOCK_REALTIME, &now);
		c->in_len += (size_t)n;
		parse(c, &now);
		if (c->closing)
			break;
	}
	return flush_out(c);
}

static void
write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL || fputs(text, f) == EOF || fclose(f) != 0 ||
	    rename(tmp, path) != 0)
		die(path);
}

int
main(int argc, char **argv)
{
	const char *portfile = NULL, *stampfile = NULL;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	struct epoll_event ev;
	sigset_t mask;
	int lfd, sfd, ch, one = 1;
	char text[32];

	while ((ch = getopt(argc, argv, "p:s:")) != -1) {
		switch (ch) {
		case 'p': portfile = optarg; break;
		case 's': stampfile = optarg; break;
		default: goto usage;
		}
	}
	if (portfile == NULL || optind != argc)
		goto usage;
	keep_stamps = stampfile != NULL;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
		die("signalfd");

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 512) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0)
		die("bind");
	snprintf(text, sizeof(text), "%u\n", ntohs(sa.sin_port));

	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL; /* the listener */
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.ptr = &sfd; /* the signals */
	epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
	write_file(portfile, text);

	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(epfd, evs, 64, -1), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &sfd)
				goto done;
			if (evs[i].data.ptr == NULL) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct conn *c = calloc(1, sizeof(*c));

					if (c == NULL)
						die("calloc");
					c->fd = fd;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
					nconns++;
				}
				continue;
			}
			if (!conn_event(evs[i].data.ptr, evs[i].events))
				conn_free(evs[i].data.ptr);
		}
	}
done:
	if (stampfile != NULL) {
		FILE *f = fopen(stampfile, "w");
		size_t i;

		if (f == NULL)
			die(stampfile);
		for (i = 0; i < nstamps; i++)
			fprintf(f, "%s %lld.%09ld\n", stamps[i].id, (long long)stamps[i].t.tv_sec,
			    stamps[i].t.tv_nsec);
		if (fclose(f) != 0)
			die(stampfile);
	}
	printf("connections %llu requests %llu\n", nconns, nrequests);
	return 0;
usage:
	fprintf(stderr, "usage: http-sink -p PORTFILE [-s STAMPFILE]\n");
	return 2;
}
