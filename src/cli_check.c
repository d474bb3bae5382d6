/*
 * cli_check.c: hookq check. Loads the configuration as the daemons do
 * (config_load() reports unknown keys, bad values, unknown schemes and
 * unreadable or malformed secret files), then checks what only matters
 * once the programs run: secret files that other users can read, and
 * handlers that are missing or not executable (a bare name is looked up
 * in PATH, as the worker will), for sources, [route]s and on_dead. Every
 * problem is one "FILE:LINE: message".
 * Run as root, it also checks what the daemons' user (--user, default
 * hookq) will meet: secret files it can read and no one else can, a
 * database folder and files it can write, and a socket nginx's user can
 * connect to.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "handler.h"
#include "store.h"
#include "util.h"

/* The daemons' user when --user is not given, and nginx's when its config names none. */
#define DAEMON_USER "hookq"
#define NGINX_CONF "/etc/nginx/nginx.conf"
#define NGINX_DEFAULT_USER "www-data"

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

/*
 * Checks that the program of argv (a handler, on_dead) is there to run: a
 * bare name in PATH, a path a regular executable file. where is the
 * "FILE:LINE: " (or "FILE: ") and what the key's name, as messages start.
 */
static void
check_program(const char *where, const char *what, char *const *argv, struct problems *p)
{
	const char *prog;
	struct stat sb;

	if (argv == NULL || argv[0] == NULL)
		return;
	prog = argv[0];
	if (strchr(prog, '/') == NULL) {
		/* The worker's own lookup: what it finds is what it will run. */
		char *found = handler_find_program(prog);

		if (found == NULL)
			add_problem(p, "%s%s %s: not found in PATH (%s)", where, what, prog,
			    getenv("PATH") != NULL ? getenv("PATH") : "");
		free(found);
	} else if (stat(prog, &sb) != 0)
		add_problem(p, "%s%s %s: %s", where, what, prog, strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		add_problem(p, "%s%s %s: not a regular file", where, what, prog);
	else if ((sb.st_mode & 0111) == 0)
		add_problem(p, "%s%s %s: not executable (mode %04o)", where, what, prog,
		    (unsigned)(sb.st_mode & 07777));
}

/* The checks config_load() leaves to the running programs. */
static void
check_source(const struct config *cfg, const struct source *src, struct problems *p)
{
	char where[1024];
	struct stat sb;

	if (src->secret_file != NULL && stat(src->secret_file, &sb) == 0 &&
	    (sb.st_mode & (S_IROTH | S_IWOTH)) != 0)
		add_problem(p, "%s:%d: secret_file %s is %s by every user (mode %04o): chmod 600 it",
		    cfg->path, config_key_line(src, "secret_file"), src->secret_file,
		    (sb.st_mode & S_IWOTH) ? "writable" : "readable", (unsigned)(sb.st_mode & 07777));
	snprintf(where, sizeof(where), "%s:%d: ", cfg->path, config_key_line(src, "handler"));
	check_program(where, "handler", src->handler_argv, p);
}

/*
 * A [route]'s handler, as a source's (an implicit route's is its source's,
 * checked there), and [hookq]'s on_dead.
 */
static void
check_routes(const struct config *cfg, struct problems *p)
{
	char where[1024], what[128];
	size_t i;

	for (i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];

		if (r->implicit)
			continue;
		snprintf(where, sizeof(where), "%s:%d: ", cfg->path, r->line);
		snprintf(what, sizeof(what), "[route %s] handler", r->name);
		check_program(where, what, r->handler_argv, p);
	}
	/* The config keeps no line for [hookq]'s keys: the message names the key. */
	snprintf(where, sizeof(where), "%s: ", cfg->path);
	check_program(where, "[hookq] on_dead", cfg->on_dead_argv, p);
}

/* ---- what the daemons' user will meet -------------------------------------- */

/* A user as the checks need it: copied, as getpw*() and getgr*() reuse their storage. */
struct user {
	char *name;
	uid_t uid;
	gid_t gid;
	gid_t *groups;   /* every group, the primary one included (getgrouplist) */
	int ngroups;
};

/* Frees what user_find() filled in. */
static void
user_clear(struct user *u)
{
	free(u->name);
	free(u->groups);
	memset(u, 0, sizeof(*u));
}

/* Fills u for name; -1 when there is no such user. */
static int
user_find(struct user *u, const char *name)
{
	const struct passwd *pw = getpwnam(name);
	int n = 16;

	memset(u, 0, sizeof(*u));
	if (pw == NULL)
		return -1;
	u->name = xstrdup(pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	for (;;) {
		u->groups = xreallocarray(u->groups, (size_t)n, sizeof(gid_t));
		u->ngroups = n;
		if (getgrouplist(u->name, u->gid, u->groups, &u->ngroups) >= 0)
			break;
		n = u->ngroups > n ? u->ngroups : n * 2;
	}
	return 0;
}

/* Whether u is in group gid, as its primary group or another. */
static bool
user_in_group(const struct user *u, gid_t gid)
{
	int i;

	for (i = 0; i < u->ngroups; i++)
		if (u->groups[i] == gid)
			return true;
	return false;
}

/* A group's name, or its number, into buf. */
static const char *
group_name(char *buf, size_t size, gid_t gid)
{
	const struct group *gr = getgrgid(gid);

	if (gr != NULL)
		snprintf(buf, size, "%s", gr->gr_name);
	else
		snprintf(buf, size, "%ld", (long)gid);
	return buf;
}

/* A user's name, or its number, into buf. */
static const char *
user_name(char *buf, size_t size, uid_t uid)
{
	const struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "%ld", (long)uid);
	return buf;
}

/*
 * The users other than u and root in group gid, by name, comma-separated
 * into buf: its listed members and the users whose primary group it is.
 * Returns how many.
 */
static size_t
group_others(char *buf, size_t size, gid_t gid, const struct user *u)
{
	const struct group *gr = getgrgid(gid);
	const struct passwd *pw;
	size_t n = 0, off = 0;

	buf[0] = '\0';
	if (gr != NULL)
		for (char **m = gr->gr_mem; *m != NULL; m++)
			if (strcmp(*m, u->name) != 0 && strcmp(*m, "root") != 0) {
				if (off < size)
					off += (size_t)snprintf(buf + off, size - off, "%s%s", n ? ", " : "", *m);
				n++;
			}
	setpwent();
	while ((pw = getpwent()) != NULL) {
		bool listed = false;

		/* getpwent() keeps getgrgid()'s storage: they are separate databases. */
		for (char **m = gr != NULL ? gr->gr_mem : NULL; m != NULL && *m != NULL; m++)
			listed = listed || strcmp(*m, pw->pw_name) == 0;
		if (pw->pw_gid == gid && pw->pw_uid != u->uid && pw->pw_uid != 0 && !listed) {
			if (off < size)
				off += (size_t)snprintf(buf + off, size - off, "%s%s", n ? ", " : "",
				    pw->pw_name);
			n++;
		}
	}
	endpwent();
	return n;
}

/* One access(2) to make as the daemons' user: path, the mode asked, errno (0: allowed). */
struct probe {
	const char *path;
	int mode;
	int err;
};

/*
 * Asks the kernel, not a model of it, whether u may access each path: a
 * child takes u's groups, gid and uid and calls access(2), so search
 * permission on every folder on the way, ACLs and whatever else the kernel
 * weighs count as they will for the daemon. (Working it out from stat()
 * would mean re-implementing all of that, and getting ACLs wrong.) Only
 * root can do this; returns -1 when the child could not become u.
 */
static int
probe_as(const struct user *u, struct probe *p, size_t n)
{
	int fds[2], status, ok = -1;
	size_t i;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		if (setgroups((size_t)u->ngroups, u->groups) != 0 || setgid(u->gid) != 0 ||
		    setuid(u->uid) != 0)
			_exit(1);
		for (i = 0; i < n; i++) {
			int err = access(p[i].path, p[i].mode) == 0 ? 0 : errno;

			if (write(fds[1], &err, sizeof(err)) != (ssize_t)sizeof(err))
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	for (i = 0; i < n; i++)
		if (read(fds[0], &p[i].err, sizeof(p[i].err)) != (ssize_t)sizeof(p[i].err))
			break;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (i == n && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ok = 0;
	return ok;
}

/*
 * nginx's user: the main context's "user NAME [GROUP];" of nginx.conf, or
 * www-data (Debian's default) when the file or the directive is not there.
 * Malloc'd.
 */
static char *
nginx_user(void)
{
	FILE *f = fopen(NGINX_CONF, "r");
	char line[1024], *found = NULL;
	int depth = 0;

	if (f == NULL)
		return xstrdup(NGINX_DEFAULT_USER);
	while (found == NULL && fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *hash = strchr(line, '#');

		if (hash != NULL)
			*hash = '\0';
		p += strspn(p, " \t");
		if (depth == 0 && strncmp(p, "user", 4) == 0 && (p[4] == ' ' || p[4] == '\t')) {
			p += 4 + strspn(p + 4, " \t");
			if (strcspn(p, " \t;\r\n") > 0)
				found = xstrndup(p, strcspn(p, " \t;\r\n"));
		}
		for (; *p != '\0'; p++)
			depth += *p == '{' ? 1 : *p == '}' ? -1 : 0;
	}
	fclose(f);
	return found != NULL ? found : xstrdup(NGINX_DEFAULT_USER);
}

/*
 * A secret file as the daemons' user sees it: readable by it (probed), and
 * by no one else. "No one else" is kept simple: no bits for others; the
 * owner root or the user itself; group read only through a group with no
 * member but the user (and root), counting the users whose primary group it
 * is, as Debian's own group of a system user is.
 */
static void
check_secret_as(const struct config *cfg, const struct source *src, const struct user *u,
    int err, struct problems *p)
{
	struct stat sb;
	char who[2048], name[256];
	int line = config_key_line(src, "secret_file");

	if (err != 0)
		add_problem(p, "%s:%d: secret_file %s: the daemons' user %s cannot read it (%s)",
		    cfg->path, line, src->secret_file, u->name, strerror(err));
	if (stat(src->secret_file, &sb) != 0)
		return;
	if (sb.st_uid != 0 && sb.st_uid != u->uid)
		add_problem(p, "%s:%d: secret_file %s is owned by %s, not root or %s: chown root it",
		    cfg->path, line, src->secret_file, user_name(name, sizeof(name), sb.st_uid), u->name);
	if ((sb.st_mode & S_IRGRP) != 0 && group_others(who, sizeof(who), sb.st_gid, u) > 0)
		add_problem(p, "%s:%d: secret_file %s is readable by group %s, which has other"
		    " members (%s): chgrp it to a group of %s alone",
		    cfg->path, line, src->secret_file, group_name(name, sizeof(name), sb.st_gid), who,
		    u->name);
}

/*
 * Whether nginx's user may connect to the receiver's socket, from the
 * owner, group and mode the receiver gives it (listen_owner, listen_group,
 * listen_mode; unset owner and group are the receiver's own, that is u's):
 * connect(2) needs write permission on the socket, so rw is asked of the
 * class nginx's user falls in.
 */
static void
check_socket(const struct config *cfg, const struct user *u, struct problems *p)
{
	struct user ng;
	char *nginx = nginx_user(), gname[256];
	uid_t owner = u->uid;
	gid_t group = u->gid;
	int mode = cfg->listen_mode, need;
	const char *cls;

	/* Without listen the socket is systemd's or spawn-fcgi's: their settings, not ours. */
	if (cfg->listen == NULL) {
		free(nginx);
		return;
	}
	if (user_find(&ng, nginx) != 0) {
		add_problem(p, "%s: nginx's user %s (%s) does not exist: the socket %s is not"
		    " checked", cfg->path, nginx, NGINX_CONF, cfg->listen);
		free(nginx);
		return;
	}
	if (cfg->listen_uid >= 0)
		owner = (uid_t)cfg->listen_uid;
	if (cfg->listen_gid >= 0)
		group = (gid_t)cfg->listen_gid;
	if (ng.uid == 0)
		goto out;
	if (ng.uid == owner) {
		need = 0600;
		cls = "its owner";
	} else if (user_in_group(&ng, group)) {
		need = 0060;
		cls = "in its group";
	} else {
		need = 0006;
		cls = "neither its owner nor in its group";
	}
	if ((mode & need) != need)
		add_problem(p, "%s: listen %s: nginx's user %s is %s (%s:%s, mode %04o) and cannot"
		    " connect: set listen_group to a group of %s (or listen_mode)", cfg->path,
		    cfg->listen, ng.name, cls, cfg->listen_owner != NULL ? cfg->listen_owner : u->name,
		    cfg->listen_group != NULL ? cfg->listen_group : group_name(gname, sizeof(gname), group),
		    (unsigned)mode, ng.name);
out:
	user_clear(&ng);
	free(nginx);
}

/*
 * The checks as the daemons' user, when run as root. name is --user's, or
 * NULL for the default. When they cannot run (not root, no such user),
 * *skipped (malloc'd) says why in one line; a typo in --user shows there.
 */
static int
check_as_user(const struct config *cfg, const char *name, struct problems *p, char **skipped)
{
	struct user u;
	struct probe *pr;
	char *dir, *wal, *shm;
	size_t n = 0, i, nsrc = cfg->nsources;

	*skipped = NULL;
	if (geteuid() != 0) {
		*skipped = xstrdup("not run as root: checks as the daemons' user skipped");
		return 0;
	}
	if (user_find(&u, name != NULL ? name : DAEMON_USER) != 0) {
		size_t len = strlen(name != NULL ? name : DAEMON_USER) + 96;

		*skipped = xmalloc(len);
		snprintf(*skipped, len, "no user %s: checks as the daemons' user skipped%s",
		    name != NULL ? name : DAEMON_USER, name != NULL ? "" : " (--user NAME names another)");
		return 0;
	}
	dir = path_folder(cfg->database);
	wal = xmalloc(strlen(cfg->database) + 5);
	shm = xmalloc(strlen(cfg->database) + 5);
	snprintf(wal, strlen(cfg->database) + 5, "%s-wal", cfg->database);
	snprintf(shm, strlen(cfg->database) + 5, "%s-shm", cfg->database);
	pr = xcalloc(nsrc + 4, sizeof(*pr));
	for (i = 0; i < nsrc; i++)
		pr[n++] = (struct probe){ cfg->sources[i].secret_file, R_OK, 0 };
	/* A server's database: the daemons' user needs only its password file. */
	if (store_is_url(cfg->database)) {
		if (cfg->password_file != NULL)
			pr[n++] = (struct probe){ cfg->password_file, R_OK, 0 };
	} else {
		pr[n++] = (struct probe){ dir, W_OK | X_OK, 0 };
		pr[n++] = (struct probe){ cfg->database, R_OK | W_OK, 0 };
		pr[n++] = (struct probe){ wal, R_OK | W_OK, 0 };
		pr[n++] = (struct probe){ shm, R_OK | W_OK, 0 };
	}
	if (probe_as(&u, pr, n) != 0) {
		add_problem(p, "%s: cannot check as user %s: %s", cfg->path, u.name, strerror(errno));
		goto out;
	}
	for (i = 0; i < nsrc; i++)
		check_secret_as(cfg, &cfg->sources[i], &u, pr[i].err, p);
	if (store_is_url(cfg->database)) {
		if (n > nsrc && pr[nsrc].err != 0)
			add_problem(p, "%s: password_file %s: the daemons' user %s cannot read it (%s)",
			    cfg->path, cfg->password_file, u.name, strerror(pr[nsrc].err));
		goto sock;
	}
	if (pr[nsrc].err != 0)
		add_problem(p, "%s: database folder %s: the daemons' user %s cannot create files in it"
		    " (%s)", cfg->path, dir, u.name, strerror(pr[nsrc].err));
	for (i = nsrc + 1; i < n; i++)
		if (pr[i].err != 0 && pr[i].err != ENOENT)
			add_problem(p, "%s: database %s: the daemons' user %s cannot read and write it"
			    " (%s)", cfg->path, pr[i].path, u.name, strerror(pr[i].err));
sock:
	check_socket(cfg, &u, p);
out:
	free(pr);
	free(dir);
	free(wal);
	free(shm);
	user_clear(&u);
	return 0;
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
	static const struct option LONG[] = {
		{ "user", required_argument, NULL, 'u' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct problems p = { NULL, 0 };
	struct config *cfg;
	const char *user = NULL;
	char *cause = NULL, *skipped = NULL;
	size_t i;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
		if (ch == 'u') {
			user = optarg;
			continue;
		}
		if ((rc = cli_common_option(cli, ch)) >= 0)
			return rc;
	}
	if (optind != argc)
		return cli_usage(cli);
	if (user != NULL && *user == '\0') {
		cli_error("--user: an empty name");
		return EXIT_CONFIG;
	}
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
		check_routes(cfg, &p);
		if ((rc = check_as_user(cfg, user, &p, &skipped)) != 0) {
			config_free(cfg);
			for (i = 0; i < p.n; i++)
				free(p.v[i]);
			free(p.v);
			return rc;
		}
	}

	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		cli_json_kstr(g, "config", cli->path);
		cli_json_kbool(g, "ok", p.n == 0);
		cli_json_kstr(g, "user_checks_skipped", skipped);
		cli_json_key(g, "problems");
		yajl_gen_array_open(g);
		for (i = 0; i < p.n; i++)
			json_problem(g, cli->path, p.v[i]);
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
		cli_json_end(g);
	} else {
		if (skipped != NULL)
			printf("note: %s\n", skipped);
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
	free(skipped);
	config_free(cfg);
	return p.n == 0 ? EXIT_OK : EXIT_REFUSED;
}
