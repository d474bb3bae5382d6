/*
 * store.h: the SQLite queue. Opening a store creates the database or brings
 * its schema up to date (sql/schema.sql, compiled in; PRAGMA user_version
 * counts the migrations applied) and puts it in WAL mode. A struct store is
 * one connection, for one thread at a time. This is the only module that
 * calls SQLite, so another back end can replace it.
 */
#ifndef HOOKQ_STORE_H
#define HOOKQ_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct store_options {
	bool durability_full; /* synchronous=FULL: every commit is on disk before it returns */
	int busy_timeout;     /* ms to wait for another process's lock */
};

/* One event to insert; the store copies nothing it does not need. */
struct store_event {
	const char *source;
	const char *event_id;
	const char *event_type;  /* NULL when none */
	int64_t received_at;     /* ms since the epoch */
	const char *headers;     /* JSON object */
	size_t headers_len;
	const void *body;
	size_t body_len;
};

/* The schema text, one "-- migration N:" section after another (schema_sql.c). */
extern const char store_schema_sql[];

/*
 * Opens (creating if need be) and migrates the database at path. Returns
 * NULL with *cause set (malloc'd, names the path) on failure.
 */
struct store *store_open(const char *path, const struct store_options *, char **cause);
/* Closes the connection; NULL is fine. */
void store_close(struct store *);
/* The schema version this build creates (the last migration's number). */
int store_schema_version(void);

/*
 * Begins a write transaction, waiting for another writer's lock until
 * deadline (clock_mono_us() time). Returns 0, or -1 (see store_error()).
 */
int store_begin(struct store *, int64_t deadline_us);
/* Inserts ev unless (source, event_id) is there; *inserted says which. */
int store_insert(struct store *, const struct store_event *ev, bool *inserted);
int store_commit(struct store *);
void store_rollback(struct store *);
/* Why the last call failed: a short static-lifetime-per-store message. */
const char *store_error(const struct store *);

/* Calls fn(arg, pages) after each commit with the WAL's size in pages. */
void store_on_wal(struct store *, void (*fn)(void *arg, int pages), void *arg);
/* A passive checkpoint: copies WAL frames into the database without blocking writers. */
int store_checkpoint(struct store *);

#endif
