/*
 * dbutil.c: SQLite seen from outside hookq, for the store and commit tests.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "dbutil.h"
#include "testutil.h"

char *
tu_query(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	char *out;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 2000);
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		out = strdup((const char *)sqlite3_column_text(s, 0));
	else
		out = strdup("");
	sqlite3_finalize(s);
	sqlite3_close(h);
	return out;
}

void
tu_assert_query(const char *db, const char *sql, const char *want)
{
	char *got = tu_query(db, sql);

	assert_string_equal(got, want);
	free(got);
}

static void *
locker_main(void *arg)
{
	struct tu_locker *l = arg;
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
	if (l->locked < 0)
		fail_msg("could not take the write lock of %s", db);
}
