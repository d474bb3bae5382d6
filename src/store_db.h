/*
 * store_db.h: what store.c and store_admin.c share and nothing else sees:
 * the connection and the helpers every statement goes through.
 */
#ifndef HOOKQ_STORE_DB_H
#define HOOKQ_STORE_DB_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

struct store {
	sqlite3 *db;
	sqlite3_stmt *insert;
	sqlite3_stmt *dedup;     /* dedup = body's probe before the insert */
	/* The worker's, prepared on first use. */
	sqlite3_stmt *unrouted, *route_mark, *route_insert;
	sqlite3_stmt *live, *pick_expired, *pick_pending, *claim, *claim_event;
	sqlite3_stmt *bucket_read, *bucket_write;
	sqlite3_stmt *finish[4], *promote, *next_live, *next_any, *prune;
	sqlite3_stmt *stat_add;  /* store_count_attempts()'s UPSERT */
	size_t claim_next;       /* the route the next claim tries first */
	int busy_timeout;        /* ms */
	int64_t deadline_us;     /* the busy handler gives up here */
	void (*wal_fn)(void *, int);
	void *wal_arg;
	char err[256];
	bool full;               /* the last failure was a full disk (SQLITE_FULL) */
	bool locked;             /* the last failure was another's lock (SQLITE_BUSY, _LOCKED) */
	bool low_space;          /* free space was under STORE_LOW_SPACE at the last look */
	int64_t space_seen_us;   /* when that was */
	bool wal_seen;           /* the -wal this connection writes, once seen (store_moved()) */
	dev_t wal_dev;
	ino_t wal_ino;
};

/* Records what failed (what) and SQLite's reason in st->err. */
void store_fail(struct store *, const char *what);
/* Arms the busy handler for one busy_timeout from now. */
void store_arm(struct store *);
int store_exec(struct store *, const char *sql, const char *what);
/* BEGIN IMMEDIATE, waiting busy_timeout for the write lock. */
int store_begin_write(struct store *);
/* Prepares *s from sql the first time it is needed (kept until store_close()). */
int store_prepare(struct store *, sqlite3_stmt **s, const char *sql);
/*
 * Runs s (reset afterwards), calling row() for each result row. Inside the
 * caller's transaction (store_begin()) it is one more statement of it;
 * otherwise a write transaction of its own that waits busy_timeout.
 */
int store_write(struct store *, sqlite3_stmt *s, const char *what,
    int (*row)(struct store *, sqlite3_stmt *, void *), void *arg);
/* Column i as a malloc'd string, NULL when NULL. */
char *store_column_strdup(sqlite3_stmt *, int i);

#endif
