/*
 * front.c: FastCGI in, answers out, around one epoll set.
 *
 * Request threads wait in epoll_wait on one set that holds the listening
 * socket and every idle connection, each armed one-shot so that exactly one
 * thread takes it. A thread that takes the listening socket accepts one
 * connection and re-arms the socket at once, so another thread can accept
 * the next in parallel. A thread that takes a connection reads its request
 * with libfcgi, routes and verifies it, and then either answers at once
 * (refusals, handshakes, metrics, health, ack = receipt) or queues the event
 * for the committer and goes back to epoll_wait: the committer answers the
 * whole batch after its commit (front_committed()). A request waiting for
 * its fsync holds no thread, so the number of events one commit carries does
 * not depend on `threads`.
 *
 * nginx may keep a connection for its next request (fastcgi_keep_conn on):
 * after the answer such a connection goes back into the epoll set, where it
 * holds no thread, so idle keep-alive connections can never starve new ones,
 * however many nginx opens. Connections are closed without libfcgi's
 * lingering close (FCGX_Detach): a request's stdin is read to its end before
 * it is answered, so the peer has nothing left to send, and no answer waits
 * up to two seconds for nginx to hang up.
 *
 * Everything a request keeps is copied out of libfcgi's buffers (they die
 * with the request) into a struct request, which one call frees. Bodies are
 * capped by the source's max_body before anything is allocated.
 */
#include "autoconf.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "fcgi_guard.h"
#include "front.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "response.h"
#include "util.h"

/* The longest a scrape or health check waits for its connection or the write lock, in ms. */
#define OWN_WAIT_MAX 1000
/*
 * A peer that stops sending in the middle of a request gives its thread back
 * after this long; one that stops reading its answers blocks the committer
 * no longer than SEND_TIMEOUT_MS (nginx reads every answer at once).
 */
#define RECV_TIMEOUT_MS 5000
#define SEND_TIMEOUT_MS 1000
/*
 * On SIGTERM, how long the request threads go on serving the connections
 * nginx keeps open: each is closed after its next answer, so nginx stops
 * sending on it, and those still idle after this are closed then.
 */
#define STOP_GRACE_MS 500
/* The most of an unread body discarded before answering; past it the connection is closed. */
#define DRAIN_MAX ((size_t)64 << 20)
/*
 * How far ahead of libfcgi the guard must have read a request: one libfcgi
 * read(2) takes up to 8192 bytes (its input buffer), and the reads of one
 * refill go on through at most a record header and 255 bytes of padding
 * before they deliver content.
 */
#define GUARD_LEAD (8192 + 512)
/* The longest a stalled peer keeps the guard waiting between its peeks, in ms. */
#define GUARD_NAP_MAX 50
/* How long a failed commit keeps the health check at 503 when none succeeds after it, in ms. */
#define HEALTH_FAILED_MS 10000

/* One FastCGI connection: with a reader, with the committer, or idle in the epoll set. */
struct conn {
	FCGX_Request fr;
	struct fcgi_guard guard;    /* what has been checked of the current request */
	uint64_t peeked;            /* bytes of it peeked (the guard stops at its end) */
	bool peek_reset;            /* a peek went past the request's end: start over there */
	bool refused;               /* the guard refused the request: libfcgi must not read on */
	bool in_epoll;              /* the fd is in the epoll set (armed or not) */
	struct conn *prev, *next;   /* the front's list of open connections */
};

/* One webhook request, from its read to its log line. */
struct job {
	struct request req;
	struct store_event ev;
	struct commit_item item;
	struct config *cfg;         /* the reference the request was decided with */
	struct conn *conn;          /* where to answer; NULL once answered (ack = receipt) */
	int64_t start_us;
	int64_t took_us;            /* from start to the answer written */
	int status;
	enum outcome outcome;
	char why[200];              /* a failed commit's reason, for the log line */
};

struct front {
	int listen_fd;
	int epfd;
	int stop_fd;                 /* an eventfd, readable once stopping */
	int nthreads;
	pthread_t *threads;
	struct committer *committer;
	pthread_mutex_t cfg_lock;
	struct config *cfg;
	atomic_bool stopping;
	struct metrics *metrics;
	atomic_int health;           /* the last health answer: 0 none yet, else its status */
	atomic_int_fast64_t accept_warned_us; /* the last "cannot accept" warning */
	atomic_int_fast64_t guard_warned_us;  /* the last "refused a FastCGI request" warning */
	atomic_int guard_refused;    /* refusals since that warning */
	pthread_mutex_t failed_lock;
	int64_t failed_us;           /* when the last batch failed (0: the last one did not) */
	char failed_why[200];        /* why */
	pthread_mutex_t conns_lock;
	struct conn *conns;          /* every open connection */
};

static void handle(struct front *, struct conn *);

/* "listen PATH: why", malloc'd, for front_listen()'s *cause. */
static char *
listen_cause(const char *path, const char *why)
{
	size_t n = strlen(path) + strlen(why) + 16;
	char *p = xmalloc(n);

	snprintf(p, n, "listen %s: %s", path, why);
	return p;
}

int
front_listen(const struct config *cfg, char **cause)
{
	const char *path = cfg->listen;
	struct sockaddr_un sun;
	struct stat sb;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*cause = listen_cause(path, "path too long for a unix socket");
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*cause = listen_cause(path, strerror(errno));
		return -1;
	}
	if (lstat(path, &sb) == 0) {
		char why[128];

		if (!S_ISSOCK(sb.st_mode)) {
			*cause = listen_cause(path, "exists and is not a socket");
			goto fail;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			*cause = listen_cause(path, "another process is listening on it");
			goto fail;
		}
		/*
		 * Only a refusal proves nobody listens: EACCES (a socket of
		 * another user's that we may not connect to) or EAGAIN (a
		 * backlog full) can be a live server, whose socket is not ours
		 * to delete.
		 */
		if (errno != ECONNREFUSED) {
			snprintf(why, sizeof(why), "exists, and connecting to it to see whether it is"
			    " in use failed (%s): remove it if no process uses it", strerror(errno));
			*cause = listen_cause(path, why);
			goto fail;
		}
		/* Nobody answers: a leftover from a process that died. */
		unlink(path);
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			*cause = listen_cause(path, strerror(errno));
			return -1;
		}
	}
	/* Owner only until the owner, group and mode asked for are in place. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		umask(old);
		*cause = listen_cause(path, strerror(errno));
		goto fail;
	}
	umask(old);
	if ((cfg->listen_uid >= 0 || cfg->listen_gid >= 0) &&
	    chown(path, (uid_t)cfg->listen_uid, (gid_t)cfg->listen_gid) != 0) {
		char why[160];

		snprintf(why, sizeof(why), "setting owner %s and group %s: %s",
		    cfg->listen_owner ? cfg->listen_owner : "(unchanged)",
		    cfg->listen_group ? cfg->listen_group : "(unchanged)", strerror(errno));
		*cause = listen_cause(path, why);
		unlink(path);
		goto fail;
	}
	if (chmod(path, (mode_t)cfg->listen_mode) != 0 || listen(fd, SOMAXCONN) != 0) {
		*cause = listen_cause(path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int
front_listening(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v == 1;
}

/* Takes a reference to the current config. */
static struct config *
front_config_get(struct front *f)
{
	struct config *cfg;

	pthread_mutex_lock(&f->cfg_lock);
	cfg = f->cfg;
	cfg->refs++;
	pthread_mutex_unlock(&f->cfg_lock);
	return cfg;
}

static void
front_config_put(struct front *f, struct config *cfg)
{
	bool last;

	pthread_mutex_lock(&f->cfg_lock);
	last = --cfg->refs == 0;
	pthread_mutex_unlock(&f->cfg_lock);
	if (last)
		config_free(cfg);
}

void
front_set_config(struct front *f, struct config *cfg)
{
	struct config *old;

	metrics_add_sources(f->metrics, cfg);
	pthread_mutex_lock(&f->cfg_lock);
	old = f->cfg;
	f->cfg = cfg;
	pthread_mutex_unlock(&f->cfg_lock);
	front_config_put(f, old);
}

/* Parses CONTENT_LENGTH; -1 when absent, -2 when malformed. */
static long long
content_length(const char *v)
{
	long long n = 0;

	if (v == NULL || *v == '\0')
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9' || n > LLONG_MAX / 10 - 10)
			return -2;
		n = n * 10 + (*v - '0');
	}
	return n;
}

/* Says why a request was refused, at most once a second (a hostile peer may retry at will). */
static void
guard_warn(struct front *f, const char *why)
{
	int64_t now = clock_mono_us(), last = atomic_load(&f->guard_warned_us);
	int more;

	if (now - last < 1000000 ||
	    !atomic_compare_exchange_strong(&f->guard_warned_us, &last, now)) {
		atomic_fetch_add(&f->guard_refused, 1);
		return;
	}
	more = atomic_exchange(&f->guard_refused, 0);
	if (more > 0)
		log_warn("refused a FastCGI connection: %s (and %d more since the last such line)",
		    why, more);
	else
		log_warn("refused a FastCGI connection: %s", why);
}

/*
 * Feeds the guard what has arrived on c beyond what it has seen, until
 * libfcgi's next reads can only take checked bytes: for the request's start
 * (accepting), the parameters' end and GUARD_LEAD bytes past it; later,
 * GUARD_LEAD bytes past what libfcgi has read (SO_PEEK_OFF says: the peek
 * offset is what was peeked and not yet read). The request's end, or the
 * peer's, is enough either way. False when the request is refused: its
 * records are not sound, or it stalled for RECV_TIMEOUT_MS.
 */
static bool
conn_guard(struct front *f, struct conn *c, bool accepting)
{
	struct fcgi_guard *g = &c->guard;
	int fd = c->fr.ipcFd;
	int64_t deadline = 0;
	long nap_ms = 1;
	char why[160];

	for (;;) {
		unsigned char buf[16384];
		ssize_t n;

		if (g->ended)
			return true;
		if (accepting) {
			if (g->params_end != 0 && g->fed >= g->params_end + GUARD_LEAD)
				return true;
		} else {
			int off = 0;
			socklen_t len = sizeof(off);

			if (getsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, &len) != 0 || off < 0 ||
			    (uint64_t)off > g->fed)
				return false;
			if ((uint64_t)off >= GUARD_LEAD)
				return true;
		}
		n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
		if (n > 0) {
			enum fcgi_guard_state st;

			c->peeked += (uint64_t)n;
			st = fcgi_guard_feed(g, buf, (size_t)n, why, sizeof(why));
			/* The request's headers pass through buf, tokens included. */
			scheme_wipe(buf, (size_t)n);
			if (st == FCGI_GUARD_BAD) {
				guard_warn(f, why);
				return false;
			}
			if (st == FCGI_GUARD_END && c->peeked > g->fed)
				c->peek_reset = true;
			continue;
		}
		/* The peer is gone: libfcgi reads what was checked, then the end. */
		if (n == 0)
			return true;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return false;
		/* Peeked bytes keep the socket readable, so poll(2) cannot wait for more: nap. */
		if (deadline == 0) {
			deadline = clock_mono_us() + (int64_t)RECV_TIMEOUT_MS * 1000;
		} else if (clock_mono_us() > deadline) {
			guard_warn(f, "a FastCGI request stalled for 5 s");
			return false;
		}
		{
			const struct timespec nap = { 0, nap_ms * 1000 * 1000 };

			nanosleep(&nap, NULL);
		}
		nap_ms = nap_ms * 2 > GUARD_NAP_MAX ? GUARD_NAP_MAX : nap_ms * 2;
	}
}

/*
 * Reads up to n bytes of c's stdin, never making libfcgi read(2) bytes the
 * guard has not checked: what libfcgi holds is taken as it is, and a refill
 * (one byte asked, so exactly one) comes only after conn_guard().
 */
static int
conn_read(struct front *f, struct conn *c, char *buf, int n)
{
	FCGX_Stream *in = c->fr.in;
	int avail = (int)(in->stop - in->rdNext);

	if (avail > 0)
		return FCGX_GetStr(buf, n < avail ? n : avail, in);
	if (in->isClosed)
		return 0;
	if (!conn_guard(f, c, false)) {
		c->refused = true;
		return -1;
	}
	return FCGX_GetStr(buf, n < 1 ? n : 1, in);
}

/*
 * Reads the body, at most max bytes. Returns 0, or -1 with the outcome set
 * (413 when longer than max, 400 when shorter than its Content-Length).
 */
static int
read_body(struct front *f, struct conn *c, struct request *req, size_t max)
{
	long long cl = content_length(FCGX_GetParam("CONTENT_LENGTH", c->fr.envp));
	size_t cap, len = 0;

	if (cl == -2) {
		req->outcome = OUTCOME_BAD_REQUEST;
		req->reason = "malformed Content-Length";
		return -1;
	}
	if (cl > (long long)max) {
		req->outcome = OUTCOME_TOO_LARGE;
		req->reason = "Content-Length over max_body";
		return -1;
	}
	/* One byte more than allowed tells an over-long body without Content-Length. */
	cap = cl >= 0 ? (size_t)cl + 1 : (max < 65536 ? max + 1 : 65536);
	req->body = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap > max)
				break;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			req->body = xrealloc(req->body, cap);
		}
		int n = conn_read(f, c, (char *)req->body + len,
		    (int)(cap - len > INT_MAX ? INT_MAX : cap - len));

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	req->body_len = len;
	if (c->refused) {
		req->outcome = OUTCOME_BAD_REQUEST;
		req->reason = "FastCGI records refused";
		return -1;
	}
	if (len > max) {
		req->outcome = OUTCOME_TOO_LARGE;
		req->reason = "body over max_body";
		return -1;
	}
	if (cl >= 0 && len != (size_t)cl) {
		req->outcome = OUTCOME_BAD_REQUEST;
		req->reason = "body shorter than its Content-Length";
		return -1;
	}
	return 0;
}


/* Discards what is left of the request's stdin; false when the connection cannot be kept. */
static bool
drain_stdin(struct front *f, struct conn *c)
{
	FCGX_Request *fr = &c->fr;
	char buf[8192];
	size_t total = 0;

	if (c->refused)
		return false;
	while (!FCGX_HasSeenEOF(fr->in)) {
		int n = conn_read(f, c, buf, (int)sizeof(buf));

		if (n <= 0)
			break;
		total += (size_t)n;
		if (total > DRAIN_MAX)
			return false;
	}
	return FCGX_GetError(fr->in) == 0;
}

/* Adds a new connection on fd to the front's list; its closes never linger. */
static struct conn *
conn_new(struct front *f, int fd)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	const struct timeval rcv = { RECV_TIMEOUT_MS / 1000, (RECV_TIMEOUT_MS % 1000) * 1000 };
	const struct timeval snd = { SEND_TIMEOUT_MS / 1000, (SEND_TIMEOUT_MS % 1000) * 1000 };

	/* No listening socket: libfcgi must never accept on this request's behalf. */
	FCGX_InitRequest(&c->fr, -1, 0);
	c->fr.ipcFd = fd;
	/* Kept until the first BEGIN_REQUEST says otherwise, so FCGX_Accept_r reads fd. */
	c->fr.keepConnection = 1;
	FCGX_Detach(&c->fr);
	/*
	 * Each peek returns what was not peeked yet; libfcgi's reads move the
	 * offset back. Without it the guard could not keep ahead of libfcgi, so
	 * the connection is not served.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &(int){ 0 }, sizeof(int)) != 0)
		c->refused = true;
	/* Best effort: without them a stalled peer only holds its thread longer. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rcv, sizeof(rcv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd));
	pthread_mutex_lock(&f->conns_lock);
	c->next = f->conns;
	if (f->conns != NULL)
		f->conns->prev = c;
	f->conns = c;
	pthread_mutex_unlock(&f->conns_lock);
	return c;
}

/* Closes the connection (if libfcgi has not) and frees it. */
static void
conn_free(struct front *f, struct conn *c)
{
	pthread_mutex_lock(&f->conns_lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		f->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&f->conns_lock);
	/* Detached: a plain close(2), and the epoll set forgets the fd with it. */
	FCGX_Free(&c->fr, 1);
	free(c);
}

/* Arms c in the epoll set for its next request; c belongs to whichever thread takes it. */
static void
conn_wait(struct front *f, struct conn *c)
{
	struct epoll_event ev;
	int op = c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
	ev.data.ptr = c;
	/*
	 * Before the call: once armed, another thread may take c, serve it and
	 * arm it again before this one returns, and must then MOD, not ADD
	 * (an ADD there failed with EEXIST and dropped the connection: a 502).
	 */
	c->in_epoll = true;
	if (epoll_ctl(f->epfd, op, c->fr.ipcFd, &ev) == 0)
		return;
	log_warn("cannot wait for a FastCGI connection: %s", strerror(errno));
	conn_free(f, c);
}

/*
 * The head of libfcgi's private FCGX_Stream_Data (fcgiapp.c, the same from
 * 2.0 to 2.4.x): where a reader's buffer is and how much the last read put
 * in it.
 */
struct fcgi_stream_head {
	unsigned char *buff;
	int bufflen;
	unsigned char *mBuff;
	unsigned char *buffStop;
};

/*
 * libfcgi frees a request's params and its read buffer (the raw records)
 * without clearing them, and a header may be a credential (X-Gitlab-Token
 * is the secret itself): both are wiped in place before FCGX_Finish_r. In
 * the buffer, only what is not yet read is kept (a next request's records);
 * a buffer that does not look like 2.4's is left alone.
 */
static void
wipe_request(FCGX_Request *fr)
{
	const struct fcgi_stream_head *d = fr->in != NULL ? fr->in->data : NULL;
	unsigned char *rd = fr->in != NULL ? fr->in->rdNext : NULL;
	char **e;

	for (e = fr->envp; e != NULL && *e != NULL; e++)
		scheme_wipe(*e, strlen(*e));
	if (d == NULL || d->buff == NULL || d->bufflen <= 0 || d->mBuff > d->buff ||
	    d->buff - d->mBuff >= 8 || rd < d->buff || rd > d->buffStop ||
	    d->buffStop > d->buff + d->bufflen)
		return;
	scheme_wipe(d->buff, (size_t)(rd - d->buff));
	scheme_wipe(d->buffStop, (size_t)(d->buff + d->bufflen - d->buffStop));
}

/*
 * The end of a request on c, once its answer is in c's output buffer: the
 * rest of stdin is discarded, libfcgi writes the answer and END_REQUEST, and
 * c is closed, or kept for nginx's next request. Nothing may touch c after.
 */
static void
conn_finish(struct front *f, struct conn *c)
{
	if (!drain_stdin(f, c) || atomic_load(&f->stopping))
		c->fr.keepConnection = 0;
	wipe_request(&c->fr);
	FCGX_Finish_r(&c->fr);
	if (c->fr.ipcFd < 0)
		conn_free(f, c);
	else
		conn_wait(f, c);
}

/* Writes r on c and finishes the request; nothing may touch c after. */
static void
conn_answer(struct front *f, struct conn *c, const struct response *r)
{
	char head[RESPONSE_HEAD_MAX];
	size_t n = response_head(r, head);

	FCGX_PutStr(head, (int)n, c->fr.out);
	if (response_has_body(r))
		FCGX_PutStr(r->body, (int)r->len, c->fr.out);
	conn_finish(f, c);
}

/* The one log line of a webhook request; into lb when not NULL, else written now. */
static void
log_request(struct log_batch *lb, const struct job *job)
{
	const struct request *req = &job->req;
	char source[96], id[300];
	const char *idv = req->event_id;
	/* Whole ms and hundredths with integers: printf's %f costs more than the rest of the line. */
	long long us = job->took_us > 0 ? (long long)job->took_us : 0, ms = us / 1000,
	    cs = us % 1000 / 10;
	const char *outcome = outcome_info(job->outcome)->name;

	/* Before verification, a header id still helps match the sender's delivery log. */
	if (idv == NULL && req->source != NULL) {
		const struct field *ids = req->source->scheme.id;
		size_t i;

		for (i = 0; i < FIELD_LIST_MAX && idv == NULL && ids[i].from == FIELD_FROM_HEADER; i++)
			idv = headers_get(&req->headers, ids[i].name);
	}
	log_quote(source, sizeof(source), req->source_name ? req->source_name : "",
	    req->source_name ? strlen(req->source_name) : 0);
	log_quote(id, sizeof(id), idv ? idv : "", idv ? strlen(idv) : 0);
	if (req->reason != NULL) {
		char why[300];

		log_quote(why, sizeof(why), req->reason, strlen(req->reason));
		log_batch_info(lb, "source=%s id=%s status=%d outcome=%s reason=%s ms=%lld.%02lld",
		    source, id, job->status, outcome, why, ms, cs);
	} else
		log_batch_info(lb, "source=%s id=%s status=%d outcome=%s ms=%lld.%02lld",
		    source, id, job->status, outcome, ms, cs);
}

/* Answers the job's request for its outcome; the job no longer has a connection after. */
static void
job_answer(struct front *f, struct job *job)
{
	struct response r;

	request_response(&job->req, job->outcome, &r);
	job->status = r.status;
	conn_answer(f, job->conn, &r);
	job->conn = NULL;
	job->took_us = clock_mono_us() - job->start_us;
}

/* Counts and logs an answered job, then frees it. */
static void
job_end(struct front *f, struct job *job, struct log_batch *lb)
{
	metrics_count(f->metrics, job->req.source ? job->req.source->name : NULL, job->outcome,
	    job->took_us);
	log_request(lb, job);
	request_clear(&job->req);
	front_config_put(f, job->cfg);
	free(job);
}

/*
 * The committer's done callback: answers every request of the batch first
 * (each sender waits for this), then counts and logs them, one write(2) for
 * many log lines.
 */
static void
front_committed(void *arg, struct commit_item *batch)
{
	struct front *f = arg;
	struct commit_item *it, *next;
	struct log_batch lb;

	/* For the health check: the committer's last word on the database. */
	pthread_mutex_lock(&f->failed_lock);
	if (batch != NULL && batch->result == COMMIT_FAILED && !batch->locked) {
		f->failed_us = clock_mono_us();
		snprintf(f->failed_why, sizeof(f->failed_why), "%s", batch->error);
	} else if (batch != NULL) {
		f->failed_us = 0;
	}
	pthread_mutex_unlock(&f->failed_lock);
	for (it = batch; it != NULL; it = it->next) {
		struct job *job = (struct job *)(void *)((char *)it - offsetof(struct job, item));
		bool answered = job->conn == NULL;

		switch (it->result) {
		case COMMIT_INSERTED:
			job->outcome = OUTCOME_STORED;
			break;
		case COMMIT_DUPLICATE:
			job->outcome = OUTCOME_DUPLICATE;
			/* Under a fresh id this is a replay refused by its body: say so in the log. */
			if (job->ev.body_sha256 != NULL)
				job->req.reason = "same event id, or same body within dedup_window";
			break;
		case COMMIT_FAILED:
			/* The store's message lives in the item; keep a copy the log line can use. */
			snprintf(job->why, sizeof(job->why), "%s", it->error);
			job->req.reason = job->why;
			job->outcome = answered ? OUTCOME_LOST : OUTCOME_UNAVAILABLE;
			break;
		}
		if (!answered)
			job_answer(f, job);
		else
			job->took_us = clock_mono_us() - job->start_us;
	}
	log_batch_init(&lb);
	for (it = batch; it != NULL; it = next) {
		next = it->next;
		job_end(f, (struct job *)(void *)((char *)it - offsetof(struct job, item)), &lb);
	}
	log_batch_flush(&lb);
}

/* The log line of a metrics or health request. */
static void
log_own(const char *path, int status, const char *outcome, const char *reason, int64_t start_us)
{
	char p[300];
	double ms = (double)(clock_mono_us() - start_us) / 1000.0;

	log_quote(p, sizeof(p), path, strlen(path));
	if (reason != NULL && *reason != '\0') {
		char why[300];

		log_quote(why, sizeof(why), reason, strlen(reason));
		log_info("path=%s status=%d outcome=%s reason=%s ms=%.2f", p, status, outcome, why, ms);
	} else
		log_info("path=%s status=%d outcome=%s ms=%.2f", p, status, outcome, ms);
}

/*
 * cfg->metrics_path or cfg->health_path when the request's URL path
 * (DOCUMENT_URI, else REQUEST_URI up to its query) is one of them, else NULL.
 */
static const char *
own_path(const struct config *cfg, FCGX_Request *fr)
{
	const char *uri, *const want[2] = { cfg->metrics_path, cfg->health_path };
	size_t len, i;

	if (want[0] == NULL && want[1] == NULL)
		return NULL;
	if ((uri = FCGX_GetParam("DOCUMENT_URI", fr->envp)) == NULL &&
	    (uri = FCGX_GetParam("REQUEST_URI", fr->envp)) == NULL)
		return NULL;
	len = strcspn(uri, "?");
	for (i = 0; i < nitems(want); i++)
		if (want[i] != NULL && strlen(want[i]) == len && memcmp(uri, want[i], len) == 0)
			return want[i];
	return NULL;
}

/* An answer of the receiver's own (metrics, health), never cached. */
static struct response
own_response(int status, const char *phrase, const char *ctype, const char *body, size_t len,
    bool head)
{
	struct response r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.reason_phrase = phrase;
	r.content_type = ctype;
	r.body = body;
	r.len = len;
	r.no_store = true;
	r.head = head;
	return r;
}

/*
 * Whether the committer's last batch failed less than HEALTH_FAILED_MS ago
 * (why says how): a write the probe does not make, such as a full disk or a
 * file that no longer takes writes, still makes the health check 503. A lock
 * held by another process is the probe's to see (it waits for it as long).
 */
static bool
commit_failed_lately(struct front *f, char *why, size_t whylen)
{
	bool failed;

	pthread_mutex_lock(&f->failed_lock);
	failed = f->failed_us != 0 && clock_mono_us() - f->failed_us < HEALTH_FAILED_MS * 1000LL;
	if (failed)
		snprintf(why, whylen, "the last commit failed: %s", f->failed_why);
	pthread_mutex_unlock(&f->failed_lock);
	return failed;
}

/*
 * Answers metrics_path and health_path. Metrics requests are logged one line
 * each; health checks only when their answer changes, so a checker polling
 * every second does not flood the log.
 */
static void
handle_own(struct front *f, struct conn *c, const struct config *cfg, const char *path,
    bool metrics, int64_t start)
{
	static const char TEXT[] = "text/plain; charset=utf-8";
	const char *method = FCGX_GetParam("REQUEST_METHOD", c->fr.envp);
	bool head = method != NULL && strcmp(method, "HEAD") == 0;
	int wait_ms = cfg->busy_timeout < OWN_WAIT_MAX ? cfg->busy_timeout : OWN_WAIT_MAX;
	int64_t deadline = start + (int64_t)wait_ms * 1000;
	struct response r;
	char why[256];

	if (!head && (method == NULL || strcmp(method, "GET") != 0)) {
		static const char body[] = "method not allowed\n";

		r = own_response(405, "Method Not Allowed", TEXT, body, strlen(body), false);
		r.allow = "GET, HEAD";
		conn_answer(f, c, &r);
		log_own(path, 405, "method_not_allowed", NULL, start);
		return;
	}
	why[0] = '\0';
	if (metrics) {
		size_t len;
		char *text = metrics_scrape(f->metrics, deadline, &len, why, sizeof(why));

		r = own_response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", text, len, head);
		conn_answer(f, c, &r);
		free(text);
		log_own(path, 200, "metrics", why, start);
		return;
	}
	if (!commit_failed_lately(f, why, sizeof(why)) &&
	    metrics_health(f->metrics, deadline, why, sizeof(why)) == 0) {
		static const char body[] = "ok\n";

		r = own_response(200, "OK", TEXT, body, strlen(body), head);
		conn_answer(f, c, &r);
		if (atomic_exchange(&f->health, 200) != 200)
			log_own(path, 200, "healthy", NULL, start);
	} else {
		static const char body[] = "database does not take writes\n";

		r = own_response(503, "Service Unavailable", TEXT, body, strlen(body), head);
		r.retry_after = true;
		conn_answer(f, c, &r);
		if (atomic_exchange(&f->health, 503) != 503)
			log_own(path, 503, "unhealthy", why, start);
	}
}

/*
 * The request path, for the request just read on c: route, read the body,
 * verify, then answer or queue the event for the committer. c belongs to
 * whoever answers it.
 */
static void
handle(struct front *f, struct conn *c)
{
	struct config *cfg = front_config_get(f);
	FCGX_Request *fr = &c->fr;
	int64_t start = clock_mono_us();
	const char *param, *uri;
	struct request *req;
	struct job *job;

	if ((param = own_path(cfg, fr)) != NULL) {
		handle_own(f, c, cfg, param, param == cfg->metrics_path, start);
		front_config_put(f, cfg);
		return;
	}
	job = xcalloc(1, sizeof(*job));
	job->cfg = cfg;
	job->conn = c;
	job->start_us = start;
	req = &job->req;
	request_init(req);
	req->received_at = clock_wall_ms();
	param = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	req->method = param ? xstrdup(param) : NULL;
	param = FCGX_GetParam("QUERY_STRING", fr->envp);
	if (param != NULL && *param != '\0')
		req->query = xstrdup(param);
	param = FCGX_GetParam("HOOKQ_SOURCE", fr->envp);
	if (param != NULL && *param != '\0')
		req->source_name = xstrdup(param);
	else if ((uri = FCGX_GetParam("DOCUMENT_URI", fr->envp)) != NULL ||
	    (uri = FCGX_GetParam("REQUEST_URI", fr->envp)) != NULL)
		req->source_name = request_source_from_uri(uri);

	headers_add_cgi(&req->headers, fr->envp);
	if (request_route(req, cfg) != 0 || read_body(f, c, req, req->source->max_body) != 0 ||
	    request_check(req, req->received_at / 1000) != 0) {
		job->outcome = req->outcome;
		job_answer(f, job);
		job_end(f, job, NULL);
		return;
	}
	if (cfg->ack == ACK_RECEIPT) {
		/* The operator traded durability for latency: answer now, insert after. */
		job->outcome = OUTCOME_ACCEPTED;
		job_answer(f, job);
	}
	request_event(req, &job->ev);
	job->item.event = &job->ev;
	commit_submit(f->committer, &job->item);
}

/* Reads the request that arrived on c, and handles it; closes c at its end. */
static void
serve(struct front *f, struct conn *c)
{
	/* The guard checks what libfcgi will read, from the request's first byte. */
	if (c->peek_reset && setsockopt(c->fr.ipcFd, SOL_SOCKET, SO_PEEK_OFF, &(int){ 0 },
	    sizeof(int)) != 0)
		c->refused = true;
	fcgi_guard_init(&c->guard);
	c->peeked = 0;
	c->peek_reset = false;
	if (c->refused || !conn_guard(f, c, true)) {
		conn_free(f, c);
		return;
	}
	/* A connection at its end, broken or not speaking FastCGI: libfcgi has closed it. */
	if (FCGX_Accept_r(&c->fr) < 0) {
		conn_free(f, c);
		return;
	}
	handle(f, c);
}

/* Whether fd has something to read now. */
static bool
readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

/* Arms the listening socket for the next connection (one-shot: one thread takes it). */
static void
listen_wait(struct front *f)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.ptr = &f->listen_fd;
	if (epoll_ctl(f->epfd, EPOLL_CTL_MOD, f->listen_fd, &ev) != 0)
		fatal(EXIT_SYSTEM, "cannot wait for connections: %s", strerror(errno));
}

/* Accepts one connection, or returns -1 with errno set (EAGAIN when there was none). */
static int
accept_conn(struct front *f)
{
	int fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
		int64_t now = clock_mono_us(), last = atomic_load(&f->accept_warned_us);
		const struct timespec nap = { 0, 10 * 1000 * 1000 };

		/* Out of descriptors or memory: say so once a second, and let answers free some. */
		if (now - last > 1000000 && atomic_compare_exchange_strong(&f->accept_warned_us,
		    &last, now))
			log_warn("cannot accept a FastCGI connection: %s", strerror(errno));
		nanosleep(&nap, NULL);
		errno = EAGAIN;
	}
	return fd;
}

/* Takes a connection from the listening socket and serves it, or waits for its request. */
static void
take_connection(struct front *f)
{
	int fd = accept_conn(f);
	struct conn *c;

	/* Re-armed before serving, so another thread can accept the next one meanwhile. */
	if (!atomic_load(&f->stopping))
		listen_wait(f);
	if (fd < 0)
		return;
	c = conn_new(f, fd);
	/* nginx writes the request as it connects, so it is usually here already. */
	if (readable(fd))
		serve(f, c);
	else
		conn_wait(f, c);
}

static void *
reader_main(void *arg)
{
	struct front *f = arg;
	struct epoll_event ev;

	for (;;) {
		int n = epoll_wait(f->epfd, &ev, 1, -1);

		if (n < 0 && errno != EINTR)
			fatal(EXIT_SYSTEM, "epoll_wait: %s", strerror(errno));
		if (n <= 0)
			continue;
		if (ev.data.ptr == &f->stop_fd)
			break;
		if (ev.data.ptr == &f->listen_fd)
			take_connection(f);
		else
			serve(f, ev.data.ptr);
	}
	return NULL;
}

struct front *
front_start(int listen_fd, struct config *cfg, char **cause)
{
	struct front *f = xcalloc(1, sizeof(*f));
	struct store_options sopt;
	struct epoll_event ev;
	int i, fl;

	if (FCGX_Init() != 0)
		fatal(EXIT_SYSTEM, "cannot initialise libfcgi");
	memset(&sopt, 0, sizeof(sopt));
	sopt.durability_full = cfg->durability == DURABILITY_FULL;
	sopt.busy_timeout = cfg->busy_timeout;
	sopt.password_file = cfg->password_file;
	sopt.program = "hookq-receiver";
	sopt.check_write = true;
	f->committer = commit_start(cfg->database, &sopt, front_committed, f, cause);
	if (f->committer == NULL) {
		free(f);
		return NULL;
	}
	f->listen_fd = listen_fd;
	f->nthreads = cfg->threads;
	f->cfg = cfg;
	atomic_init(&f->stopping, false);
	atomic_init(&f->health, 0);
	atomic_init(&f->accept_warned_us, 0);
	atomic_init(&f->guard_warned_us, 0);
	atomic_init(&f->guard_refused, 0);
	pthread_mutex_init(&f->cfg_lock, NULL);
	pthread_mutex_init(&f->conns_lock, NULL);
	pthread_mutex_init(&f->failed_lock, NULL);
	/* The health check probes a write of its own on each request. */
	sopt.check_write = false;
	f->metrics = metrics_new(cfg->database, &sopt);
	metrics_add_sources(f->metrics, cfg);

	/* Threads take turns at the socket through epoll, so accept(2) must never block. */
	fl = fcntl(listen_fd, F_GETFL);
	if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) != 0)
		fatal(EXIT_SYSTEM, "cannot make the listening socket non-blocking: %s", strerror(errno));
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	f->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->epfd < 0 || f->stop_fd < 0)
		fatal(EXIT_SYSTEM, "cannot create the epoll set: %s", strerror(errno));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.ptr = &f->listen_fd;
	if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, listen_fd, &ev) != 0)
		fatal(EXIT_SYSTEM, "cannot wait for connections: %s", strerror(errno));
	/* Level-triggered and never read: once written, every thread sees it. */
	ev.events = EPOLLIN;
	ev.data.ptr = &f->stop_fd;
	if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->stop_fd, &ev) != 0)
		fatal(EXIT_SYSTEM, "cannot create the epoll set: %s", strerror(errno));

	f->threads = xcalloc((size_t)f->nthreads, sizeof(*f->threads));
	for (i = 0; i < f->nthreads; i++)
		if (pthread_create(&f->threads[i], NULL, reader_main, f) != 0)
			fatal(EXIT_SYSTEM, "cannot start request thread %d", i);
		else
			pthread_setname_np(f->threads[i], "hookq-request");
	return f;
}

/*
 * After the request threads are gone: serves the connections the kernel
 * accepted before the socket was shut, and the requests nginx had already
 * sent on idle connections, so no request that reached hookq goes unanswered.
 */
static void
drain(struct front *f)
{
	struct epoll_event evs[64];
	int fd, n, i;

	while ((fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		serve(f, conn_new(f, fd));
	while ((n = epoll_wait(f->epfd, evs, (int)nitems(evs), 0)) > 0) {
		int served = 0;

		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &f->stop_fd || evs[i].data.ptr == &f->listen_fd)
				continue;
			serve(f, evs[i].data.ptr);
			served++;
		}
		if (served == 0)
			break;
	}
}

void
front_stop(struct front *f, struct commit_stats *stats)
{
	int i;

	int64_t until;
	bool open;

	atomic_store(&f->stopping, true);
	/* New connections are refused from here; those already queued are drained below. */
	shutdown(f->listen_fd, SHUT_RDWR);
	/*
	 * Closing a kept connection nginx is about to use loses the request it
	 * sends on it (nginx answers 502), so kept connections are first left
	 * to close after their next answer; under load that takes a few ms.
	 */
	until = clock_mono_us() + (int64_t)STOP_GRACE_MS * 1000;
	do {
		const struct timespec nap = { 0, 5 * 1000 * 1000 };

		pthread_mutex_lock(&f->conns_lock);
		open = f->conns != NULL;
		pthread_mutex_unlock(&f->conns_lock);
		if (open)
			nanosleep(&nap, NULL);
	} while (open && clock_mono_us() < until);
	if (eventfd_write(f->stop_fd, 1) != 0)
		fatal(EXIT_SYSTEM, "cannot stop the request threads: %s", strerror(errno));
	for (i = 0; i < f->nthreads; i++)
		pthread_join(f->threads[i], NULL);
	drain(f);
	/* Commits what is queued and answers it; kept connections close after their answer. */
	commit_stop(f->committer, stats);
	/* Connections still open are idle: nginx has no request on them. */
	while (f->conns != NULL)
		conn_free(f, f->conns);
	close(f->stop_fd);
	close(f->epfd);
	front_config_put(f, f->cfg);
	metrics_free(f->metrics);
	pthread_mutex_destroy(&f->conns_lock);
	pthread_mutex_destroy(&f->failed_lock);
	pthread_mutex_destroy(&f->cfg_lock);
	free(f->threads);
	free(f);
}
