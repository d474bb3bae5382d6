/*
 * front.h: the FastCGI front of hookq-receiver. Request threads take
 * connections from one epoll set and run the request path: route, read the
 * body, verify, then answer at once or hand the event to the committer
 * (commit.h), which answers it after its commit. Requests for [hookq]
 * metrics_path and health_path are answered here too (metrics.h). This is
 * the only module that calls libfcgi.
 */
#ifndef HOOKQ_FRONT_H
#define HOOKQ_FRONT_H

#include "commit.h"
#include "config.h"

struct front;

/*
 * Creates the unix socket cfg->listen with cfg's listen_owner, listen_group
 * and listen_mode, replacing a stale one (a socket file that refuses
 * connections) but never one a live process listens on, nor one it cannot
 * tell about. Returns the listening fd, or -1 with *cause set (malloc'd).
 */
int front_listen(const struct config *cfg, char **cause);
/* True when fd is a listening socket (fd 0 under spawn-fcgi, fd 3 from systemd). */
int front_listening(int fd);

/*
 * Opens the database (through the committer) and starts cfg->threads
 * request threads on listen_fd. The front takes the caller's reference to
 * cfg. Returns NULL with *cause set (malloc'd) when the database cannot be
 * opened.
 */
struct front *front_start(int listen_fd, struct config *cfg, char **cause);
/* Swaps in a new config (taking the caller's reference); requests under way keep the old one. */
void front_set_config(struct front *, struct config *);
/*
 * Stops taking connections, answers every request already accepted or sent
 * (200 once committed, or 503), closes every connection and the database,
 * and fills *stats with the committer's counters.
 */
void front_stop(struct front *, struct commit_stats *stats);

#endif
