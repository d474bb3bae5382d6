/*
 * config.h: the INI file all hookq programs read (default
 * /etc/hookq/hookq.conf). One [hookq] section for the process, one
 * [source NAME] section per sender, and [route NAME] sections that send a
 * source's events to more handlers. Loading checks everything up front:
 * unknown keys, bad values, unreadable or malformed secret files; every
 * problem is reported as "FILE:LINE: message". A loaded config is immutable.
 * A config without sources is valid: the receiver answers 404 to every
 * /hooks/ path until one is added (the Debian package ships one so).
 */
#ifndef HOOKQ_CONFIG_H
#define HOOKQ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scheme.h"

#define CONFIG_DEFAULT_PATH "/etc/hookq/hookq.conf"

enum durability { DURABILITY_FULL, DURABILITY_NORMAL };
enum ack { ACK_COMMIT, ACK_RECEIPT };
/* What makes a source's event a duplicate: its event id, or also a body stored lately. */
enum dedup { DEDUP_ID, DEDUP_BODY };
/* How a route's handler runs: a process per delivery, or long-lived ones fed frames (stream.h). */
enum handler_mode { HANDLER_EXEC, HANDLER_STREAM };

struct source {
	char *name;
	struct scheme scheme;        /* a built-in row, or built from the generic keys */
	struct secret secrets[SCHEME_MAX_SECRETS];
	size_t nsecrets;
	/* The row's alt_scheme (scheme.h), found once at load, or NULL; and its secret lines. */
	const struct scheme *alt_scheme;
	struct secret alt_secrets[SCHEME_MAX_SECRETS];
	size_t nalt_secrets;
	char **events;               /* allow-list of event types; NULL: every type */
	size_t nevents;
	size_t max_body;             /* bytes */
	int tolerance;               /* seconds, timestamped schemes */
	char *notification_url;      /* square: the URL the sender signs with the body */
	char *verify_token;          /* meta: what the verification GET must carry */
	int dedup;                   /* enum dedup */
	int64_t dedup_window;        /* ms; DEDUP_BODY: how long a stored body refuses its replays */

	/* The worker's: durations in ms. */
	char **handler_argv;         /* NULL-terminated; NULL: no handler, rows stay pending */
	int64_t handler_timeout;
	int max_attempts;
	int64_t backoff_base;
	int64_t backoff_max;

	/* As read from the file; the fields above are derived from them. */
	char *scheme_name;
	char *secret_file;
	char *events_raw;
	char *handler;
	char *generic[GENERIC_NKEYS];
	int line;                    /* of the [source NAME] line */
	int key_lines[48];           /* line of each key given, by key index */
};

/*
 * One condition of a route's match: the JSON value at path (dotted, as
 * id_json) is the scalar value. A match line's value is read as JSON when
 * it is a JSON scalar (42, true, null, "text"), else as a bare string.
 */
enum match_kind { MATCH_STRING, MATCH_NUMBER, MATCH_TRUE, MATCH_FALSE, MATCH_NULL };
struct route_match {
	char *path;
	int kind;                    /* enum match_kind */
	char *value;                 /* MATCH_STRING: the text; MATCH_NUMBER: as written */
	double number;               /* MATCH_NUMBER: compared by value, so 1.0 matches 1 */
	int line;
};

/*
 * A route: where a source's events go. Each [route NAME] is one; a
 * [source NAME] with a handler is one more, named after the source
 * (implicit), which takes every event of the source, as before routes.
 * Durations in ms.
 */
struct route {
	char *name;
	char *source;                /* the [source] it takes events from */
	char **events;               /* allow-list of event types; NULL: every type */
	size_t nevents;
	struct route_match *match;   /* every one must hold; nmatch 0: every event */
	size_t nmatch;
	char **handler_argv;         /* NULL-terminated; NULL: a url route */
	int handler_mode;            /* enum handler_mode */
	/* A url route: each delivery is a POST of the event to url (http.h). */
	char *url;
	int64_t url_timeout;         /* the whole request */
	bool retry_4xx;              /* retry 4xx answers (and 3xx) instead of dead at once */
	char *ca_file;               /* PEM CAs trusted besides the system's; NULL: none */
	char *resolve;               /* host:port:addr, the url's host pinned; NULL: DNS */
	char *signing_secret_file;   /* hookq signs its requests (Standard Webhooks); NULL: not */
	struct secret signing[SCHEME_MAX_SECRETS];
	size_t nsigning;
	int concurrency;             /* at most this many running, across workers; 0: no limit */
	int rate;                    /* a token bucket of rate tokens per rate_period; 0: none */
	int64_t rate_period;
	char *order;                 /* a JSON path: one at a time per value, in order; NULL: none */
	char *order_header;          /* or a header (lowercased) as the key; NULL: none */
	int64_t handler_timeout;
	int max_attempts;
	int64_t backoff_base;
	int64_t backoff_max;
	bool implicit;               /* the [source]'s own handler */
	int line;                    /* of the [route NAME] line (implicit: the handler line) */
};

struct config {
	char *path;
	char *database;              /* a SQLite file's path, or a postgresql:// URL */
	char *password_file;         /* PostgreSQL: a libpq password file; NULL: PGPASSFILE */
	char *listen;                /* unix socket path; NULL: inherited on fd 0 */
	char *listen_owner;          /* the socket's owner and group, as given; NULL: ours */
	char *listen_group;
	long listen_uid;             /* listen_owner and listen_group resolved; -1: unchanged */
	long listen_gid;
	int listen_mode;             /* the socket's permission bits (0660) */
	int threads;
	int busy_timeout;            /* ms */
	int durability;              /* enum durability */
	int ack;                     /* enum ack */
	size_t max_body;             /* default for sources, bytes */
	char *metrics_path;          /* URL path of the Prometheus metrics; NULL: none */
	char *health_path;           /* URL path of the health check; NULL: none */
	char *base_url;              /* http[s]://host[:port] senders use (hookq sign); NULL: none */

	/* The worker's: durations in ms. */
	int concurrency;             /* handlers running at once */
	int64_t lease;               /* how long a claim holds a row */
	int64_t retain_done;         /* done rows older than this are deleted; 0 keeps them */
	int64_t stop_grace;          /* on SIGTERM, how long running handlers may finish */
	char **on_dead_argv;         /* run once per delivery that becomes dead; NULL: none */
	struct source *sources;
	size_t nsources;
	struct route *routes;        /* the implicit ones first, in source order, then [route]s */
	size_t nroutes;
	int refs;                    /* for the programs that reload on SIGHUP */
};

/*
 * Loads and checks the file. Returns a config the caller frees with
 * config_free(), or NULL with *cause set to a malloc'd list of every
 * problem, one "FILE:LINE: message" per line.
 */
struct config *config_load(const char *path, char **cause);
/*
 * config_load() with flags. CONFIG_NO_SECRETS: the sources' secret files
 * are not opened (nsecrets stays 0), for the hookq commands that need only
 * the database and the source names, run by users who may not read secrets.
 */
#define CONFIG_NO_SECRETS 0x1
struct config *config_load_opt(const char *path, int flags, char **cause);
/* Frees the config and wipes its secrets; NULL is fine. */
void config_free(struct config *);
/* The source called name, or NULL. */
const struct source *config_source(const struct config *, const char *name);
/*
 * Parses a duration as the config file writes them, a number with ms, s, m,
 * h or d (a bare number is seconds), into *ms. Returns 0, or -1 when it is
 * not one.
 */
int config_parse_duration(const char *text, long long *ms);
/* The route called name, or NULL. */
const struct route *config_route(const struct config *, const char *name);
/* How long one delivery of r may take: url_timeout for a url route, else handler_timeout. */
int64_t config_route_timeout(const struct route *r);
/* True when the allow-list of src lets type through (NULL type: only with no list). */
int config_type_allowed(const struct source *src, const char *type);
/* The line of key in src's section as read, or the [source NAME] line when not given. */
int config_key_line(const struct source *src, const char *key);

#endif
