/*
 * log.c: one line per event, written atomically to stderr.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *log_progname = "hookq";
static long log_pid;   /* hookq's programs log only from the process that called log_init() */

void
log_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');

	log_progname = slash ? slash + 1 : progname;
	log_pid = (long)getpid();
}

static size_t log_vformat(char *, size_t, const char *, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

/*
 * Formats one line, with a UTC timestamp and a newline, into line (size
 * bytes, at least 64); returns its length. A line too long is cut.
 */
static size_t
log_vformat(char *line, size_t size, const char *level, const char *fmt, va_list ap)
{
	/* The date and time change once a second: format them once a second per thread. */
	static __thread time_t cached_sec = -1;
	static __thread char cached[24];
	static __thread size_t cached_len;
	struct timespec ts;
	size_t off;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached_sec) {
		struct tm tm;

		gmtime_r(&ts.tv_sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = ts.tv_sec;
	}
	memcpy(line, cached, cached_len);
	off = cached_len;
	n = snprintf(line + off, size - off, ".%03ldZ %s[%ld]: %s",
	    ts.tv_nsec / 1000000, log_progname, log_pid ? log_pid : (long)getpid(), level);
	if (n > 0)
		off += (size_t)n < size - off ? (size_t)n : size - off - 1;
	n = vsnprintf(line + off, size - off, fmt, ap);
	if (n > 0)
		off += (size_t)n < size - off ? (size_t)n : size - off - 1;
	if (off >= size - 1)
		off = size - 2;
	line[off++] = '\n';
	return off;
}

/* Writes whole lines to stderr; a short write is not worth a retry loop: logs are best effort. */
static void
log_write(const char *p, size_t len)
{
	if (write(STDERR_FILENO, p, len) < 0)
		return;
}

static void log_vline(const char *, const char *, va_list) __attribute__((format(printf, 2, 0)));

/* Formats one line and writes it with a single write(2). */
static void
log_vline(const char *level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];

	log_write(line, log_vformat(line, sizeof(line), level, fmt, ap));
}

void
log_batch_init(struct log_batch *b)
{
	b->len = 0;
}

void
log_batch_info(struct log_batch *b, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = log_vformat(line, sizeof(line), "", fmt, ap);
	va_end(ap);
	if (b == NULL) {
		log_write(line, n);
		return;
	}
	if (b->len + n > sizeof(b->buf))
		log_batch_flush(b);
	memcpy(b->buf + b->len, line, n);
	b->len += n;
}

void
log_batch_flush(struct log_batch *b)
{
	if (b->len > 0)
		log_write(b->buf, b->len);
	b->len = 0;
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("warning: ", fmt, ap);
	va_end(ap);
}

void
fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("fatal: ", fmt, ap);
	va_end(ap);
	exit(code);
}

void
log_cause(const char *cause)
{
	const char *p = cause;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');

		if (nl == NULL)
			nl = p + strlen(p);
		fprintf(stderr, "%s: %.*s\n", log_progname, (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

void
log_warn_lines(const char *cause)
{
	const char *p = cause;

	while (p != NULL && *p != '\0') {
		const char *nl = strchr(p, '\n');

		if (nl == NULL)
			nl = p + strlen(p);
		log_warn("%.*s", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

char *
log_quote(char *dst, size_t dstsize, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (dstsize < 8) {
		if (dstsize > 0)
			dst[0] = '\0';
		return dst;
	}
	dst[o++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		size_t need = (c == '"' || c == '\\') ? 2 : (c < 0x20 || c > 0x7e) ? 4 : 1;

		/* Keep room for the escape, `..."` and the terminator. */
		if (o + need + 5 > dstsize) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		if (need == 1)
			dst[o++] = (char)c;
		else if (need == 2) {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o++] = '"';
	dst[o] = '\0';
	return dst;
}
