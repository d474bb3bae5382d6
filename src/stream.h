/*
 * stream.h: one long-lived handler process of a route with handler_mode =
 * stream, fed one event at a time. Process start is what bounds a handler
 * per event (about 0.5 ms of the worker's and the kernel's time); a stream
 * handler pays it once.
 *
 * The framing, per event, on the handler's stdin: one JSON line
 *   {"delivery_id":D,"row_id":N,"event_id":"…","source":"…","route":"…",
 *    "event_type":"…"|null,"attempt":A,"headers":{…},"body_length":L}
 * then exactly L bytes of body, then "\n". The handler answers one line on
 * stdout: "ok", "retry[ REASON]" or "dead[ REASON]". Anything else, an exit
 * or a closed stdout while an event is out, or an event past its timeout
 * makes the process useless: it is killed (its process group) and the
 * event's attempt failed. End of file on stdin asks it to exit.
 *
 * The process is a struct handler (handler.h) for what a handler process
 * has anyway: its group, its stderr logged line by line with a tail kept,
 * its kill deadlines. Everything is non-blocking, driven by the worker's
 * poll() loop.
 */
#ifndef HOOKQ_STREAM_H
#define HOOKQ_STREAM_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "handler.h"
#include "store.h"

enum stream_verdict {
	STREAM_PENDING,  /* no event out, or its answer not in yet */
	STREAM_OK,       /* "ok" */
	STREAM_RETRY,    /* "retry REASON" */
	STREAM_DEAD,     /* "dead REASON" */
	STREAM_FAILED,   /* the process failed the event: it is killed or gone */
};

struct stream {
	struct handler h;              /* pid, stderr, kill deadlines; h.out is unused */
	int in_fd, out_fd;             /* -1 once closed */
	char *frame;                   /* being written to stdin */
	size_t frame_len, frame_off;
	char line[HANDLER_LINE_MAX];   /* stdout's line being read */
	size_t line_len;
	bool busy;                     /* an event is out */
	bool broken;                   /* no more events: killed, or its stdin or stdout closed */
	bool stdout_closed;            /* with an event out: failed at deadline_us unless reaped first */
	int64_t timeout_ms, deadline_us;
	enum stream_verdict verdict;
	char *why;                     /* the verdict's reason, for last_error */
	char name[200];                /* "route=R stream", for logs between events */
};

/* Starts argv as route's stream handler. Returns 0, or -1 with *cause (malloc'd). */
int stream_start(struct stream *, char *const argv[], const char *route, const char *source,
    char **cause);
/* True while it can take an event: running, idle, neither broken nor asked to stop. */
bool stream_ready(const struct stream *);
/*
 * Sends job's frame (writing what the pipe takes now, the rest on POLLOUT);
 * its answer is due within timeout_ms. Returns -1 when the process cannot
 * take it (not ready).
 */
int stream_send(struct stream *, const struct store_job *, int64_t timeout_ms);
/* Adds its descriptors (at most 3) to pfd; returns how many. */
int stream_pollfds(struct stream *, struct pollfd *pfd, int max);
/* Acts on what poll() said of fd: writes more of the frame, reads answers or stderr. */
void stream_io(struct stream *, int fd, short revents);
/* Acts on the event's timeout and the kill deadlines; returns the next one, or 0. */
int64_t stream_tick(struct stream *, int64_t now_us);
/* The process ended (waitpid() status): reads what it left, fails an event still out. */
void stream_reaped(struct stream *, int status);
/*
 * The event's verdict once known, and *why (malloc'd, NULL for ok); the
 * stream then is idle again (or broken: STREAM_FAILED). STREAM_PENDING
 * while there is none.
 */
enum stream_verdict stream_result(struct stream *, char **why);
/*
 * Asks it to stop: end of file on stdin, then SIGTERM after
 * HANDLER_KILL_GRACE_MS and SIGKILL as a handler's; with an event out
 * (the worker's shutdown past stop_grace), SIGTERM now.
 */
void stream_stop(struct stream *, int64_t now_us);
/* Frees what it holds (once reaped). */
void stream_free(struct stream *);

#endif
