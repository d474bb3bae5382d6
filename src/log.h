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

void log_info(const char *fmt, ...) PRINTFLIKE(1, 2);
void log_warn(const char *fmt, ...) PRINTFLIKE(1, 2);
/* Logs an error and exits with code: for start-up failures only. */
void fatal(int code, const char *fmt, ...) PRINTFLIKE(2, 3) __attribute__((noreturn));

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
