/*
 * cli_queue.c: the hookq commands that read and change the queue: init,
 * status, list, show, requeue, purge and replay. Operators name a
 * delivery (one route's work on an event) by its id; show --event names
 * an event. All SQL is store_sqlite_admin.c's.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <yajl/yajl_tree.h>

#include "cli.h"
#include "util.h"

#define LIST_DEFAULT_LIMIT 20
#define PURGE_BATCH 1000


/* Text a handler or sender wrote, for a terminal: control bytes but newline and tab as '?'. */
static void
print_text(const char *indent, const char *s, size_t len)
{
	size_t i;
	bool bol = true;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (bol)
			fputs(indent, stdout);
		bol = c == '\n';
		putchar(c == '\n' || c == '\t' || c >= 0x20 ? c : '?');
	}
	if (!bol)
		putchar('\n');
}

/* The operator, for the log: the login name, and who ran sudo. */
static const char *
who(char *buf, size_t size)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");

	if (pw != NULL)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "uid:%ld", (long)getuid());
	if (sudo != NULL && *sudo != '\0') {
		size_t n = strlen(buf);
		char q[80];

		snprintf(buf + n, size - n, " sudo_user=%s", cli_quote(q, sizeof(q), sudo));
	}
	return buf;
}

static bool
valid_status(const char *s)
{
	size_t i;

	for (i = 0; i < nitems(store_statuses); i++)
		if (strcmp(store_statuses[i], s) == 0)
			return true;
	return false;
}

/* "unrouted" or "unmatched": what list shows of events without a delivery. */
static bool
event_status(const char *s)
{
	size_t i;

	for (i = 0; i < nitems(store_event_statuses); i++)
		if (strcmp(store_event_statuses[i], s) == 0)
			return true;
	return false;
}

/* Parses a row id: digits only, above 0. */
static int
parse_rowid(const char *s, int64_t *id)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return -1;
	*id = v;
	return 0;
}

/* ---- init ------------------------------------------------------------------ */

int
cli_init(struct cli *cli, int argc, char **argv)
{
	struct stat sb;
	bool existed;
	int rc;

	if ((rc = cli_no_options(cli, argc, argv)) >= 0)
		return rc;
	if (optind != argc)
		return cli_usage(cli);
	if ((rc = cli_config(cli, false)) != 0)
		return rc;
	/* A server's database is the operator's to create (createdb); init makes its tables. */
	existed = store_is_url(cli->cfg->database) || stat(cli->cfg->database, &sb) == 0;
	/* store_open_mode() makes a new file 0640, as for the daemons. */
	if ((rc = cli_store(cli, STORE_MIGRATE)) != 0)
		return rc;
	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		cli_json_kstr(g, "database", cli->cfg->database);
		cli_json_kint(g, "schema_version", store_schema_version());
		cli_json_kbool(g, "created", !existed);
		yajl_gen_map_close(g);
		cli_json_end(g);
	} else
		printf("database %s %s, schema version %d\n", cli->cfg->database,
		    store_is_url(cli->cfg->database) ? "is ready" : existed ? "is up to date" :
		    "created", store_schema_version());
	return EXIT_OK;
}

/* ---- status ---------------------------------------------------------------- */

/* What status shows besides the table, summed from store_counts()'s rows. */
struct status_sums {
	int64_t oldest_pending;          /* ms; 0: nothing pending */
	const char *oldest_source, *oldest_route;
	int64_t dead, unrouted, unmatched;
};

static void
status_sum(const struct store_count *c, size_t n, struct status_sums *sum)
{
	size_t i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < n; i++) {
		if (strcmp(c[i].status, "pending") == 0 &&
		    (sum->oldest_pending == 0 || c[i].oldest_received < sum->oldest_pending)) {
			sum->oldest_pending = c[i].oldest_received;
			sum->oldest_source = c[i].source;
			sum->oldest_route = c[i].route;
		}
		if (strcmp(c[i].status, "dead") == 0)
			sum->dead += c[i].count;
		else if (strcmp(c[i].status, "unrouted") == 0)
			sum->unrouted += c[i].count;
		else if (strcmp(c[i].status, "unmatched") == 0)
			sum->unmatched += c[i].count;
	}
}

/*
 * The i-th name of status's "last received" list: every configured source,
 * then sources with events that are no longer configured (NULL: skip it).
 */
static const char *
last_name(const struct cli *cli, const struct store_row *last, size_t nlast, size_t i,
    const struct store_row **r)
{
	const char *name = i < cli->cfg->nsources ? cli->cfg->sources[i].name :
	    last[i - cli->cfg->nsources].source;
	size_t j;

	*r = NULL;
	if (i >= cli->cfg->nsources && config_source(cli->cfg, name) != NULL)
		return NULL;
	for (j = 0; j < nlast; j++)
		if (strcmp(last[j].source, name) == 0)
			*r = &last[j];
	return name;
}

/* status --json: one document of the counts, the sums and the last events. */
static void
status_json(struct cli *cli, const struct store_count *counts, size_t ncounts,
    const struct status_sums *sum, const struct store_row *last, size_t nlast, int64_t now)
{
	yajl_gen g = cli_json_begin();
	size_t i;

	yajl_gen_map_open(g);
	cli_json_kstr(g, "database", cli->cfg->database);
	cli_json_key(g, "queue");
	yajl_gen_array_open(g);
	for (i = 0; i < ncounts; i++) {
		yajl_gen_map_open(g);
		cli_json_kstr(g, "source", counts[i].source);
		cli_json_kstr(g, "route", counts[i].route);
		cli_json_kstr(g, "status", counts[i].status);
		cli_json_kint(g, "count", counts[i].count);
		cli_json_kint(g, "oldest_received_ms", counts[i].oldest_received);
		cli_json_kint(g, "oldest_age_s", (now - counts[i].oldest_received) / 1000);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	cli_json_key(g, "oldest_pending_age_s");
	if (sum->oldest_pending != 0)
		cli_json_int(g, (now - sum->oldest_pending) / 1000);
	else
		yajl_gen_null(g);
	cli_json_kstr(g, "oldest_pending_source", sum->oldest_source);
	cli_json_kstr(g, "oldest_pending_route", sum->oldest_route);
	cli_json_kint(g, "dead_letters", sum->dead);
	cli_json_kint(g, "unrouted", sum->unrouted);
	cli_json_kint(g, "unmatched", sum->unmatched);
	cli_json_key(g, "last_received");
	yajl_gen_array_open(g);
	for (i = 0; i < cli->cfg->nsources + nlast; i++) {
		const struct store_row *r;
		const char *name = last_name(cli, last, nlast, i, &r);

		if (name == NULL)
			continue;
		yajl_gen_map_open(g);
		cli_json_kstr(g, "source", name);
		cli_json_kbool(g, "configured", i < cli->cfg->nsources);
		if (r != NULL) {
			cli_json_kint(g, "row", r->event);
			cli_json_kstr(g, "event_id", r->event_id);
			cli_json_kstr(g, "event_type", r->event_type);
			cli_json_kstr(g, "status", r->status);
			cli_json_kint(g, "routes", r->routes);
			cli_json_kint(g, "received_at_ms", r->received_at);
			cli_json_kint(g, "age_s", (now - r->received_at) / 1000);
		} else {
			cli_json_key(g, "row");
			yajl_gen_null(g);
		}
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	cli_json_end(g);
}

int
cli_status(struct cli *cli, int argc, char **argv)
{
	struct store_count *counts = NULL;
	struct store_row *last = NULL;
	struct status_sums sum;
	size_t ncounts = 0, nlast = 0, i;
	int64_t now = clock_wall_ms();
	char t1[32], t2[32], q1[300], q2[300];
	int rc;

	if ((rc = cli_no_options(cli, argc, argv)) >= 0)
		return rc;
	if (optind != argc)
		return cli_usage(cli);
	if ((rc = cli_config(cli, false)) != 0 || (rc = cli_store(cli, STORE_READ)) != 0)
		return rc;
	if (store_counts(cli->store, &counts, &ncounts) != 0 ||
	    store_last_received(cli->store, &last, &nlast) != 0) {
		cli_error("%s", store_error(cli->store));
		store_counts_free(counts, ncounts);
		return EXIT_SYSTEM;
	}
	status_sum(counts, ncounts, &sum);
	if (cli->json) {
		status_json(cli, counts, ncounts, &sum, last, nlast, now);
		goto out;
	}

	printf("database %s\n\n", cli->cfg->database);
	if (ncounts == 0)
		printf("no events\n");
	else {
		/* Deliveries per route and status; events without one as route "-". */
		printf("%-20s %-20s %-9s %8s  %s\n", "SOURCE", "ROUTE", "STATUS", "COUNT",
		    "OLDEST RECEIVED");
		for (i = 0; i < ncounts; i++)
			printf("%-20s %-20s %-9s %8" PRId64 "  %s (%s ago)\n", counts[i].source,
			    counts[i].route != NULL ? counts[i].route : "-", counts[i].status,
			    counts[i].count, cli_time(t1, counts[i].oldest_received),
			    cli_age(t2, now - counts[i].oldest_received));
	}
	printf("\n");
	if (sum.oldest_pending != 0)
		printf("oldest pending: %s ago (route %s, source %s)\n",
		    cli_age(t1, now - sum.oldest_pending), sum.oldest_route, sum.oldest_source);
	else
		printf("oldest pending: none\n");
	printf("dead letters: %" PRId64 "%s\n", sum.dead,
	    sum.dead > 0 ? " (hookq list --status dead)" : "");
	printf("unrouted events: %" PRId64 "%s\n", sum.unrouted,
	    sum.unrouted > 0 ? " (not routed yet: is hookq-worker running?)" : "");
	printf("unmatched events: %" PRId64 "%s\n", sum.unmatched,
	    sum.unmatched > 0 ? " (no route took them: hookq list --status unmatched)" : "");
	printf("\nlast received:\n");
	for (i = 0; i < cli->cfg->nsources + nlast; i++) {
		const struct store_row *r;
		const char *name = last_name(cli, last, nlast, i, &r);

		if (name == NULL)
			continue;
		if (r == NULL)
			printf("  %-24s never\n", name);
		else
			printf("  %-24s %s (%s ago)  row %" PRId64 " id %s type %s%s\n", name,
			    cli_time(t1, r->received_at), cli_age(t2, now - r->received_at), r->event,
			    cli_quote(q1, sizeof(q1), r->event_id), cli_quote(q2, sizeof(q2), r->event_type),
			    i < cli->cfg->nsources ? "" : "  (not configured)");
	}
out:
	store_counts_free(counts, ncounts);
	store_rows_free(last, nlast);
	return EXIT_OK;
}

/* ---- list and show --------------------------------------------------------- */

/* The fields every view shows of a delivery, or of an event alone (id null); not the content. */
static void
json_row_fields(yajl_gen g, const struct store_row *r)
{
	cli_json_key(g, "id");
	if (r->id != 0)
		cli_json_int(g, r->id);
	else
		yajl_gen_null(g);
	cli_json_kint(g, "event", r->event);
	cli_json_kstr(g, "route", r->route);
	cli_json_kstr(g, "source", r->source);
	cli_json_kstr(g, "event_id", r->event_id);
	cli_json_kstr(g, "event_type", r->event_type);
	cli_json_kstr(g, "status", r->status);
	cli_json_kint(g, "attempts", r->attempts);
	cli_json_ktime(g, "received_at_ms", r->received_at);
	cli_json_ktime(g, "next_attempt_at_ms", r->next_attempt_at);
	cli_json_ktime(g, "lease_until_ms", r->lease_until);
	cli_json_kstr(g, "claimed_by", r->claimed_by);
	cli_json_ktime(g, "finished_at_ms", r->finished_at);
	cli_json_ktime(g, "failed_at_ms", r->failed_at);
	cli_json_kstr(g, "last_error", r->last_error);
	cli_json_ktime(g, "created_at_ms", r->created_at);
	cli_json_kstr(g, "order_key", r->order_key);
	cli_json_key(g, "replay_of");
	if (r->replay_of != 0)
		cli_json_int(g, r->replay_of);
	else
		yajl_gen_null(g);
}

/* list's and show --event's table of rows. */
static void
print_rows(const struct store_row *rows, size_t n, int64_t now)
{
	char t1[32], t2[32], q1[80], q2[80], id[24];
	size_t i;

	printf("%8s %8s  %-16s %-16s %-9s %3s  %-20s %-9s %s\n", "ID", "EVENT", "ROUTE", "SOURCE",
	    "STATUS", "TRY", "RECEIVED", "AGE", "EVENT ID / TYPE");
	for (i = 0; i < n; i++) {
		const struct store_row *r = &rows[i];

		if (r->id != 0)
			snprintf(id, sizeof(id), "%" PRId64, r->id);
		else
			snprintf(id, sizeof(id), "-");
		printf("%8s %8" PRId64 "  %-16s %-16s %-9s %3d  %-20s %-9s %s %s\n", id, r->event,
		    r->route != NULL ? r->route : "-", r->source, r->status, r->attempts,
		    cli_time(t1, r->received_at), cli_age(t2, now - r->received_at),
		    cli_quote(q1, sizeof(q1), r->event_id), cli_quote(q2, sizeof(q2), r->event_type));
	}
}

int
cli_list(struct cli *cli, int argc, char **argv)
{
	static const struct option LONG[] = {
		{ "source", required_argument, NULL, 's' },
		{ "route", required_argument, NULL, 'r' },
		{ "status", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'n' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *source = NULL, *route = NULL, *status = NULL;
	struct store_row *rows = NULL;
	size_t n = 0;
	int64_t limit = LIST_DEFAULT_LIMIT;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
		switch (ch) {
		case 's':
			source = optarg;
			break;
		case 'r':
			route = optarg;
			break;
		case 't':
			status = optarg;
			break;
		case 'n':
			if (parse_rowid(optarg, &limit) != 0 || limit > 1000000) {
				cli_error("--limit %s: not a number from 1 to 1000000", optarg);
				return EXIT_CONFIG;
			}
			break;
		default:
			if ((rc = cli_common_option(cli, ch)) >= 0)
				return rc;
		}
	}
	if (optind != argc)
		return cli_usage(cli);
	if (status != NULL && !valid_status(status) && !event_status(status)) {
		cli_error("--status %s: not held, pending, running, done, dead, unrouted or unmatched",
		    status);
		return EXIT_CONFIG;
	}
	if (route != NULL && status != NULL && event_status(status)) {
		cli_error("--route with --status %s: an event %s has no route", status, status);
		return EXIT_CONFIG;
	}
	if ((rc = cli_config(cli, false)) != 0 || (rc = cli_store(cli, STORE_READ)) != 0)
		return rc;
	if (store_list(cli->store, source, route, status, (int)limit, &rows, &n) != 0) {
		cli_error("%s", store_error(cli->store));
		return EXIT_SYSTEM;
	}
	if (cli->json) {
		yajl_gen g = cli_json_begin();
		size_t i;

		yajl_gen_array_open(g);
		for (i = 0; i < n; i++) {
			yajl_gen_map_open(g);
			json_row_fields(g, &rows[i]);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
		cli_json_end(g);
	} else if (n == 0)
		printf("%s\n", status != NULL && event_status(status) ? "no events" : "no deliveries");
	else {
		print_rows(rows, n, clock_wall_ms());
		if (n == (size_t)limit)
			printf("(the newest %zu; --limit N for more)\n", n);
	}
	store_rows_free(rows, n);
	return EXIT_OK;
}

/* Writes a parsed JSON value back out through the generator. */
static void
json_copy(yajl_gen g, yajl_val v)
{
	size_t i;

	if (YAJL_IS_STRING(v))
		cli_json_str(g, YAJL_GET_STRING(v));
	else if (YAJL_IS_INTEGER(v))
		cli_json_int(g, YAJL_GET_INTEGER(v));
	else if (YAJL_IS_NUMBER(v))
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	else if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (i = 0; i < v->u.object.len; i++) {
			cli_json_key(g, v->u.object.keys[i]);
			json_copy(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			json_copy(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else if (YAJL_IS_TRUE(v))
		yajl_gen_bool(g, 1);
	else if (YAJL_IS_FALSE(v))
		yajl_gen_bool(g, 0);
	else
		yajl_gen_null(g);
}

static void
show_time(const char *label, int64_t ms, int64_t now)
{
	char t1[32], t2[32];

	if (ms == 0)
		return;
	printf("%-12s %s (%s %s)\n", label, cli_time(t1, ms), cli_age(t2, ms > now ? ms - now :
	    now - ms), ms > now ? "from now" : "ago");
}

/* True when the body prints as text: UTF-8 without control bytes but newline, CR and tab. */
static bool
printable(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' && p[i] != '\t')
			return false;
	return utf8_valid(p, len);
}

/* show's JSON headers and body of r, the event's; headers is r's parsed, or NULL. */
static void
json_content(yajl_gen g, const struct store_row *r, yajl_val headers)
{
	cli_json_key(g, "headers");
	if (headers != NULL)
		json_copy(g, headers);
	else
		cli_json_str(g, r->headers);
	cli_json_kint(g, "body_bytes", (int64_t)r->body_len);
	if (utf8_valid(r->body, r->body_len)) {
		cli_json_key(g, "body");
		cli_json_strn(g, (const char *)r->body, r->body_len);
	} else {
		size_t cap = sodium_base64_ENCODED_LEN(r->body_len, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = xmalloc(cap);

		cli_json_kstr(g, "body_base64", sodium_bin2base64(b64, cap, r->body, r->body_len,
		    sodium_base64_VARIANT_ORIGINAL));
		free(b64);
	}
}

/* show's headers and body of r, the event's, for a terminal. */
static void
print_content(const struct store_row *r, yajl_val headers)
{
	size_t i;

	printf("headers:\n");
	if (headers != NULL && YAJL_IS_OBJECT(headers)) {
		for (i = 0; i < headers->u.object.len; i++) {
			yajl_val v = headers->u.object.values[i];
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";

			printf("  %s: ", headers->u.object.keys[i]);
			if (printable((const unsigned char *)s, strlen(s)) && strchr(s, '\n') == NULL)
				printf("%s\n", s);
			else {
				char q[600];

				printf("%s\n", cli_quote(q, sizeof(q), s));
			}
		}
	} else if (r->headers != NULL)
		print_text("  ", r->headers, strlen(r->headers));
	if (printable(r->body, r->body_len)) {
		printf("body (%zu bytes):\n", r->body_len);
		print_text("", (const char *)r->body, r->body_len);
	} else {
		const unsigned char *b = r->body;

		printf("body (%zu bytes, binary, in hex):\n", r->body_len);
		for (i = 0; i < r->body_len; i++)
			printf("%02x%s", b[i], (i + 1) % 32 == 0 || i + 1 == r->body_len ? "\n" :
			    (i + 1) % 4 == 0 ? " " : "");
	}
}

/* show's fields of the event of r. */
static void
print_event(const struct store_row *r, int64_t now)
{
	char q[600];

	printf("%-12s %" PRId64 "\n", "event", r->event);
	printf("%-12s %s\n", "source", r->source);
	printf("%-12s %s\n", "event_id", cli_quote(q, sizeof(q), r->event_id));
	printf("%-12s %s\n", "event_type", cli_quote(q, sizeof(q), r->event_type));
	show_time("received", r->received_at, now);
}

/* show's fields of delivery r. */
static void
print_delivery(const struct store_row *r, int64_t now)
{
	printf("%-12s %s\n", "route", r->route);
	printf("%-12s %s\n", "status", r->status);
	printf("%-12s %d\n", "attempts", r->attempts);
	if (r->order_key != NULL) {
		char q[600];

		printf("%-12s %s\n", "order key", cli_quote(q, sizeof(q), r->order_key));
	}
	if (r->replay_of != 0)
		printf("%-12s %" PRId64 "\n", "replay of", r->replay_of);
	show_time("created", r->created_at, now);
	if (strcmp(r->status, "pending") == 0)
		show_time("next attempt", r->next_attempt_at, now);
	if (strcmp(r->status, "running") == 0) {
		show_time("lease until", r->lease_until, now);
		printf("%-12s %s\n", "claimed by", r->claimed_by != NULL ? r->claimed_by : "-");
	}
	show_time("failed", r->failed_at, now);
	show_time("finished", r->finished_at, now);
	if (r->last_error != NULL) {
		printf("last error:\n");
		print_text("  ", r->last_error, strlen(r->last_error));
	}
}

int
cli_show(struct cli *cli, int argc, char **argv)
{
	static const struct option LONG[] = {
		{ "event", no_argument, NULL, 'e' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct store_row r, *ds = NULL;
	yajl_val headers;
	char errbuf[128];
	int64_t id, now = clock_wall_ms();
	bool found, event = false;
	size_t nds = 0, i;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
		if (ch == 'e')
			event = true;
		else if ((rc = cli_common_option(cli, ch)) >= 0)
			return rc;
	}
	if (optind != argc - 1)
		return cli_usage(cli);
	if (parse_rowid(argv[optind], &id) != 0) {
		cli_error("%s: not %s id", argv[optind], event ? "an event" : "a delivery");
		return EXIT_CONFIG;
	}
	if ((rc = cli_config(cli, false)) != 0 || (rc = cli_store(cli, STORE_READ)) != 0)
		return rc;
	if ((event ? store_get_event(cli->store, id, &r, &ds, &nds, &found) :
	    store_get(cli->store, id, &r, &found)) != 0) {
		cli_error("%s", store_error(cli->store));
		return EXIT_SYSTEM;
	}
	if (!found) {
		if (event)
			cli_error("event %" PRId64 ": no such event", id);
		else
			cli_error("delivery %" PRId64 ": no such delivery (hookq show --event ID shows"
			    " an event)", id);
		return EXIT_REFUSED;
	}
	headers = yajl_tree_parse(r.headers != NULL ? r.headers : "{}", errbuf, sizeof(errbuf));

	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		json_row_fields(g, &r);
		if (event) {
			cli_json_ktime(g, "routed_at_ms", r.routed_at);
			cli_json_kint(g, "routes", r.routes);
			cli_json_key(g, "deliveries");
			yajl_gen_array_open(g);
			for (i = 0; i < nds; i++) {
				yajl_gen_map_open(g);
				json_row_fields(g, &ds[i]);
				yajl_gen_map_close(g);
			}
			yajl_gen_array_close(g);
		}
		json_content(g, &r, headers);
		yajl_gen_map_close(g);
		cli_json_end(g);
		goto out;
	}

	if (event) {
		print_event(&r, now);
		printf("%-12s %s\n", "status", r.status);
		show_time("routed", r.routed_at, now);
		if (r.routed_at != 0)
			printf("%-12s %d\n", "routes", r.routes);
		if (nds > 0) {
			printf("deliveries:\n");
			print_rows(ds, nds, now);
		}
	} else {
		printf("%-12s %" PRId64 "\n", "delivery", r.id);
		print_event(&r, now);
		print_delivery(&r, now);
	}
	print_content(&r, headers);
out:
	yajl_tree_free(headers);
	store_row_free(&r);
	store_rows_free(ds, nds);
	return EXIT_OK;
}

/* ---- requeue, purge and replay --------------------------------------------- */

/* Logs a delivery requeued, with who asked (by). */
static void
log_requeued(const struct store_requeued *r, const char *by)
{
	char q[300];

	log_info("requeued row=%" PRId64 " delivery=%" PRId64 " route=%s source=%s id=%s"
	    " was=%s by=%s", r->event, r->id, r->route, r->source,
	    cli_quote(q, sizeof(q), r->event_id), r->was, by);
}

/* Why delivery r (not requeued) was refused. */
static void
requeue_refused(const struct store_requeued *r)
{
	if (r->was[0] == '\0')
		cli_error("delivery %" PRId64 ": no such delivery", r->id);
	else if (strcmp(r->was, "done") == 0)
		/* Its handler ran and succeeded: running it again is a choice. */
		cli_error("delivery %" PRId64 " is done: pass --force to run it again", r->id);
	else
		cli_error("delivery %" PRId64 " is %s: only dead or done deliveries are requeued%s",
		    r->id, r->was, strcmp(r->was, "running") == 0 ?
		    " (a running delivery belongs to a worker until its lease runs out)" :
		    " (it is already waiting for a worker)");
}

int
cli_requeue(struct cli *cli, int argc, char **argv)
{
	static const struct option LONG[] = {
		{ "dead", no_argument, NULL, 'd' },
		{ "source", required_argument, NULL, 's' },
		{ "route", required_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *source = NULL, *route = NULL;
	bool dead = false, force = false;
	int64_t *ids = NULL, now = clock_wall_ms();
	bool *held_at = NULL;
	size_t nids, i, requeued = 0, held = 0;
	char by[200];
	yajl_gen g = NULL;
	int ch, rc, code = EXIT_OK;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dead = true;
			break;
		case 's':
			source = optarg;
			break;
		case 'r':
			route = optarg;
			break;
		case 'f':
			force = true;
			break;
		default:
			if ((rc = cli_common_option(cli, ch)) >= 0)
				return rc;
		}
	}
	nids = (size_t)(argc - optind);
	if (dead == (nids > 0) || ((source != NULL || route != NULL) && !dead) || (force && dead))
		return cli_usage(cli);
	ids = xcalloc(nids + 1, sizeof(*ids));
	for (i = 0; i < nids; i++)
		if (parse_rowid(argv[optind + (int)i], &ids[i]) != 0) {
			cli_error("%s: not a delivery id", argv[optind + (int)i]);
			free(ids);
			return EXIT_CONFIG;
		}
	if ((rc = cli_config(cli, false)) != 0 || (rc = cli_store(cli, STORE_WRITE)) != 0) {
		free(ids);
		return rc;
	}
	who(by, sizeof(by));
	if (cli->json) {
		g = cli_json_begin();
		yajl_gen_map_open(g);
	}

	if (dead) {
		struct store_requeued *rows;
		size_t n;

		if (store_requeue_dead(cli->store, source, route, now, &rows, &n) != 0) {
			cli_error("%s", store_error(cli->store));
			free(ids);
			if (g != NULL)
				yajl_gen_free(g);
			return EXIT_SYSTEM;
		}
		for (i = 0; i < n; i++) {
			log_requeued(&rows[i], by);
			if (strcmp(rows[i].now, "held") == 0)
				held++;
		}
		if (g != NULL) {
			cli_json_key(g, "requeued");
			yajl_gen_array_open(g);
			for (i = 0; i < n; i++)
				cli_json_int(g, rows[i].id);
			yajl_gen_array_close(g);
			cli_json_key(g, "held");
			yajl_gen_array_open(g);
			for (i = 0; i < n; i++)
				if (strcmp(rows[i].now, "held") == 0)
					cli_json_int(g, rows[i].id);
			yajl_gen_array_close(g);
		} else {
			printf("requeued %zu dead deliver%s%s%s%s%s", n, n == 1 ? "y" : "ies",
			    source != NULL ? " of source " : "", source != NULL ? source : "",
			    route != NULL ? " on route " : "", route != NULL ? route : "");
			if (held > 0)
				printf(" (%zu held behind an open delivery of their key)", held);
			printf("\n");
		}
		store_requeued_free(rows, n);
		goto out;
	}

	if (g != NULL) {
		cli_json_key(g, "requeued");
		yajl_gen_array_open(g);
	}
	held_at = xcalloc(nids + 1, sizeof(*held_at));
	for (i = 0; i < nids; i++) {
		struct store_requeued r;

		if (store_requeue(cli->store, ids[i], now, force, &r) != 0) {
			cli_error("delivery %" PRId64 ": %s", ids[i], store_error(cli->store));
			code = EXIT_SYSTEM;
			continue;
		}
		if (r.now[0] != '\0') {
			log_requeued(&r, by);
			requeued++;
			if (strcmp(r.now, "held") == 0) {
				held++;
				held_at[i] = true;
			}
			if (g != NULL)
				cli_json_int(g, r.id);
		} else {
			requeue_refused(&r);
			ids[i] = -ids[i]; /* refused: listed below */
			if (code == EXIT_OK)
				code = EXIT_REFUSED;
		}
		store_requeued_clear(&r);
	}
	if (g != NULL) {
		yajl_gen_array_close(g);
		cli_json_key(g, "refused");
		yajl_gen_array_open(g);
		for (i = 0; i < nids; i++)
			if (ids[i] < 0)
				cli_json_int(g, -ids[i]);
		yajl_gen_array_close(g);
		cli_json_key(g, "held");
		yajl_gen_array_open(g);
		for (i = 0; i < nids; i++)
			if (held_at[i])
				cli_json_int(g, ids[i]);
		yajl_gen_array_close(g);
	} else {
		printf("requeued %zu of %zu deliver%s", requeued, nids, nids == 1 ? "y" : "ies");
		if (held > 0)
			printf(" (%zu held behind an open delivery of its key)", held);
		printf("\n");
	}
out:
	if (g != NULL) {
		yajl_gen_map_close(g);
		cli_json_end(g);
	}
	free(ids);
	free(held_at);
	return code;
}

int
cli_purge(struct cli *cli, int argc, char **argv)
{
	static const struct option LONG[] = {
		{ "done", no_argument, NULL, 'D' },
		{ "dead", no_argument, NULL, 'X' },
		{ "status", required_argument, NULL, 't' },
		{ "older-than", required_argument, NULL, 'o' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *status = NULL, *older = NULL;
	int64_t age = 0, before, total = 0, events = 0;
	char t1[32];
	int ch, rc, deleted, gone, given = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
		switch (ch) {
		case 'D':
			status = "done";
			given++;
			break;
		case 'X':
			status = "dead";
			given++;
			break;
		case 't':
			status = optarg;
			given++;
			break;
		case 'o':
			older = optarg;
			break;
		default:
			if ((rc = cli_common_option(cli, ch)) >= 0)
				return rc;
		}
	}
	if (optind != argc || given != 1 || older == NULL)
		return cli_usage(cli);
	if (strcmp(status, "done") != 0 && strcmp(status, "dead") != 0) {
		cli_error("--status %s: only done or dead deliveries are purged", status);
		return EXIT_CONFIG;
	}
	if (cli_duration(older, &age) != 0) {
		cli_error("--older-than %s: not a duration (7d, 12h, 30m, 45s, 500ms)", older);
		return EXIT_CONFIG;
	}
	if ((rc = cli_config(cli, false)) != 0 || (rc = cli_store(cli, STORE_WRITE)) != 0)
		return rc;
	before = clock_wall_ms() - age;
	/* Batches of one transaction each: the receiver and worker wait for one batch at most. */
	do {
		if (store_purge(cli->store, status, before, PURGE_BATCH, &deleted, &gone) != 0) {
			cli_error("%s (%" PRId64 " deliveries and %" PRId64 " events purged before"
			    " this)", store_error(cli->store), total, events);
			return EXIT_SYSTEM;
		}
		total += deleted;
		events += gone;
	} while (deleted == PURGE_BATCH || gone >= PURGE_BATCH);
	if (total > 0 || events > 0) {
		char by[200];

		log_info("purged %" PRId64 " %s deliveries and %" PRId64 " events finished before %s"
		    " by=%s", total, status, events, cli_time(t1, before), who(by, sizeof(by)));
	}
	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		cli_json_kstr(g, "status", status);
		cli_json_kint(g, "purged", total);
		cli_json_kint(g, "events", events);
		cli_json_kint(g, "finished_before_ms", before);
		yajl_gen_map_close(g);
		cli_json_end(g);
	} else {
		char t2[32];

		printf("purged %" PRId64 " %s deliver%s finished more than %s ago (before %s)"
		    " and %" PRId64 " event%s left without one\n", total, status,
		    total == 1 ? "y" : "ies", cli_age(t2, age), cli_time(t1, before), events,
		    events == 1 ? "" : "s");
	}
	return EXIT_OK;
}

int
cli_replay(struct cli *cli, int argc, char **argv)
{
	static const struct option LONG[] = {
		{ "source", required_argument, NULL, 's' },
		{ "route", required_argument, NULL, 'r' },
		{ "type", required_argument, NULL, 'T' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "status", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'n' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct store_replay f;
	const char *since = NULL, *until = NULL;
	int64_t now = clock_wall_ms(), count;
	bool dry_run = false;
	int ch, rc;

	memset(&f, 0, sizeof(f));
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
		switch (ch) {
		case 's':
			f.source = optarg;
			break;
		case 'r':
			f.route = optarg;
			break;
		case 'T':
			f.event_type = optarg;
			break;
		case 'S':
			since = optarg;
			break;
		case 'U':
			until = optarg;
			break;
		case 't':
			f.status = optarg;
			break;
		case 'n':
			dry_run = true;
			break;
		default:
			if ((rc = cli_common_option(cli, ch)) >= 0)
				return rc;
		}
	}
	if (optind != argc)
		return cli_usage(cli);
	/* A bare replay would run every finished delivery of the queue again. */
	if (f.source == NULL && f.route == NULL && f.event_type == NULL && since == NULL &&
	    f.status == NULL) {
		cli_error("replay: give at least one of --source, --route, --type, --since or"
		    " --status (a bare replay would run every finished delivery again)");
		return cli_usage(cli);
	}
	if (f.status != NULL && strcmp(f.status, "done") != 0 && strcmp(f.status, "dead") != 0) {
		cli_error("--status %s: only done or dead deliveries are replayed", f.status);
		return EXIT_CONFIG;
	}
	if (since != NULL && cli_time_parse(since, now, &f.since) != 0) {
		cli_error("--since %s: not a UTC time (2026-12-03T10:00:00Z) or a duration ago"
		    " (2h, 7d)", since);
		return EXIT_CONFIG;
	}
	if (until != NULL && cli_time_parse(until, now, &f.until) != 0) {
		cli_error("--until %s: not a UTC time (2026-12-03T10:00:00Z) or a duration ago"
		    " (2h, 7d)", until);
		return EXIT_CONFIG;
	}
	if ((rc = cli_config(cli, false)) != 0 ||
	    (rc = cli_store(cli, dry_run ? STORE_READ : STORE_WRITE)) != 0)
		return rc;
	if (store_replay(cli->store, &f, now, dry_run, &count) != 0) {
		cli_error("%s", store_error(cli->store));
		return EXIT_SYSTEM;
	}
	if (!dry_run) {
		char t1[32], t2[32], q[300], by[200];

		log_info("replayed %" PRId64 " deliveries source=%s route=%s type=%s since=%s"
		    " until=%s status=%s by=%s", count, f.source != NULL ? f.source : "-",
		    f.route != NULL ? f.route : "-", cli_quote(q, sizeof(q), f.event_type),
		    f.since != 0 ? cli_time(t1, f.since) : "-",
		    f.until != 0 ? cli_time(t2, f.until) : "-",
		    f.status != NULL ? f.status : "done,dead", who(by, sizeof(by)));
	}
	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		cli_json_kbool(g, "dry_run", dry_run);
		cli_json_kint(g, dry_run ? "would_replay" : "replayed", count);
		yajl_gen_map_close(g);
		cli_json_end(g);
	} else
		printf("%s %" PRId64 " deliver%s\n", dry_run ? "would replay" : "replayed", count,
		    count == 1 ? "y" : "ies");
	return EXIT_OK;
}
