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

static void log_vline(const char *, const char *, va_list) __attribute__((format(printf, 2, 0)));

/* Formats one line with a UTC timestamp and writes it with a single write(2). */
static void
log_vline(const char *level, const char *fmt, va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t off;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	off = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + off, sizeof(line) - off, ".%03ldZ %s[%ld]: %s",
	    ts.tv_nsec / 1000000, log_progname, log_pid ? log_pid : (long)getpid(), level);
	if (n > 0)
		off += (size_t)n < sizeof(line) - off ? (size_t)n : sizeof(line) - off - 1;
	n = vsnprintf(line + off, sizeof(line) - off, fmt, ap);
	if (n > 0)
		off += (size_t)n < sizeof(line) - off ? (size_t)n : sizeof(line) - off - 1;
	if (off >= sizeof(line) - 1)
		off = sizeof(line) - 2;
	line[off++] = '\n';
	/* A short write to stderr is not worth a retry loop: logs are best effort. */
	if (write(STDERR_FILENO, line, off) < 0)
		return;
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
