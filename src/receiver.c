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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "front.h"
#include "log.h"
#include "scheme.h"
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
	    "Listens on the unix socket [hookq] listen names, or on a listening socket\n"
	    "inherited as fd 0 (spawn-fcgi). Exit codes: 0 stopped cleanly or configuration\n"
	    "OK; 100 usage or configuration error; 111 system error (database, socket).\n");
}

/*
 * The settings a reload cannot change, copied from the start-up config so
 * that config (and its secrets) can be freed once a reload replaces it.
 */
struct fixed {
	char *database;
	char *listen;               /* NULL: the socket was inherited */
	int threads;
	int durability;
	int busy_timeout;
};

/* Copies cfg's restart-only settings into fx; fixed_clear() frees them. */
static void
fixed_init(struct fixed *fx, const struct config *cfg)
{
	fx->database = xstrdup(cfg->database);
	fx->listen = cfg->listen != NULL ? xstrdup(cfg->listen) : NULL;
	fx->threads = cfg->threads;
	fx->durability = cfg->durability;
	fx->busy_timeout = cfg->busy_timeout;
}

/* Frees what fixed_init() copied. */
static void
fixed_clear(struct fixed *fx)
{
	free(fx->database);
	free(fx->listen);
}

/* Reloads the config on SIGHUP; keeps the old one if the new one is bad. */
static void
reload(struct front *front, const char *path, const struct fixed *running)
{
	struct config *cfg;
	char *cause = NULL;

	cfg = config_load(path, &cause);
	if (cfg == NULL) {
		log_warn("reload failed, keeping the running configuration:");
		log_warn_lines(cause);
		free(cause);
		return;
	}
	if (strcmp(cfg->database, running->database) != 0 ||
	    (cfg->listen == NULL) != (running->listen == NULL) ||
	    (cfg->listen != NULL && strcmp(cfg->listen, running->listen) != 0) ||
	    cfg->threads != running->threads || cfg->durability != running->durability ||
	    cfg->busy_timeout != running->busy_timeout)
		log_warn("database, listen, threads, durability and busy_timeout change only on restart");
	log_info("configuration reloaded: %zu sources", cfg->nsources);
	front_set_config(front, cfg);
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

	if (cfg->listen != NULL) {
		fd = front_listen(cfg->listen, &cause);
		if (fd < 0)
			fatal(EXIT_SYSTEM, "%s", cause);
	} else if (front_inherited())
		fd = 0;
	else
		fatal(EXIT_CONFIG, "%s: [hookq] has no listen, and fd 0 is not a listening socket",
		    path);

	/* Threads inherit this mask; only main() takes these signals, with sigwait(). */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* The front holds the only reference: a reload frees this config, secrets and all. */
	fixed_init(&boot, cfg);
	front = front_start(fd, cfg, &cause);
	if (front == NULL) {
		if (cfg->listen != NULL)
			unlink(cfg->listen);
		fatal(EXIT_SYSTEM, "%s", cause);
	}
	log_info("listening on %s with %d threads; database %s (durability %s, ack %s)",
	    cfg->listen ? cfg->listen : "fd 0", cfg->threads, cfg->database,
	    cfg->durability == DURABILITY_FULL ? "full" : "normal",
	    cfg->ack == ACK_COMMIT ? "commit" : "receipt");

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
	front_stop(front, &stats);
	if (boot.listen != NULL)
		unlink(boot.listen);
	fixed_clear(&boot);
	log_info("stopped: %llu events written in %llu transactions (at most %llu in one)",
	    (unsigned long long)stats.events, (unsigned long long)stats.transactions,
	    (unsigned long long)stats.largest);
	return EXIT_OK;
}
