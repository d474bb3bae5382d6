/*
 * dbutil.h: what the store and commit tests need to look at a database the
 * way an operator would, with SQLite or libpq directly: a fresh database, a
 * statement, a query's first value or its rows, and another connection that
 * holds the write lock for a while. db is a SQLite path or a PostgreSQL URL
 * (store_is_url()); each call opens a connection of its own, as the sqlite3
 * or psql prompt would.
 *
 * HOOKQ_TEST_PG_URL (tests/pg/queue_test.sh sets it) runs the tests that
 * take their database from tu_new_db() on PostgreSQL instead of SQLite.
 */
#ifndef HOOKQ_DBUTIL_H
#define HOOKQ_DBUTIL_H

#include <pthread.h>
#include <stdbool.h>

/*
 * A test's database, malloc'd: with HOOKQ_TEST_PG_URL set, that PostgreSQL
 * database emptied (its public schema dropped and made again, so that
 * store_open() migrates it from nothing and ids start at 1 again); else
 * dir/name, a SQLite file not made yet.
 */
char *tu_new_db(const char *dir, const char *name);
/* Whether db is a PostgreSQL URL, not a SQLite file (the SQL to write differs). */
bool tu_is_pg(const char *db);

/*
 * Runs sql, one statement or several (on SQLite each in a transaction of its
 * own, on PostgreSQL all in one); fails the test on an error.
 */
void tu_exec(const char *db, const char *sql);
/*
 * The first column of sql's first row (malloc'd; "" for none or NULL); fails
 * the test on an error. Values print as each prompt prints them: booleans
 * 0/1 on SQLite, t/f on PostgreSQL (CAST(... AS INTEGER) them).
 */
char *tu_query(const char *db, const char *sql);
/* Fails the test, naming sql, unless its first value is want. */
void tu_assert_query(const char *db, const char *sql, const char *want);
/*
 * The first column of every row of sql, in the order the query gives (""
 * for NULL), joined with sep (malloc'd; "" for no row): group_concat()
 * without SQLite's group_concat() or PostgreSQL's string_agg().
 */
char *tu_query_rows(const char *db, const char *sql, const char *sep);
/* Fails the test, naming sql, unless tu_query_rows() gives want. */
void tu_assert_rows(const char *db, const char *sql, const char *sep, const char *want);

/*
 * Another connection holding db's write lock: SQLite's BEGIN IMMEDIATE;
 * on PostgreSQL LOCK TABLE ... IN EXCLUSIVE MODE of every table hookq
 * writes (as tests/integration/lib.sh's lock_db), which lets reads go on
 * and makes every write, and every claim's SELECT ... FOR UPDATE, wait.
 */
struct tu_locker {
	const char *db;
	int ms;
	pthread_t thread;
	volatile int locked;
};
/* Takes the lock and returns once it is held; it is let go after ms (join l->thread). */
void tu_lock_for(struct tu_locker *l, const char *db, int ms);

#endif
