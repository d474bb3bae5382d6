/*
 * http.c: the worker's HTTP POSTs, through libcurl's multi interface.
 *
 * One multi handle holds the connection cache (and the DNS cache), so every
 * transfer of the worker can reuse a connection an earlier one kept alive.
 * A transfer owns what curl does not copy (the header lists) and a small
 * buffer for the start of the response body; its easy handle goes back to
 * an idle list when it finishes, reset, for the next one.
 *
 * CA certificates: Debian builds libcurl with --with-ca-bundle=
 * /etc/ssl/certs/ca-certificates.crt and --with-ca-path=/etc/ssl/certs
 * (curl-config --configure). A ca_file replaces only the bundle
 * (CURLOPT_CAINFO); the OpenSSL backend still loads the CA path, whose
 * hashed links (update-ca-certificates makes them) are the same system
 * CAs, so the system's stay trusted beside the route's (curl -v
 * --cacert X says "CAfile: X" and "CApath: /etc/ssl/certs"). curl does not
 * reuse a connection verified under another CA file.
 */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http.h"
#include "util.h"

struct transfer {
	struct transfer *next;
	CURL *easy;
	void *owner;
	struct curl_slist *headers;     /* curl keeps pointers to these lists, not copies */
	struct curl_slist *resolve;
	int64_t timeout_ms;
	size_t body_total;              /* body bytes seen, kept or not */
	size_t body_len;                /* of them, kept in body */
	bool too_long;
	char body[HTTP_BODY_KEEP + 1];
	char errbuf[CURL_ERROR_SIZE];
};

struct http {
	CURLM *multi;
	struct transfer *active;        /* in flight */
	struct transfer *idle;          /* finished; their easy handles are reset */
	int running;
	struct curl_waitfd *waitfds;    /* http_poll()'s copy of its fds, kept between calls */
	int waitfds_cap;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

/*
 * curl_global_init() once per process, never undone: the worker has one
 * struct http for its life, and a test may make many.
 */
static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *
cause_of(const char *what, const char *why)
{
	size_t n = strlen(what) + 2 + strlen(why) + 1;
	char *c = xmalloc(n);

	snprintf(c, n, "%s: %s", what, why);
	return c;
}

struct http *
http_new(char **cause)
{
	struct http *h;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		*cause = cause_of("curl_global_init", curl_easy_strerror(global_rc));
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->multi = curl_multi_init();
	if (h->multi == NULL) {
		free(h);
		*cause = xstrdup("curl_multi_init failed");
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)HTTP_MAX_CONNECTS);
	/*
	 * One transfer per connection: HTTP/1.1 keep-alive, and no HTTP/2
	 * multiplexing. curl may still speak h2 over https where ALPN picks it
	 * (one stream per connection then), which costs nothing and suits an
	 * h2-only peer; a route's concurrency stays its count of connections,
	 * and one slow stream never holds up another on the same TCP stream.
	 */
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
	return h;
}

static void
transfer_clear(struct transfer *t)
{
	curl_slist_free_all(t->headers);
	curl_slist_free_all(t->resolve);
	t->headers = t->resolve = NULL;
	t->owner = NULL;
}

static void
transfer_free(struct transfer *t)
{
	transfer_clear(t);
	curl_easy_cleanup(t->easy);
	free(t);
}

void
http_free(struct http *h)
{
	struct transfer *t;

	if (h == NULL)
		return;
	while ((t = h->active) != NULL) {
		h->active = t->next;
		curl_multi_remove_handle(h->multi, t->easy);
		transfer_free(t);
	}
	while ((t = h->idle) != NULL) {
		h->idle = t->next;
		transfer_free(t);
	}
	curl_multi_cleanup(h->multi);
	free(h->waitfds);
	free(h);
}

/* Keeps the first HTTP_BODY_KEEP bytes, counts the rest; past HTTP_BODY_MAX, aborts. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t n = size * nmemb, keep;

	if (n > HTTP_BODY_MAX - t->body_total) {
		t->too_long = true;
		return 0;       /* not n: curl ends the transfer with CURLE_WRITE_ERROR */
	}
	t->body_total += n;
	keep = sizeof(t->body) - 1 - t->body_len;
	if (keep > n)
		keep = n;
	memcpy(t->body + t->body_len, data, keep);
	t->body_len += keep;
	return n;
}

/* True when header h names name (case aside), as in "Name: value". */
static bool
header_is(const char *h, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(h, name, n) == 0 && h[n] == ':';
}

/*
 * The request's header list: the caller's, then "Expect:" and, when the
 * caller gave none, "Content-Type:" (empty, each removes a header curl
 * would add). A caller's "Name:" with nothing after it is sent as an empty
 * header, which curl spells "Name;". Returns 0, or -1 and a cause that
 * names the header by its place, never its value.
 */
static int
header_list(struct curl_slist **list, const char *const *headers, char **cause)
{
	bool type = false, expect = false;
	char why[96];
	size_t i;

	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		const char *hd = headers[i], *colon = strchr(hd, ':'), *v;
		struct curl_slist *l;

		if (colon == NULL || colon == hd) {
			snprintf(why, sizeof(why), "header %zu has no name", i + 1);
			*cause = xstrdup(why);
			return -1;
		}
		if (strpbrk(hd, "\r\n") != NULL) {
			snprintf(why, sizeof(why), "header %zu has a line break", i + 1);
			*cause = xstrdup(why);
			return -1;
		}
		type = type || header_is(hd, "content-type");
		expect = expect || header_is(hd, "expect");
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (*v == '\0') {
			char *empty = xstrndup(hd, (size_t)(colon - hd + 1));

			empty[colon - hd] = ';';
			l = curl_slist_append(*list, empty);
			free(empty);
		} else
			l = curl_slist_append(*list, hd);
		if (l == NULL)
			goto oom;
		*list = l;
	}
	if (!expect && (*list = curl_slist_append(*list, "Expect:")) == NULL)
		goto oom;
	if (!type && (*list = curl_slist_append(*list, "Content-Type:")) == NULL)
		goto oom;
	return 0;
oom:
	/* curl_slist_append() returns NULL only when malloc() did: as xmalloc() would. */
	abort();
}

/* Sets one option unless an earlier one failed; rc holds the first failure. */
#define SETOPT(rc, e, opt, val) do { \
	if ((rc) == CURLE_OK) \
		(rc) = curl_easy_setopt((e), (opt), (val)); \
} while (0)

static CURLcode
transfer_setup(struct transfer *t, const struct http_request *req)
{
	CURL *e = t->easy;
	CURLcode rc = CURLE_OK;
	long timeout = req->timeout_ms > LONG_MAX ? LONG_MAX : (long)req->timeout_ms;

	SETOPT(rc, e, CURLOPT_PRIVATE, t);
	SETOPT(rc, e, CURLOPT_URL, req->url);
	SETOPT(rc, e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(rc, e, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(rc, e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SETOPT(rc, e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SETOPT(rc, e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* A 3xx is the route's answer, handed back as it is. */
	SETOPT(rc, e, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(rc, e, CURLOPT_POST, 1L);
	/* Never NULL: with no POSTFIELDS, curl would read the body from stdin. */
	SETOPT(rc, e, CURLOPT_POSTFIELDS, req->body != NULL ? req->body : "");
	SETOPT(rc, e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	SETOPT(rc, e, CURLOPT_HTTPHEADER, t->headers);
	SETOPT(rc, e, CURLOPT_TIMEOUT_MS, timeout);
	SETOPT(rc, e, CURLOPT_TCP_NODELAY, 1L);
	/* TCP keep-alive probes, so the cache notices a peer gone while idle. */
	SETOPT(rc, e, CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(rc, e, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(rc, e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file != NULL)
		SETOPT(rc, e, CURLOPT_CAINFO, req->ca_file);
	if (t->resolve != NULL)
		SETOPT(rc, e, CURLOPT_RESOLVE, t->resolve);
	SETOPT(rc, e, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(rc, e, CURLOPT_WRITEDATA, t);
	SETOPT(rc, e, CURLOPT_ERRORBUFFER, t->errbuf);
	return rc;
}

int
http_start(struct http *h, const struct http_request *req, char **cause)
{
	struct transfer *t;
	CURLcode rc;
	CURLMcode mrc;

	if (req->timeout_ms <= 0) {
		*cause = xstrdup("timeout_ms must be positive");
		return -1;
	}
	if ((t = h->idle) != NULL)
		h->idle = t->next;
	else {
		t = xcalloc(1, sizeof(*t));
		if ((t->easy = curl_easy_init()) == NULL) {
			free(t);
			*cause = xstrdup("curl_easy_init failed");
			return -1;
		}
	}
	t->owner = req->owner;
	t->timeout_ms = req->timeout_ms;
	t->body_total = t->body_len = 0;
	t->too_long = false;
	t->body[0] = t->errbuf[0] = '\0';
	if (header_list(&t->headers, req->headers, cause) != 0)
		goto fail;
	if (req->resolve != NULL &&
	    (t->resolve = curl_slist_append(NULL, req->resolve)) == NULL)
		abort();
	if ((rc = transfer_setup(t, req)) != CURLE_OK) {
		*cause = cause_of("curl_easy_setopt", curl_easy_strerror(rc));
		goto fail;
	}
	if ((mrc = curl_multi_add_handle(h->multi, t->easy)) != CURLM_OK) {
		*cause = cause_of("curl_multi_add_handle", curl_multi_strerror(mrc));
		goto fail;
	}
	t->next = h->active;
	h->active = t;
	h->running++;
	return 0;
fail:
	transfer_clear(t);
	curl_easy_reset(t->easy);
	t->next = h->idle;
	h->idle = t;
	return -1;
}

/* Takes t (on no list now) out of the multi handle and keeps its easy handle for later. */
static void
transfer_done(struct http *h, struct transfer *t)
{
	curl_multi_remove_handle(h->multi, t->easy);
	transfer_clear(t);
	/* Reset keeps the handle's caches; the connections are the multi's anyway. */
	curl_easy_reset(t->easy);
	t->next = h->idle;
	h->idle = t;
	h->running--;
}

void
http_cancel(struct http *h, const void *owner)
{
	struct transfer **tp = &h->active, *t;

	while ((t = *tp) != NULL) {
		if (t->owner == owner) {
			*tp = t->next;
			transfer_done(h, t);
		} else
			tp = &t->next;
	}
}

int
http_running(const struct http *h)
{
	return h->running;
}

int
http_poll(struct http *h, struct pollfd *fds, int nfds, int timeout_ms)
{
	CURLMcode mrc;
	int i, n = 0;

	if (nfds > h->waitfds_cap) {
		h->waitfds = xreallocarray(h->waitfds, (size_t)nfds, sizeof(*h->waitfds));
		h->waitfds_cap = nfds;
	}
	for (i = 0; i < nfds; i++) {
		h->waitfds[i].fd = fds[i].fd;
		h->waitfds[i].events = (short)(((fds[i].events & POLLIN) ? CURL_WAIT_POLLIN : 0) |
		    ((fds[i].events & POLLPRI) ? CURL_WAIT_POLLPRI : 0) |
		    ((fds[i].events & POLLOUT) ? CURL_WAIT_POLLOUT : 0));
		h->waitfds[i].revents = 0;
		fds[i].revents = 0;
	}
	/* curl_multi_poll() wants a limit; it also stops at curl's own next deadline. */
	mrc = curl_multi_poll(h->multi, h->waitfds, (unsigned)nfds,
	    timeout_ms < 0 ? INT_MAX : timeout_ms, &n);
	if (mrc != CURLM_OK) {
		errno = mrc == CURLM_OUT_OF_MEMORY ? ENOMEM : EINVAL;
		return -1;
	}
	if (n == 0 || nfds == 0)
		return 0;
	/*
	 * Something is ready, but curl reports only POLLIN, POLLPRI and POLLOUT
	 * of the extra fds (curl/multi.h: revents "not supported yet"; 7.88
	 * drops POLLHUP and POLLERR), and a pipe whose writer closed is POLLHUP
	 * alone. So the fds are asked again, without waiting, for the truth.
	 */
	return poll(fds, (nfds_t)nfds, 0);
}

/* Codes whose cause is better said than curl's own words. */
static const struct {
	CURLcode code;
	const char *what;
} CAUSES[] = {
	{ CURLE_COULDNT_RESOLVE_HOST, "cannot resolve host" },
	{ CURLE_COULDNT_CONNECT, "cannot connect" },
	{ CURLE_SEND_ERROR, "send failed" },
	{ CURLE_RECV_ERROR, "receive failed" },
	{ CURLE_GOT_NOTHING, "empty reply" },
	{ CURLE_WEIRD_SERVER_REPLY, "bad reply" },
	{ CURLE_UNSUPPORTED_PROTOCOL, "unsupported url" },
	{ CURLE_URL_MALFORMAT, "bad url" },
	{ CURLE_SSL_CONNECT_ERROR, "TLS" },
	{ CURLE_PEER_FAILED_VERIFICATION, "TLS" },
	{ CURLE_SSL_CACERT_BADFILE, "TLS" },
	{ CURLE_SSL_CERTPROBLEM, "TLS" },
	{ CURLE_SSL_CIPHER, "TLS" },
	{ CURLE_SSL_ISSUER_ERROR, "TLS" },
	{ CURLE_SSL_CRL_BADFILE, "TLS" },
	{ CURLE_SSL_INVALIDCERTSTATUS, "TLS" },
	{ CURLE_SSL_PINNEDPUBKEYNOTMATCH, "TLS" },
};

/* Fills r->error for a transfer that ended with rc. */
static void
result_error(struct http_result *r, const struct transfer *t, CURL *e, CURLcode rc)
{
	const char *what = "transfer failed", *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
	long os_errno = 0;
	size_t i;

	if (t->too_long) {
		snprintf(r->error, sizeof(r->error), "response body longer than %d bytes",
		    HTTP_BODY_MAX);
		return;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(r->error, sizeof(r->error), "timed out after %lld.%03llds",
		    (long long)(t->timeout_ms / 1000), (long long)(t->timeout_ms % 1000));
		return;
	}
	for (i = 0; i < nitems(CAUSES); i++)
		if (CAUSES[i].code == rc)
			what = CAUSES[i].what;
	if (rc == CURLE_COULDNT_CONNECT &&
	    curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK) {
		if (os_errno == ECONNREFUSED)
			what = "connection refused";
		else if (os_errno == ENETUNREACH || os_errno == EHOSTUNREACH)
			what = "unreachable";
	}
	/* what is short; curl's words are cut to fit. */
	snprintf(r->error, sizeof(r->error), "%s: %.200s", what, why);
}

/* What t's transfer came to, ended with rc. */
static void
result_of(struct http_result *r, struct transfer *t, CURLcode rc)
{
	CURL *e = t->easy;
	curl_off_t retry = 0, total = 0;
	long connects = 0;

	memset(r, 0, sizeof(*r));
	r->owner = t->owner;
	if (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status) != CURLE_OK)
		r->status = 0;
	r->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	if (rc != CURLE_OK)
		result_error(r, t, e, rc);
	t->body[t->body_len] = '\0';
	r->body = t->body;
	r->body_len = t->body_len;
	/* curl reads Retry-After as seconds, or as an HTTP date made seconds from now; 0: none. */
	r->retry_after_ms = -1;
	if (curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK && retry > 0)
		r->retry_after_ms = retry > INT64_MAX / 1000 ? INT64_MAX : (int64_t)retry * 1000;
	if (curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &total) == CURLE_OK)
		r->duration_us = (int64_t)total;
	/* No new connection, yet an answer: it came over one kept alive. */
	if (curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
		r->reused = connects == 0 && r->status != 0;
}

void
http_run(struct http *h, void (*done)(const struct http_result *, void *), void *arg)
{
	struct http_result r;
	CURLMsg *msg;
	int still, left;

	curl_multi_perform(h->multi, &still);
	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct transfer **tp, *t = NULL;
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		if (curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv) != CURLE_OK)
			continue;
		/* Off the active list before done(), which may cancel or start others. */
		for (tp = &h->active; *tp != NULL; tp = &(*tp)->next)
			if (*tp == (struct transfer *)(void *)priv) {
				t = *tp;
				*tp = t->next;
				break;
			}
		if (t == NULL)
			continue;
		result_of(&r, t, msg->data.result);
		done(&r, arg);
		transfer_done(h, t);
	}
}

const char *
http_library(void)
{
	static char name[128];
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	if (name[0] == '\0')
		snprintf(name, sizeof(name), "libcurl/%s%s%s", v->version,
		    v->ssl_version ? " " : "", v->ssl_version ? v->ssl_version : "");
	return name;
}
