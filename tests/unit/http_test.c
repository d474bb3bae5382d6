/*
 * http_test.c: the worker's HTTP POSTs (src/http.c) against a small
 * HTTP/1.1 server on 127.0.0.1 in a thread of the test: the exact body and
 * headers, statuses and kept bodies, Retry-After, timeouts, refused
 * connections, keep-alive reuse, bodies past the limits, cancelling, many
 * transfers at once, and http_poll()'s own fds. The module is driven as the
 * worker drives it: http_poll() then http_run() until nothing runs.
 */
#include "autoconf.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "http.h"
#include "util.h"

#define MAX_CONNS 64
#define BIG_LEN (2 * 1024 * 1024)
#define BOOM "boom: it broke"

/*
 * The test's server: one thread accepting, one per connection. Its threads
 * never use cmocka's asserts, which belong to the test's thread.
 */
struct server {
	int lfd, port;
	pthread_t acceptor;
	pthread_mutex_t mu;
	int conns[MAX_CONNS];
	pthread_t threads[MAX_CONNS];
	int nconns;                     /* also the connections accepted */
	int requests;
	char *head;                     /* the last request's line and headers */
	char *body;                     /* and its body */
	size_t body_len;
};

struct conn_arg {
	struct server *s;
	int fd;
};

static void
send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;         /* the client went away: the /big case */
		c += w;
		n -= (size_t)w;
	}
}

/* Answers one request for path; false: never answer (/slow). */
static bool
answer(int fd, const char *path)
{
	char buf[256];

	if (strcmp(path, "/ok") == 0) {
		send_all(fd, "HTTP/1.1 204 No Content\r\n\r\n", 27);
	} else if (strcmp(path, "/status/500") == 0) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 500 Internal Server Error\r\n"
		    "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s", strlen(BOOM), BOOM);
		send_all(fd, buf, strlen(buf));
	} else if (strcmp(path, "/retry") == 0) {
		const char *r = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\n"
		    "Content-Length: 0\r\n\r\n";

		send_all(fd, r, strlen(r));
	} else if (strcmp(path, "/big") == 0) {
		char *big = xmalloc(BIG_LEN);

		memset(big, 'x', BIG_LEN);
		snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BIG_LEN);
		send_all(fd, buf, strlen(buf));
		send_all(fd, big, BIG_LEN);
		free(big);
	} else if (strcmp(path, "/slow") == 0) {
		return false;
	} else {
		send_all(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 45);
	}
	return true;
}

/*
 * Records and answers the request at the start of buf, when all of it is
 * there: returns its length (taken off buf by the caller), else 0. *silent
 * becomes true for /slow.
 */
static size_t
take_request(struct server *s, int fd, char *buf, size_t len, bool *silent)
{
	char *end = memmem(buf, len, "\r\n\r\n", 4), *cl, path[128];
	size_t head_len, body_len = 0;

	if (end == NULL)
		return 0;
	head_len = (size_t)(end - buf) + 4;
	*end = '\0';
	if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL)
		body_len = strtoul(cl + 17, NULL, 10);
	*end = '\r';
	if (len < head_len + body_len)
		return 0;
	if (sscanf(buf, "POST %127s HTTP/1.1", path) != 1)
		snprintf(path, sizeof(path), "?");
	pthread_mutex_lock(&s->mu);
	free(s->head);
	free(s->body);
	s->head = xstrndup(buf, head_len);
	s->body = xmalloc(body_len + 1);
	memcpy(s->body, buf + head_len, body_len);
	s->body_len = body_len;
	s->requests++;
	pthread_mutex_unlock(&s->mu);
	*silent = !answer(fd, path);
	return head_len + body_len;
}

/* Reads requests off one connection until it closes; records each. */
static void *
conn_main(void *arg)
{
	struct conn_arg *ca = arg;
	struct server *s = ca->s;
	int fd = ca->fd;
	size_t cap = 64 * 1024, len = 0;
	char *buf = xmalloc(cap);
	bool silent = false;

	free(ca);
	for (;;) {
		size_t took = len > 0 && !silent ? take_request(s, fd, buf, len, &silent) : 0;
		ssize_t n;

		if (took > 0) {
			memmove(buf, buf + took, len - took);
			len -= took;
			continue;
		}
		if (len == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!silent)    /* /slow: read, never answer */
			len += (size_t)n;
	}
	free(buf);
	return NULL;
}

static void *
acceptor_main(void *arg)
{
	struct server *s = arg;

	for (;;) {
		int fd = accept(s->lfd, NULL, NULL);
		struct conn_arg *ca;

		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0)
			break;          /* shutdown() by server_stop() */
		pthread_mutex_lock(&s->mu);
		if (s->nconns == MAX_CONNS) {
			pthread_mutex_unlock(&s->mu);
			close(fd);
			continue;
		}
		ca = xmalloc(sizeof(*ca));
		ca->s = s;
		ca->fd = fd;
		s->conns[s->nconns] = fd;
		if (pthread_create(&s->threads[s->nconns], NULL, conn_main, ca) != 0)
			abort();        /* not cmocka's assert: this is not the test's thread */
		s->nconns++;
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

static struct server *
server_start(void)
{
	struct server *s = xcalloc(1, sizeof(*s));
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	pthread_mutex_init(&s->mu, NULL);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(s->lfd, 64), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sin, &sl), 0);
	s->port = ntohs(sin.sin_port);
	assert_int_equal(pthread_create(&s->acceptor, NULL, acceptor_main, s), 0);
	return s;
}

static int
server_accepted(struct server *s)
{
	int n;

	pthread_mutex_lock(&s->mu);
	n = s->nconns;
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void
server_stop(struct server *s)
{
	int i;

	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->acceptor, NULL);
	close(s->lfd);
	for (i = 0; i < s->nconns; i++)
		shutdown(s->conns[i], SHUT_RDWR);
	for (i = 0; i < s->nconns; i++) {
		pthread_join(s->threads[i], NULL);
		close(s->conns[i]);
	}
	pthread_mutex_destroy(&s->mu);
	free(s->head);
	free(s->body);
	free(s);
}

/* The results handed back, copied: a result's body dies when done() returns. */
struct outcome {
	int n;
	struct http_result r[32];
	char body[32][HTTP_BODY_KEEP + 1];
};

static void
on_done(const struct http_result *r, void *arg)
{
	struct outcome *o = arg;

	assert_true(o->n < 32);
	assert_non_null(r->body);
	assert_true(r->body_len <= HTTP_BODY_KEEP);
	assert_int_equal(r->body[r->body_len], '\0');
	o->r[o->n] = *r;
	memcpy(o->body[o->n], r->body, r->body_len + 1);
	o->r[o->n].body = o->body[o->n];
	o->n++;
}

/* The worker's loop, without its other fds: until nothing runs, or 10 s. */
static void
drive(struct http *h, struct outcome *o)
{
	int64_t until = clock_mono_us() + 10 * 1000000;

	while (http_running(h) > 0) {
		assert_true(clock_mono_us() < until);
		assert_true(http_poll(h, NULL, 0, 100) >= 0);
		http_run(h, on_done, o);
	}
}

static char *
url(const struct server *s, const char *path)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "http://127.0.0.1:%d%s", s->port, path);
	return buf;
}

static void
post(struct http *h, const char *u, const char *const *headers, const void *body, size_t len,
    int64_t timeout_ms, void *owner)
{
	struct http_request req;
	char *cause = NULL;

	memset(&req, 0, sizeof(req));
	req.url = u;
	req.headers = headers;
	req.body = body;
	req.body_len = len;
	req.timeout_ms = timeout_ms;
	req.owner = owner;
	assert_int_equal(http_start(h, &req, &cause), 0);
	assert_null(cause);
}

/* One POST, driven to its end: its result in o->r[o->n - 1]. */
static const struct http_result *
post_one(struct http *h, struct outcome *o, const char *u, const char *const *headers,
    const void *body, size_t len, int64_t timeout_ms)
{
	int before = o->n;

	post(h, u, headers, body, len, timeout_ms, o);
	drive(h, o);
	assert_int_equal(o->n, before + 1);
	assert_ptr_equal(o->r[before].owner, o);
	return &o->r[before];
}

static struct http *
new_http(void)
{
	char *cause = NULL;
	struct http *h = http_new(&cause);

	assert_non_null(h);
	assert_null(cause);
	return h;
}

/* True when the request head has exactly this line. */
static bool
has_line(const char *head, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	return strstr(head, want) != NULL;
}

static void
test_exact_request(void **state)
{
	static const char *const headers[] = {
		"Content-Type: application/json", "X-Hookq-Route: r1", "X-Empty:", NULL
	};
	static const char *const plain[] = { "X-Hookq-Attempt: 2", NULL };
	struct server *s = server_start();
	struct http *h = new_http();
	struct outcome o = { 0 };
	const struct http_result *r;
	unsigned char body[3000], *big;
	size_t i;

	for (i = 0; i < sizeof(body); i++)
		body[i] = (unsigned char)(i * 7);   /* NULs, CRs and LFs among them */
	r = post_one(h, &o, url(s, "/ok"), headers, body, sizeof(body), 5000);
	assert_int_equal(r->status, 204);
	assert_string_equal(r->error, "");
	assert_false(r->timed_out);
	assert_int_equal(r->body_len, 0);
	assert_string_equal(r->body, "");
	assert_int_equal(r->retry_after_ms, -1);
	assert_true(r->duration_us > 0);
	assert_false(r->reused);
	pthread_mutex_lock(&s->mu);
	assert_int_equal(s->body_len, sizeof(body));
	assert_memory_equal(s->body, body, sizeof(body));
	assert_true(strncmp(s->head, "POST /ok HTTP/1.1\r\n", 19) == 0);
	assert_true(has_line(s->head, "Content-Type: application/json"));
	assert_true(has_line(s->head, "X-Hookq-Route: r1"));
	assert_true(has_line(s->head, "X-Empty:"));
	assert_true(has_line(s->head, "Content-Length: 3000"));
	assert_null(strcasestr(s->head, "\r\nExpect:"));
	assert_null(strcasestr(s->head, "urlencoded"));
	pthread_mutex_unlock(&s->mu);

	/* No Content-Type given: none sent; no body: an empty one. */
	r = post_one(h, &o, url(s, "/ok"), plain, NULL, 0, 5000);
	assert_int_equal(r->status, 204);
	pthread_mutex_lock(&s->mu);
	assert_int_equal(s->body_len, 0);
	assert_true(has_line(s->head, "X-Hookq-Attempt: 2"));
	assert_true(has_line(s->head, "Content-Length: 0"));
	assert_null(strcasestr(s->head, "\r\nContent-Type"));
	assert_null(strcasestr(s->head, "\r\nExpect:"));
	pthread_mutex_unlock(&s->mu);

	/* Past 1 MiB curl would ask "Expect: 100-continue" of its own: not here. */
	big = xmalloc(BIG_LEN);
	for (i = 0; i < BIG_LEN; i++)
		big[i] = (unsigned char)(i * 13);
	r = post_one(h, &o, url(s, "/ok"), headers, big, BIG_LEN, 5000);
	assert_int_equal(r->status, 204);
	pthread_mutex_lock(&s->mu);
	assert_int_equal(s->body_len, BIG_LEN);
	assert_memory_equal(s->body, big, BIG_LEN);
	assert_null(strcasestr(s->head, "\r\nExpect:"));
	pthread_mutex_unlock(&s->mu);
	free(big);

	http_free(h);
	server_stop(s);
}

static void
test_bad_requests(void **state)
{
	static const char *const injected[] = { "X-Token: secret\r\nX-Other: 1", NULL };
	static const char *const nameless[] = { ": secret", NULL };
	struct http *h = new_http();
	struct http_request req;
	struct outcome o = { 0 };
	char *cause = NULL;

	memset(&req, 0, sizeof(req));
	req.url = "http://127.0.0.1:1/";
	req.timeout_ms = 1000;
	req.headers = injected;
	assert_int_equal(http_start(h, &req, &cause), -1);
	assert_non_null(cause);
	assert_null(strstr(cause, "secret"));
	free(cause);
	cause = NULL;
	req.headers = nameless;
	assert_int_equal(http_start(h, &req, &cause), -1);
	assert_null(strstr(cause, "secret"));
	free(cause);
	cause = NULL;
	req.headers = NULL;
	req.timeout_ms = 0;
	assert_int_equal(http_start(h, &req, &cause), -1);
	free(cause);
	assert_int_equal(http_running(h), 0);

	/* Only http and https: another scheme is a result, not a crash or a read. */
	req.url = "file:///etc/passwd";
	req.timeout_ms = 1000;
	req.owner = &o;
	cause = NULL;
	assert_int_equal(http_start(h, &req, &cause), 0);
	drive(h, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.r[0].status, 0);
	assert_int_equal(o.r[0].body_len, 0);
	assert_true(strncmp(o.r[0].error, "unsupported url: ", 17) == 0);
	http_free(h);
}

static void
test_statuses(void **state)
{
	struct server *s = server_start();
	struct http *h = new_http();
	struct outcome o = { 0 };
	const struct http_result *r;

	r = post_one(h, &o, url(s, "/status/500"), NULL, "x", 1, 5000);
	assert_int_equal(r->status, 500);
	assert_string_equal(r->error, "");
	assert_int_equal(r->body_len, strlen(BOOM));
	assert_string_equal(r->body, BOOM);
	assert_int_equal(r->retry_after_ms, -1);

	r = post_one(h, &o, url(s, "/retry"), NULL, "x", 1, 5000);
	assert_int_equal(r->status, 429);
	assert_int_equal(r->retry_after_ms, 2000);

	r = post_one(h, &o, url(s, "/nowhere"), NULL, "x", 1, 5000);
	assert_int_equal(r->status, 404);
	http_free(h);
	server_stop(s);
}

static void
test_timeout(void **state)
{
	struct server *s = server_start();
	struct http *h = new_http();
	struct outcome o = { 0 };
	const struct http_result *r;
	int64_t start = clock_mono_us();

	r = post_one(h, &o, url(s, "/slow"), NULL, "x", 1, 300);
	assert_true(clock_mono_us() - start >= 290 * 1000);
	assert_true(clock_mono_us() - start < 3 * 1000000);
	assert_true(r->timed_out);
	assert_int_equal(r->status, 0);
	assert_string_equal(r->error, "timed out after 0.300s");
	assert_false(r->reused);
	http_free(h);
	server_stop(s);
}

static void
test_refused(void **state)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct http *h = new_http();
	struct outcome o = { 0 };
	const struct http_result *r;
	char u[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port just bound and closed, never listened on: refused. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/ok", ntohs(sin.sin_port));
	close(fd);
	r = post_one(h, &o, u, NULL, "x", 1, 5000);
	assert_int_equal(r->status, 0);
	assert_false(r->timed_out);
	assert_false(r->reused);
	assert_true(strncmp(r->error, "connection refused: ", 20) == 0);
	http_free(h);
}

static void
test_keepalive(void **state)
{
	struct server *s = server_start();
	struct http *h = new_http();
	struct outcome o = { 0 };
	int i;

	for (i = 0; i < 5; i++) {
		const struct http_result *r = post_one(h, &o,
		    url(s, i == 2 ? "/status/500" : "/ok"), NULL, "{}", 2, 5000);

		assert_int_equal(r->status, i == 2 ? 500 : 204);
		assert_int_equal(r->reused, i > 0);
	}
	assert_int_equal(server_accepted(s), 1);
	pthread_mutex_lock(&s->mu);
	assert_int_equal(s->requests, 5);
	pthread_mutex_unlock(&s->mu);
	http_free(h);
	server_stop(s);
}

static void
test_big(void **state)
{
	struct server *s = server_start();
	struct http *h = new_http();
	struct outcome o = { 0 };
	const struct http_result *r;
	size_t i;

	r = post_one(h, &o, url(s, "/big"), NULL, "x", 1, 5000);
	assert_int_equal(r->status, 200);
	assert_false(r->timed_out);
	assert_int_equal(r->body_len, HTTP_BODY_KEEP);
	for (i = 0; i < r->body_len; i++)
		assert_int_equal(r->body[i], 'x');
	assert_string_equal(r->error, "response body longer than 1048576 bytes");

	/* The cut connection is not reused; the next POST makes another. */
	r = post_one(h, &o, url(s, "/ok"), NULL, "x", 1, 5000);
	assert_int_equal(r->status, 204);
	assert_false(r->reused);
	assert_int_equal(server_accepted(s), 2);
	http_free(h);
	server_stop(s);
}

static void
test_cancel(void **state)
{
	struct server *s = server_start();
	struct http *h = new_http();
	struct outcome o = { 0 };
	int a, b, c;

	post(h, url(s, "/slow"), NULL, "a", 1, 5000, &a);
	post(h, url(s, "/ok"), NULL, "b", 1, 5000, &b);
	assert_int_equal(http_running(h), 2);
	http_run(h, on_done, &o);
	http_cancel(h, &a);
	http_cancel(h, &c);     /* none of its own: nothing */
	assert_int_equal(http_running(h), 1);
	drive(h, &o);
	assert_int_equal(o.n, 1);
	assert_ptr_equal(o.r[0].owner, &b);
	assert_int_equal(o.r[0].status, 204);

	/* Freed with transfers in flight: no callback. */
	post(h, url(s, "/slow"), NULL, "c", 1, 5000, &c);
	http_run(h, on_done, &o);
	http_free(h);
	assert_int_equal(o.n, 1);
	server_stop(s);
}

/* A worker's done(): each result starts the next POST, until three came back. */
struct chain {
	struct http *h;
	struct server *s;
	struct outcome o;
};

static void
on_done_chain(const struct http_result *r, void *arg)
{
	struct chain *c = arg;

	on_done(r, &c->o);
	http_cancel(c->h, c);   /* its own transfer is no longer in flight: nothing */
	if (c->o.n < 3)
		post(c->h, url(c->s, "/ok"), NULL, "x", 1, 5000, c);
}

static void
test_start_in_done(void **state)
{
	struct chain c = { .h = new_http(), .s = server_start() };
	int64_t until = clock_mono_us() + 10 * 1000000;

	post(c.h, url(c.s, "/ok"), NULL, "x", 1, 5000, &c);
	while (http_running(c.h) > 0) {
		assert_true(clock_mono_us() < until);
		assert_true(http_poll(c.h, NULL, 0, 100) >= 0);
		http_run(c.h, on_done_chain, &c);
	}
	assert_int_equal(c.o.n, 3);
	assert_int_equal(c.o.r[2].status, 204);
	assert_true(c.o.r[2].reused);
	assert_int_equal(server_accepted(c.s), 1);
	http_free(c.h);
	server_stop(c.s);
}

static void
test_concurrent(void **state)
{
	struct server *s = server_start();
	struct http *h = new_http();
	struct outcome o = { 0 };
	int owners[20], seen[20] = { 0 }, i;

	for (i = 0; i < 20; i++)
		post(h, url(s, i % 2 ? "/ok" : "/status/500"), NULL, "x", 1, 5000, &owners[i]);
	assert_int_equal(http_running(h), 20);
	drive(h, &o);
	assert_int_equal(o.n, 20);
	for (i = 0; i < 20; i++) {
		int k = (int)((int *)o.r[i].owner - owners);

		assert_true(k >= 0 && k < 20);
		seen[k]++;
		assert_int_equal(o.r[i].status, k % 2 ? 204 : 500);
	}
	for (i = 0; i < 20; i++)
		assert_int_equal(seen[i], 1);
	assert_true(server_accepted(s) <= 20);

	/* Again: over the connections the first round kept. */
	o.n = 0;
	for (i = 0; i < 20; i++)
		post(h, url(s, "/ok"), NULL, "x", 1, 5000, &owners[i]);
	drive(h, &o);
	assert_int_equal(o.n, 20);
	assert_true(server_accepted(s) <= 40);
	http_free(h);
	server_stop(s);
}

static void
test_poll_fds(void **state)
{
	struct server *s = server_start();
	struct http *h = new_http();
	struct outcome o = { 0 };
	struct pollfd pfd;
	int p[2], rounds = 0;
	char c;
	int64_t start;

	assert_int_equal(pipe(p), 0);
	pfd.fd = p[0];
	pfd.events = POLLIN;

	/* Nothing ready, nothing running: the timeout. */
	start = clock_mono_us();
	assert_int_equal(http_poll(h, &pfd, 1, 100), 0);
	assert_int_equal(pfd.revents, 0);
	assert_true(clock_mono_us() - start >= 90 * 1000);

	assert_int_equal(write(p[1], "!", 1), 1);
	assert_int_equal(http_poll(h, &pfd, 1, 1000), 1);
	assert_true(pfd.revents & POLLIN);
	assert_int_equal(read(p[0], &c, 1), 1);

	/* A transfer beside the pipe: the loop the worker runs. */
	post(h, url(s, "/ok"), NULL, "x", 1, 5000, &o);
	while (http_running(h) > 0 && rounds++ < 100) {
		assert_int_equal(http_poll(h, &pfd, 1, 100), 0);
		http_run(h, on_done, &o);
	}
	assert_int_equal(o.n, 1);
	assert_int_equal(o.r[0].status, 204);

	/* The writer gone: POLLHUP alone, which curl itself would not report. */
	close(p[1]);
	assert_int_equal(http_poll(h, &pfd, 1, 1000), 1);
	assert_true(pfd.revents & POLLHUP);
	close(p[0]);
	http_free(h);
	server_stop(s);
}

static void
test_library(void **state)
{
	const char *lib = http_library();

	assert_true(strncmp(lib, "libcurl/", 8) == 0);
	assert_ptr_equal(http_library(), lib);
	http_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_request),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_start_in_done),
		cmocka_unit_test(test_poll_fds),
		cmocka_unit_test(test_library),
	};
	static const char *const proxies[] = {
		"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
	};
	size_t i;

	/* Tests talk to 127.0.0.1 only, never through a proxy of the environment. */
	for (i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
