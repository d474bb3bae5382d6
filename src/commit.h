/*
 * commit.h: group commit. Request threads queue their event; whichever
 * thread finds no commit under way becomes the leader and commits everything
 * queued in one transaction on the shared writer connection, then wakes the
 * others. Events that arrive while a commit is under way go into the next
 * transaction together, so N concurrent requests cost one fsync, not N; each
 * answer still waits for the commit that holds its row; and a lone request
 * commits on its own thread with no hand-off at all. A separate thread
 * checkpoints the WAL, so no request ever waits for a checkpoint.
 */
#ifndef HOOKQ_COMMIT_H
#define HOOKQ_COMMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct committer;

enum commit_result {
	COMMIT_INSERTED,  /* a new row is committed */
	COMMIT_DUPLICATE, /* (source, event_id) was there already; nothing changed */
	COMMIT_FAILED,    /* nothing was written; error says why */
};

/* One event handed to the writer; lives on the submitting thread's stack. */
struct commit_item {
	const struct store_event *event;
	enum commit_result result;
	char error[200];

	/* The committer's: */
	int64_t enqueued_us;
	bool done;
	pthread_cond_t cond;
	struct commit_item *next;
};

/*
 * Opens the database (creating and migrating it) with two connections and
 * starts the checkpoint thread. Returns NULL with *cause set
 * (malloc'd) on failure.
 */
struct committer *commit_start(const char *path, const struct store_options *,
    char **cause);
/* Commits item->event in the next transaction; returns when it is committed or failed. */
void commit_submit(struct committer *, struct commit_item *);
/* Stops the checkpoint thread and closes the database; no submit may be under way. */
void commit_stop(struct committer *);

/* Counters for benchmarks and logs. */
struct commit_stats {
	uint64_t transactions;
	uint64_t events;
};
void commit_stats(struct committer *, struct commit_stats *);

#endif
