/*
 * front.c: FastCGI in, answers out.
 *
 * Each thread owns one FCGX_Request and loops: accept, handle, finish.
 * Everything a request keeps is copied out of libfcgi's buffers (they die at
 * the next accept) into a struct request, which one call frees. Bodies are
 * capped by the source's max_body before anything is allocated.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "front.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "util.h"

struct front {
	int listen_fd;
	int nthreads;
	pthread_t *threads;
	struct committer *committer;
	pthread_mutex_t cfg_lock;
	struct config *cfg;
	atomic_bool stopping;
	struct metrics *metrics;
	atomic_int health;           /* the last health answer: 0 none yet, else its status */
};

/* The longest a scrape or health check waits for its connection or the write lock, in ms. */
#define OWN_WAIT_MAX 1000

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
front_listen(const char *path, char **cause)
{
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
		if (!S_ISSOCK(sb.st_mode)) {
			*cause = listen_cause(path, "exists and is not a socket");
			goto fail;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			*cause = listen_cause(path, "another process is listening on it");
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
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		umask(old);
		*cause = listen_cause(path, strerror(errno));
		goto fail;
	}
	umask(old);
	if (chmod(path, 0660) != 0 || listen(fd, SOMAXCONN) != 0) {
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
front_inherited(void)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v == 1;
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

/*
 * Reads the body, at most max bytes. Returns 0, or -1 with the outcome set
 * (413 when longer than max, 400 when shorter than its Content-Length).
 */
static int
read_body(FCGX_Request *fr, struct request *req, size_t max)
{
	long long cl = content_length(FCGX_GetParam("CONTENT_LENGTH", fr->envp));
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
		int n = FCGX_GetStr((char *)req->body + len,
		    (int)(cap - len > INT_MAX ? INT_MAX : cap - len), fr->in);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	req->body_len = len;
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

/* Writes the status line, headers and body of the answer to req for outcome o; returns the status. */
static int
answer(FCGX_Request *fr, const struct request *req, enum outcome o)
{
	struct response r;
	char head[512];
	int n;

	request_response(req, o, &r);
	n = snprintf(head, sizeof(head), "Status: %d %s\r\n", r.status, r.reason_phrase);
	if (r.content_type != NULL)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		    "Content-Type: %s\r\nX-Content-Type-Options: nosniff\r\n", r.content_type);
	if (r.status != 204)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Length: %zu\r\n", r.len);
	if (o == OUTCOME_HANDSHAKE)
		n += snprintf(head + n, sizeof(head) - (size_t)n, "Cache-Control: no-store\r\n");
	n += snprintf(head + n, sizeof(head) - (size_t)n, "%s%s\r\n",
	    o == OUTCOME_UNAVAILABLE ? "Retry-After: " STRINGIFY(RETRY_AFTER) "\r\n" : "",
	    o == OUTCOME_METHOD ? "Allow: POST\r\n" : "");
	FCGX_PutStr(head, n, fr->out);
	if (r.len > 0)
		FCGX_PutStr(r.body, (int)r.len, fr->out);
	return r.status;
}

/* The one log line of a request. */
static void
log_request(const struct request *req, int status, const char *outcome,
    const char *reason, int64_t us)
{
	char source[96], id[300];
	const char *idv = req->event_id;
	double ms = (double)us / 1000.0;

	/* Before verification, a header id still helps match the sender's delivery log. */
	if (idv == NULL && req->source != NULL) {
		const struct scheme_field *ids = req->source->scheme.id;
		size_t i;

		for (i = 0; i < SCHEME_MAX_FIELDS && idv == NULL && ids[i].from == SCHEME_FROM_HEADER; i++)
			idv = headers_get(&req->headers, ids[i].name);
	}
	log_quote(source, sizeof(source), req->source_name ? req->source_name : "",
	    req->source_name ? strlen(req->source_name) : 0);
	log_quote(id, sizeof(id), idv ? idv : "", idv ? strlen(idv) : 0);
	if (reason != NULL) {
		char why[300];

		log_quote(why, sizeof(why), reason, strlen(reason));
		log_info("source=%s id=%s status=%d outcome=%s reason=%s ms=%.2f",
		    source, id, status, outcome, why, ms);
	} else
		log_info("source=%s id=%s status=%d outcome=%s ms=%.2f",
		    source, id, status, outcome, ms);
}

/* The end of a webhook request: counted in the metrics, then its log line. */
static void
finish(struct front *f, const struct request *req, int status, int outcome, int64_t start_us)
{
	int64_t us = clock_mono_us() - start_us;

	metrics_count(f->metrics, req->source ? req->source->name : NULL, outcome, us);
	log_request(req, status, metrics_outcome_name(outcome), req->reason, us);
}

/* Writes a whole answer of our own (HEAD: without its body). */
static void
answer_text(FCGX_Request *fr, int status, const char *phrase, const char *ctype,
    const char *extra, const char *body, size_t len, bool head)
{
	char hdr[512];
	int n;

	n = snprintf(hdr, sizeof(hdr), "Status: %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n%s\r\n",
	    status, phrase, ctype, len, extra);
	FCGX_PutStr(hdr, n, fr->out);
	if (!head && len > 0)
		FCGX_PutStr(body, (int)len, fr->out);
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

/*
 * Answers metrics_path and health_path. Metrics requests are logged one line
 * each; health checks only when their answer changes, so a checker polling
 * every second does not flood the log.
 */
static void
handle_own(struct front *f, FCGX_Request *fr, const struct config *cfg, const char *path,
    bool metrics, int64_t start)
{
	const char *method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	bool head = method != NULL && strcmp(method, "HEAD") == 0;
	int wait_ms = cfg->busy_timeout < OWN_WAIT_MAX ? cfg->busy_timeout : OWN_WAIT_MAX;
	int64_t deadline = start + (int64_t)wait_ms * 1000;
	char why[256];

	if (!head && (method == NULL || strcmp(method, "GET") != 0)) {
		static const char body[] = "method not allowed\n";

		answer_text(fr, 405, "Method Not Allowed", "text/plain; charset=utf-8",
		    "Allow: GET, HEAD\r\n", body, strlen(body), false);
		log_own(path, 405, "method_not_allowed", NULL, start);
		return;
	}
	why[0] = '\0';
	if (metrics) {
		size_t len;
		char *text = metrics_scrape(f->metrics, deadline, &len, why, sizeof(why));

		answer_text(fr, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", "",
		    text, len, head);
		free(text);
		log_own(path, 200, "metrics", why, start);
		return;
	}
	if (metrics_health(f->metrics, deadline, why, sizeof(why)) == 0) {
		static const char body[] = "ok\n";

		answer_text(fr, 200, "OK", "text/plain; charset=utf-8", "", body, strlen(body), head);
		if (atomic_exchange(&f->health, 200) != 200)
			log_own(path, 200, "healthy", NULL, start);
	} else {
		static const char body[] = "database does not take writes\n";

		answer_text(fr, 503, "Service Unavailable", "text/plain; charset=utf-8",
		    "Retry-After: " STRINGIFY(RETRY_AFTER) "\r\n", body, strlen(body), head);
		if (atomic_exchange(&f->health, 503) != 503)
			log_own(path, 503, "unhealthy", why, start);
	}
}

/* Commits the checked event; returns the outcome to answer. why holds a failure's reason. */
static enum outcome
store_event(struct front *f, struct request *req, char *why, size_t whysize)
{
	struct store_event ev;
	struct commit_item item;

	request_event(req, &ev);
	memset(&item, 0, sizeof(item));
	item.event = &ev;
	commit_submit(f->committer, &item);
	switch (item.result) {
	case COMMIT_INSERTED:
		return OUTCOME_STORED;
	case COMMIT_DUPLICATE:
		return OUTCOME_DUPLICATE;
	case COMMIT_FAILED:
		break;
	}
	/* The store's message lives in item; keep a copy the log line can use. */
	snprintf(why, whysize, "%s", item.error);
	req->reason = why;
	return OUTCOME_UNAVAILABLE;
}

/* The request path, for one accepted request. */
static void
handle(struct front *f, FCGX_Request *fr)
{
	struct config *cfg = front_config_get(f);
	struct request req;
	const char *param, *uri;
	char why[200];
	int64_t start = clock_mono_us();
	enum outcome result;
	int status;

	if ((param = own_path(cfg, fr)) != NULL) {
		handle_own(f, fr, cfg, param, param == cfg->metrics_path, start);
		front_config_put(f, cfg);
		return;
	}
	request_init(&req);
	req.received_at = clock_wall_ms();
	param = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	req.method = param ? xstrdup(param) : NULL;
	param = FCGX_GetParam("QUERY_STRING", fr->envp);
	if (param != NULL && *param != '\0')
		req.query = xstrdup(param);
	param = FCGX_GetParam("HOOKQ_SOURCE", fr->envp);
	if (param != NULL && *param != '\0')
		req.source_name = xstrdup(param);
	else if ((uri = FCGX_GetParam("DOCUMENT_URI", fr->envp)) != NULL ||
	    (uri = FCGX_GetParam("REQUEST_URI", fr->envp)) != NULL)
		req.source_name = request_source_from_uri(uri);

	headers_add_cgi(&req.headers, fr->envp);
	if (request_route(&req, cfg) != 0 || read_body(fr, &req, req.source->max_body) != 0)
		goto refused;
	if (request_check(&req, req.received_at / 1000) != 0)
		goto refused;

	if (cfg->ack == ACK_RECEIPT) {
		/* The operator traded durability for latency: answer, then insert. */
		answer(fr, &req, OUTCOME_ACCEPTED);
		FCGX_Finish_r(fr);
		result = store_event(f, &req, why, sizeof(why));
		finish(f, &req, 200, result == OUTCOME_UNAVAILABLE ? METRICS_LOST : (int)result, start);
		goto done;
	}
	result = store_event(f, &req, why, sizeof(why));
	status = answer(fr, &req, result);
	finish(f, &req, status, (int)result, start);
	goto done;
refused:
	status = answer(fr, &req, req.outcome);
	finish(f, &req, status, (int)req.outcome, start);
done:
	request_clear(&req);
	front_config_put(f, cfg);
}

static void *
front_thread(void *arg)
{
	struct front *f = arg;
	FCGX_Request fr;

	if (FCGX_InitRequest(&fr, f->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		fatal(EXIT_SYSTEM, "cannot set up a FastCGI request");
	for (;;) {
		if (FCGX_Accept_r(&fr) < 0) {
			if (atomic_load(&f->stopping))
				break;
			/* A connection that broke before its request was read: next. */
			continue;
		}
		handle(f, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	return NULL;
}

struct front *
front_start(int listen_fd, int nthreads, struct config *cfg, struct committer *c)
{
	struct front *f = xcalloc(1, sizeof(*f));
	int i;

	if (FCGX_Init() != 0)
		fatal(EXIT_SYSTEM, "cannot initialise libfcgi");
	f->listen_fd = listen_fd;
	f->nthreads = nthreads;
	f->committer = c;
	f->cfg = cfg;
	atomic_init(&f->stopping, false);
	atomic_init(&f->health, 0);
	{
		struct store_options sopt;

		sopt.durability_full = cfg->durability == DURABILITY_FULL;
		sopt.busy_timeout = cfg->busy_timeout;
		f->metrics = metrics_new(cfg->database, &sopt);
	}
	metrics_add_sources(f->metrics, cfg);
	pthread_mutex_init(&f->cfg_lock, NULL);
	f->threads = xcalloc((size_t)nthreads, sizeof(*f->threads));
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&f->threads[i], NULL, front_thread, f) != 0)
			fatal(EXIT_SYSTEM, "cannot start request thread %d", i);
	return f;
}

void
front_stop(struct front *f)
{
	int i;

	atomic_store(&f->stopping, true);
	FCGX_ShutdownPending();
	/* Wakes every thread blocked in accept(2); requests under way carry on. */
	shutdown(f->listen_fd, SHUT_RDWR);
	for (i = 0; i < f->nthreads; i++)
		pthread_join(f->threads[i], NULL);
	front_config_put(f, f->cfg);
	metrics_free(f->metrics);
	pthread_mutex_destroy(&f->cfg_lock);
	free(f->threads);
	free(f);
}
