/*
 * cli.c: what the hookq command's files share (cli.h): usage and the
 * common options, the configuration and the database on demand, errors,
 * JSON output through yajl_gen, and the formatting of times, ages and
 * values from senders. main() (hookq.c) sets cli->command, so nothing here
 * needs the command table.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util.h"

void
cli_error(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "hookq: %s\n", msg);
}

int
cli_config(struct cli *cli, bool secrets)
{
	char *cause = NULL;

	if (cli->cfg != NULL)
		return 0;
	cli->cfg = config_load_opt(cli->path, secrets ? 0 : CONFIG_NO_SECRETS, &cause);
	if (cli->cfg != NULL)
		return 0;
	/* Each line is "FILE:LINE: message" already. */
	log_cause(cause);
	free(cause);
	return EXIT_CONFIG;
}

int
cli_store(struct cli *cli, enum store_mode mode)
{
	struct store_options opt;
	struct stat sb;
	char *cause = NULL;

	if (cli->store != NULL)
		return 0;
	if (mode != STORE_MIGRATE && !store_is_url(cli->cfg->database) &&
	    stat(cli->cfg->database, &sb) != 0) {
		cli_error("database %s: %s (hookq init creates it)", cli->cfg->database,
		    strerror(errno));
		return EXIT_SYSTEM;
	}
	memset(&opt, 0, sizeof(opt));
	opt.durability_full = cli->cfg->durability == DURABILITY_FULL;
	opt.busy_timeout = cli->cfg->busy_timeout;
	opt.password_file = cli->cfg->password_file;
	opt.program = "hookq";
	cli->store = store_open_mode(cli->cfg->database, &opt, mode, &cause);
	if (cli->store == NULL) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_SYSTEM;
	}
	return 0;
}

yajl_gen
cli_json_begin(void)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g == NULL) {
		cli_error("out of memory");
		exit(EXIT_SYSTEM);
	}
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	return g;
}

void
cli_json_end(yajl_gen g)
{
	const unsigned char *buf;
	size_t len;

	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		fwrite(buf, 1, len, stdout);
	if (len == 0 || buf[len - 1] != '\n')
		putchar('\n');
	yajl_gen_free(g);
}

void
cli_json_strn(yajl_gen g, const char *s, size_t len)
{
	if (s == NULL)
		yajl_gen_null(g);
	else
		yajl_gen_string(g, (const unsigned char *)s, len);
}

void
cli_json_str(yajl_gen g, const char *s)
{
	cli_json_strn(g, s, s != NULL ? strlen(s) : 0);
}

void
cli_json_int(yajl_gen g, int64_t v)
{
	yajl_gen_integer(g, (long long)v);
}

void
cli_json_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

void
cli_json_kstr(yajl_gen g, const char *key, const char *value)
{
	cli_json_key(g, key);
	cli_json_str(g, value);
}

void
cli_json_kint(yajl_gen g, const char *key, int64_t value)
{
	cli_json_key(g, key);
	cli_json_int(g, value);
}

void
cli_json_kbool(yajl_gen g, const char *key, bool value)
{
	cli_json_key(g, key);
	yajl_gen_bool(g, value);
}

void
cli_json_ktime(yajl_gen g, const char *key, int64_t ms)
{
	cli_json_key(g, key);
	if (ms == 0)
		yajl_gen_null(g);
	else
		cli_json_int(g, ms);
}

const char *
cli_time(char buf[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%" PRId64 "ms", ms);
	return buf;
}

const char *
cli_age(char buf[32], int64_t ms)
{
	int64_t s = ms / 1000;

	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, 32, "%" PRId64 "d%" PRId64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, 32, "%" PRId64 "h%" PRId64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, 32, "%" PRId64 "m%" PRId64 "s", s / 60, s % 60);
	else
		snprintf(buf, 32, "%" PRId64 "s", s);
	return buf;
}

int
cli_duration(const char *s, int64_t *ms)
{
	long long n;

	if (config_parse_duration(s, &n) != 0)
		return -1;
	*ms = (int64_t)n;
	return 0;
}

int
cli_time_parse(const char *s, int64_t now, int64_t *ms)
{
	struct tm tm;
	int64_t ago;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) != NULL && *end == '\0')
		goto parsed;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%MZ", &tm)) != NULL && *end == '\0')
		goto parsed;
	memset(&tm, 0, sizeof(tm));
	if (strlen(s) == 10 && (end = strptime(s, "%Y-%m-%d", &tm)) != NULL && *end == '\0')
		goto parsed;
	if (cli_duration(s, &ago) != 0)
		return -1;
	*ms = now - ago;
	return 0;
parsed:
	*ms = (int64_t)timegm(&tm) * 1000;
	return 0;
}

const char *
cli_quote(char *buf, size_t size, const char *s)
{
	if (s == NULL) {
		snprintf(buf, size, "-");
		return buf;
	}
	return log_quote(buf, size, s, strlen(s));
}

int
cli_usage(const struct cli *cli)
{
	fprintf(stderr, "usage: hookq [-c FILE] [--json] %s\n", cli->command->usage);
	return EXIT_CONFIG;
}

int
cli_common_option(struct cli *cli, int ch)
{
	switch (ch) {
	case 'J':
		cli->json = true;
		return -1;
	case 'h':
		printf("usage: hookq [-c FILE] [--json] %s\n", cli->command->usage);
		return EXIT_OK;
	default:
		return cli_usage(cli);
	}
}

/* Commands with no options of their own: --json and --help only. */
int
cli_no_options(struct cli *cli, int argc, char **argv)
{
	static const struct option LONG[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
		int rc = cli_common_option(cli, ch);

		if (rc >= 0)
			return rc;
	}
	return -1;
}

