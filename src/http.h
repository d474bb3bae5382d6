/*
 * http.h: the worker's HTTP POSTs to routes' urls, many at once, without
 * blocking its one poll() loop.
 *
 * The only module that calls libcurl. One struct http is one curl multi
 * handle, so its transfers share one connection cache and keep-alive
 * connections are reused across deliveries; finished easy handles are kept
 * for the next transfer too. The worker waits in http_poll() (its own fds
 * and the transfers' sockets in one poll), then calls http_run(), which
 * hands back each finished transfer once. Nothing here logs: a result says
 * what happened and the worker logs it once per delivery.
 *
 * Requests: exactly the body as a POST, only http and https, no redirects
 * followed, no "Expect: 100-continue", no Content-Type the caller did not
 * give, https peers and host names verified. Header values never appear in
 * an error: they may carry tokens.
 */
#ifndef HOOKQ_HTTP_H
#define HOOKQ_HTTP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_BODY_KEEP 4096             /* response body bytes kept for last_error */
#define HTTP_BODY_MAX (1024 * 1024)     /* read at most this much of a response; more aborts it */
#define HTTP_MAX_CONNECTS 64            /* idle connections the cache keeps */

/* The worker's transfers: one curl multi handle. */
struct http;

struct http_request {
	const char *url;                /* http:// or https:// */
	const char *ca_file;            /* PEM CAs trusted besides the system's; NULL: none */
	const char *resolve;            /* "host:port:addr" (CURLOPT_RESOLVE); NULL: none */
	int64_t timeout_ms;             /* the whole transfer; > 0 */
	const char *const *headers;     /* "Name: value", NULL-terminated; copied */
	const void *body;               /* borrowed until the result is handed back */
	size_t body_len;
	void *owner;                    /* given back in the result */
};

struct http_result {
	void *owner;
	long status;                    /* the response status; 0: none arrived */
	bool timed_out;                 /* timeout_ms passed */
	/*
	 * Why the transfer failed, "" when it did not: always set when status
	 * is 0 ("connection refused: ...", "timed out after 30.000s", "TLS:
	 * ..."); with a status when the response was cut short (a body longer
	 * than HTTP_BODY_MAX, a timeout or a reset mid-body).
	 */
	char error[256];
	const char *body;               /* up to HTTP_BODY_KEEP bytes of the body, NUL-terminated (never NULL) */
	size_t body_len;
	int64_t retry_after_ms;         /* Retry-After (seconds or HTTP date) in ms; -1: none (or 0) */
	int64_t duration_us;            /* the whole transfer, as curl timed it */
	bool reused;                    /* a response came over a connection kept alive from before */
};

/* A struct http with no transfers (curl_global_init() on the first); NULL and a malloc'd *cause on failure. */
struct http *http_new(char **cause);
/* Aborts the transfers in flight (no callbacks) and frees h; NULL is fine. */
void http_free(struct http *h);

/*
 * Starts a POST of req: returns 0, or -1 with a malloc'd *cause (a header
 * without a name or with a line break, a failure inside curl). Whatever
 * goes wrong once started, a refused connection or a bad url included,
 * comes back as a result from http_run(). The url, ca_file, resolve and
 * headers are copied; the body is borrowed until the result is handed back
 * (or the transfer cancelled). A header "Name:" with an empty value is sent
 * empty (curl alone would drop it).
 *
 * A resolve pin lands in the multi handle's DNS cache and stays there, and
 * a connection made under it may be reused for the same host and port: a
 * pin holds for every url of that host and port in this struct http.
 */
int http_start(struct http *h, const struct http_request *req, char **cause);
/* Stops the transfers of owner, without a callback; their bodies are free again. */
void http_cancel(struct http *h, const void *owner);
/* How many transfers are in flight (started, not yet handed back or cancelled). */
int http_running(const struct http *h);

/*
 * Waits for one of fds (events as for poll()) or one of the transfers'
 * sockets to be ready, at most timeout_ms (-1: no limit), and never past
 * the transfers' next deadline (a timeout, a retry inside curl). Fills fds[i].revents as poll()
 * does, POLLHUP and POLLERR included. Returns how many of fds are ready
 * (0 also when only a transfer's socket woke it, or a timeout), or -1 with
 * errno. Then call http_run(), whatever it returned. fds may be NULL with
 * nfds 0.
 */
int http_poll(struct http *h, struct pollfd *fds, int nfds, int timeout_ms);

/*
 * Drives the transfers, then calls done(result, arg) once for each that
 * finished; the result, its body and the request's copies are freed when
 * done returns. done may call http_start() and http_cancel(), not
 * http_run() or http_free().
 */
void http_run(struct http *h, void (*done)(const struct http_result *, void *), void *arg);

/* "libcurl/7.88.1 OpenSSL/3.0.x", for the start-up log line. Static. */
const char *http_library(void);

#endif
