/*
 * commit.h: group commit on a thread of its own. Request threads queue a
 * checked event and go back to reading the next request at once; the
 * committer thread takes everything queued (up to COMMIT_BATCH_MAX events),
 * commits it in one transaction with one fsync, and hands the finished batch
 * to a callback that answers every request in it. So the number of events
 * one commit carries is the number that arrived during the previous commit,
 * never a thread count, and no request needs a blocked thread while it waits
 * for its commit. A separate thread checkpoints the WAL, so no commit ever
 * waits for a checkpoint.
 */
#ifndef HOOKQ_COMMIT_H
#define HOOKQ_COMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The most events one transaction carries. */
#define COMMIT_BATCH_MAX 512
/* Queued past either bound, submitters wait for the committer. */
#define COMMIT_QUEUE_MAX (8 * COMMIT_BATCH_MAX)
#define COMMIT_QUEUE_MAX_BYTES ((size_t)64 << 20)

struct committer;

enum commit_result {
	COMMIT_INSERTED,  /* a new row is committed */
	COMMIT_DUPLICATE, /* (source, event_id) was there already; nothing changed */
	COMMIT_FAILED,    /* nothing was written; error says why */
};

/*
 * One event handed to the committer. The submitter owns it (it is usually
 * part of a bigger struct of its own) and must keep it and the event alive
 * until the done callback has seen it.
 */
struct commit_item {
	const struct store_event *event;
	enum commit_result result;   /* set before done is called */
	char error[200];             /* COMMIT_FAILED: the store's reason */
	bool locked;                 /* COMMIT_FAILED only because another process held the lock */

	/* The committer's: */
	int64_t enqueued_us;
	struct commit_item *next;
};

/*
 * Called on the committer thread with a finished batch: a list linked by
 * next, in the order submitted, each with its result. The callback may free
 * the items; the committer does not touch them again.
 */
typedef void commit_done_fn(void *arg, struct commit_item *batch);

/*
 * Opens the database (creating and migrating it) with two connections and
 * starts the committer and checkpoint threads. done(arg, batch) is called
 * for every batch. Returns NULL with *cause set (malloc'd) on failure.
 */
struct committer *commit_start(const char *path, const struct store_options *,
    commit_done_fn *done, void *arg, char **cause);
/*
 * Queues item for the next transaction and returns at once, unless the
 * queue already holds COMMIT_QUEUE_MAX events or COMMIT_QUEUE_MAX_BYTES of
 * bodies and headers: then it waits for room, which slows the request
 * threads down to the disk's pace.
 */
void commit_submit(struct committer *, struct commit_item *);
/* Counters for benchmarks and logs. */
struct commit_stats {
	uint64_t transactions;   /* committed ones */
	uint64_t events;         /* new rows they committed */
	uint64_t duplicates;     /* events they found stored already */
	uint64_t failed;         /* events not written (their requests got 503) */
	uint64_t largest;        /* the most events one transaction carried */
};
void commit_stats(struct committer *, struct commit_stats *);

/*
 * Commits everything queued (its done callbacks run), then stops the
 * threads and closes the database; fills *stats (unless NULL) with the
 * final counters. No submit may be under way or follow.
 */
void commit_stop(struct committer *, struct commit_stats *stats);

#endif
