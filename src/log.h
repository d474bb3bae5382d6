/*
 * log.h: hookq's log lines and exit codes.
 *
 * Every line goes to stderr in one write(2), so lines from concurrent
 * threads never interleave, as "TIME PROGRAM[PID]: LEVEL: message". Values
 * that come from a request go through log_quote() first, so a sender cannot
 * forge or split log lines. Secrets and bodies are never logged.
 */
#ifndef HOOKQ_LOG_H
#define HOOKQ_LOG_H

#include <stddef.h>

/* Exit codes, as in skarnet's s6: documented in README.md. */
#define EXIT_OK 0
#define EXIT_CONFIG 100 /* usage or configuration error */
#define EXIT_SYSTEM 111 /* system failure: database, socket, memory */

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))

/* Sets the program name that prefixes every line. */
void log_init(const char *progname);

/* The longest line; longer ones are cut. */
#define LOG_LINE_MAX 2048

void log_info(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_warn(const char *fmt, ...) PRINTFLIKE(1, 2);
/* Logs an error and exits with code: for start-up failures only. */
void fatal(int code, const char *fmt, ...) PRINTFLIKE(2, 3) __attribute__((noreturn));

/*
 * Info lines gathered on one thread and written together, so a thread that
 * finishes many requests at once (the committer, after a commit) makes one
 * write(2) for many log lines. The buffer is PIPE_BUF long: each write of
 * whole lines is atomic on a pipe (journald) as well as on a file.
 */
struct log_batch {
	size_t len;
	char buf[4096];
};
_Static_assert(sizeof(((struct log_batch *)0)->buf) >= LOG_LINE_MAX, "a line fits a batch");

void log_batch_init(struct log_batch *);
/* Adds an info line to b, writing b's lines first when it is full; b NULL: written now. */
void log_batch_info(struct log_batch *b, const char *fmt, ...) PRINTFLIKE(2, 3);
/* Writes b's lines, if any. */
void log_batch_flush(struct log_batch *);

/*
 * Prints a multi-line cause (config_load's "FILE:LINE: message" lines) to
 * stderr, each line as "PROGRAM: line": for start-up and the CLI, where a
 * person reads them.
 */
void log_cause(const char *cause);
/* Logs each line of a multi-line cause as a warning line of its own. */
void log_warn_lines(const char *cause);

/*
 * Writes src (len bytes, may hold any byte) into dst as a double-quoted log
 * value: printable ASCII as is, quote and backslash escaped, other bytes as
 * \xHH, cut with "..." when longer than fits. Returns dst.
 */
char *log_quote(char *dst, size_t dstsize, const char *src, size_t len);

#endif
