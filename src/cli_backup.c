/*
 * cli_backup.c: hookq backup FILE. A consistent copy of the queue while the
 * receiver and worker run: store_backup() copies one snapshot with SQLite's
 * online backup API into FILE.tmp-XXXXXX (mode 0600: the rows hold webhook
 * bodies), which is fsynced and then linked to FILE, so FILE is either
 * absent or a complete copy, and an existing FILE (even one made while we
 * copied) is never replaced.
 *
 * hookq migrate-to URL: the queue of the SQLite file into an empty
 * PostgreSQL database, every row and its state (store_copy()).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

/* Flushes path (a file or a folder) to disk; 0 or -1 with errno set. */
static int
sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc, saved;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Removes the temporary copy and the rollback journal SQLite may leave by it. */
static void
remove_tmp(const char *tmp)
{
	size_t n = strlen(tmp) + sizeof("-journal");
	char *journal = xmalloc(n);

	snprintf(journal, n, "%s-journal", tmp);
	unlink(journal);
	unlink(tmp);
	free(journal);
}

int
cli_backup(struct cli *cli, int argc, char **argv)
{
	struct stat sb;
	const char *file;
	char *tmp = NULL, *dir = NULL;
	int64_t events = 0;
	int rc, fd, version = 0, code = EXIT_SYSTEM;
	size_t n;

	if ((rc = cli_no_options(cli, argc, argv)) >= 0)
		return rc;
	if (optind != argc - 1)
		return cli_usage(cli);
	file = argv[optind];
	if (*file == '\0') {
		cli_error("backup: an empty file name");
		return EXIT_CONFIG;
	}
	if (lstat(file, &sb) == 0) {
		cli_error("%s: already exists: hookq backup never replaces a file (remove it or"
		    " name another)", file);
		return EXIT_REFUSED;
	}
	if (errno != ENOENT) {
		cli_error("%s: %s", file, strerror(errno));
		return EXIT_SYSTEM;
	}
	if ((rc = cli_config(cli, false)) != 0)
		return rc;
	if (store_is_url(cli->cfg->database)) {
		cli_error("backup: hookq backup copies a SQLite file; back up a PostgreSQL"
		    " database with pg_dump (README: More than one machine)");
		return EXIT_REFUSED;
	}
	if ((rc = cli_store(cli, STORE_READ)) != 0)
		return rc;

	n = strlen(file) + sizeof(".tmp-XXXXXX");
	tmp = xmalloc(n);
	snprintf(tmp, n, "%s.tmp-XXXXXX", file);
	fd = mkstemp(tmp); /* 0600 */
	if (fd < 0) {
		cli_error("%s: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	if (store_backup(cli->store, tmp, &events, &version) != 0) {
		cli_error("database %s: %s", cli->cfg->database, store_error(cli->store));
		remove_tmp(tmp);
		goto out;
	}
	dir = path_folder(file);
	/* link(), not rename(): a FILE made while we copied is not replaced. */
	if (sync_path(tmp) != 0 || link(tmp, file) != 0) {
		int saved = errno;

		cli_error("%s: %s", saved == EEXIST ? file : tmp, strerror(saved));
		if (saved == EEXIST)
			code = EXIT_REFUSED;
		remove_tmp(tmp);
		goto out;
	}
	unlink(tmp);
	if (sync_path(dir) != 0) {
		cli_error("%s: %s (the copy is complete but may not be on disk yet)", dir,
		    strerror(errno));
		goto out;
	}
	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		cli_json_kstr(g, "database", cli->cfg->database);
		cli_json_kstr(g, "backup", file);
		cli_json_kint(g, "events", events);
		cli_json_kint(g, "schema_version", version);
		yajl_gen_map_close(g);
		cli_json_end(g);
	} else
		printf("backup %s of %s: %" PRId64 " event%s, schema version %d\n", file,
		    cli->cfg->database, events, events == 1 ? "" : "s", version);
	code = EXIT_OK;
out:
	free(tmp);
	free(dir);
	return code;
}

int
cli_migrate_to(struct cli *cli, int argc, char **argv)
{
	struct store_options opt;
	struct store_copied c;
	struct store *to;
	const char *url;
	char *cause = NULL, *why;
	int rc;

	if ((rc = cli_no_options(cli, argc, argv)) >= 0)
		return rc;
	if (optind != argc - 1)
		return cli_usage(cli);
	url = argv[optind];
	if (!store_is_url(url)) {
		cli_error("migrate-to: %s is not a postgresql:// URL", url);
		return EXIT_CONFIG;
	}
	/* As in the config: a password in the URL would be in ps and the shell's history. */
	if ((why = store_url_problem(url)) != NULL) {
		cli_error("migrate-to: %s", why);
		free(why);
		return EXIT_CONFIG;
	}
	if ((rc = cli_config(cli, false)) != 0)
		return rc;
	if (store_is_url(cli->cfg->database)) {
		cli_error("migrate-to: the configured database is PostgreSQL already");
		return EXIT_REFUSED;
	}
	if ((rc = cli_store(cli, STORE_READ)) != 0)
		return rc;
	memset(&opt, 0, sizeof(opt));
	opt.durability_full = true;
	opt.busy_timeout = cli->cfg->busy_timeout;
	opt.password_file = cli->cfg->password_file;
	opt.program = "hookq migrate-to";
	/* Migrates the target's schema: the copy needs its tables. */
	if ((to = store_open_mode(url, &opt, STORE_MIGRATE, &cause)) == NULL) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_SYSTEM;
	}
	if (store_copy(cli->store, to, &c) != 0) {
		cli_error("migrate-to %s: %s; nothing was copied", url, store_error(to));
		store_close(to);
		return EXIT_SYSTEM;
	}
	store_close(to);
	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		cli_json_kstr(g, "database", cli->cfg->database);
		cli_json_kstr(g, "to", url);
		cli_json_kint(g, "events", c.events);
		cli_json_kint(g, "deliveries", c.deliveries);
		cli_json_kint(g, "route_state", c.route_state);
		cli_json_kint(g, "route_stats", c.route_stats);
		yajl_gen_map_close(g);
		cli_json_end(g);
	} else
		printf("copied %s to %s: %" PRId64 " events, %" PRId64 " deliveries, %" PRId64
		    " rate buckets, %" PRId64 " counters\n"
		    "set database = %s in %s and start hookq-receiver and hookq-worker\n",
		    cli->cfg->database, url, c.events, c.deliveries, c.route_state, c.route_stats,
		    url, cli->cfg->path);
	return EXIT_OK;
}
