/*
 * dbutil.c: SQLite and PostgreSQL seen from outside hookq, for the store
 * and commit tests. PostgreSQL through libpq (a dependency of every build,
 * linked into every test already) rather than psql: no SQL to quote for a
 * shell, and values that hold "|" or a newline come back exactly.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "dbutil.h"
#include "testutil.h"

#include "store.h"

/*
 * The tables a PostgreSQL tu_lock_for() locks: every one hookq writes,
 * hookq_schema too (store_probe_write()'s).
 */
#define PG_LOCK_TABLES "events, deliveries, route_state, route_stats, hookq_schema"

bool
tu_is_pg(const char *db)
{
	return store_is_url(db);
}

/* A connection to url, or the test fails; notices (DROP ... CASCADE's) stay quiet. */
static PGconn *
pg_connect(const char *url)
{
	static const char *const keys[] = { "dbname", "options", "application_name", NULL };
	const char *const values[] = { url, "-c client_min_messages=warning", "hookq-test", NULL };
	PGconn *c = PQconnectdbParams(keys, values, 1);

	if (PQstatus(c) != CONNECTION_OK) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
		msg[strcspn(msg, "\n")] = '\0';
		PQfinish(c);
		fail_msg("%s: %s", url, msg);
	}
	return c;
}

/* Runs sql on c; the result, or the test fails (c closed first: fail_msg() does not return). */
static PGresult *
pg_run(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
		msg[strcspn(msg, "\n")] = '\0'; /* its first line: the rest is a DETAIL or a LINE */
		PQclear(r);
		PQfinish(c);
		fail_msg("%s: %s", sql, msg);
	}
	return r;
}

static sqlite3 *
sqlite_open(const char *db)
{
	sqlite3 *h;

	if (sqlite3_open(db, &h) != SQLITE_OK) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(h));
		sqlite3_close(h);
		fail_msg("%s: %s", db, msg);
	}
	sqlite3_busy_timeout(h, 2000);
	return h;
}

char *
tu_new_db(const char *dir, const char *name)
{
	const char *url = getenv("HOOKQ_TEST_PG_URL");

	if (url != NULL && *url != '\0') {
		if (!store_is_url(url))
			fail_msg("HOOKQ_TEST_PG_URL=%s: not a postgresql:// URL", url);
		/* Everything hookq makes (tables, views, functions, sequences) is in public. */
		tu_exec(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
		return strdup(url);
	}
	return tu_path(dir, name);
}

void
tu_exec(const char *db, const char *sql)
{
	if (tu_is_pg(db)) {
		PGconn *c = pg_connect(db);

		PQclear(pg_run(c, sql));
		PQfinish(c);
	} else {
		sqlite3 *h = sqlite_open(db);
		char *err = NULL, msg[512];

		if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK) {
			snprintf(msg, sizeof(msg), "%s", err != NULL ? err : sqlite3_errmsg(h));
			sqlite3_free(err);
			sqlite3_close(h);
			fail_msg("%s: %s", sql, msg);
		}
		sqlite3_close(h);
	}
}

/* Appends s to the malloc'd *out (of length *len). */
static void
append(char **out, size_t *len, const char *s)
{
	size_t n = strlen(s);
	char *p = realloc(*out, *len + n + 1);

	assert_non_null(p);
	memcpy(p + *len, s, n + 1);
	*out = p;
	*len += n;
}

/* The first column of up to max rows of sql (0: all), joined with sep. */
static char *
query_rows(const char *db, const char *sql, const char *sep, int max)
{
	char *out = strdup("");
	size_t len = 0;
	int i = 0;

	if (tu_is_pg(db)) {
		PGconn *c = pg_connect(db);
		PGresult *r = pg_run(c, sql);

		for (i = 0; i < PQntuples(r) && (max == 0 || i < max); i++) {
			if (i > 0)
				append(&out, &len, sep);
			if (PQnfields(r) > 0)
				append(&out, &len, PQgetvalue(r, i, 0));
		}
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *h = sqlite_open(db);
		sqlite3_stmt *s;
		char msg[512];
		int rc = SQLITE_DONE;

		if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK) {
			snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(h));
			sqlite3_close(h);
			fail_msg("%s: %s", sql, msg);
		}
		while ((max == 0 || i < max) && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (i++ > 0)
				append(&out, &len, sep);
			if (sqlite3_column_text(s, 0) != NULL)
				append(&out, &len, (const char *)sqlite3_column_text(s, 0));
		}
		if ((max == 0 || i < max) && rc != SQLITE_DONE) {
			snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(h));
			sqlite3_finalize(s);
			sqlite3_close(h);
			fail_msg("%s: %s", sql, msg);
		}
		sqlite3_finalize(s);
		sqlite3_close(h);
	}
	return out;
}

char *
tu_query(const char *db, const char *sql)
{
	return query_rows(db, sql, "", 1);
}

char *
tu_query_rows(const char *db, const char *sql, const char *sep)
{
	return query_rows(db, sql, sep, 0);
}

/* Fails the test, naming sql, unless got (freed) is want. */
static void
expect(const char *sql, char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s: expected \"%s\", got \"%s\"", sql, want, got);
		free(got);
		fail_msg("%s", msg);
	}
	free(got);
}

void
tu_assert_query(const char *db, const char *sql, const char *want)
{
	expect(sql, tu_query(db, sql), want);
}

void
tu_assert_rows(const char *db, const char *sql, const char *sep, const char *want)
{
	expect(sql, tu_query_rows(db, sql, sep), want);
}

/*
 * The locker's thread: fail_msg() belongs to the test's thread, so failures
 * here only set l->locked to -1, which tu_lock_for() reports.
 */
static void *
locker_main(void *arg)
{
	struct tu_locker *l = arg;

	if (tu_is_pg(l->db)) {
		static const char *const keys[] = { "dbname", "application_name", NULL };
		const char *const values[] = { l->db, "hookq-test-locker", NULL };
		PGconn *c = PQconnectdbParams(keys, values, 1);
		PGresult *r = NULL;

		if (PQstatus(c) == CONNECTION_OK)
			r = PQexec(c, "BEGIN; LOCK TABLE " PG_LOCK_TABLES " IN EXCLUSIVE MODE");
		if (r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK) {
			l->locked = 1;
			usleep((useconds_t)l->ms * 1000);
			PQclear(PQexec(c, "ROLLBACK"));
		} else
			l->locked = -1;
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *h;

		sqlite3_open(l->db, &h);
		sqlite3_busy_timeout(h, 2000);
		if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
			l->locked = 1;
			usleep((useconds_t)l->ms * 1000);
			sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
		} else
			l->locked = -1;
		sqlite3_close(h);
	}
	return NULL;
}

void
tu_lock_for(struct tu_locker *l, const char *db, int ms)
{
	l->db = db;
	l->ms = ms;
	l->locked = 0;
	pthread_create(&l->thread, NULL, locker_main, l);
	while (l->locked == 0)
		usleep(1000);
	if (l->locked < 0) {
		pthread_join(l->thread, NULL);
		fail_msg("could not take the write lock of %s", db);
	}
}
