/*
 * front.h: the FastCGI front of hookq-receiver. A pool of threads, each in
 * its own FCGX_Accept_r loop on the shared listening socket, runs the
 * request path: route, read the body, verify, insert (through group
 * commit), answer, and one log line. Requests for [hookq] metrics_path and
 * health_path are answered here too (metrics.h). This is the only module
 * that calls libfcgi.
 */
#ifndef HOOKQ_FRONT_H
#define HOOKQ_FRONT_H

#include "commit.h"
#include "config.h"

struct front;

/*
 * Creates the unix socket at path (mode 0660), replacing a stale one but
 * never one a live process listens on. Returns the listening fd, or -1 with
 * *cause set (malloc'd).
 */
int front_listen(const char *path, char **cause);
/* True when fd 0 is a listening socket (spawn-fcgi, systemd StandardInput=socket). */
int front_inherited(void);

/*
 * Starts nthreads request threads on listen_fd. The front takes the
 * caller's reference to cfg.
 */
struct front *front_start(int listen_fd, int nthreads, struct config *cfg,
    struct committer *);
/* Swaps in a new config (taking the caller's reference); requests under way keep the old one. */
void front_set_config(struct front *, struct config *);
/* Stops accepting, lets requests under way finish, joins the threads. */
void front_stop(struct front *);

#endif
