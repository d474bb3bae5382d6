/*
 * hookq: the operator's command. Reads the same configuration as the
 * daemons, and the queue through store.c: init, check, status, list,
 * show, requeue, purge, replay, backup and sign. One table of commands; each is a function
 * that parses its own options. See cli.h for the shared helpers and the
 * exit codes.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static const struct cli_command COMMANDS[] = {
	{ "init", cli_init, "init" },
	{ "check", cli_check, "check [--user NAME]" },
	{ "status", cli_status, "status" },
	{ "list", cli_list, "list [--source S] [--route R] [--status S] [--limit N]" },
	{ "show", cli_show, "show ID | show --event ID" },
	{ "requeue", cli_requeue, "requeue [--force] ID... |"
	  " requeue --dead [--source S] [--route R]" },
	{ "purge", cli_purge, "purge --done|--dead --older-than DURATION" },
	{ "replay", cli_replay, "replay [--source S] [--route R] [--type T] [--since TIME]"
	  " [--until TIME] [--status done|dead] [--dry-run]" },
	{ "backup", cli_backup, "backup FILE" },
	{ "migrate-to", cli_migrate_to, "migrate-to URL" },
	{ "sign", cli_sign, "sign SOURCE [--body FILE] [--type T] [--url URL]" },
};

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: hookq [-c FILE] [--json] COMMAND [ARGS]\n");
	for (i = 0; i < nitems(COMMANDS); i++)
		fprintf(out, "       hookq %s\n", COMMANDS[i].usage);
	fprintf(out,
	    "  -c FILE  configuration file (default " CONFIG_DEFAULT_PATH ")\n"
	    "  --json   output JSON (every command)\n"
	    "  -V       print the version and exit\n"
	    "\n"
	    "init      create the database, or bring its schema up to date (the only\n"
	    "          command that migrates; status, list, show and backup only read)\n"
	    "check     check the configuration as the daemons would, and more: secret\n"
	    "          files others can read, handlers missing or not executable; as\n"
	    "          root, also what the daemons' user (--user, default hookq) meets:\n"
	    "          secrets it cannot read, a database it cannot write, a socket\n"
	    "          nginx's user cannot connect to\n"
	    "status    deliveries per source, route and status, events not routed yet\n"
	    "          or that no route took, the oldest pending, dead letters, the\n"
	    "          last event received per source\n"
	    "list      the newest deliveries (default 20), by source, route and status;\n"
	    "          --status unrouted|unmatched lists events without one\n"
	    "show      one delivery with its event's headers and body; --event ID: an\n"
	    "          event and all its deliveries\n"
	    "requeue   put dead deliveries back to pending, attempts reset (logged);\n"
	    "          done ones only with --force, which runs their handler again; held\n"
	    "          instead while another delivery of its order key is pending or\n"
	    "          running\n"
	    "purge     delete done or dead deliveries finished longer ago than DURATION\n"
	    "          (7d, 12h, 30m, 45s; a bare number is seconds), and the events\n"
	    "          left without one; --done also events no route took\n"
	    "replay    a new delivery (pending, attempts 0) for every done or dead one\n"
	    "          that the filters select (at least one; logged); TIME is a UTC\n"
	    "          time (2026-12-03T10:00:00Z) or a duration ago (2h); --dry-run\n"
	    "          only counts them\n"
	    "backup    a consistent copy of the database into FILE (new, mode 0600)\n"
	    "          while the receiver and worker run (SQLite; pg_dump for PostgreSQL)\n"
	    "migrate-to copy the SQLite queue, every event and delivery with its state,\n"
	    "          into the empty PostgreSQL database at URL, in one transaction\n"
	    "          (stop the daemons first; then set database = URL)\n"
	    "sign      print a curl command that sends a test event signed with the\n"
	    "          source's secret (HMAC schemes), to test the whole chain\n"
	    "\n"
	    "Exit codes: 0 done; 1 not found, refused, or check found problems;\n"
	    "100 usage or configuration error; 111 system or database error.\n");
}

/* ---- the command table ---------------------------------------------------- */

static const struct cli_command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(COMMANDS); i++)
		if (strcmp(COMMANDS[i].name, name) == 0)
			return &COMMANDS[i];
	return NULL;
}

/* ---- main ------------------------------------------------------------------ */

int
main(int argc, char **argv)
{
	static const struct option LONG[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli cli;
	const struct cli_command *c;
	int ch, rc;

	memset(&cli, 0, sizeof(cli));
	cli.path = CONFIG_DEFAULT_PATH;
	log_init("hookq");
	fds_sanitize();
	while ((ch = getopt_long(argc, argv, "+c:hV", LONG, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli.path = optarg;
			break;
		case 'J':
			cli.json = true;
			break;
		case 'V':
			printf("hookq %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	c = find_command(argv[optind]);
	if (c == NULL) {
		cli_error("%s: no such command", argv[optind]);
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (scheme_init() != 0) {
		cli_error("cannot initialise libsodium");
		return EXIT_SYSTEM;
	}
	cli.command = c;
	rc = c->run(&cli, argc - optind, argv + optind);
	store_close(cli.store);
	config_free(cli.cfg);
	return rc;
}
