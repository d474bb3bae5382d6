/*
 * systemd.h: the two parts of systemd's protocols the daemons speak,
 * without libsystemd: socket activation (sd_listen_fds(3): LISTEN_PID and
 * LISTEN_FDS name the sockets passed from fd 3 on) and readiness
 * notification (sd_notify(3): a datagram of "KEY=VALUE" lines to the unix
 * socket $NOTIFY_SOCKET). Both are documented as stable interfaces
 * (systemd.io/PORTABILITY_AND_STABILITY); outside systemd they do nothing.
 */
#ifndef HOOKQ_SYSTEMD_H
#define HOOKQ_SYSTEMD_H

/* The first socket systemd passes (SD_LISTEN_FDS_START). */
#define SYSTEMD_LISTEN_FD 3

/*
 * The number of sockets systemd passed to this process (0 when it passed
 * none, or they were meant for another process), and unsets LISTEN_PID,
 * LISTEN_FDS and LISTEN_FDNAMES so children (handlers) do not take them.
 * The fds are made close-on-exec.
 */
int systemd_listen_fds(void);

/*
 * Sends state ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...", lines
 * joined by '\n') to $NOTIFY_SOCKET. Returns 1 when sent, 0 when there is no
 * NOTIFY_SOCKET, -1 with errno set when sending failed.
 */
int systemd_notify(const char *state);

/* "RELOADING=1" with the MONOTONIC_USEC= that systemd 253 and later ask for. */
int systemd_notify_reloading(void);

#endif
