/*
 * cli_queue.c: the hookq commands that read and change the queue: init,
 * status, list, show, requeue and purge. All SQL is store.c's.
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
	existed = stat(cli->cfg->database, &sb) == 0;
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
		    existed ? "is up to date" : "created", store_schema_version());
	return EXIT_OK;
}

/* ---- status ---------------------------------------------------------------- */

int
cli_status(struct cli *cli, int argc, char **argv)
{
	struct store_count *counts = NULL;
	struct store_row *last = NULL;
	size_t ncounts = 0, nlast = 0, i, j;
	int64_t now = clock_wall_ms(), oldest_pending = 0, dead = 0;
	const char *oldest_source = NULL;
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
	for (i = 0; i < ncounts; i++) {
		if (strcmp(counts[i].status, "pending") == 0 &&
		    (oldest_pending == 0 || counts[i].oldest_received < oldest_pending)) {
			oldest_pending = counts[i].oldest_received;
			oldest_source = counts[i].source;
		}
		if (strcmp(counts[i].status, "dead") == 0)
			dead += counts[i].events;
	}

	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		cli_json_kstr(g, "database", cli->cfg->database);
		cli_json_key(g, "queue");
		yajl_gen_array_open(g);
		for (i = 0; i < ncounts; i++) {
			yajl_gen_map_open(g);
			cli_json_kstr(g, "source", counts[i].source);
			cli_json_kstr(g, "status", counts[i].status);
			cli_json_kint(g, "events", counts[i].events);
			cli_json_kint(g, "oldest_received_ms", counts[i].oldest_received);
			cli_json_kint(g, "oldest_age_s", (now - counts[i].oldest_received) / 1000);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
		cli_json_key(g, "oldest_pending_age_s");
		if (oldest_pending != 0)
			cli_json_int(g, (now - oldest_pending) / 1000);
		else
			yajl_gen_null(g);
		cli_json_kstr(g, "oldest_pending_source", oldest_source);
		cli_json_kint(g, "dead_letters", dead);
		cli_json_key(g, "last_received");
		yajl_gen_array_open(g);
		/* Every configured source, then sources with rows that are no longer configured. */
		for (i = 0; i < cli->cfg->nsources + nlast; i++) {
			const char *name = i < cli->cfg->nsources ? cli->cfg->sources[i].name :
			    last[i - cli->cfg->nsources].source;
			const struct store_row *r = NULL;

			if (i >= cli->cfg->nsources && config_source(cli->cfg, name) != NULL)
				continue;
			for (j = 0; j < nlast; j++)
				if (strcmp(last[j].source, name) == 0)
					r = &last[j];
			yajl_gen_map_open(g);
			cli_json_kstr(g, "source", name);
			cli_json_kbool(g, "configured", i < cli->cfg->nsources);
			if (r != NULL) {
				cli_json_kint(g, "row", r->id);
				cli_json_kstr(g, "event_id", r->event_id);
				cli_json_kstr(g, "event_type", r->event_type);
				cli_json_kstr(g, "status", r->status);
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
		goto out;
	}

	printf("database %s\n\n", cli->cfg->database);
	if (ncounts == 0)
		printf("no events\n");
	else {
		printf("%-24s %-8s %8s  %s\n", "SOURCE", "STATUS", "EVENTS", "OLDEST RECEIVED");
		for (i = 0; i < ncounts; i++)
			printf("%-24s %-8s %8" PRId64 "  %s (%s ago)\n", counts[i].source,
			    counts[i].status, counts[i].events, cli_time(t1, counts[i].oldest_received),
			    cli_age(t2, now - counts[i].oldest_received));
	}
	printf("\n");
	if (oldest_pending != 0)
		printf("oldest pending: %s ago (source %s)\n", cli_age(t1, now - oldest_pending),
		    oldest_source);
	else
		printf("oldest pending: none\n");
	printf("dead letters: %" PRId64 "%s\n", dead, dead > 0 ? " (hookq list --status dead)" : "");
	printf("\nlast received:\n");
	for (i = 0; i < cli->cfg->nsources + nlast; i++) {
		const char *name = i < cli->cfg->nsources ? cli->cfg->sources[i].name :
		    last[i - cli->cfg->nsources].source;
		const struct store_row *r = NULL;

		if (i >= cli->cfg->nsources && config_source(cli->cfg, name) != NULL)
			continue;
		for (j = 0; j < nlast; j++)
			if (strcmp(last[j].source, name) == 0)
				r = &last[j];
		if (r == NULL)
			printf("  %-24s never\n", name);
		else
			printf("  %-24s %s (%s ago)  row %" PRId64 " id %s type %s%s\n", name,
			    cli_time(t1, r->received_at), cli_age(t2, now - r->received_at), r->id,
			    cli_quote(q1, sizeof(q1), r->event_id), cli_quote(q2, sizeof(q2), r->event_type),
			    i < cli->cfg->nsources ? "" : "  (not configured)");
	}
out:
	store_counts_free(counts, ncounts);
	store_rows_free(last, nlast);
	return EXIT_OK;
}

/* ---- list and show --------------------------------------------------------- */

/* The row's fields every view shows; headers and body are show's. */
static void
json_row_fields(yajl_gen g, const struct store_row *r)
{
	cli_json_kint(g, "id", r->id);
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
}

int
cli_list(struct cli *cli, int argc, char **argv)
{
	static const struct option LONG[] = {
		{ "source", required_argument, NULL, 's' },
		{ "status", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'n' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *source = NULL, *status = NULL;
	struct store_row *rows = NULL;
	size_t n = 0, i;
	int64_t limit = LIST_DEFAULT_LIMIT, now = clock_wall_ms();
	char t1[32], t2[32], q1[80], q2[80];
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
		switch (ch) {
		case 's':
			source = optarg;
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
	if (status != NULL && !valid_status(status)) {
		cli_error("--status %s: not pending, running, done or dead", status);
		return EXIT_CONFIG;
	}
	if ((rc = cli_config(cli, false)) != 0 || (rc = cli_store(cli, STORE_READ)) != 0)
		return rc;
	if (store_list(cli->store, source, status, (int)limit, &rows, &n) != 0) {
		cli_error("%s", store_error(cli->store));
		return EXIT_SYSTEM;
	}
	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_array_open(g);
		for (i = 0; i < n; i++) {
			yajl_gen_map_open(g);
			json_row_fields(g, &rows[i]);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
		cli_json_end(g);
	} else if (n == 0)
		printf("no events\n");
	else {
		printf("%8s  %-16s %-8s %3s  %-20s %-9s %s\n", "ROW", "SOURCE", "STATUS", "TRY",
		    "RECEIVED", "AGE", "EVENT ID / TYPE");
		for (i = 0; i < n; i++) {
			const struct store_row *r = &rows[i];

			printf("%8" PRId64 "  %-16s %-8s %3d  %-20s %-9s %s %s\n", r->id, r->source,
			    r->status, r->attempts, cli_time(t1, r->received_at),
			    cli_age(t2, now - r->received_at), cli_quote(q1, sizeof(q1), r->event_id),
			    cli_quote(q2, sizeof(q2), r->event_type));
		}
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

int
cli_show(struct cli *cli, int argc, char **argv)
{
	struct store_row r;
	yajl_val headers;
	char q[600], errbuf[128];
	int64_t id, now = clock_wall_ms();
	bool found;
	size_t i;
	int rc;

	if ((rc = cli_no_options(cli, argc, argv)) >= 0)
		return rc;
	if (optind != argc - 1)
		return cli_usage(cli);
	if (parse_rowid(argv[optind], &id) != 0) {
		cli_error("%s: not a row id", argv[optind]);
		return EXIT_CONFIG;
	}
	if ((rc = cli_config(cli, false)) != 0 || (rc = cli_store(cli, STORE_READ)) != 0)
		return rc;
	if (store_get(cli->store, id, &r, &found) != 0) {
		cli_error("%s", store_error(cli->store));
		return EXIT_SYSTEM;
	}
	if (!found) {
		cli_error("row %" PRId64 ": no such row", id);
		return EXIT_REFUSED;
	}
	headers = yajl_tree_parse(r.headers != NULL ? r.headers : "{}", errbuf, sizeof(errbuf));

	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		json_row_fields(g, &r);
		cli_json_key(g, "headers");
		if (headers != NULL)
			json_copy(g, headers);
		else
			cli_json_str(g, r.headers);
		cli_json_kint(g, "body_bytes", (int64_t)r.body_len);
		if (utf8_valid(r.body, r.body_len)) {
			cli_json_key(g, "body");
			cli_json_strn(g, (const char *)r.body, r.body_len);
		} else {
			size_t cap = sodium_base64_ENCODED_LEN(r.body_len, sodium_base64_VARIANT_ORIGINAL);
			char *b64 = xmalloc(cap);

			cli_json_kstr(g, "body_base64", sodium_bin2base64(b64, cap, r.body, r.body_len,
			    sodium_base64_VARIANT_ORIGINAL));
			free(b64);
		}
		yajl_gen_map_close(g);
		cli_json_end(g);
		goto out;
	}

	printf("%-12s %" PRId64 "\n", "row", r.id);
	printf("%-12s %s\n", "source", r.source);
	printf("%-12s %s\n", "event_id", cli_quote(q, sizeof(q), r.event_id));
	printf("%-12s %s\n", "event_type", cli_quote(q, sizeof(q), r.event_type));
	printf("%-12s %s\n", "status", r.status);
	printf("%-12s %d\n", "attempts", r.attempts);
	show_time("received", r.received_at, now);
	if (strcmp(r.status, "pending") == 0)
		show_time("next attempt", r.next_attempt_at, now);
	if (strcmp(r.status, "running") == 0) {
		show_time("lease until", r.lease_until, now);
		printf("%-12s %s\n", "claimed by", r.claimed_by != NULL ? r.claimed_by : "-");
	}
	show_time("failed", r.failed_at, now);
	show_time("finished", r.finished_at, now);
	if (r.last_error != NULL) {
		printf("last error:\n");
		print_text("  ", r.last_error, strlen(r.last_error));
	}
	printf("headers:\n");
	if (headers != NULL && YAJL_IS_OBJECT(headers)) {
		for (i = 0; i < headers->u.object.len; i++) {
			yajl_val v = headers->u.object.values[i];
			const char *s = YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "";

			printf("  %s: ", headers->u.object.keys[i]);
			if (printable((const unsigned char *)s, strlen(s)) && strchr(s, '\n') == NULL)
				printf("%s\n", s);
			else
				printf("%s\n", cli_quote(q, sizeof(q), s));
		}
	} else if (r.headers != NULL)
		print_text("  ", r.headers, strlen(r.headers));
	if (printable(r.body, r.body_len)) {
		printf("body (%zu bytes):\n", r.body_len);
		print_text("", (const char *)r.body, r.body_len);
	} else {
		const unsigned char *b = r.body;

		printf("body (%zu bytes, binary, in hex):\n", r.body_len);
		for (i = 0; i < r.body_len; i++)
			printf("%02x%s", b[i], (i + 1) % 32 == 0 || i + 1 == r.body_len ? "\n" :
			    (i + 1) % 4 == 0 ? " " : "");
	}
out:
	yajl_tree_free(headers);
	store_row_free(&r);
	return EXIT_OK;
}

/* ---- requeue and purge ----------------------------------------------------- */

int
cli_requeue(struct cli *cli, int argc, char **argv)
{
	static const struct option LONG[] = {
		{ "dead", no_argument, NULL, 'd' },
		{ "source", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *source = NULL;
	bool dead = false, force = false;
	int64_t *ids = NULL, now = clock_wall_ms();
	size_t nids, i, requeued = 0, failed = 0;
	char by[200], q[300];
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
		case 'f':
			force = true;
			break;
		default:
			if ((rc = cli_common_option(cli, ch)) >= 0)
				return rc;
		}
	}
	nids = (size_t)(argc - optind);
	if (dead == (nids > 0) || (source != NULL && !dead) || (force && dead))
		return cli_usage(cli);
	ids = xcalloc(nids + 1, sizeof(*ids));
	for (i = 0; i < nids; i++)
		if (parse_rowid(argv[optind + (int)i], &ids[i]) != 0) {
			cli_error("%s: not a row id", argv[optind + (int)i]);
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
		struct store_row *rows;
		size_t n;

		if (store_requeue_dead(cli->store, source, now, &rows, &n) != 0) {
			cli_error("%s", store_error(cli->store));
			free(ids);
			if (g != NULL)
				yajl_gen_free(g);
			return EXIT_SYSTEM;
		}
		for (i = 0; i < n; i++)
			log_info("requeued row=%" PRId64 " source=%s id=%s was=dead by=%s", rows[i].id,
			    rows[i].source, cli_quote(q, sizeof(q), rows[i].event_id), by);
		if (g != NULL) {
			cli_json_key(g, "requeued");
			yajl_gen_array_open(g);
			for (i = 0; i < n; i++)
				cli_json_int(g, rows[i].id);
			yajl_gen_array_close(g);
		} else
			printf("requeued %zu dead row%s%s%s\n", n, n == 1 ? "" : "s",
			    source != NULL ? " of source " : "", source != NULL ? source : "");
		store_rows_free(rows, n);
		goto out;
	}

	if (g != NULL) {
		cli_json_key(g, "requeued");
		yajl_gen_array_open(g);
	}
	for (i = 0; i < nids; i++) {
		char status[16], *src, *eid;
		bool done;

		if (store_requeue(cli->store, ids[i], now, force, status, &done, &src, &eid) != 0) {
			cli_error("row %" PRId64 ": %s", ids[i], store_error(cli->store));
			code = EXIT_SYSTEM;
			failed++;
			continue;
		}
		if (done) {
			log_info("requeued row=%" PRId64 " source=%s id=%s was=%s by=%s", ids[i], src,
			    cli_quote(q, sizeof(q), eid), status, by);
			requeued++;
			if (g != NULL)
				cli_json_int(g, ids[i]);
		} else {
			if (status[0] == '\0')
				cli_error("row %" PRId64 ": no such row", ids[i]);
			else if (strcmp(status, "done") == 0)
				/* Its handler ran and succeeded: running it again is a choice. */
				cli_error("row %" PRId64 " is done: pass --force to run it again", ids[i]);
			else
				cli_error("row %" PRId64 " is %s: only dead or done rows are requeued%s",
				    ids[i], status, strcmp(status, "running") == 0 ?
				    " (a running row belongs to a worker until its lease runs out)" :
				    " (it is already waiting for a worker)");
			ids[i] = -ids[i]; /* refused: listed below */
			failed++;
			if (code == EXIT_OK)
				code = EXIT_REFUSED;
		}
		free(src);
		free(eid);
	}
	if (g != NULL) {
		yajl_gen_array_close(g);
		cli_json_key(g, "refused");
		yajl_gen_array_open(g);
		for (i = 0; i < nids; i++)
			if (ids[i] < 0)
				cli_json_int(g, -ids[i]);
		yajl_gen_array_close(g);
	} else
		printf("requeued %zu of %zu row%s\n", requeued, nids, nids == 1 ? "" : "s");
out:
	if (g != NULL) {
		yajl_gen_map_close(g);
		cli_json_end(g);
	}
	free(ids);
	return code;
}

int
cli_purge(struct cli *cli, int argc, char **argv)
{
	static const struct option LONG[] = {
		{ "status", required_argument, NULL, 't' },
		{ "older-than", required_argument, NULL, 'o' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *status = NULL, *older = NULL;
	int64_t age = 0, before, total = 0;
	char t1[32];
	int ch, rc, deleted;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
		switch (ch) {
		case 't':
			status = optarg;
			break;
		case 'o':
			older = optarg;
			break;
		default:
			if ((rc = cli_common_option(cli, ch)) >= 0)
				return rc;
		}
	}
	if (optind != argc || status == NULL || older == NULL)
		return cli_usage(cli);
	if (strcmp(status, "done") != 0 && strcmp(status, "dead") != 0) {
		cli_error("--status %s: only done or dead rows are purged", status);
		return EXIT_CONFIG;
	}
	if (cli_duration(older, &age) != 0) {
		cli_error("--older-than %s: not a duration (7d, 12h, 30m, 45s, 500ms)", older);
		return EXIT_CONFIG;
	}
	if ((rc = cli_config(cli, false)) != 0 || (rc = cli_store(cli, STORE_WRITE)) != 0)
		return rc;
	before = clock_wall_ms() - age;
	do {
		if (store_purge(cli->store, status, before, PURGE_BATCH, &deleted) != 0) {
			cli_error("%s (%" PRId64 " rows purged before this)", store_error(cli->store),
			    total);
			return EXIT_SYSTEM;
		}
		total += deleted;
	} while (deleted == PURGE_BATCH);
	if (total > 0) {
		char by[200];

		log_info("purged %" PRId64 " %s rows finished before %s by=%s", total, status,
		    cli_time(t1, before), who(by, sizeof(by)));
	}
	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		cli_json_kstr(g, "status", status);
		cli_json_kint(g, "purged", total);
		cli_json_kint(g, "finished_before_ms", before);
		yajl_gen_map_close(g);
		cli_json_end(g);
	} else {
		char t2[32];

		printf("purged %" PRId64 " %s row%s finished more than %s ago (before %s)\n", total,
		    status, total == 1 ? "" : "s", cli_age(t2, age), cli_time(t1, before));
	}
	return EXIT_OK;
}
