/*
 * handler.h: one run of an operator's handler command for one event.
 *
 * The handler runs without a shell in its own process group, so a timeout
 * can stop it with everything it started. It reads the exact body on stdin
 * (a sealed in-memory file, so a handler that does not read it never blocks
 * the worker) and finds the event's metadata in its environment. Its stdout
 * and stderr are logged line by line; the last HANDLER_ERR_TAIL bytes of
 * stderr are kept for last_error.
 */
#ifndef HOOKQ_HANDLER_H
#define HOOKQ_HANDLER_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define HANDLER_ERR_TAIL 4096
#define HANDLER_LINE_MAX 1024
/* After SIGTERM, how long a handler's process group has before SIGKILL. */
#define HANDLER_KILL_GRACE_MS 5000

struct handler_stream {
	int fd;                         /* -1 once closed */
	char line[HANDLER_LINE_MAX];    /* the line being read, for the log */
	size_t len;
};

struct handler {
	pid_t pid;                      /* also its process group; 0 once reaped */
	struct handler_stream out, err;
	char tail[HANDLER_ERR_TAIL];    /* ring of the last stderr bytes */
	size_t tail_len, tail_pos;
	int64_t started_us;             /* clock_mono_us() */
	int64_t term_at_us, kill_at_us; /* when to send SIGTERM, then SIGKILL; 0: not planned */
	bool timed_out;                 /* SIGTERM came from handler_timeout */
	bool stopped;                   /* SIGTERM came from the worker stopping */
	int status;                     /* waitpid() status once reaped */
	char label[320];                /* "route=R delivery=D source=S row=N attempt=A", for logs */
};

/*
 * The program execve() will run for argv0: argv0 itself when it has a '/',
 * else the first executable regular file of that name in PATH (an empty
 * entry is the working folder, as execvp(3) has it; no PATH: the default
 * /usr/local/bin:/usr/bin:/bin), else NULL: never argv0 as it is, which
 * execve() would take from the working folder. malloc'd. hookq check looks
 * handlers up with it, so it finds what the worker will run.
 */
char *handler_find_program(const char *argv0);

/*
 * Starts argv for job, stopping it after timeout_ms. Its environment has
 * the job's HOOKQ_* variables, and HOOKQ_LAST_ERROR when last_error is not
 * NULL (on_dead). Returns 0, or -1 with *cause (malloc'd) when it could not
 * even fork; a program that cannot be executed is a handler that exits
 * 127, with the reason on its stderr.
 */
int handler_start(struct handler *, char *const argv[], const struct store_job *,
    int64_t timeout_ms, const char *last_error, char **cause);
/* Reads what fd (out or err) has, logging whole lines; closes it at end of file. */
void handler_read(struct handler *, int fd);
/* Marks h reaped with status, reads what its pipes still hold, and closes them. */
void handler_reaped(struct handler *, int status);
/* Acts on the SIGTERM and SIGKILL deadlines at now_us; returns the next one, or 0. */
int64_t handler_tick(struct handler *, int64_t now_us);
/* Stops h now, for the worker's shutdown: SIGTERM, then SIGKILL after the grace. */
void handler_stop(struct handler *, int64_t now_us);
/* True when it exited 0 by itself. */
bool handler_succeeded(const struct handler *);
/* What happened, then the stderr tail: malloc'd, for last_error. */
char *handler_failure(const struct handler *, int64_t timeout_ms);
/* what, then a newline and the stderr tail when there is one: malloc'd, for last_error. */
char *handler_tail_text(const struct handler *, const char *what);
/*
 * For stream.c's long-lived handlers: the environment a handler gets, but
 * with the count NAME=VALUE pairs given instead of an event's; and a start
 * of argv with the given descriptors as its 0, 1 and 2, found and run as
 * handler_start() does (own process group, SIGKILL with the worker).
 * handler_spawn() returns the pid, or -1 with errno.
 */
char **handler_env_with(const char *const names[], const char *const values[], size_t count);
void handler_env_free(char **);
pid_t handler_spawn(char *const argv[], char *const env[], int in, int out, int err);
/* "exit 3", "signal 9", "timeout": short, for the log line. */
const char *handler_outcome(const struct handler *, char *buf, size_t size);

#endif
