/*
 * store_pg.c: the queue on PostgreSQL (store.c dispatches to it): opening
 * and migrating, the receiver's batch, the worker's claims, and the LISTEN
 * connection that wakes the worker. store_pg_admin.c has the operators'
 * side.
 *
 * What SQLite's single writer gave for free is made explicit here:
 *  - claims take their rows with FOR UPDATE SKIP LOCKED, so workers on any
 *    number of hosts never take one delivery twice and never wait on each
 *    other's rows;
 *  - a route with a concurrency or a rate is claimed under an advisory
 *    lock of its own, tried rather than waited for (a worker holding it is
 *    claiming that route now, and its commit wakes the others), so the
 *    live-lease count and the token bucket hold across workers;
 *  - an ordered route's hold decisions run under the (route, key) lock of
 *    PG_ORDER_LOCK_SQL.
 * The schema's triggers NOTIFY hookq on every statement that adds or
 * changes events or deliveries, whoever runs it (hookq, an operator's psql);
 * a notification is delivered only if its transaction commits.
 *
 * Durability maps to synchronous_commit (full: on, normal: off: a crash of
 * the server, not of hookq, may lose the last commits, as SQLite's NORMAL
 * may on a power cut) and busy_timeout to lock_timeout, set for the session
 * in the connection's options so that a reconnection keeps them.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store_pg.h"
#include "util.h"

/* The channel workers LISTEN on. */
#define PG_CHANNEL "hookq"
/* Seconds a connection attempt may take before the store reports the server unreachable. */
#define PG_CONNECT_TIMEOUT "5"
/* Serializes migrations of one database: pg_advisory_xact_lock's key. */
#define PG_MIGRATE_LOCK "7305110241"

/* Type OIDs (pg_type.dat) of the receiver's array parameters. */
#define OID_TEXT_ARRAY 1009
#define OID_INT8_ARRAY 1016
#define OID_JSON_ARRAY 199
#define OID_BYTEA_ARRAY 1001
#define OID_TEXT 25
#define OID_INT8 20
#define OID_INT4 23
#define OID_JSON 114
#define OID_BYTEA 17

bool
pg_is_url(const char *database)
{
	return database != NULL && (strncmp(database, "postgresql://", 13) == 0 ||
	    strncmp(database, "postgres://", 11) == 0);
}

char *
pg_url_problem(const char *database)
{
	PQconninfoOption *opts, *o;
	char *err = NULL, *why = NULL;

	if (!pg_is_url(database))
		return NULL;
	opts = PQconninfoParse(database, &err);
	if (opts == NULL) {
		size_t n = (err != NULL ? strlen(err) : 0) + 64;

		why = xmalloc(n);
		snprintf(why, n, "not a PostgreSQL URL: %s", err != NULL ? err : "out of memory");
		why[strcspn(why, "\n")] = '\0';
		PQfreemem(err);
		return why;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
			why = xstrdup("a password in the URL would show wherever the URL does:"
			    " put it in password_file (a libpq password file) instead");
	PQconninfoFree(opts);
	return why;
}

void
pg_fail(struct pg_store *st, const char *what, const PGresult *r)
{
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r != NULL && *PQresultErrorMessage(r) != '\0' ?
	    PQresultErrorMessage(r) : PQerrorMessage(st->conn);
	size_t n;

	/* Lock not available (lock_timeout), a deadlock or a serialization failure: try again. */
	st->locked = state != NULL && (strcmp(state, "55P03") == 0 ||
	    strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0);
	if (PQstatus(st->conn) != CONNECTION_OK)
		snprintf(st->err, sizeof(st->err), "%s: database unreachable: %s", what, msg);
	else
		snprintf(st->err, sizeof(st->err), "%s: %s", what, msg);
	/* libpq's messages end in a newline, and may hold more lines (DETAIL): one line. */
	n = strcspn(st->err, "\n");
	st->err[n] = '\0';
}

/* Reconnects a broken connection, outside a transaction only. */
static int
pg_reconnect(struct pg_store *st, const char *what)
{
	if (PQstatus(st->conn) == CONNECTION_OK)
		return 0;
	if (st->in_txn) {
		pg_fail(st, what, NULL);
		return -1;
	}
	PQreset(st->conn);
	if (PQstatus(st->conn) != CONNECTION_OK) {
		pg_fail(st, what, NULL);
		return -1;
	}
	st->insert_prepared = false;
	return 0;
}

/* r when it succeeded (a command, or rows); else NULL, r cleared and st->err set. */
static PGresult *
pg_result(struct pg_store *st, const char *what, PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		st->locked = false;
		return r;
	}
	pg_fail(st, what, r);
	PQclear(r);
	return NULL;
}

/* Runs sql with n parameters of the given formats and lengths (NULL: all text). */
static PGresult *
pg_run(struct pg_store *st, const char *what, const char *sql, int n,
    const char *const *params, const Oid *types, const int *lengths, const int *formats)
{
	if (pg_reconnect(st, what) != 0)
		return NULL;
	return pg_result(st, what, PQexecParams(st->conn, sql, n, types, params, lengths,
	    formats, 0));
}

PGresult *
pg_query(struct pg_store *st, const char *what, const char *sql, int n, const char *const *params)
{
	return pg_run(st, what, sql, n, params, NULL, NULL, NULL);
}

int
pg_exec(struct pg_store *st, const char *sql, const char *what)
{
	PGresult *r;

	if (pg_reconnect(st, what) != 0)
		return -1;
	/* The simple protocol: sql may be several statements (a migration). */
	r = pg_result(st, what, PQexec(st->conn, sql));
	PQclear(r);
	return r != NULL ? 0 : -1;
}

int64_t
pg_changes(const PGresult *r)
{
	const char *n = PQcmdTuples((PGresult *)r);

	return *n != '\0' ? strtoll(n, NULL, 10) : 0;
}

char *
pg_strdup(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	return xstrndup(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

int64_t
pg_column_int64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

void *
pg_bytea(const PGresult *r, int row, int col, size_t *len)
{
	unsigned char *raw = NULL;
	char *copy;

	*len = 0;
	if (!PQgetisnull(r, row, col))
		raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), len);
	if (raw == NULL)
		*len = 0;
	copy = xmalloc(*len + 1);
	if (*len > 0)
		memcpy(copy, raw, *len);
	copy[*len] = '\0';
	PQfreemem(raw);
	return copy;
}

const char *
pg_i64(char buf[24], int64_t v)
{
	snprintf(buf, 24, "%lld", (long long)v);
	return buf;
}

int
pg_store_begin(struct pg_store *st, int64_t deadline_us)
{
	(void)deadline_us;   /* lock_timeout (busy_timeout) bounds each wait */
	if (pg_exec(st, "BEGIN", "beginning a transaction") != 0)
		return -1;
	st->in_txn = true;
	return 0;
}

int
pg_store_commit(struct pg_store *st)
{
	PGresult *r;
	int ok;

	if (!st->in_txn)
		return 0;
	r = PQexec(st->conn, "COMMIT");
	/* A transaction that failed before answers COMMIT with ROLLBACK: not committed. */
	ok = PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
	if (!ok) {
		pg_fail(st, "committing", r);
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			snprintf(st->err, sizeof(st->err), "committing: the transaction had failed");
	}
	PQclear(r);
	st->in_txn = false;
	if (!ok && PQstatus(st->conn) == CONNECTION_OK &&
	    PQtransactionStatus(st->conn) != PQTRANS_IDLE)
		PQclear(PQexec(st->conn, "ROLLBACK"));
	return ok ? 0 : -1;
}

void
pg_store_rollback(struct pg_store *st)
{
	if (st->in_txn && PQstatus(st->conn) == CONNECTION_OK)
		PQclear(PQexec(st->conn, "ROLLBACK"));
	st->in_txn = false;
}

int
pg_own_begin(struct pg_store *st, bool *own)
{
	*own = !st->in_txn;
	return *own ? pg_store_begin(st, 0) : 0;
}

int
pg_own_end(struct pg_store *st, bool own, int rc)
{
	if (!own)
		return rc;
	if (rc == 0)
		return pg_store_commit(st);
	pg_store_rollback(st);
	return rc;
}

const char *
pg_store_error(const struct pg_store *st)
{
	return st->err;
}

bool
pg_store_locked(const struct pg_store *st)
{
	return st->locked;
}

/* ---- opening and migrating ------------------------------------------------------------ */

/* The "-c name=value" options every connection of the store starts with. */
static void
session_options(const struct store_options *opt, char *buf, size_t size)
{
	snprintf(buf, size, "-c synchronous_commit=%s -c lock_timeout=%d"
	    " -c idle_in_transaction_session_timeout=60000",
	    opt->durability_full ? "on" : "off", opt->busy_timeout > 0 ? opt->busy_timeout : 1);
}

/* Connects to url with the store's settings; NULL with why in err. */
static PGconn *
pg_connect(const char *url, const struct store_options *opt, char *err, size_t errsize)
{
	const char *keys[6], *values[6];
	char options[192];
	PGconn *c;
	int n = 0;

	session_options(opt, options, sizeof(options));
	keys[n] = "dbname", values[n++] = url;
	keys[n] = "options", values[n++] = options;
	keys[n] = "application_name", values[n++] = opt->program != NULL ? opt->program : "hookq";
	keys[n] = "connect_timeout", values[n++] = PG_CONNECT_TIMEOUT;
	if (opt->password_file != NULL)
		keys[n] = "passfile", values[n++] = opt->password_file;
	keys[n] = NULL, values[n] = NULL;
	c = PQconnectdbParams(keys, values, 1);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errsize, "cannot connect: %s", c != NULL ? PQerrorMessage(c) :
		    "out of memory");
		err[strcspn(err, "\n")] = '\0';
		PQfinish(c);
		return NULL;
	}
	/* Notices (a NOTIFY's "there is already a transaction", and the like) are not ours to log. */
	PQsetNoticeProcessor(c, NULL, NULL);
	return c;
}

/* The database's schema version: 0 before the first migration (no hookq_schema yet). */
static int
pg_version(struct pg_store *st, int *v)
{
	PGresult *r = pg_query(st, "reading the schema version",
	    "SELECT to_regclass('hookq_schema') IS NOT NULL", 0, NULL);
	bool exists;

	if (r == NULL)
		return -1;
	exists = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	*v = 0;
	if (!exists)
		return 0;
	r = pg_query(st, "reading the schema version", "SELECT max(version) FROM hookq_schema", 0,
	    NULL);
	if (r == NULL)
		return -1;
	*v = PQntuples(r) == 1 ? (int)pg_column_int64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

/* Applies each migration above the database's version, each in its own transaction. */
static int
pg_migrate(struct pg_store *st)
{
	int want = store_schema_version(), n, have;

	for (n = 1; n <= want; n++) {
		size_t len;
		const char *text = store_migration_text(store_schema_pg_sql, n, &len);
		char set[64], *sql;

		if (text == NULL)
			continue;   /* SQLite's 1-5: PostgreSQL's first migration makes all of them */
		if (pg_store_begin(st, 0) != 0)
			return -1;
		/* Another process may be migrating: wait for it, then look again. */
		if (pg_exec(st, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")",
		    "waiting for another migration") != 0 || pg_version(st, &have) != 0)
			goto fail;
		if (have < n) {
			sql = xstrndup(text, len);
			snprintf(set, sizeof(set), "UPDATE hookq_schema SET version = %d", n);
			if (pg_exec(st, sql, "applying the schema") != 0 ||
			    pg_exec(st, set, "setting the schema version") != 0) {
				free(sql);
				goto fail;
			}
			free(sql);
		}
		if (pg_store_commit(st) != 0)
			return -1;
	}
	return 0;
fail:
	pg_store_rollback(st);
	return -1;
}

struct pg_store *
pg_store_open_mode(const char *url, const struct store_options *opt, enum store_mode mode,
    char **cause)
{
	struct pg_store *st = xcalloc(1, sizeof(*st));
	int want = store_schema_version(), have;

	st->busy_timeout = opt->busy_timeout;
	if ((st->conn = pg_connect(url, opt, st->err, sizeof(st->err))) == NULL)
		goto fail;
	if (pg_version(st, &have) != 0)
		goto fail;
	/* A newer schema: this build would not know what the rows mean. Nothing is written. */
	if (have > want) {
		snprintf(st->err, sizeof(st->err),
		    "schema version %d is newer than this hookq's (%d): upgrade hookq", have, want);
		goto fail;
	}
	if (mode != STORE_MIGRATE && have < want) {
		snprintf(st->err, sizeof(st->err),
		    "schema version %d is older than this hookq's (%d): run hookq init", have, want);
		goto fail;
	}
	if (mode == STORE_MIGRATE && have < want && pg_migrate(st) != 0)
		goto fail;
	if (mode == STORE_READ &&
	    pg_exec(st, "SET default_transaction_read_only = on", "opening read-only") != 0)
		goto fail;
	if (opt->check_write && pg_store_probe_write(st, 0) != 0) {
		char why[sizeof(st->err)];

		snprintf(why, sizeof(why), "%s", st->err);
		/* why is cut short rather than the start of the message. */
		snprintf(st->err, sizeof(st->err), "does not take writes from this role: %.200s",
		    why);
		goto fail;
	}
	return st;
fail:
	{
		size_t n = strlen(url) + strlen(st->err) + 16;

		*cause = xmalloc(n);
		snprintf(*cause, n, "database %s: %s", url, st->err);
	}
	pg_store_close(st);
	return NULL;
}

void
pg_store_close(struct pg_store *st)
{
	if (st == NULL)
		return;
	PQfinish(st->conn);
	free(st);
}

int
pg_store_probe_write(struct pg_store *st, int64_t deadline_us)
{
	if (pg_store_begin(st, deadline_us) != 0)
		return -1;
	/* A write that changes nothing but needs what an insert needs: the role's right to write. */
	if (pg_exec(st, "UPDATE hookq_schema SET version = version", "writing the probe") != 0) {
		pg_store_rollback(st);
		return -1;
	}
	return pg_store_commit(st);
}

/* ---- the receiver ---------------------------------------------------------------------- */

/*
 * The batch: one row per element of the six arrays, inserted in their
 * order; the answer is the ordinal of each row inserted (a pair repeated in
 * the batch is inserted once, as its first).
 */
static const char INSERT_SQL[] =
    "WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[],"
    "  $5::json[], $6::bytea[]) WITH ORDINALITY"
    "  AS v (source, event_id, event_type, received_at, headers, body, ord)),"
    " ins AS (INSERT INTO events (source, event_id, event_type, received_at, headers, body)"
    "  SELECT source, event_id, event_type, received_at, headers, body FROM v ORDER BY ord"
    "  ON CONFLICT (source, event_id) DO NOTHING RETURNING source, event_id)"
    " SELECT min(v.ord) FROM ins JOIN v USING (source, event_id) GROUP BY v.source, v.event_id";

/*
 * dedup = body: the event unless its source stored the same body within the
 * window ($8: received_at - dedup_window), under a lock on (source, hash)
 * taken before (BODY_LOCK_SQL), so two receivers cannot both find none.
 */
static const char BODY_LOCK_SQL[] =
    "SELECT pg_advisory_xact_lock(hashtext($1::text), hashtext($2::text))";
static const char INSERT_BODY_SQL[] =
    "INSERT INTO events (source, event_id, event_type, received_at, headers, body, body_sha256)"
    " SELECT $1::text, $2::text, $3::text, $4::bigint, $5::json, $6::bytea, $7::text"
    " WHERE NOT EXISTS (SELECT 1 FROM events WHERE source = $1::text AND body_sha256 = $7::text"
    "  AND received_at > $8::bigint)"
    " ON CONFLICT (source, event_id) DO NOTHING";

/* A PostgreSQL binary one-dimensional array, built element by element. */
struct pg_array {
	char *buf;
	size_t len, cap;
	bool nulls;
};

static void
array_put(struct pg_array *a, const void *p, size_t n)
{
	if (a->len + n > a->cap) {
		a->cap = (a->len + n) * 2 + 64;
		a->buf = xrealloc(a->buf, a->cap);
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void
array_put32(struct pg_array *a, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
	    (unsigned char)(v >> 8), (unsigned char)v };

	array_put(a, b, 4);
}

/* Starts an array of n elements of type elem (header: ndim, flags, type, size, lower bound). */
static void
array_start(struct pg_array *a, uint32_t elem, uint32_t n)
{
	memset(a, 0, sizeof(*a));
	array_put32(a, 1);
	array_put32(a, 0);            /* has-nulls flag, set by array_end() */
	array_put32(a, elem);
	array_put32(a, n);
	array_put32(a, 1);
}

/* An element's bytes in binary format (text, json and bytea: the bytes); NULL: SQL NULL. */
static void
array_add(struct pg_array *a, const void *p, size_t n)
{
	if (p == NULL) {
		array_put32(a, 0xffffffffu);
		a->nulls = true;
		return;
	}
	array_put32(a, (uint32_t)n);
	array_put(a, p, n);
}

static void
array_add_int64(struct pg_array *a, int64_t v)
{
	uint64_t u = (uint64_t)v;
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(u >> (56 - 8 * i));
	array_add(a, b, 8);
}

static void
array_end(struct pg_array *a)
{
	if (a->nulls)
		a->buf[7] = 1;
}

/* Inserts the events of ev without body_sha256 in one statement. */
static int
insert_rows(struct pg_store *st, const struct store_event *const *ev, size_t n, bool *inserted)
{
	static const Oid types[6] = { OID_TEXT_ARRAY, OID_TEXT_ARRAY, OID_TEXT_ARRAY,
	    OID_INT8_ARRAY, OID_JSON_ARRAY, OID_BYTEA_ARRAY };
	static const int formats[6] = { 1, 1, 1, 1, 1, 1 };
	struct pg_array a[6];
	const char *params[6];
	int lengths[6];
	size_t *index = xreallocarray(NULL, n + 1, sizeof(*index)), m = 0, i;
	PGresult *r;
	int k, rc = -1;

	for (i = 0; i < n; i++)
		if (ev[i]->body_sha256 == NULL)
			index[m++] = i;
	if (m == 0) {
		free(index);
		return 0;
	}
	array_start(&a[0], OID_TEXT, (uint32_t)m);
	array_start(&a[1], OID_TEXT, (uint32_t)m);
	array_start(&a[2], OID_TEXT, (uint32_t)m);
	array_start(&a[3], OID_INT8, (uint32_t)m);
	array_start(&a[4], OID_JSON, (uint32_t)m);
	array_start(&a[5], OID_BYTEA, (uint32_t)m);
	for (i = 0; i < m; i++) {
		const struct store_event *e = ev[index[i]];

		array_add(&a[0], e->source, strlen(e->source));
		array_add(&a[1], e->event_id, strlen(e->event_id));
		array_add(&a[2], e->event_type, e->event_type != NULL ? strlen(e->event_type) : 0);
		array_add_int64(&a[3], e->received_at);
		array_add(&a[4], e->headers, e->headers_len);
		/* A body of no bytes is still a value (the column is NOT NULL). */
		array_add(&a[5], e->body != NULL ? e->body : "", e->body_len);
	}
	for (k = 0; k < 6; k++) {
		array_end(&a[k]);
		params[k] = a[k].buf;
		lengths[k] = (int)a[k].len;
	}
	/* Prepared once per connection (pg_reconnect() forgets it). */
	if (!st->insert_prepared && pg_reconnect(st, "inserting") == 0) {
		r = pg_result(st, "preparing the insert",
		    PQprepare(st->conn, "hookq_insert", INSERT_SQL, 6, types));
		st->insert_prepared = r != NULL;
		PQclear(r);
	}
	if (st->insert_prepared && (r = pg_result(st, "inserting", PQexecPrepared(st->conn,
	    "hookq_insert", 6, params, lengths, formats, 0))) != NULL) {
		int row;

		for (row = 0; row < PQntuples(r); row++) {
			int64_t ord = pg_column_int64(r, row, 0);

			if (ord >= 1 && (size_t)ord <= m)
				inserted[index[ord - 1]] = true;
		}
		rc = 0;
		PQclear(r);
	}
	for (k = 0; k < 6; k++)
		free(a[k].buf);
	free(index);
	return rc;
}

/* Inserts one event of a dedup = body source; *inserted says whether it was new. */
static int
insert_body_event(struct pg_store *st, const struct store_event *e, bool *inserted)
{
	/* The headers and the body in binary (json's is its text): passed by length, not copied. */
	static const int formats[8] = { 0, 0, 0, 0, 1, 1, 0, 0 };
	char at[24], since[24];
	const char *lock[2] = { e->source, e->body_sha256 };
	const char *params[8];
	int lengths[8] = { 0 };
	PGresult *r;

	params[0] = e->source;
	params[1] = e->event_id;
	params[2] = e->event_type;
	params[3] = pg_i64(at, e->received_at);
	params[4] = e->headers;
	lengths[4] = (int)e->headers_len;
	params[5] = e->body != NULL ? e->body : "";
	lengths[5] = (int)e->body_len;
	params[6] = e->body_sha256;
	params[7] = pg_i64(since, e->received_at - e->dedup_window);
	r = pg_query(st, "waiting for the same body", BODY_LOCK_SQL, 2, lock);
	PQclear(r);
	if (r != NULL)
		r = pg_run(st, "inserting", INSERT_BODY_SQL, 8, params, NULL, lengths, formats);
	if (r == NULL)
		return -1;
	*inserted = pg_changes(r) == 1;
	PQclear(r);
	return 0;
}

int
pg_store_insert_batch(struct pg_store *st, const struct store_event *const *ev, size_t n,
    bool *inserted)
{
	size_t i;
	bool own;
	int rc = 0;

	for (i = 0; i < n; i++)
		inserted[i] = false;
	if (pg_own_begin(st, &own) != 0)
		return -1;
	/* One by one, in order, so each sees the bodies of those before it. */
	for (i = 0; rc == 0 && i < n; i++)
		if (ev[i]->body_sha256 != NULL)
			rc = insert_body_event(st, ev[i], &inserted[i]);
	if (rc == 0)
		rc = insert_rows(st, ev, n, inserted);
	if (rc != 0)
		for (i = 0; i < n; i++)
			inserted[i] = false;
	return pg_own_end(st, own, rc);
}

/* ---- the worker ------------------------------------------------------------------------ */

static const char UNROUTED_SQL[] =
    "SELECT id, source, event_type, headers, body FROM events"
    " WHERE source = $1::text AND routed_at IS NULL ORDER BY id LIMIT $2::bigint";

int
pg_store_unrouted(struct pg_store *st, const char *source, int limit,
    struct store_unrouted **rows, size_t *n)
{
	char lim[24];
	const char *params[2] = { source, pg_i64(lim, limit) };
	PGresult *r = pg_query(st, "reading the events to route", UNROUTED_SQL, 2, params);
	int i;

	*rows = NULL;
	*n = 0;
	if (r == NULL)
		return -1;
	if (PQntuples(r) > 0)
		*rows = xcalloc((size_t)PQntuples(r), sizeof(**rows));
	for (i = 0; i < PQntuples(r); i++) {
		struct store_unrouted *u = &(*rows)[(*n)++];

		u->id = pg_column_int64(r, i, 0);
		u->source = pg_strdup(r, i, 1);
		u->event_type = pg_strdup(r, i, 2);
		u->headers = pg_strdup(r, i, 3);
		u->body = pg_bytea(r, i, 4, &u->body_len);
	}
	PQclear(r);
	return 0;
}

static const char ROUTE_MARK_SQL[] =
    "UPDATE events SET routed_at = $2::bigint, routes = $3::integer"
    " WHERE id = $1::bigint AND routed_at IS NULL";
/* Held while the key has an open delivery: under PG_ORDER_LOCK_SQL when there is a key. */
static const char ROUTE_INSERT_SQL[] =
    "INSERT INTO deliveries (event, route, status, next_attempt_at, created_at, order_key)"
    " VALUES ($1::bigint, $2::text, CASE WHEN $4::text IS NOT NULL AND EXISTS (SELECT 1"
    "  FROM deliveries WHERE route = $2::text AND order_key = $4::text"
    "  AND status IN ('held', 'pending', 'running')) THEN 'held' ELSE 'pending' END,"
    " $3::bigint, $3::bigint, $4::text)";

int
pg_order_lock(struct pg_store *st, const char *route, const char *key)
{
	const char *params[2] = { route, key };
	PGresult *r = pg_query(st, "waiting for an ordered route's key", PG_ORDER_LOCK_SQL, 2,
	    params);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

int
pg_store_route_event(struct pg_store *st, int64_t event, int64_t now,
    const struct store_new_delivery *d, size_t n, bool *routed)
{
	char ev[24], at[24], count[24];
	const char *mark[3] = { pg_i64(ev, event), pg_i64(at, now), pg_i64(count, (int64_t)n) };
	PGresult *r;
	bool own;
	size_t i;
	int rc = -1;

	*routed = false;
	if (pg_own_begin(st, &own) != 0)
		return -1;
	/* The mark first: its row lock is the guard against routing an event twice. */
	if ((r = pg_query(st, "routing an event", ROUTE_MARK_SQL, 3, mark)) == NULL)
		goto out;
	*routed = pg_changes(r) == 1;
	PQclear(r);
	for (i = 0; *routed && i < n; i++) {
		const char *params[4] = { mark[0], d[i].route, mark[1], d[i].key };

		if (d[i].key != NULL && pg_order_lock(st, d[i].route, d[i].key) != 0)
			goto out;
		if ((r = pg_query(st, "making a delivery", ROUTE_INSERT_SQL, 4, params)) == NULL)
			goto out;
		PQclear(r);
	}
	rc = 0;
out:
	if (rc != 0)
		*routed = false;
	rc = pg_own_end(st, own, rc);
	if (rc != 0)
		*routed = false;
	return rc;
}

/* The route's own claim lock, tried: true when this transaction holds it now. */
static const char ROUTE_LOCK_SQL[] = "SELECT pg_try_advisory_xact_lock(1, hashtext($1::text))";
static const char LIVE_SQL[] =
    "SELECT count(*) FROM deliveries"
    " WHERE status = 'running' AND route = $1::text AND lease_until > $2::bigint";
static const char PICK_EXPIRED_SQL[] =
    "SELECT id FROM deliveries"
    " WHERE status = 'running' AND route = $1::text AND lease_until <= $2::bigint"
    " ORDER BY lease_until LIMIT 1 FOR UPDATE SKIP LOCKED";
static const char PICK_PENDING_SQL[] =
    "SELECT id FROM deliveries"
    " WHERE status = 'pending' AND route = $1::text AND next_attempt_at <= $2::bigint"
    " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED";
/* $1 id, $2 now, $3 lease ms, $4 claimant: the claim and its event in one round trip. */
static const char CLAIM_SQL[] =
    "UPDATE deliveries AS d SET status = 'running', attempts = d.attempts + 1,"
    " lease_until = $2::bigint + $3::bigint, claimed_by = $4::text, finished_at = NULL"
    " FROM events AS e WHERE d.id = $1::bigint AND e.id = d.event"
    " RETURNING d.event, d.route, d.attempts, e.source, e.event_id, e.event_type, e.headers,"
    " e.body";
static const char BUCKET_READ_SQL[] =
    "SELECT tokens, refilled_at FROM route_state WHERE route = $1::text";
static const char BUCKET_WRITE_SQL[] =
    "INSERT INTO route_state (route, tokens, refilled_at)"
    " VALUES ($1::text, $2::double precision, $3::bigint)"
    " ON CONFLICT (route) DO UPDATE SET tokens = excluded.tokens,"
    " refilled_at = excluded.refilled_at";

/* Runs sql, bound to (route, now), for one integer: *v, or 0 with no row or NULL. */
static int
route_int(struct pg_store *st, const char *sql, const char *route, int64_t now, int64_t *v,
    const char *what)
{
	char at[24];
	const char *params[2] = { route, pg_i64(at, now) };
	PGresult *r = pg_query(st, what, sql, 2, params);

	if (r == NULL)
		return -1;
	*v = PQntuples(r) > 0 ? pg_column_int64(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

/* The route's token bucket at now, refilled since it was written, capped at the rate. */
static int
bucket_tokens(struct pg_store *st, const struct store_route *rt, int64_t now, double *tokens)
{
	const char *params[1] = { rt->name };
	PGresult *r = pg_query(st, "reading a rate limit", BUCKET_READ_SQL, 1, params);

	if (r == NULL)
		return -1;
	*tokens = rt->rate;
	if (PQntuples(r) > 0) {
		int64_t since = now - pg_column_int64(r, 0, 1);

		*tokens = strtod(PQgetvalue(r, 0, 0), NULL) +
		    (since > 0 ? (double)since * rt->rate / (double)rt->rate_period : 0);
		if (*tokens > rt->rate)
			*tokens = rt->rate;
	}
	PQclear(r);
	return 0;
}

static int
bucket_take(struct pg_store *st, const struct store_route *rt, int64_t now, double tokens)
{
	char level[48], at[24];
	const char *params[3] = { rt->name, level, pg_i64(at, now) };
	PGresult *r;

	/* %.17g: the double back exactly. */
	snprintf(level, sizeof(level), "%.17g", tokens - 1);
	r = pg_query(st, "taking a rate limit's token", BUCKET_WRITE_SQL, 3, params);
	PQclear(r);
	return r != NULL ? 0 : -1;
}

/*
 * The delivery of route rt to claim now, in *id (0: none), locked for this
 * transaction: an expired lease first, then the pending one due first.
 */
static int
claim_pick(struct pg_store *st, const struct store_route *rt, int64_t now, int64_t *id)
{
	double tokens = 0;
	int64_t live;

	*id = 0;
	if (rt->concurrency > 0 || rt->rate > 0) {
		const char *params[1] = { rt->name };
		PGresult *r = pg_query(st, "claiming", ROUTE_LOCK_SQL, 1, params);
		bool mine;

		if (r == NULL)
			return -1;
		mine = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
		if (!mine)
			return 0;
	}
	if (rt->concurrency > 0) {
		if (route_int(st, LIVE_SQL, rt->name, now, &live,
		    "counting a route's running deliveries") != 0)
			return -1;
		if (live >= rt->concurrency)
			return 0;
	}
	if (route_int(st, PICK_EXPIRED_SQL, rt->name, now, id, "claiming") != 0)
		return -1;
	if (*id == 0 && route_int(st, PICK_PENDING_SQL, rt->name, now, id, "claiming") != 0)
		return -1;
	if (*id == 0 || rt->rate <= 0)
		return 0;
	if (bucket_tokens(st, rt, now, &tokens) != 0)
		return -1;
	if (tokens < 1) {
		*id = 0;
		return 0;
	}
	return bucket_take(st, rt, now, tokens);
}

static int
claim_take(struct pg_store *st, int64_t id, const char *claimant, int64_t now, int64_t lease_ms,
    struct store_job *job)
{
	char d[24], at[24], lease[24];
	const char *params[4] = { pg_i64(d, id), pg_i64(at, now), pg_i64(lease, lease_ms),
	    claimant };
	PGresult *r = pg_query(st, "claiming", CLAIM_SQL, 4, params);

	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		snprintf(st->err, sizeof(st->err), "delivery %lld: its event is missing",
		    (long long)id);
		PQclear(r);
		return -1;
	}
	job->id = id;
	job->event = pg_column_int64(r, 0, 0);
	job->route = pg_strdup(r, 0, 1);
	job->attempt = (int)pg_column_int64(r, 0, 2);
	job->source = pg_strdup(r, 0, 3);
	job->event_id = pg_strdup(r, 0, 4);
	job->event_type = pg_strdup(r, 0, 5);
	job->headers = pg_strdup(r, 0, 6);
	job->body = pg_bytea(r, 0, 7, &job->body_len);
	PQclear(r);
	return 0;
}

int
pg_store_claim(struct pg_store *st, const struct store_route *routes, size_t n,
    const char *claimant, int64_t now, int64_t lease_ms, struct store_job *job, bool *found)
{
	bool own;
	size_t i;
	int rc = 0;

	memset(job, 0, sizeof(*job));
	*found = false;
	if (pg_own_begin(st, &own) != 0)
		return -1;
	for (i = 0; i < n && !*found; i++) {
		size_t k = (st->claim_next + i) % n;
		int64_t id;

		if ((rc = claim_pick(st, &routes[k], now, &id)) != 0)
			break;
		if (id == 0)
			continue;
		if ((rc = claim_take(st, id, claimant, now, lease_ms, job)) != 0)
			break;
		*found = true;
		st->claim_next = k + 1;
	}
	if (pg_own_end(st, own, rc) != 0) {
		store_job_free(job);
		*found = false;
		return -1;
	}
	return 0;
}

/*
 * By enum store_result; $1 id, $2 claimant, $3 attempt, $4 now, $5 next_at,
 * $6 error, typed by FINISH_TYPES (not every statement uses every one).
 */
#define FINISH_GUARD " WHERE id = $1 AND claimed_by = $2 AND attempts = $3" \
    " AND status = 'running' RETURNING route, order_key"
static const char *const FINISH_SQL[] = {
	[STORE_DONE] = "UPDATE deliveries SET status = 'done', finished_at = $4, lease_until = NULL,"
	    " last_error = NULL" FINISH_GUARD,
	[STORE_RETRY] = "UPDATE deliveries SET status = 'pending', next_attempt_at = $5,"
	    " lease_until = NULL, last_error = $6, failed_at = $4" FINISH_GUARD,
	[STORE_DEAD] = "UPDATE deliveries SET status = 'dead', finished_at = $4, lease_until = NULL,"
	    " last_error = $6, failed_at = $4" FINISH_GUARD,
	[STORE_RELEASE] = "UPDATE deliveries SET status = 'pending', next_attempt_at = $5,"
	    " lease_until = NULL, attempts = attempts - 1, last_error = $6" FINISH_GUARD,
};
/* $1 route, $2 key, $3 now: the key's oldest open delivery, when it is held. */
static const char PROMOTE_SQL[] =
    "UPDATE deliveries SET status = 'pending', next_attempt_at = $3::bigint"
    " WHERE status = 'held' AND id = (SELECT id FROM deliveries"
    "  WHERE route = $1::text AND order_key = $2::text AND status IN ('held', 'pending', 'running')"
    "  ORDER BY id LIMIT 1)";

int
pg_store_finish(struct pg_store *st, const struct store_job *job, const char *claimant,
    enum store_result result, int64_t now, int64_t next_at, const char *error, bool *applied)
{
	static const Oid types[6] = { OID_INT8, OID_TEXT, OID_INT4, OID_INT8, OID_INT8, OID_TEXT };
	char id[24], attempt[24], at[24], next[24];
	const char *params[6] = { pg_i64(id, job->id), claimant, pg_i64(attempt, job->attempt),
	    pg_i64(at, now), pg_i64(next, next_at), error };
	char *route = NULL, *key = NULL;
	bool own, done = false;
	PGresult *r;
	int rc = -1;

	*applied = false;
	if (pg_own_begin(st, &own) != 0)
		return -1;
	if ((r = pg_run(st, "recording a result", FINISH_SQL[result], 6, params, types, NULL,
	    NULL)) == NULL)
		goto out;
	if (PQntuples(r) == 1) {
		done = true;
		route = pg_strdup(r, 0, 0);
		key = pg_strdup(r, 0, 1);
	}
	PQclear(r);
	if (done && key != NULL && (result == STORE_DONE || result == STORE_DEAD)) {
		const char *promote[3] = { route, key, at };

		if (pg_order_lock(st, route, key) != 0 ||
		    (r = pg_query(st, "releasing the next delivery of a key", PROMOTE_SQL, 3,
		    promote)) == NULL)
			goto out;
		PQclear(r);
	}
	rc = 0;
out:
	free(route);
	free(key);
	if (pg_own_end(st, own, rc) != 0)
		return -1;
	*applied = done;
	return 0;
}

static const char NEXT_LIVE_SQL[] =
    "SELECT min(lease_until) FROM deliveries"
    " WHERE status = 'running' AND route = $1::text AND lease_until > $2::bigint";
static const char NEXT_ANY_SQL[] =
    "SELECT (SELECT min(lease_until) FROM deliveries"
    "  WHERE status = 'running' AND route = $1::text),"
    " (SELECT next_attempt_at FROM deliveries"
    "  WHERE status = 'pending' AND route = $1::text ORDER BY next_attempt_at LIMIT 1)";

/* When route rt has a delivery to claim, as pg_store_next_due() says; INT64_MAX: none. */
static int
route_next_due(struct pg_store *st, const struct store_route *rt, int64_t now, int64_t *at)
{
	const char *params[1] = { rt->name };
	int64_t live = 0;
	PGresult *r;

	*at = INT64_MAX;
	if (rt->concurrency > 0) {
		if (route_int(st, LIVE_SQL, rt->name, now, &live,
		    "counting a route's running deliveries") != 0)
			return -1;
		if (live >= rt->concurrency) {
			if (route_int(st, NEXT_LIVE_SQL, rt->name, now, &live,
			    "finding the next due delivery") != 0)
				return -1;
			*at = live != 0 ? live : INT64_MAX;
			return 0;
		}
	}
	if ((r = pg_query(st, "finding the next due delivery", NEXT_ANY_SQL, 1, params)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		if (!PQgetisnull(r, 0, 0))
			*at = pg_column_int64(r, 0, 0);
		if (!PQgetisnull(r, 0, 1) && pg_column_int64(r, 0, 1) < *at)
			*at = pg_column_int64(r, 0, 1);
	}
	PQclear(r);
	if (*at != INT64_MAX && rt->rate > 0) {
		double tokens;

		if (bucket_tokens(st, rt, now, &tokens) != 0)
			return -1;
		if (tokens < 1) {
			int64_t token_at = now + (int64_t)((1 - tokens) * (double)rt->rate_period /
			    rt->rate) + 1;

			if (token_at > *at)
				*at = token_at;
		}
	}
	return 0;
}

int
pg_store_next_due(struct pg_store *st, const struct store_route *routes, size_t n, int64_t now,
    int64_t *at)
{
	size_t i;

	*at = INT64_MAX;
	for (i = 0; i < n; i++) {
		int64_t t;

		if (route_next_due(st, &routes[i], now, &t) != 0)
			return -1;
		if (t < *at)
			*at = t;
	}
	return 0;
}

/* Events routed before $1 whose deliveries are all done before $1; the cascade takes those. */
static const char PRUNE_SQL[] =
    "DELETE FROM events WHERE id IN (SELECT e.id FROM events AS e"
    " WHERE e.routed_at IS NOT NULL AND e.routed_at < $1::bigint AND NOT EXISTS (SELECT 1"
    "  FROM deliveries AS d WHERE d.event = e.id"
    "  AND (d.status <> 'done' OR d.finished_at >= $1::bigint))"
    " ORDER BY e.routed_at LIMIT $2::bigint)";

int
pg_store_prune(struct pg_store *st, int64_t before, int limit, int *deleted)
{
	char b[24], l[24];
	const char *params[2] = { pg_i64(b, before), pg_i64(l, limit) };
	PGresult *r = pg_query(st, "pruning done events", PRUNE_SQL, 2, params);

	*deleted = 0;
	if (r == NULL)
		return -1;
	*deleted = (int)pg_changes(r);
	PQclear(r);
	return 0;
}

int
pg_store_count_attempts(struct pg_store *st, const struct store_attempt_stat *a, size_t n)
{
	struct store_stat_sum *sums = NULL;
	size_t nsums = 0, i;
	char **values = NULL, *sql = NULL;
	const char **params = NULL;
	size_t len = 0;
	PGresult *r;
	int rc;

	if (store_stat_sums(a, n, &sums, &nsums, st->err, sizeof(st->err)) != 0)
		return -1;
	if (nsums == 0)
		return 0;
	/* One UPSERT of every (route, series): each is there once, as DO UPDATE requires. */
	params = xreallocarray(NULL, nsums * 3, sizeof(*params));
	values = xreallocarray(NULL, nsums, sizeof(*values));
	sql = xmalloc(128 + nsums * 64);
	len = (size_t)sprintf(sql, "INSERT INTO route_stats (route, series, value) VALUES ");
	for (i = 0; i < nsums; i++) {
		values[i] = xmalloc(24);
		pg_i64(values[i], sums[i].value);
		params[3 * i] = sums[i].route;
		params[3 * i + 1] = sums[i].series;
		params[3 * i + 2] = values[i];
		len += (size_t)sprintf(sql + len, "%s($%zu::text, $%zu::text, $%zu::bigint)",
		    i > 0 ? ", " : "", 3 * i + 1, 3 * i + 2, 3 * i + 3);
	}
	sprintf(sql + len, " ON CONFLICT (route, series) DO UPDATE"
	    " SET value = route_stats.value + excluded.value");
	r = pg_query(st, "counting attempts", sql, (int)(nsums * 3), params);
	rc = r != NULL ? 0 : -1;
	PQclear(r);
	for (i = 0; i < nsums; i++)
		free(values[i]);
	free(values);
	free(params);
	free(sql);
	free(sums);
	return rc;
}

/* ---- the worker's wake-up ---------------------------------------------------------------- */

struct pg_watch {
	PGconn *conn;
	bool listening;          /* LISTEN has taken on this connection */
	int64_t retry_at_us;     /* after a lost connection: the next attempt */
};

/* LISTENs on w's connection. */
static void
watch_listen(struct pg_watch *w)
{
	PGresult *r = PQexec(w->conn, "LISTEN " PG_CHANNEL);

	w->listening = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
}

struct pg_watch *
pg_watch_open(const char *url, const struct store_options *opt, char **cause)
{
	struct pg_watch *w = xcalloc(1, sizeof(*w));
	char err[256];

	w->conn = pg_connect(url, opt, err, sizeof(err));
	if (w->conn != NULL)
		watch_listen(w);
	if (!w->listening) {
		size_t n = strlen(url) + sizeof(err) + 32;

		if (w->conn != NULL)
			snprintf(err, sizeof(err), "LISTEN: %s", PQerrorMessage(w->conn));
		err[strcspn(err, "\n")] = '\0';
		*cause = xmalloc(n);
		snprintf(*cause, n, "database %s: %s", url, err);
		pg_watch_close(w);
		return NULL;
	}
	return w;
}

int
pg_watch_fd(const struct pg_watch *w)
{
	return w->listening && PQstatus(w->conn) == CONNECTION_OK ? PQsocket(w->conn) : -1;
}

bool
pg_watch_read(struct pg_watch *w)
{
	if (pg_watch_fd(w) >= 0 && PQconsumeInput(w->conn) == 1) {
		PGnotify *n;
		bool any = false;

		while ((n = PQnotifies(w->conn)) != NULL) {
			any = true;
			PQfreemem(n);
		}
		if (PQstatus(w->conn) == CONNECTION_OK)
			return any;
	}
	/*
	 * Lost: what was committed meanwhile was not heard, so wake up as if
	 * something were; reconnect at most once a second (PQreset() blocks).
	 */
	w->listening = false;
	if (clock_mono_us() >= w->retry_at_us) {
		w->retry_at_us = clock_mono_us() + 1000000;
		PQreset(w->conn);
		if (PQstatus(w->conn) == CONNECTION_OK)
			watch_listen(w);
	}
	return true;
}

void
pg_watch_close(struct pg_watch *w)
{
	if (w == NULL)
		return;
	PQfinish(w->conn);
	free(w);
}

/* ---- hookq migrate-to ------------------------------------------------------------------ */

int
pg_store_import_begin(struct pg_store *st, const struct store_table *t, size_t n)
{
	char sql[256];
	size_t i;

	if (pg_store_begin(st, 0) != 0)
		return -1;
	/* No receiver or worker writes these while the copy runs, nor finds it half done. */
	if (pg_exec(st, "LOCK TABLE events, deliveries, route_state, route_stats"
	    " IN EXCLUSIVE MODE NOWAIT", "locking the tables (is hookq running on it?)") != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		PGresult *r;
		bool empty;

		snprintf(sql, sizeof(sql), "SELECT NOT EXISTS (SELECT 1 FROM %s)", t[i].name);
		if ((r = pg_query(st, "reading the queue", sql, 0, NULL)) == NULL)
			goto fail;
		empty = PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
		if (!empty) {
			snprintf(st->err, sizeof(st->err), "its %s table is not empty:"
			    " hookq migrate-to copies into an empty queue only (hookq init on a"
			    " new database)", t[i].name);
			goto fail;
		}
	}
	return 0;
fail:
	pg_store_rollback(st);
	return -1;
}

int
pg_store_import_row(struct pg_store *st, const struct store_table *t, const struct store_value *v)
{
	const char **params = xcalloc(t->ncolumns, sizeof(*params));
	int *lengths = xcalloc(t->ncolumns, sizeof(*lengths));
	int *formats = xcalloc(t->ncolumns, sizeof(*formats));
	size_t i, len = 64 + strlen(t->name);
	char *sql;
	PGresult *r;

	for (i = 0; i < t->ncolumns; i++)
		len += strlen(t->columns[i]) + 16;
	sql = xmalloc(len);
	len = (size_t)sprintf(sql, "INSERT INTO %s (", t->name);
	for (i = 0; i < t->ncolumns; i++)
		len += (size_t)sprintf(sql + len, "%s%s", i > 0 ? ", " : "", t->columns[i]);
	len += (size_t)sprintf(sql + len, ") VALUES (");
	for (i = 0; i < t->ncolumns; i++) {
		len += (size_t)sprintf(sql + len, "%s$%zu", i > 0 ? ", " : "", i + 1);
		params[i] = v[i].p;
		lengths[i] = (int)v[i].len;
		formats[i] = v[i].bytes ? 1 : 0;
	}
	sprintf(sql + len, ")");
	r = pg_run(st, "copying a row", sql, (int)t->ncolumns, params, NULL, lengths, formats);
	PQclear(r);
	free(sql);
	free(params);
	free(lengths);
	free(formats);
	return r != NULL ? 0 : -1;
}

int
pg_store_import_end(struct pg_store *st, const struct store_table *t, const int64_t *rows,
    size_t n)
{
	static const char *const SEQUENCES[] = {
		"SELECT setval(pg_get_serial_sequence('events', 'id'), max(id)) FROM events",
		"SELECT setval(pg_get_serial_sequence('deliveries', 'id'), max(id)) FROM deliveries",
	};
	char sql[128];
	size_t i;

	/* New rows get ids past the copied ones (an empty table keeps its sequence). */
	for (i = 0; i < nitems(SEQUENCES); i++)
		if (pg_exec(st, SEQUENCES[i], "setting the ids after the copy") != 0)
			goto fail;
	for (i = 0; i < n; i++) {
		PGresult *r;
		int64_t have;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", t[i].name);
		if ((r = pg_query(st, "counting the copy", sql, 0, NULL)) == NULL)
			goto fail;
		have = pg_column_int64(r, 0, 0);
		PQclear(r);
		if (have != rows[i]) {
			snprintf(st->err, sizeof(st->err), "%s: %lld rows read, %lld in the copy:"
			    " nothing copied", t[i].name, (long long)rows[i], (long long)have);
			goto fail;
		}
	}
	return pg_store_commit(st);
fail:
	pg_store_rollback(st);
	return -1;
}
