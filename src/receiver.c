/*
 * hookq-receiver: the FastCGI responder behind nginx that verifies webhooks
 * and commits them to the SQLite queue.
 *
 * main() is a straight line: read the config, take the socket, open the
 * database and start the request threads (front.h), then wait for signals:
 * SIGHUP reloads the config, SIGTERM and SIGINT stop once every request
 * already accepted is answered.
 */
#include "autoconf.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "front.h"
#include "log.h"
#include "scheme.h"
#include "systemd.h"
#include "util.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: hookq-receiver [-n] [-c FILE]\n"
	    "  -c FILE  configuration file (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -n       check the configuration, print \"configuration OK\" and exit\n"
	    "  -V       print the version and exit\n"
	    "\n"
	    "Listens on the socket systemd passes (hookq.socket), else on the unix socket\n"
	    "[hookq] listen names, else on a listening socket inherited as fd 0\n"
	    "(spawn-fcgi). Tells systemd when it is ready (Type=notify). Exit codes: 0\n"
	    "stopped cleanly or configuration OK; 100 usage or configuration error; 111\n"
	    "system error (database, socket).\n");
}

/*
 * The settings a reload cannot change, copied from the start-up config so
 * that config (and its secrets) can be freed once a reload replaces it.
 */
struct fixed {
	char *database;
	char *listen;               /* NULL: the socket was inherited, or passed by systemd */
	int threads;
	int durability;
	int busy_timeout;
	long listen_uid, listen_gid;
	int listen_mode;
};

/* Copies cfg's restart-only settings into fx; fixed_clear() frees them. */
static void
fixed_init(struct fixed *fx, const struct config *cfg, bool created)
{
	fx->database = xstrdup(cfg->database);
	fx->listen = created ? xstrdup(cfg->listen) : NULL;
	fx->threads = cfg->threads;
	fx->durability = cfg->durability;
	fx->busy_timeout = cfg->busy_timeout;
	fx->listen_uid = cfg->listen_uid;
	fx->listen_gid = cfg->listen_gid;
	fx->listen_mode = cfg->listen_mode;
}

/* Frees what fixed_init() copied. */
static void
fixed_clear(struct fixed *fx)
{
	free(fx->database);
	free(fx->listen);
}

/* A config without sources is valid (the package ships one); say what it does. */
static void
warn_no_source(const struct config *cfg)
{
	if (cfg->nsources == 0)
		log_warn("%s has no [source NAME] section: every /hooks/ request gets 404 until"
		    " one is added", cfg->path);
}

/*
 * The listening socket: the one systemd passed (hookq.socket), else the
 * [hookq] listen socket, created, else fd 0 (spawn-fcgi). *created tells
 * whether it is ours to remove on exit.
 */
static int
take_socket(const struct config *cfg, bool *created)
{
	char *cause = NULL;
	int n = systemd_listen_fds(), fd;

	*created = false;
	if (n > 1)
		fatal(EXIT_CONFIG, "systemd passed %d sockets: hookq.socket must have one"
		    " ListenStream", n);
	if (n == 1) {
		fd = SYSTEMD_LISTEN_FD;
		if (!front_listening(fd))
			fatal(EXIT_CONFIG, "the socket systemd passed is not a listening stream socket");
		if (cfg->listen != NULL)
			log_info("listening on the socket systemd passed; [hookq] listen %s is not used",
			    cfg->listen);
		return fd;
	}
	if (cfg->listen != NULL) {
		fd = front_listen(cfg, &cause);
		if (fd < 0)
			fatal(EXIT_SYSTEM, "%s", cause);
		*created = true;
		return fd;
	}
	if (front_listening(0))
		return 0;
	fatal(EXIT_CONFIG, "%s: [hookq] has no listen, fd 0 is not a listening socket, and"
	    " systemd passed none", cfg->path);
}

/* Reloads the config on SIGHUP; keeps the old one if the new one is bad. */
static void
reload(struct front *front, const char *path, const struct fixed *running)
{
	struct config *cfg;
	char *cause = NULL;

	systemd_notify_reloading();
	cfg = config_load(path, &cause);
	if (cfg == NULL) {
		systemd_notify("READY=1\nSTATUS=reload failed: running the configuration it had");
		log_warn("reload failed, keeping the running configuration:");
		log_warn_lines(cause);
		free(cause);
		return;
	}
	if (strcmp(cfg->database, running->database) != 0 ||
	    (running->listen != NULL &&
	    (cfg->listen == NULL || strcmp(cfg->listen, running->listen) != 0)) ||
	    cfg->threads != running->threads || cfg->durability != running->durability ||
	    cfg->busy_timeout != running->busy_timeout ||
	    (running->listen != NULL && (cfg->listen_uid != running->listen_uid ||
	    cfg->listen_gid != running->listen_gid || cfg->listen_mode != running->listen_mode)))
		log_warn("database, listen, listen_owner, listen_group, listen_mode, threads,"
		    " durability and busy_timeout change only on restart");
	log_info("configuration reloaded: %zu sources", cfg->nsources);
	warn_no_source(cfg);
	front_set_config(front, cfg);
	systemd_notify("READY=1\nSTATUS=running");
}

int
main(int argc, char **argv)
{
	const char *path = CONFIG_DEFAULT_PATH;
	struct commit_stats stats;
	struct front *front;
	struct config *cfg;
	struct fixed boot;
	char *cause = NULL;
	int check = 0, ch, fd, sig;
	bool created;
	sigset_t set;

	log_init("hookq-receiver");
	while ((ch = getopt(argc, argv, "c:nVh")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'V':
			printf("hookq-receiver %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	fds_sanitize();

	cfg = config_load(path, &cause);
	if (cfg == NULL) {
		log_cause(cause);
		free(cause);
		return EXIT_CONFIG;
	}
	if (check) {
		printf("configuration OK\n");
		config_free(cfg);
		return EXIT_OK;
	}
	if (scheme_init() != 0)
		fatal(EXIT_SYSTEM, "cannot initialise libsodium");

	fd = take_socket(cfg, &created);
	warn_no_source(cfg);

	/* Threads inherit this mask; only main() takes these signals, with sigwait(). */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* The front holds the only reference: a reload frees this config, secrets and all. */
	fixed_init(&boot, cfg, created);
	front = front_start(fd, cfg, &cause);
	if (front == NULL) {
		if (created)
			unlink(cfg->listen);
		fatal(EXIT_SYSTEM, "%s", cause);
	}
	log_info("listening on %s with %d threads; database %s (durability %s, ack %s)",
	    created ? cfg->listen : fd == 0 ? "fd 0" : "the socket systemd passed", cfg->threads,
	    cfg->database, cfg->durability == DURABILITY_FULL ? "full" : "normal",
	    cfg->ack == ACK_COMMIT ? "commit" : "receipt");
	/* The socket is listening and the database took a write (front_start()). */
	systemd_notify("READY=1\nSTATUS=running");

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			reload(front, path, &boot);
			continue;
		}
		break;
	}
	log_info("stopping on signal %d", sig);
	systemd_notify("STOPPING=1");
	front_stop(front, &stats);
	if (boot.listen != NULL)
		unlink(boot.listen);
	fixed_clear(&boot);
	log_info("stopped: %llu events written in %llu transactions (at most %llu in one);"
	    " %llu duplicates; %llu not written (answered 503)",
	    (unsigned long long)stats.events, (unsigned long long)stats.transactions,
	    (unsigned long long)stats.largest, (unsigned long long)stats.duplicates,
	    (unsigned long long)stats.failed);
	return EXIT_OK;
}
