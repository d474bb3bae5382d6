/*
 * http-loop: the "just HTTP" baseline of bench/worker.sh's HTTP drains.
 *
 * usage: http-loop N C URL BODYFILE
 * POSTs BODYFILE's bytes to URL N times with libcurl, at most C at once,
 * and prints "N SECONDS CPU": seconds (CLOCK_MONOTONIC) from the first
 * request to the last answer, and its own user + system CPU seconds. C = 1:
 * one easy handle, reused, so one keep-alive connection; C > 1: C easy
 * handles on one multi handle (one connection each, kept alive), each put
 * back with the next request as soon as its answer is in. Every request
 * carries headers like hookq's (the sender's few, X-Hookq-*, a fresh
 * X-Hookq-Event-Id and X-Hookq-Delivery-Id), built per request as a worker
 * must. Exits 1 when a request fails or is not answered 2xx.
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/resource.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *body;
static long body_len;
static long started, failed;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* Sets E up for request I; its header list goes to *LIST (the previous one freed). */
static void
prepare(CURL *e, struct curl_slist **list, long i)
{
	static const char *const fixed[] = {
		"Content-Type: application/json",
		"User-Agent: GitHub-Hookshot/bench",
		"X-GitHub-Event: push",
		"X-Hookq-Source: gh",
		"X-Hookq-Route: bench",
		"X-Hookq-Attempt: 1",
		"Expect:",
	};
	struct curl_slist *l = NULL;
	char h[128];
	size_t k;

	curl_slist_free_all(*list);
	for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
		l = curl_slist_append(l, fixed[k]);
	snprintf(h, sizeof(h), "X-GitHub-Delivery: loop-%ld", i);
	l = curl_slist_append(l, h);
	snprintf(h, sizeof(h), "X-Hookq-Event-Id: loop-%ld", i);
	l = curl_slist_append(l, h);
	snprintf(h, sizeof(h), "X-Hookq-Delivery-Id: %ld", i + 1);
	l = curl_slist_append(l, h);
	*list = l;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, l);
}

static CURL *
new_handle(const char *url)
{
	CURL *e = curl_easy_init();

	if (e == NULL) {
		fprintf(stderr, "http-loop: curl_easy_init failed\n");
		exit(1);
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, body_len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
	return e;
}

static void
check(CURL *e, CURLcode rc)
{
	long status = 0;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status < 200 || status > 299) {
		if (failed++ < 5)
			fprintf(stderr, "http-loop: %s, HTTP %ld\n", curl_easy_strerror(rc), status);
	}
}

int
main(int argc, char **argv)
{
	long n, c, i, conns = 0;
	struct rusage ru;
	FILE *f;
	double t0;

	if (argc != 5 || (n = atol(argv[1])) <= 0 || (c = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: http-loop N C URL BODYFILE\n");
		return 2;
	}
	if ((f = fopen(argv[4], "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (body_len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (body = malloc((size_t)body_len + 1)) == NULL ||
	    fread(body, 1, (size_t)body_len, f) != (size_t)body_len) {
		perror(argv[4]);
		return 1;
	}
	fclose(f);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	t0 = now();
	if (c == 1) {
		struct curl_slist *list = NULL;
		CURL *e = new_handle(argv[3]);

		for (i = 0; i < n; i++) {
			prepare(e, &list, i);
			check(e, curl_easy_perform(e));
		}
		curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &conns);
		curl_easy_cleanup(e);
		curl_slist_free_all(list);
	} else {
		CURLM *m = curl_multi_init();
		CURL **e = calloc((size_t)c, sizeof(*e));
		struct curl_slist **lists = calloc((size_t)c, sizeof(*lists));
		long running = 0;

		if (m == NULL || e == NULL || lists == NULL)
			return 1;
		curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, c);
		for (i = 0; i < c && started < n; i++) {
			e[i] = new_handle(argv[3]);
			curl_easy_setopt(e[i], CURLOPT_PRIVATE, (void *)&lists[i]);
			prepare(e[i], &lists[i], started++);
			curl_multi_add_handle(m, e[i]);
			running++;
		}
		while (running > 0) {
			int still, left, added = 0;
			CURLMsg *msg;

			if (curl_multi_perform(m, &still) != CURLM_OK) {
				fprintf(stderr, "http-loop: curl_multi_perform failed\n");
				return 1;
			}
			while ((msg = curl_multi_info_read(m, &left)) != NULL) {
				struct curl_slist **list;
				long k;

				if (msg->msg != CURLMSG_DONE)
					continue;
				CURL *done = msg->easy_handle;
				CURLcode rc = msg->data.result;

				check(done, rc);
				curl_easy_getinfo(done, CURLINFO_NUM_CONNECTS, &k);
				conns += k;
				curl_multi_remove_handle(m, done);
				running--;
				if (started < n) {
					curl_easy_getinfo(done, CURLINFO_PRIVATE, (char **)&list);
					prepare(done, list, started++);
					curl_multi_add_handle(m, done);
					running++;
					added = 1;
				}
			}
			/* A handle put back starts in the next perform, not after a poll. */
			if (!added && running > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK) {
				fprintf(stderr, "http-loop: curl_multi_poll failed\n");
				return 1;
			}
		}
		for (i = 0; i < c; i++) {
			if (e[i] != NULL)
				curl_easy_cleanup(e[i]);
			curl_slist_free_all(lists[i]);
		}
		curl_multi_cleanup(m);
	}
	t0 = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("%ld %.6f %.6f\n", n, t0, (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6);
	if (conns > c)
		fprintf(stderr, "http-loop: %ld connections for concurrency %ld\n", conns, c);
	curl_global_cleanup();
	return failed ? 1 : 0;
}
