/*
 * config.c: loading the INI file with inih.
 *
 * The keys are a table of typed rows (name, section, type, where it is
 * stored, range), as in tmux's options-table.c: adding a key is adding a
 * row. inih does the parsing; the line reader in front of it counts lines,
 * so every message names FILE:LINE, and it catches what inih would report
 * only as a bare line number (a line without '=', an overlong line, a
 * section line without ']'). Relative paths are resolved against the config
 * file's folder.
 *
 * Routes are read into the loader's struct route_read and become
 * cfg->routes at the end of the load, once every [source] is known: a
 * [route] may name a source defined after it, and inherits its worker keys.
 * A route's match values are JSON scalars parsed here by hand (a few dozen
 * lines; yajl stays in payload.c).
 */
#include "autoconf.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define DEFAULT_THREADS 4
#define DEFAULT_BUSY_TIMEOUT 2000
#define DEFAULT_MAX_BODY (1024 * 1024)
#define DEFAULT_TOLERANCE 300
#define MAX_BODY_LIMIT (64LL * 1024 * 1024)
#define MAX_LINE 4096
#define MAX_SOURCE_NAME 64
#define MAX_HANDLER_ARGS 64
#define MAX_RATE 1000000
#define SECOND 1000LL
#define DAY (86400 * SECOND)
#define DEFAULT_CONCURRENCY 4
#define DEFAULT_HANDLER_TIMEOUT (30 * SECOND)
#define DEFAULT_URL_TIMEOUT (30 * SECOND)
#define DEFAULT_MAX_ATTEMPTS 10
#define DEFAULT_BACKOFF_BASE (10 * SECOND)
#define DEFAULT_BACKOFF_MAX (3600 * SECOND)
#define DEFAULT_STOP_GRACE (30 * SECOND)
#define DEFAULT_DEDUP_WINDOW DAY
/* nginx's workers connect through the group: rw for owner and group, nothing for others. */
#define DEFAULT_LISTEN_MODE 0660
/* A lease must outlast a handler's timeout and the kill that follows it. */
#define LEASE_MARGIN (30 * SECOND)
#define LEASE_MIN_MARGIN (10 * SECOND)

enum section { SECTION_HOOKQ, SECTION_SOURCE, SECTION_ROUTE };
static const char *const SECTION_NAMES[] = { "hookq", "source", "route" };

enum key_type {
	KEY_STRING, /* char *, copied */
	KEY_PATH,   /* char *, relative to the config file's folder */
	KEY_DATABASE, /* char *: a postgresql:// URL as it is, else a KEY_PATH */
	KEY_INT,    /* int within [min, max] */
	KEY_SIZE,   /* size_t, bytes with an optional K or M suffix, within [min, max] */
	KEY_CHOICE, /* int: the index of the value in choices */
	KEY_DURATION, /* int64_t ms: a number with ms, s, m, h or d (bare: s), within [min, max] ms */
	KEY_URL_PATH, /* char *: a URL path, '/' then printable ASCII without blanks, '?' or '#' */
	KEY_MODE,   /* int: permission bits in octal, 0 to 0777 */
	KEY_BASE_URL, /* char *: http[s]://host[:port], no path (a trailing '/' is dropped) */
	KEY_COMMAND, /* char **: split on blanks into a NULL-terminated argv, as handler */
	/* The route's own: offset is that of a struct route, which they fill. */
	KEY_MATCH,  /* PATH=VALUE appended to match[]; the one key that may be given again */
	KEY_RATE,   /* N/s, N/m or N/h into rate and rate_period, N within [min, max] */
	KEY_ORDER,  /* a dotted JSON path into order, or header:NAME into order_header */
	KEY_URL,    /* char *: an http or https URL, printable ASCII without blanks */
	KEY_BOOL,   /* bool: yes or no */
};

struct key {
	const char *name;
	enum section section;
	enum key_type type;
	size_t offset;              /* into struct config or struct source */
	long long min, max;
	const char *const *choices;
	bool generic;               /* only for scheme = generic */
};

static const char *const DURABILITY_CHOICES[] = { "full", "normal", NULL };
static const char *const ACK_CHOICES[] = { "commit", "receipt", NULL };
static const char *const DEDUP_CHOICES[] = { "id", "body", NULL };
static const char *const HANDLER_MODE_CHOICES[] = { "exec", "stream", NULL };
static const char *const YES_NO_CHOICES[] = { "no", "yes", NULL };
static const char *const ENCODING_CHOICES[] = { "hex", "base64", NULL };
static const char *const ALGORITHM_CHOICES[] = {
	"hmac-sha256", "hmac-sha512", "ed25519", NULL
};

/* A [route NAME] as read: the route it becomes, and what the end of the load derives. */
#define MAX_ROUTE_KEYS 24
struct route_read {
	struct route r;
	char *events_raw;
	int key_lines[MAX_ROUTE_KEYS];   /* line of each key given, by ROUTE_KEYS index */
};

/* The ranges a [source] and a [route] share for the worker's keys. */
#define RANGE_TIMEOUT 100, DAY
#define RANGE_MAX_ATTEMPTS 1, 1000
#define RANGE_BACKOFF 1, 30 * DAY

#define CFG(f) offsetof(struct config, f)
#define SRC(f) offsetof(struct source, f)
#define GEN(k) (offsetof(struct source, generic) + (k) * sizeof(char *))
#define RTE(f) offsetof(struct route_read, f)

static const struct key KEYS[] = {
	{ "database", SECTION_HOOKQ, KEY_DATABASE, CFG(database), 0, 0, NULL, false },
	{ "password_file", SECTION_HOOKQ, KEY_PATH, CFG(password_file), 0, 0, NULL, false },
	{ "listen", SECTION_HOOKQ, KEY_PATH, CFG(listen), 0, 0, NULL, false },
	{ "listen_owner", SECTION_HOOKQ, KEY_STRING, CFG(listen_owner), 0, 0, NULL, false },
	{ "listen_group", SECTION_HOOKQ, KEY_STRING, CFG(listen_group), 0, 0, NULL, false },
	{ "listen_mode", SECTION_HOOKQ, KEY_MODE, CFG(listen_mode), 0, 0777, NULL, false },
	{ "threads", SECTION_HOOKQ, KEY_INT, CFG(threads), 1, 256, NULL, false },
	{ "busy_timeout", SECTION_HOOKQ, KEY_INT, CFG(busy_timeout), 0, 600000, NULL, false },
	{ "durability", SECTION_HOOKQ, KEY_CHOICE, CFG(durability), 0, 0, DURABILITY_CHOICES, false },
	{ "ack", SECTION_HOOKQ, KEY_CHOICE, CFG(ack), 0, 0, ACK_CHOICES, false },
	{ "max_body", SECTION_HOOKQ, KEY_SIZE, CFG(max_body), 1, MAX_BODY_LIMIT, NULL, false },
	{ "metrics_path", SECTION_HOOKQ, KEY_URL_PATH, CFG(metrics_path), 0, 0, NULL, false },
	{ "health_path", SECTION_HOOKQ, KEY_URL_PATH, CFG(health_path), 0, 0, NULL, false },
	{ "base_url", SECTION_HOOKQ, KEY_BASE_URL, CFG(base_url), 0, 0, NULL, false },
	{ "concurrency", SECTION_HOOKQ, KEY_INT, CFG(concurrency), 1, 256, NULL, false },
	{ "lease", SECTION_HOOKQ, KEY_DURATION, CFG(lease), SECOND, 7 * DAY, NULL, false },
	{ "retain_done", SECTION_HOOKQ, KEY_DURATION, CFG(retain_done), 0, 3650 * DAY, NULL, false },
	{ "stop_grace", SECTION_HOOKQ, KEY_DURATION, CFG(stop_grace), 0, DAY, NULL, false },
	{ "on_dead", SECTION_HOOKQ, KEY_COMMAND, CFG(on_dead_argv), 0, 0, NULL, false },

	{ "scheme", SECTION_SOURCE, KEY_STRING, SRC(scheme_name), 0, 0, NULL, false },
	{ "secret_file", SECTION_SOURCE, KEY_PATH, SRC(secret_file), 0, 0, NULL, false },
	{ "events", SECTION_SOURCE, KEY_STRING, SRC(events_raw), 0, 0, NULL, false },
	{ "max_body", SECTION_SOURCE, KEY_SIZE, SRC(max_body), 1, MAX_BODY_LIMIT, NULL, false },
	{ "tolerance", SECTION_SOURCE, KEY_INT, SRC(tolerance), 1, 7 * 86400, NULL, false },
	{ "handler", SECTION_SOURCE, KEY_STRING, SRC(handler), 0, 0, NULL, false },
	{ "handler_timeout", SECTION_SOURCE, KEY_DURATION, SRC(handler_timeout), RANGE_TIMEOUT, NULL, false },
	{ "max_attempts", SECTION_SOURCE, KEY_INT, SRC(max_attempts), RANGE_MAX_ATTEMPTS, NULL, false },
	{ "backoff_base", SECTION_SOURCE, KEY_DURATION, SRC(backoff_base), RANGE_BACKOFF, NULL, false },
	{ "backoff_max", SECTION_SOURCE, KEY_DURATION, SRC(backoff_max), RANGE_BACKOFF, NULL, false },
	{ "notification_url", SECTION_SOURCE, KEY_STRING, SRC(notification_url), 0, 0, NULL, false },
	{ "verify_token", SECTION_SOURCE, KEY_STRING, SRC(verify_token), 0, 0, NULL, false },
	{ "dedup", SECTION_SOURCE, KEY_CHOICE, SRC(dedup), 0, 0, DEDUP_CHOICES, false },
	{ "dedup_window", SECTION_SOURCE, KEY_DURATION, SRC(dedup_window), 1, 3650 * DAY, NULL, false },
	{ "signature_header", SECTION_SOURCE, KEY_STRING, GEN(GENERIC_SIGNATURE_HEADER), 0, 0, NULL, true },
	{ "signature_prefix", SECTION_SOURCE, KEY_STRING, GEN(GENERIC_SIGNATURE_PREFIX), 0, 0, NULL, true },
	{ "encoding", SECTION_SOURCE, KEY_STRING, GEN(GENERIC_ENCODING), 0, 0, ENCODING_CHOICES, true },
	{ "algorithm", SECTION_SOURCE, KEY_STRING, GEN(GENERIC_ALGORITHM), 0, 0, ALGORITHM_CHOICES, true },
	{ "id_header", SECTION_SOURCE, KEY_STRING, GEN(GENERIC_ID_HEADER), 0, 0, NULL, true },
	{ "id_json", SECTION_SOURCE, KEY_STRING, GEN(GENERIC_ID_JSON), 0, 0, NULL, true },
	{ "type_header", SECTION_SOURCE, KEY_STRING, GEN(GENERIC_TYPE_HEADER), 0, 0, NULL, true },
	{ "type_json", SECTION_SOURCE, KEY_STRING, GEN(GENERIC_TYPE_JSON), 0, 0, NULL, true },
};

/*
 * A [route]'s keys: a table of their own, so their lines are the loader's
 * (struct route_read), not slots of struct source's key_lines.
 */
static const struct key ROUTE_KEYS[] = {
	{ "source", SECTION_ROUTE, KEY_STRING, RTE(r.source), 0, 0, NULL, false },
	{ "events", SECTION_ROUTE, KEY_STRING, RTE(events_raw), 0, 0, NULL, false },
	{ "match", SECTION_ROUTE, KEY_MATCH, RTE(r), 0, 0, NULL, false },
	{ "handler", SECTION_ROUTE, KEY_COMMAND, RTE(r.handler_argv), 0, 0, NULL, false },
	{ "handler_mode", SECTION_ROUTE, KEY_CHOICE, RTE(r.handler_mode), 0, 0, HANDLER_MODE_CHOICES, false },
	{ "url", SECTION_ROUTE, KEY_URL, RTE(r.url), 0, 0, NULL, false },
	{ "url_timeout", SECTION_ROUTE, KEY_DURATION, RTE(r.url_timeout), RANGE_TIMEOUT, NULL, false },
	{ "retry_4xx", SECTION_ROUTE, KEY_BOOL, RTE(r.retry_4xx), 0, 0, YES_NO_CHOICES, false },
	{ "ca_file", SECTION_ROUTE, KEY_PATH, RTE(r.ca_file), 0, 0, NULL, false },
	{ "resolve", SECTION_ROUTE, KEY_STRING, RTE(r.resolve), 0, 0, NULL, false },
	{ "signing_secret_file", SECTION_ROUTE, KEY_PATH, RTE(r.signing_secret_file), 0, 0, NULL, false },
	{ "concurrency", SECTION_ROUTE, KEY_INT, RTE(r.concurrency), 1, 256, NULL, false },
	{ "rate", SECTION_ROUTE, KEY_RATE, RTE(r), 1, MAX_RATE, NULL, false },
	{ "order", SECTION_ROUTE, KEY_ORDER, RTE(r), 0, 0, NULL, false },
	{ "handler_timeout", SECTION_ROUTE, KEY_DURATION, RTE(r.handler_timeout), RANGE_TIMEOUT, NULL, false },
	{ "max_attempts", SECTION_ROUTE, KEY_INT, RTE(r.max_attempts), RANGE_MAX_ATTEMPTS, NULL, false },
	{ "backoff_base", SECTION_ROUTE, KEY_DURATION, RTE(r.backoff_base), RANGE_BACKOFF, NULL, false },
	{ "backoff_max", SECTION_ROUTE, KEY_DURATION, RTE(r.backoff_max), RANGE_BACKOFF, NULL, false },
};

_Static_assert(nitems(KEYS) <= nitems(((struct source *)0)->key_lines),
    "struct source's key_lines must have a slot for every key");
_Static_assert(nitems(ROUTE_KEYS) <= MAX_ROUTE_KEYS,
    "struct route_read's key_lines must have a slot for every route key");

/* The state of one load: where we are and what went wrong so far. */
struct loader {
	struct config *cfg;
	FILE *f;
	char *dir;                  /* the config file's folder, for relative paths */
	int line;                   /* of the line inih is handling */
	enum section section;
	bool in_section;            /* false before the first section and in a bad one */
	bool bad_section;           /* in a section already reported as bad: skip its keys */
	struct source *src;         /* the current [source] */
	struct route_read *routes;  /* the [route]s read, in file order */
	size_t nroutes;
	struct route_read *rt;      /* the current [route] */
	int flags;                  /* config_load_opt()'s */
	int hookq_lines[nitems(KEYS)];
	char *errors;               /* "FILE:LINE: message\n"... */
	size_t errlen;
	/*
	 * The file may hold a secret (verify_token), so the buffers it passes
	 * through are ours, sized so that valid lines never move, and wiped:
	 * getline's (wiped after each line) and the FILE's.
	 */
	char *buf;
	size_t cap;
	char iobuf[BUFSIZ];
};

static void loader_error(struct loader *, int line, const char *fmt, ...) PRINTFLIKE(3, 4);

/* Records one problem, "FILE:LINE: message" (or "FILE: message" for line 0). */
static void
loader_error(struct loader *L, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		n = snprintf(NULL, 0, "%s:%d: %s\n", L->cfg->path, line, msg);
	else
		n = snprintf(NULL, 0, "%s: %s\n", L->cfg->path, msg);
	L->errors = xrealloc(L->errors, L->errlen + (size_t)n + 1);
	if (line > 0)
		snprintf(L->errors + L->errlen, (size_t)n + 1, "%s:%d: %s\n", L->cfg->path, line, msg);
	else
		snprintf(L->errors + L->errlen, (size_t)n + 1, "%s: %s\n", L->cfg->path, msg);
	L->errlen += (size_t)n;
}

static bool
valid_source_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > MAX_SOURCE_NAME)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* A URL path the receiver answers itself: '/', then printable ASCII but blanks, '?', '#'. */
static bool
valid_url_path(const char *s)
{
	if (s[0] != '/' || strlen(s) > 256)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s > '~' || *s == '?' || *s == '#')
			return false;
	return true;
}

/*
 * The length of s without a trailing '/' when s is http[s]://HOST[:PORT][/]:
 * HOST a name of letters, digits, '.' and '-', or an IPv6 address in
 * brackets; PORT 1 to 65535. 0 when it is not: a path, query, fragment or
 * user would make hookq sign print URLs senders are not given.
 */
static size_t
base_url_len(const char *s)
{
	const char *p = s, *h;
	size_t n = strlen(s);

	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	else if (strncmp(p, "https://", 8) == 0)
		p += 8;
	else
		return 0;
	if (n > 2048)
		return 0;
	h = p;
	if (*p == '[') {
		p += 1 + strspn(p + 1, "0123456789abcdefABCDEF:.");
		if (*p != ']' || p == h + 1)
			return 0;
		p++;
	} else {
		p += strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (p == h || *h == '.' || *h == '-')
			return 0;
	}
	if (*p == ':') {
		char *end;
		long port;

		if (p[1] < '0' || p[1] > '9')
			return 0;
		port = strtol(p + 1, &end, 10);
		if (port < 1 || port > 65535 || end - p > 6)
			return 0;
		p = end;
	}
	if (*p == '/' && p[1] == '\0')
		return (size_t)(p - s);
	return *p == '\0' ? (size_t)(p - s) : 0;
}

/*
 * A url route's URL: http[s]://HOST[:PORT] as base_url_len() takes it (so no
 * user:password@, which would put a credential in the file and the logs),
 * then a path and query of printable ASCII without blanks or a fragment.
 */
static bool
valid_url(const char *s)
{
	const char *p = strstr(s, "://"), *rest;
	char *base;
	bool ok;

	if (p == NULL || strlen(s) > 2048)
		return false;
	rest = p + 3 + strcspn(p + 3, "/?");
	base = xstrndup(s, (size_t)(rest - s));
	ok = base_url_len(base) == strlen(base) && *rest != '?';
	free(base);
	for (; ok && *rest != '\0'; rest++)
		if ((unsigned char)*rest <= ' ' || (unsigned char)*rest > '~' || *rest == '#')
			ok = false;
	return ok;
}

/* Starts a section from its header text (between the brackets). */
static void
loader_section(struct loader *L, const char *text, size_t len)
{
	char *t = xstrndup(text, len), *name, *rest;
	enum section kind;
	size_t i;

	L->in_section = false;
	L->bad_section = true;
	L->src = NULL;
	L->rt = NULL;
	name = t + strspn(t, " \t");
	if (strcmp(name, "hookq") == 0) {
		L->section = SECTION_HOOKQ;
		L->in_section = true;
		L->bad_section = false;
		goto out;
	}
	if (strncmp(name, "source", 6) == 0 && (name[6] == ' ' || name[6] == '\t')) {
		kind = SECTION_SOURCE;
		rest = name + 6;
	} else if (strncmp(name, "route", 5) == 0 && (name[5] == ' ' || name[5] == '\t')) {
		kind = SECTION_ROUTE;
		rest = name + 5;
	} else {
		loader_error(L, L->line, "unknown section [%s]: expected [hookq], [source NAME] or"
		    " [route NAME]", t);
		goto out;
	}
	rest += strspn(rest, " \t");
	/* Trailing blanks go; blanks inside make the name invalid below. */
	for (i = strlen(rest); i > 0 && (rest[i - 1] == ' ' || rest[i - 1] == '\t'); i--)
		rest[i - 1] = '\0';
	if (!valid_source_name(rest)) {
		loader_error(L, L->line, "bad %s name '%s': use 1 to %d of A-Z a-z 0-9 _ -",
		    SECTION_NAMES[kind], rest, MAX_SOURCE_NAME);
		goto out;
	}
	if (kind == SECTION_ROUTE) {
		for (i = 0; i < L->nroutes; i++)
			if (strcmp(L->routes[i].r.name, rest) == 0) {
				loader_error(L, L->line, "route '%s' defined twice (first at line %d)",
				    rest, L->routes[i].r.line);
				goto out;
			}
		L->routes = xreallocarray(L->routes, L->nroutes + 1, sizeof(*L->routes));
		L->rt = &L->routes[L->nroutes++];
		memset(L->rt, 0, sizeof(*L->rt));
		L->rt->r.name = xstrdup(rest);
		L->rt->r.line = L->line;
		L->section = SECTION_ROUTE;
		L->in_section = true;
		L->bad_section = false;
		goto out;
	}
	for (i = 0; i < L->cfg->nsources; i++)
		if (strcmp(L->cfg->sources[i].name, rest) == 0) {
			loader_error(L, L->line, "source '%s' defined twice (first at line %d)",
			    rest, L->cfg->sources[i].line);
			goto out;
		}
	L->cfg->sources = xreallocarray(L->cfg->sources, L->cfg->nsources + 1,
	    sizeof(*L->cfg->sources));
	L->src = &L->cfg->sources[L->cfg->nsources++];
	memset(L->src, 0, sizeof(*L->src));
	L->src->name = xstrdup(rest);
	L->src->line = L->line;
	L->section = SECTION_SOURCE;
	L->in_section = true;
	L->bad_section = false;
out:
	free(t);
}

/*
 * inih's line reader: reads one whole line, counts it, and vets its shape.
 * Lines inih should not see (reported already, or section headers that we
 * track ourselves) are handed over as comments.
 */
static char *
loader_read(char *str, int num, void *arg)
{
	struct loader *L = arg;
	char *line, *p, *end;
	size_t used;
	ssize_t n;

	n = getline(&L->buf, &L->cap, L->f);
	if (n < 0) {
		/* inih's buffer still holds pieces of the lines it was given. */
		scheme_wipe(str, (size_t)num);
		return NULL;
	}
	line = L->buf;
	used = (size_t)n + 1;
	L->line++;
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (L->line == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		memmove(line, line + 3, (size_t)(n -= 3) + 1);
	p = line + strspn(line, " \t");

	if (*p == '\0' || *p == ';' || *p == '#')
		goto comment;
	if (n + 3 > num || n >= MAX_LINE) {
		loader_error(L, L->line, "line longer than %d bytes", MAX_LINE - 3);
		goto comment;
	}
	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL) {
			loader_error(L, L->line, "section line without ']'");
			L->in_section = false;
			L->bad_section = true;
			L->src = NULL;
			L->rt = NULL;
		} else
			loader_section(L, p + 1, (size_t)(end - p - 1));
		goto comment;
	}
	if (strpbrk(p, "=:") == NULL) {
		loader_error(L, L->line, "expected 'key = value'");
		goto comment;
	}
	memcpy(str, line, (size_t)n);
	str[n] = '\n';
	str[n + 1] = '\0';
	scheme_wipe(line, used);
	return str;
comment:
	scheme_wipe(line, used);
	snprintf(str, (size_t)num, ";\n");
	return str;
}

/* Parses a size: digits with an optional K or M suffix (powers of 1024). */
static int
parse_size(const char *v, long long *out)
{
	char *end;
	long long n;

	errno = 0;
	if (*v < '0' || *v > '9')
		return -1;
	n = strtoll(v, &end, 10);
	if (errno != 0)
		return -1;
	/* Values past 2^40 are out of any range here; stopping there keeps the products in range. */
	if (n > (1LL << 40))
		return -1;
	if (*end == 'K' || *end == 'k') {
		n *= 1024;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		n *= 1024 * 1024;
		end++;
	}
	if (*end != '\0')
		return -1;
	*out = n;
	return 0;
}

/*
 * Parses a duration into ms: digits with a unit, ms, s, m, h or d; a bare
 * number is seconds.
 */
int
config_parse_duration(const char *v, long long *out)
{
	static const struct { const char *unit; long long ms; } UNITS[] = {
		{ "", SECOND }, { "ms", 1 }, { "s", SECOND }, { "m", 60 * SECOND },
		{ "h", 3600 * SECOND }, { "d", DAY },
	};
	char *end;
	long long n;
	size_t i;

	errno = 0;
	if (*v < '0' || *v > '9')
		return -1;
	n = strtoll(v, &end, 10);
	/* Past 2^32 units every value is out of range; stopping there keeps the product in range. */
	if (errno != 0 || n > (1LL << 32))
		return -1;
	for (i = 0; i < nitems(UNITS); i++)
		if (strcmp(end, UNITS[i].unit) == 0) {
			*out = n * UNITS[i].ms;
			return 0;
		}
	return -1;
}

/* Resolves a relative path against the config file's folder. */
static char *
loader_path(const struct loader *L, const char *v)
{
	size_t n;
	char *p;

	if (v[0] == '/' || L->dir == NULL)
		return xstrdup(v);
	/* "./x" is "x": messages then name dir/x, not dir/./x. */
	while (v[0] == '.' && v[1] == '/')
		v += 2 + strspn(v + 2, "/");
	n = strlen(L->dir) + 1 + strlen(v) + 1;
	p = xmalloc(n);
	snprintf(p, n, "%s/%s", L->dir, v);
	return p;
}

/* A lowercased copy of s (header names are compared so). */
static char *
lowercase(const char *s)
{
	char *p = xstrdup(s);

	str_lower(p);
	return p;
}

/* Frees a NULL-terminated argv; NULL is fine. */
static void
argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* A deep copy of a NULL-terminated argv, so that each owner frees its own. */
static char **
argv_copy(char *const *argv)
{
	size_t n = 0, i;
	char **copy;

	while (argv[n] != NULL)
		n++;
	copy = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		copy[i] = xstrdup(argv[i]);
	return copy;
}

/*
 * Splits a command (a handler, on_dead) on white space into a malloc'd
 * NULL-terminated argv, or NULL with the error recorded at line under key's
 * name. It runs without a shell; a relative program path (one with a '/')
 * is taken from the config file's folder, a bare name is looked up in PATH
 * when it runs.
 */
static char **
split_command(struct loader *L, const char *text, int line, const char *key)
{
	char **argv = xcalloc(MAX_HANDLER_ARGS + 1, sizeof(char *));
	const char *p = text;
	size_t n = 0;

	while (*(p += strspn(p, " \t")) != '\0') {
		size_t len = strcspn(p, " \t");
		char *arg;

		if (n == MAX_HANDLER_ARGS) {
			loader_error(L, line, "%s: more than %d words", key, MAX_HANDLER_ARGS);
			goto fail;
		}
		arg = xstrndup(p, len);
		if (n == 0 && strchr(arg, '/') != NULL) {
			argv[n++] = loader_path(L, arg);
			free(arg);
		} else
			argv[n++] = arg;
		p += len;
	}
	if (n == 0) {
		loader_error(L, line, "%s: empty value", key);
		goto fail;
	}
	return argv;
fail:
	argv_free(argv);
	return NULL;
}

/* A copy of s[0, n) without the blanks around it. */
static char *
trimmed(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

/* A dotted JSON path as id_json takes it: names of [^.=] separated by '.', none empty. */
static bool
valid_json_path(const char *s)
{
	for (;;) {
		size_t n = strcspn(s, ".=");

		if (n == 0 || (s[n] != '.' && s[n] != '\0'))
			return false;
		if (s[n] == '\0')
			return true;
		s += n + 1;
	}
}

/* A header name: one or more of RFC 9110's token characters. */
static bool
valid_header_name(const char *s)
{
	static const char TCHAR[] = "!#$%&'*+-.^_`|~0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	return *s != '\0' && strspn(s, TCHAR) == strlen(s);
}

/* True when s is a whole JSON number (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?). */
static bool
json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.') {
		if (*++s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		if (*++s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* The value of four hex digits at p (end bounds them), or -1. */
static long
hex4(const char *p, const char *end)
{
	long v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Writes code point cp (at most U+10FFFF, not a surrogate) as UTF-8 at out; the length. */
static size_t
utf8_put(char *out, long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decodes s when it is a whole JSON string ("...", JSON escapes, \uXXXX
 * and surrogate pairs as UTF-8) into *out (malloc'd). Returns 0; -1 when
 * s is not one; -2 when it holds \u0000, which a C string cannot.
 */
static int
json_string(const char *s, char **out)
{
	static const char ESC[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	size_t n = strlen(s), o = 0;
	const char *p, *end = s + n - 1, *e;
	char *buf;
	long cp, lo;

	if (n < 2 || s[0] != '"' || *end != '"')
		return -1;
	/* Decoding never lengthens: an escape of 2, 6 or 12 bytes gives 1, at most 3 or 4. */
	buf = xmalloc(n);
	for (p = s + 1; p < end;) {
		if (*p == '"' || (unsigned char)*p < 0x20)
			goto bad;
		if (*p != '\\') {
			buf[o++] = *p++;
			continue;
		}
		if (++p == end)
			goto bad;
		if (*p != 'u') {
			for (e = ESC; *e != '\0' && *e != *p; e += 2)
				;
			if (*e == '\0')
				goto bad;
			buf[o++] = e[1];
			p++;
			continue;
		}
		if ((cp = hex4(++p, end)) < 0)
			goto bad;
		p += 4;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			goto bad;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    (lo = hex4(p + 2, end)) < 0xdc00 || lo > 0xdfff)
				goto bad;
			p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (cp == 0) {
			free(buf);
			return -2;
		}
		o += utf8_put(buf + o, cp);
	}
	buf[o] = '\0';
	*out = buf;
	return 0;
bad:
	free(buf);
	return -1;
}

/*
 * Reads one match line, PATH=VALUE, into a new condition of r. VALUE is a
 * JSON scalar when it parses as one, else a bare string as written.
 * Returns 0, or -1 with the error recorded.
 */
static int
parse_match(struct loader *L, struct route *r, const char *v)
{
	const char *eq = strchr(v, '=');
	struct route_match m;
	int rc;

	if (eq == NULL) {
		loader_error(L, L->line, "match: '%s' is not PATH=VALUE", v);
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.line = L->line;
	m.path = trimmed(v, (size_t)(eq - v));
	m.value = trimmed(eq + 1, strlen(eq + 1));
	if (*m.path == '\0') {
		loader_error(L, L->line, "match: no path before '=' in '%s'", v);
		goto fail;
	}
	if (!valid_json_path(m.path)) {
		loader_error(L, L->line, "match: '%s' is not a dotted JSON path (names separated"
		    " by '.', none empty)", m.path);
		goto fail;
	}
	if (*m.value == '\0') {
		loader_error(L, L->line, "match: %s has no value (write \"\" for the empty string)",
		    m.path);
		goto fail;
	}
	if (strcmp(m.value, "true") == 0)
		m.kind = MATCH_TRUE;
	else if (strcmp(m.value, "false") == 0)
		m.kind = MATCH_FALSE;
	else if (strcmp(m.value, "null") == 0)
		m.kind = MATCH_NULL;
	else if (json_number(m.value)) {
		m.kind = MATCH_NUMBER;
		m.number = strtod(m.value, NULL);
	} else {
		char *text;

		m.kind = MATCH_STRING;
		if ((rc = json_string(m.value, &text)) == -2) {
			loader_error(L, L->line, "match: %s: a string with \\u0000 cannot be matched",
			    m.path);
			goto fail;
		}
		if (rc == 0) {
			free(m.value);
			m.value = text;
		}
	}
	r->match = xreallocarray(r->match, r->nmatch + 1, sizeof(*r->match));
	r->match[r->nmatch++] = m;
	return 0;
fail:
	free(m.path);
	free(m.value);
	return -1;
}

/* Parses a rate, N/s, N/m or N/h with N within [min, max], into r. Returns 0 or -1. */
static int
parse_rate(struct route *r, const char *v, long long min, long long max)
{
	static const struct { char unit; int64_t ms; } UNITS[] = {
		{ 's', SECOND }, { 'm', 60 * SECOND }, { 'h', 3600 * SECOND },
	};
	char *end;
	long long n;
	size_t i;

	errno = 0;
	if (*v < '0' || *v > '9')
		return -1;
	n = strtoll(v, &end, 10);
	if (errno != 0 || n < min || n > max || end[0] != '/' || end[1] == '\0' || end[2] != '\0')
		return -1;
	for (i = 0; i < nitems(UNITS); i++)
		if (end[1] == UNITS[i].unit) {
			r->rate = (int)n;
			r->rate_period = UNITS[i].ms;
			return 0;
		}
	return -1;
}

/* Stores one value by its key row; returns 0 or -1 with the error recorded. */
static int
loader_set(struct loader *L, const struct key *k, void *base, const char *v)
{
	long long n;
	size_t i;

	switch (k->type) {
	case KEY_BASE_URL:
		if ((i = base_url_len(v)) == 0) {
			loader_error(L, L->line, "%s: '%s' is not an http or https URL without a path"
			    " (scheme://host[:port])", k->name, v);
			return -1;
		}
		*(char **)((char *)base + k->offset) = xstrndup(v, i);
		return 0;
	case KEY_URL_PATH:
		if (!valid_url_path(v)) {
			loader_error(L, L->line, "%s: '%s' is not a URL path (a '/' then printable"
			    " characters, no blanks, '?' or '#')", k->name, v);
			return -1;
		}
		*(char **)((char *)base + k->offset) = xstrdup(v);
		return 0;
	case KEY_STRING:
	case KEY_DATABASE:
		if (store_is_url(v)) {
			char *why = store_url_problem(v);

			/* The URL is not shown: it may hold the very password refused. */
			if (why != NULL) {
				loader_error(L, L->line, "database: %s", why);
				free(why);
				return -1;
			}
			*(char **)((char *)base + k->offset) = xstrdup(v);
			return 0;
		}
		/* FALLTHROUGH */
	case KEY_PATH:
		if (*v == '\0') {
			loader_error(L, L->line, "%s: empty value", k->name);
			return -1;
		}
		if (k->choices != NULL) {
			for (i = 0; k->choices[i] != NULL; i++)
				if (strcmp(v, k->choices[i]) == 0)
					break;
			if (k->choices[i] == NULL) {
				loader_error(L, L->line, "%s: '%s' is not one of the choices", k->name, v);
				return -1;
			}
		}
		*(char **)((char *)base + k->offset) =
		    k->type == KEY_PATH || k->type == KEY_DATABASE ? loader_path(L, v) : xstrdup(v);
		return 0;
	case KEY_INT:
	case KEY_SIZE:
	case KEY_DURATION:
		if (k->type == KEY_DURATION) {
			if (config_parse_duration(v, &n) != 0)
				n = k->min - 1;
		} else if (k->type == KEY_INT) {
			char *end;

			errno = 0;
			n = strtoll(v, &end, 10);
			if (errno != 0 || end == v || *end != '\0')
				n = k->min - 1;
		} else if (parse_size(v, &n) != 0)
			n = k->min - 1;
		if (n < k->min || n > k->max) {
			if (k->type == KEY_DURATION)
				loader_error(L, L->line, "%s: '%s' is not a duration (a number with ms, s,"
				    " m, h or d) from %lldms to %lldms", k->name, v, k->min, k->max);
			else
				loader_error(L, L->line, "%s: '%s' is not a %s from %lld to %lld",
				    k->name, v, k->type == KEY_SIZE ? "size (bytes, K or M)" :
				    "whole number", k->min, k->max);
			return -1;
		}
		if (k->type == KEY_DURATION)
			*(int64_t *)((char *)base + k->offset) = (int64_t)n;
		else if (k->type == KEY_INT)
			*(int *)((char *)base + k->offset) = (int)n;
		else
			*(size_t *)((char *)base + k->offset) = (size_t)n;
		return 0;
	case KEY_MODE: {
		char *end;

		errno = 0;
		n = strtoll(v, &end, 8);
		if (errno != 0 || end == v || *end != '\0' || *v == '-' || *v == '+' ||
		    n < k->min || n > k->max) {
			loader_error(L, L->line, "%s: '%s' is not a mode (octal permission bits from"
			    " 0 to 0777, such as 0660)", k->name, v);
			return -1;
		}
		*(int *)((char *)base + k->offset) = (int)n;
		return 0;
	}
	case KEY_COMMAND:
		*(char ***)((char *)base + k->offset) = split_command(L, v, L->line, k->name);
		return *(char ***)((char *)base + k->offset) != NULL ? 0 : -1;
	case KEY_MATCH:
		return parse_match(L, (struct route *)((char *)base + k->offset), v);
	case KEY_RATE:
		if (parse_rate((struct route *)((char *)base + k->offset), v, k->min, k->max) != 0) {
			loader_error(L, L->line, "%s: '%s' is not a rate: N/s, N/m or N/h (per second,"
			    " minute or hour) with N from %lld to %lld", k->name, v, k->min, k->max);
			return -1;
		}
		return 0;
	case KEY_ORDER: {
		struct route *r = (struct route *)((char *)base + k->offset);

		if (strncmp(v, "header:", 7) == 0 && valid_header_name(v + 7))
			r->order_header = lowercase(v + 7);
		else if (strncmp(v, "header:", 7) != 0 && valid_json_path(v))
			r->order = xstrdup(v);
		else {
			loader_error(L, L->line, "%s: '%s' is neither a dotted JSON path (names"
			    " separated by '.', none empty) nor header:NAME", k->name, v);
			return -1;
		}
		return 0;
	}
	case KEY_URL:
		if (!valid_url(v)) {
			loader_error(L, L->line, "%s: '%s' is not an http:// or https:// URL with a host"
			    " (printable characters, no blanks)", k->name, v);
			return -1;
		}
		*(char **)((char *)base + k->offset) = xstrdup(v);
		return 0;
	case KEY_BOOL:
	case KEY_CHOICE:
		for (i = 0; k->choices[i] != NULL; i++)
			if (strcmp(v, k->choices[i]) == 0) {
				if (k->type == KEY_BOOL)
					*(bool *)((char *)base + k->offset) = i == 1;
				else
					*(int *)((char *)base + k->offset) = (int)i;
				return 0;
			}
		loader_error(L, L->line, "%s: '%s' is not one of the choices", k->name, v);
		return -1;
	}
	return -1;
}

/* inih's callback: one key = value in the current section. */
static int
loader_key(void *arg, const char *section, const char *name, const char *value)
{
	struct loader *L = arg;
	const struct key *keys = L->section == SECTION_ROUTE ? ROUTE_KEYS : KEYS;
	size_t nkeys = L->section == SECTION_ROUTE ? nitems(ROUTE_KEYS) : nitems(KEYS), i;
	int *lines;
	void *base;

	if (!L->in_section) {
		if (!L->bad_section)
			loader_error(L, L->line, "'%s' outside a [hookq], [source NAME] or [route NAME]"
			    " section", name);
		return 1;
	}
	for (i = 0; i < nkeys; i++)
		if (keys[i].section == L->section && strcmp(keys[i].name, name) == 0)
			break;
	if (i == nkeys) {
		loader_error(L, L->line, "unknown key '%s' in [%s]", name, SECTION_NAMES[L->section]);
		return 1;
	}
	if (L->section == SECTION_HOOKQ) {
		base = L->cfg;
		lines = L->hookq_lines;
	} else if (L->section == SECTION_SOURCE) {
		base = L->src;
		lines = L->src->key_lines;
	} else {
		base = L->rt;
		lines = L->rt->key_lines;
	}
	/* match is a list, one condition a line; any other key is given once. */
	if (lines[i] != 0 && keys[i].type != KEY_MATCH) {
		loader_error(L, L->line, "'%s' given twice (first at line %d)", name, lines[i]);
		return 1;
	}
	if (lines[i] == 0)
		lines[i] = L->line;
	(void)loader_set(L, &keys[i], base, value);
	return 1;
}

/* The line of key name in a source section, or the section's own line. */
static int
source_line(const struct source *src, const char *name)
{
	size_t i;

	for (i = 0; i < nitems(KEYS); i++)
		if (KEYS[i].section == SECTION_SOURCE && strcmp(KEYS[i].name, name) == 0 &&
		    src->key_lines[i] != 0)
			return src->key_lines[i];
	return src->line;
}

/* The largest secret file: the most secrets, each of the longest length, with CRLF. */
#define SECRET_FILE_MAX (SCHEME_MAX_SECRETS * (SCHEME_SECRET_MAX + 2))

/*
 * Reads the whole secret file into buf (SECRET_FILE_MAX + 1 bytes) with
 * read(2), not stdio: a FILE's buffer would be freed with a copy of every
 * secret in it. Returns the length, or -1 with errno set (EFBIG when the
 * file is longer than SECRET_FILE_MAX).
 */
static ssize_t
read_secret_file(const char *path, char *buf)
{
	size_t len = 0;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	for (;;) {
		n = read(fd, buf + len, SECRET_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > SECRET_FILE_MAX)
			break;
	}
	saved = n < 0 ? errno : len > SECRET_FILE_MAX ? EFBIG : 0;
	close(fd);
	errno = saved;
	return saved == 0 ? (ssize_t)len : -1;
}

/*
 * Reads a secret file (key, at line of the config) for scheme: one secret
 * per line (two lines while a secret rotates), blank lines skipped, line
 * terminators not part of the secret, into secrets[*n]. Messages name the
 * file and line, never the secret. The file's bytes are wiped once
 * decoded: only the keys in secrets remain. With alt_scheme (NULL: none),
 * its lines of scheme's alt_key_prefix are also decoded as alt_scheme's keys
 * into alt[*nalt].
 */
static void
load_secret_file(struct loader *L, const char *key, int line, const char *path,
    const struct scheme *scheme, struct secret *secrets, size_t *nsecrets,
    const struct scheme *alt_scheme, struct secret *alt, size_t *nalt)
{
	size_t errlen = L->errlen, off = 0, n;
	char *buf = xmalloc(SECRET_FILE_MAX + 1);
	ssize_t len;
	int sline = 0;

	if ((len = read_secret_file(path, buf)) < 0) {
		if (errno == EFBIG)
			loader_error(L, line, "%s %s: longer than %d bytes", key, path, SECRET_FILE_MAX);
		else
			loader_error(L, line, "%s %s: %s", key, path, strerror(errno));
		goto out;
	}
	while (off < (size_t)len) {
		const char *p = buf + off, *nl = memchr(p, '\n', (size_t)len - off), *reason;

		n = nl != NULL ? (size_t)(nl - p) : (size_t)len - off;
		off += n + (nl != NULL);
		sline++;
		while (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		/*
		 * A line of the row's second way of signing (GitLab's whsec_ signing
		 * token) is a key of that way, and stays a token of the first too: a
		 * token chosen before signing tokens existed may look like one.
		 */
		if (alt_scheme != NULL && *nalt < SCHEME_MAX_SECRETS &&
		    n > strlen(scheme->alt_key_prefix) &&
		    memcmp(p, scheme->alt_key_prefix, strlen(scheme->alt_key_prefix)) == 0 &&
		    scheme_secret_parse(alt_scheme, p, n, &alt[*nalt], &reason) == 0)
			(*nalt)++;
		if (*nsecrets == SCHEME_MAX_SECRETS) {
			loader_error(L, line, "%s %s: more than %d secrets", key, path, SCHEME_MAX_SECRETS);
			break;
		}
		if (scheme_secret_parse(scheme, p, n, &secrets[*nsecrets], &reason) != 0) {
			loader_error(L, line, "%s %s, line %d: %s", key, path, sline, reason);
			continue;
		}
		(*nsecrets)++;
	}
	if (*nsecrets == 0 && L->errlen == errlen)
		loader_error(L, line, "%s %s: no secret in it", key, path);
out:
	scheme_wipe(buf, SECRET_FILE_MAX + 1);
	free(buf);
}

/*
 * Splits an events list (raw, NULL: none) on white space and commas into
 * *events and *nevents; an error names line.
 */
static void
split_events(struct loader *L, const char *raw, int line, char ***events, size_t *nevents)
{
	const char *p = raw;

	while (p != NULL && *p != '\0') {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 0)
			break;
		*events = xreallocarray(*events, *nevents + 1, sizeof(char *));
		(*events)[(*nevents)++] = xstrndup(p, n);
		p += n;
	}
	/* An allow-list that names nothing would let everything through. */
	if (raw != NULL && *nevents == 0)
		loader_error(L, line, "events: no event type in the list");
}

/* The source keys a scheme row may need (scheme.h's SCHEME_OPT_*), and why it needs each. */
static const struct {
	unsigned option;
	const char *key;
	bool required;              /* by the rows that name it; else optional there */
	const char *why;
} SCHEME_KEYS[] = {
	{ SCHEME_OPT_URL, "notification_url", true, "the URL the sender posts to, which it signs" },
	/* Without it a verification GET is refused (403), which is a choice. */
	{ SCHEME_OPT_VERIFY_TOKEN, "verify_token", false, "" },
};

/* The string a scheme key was given, or NULL. */
static const char *
scheme_key_value(const struct source *src, unsigned option)
{
	switch (option) {
	case SCHEME_OPT_URL:
		return src->notification_url;
	case SCHEME_OPT_VERIFY_TOKEN:
		return src->verify_token;
	}
	return NULL;
}

/* Each key the scheme's row needs is given, and no other scheme key is. */
static void
check_scheme_keys(struct loader *L, struct source *src)
{
	size_t i;

	for (i = 0; i < nitems(SCHEME_KEYS); i++) {
		bool needed = (src->scheme.options & SCHEME_KEYS[i].option) != 0;
		bool given = scheme_key_value(src, SCHEME_KEYS[i].option) != NULL;

		if (needed && !given && SCHEME_KEYS[i].required)
			loader_error(L, src->line, "[source %s]: scheme %s needs %s, %s", src->name,
			    src->scheme_name, SCHEME_KEYS[i].key, SCHEME_KEYS[i].why);
		if (!needed && given)
			loader_error(L, source_line(src, SCHEME_KEYS[i].key),
			    "'%s' does not apply to scheme %s", SCHEME_KEYS[i].key, src->scheme_name);
	}
}

/*
 * dedup_window belongs to dedup = body, a day unless given. A done row that
 * retain_done prunes takes its body hash with it, and a replay of the body
 * after that would be stored again: retain_done must outlast the window.
 */
static void
finish_dedup(struct loader *L, struct source *src)
{
	int64_t keep = L->cfg->retain_done;
	int line = source_line(src, "dedup_window");

	if (src->dedup != DEDUP_BODY) {
		if (src->dedup_window != 0)
			loader_error(L, line, "'dedup_window' applies only with dedup = body");
		return;
	}
	if (line == src->line)
		line = source_line(src, "dedup");
	if (src->dedup_window == 0)
		src->dedup_window = DEFAULT_DEDUP_WINDOW;
	if (keep != 0 && keep < src->dedup_window)
		loader_error(L, line, "dedup_window: %lldms is longer than retain_done's %lldms:"
		    " done rows, and the body hashes in them, would be deleted before it ends;"
		    " make retain_done at least %lldms", (long long)src->dedup_window,
		    (long long)keep, (long long)src->dedup_window);
}

/* Checks a source once its section is read, and derives what it needs. */
static void
finish_source(struct loader *L, struct source *src)
{
	const struct scheme *builtin;
	size_t i;

	if (src->max_body == 0)
		src->max_body = L->cfg->max_body;
	if (src->handler_timeout == 0)
		src->handler_timeout = DEFAULT_HANDLER_TIMEOUT;
	if (src->max_attempts == 0)
		src->max_attempts = DEFAULT_MAX_ATTEMPTS;
	if (src->backoff_base == 0)
		src->backoff_base = DEFAULT_BACKOFF_BASE;
	if (src->backoff_max == 0)
		src->backoff_max = DEFAULT_BACKOFF_MAX;
	split_events(L, src->events_raw, source_line(src, "events"), &src->events, &src->nevents);
	if (src->handler != NULL)
		src->handler_argv = split_command(L, src->handler, source_line(src, "handler"),
		    "handler");
	finish_dedup(L, src);

	if (src->scheme_name == NULL) {
		loader_error(L, src->line, "[source %s]: no scheme", src->name);
		return;
	}
	if (strcmp(src->scheme_name, "generic") == 0) {
		const char *reason, *key;

		if (scheme_generic(&src->scheme, src->generic, &reason, &key) != 0)
			loader_error(L, key != NULL ? source_line(src, key) : src->line,
			    "[source %s]: %s", src->name, reason);
	} else if ((builtin = scheme_find(src->scheme_name)) != NULL) {
		src->scheme = *builtin;
		for (i = 0; i < nitems(KEYS); i++)
			if (KEYS[i].generic && src->key_lines[i] != 0)
				loader_error(L, src->key_lines[i],
				    "'%s' applies only to scheme generic, not %s", KEYS[i].name,
				    src->scheme_name);
	} else {
		char names[2048];
		const char *n;
		size_t off = 0, k;

		names[0] = '\0';
		for (k = 0; (n = scheme_name(k)) != NULL && off < sizeof(names); k++)
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
			    k > 0 ? ", " : "", n);
		loader_error(L, source_line(src, "scheme"), "unknown scheme '%s' (known: %s)",
		    src->scheme_name, names);
		return;
	}
	check_scheme_keys(L, src);
	/* Found here once, not per request (GitLab's signing tokens: standard-webhooks). */
	src->alt_scheme = src->scheme.alt_scheme != NULL ? scheme_find(src->scheme.alt_scheme) : NULL;
	if (src->tolerance == 0)
		src->tolerance = src->scheme.tolerance != 0 ? src->scheme.tolerance : DEFAULT_TOLERANCE;
	if (src->secret_file == NULL) {
		loader_error(L, src->line, "[source %s]: no secret_file", src->name);
		return;
	}
	if ((L->flags & CONFIG_NO_SECRETS) == 0)
		load_secret_file(L, "secret_file", source_line(src, "secret_file"), src->secret_file,
		    &src->scheme, src->secrets, &src->nsecrets, src->alt_scheme, src->alt_secrets,
		    &src->nalt_secrets);
}

/* The line of key name in a [route] section as read, or the section's own line. */
static int
route_line(const struct route_read *rd, const char *name)
{
	size_t i;

	for (i = 0; i < nitems(ROUTE_KEYS); i++)
		if (strcmp(ROUTE_KEYS[i].name, name) == 0 && rd->key_lines[i] != 0)
			return rd->key_lines[i];
	return rd->r.line;
}

/* The keys that belong to url routes only, and to handler routes only. */
static const char *const URL_ONLY_KEYS[] = {
	"url_timeout", "retry_4xx", "ca_file", "resolve", "signing_secret_file", NULL
};
static const char *const HANDLER_ONLY_KEYS[] = { "handler_mode", "handler_timeout", NULL };

/* True when s is host:port:addr, as curl's CURLOPT_RESOLVE takes one entry. */
static bool
valid_resolve(const char *s)
{
	const char *c1 = strchr(s, ':'), *c2;
	char *end;
	long port;

	if (c1 == NULL || c1 == s || strlen(s) > 512)
		return false;
	errno = 0;
	port = strtol(c1 + 1, &end, 10);
	c2 = end;
	if (errno != 0 || c2 == c1 + 1 || *c2 != ':' || port < 1 || port > 65535 ||
	    c2[1] == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s > '~' || *s == ',')
			return false;
	return true;
}

/*
 * A route delivers through exactly one of handler and url; each kind's keys
 * make no sense on the other, so they are errors, not silently ignored.
 */
static void
finish_route_target(struct loader *L, struct route_read *rd, struct route *r)
{
	/* Given at all: a value refused was reported already, and is not also missing. */
	bool handler = route_line(rd, "handler") != r->line, url = route_line(rd, "url") != r->line;
	const char *const *k;

	if (!handler && !url) {
		loader_error(L, r->line, "[route %s]: no handler and no url", r->name);
		return;
	}
	if (handler && url) {
		loader_error(L, route_line(rd, "url"), "[route %s]: both handler (line %d) and url:"
		    " a route delivers through one of them", r->name, route_line(rd, "handler"));
		return;
	}
	for (k = url ? HANDLER_ONLY_KEYS : URL_ONLY_KEYS; *k != NULL; k++)
		if (route_line(rd, *k) != r->line)
			loader_error(L, route_line(rd, *k), "%s: applies only to a route with %s", *k,
			    url ? "a handler" : "a url");
	if (r->url == NULL)
		return;
	if (r->url_timeout == 0)
		r->url_timeout = DEFAULT_URL_TIMEOUT;
	if (r->resolve != NULL && !valid_resolve(r->resolve))
		loader_error(L, route_line(rd, "resolve"), "resolve: '%s' is not HOST:PORT:ADDRESS"
		    " (such as app.internal:443:10.0.0.5)", r->resolve);
	if (r->ca_file != NULL && access(r->ca_file, R_OK) != 0)
		loader_error(L, route_line(rd, "ca_file"), "ca_file %s: %s", r->ca_file,
		    strerror(errno));
	if (r->signing_secret_file != NULL && (L->flags & CONFIG_NO_SECRETS) == 0)
		load_secret_file(L, "signing_secret_file", route_line(rd, "signing_secret_file"),
		    r->signing_secret_file, scheme_find("standard-webhooks"), r->signing,
		    &r->nsigning, NULL, NULL, NULL);
}

/*
 * Checks a [route] once every source is finished, and gives it what it
 * inherits: r is the route in cfg->routes, rd what was read of it.
 */
static void
finish_route(struct loader *L, struct route_read *rd, struct route *r)
{
	const struct source *src = NULL, *same;
	size_t i;

	if ((same = config_source(L->cfg, r->name)) != NULL && same->handler != NULL)
		loader_error(L, r->line, "route %s: source %s's handler already makes a route of"
		    " that name; rename the route, or move the source's handler into a [route]",
		    r->name, r->name);
	if (r->source == NULL)
		loader_error(L, r->line, "[route %s]: no source", r->name);
	else if ((src = config_source(L->cfg, r->source)) == NULL)
		loader_error(L, route_line(rd, "source"), "source: no [source %s] in the file",
		    r->source);
	finish_route_target(L, rd, r);
	split_events(L, rd->events_raw, route_line(rd, "events"), &r->events, &r->nevents);
	/* A type the source refuses never reaches the route. */
	for (i = 0; src != NULL && src->nevents > 0 && i < r->nevents; i++)
		if (!config_type_allowed(src, r->events[i]))
			loader_error(L, route_line(rd, "events"), "events: '%s' is not in [source %s]'s"
			    " events (line %d): the route could never take it", r->events[i],
			    src->name, source_line(src, "events"));
	if (r->handler_timeout == 0)
		r->handler_timeout = src != NULL ? src->handler_timeout : DEFAULT_HANDLER_TIMEOUT;
	if (r->max_attempts == 0)
		r->max_attempts = src != NULL ? src->max_attempts : DEFAULT_MAX_ATTEMPTS;
	if (r->backoff_base == 0)
		r->backoff_base = src != NULL ? src->backoff_base : DEFAULT_BACKOFF_BASE;
	if (r->backoff_max == 0)
		r->backoff_max = src != NULL ? src->backoff_max : DEFAULT_BACKOFF_MAX;
}

/*
 * Builds cfg->routes: one implicit route per source with a handler, in
 * source order, then the [route]s in file order, which move there from the
 * loader (L->routes is emptied).
 */
static void
finish_routes(struct loader *L)
{
	struct config *cfg = L->cfg;
	size_t i, n = L->nroutes;

	for (i = 0; i < cfg->nsources; i++)
		if (cfg->sources[i].handler_argv != NULL)
			n++;
	if (n > 0)
		cfg->routes = xcalloc(n, sizeof(*cfg->routes));
	for (i = 0; i < cfg->nsources; i++) {
		const struct source *src = &cfg->sources[i];
		struct route *r;

		if (src->handler_argv == NULL)
			continue;
		r = &cfg->routes[cfg->nroutes++];
		r->name = xstrdup(src->name);
		r->source = xstrdup(src->name);
		r->handler_argv = argv_copy(src->handler_argv);
		r->handler_timeout = src->handler_timeout;
		r->max_attempts = src->max_attempts;
		r->backoff_base = src->backoff_base;
		r->backoff_max = src->backoff_max;
		r->implicit = true;
		r->line = source_line(src, "handler");
	}
	for (i = 0; i < L->nroutes; i++) {
		struct route *r = &cfg->routes[cfg->nroutes++];

		*r = L->routes[i].r;
		finish_route(L, &L->routes[i], r);
		free(L->routes[i].events_raw);
	}
	free(L->routes);
	L->routes = NULL;
	L->nroutes = 0;
}

/* The line of key name in [hookq], or 0. */
static int
hookq_line(const struct loader *L, const char *name)
{
	size_t i;

	for (i = 0; i < nitems(KEYS); i++)
		if (KEYS[i].section == SECTION_HOOKQ && strcmp(KEYS[i].name, name) == 0)
			return L->hookq_lines[i];
	return 0;
}

/*
 * The lease defaults to the longest handler_timeout plus a margin. One
 * given must outlast every handler's timeout and the kill after it, or a
 * second worker could claim a row whose handler is still running.
 */
static void
finish_lease(struct loader *L)
{
	struct config *cfg = L->cfg;
	int64_t longest = DEFAULT_HANDLER_TIMEOUT;
	const struct route *r = NULL;
	size_t i;

	for (i = 0; i < cfg->nroutes; i++)
		if (r == NULL || config_route_timeout(&cfg->routes[i]) > longest) {
			r = &cfg->routes[i];
			longest = config_route_timeout(r);
		}
	if (cfg->lease == 0)
		cfg->lease = longest + LEASE_MARGIN;
	else if (r != NULL && cfg->lease < longest + LEASE_MIN_MARGIN)
		loader_error(L, hookq_line(L, "lease"), "lease: %lldms is too short for [%s %s]'s"
		    " %s of %lldms: make it at least %lldms", (long long)cfg->lease,
		    r->implicit ? "source" : "route", r->name,
		    r->url != NULL ? "url_timeout" : "handler_timeout", (long long)longest,
		    (long long)(longest + LEASE_MIN_MARGIN));
}

/* A user or group given by name or number: the id, or -1 when there is none. */
static long
lookup_id(const char *name, bool group)
{
	char buf[16384], *end;
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	long id;

	if (group ? getgrnam_r(name, &gr, buf, sizeof(buf), &grp) == 0 && grp != NULL :
	    getpwnam_r(name, &pw, buf, sizeof(buf), &pwp) == 0 && pwp != NULL)
		return group ? (long)grp->gr_gid : (long)pwp->pw_uid;
	/* A number names an id even when no entry has it, as chown(1) takes it. */
	errno = 0;
	id = strtol(name, &end, 10);
	if (errno != 0 || end == name || *end != '\0' || id < 0 || id >= 0xffffffffL)
		return -1;
	return id;
}

/*
 * listen_owner, listen_group and listen_mode shape the socket the receiver
 * creates, so they need listen; names are looked up now, so a typo stops
 * the start (and hookq check) instead of leaving nginx with a 502.
 */
static void
finish_listen(struct loader *L)
{
	struct config *cfg = L->cfg;
	static const char *const KEYS_OF_LISTEN[] = { "listen_owner", "listen_group", "listen_mode" };

	cfg->listen_uid = cfg->listen_gid = -1;
	if (cfg->listen == NULL) {
		for (size_t i = 0; i < nitems(KEYS_OF_LISTEN); i++)
			if (hookq_line(L, KEYS_OF_LISTEN[i]) != 0)
				loader_error(L, hookq_line(L, KEYS_OF_LISTEN[i]), "%s: applies only with"
				    " listen (the socket the receiver creates)", KEYS_OF_LISTEN[i]);
		return;
	}
	if (cfg->listen_owner != NULL &&
	    (cfg->listen_uid = lookup_id(cfg->listen_owner, false)) < 0)
		loader_error(L, hookq_line(L, "listen_owner"), "listen_owner: no user '%s'",
		    cfg->listen_owner);
	if (cfg->listen_group != NULL &&
	    (cfg->listen_gid = lookup_id(cfg->listen_group, true)) < 0)
		loader_error(L, hookq_line(L, "listen_group"), "listen_group: no group '%s'",
		    cfg->listen_group);
}

struct config *
config_load(const char *path, char **cause)
{
	return config_load_opt(path, 0, cause);
}

struct config *
config_load_opt(const char *path, int flags, char **cause)
{
	struct loader L;
	struct config *cfg;
	size_t i;
	int rc;

	memset(&L, 0, sizeof(L));
	L.flags = flags;
	cfg = L.cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(path);
	cfg->threads = DEFAULT_THREADS;
	cfg->busy_timeout = DEFAULT_BUSY_TIMEOUT;
	cfg->durability = DURABILITY_FULL;
	cfg->ack = ACK_COMMIT;
	cfg->max_body = DEFAULT_MAX_BODY;
	cfg->concurrency = DEFAULT_CONCURRENCY;
	cfg->stop_grace = DEFAULT_STOP_GRACE;
	cfg->listen_mode = DEFAULT_LISTEN_MODE;
	cfg->refs = 1;
	L.dir = path_folder(path);

	L.f = fopen(path, "r");
	if (L.f == NULL) {
		loader_error(&L, 0, "%s", strerror(errno));
		goto fail;
	}
	setvbuf(L.f, L.iobuf, _IOFBF, sizeof(L.iobuf));
	L.cap = MAX_LINE + 2;
	L.buf = xmalloc(L.cap);
#if HAVE_DECL_INI_MAX_LINE && HAVE_DECL_INI_USE_STACK && HAVE_DECL_INI_INITIAL_ALLOC
	/*
	 * Debian's inih takes its limits at run time: lift the 200-byte line.
	 * The heap buffer starts (and, without realloc, stays) at initial_alloc.
	 */
	ini_use_stack = false;
	ini_max_line = MAX_LINE;
	ini_initial_alloc = MAX_LINE;
#endif
#if HAVE_DECL_INI_ALLOW_MULTILINE
	/* An indented line is a key of its own, not a continuation. */
	ini_allow_multiline = false;
#endif
	rc = ini_parse_stream(loader_read, &L, loader_key, &L);
	if (rc != 0 && L.errlen == 0)
		loader_error(&L, rc > 0 ? rc : 0, "cannot parse the file");
	fclose(L.f);
	scheme_wipe(L.iobuf, sizeof(L.iobuf));
	scheme_wipe(L.buf, L.cap);
	free(L.buf);

	if (cfg->database == NULL)
		loader_error(&L, 0, "[hookq] has no database");
	finish_listen(&L);
	for (i = 0; i < cfg->nsources; i++)
		finish_source(&L, &cfg->sources[i]);
	finish_routes(&L);
	finish_lease(&L);
	if (cfg->metrics_path != NULL && cfg->health_path != NULL &&
	    strcmp(cfg->metrics_path, cfg->health_path) == 0)
		loader_error(&L, hookq_line(&L, "health_path"), "health_path: the same as metrics_path");
	if (L.errlen > 0)
		goto fail;
	free(L.dir);
	return cfg;
fail:
	*cause = L.errors;
	free(L.dir);
	config_free(cfg);
	return NULL;
}

void
config_free(struct config *cfg)
{
	size_t i, j;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nsources; i++) {
		struct source *src = &cfg->sources[i];

		for (j = 0; j < src->nsecrets; j++)
			scheme_secret_clear(&src->secrets[j]);
		for (j = 0; j < src->nalt_secrets; j++)
			scheme_secret_clear(&src->alt_secrets[j]);
		for (j = 0; j < src->nevents; j++)
			free(src->events[j]);
		for (j = 0; j < GENERIC_NKEYS; j++)
			free(src->generic[j]);
		free(src->events);
		free(src->name);
		free(src->scheme_name);
		free(src->notification_url);
		if (src->verify_token != NULL)
			scheme_wipe(src->verify_token, strlen(src->verify_token));
		free(src->verify_token);
		free(src->secret_file);
		free(src->events_raw);
		free(src->handler);
		argv_free(src->handler_argv);
	}
	free(cfg->sources);
	for (i = 0; i < cfg->nroutes; i++) {
		struct route *r = &cfg->routes[i];

		for (j = 0; j < r->nevents; j++)
			free(r->events[j]);
		free(r->events);
		for (j = 0; j < r->nmatch; j++) {
			free(r->match[j].path);
			free(r->match[j].value);
		}
		free(r->match);
		argv_free(r->handler_argv);
		free(r->name);
		free(r->source);
		free(r->order);
		free(r->order_header);
		free(r->url);
		free(r->ca_file);
		free(r->resolve);
		free(r->signing_secret_file);
		for (j = 0; j < r->nsigning; j++)
			scheme_secret_clear(&r->signing[j]);
	}
	free(cfg->routes);
	argv_free(cfg->on_dead_argv);
	free(cfg->path);
	free(cfg->database);
	free(cfg->password_file);
	free(cfg->listen);
	free(cfg->listen_owner);
	free(cfg->listen_group);
	free(cfg->metrics_path);
	free(cfg->health_path);
	free(cfg->base_url);
	free(cfg);
}

int64_t
config_route_timeout(const struct route *r)
{
	return r->url != NULL ? r->url_timeout : r->handler_timeout;
}

const struct route *
config_route(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nroutes; i++)
		if (strcmp(cfg->routes[i].name, name) == 0)
			return &cfg->routes[i];
	return NULL;
}

const struct source *
config_source(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nsources; i++)
		if (strcmp(cfg->sources[i].name, name) == 0)
			return &cfg->sources[i];
	return NULL;
}

int
config_type_allowed(const struct source *src, const char *type)
{
	size_t i;

	if (src->nevents == 0)
		return 1;
	if (type == NULL)
		return 0;
	for (i = 0; i < src->nevents; i++)
		if (strcmp(src->events[i], type) == 0)
			return 1;
	return 0;
}

int
config_key_line(const struct source *src, const char *key)
{
	return source_line(src, key);
}
