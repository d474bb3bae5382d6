/*
 * cli_check.c: hookq check. Loads the configuration as the daemons do
 * (config_load() reports unknown keys, bad values, unknown schemes and
 * unreadable or malformed secret files), then checks what only matters
 * once the programs run: secret files that other users can read, and
 * handlers that are missing or not executable (a bare name is looked up
 * in PATH, as the worker will). Every problem is one "FILE:LINE: message".
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

struct problems {
	char **v;
	size_t n;
};

static void add_problem(struct problems *, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
add_problem(struct problems *p, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = xstrdup(buf);
}

/* True when path is a regular file with some execute bit. */
static bool
executable(const char *path, struct stat *sb)
{
	return stat(path, sb) == 0 && S_ISREG(sb->st_mode) && (sb->st_mode & 0111) != 0;
}

/* Looks a bare program name up in PATH, as execvp() will. */
static bool
in_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *e;
	struct stat sb;
	bool found = false;

	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; !found; p = e + 1) {
		size_t n;
		char *full;

		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p) + strlen(name) + 2;
		full = xmalloc(n);
		snprintf(full, n, "%.*s/%s", (int)(e - p), p, name);
		found = executable(full, &sb);
		free(full);
		if (*e == '\0')
			break;
	}
	return found;
}

/* The checks config_load() leaves to the running programs. */
static void
check_source(const struct config *cfg, const struct source *src, struct problems *p)
{
	struct stat sb;

	if (src->secret_file != NULL && stat(src->secret_file, &sb) == 0 &&
	    (sb.st_mode & (S_IROTH | S_IWOTH)) != 0)
		add_problem(p, "%s:%d: secret_file %s is %s by every user (mode %04o): chmod 600 it",
		    cfg->path, config_key_line(src, "secret_file"), src->secret_file,
		    (sb.st_mode & S_IWOTH) ? "writable" : "readable", (unsigned)(sb.st_mode & 07777));
	if (src->handler_argv != NULL && src->handler_argv[0] != NULL) {
		const char *prog = src->handler_argv[0];
		int line = config_key_line(src, "handler");

		if (strchr(prog, '/') == NULL) {
			if (!in_path(prog))
				add_problem(p, "%s:%d: handler %s: not found in PATH (%s)", cfg->path, line,
				    prog, getenv("PATH") != NULL ? getenv("PATH") : "");
		} else if (stat(prog, &sb) != 0)
			add_problem(p, "%s:%d: handler %s: %s", cfg->path, line, prog, strerror(errno));
		else if (!S_ISREG(sb.st_mode))
			add_problem(p, "%s:%d: handler %s: not a regular file", cfg->path, line, prog);
		else if ((sb.st_mode & 0111) == 0)
			add_problem(p, "%s:%d: handler %s: not executable (mode %04o)", cfg->path, line,
			    prog, (unsigned)(sb.st_mode & 07777));
	}
}

/* Splits "FILE:LINE: message" (or "FILE: message") for --json. */
static void
json_problem(yajl_gen g, const char *path, const char *text)
{
	size_t plen = strlen(path);
	const char *msg = text;
	long line = 0;

	if (strncmp(text, path, plen) == 0 && text[plen] == ':') {
		char *end;

		msg = text + plen + 1;
		line = strtol(msg, &end, 10);
		if (end != msg && *end == ':')
			msg = end + 1;
		else
			line = 0;
		msg += strspn(msg, " ");
	}
	yajl_gen_map_open(g);
	cli_json_kstr(g, "file", path);
	cli_json_key(g, "line");
	if (line > 0)
		cli_json_int(g, line);
	else
		yajl_gen_null(g);
	cli_json_kstr(g, "message", msg);
	yajl_gen_map_close(g);
}

int
cli_check(struct cli *cli, int argc, char **argv)
{
	static const struct option LONG[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct problems p = { NULL, 0 };
	struct config *cfg;
	char *cause = NULL;
	size_t i;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
		int rc = cli_common_option(cli, argv[0], ch);

		if (rc >= 0)
			return rc;
	}
	if (optind != argc)
		return cli_usage(cli_find(argv[0]));
	cfg = config_load(cli->path, &cause);
	if (cfg == NULL) {
		char *line, *save = NULL;

		for (line = strtok_r(cause, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			add_problem(&p, "%s", line);
		free(cause);
	} else {
		for (i = 0; i < cfg->nsources; i++)
			check_source(cfg, &cfg->sources[i], &p);
	}

	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		cli_json_kstr(g, "config", cli->path);
		cli_json_kbool(g, "ok", p.n == 0);
		cli_json_key(g, "problems");
		yajl_gen_array_open(g);
		for (i = 0; i < p.n; i++)
			json_problem(g, cli->path, p.v[i]);
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
		cli_json_end(g);
	} else {
		for (i = 0; i < p.n; i++)
			printf("%s\n", p.v[i]);
		if (p.n == 0)
			printf("configuration OK\n");
		else
			printf("%zu problem%s%s\n", p.n, p.n == 1 ? "" : "s", cfg == NULL ?
			    " (secret file modes and handlers are checked once the file loads)" : "");
	}
	for (i = 0; i < p.n; i++)
		free(p.v[i]);
	free(p.v);
	config_free(cfg);
	return p.n == 0 ? EXIT_OK : EXIT_REFUSED;
}
