/*
 * cli.h: what the hookq command's files share (src/hookq.c holds main()
 * and the command table; cli_queue.c the queue's commands, cli_check.c,
 * cli_sign.c and cli_backup.c one command each, cli.c the helpers). Output is for
 * people by default and JSON (yajl_gen) with --json. Exit codes: 0 done;
 * 1 something not found, refused, or a check that found problems; 100
 * (EXIT_CONFIG) usage or configuration; 111 (EXIT_SYSTEM) system or
 * database.
 */
#ifndef HOOKQ_CLI_H
#define HOOKQ_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <getopt.h>

#include <yajl/yajl_gen.h>

#include "config.h"
#include "log.h"
#include "store.h"

#define EXIT_REFUSED 1 /* not found, refused, or problems found */

struct cli {
	const struct cli_command *command; /* the one running, set by main() */
	const char *path;      /* the configuration file */
	bool json;
	struct config *cfg;    /* loaded on demand by cli_config() */
	struct store *store;   /* opened on demand by cli_store() */
};

/* One command: its name, its function (argv[0] is the name) and its usage line. */
struct cli_command {
	const char *name;
	int (*run)(struct cli *, int argc, char **argv);
	const char *usage;
};

/*
 * Loads the configuration; prints why not and returns EXIT_CONFIG when it
 * fails. With secrets false the sources' secret files are not opened
 * (CONFIG_NO_SECRETS): the commands that only read and change the queue
 * run as users who may not read them.
 */
int cli_config(struct cli *, bool secrets);
/*
 * Opens the database (after cli_config()) in mode: STORE_MIGRATE for init
 * only, STORE_READ for the commands that only read, STORE_WRITE for the
 * others. Unless STORE_MIGRATE, a missing file is an error (EXIT_SYSTEM),
 * not a new database; so is a schema older or newer than this build's.
 */
int cli_store(struct cli *, enum store_mode);
/* "hookq: message" on stderr. */
void cli_error(const char *fmt, ...) PRINTFLIKE(1, 2);
/* Prints the command's usage line to stderr and returns EXIT_CONFIG. */
int cli_usage(const struct cli *);

/*
 * Every command's options end with CLI_COMMON_OPTIONS (--json, --help);
 * cli_common_option() handles those and bad options: it returns -1 when
 * the command goes on, else the exit code to return.
 */
#define CLI_COMMON_OPTIONS { "json", no_argument, NULL, 'J' }, { "help", no_argument, NULL, 'h' }
int cli_common_option(struct cli *, int ch);

/* JSON output: a generator writing to stdout when cli_json_end() is called. */
yajl_gen cli_json_begin(void);
void cli_json_end(yajl_gen);
void cli_json_str(yajl_gen, const char *s);        /* NULL gives null */
void cli_json_strn(yajl_gen, const char *s, size_t len);
void cli_json_int(yajl_gen, int64_t);
void cli_json_key(yajl_gen, const char *key);
void cli_json_kstr(yajl_gen, const char *key, const char *value);
void cli_json_kint(yajl_gen, const char *key, int64_t value);
void cli_json_kbool(yajl_gen, const char *key, bool value);
/* key: value in ms, or null when 0 (a NULL column). */
void cli_json_ktime(yajl_gen, const char *key, int64_t ms);

/* UTC time of ms since the epoch, "2026-11-27T05:30:00Z", into buf (32 bytes). */
const char *cli_time(char buf[32], int64_t ms);
/* A duration in ms as "3d4h", "5m12s", "12s", "0s", into buf (32 bytes). */
const char *cli_age(char buf[32], int64_t ms);
/* Parses "7d", "12h", "30m", "45s", "500ms" or bare seconds into ms; -1 if malformed. */
int cli_duration(const char *s, int64_t *ms);
/*
 * Parses a point in time for the queue's filters: an ISO 8601 UTC time,
 * "2026-12-03T10:00:00Z" (or "2026-12-03T10:00Z", or a date alone,
 * "2026-12-03", its midnight), or a duration (cli_duration()) before now:
 * "2h" is two hours ago. -1 if it is neither.
 */
int cli_time_parse(const char *s, int64_t now, int64_t *ms);
/* A value from a sender, quoted for a terminal (log_quote), into buf. */
const char *cli_quote(char *buf, size_t size, const char *s);

/*
 * For commands with no options of their own (--json and --help only):
 * returns -1 when the command goes on (optind at its arguments), else the
 * exit code to return.
 */
int cli_no_options(struct cli *, int argc, char **argv);

/* The commands: cli_queue.c, cli_check.c, cli_sign.c, cli_backup.c. */
int cli_init(struct cli *, int argc, char **argv);
int cli_status(struct cli *, int argc, char **argv);
int cli_list(struct cli *, int argc, char **argv);
int cli_show(struct cli *, int argc, char **argv);
int cli_requeue(struct cli *, int argc, char **argv);
int cli_purge(struct cli *, int argc, char **argv);
int cli_replay(struct cli *, int argc, char **argv);
int cli_backup(struct cli *, int argc, char **argv);
int cli_migrate_to(struct cli *, int argc, char **argv);
int cli_check(struct cli *, int argc, char **argv);
int cli_sign(struct cli *, int argc, char **argv);

#endif
