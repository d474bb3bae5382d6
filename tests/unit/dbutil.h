/*
 * dbutil.h: what the store and commit tests need to look at a database the
 * way an operator would, with SQLite directly: a query's first value, and
 * another connection that holds the write lock for a while.
 */
#ifndef HOOKQ_DBUTIL_H
#define HOOKQ_DBUTIL_H

#include <pthread.h>

/* The first column of sql's first row (malloc'd; "" for none); fails the test on an error. */
char *tu_query(const char *db, const char *sql);
/* Fails the test unless sql's first value is want. */
void tu_assert_query(const char *db, const char *sql, const char *want);

/* Another connection holding db's write lock (BEGIN IMMEDIATE). */
struct tu_locker {
	const char *db;
	int ms;
	pthread_t thread;
	volatile int locked;
};
/* Takes the lock and returns once it is held; it is let go after ms (join l->thread). */
void tu_lock_for(struct tu_locker *l, const char *db, int ms);

#endif
