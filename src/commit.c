/*
 * commit.c: the committer thread, its queue, and the checkpointer.
 *
 * Request threads only append to the queue (and signal the committer, which
 * costs nothing when it is busy); the committer takes the whole queue, runs
 * one transaction for it and hands the batch to the done callback, which
 * answers each request. There is no timer and no artificial delay: a batch
 * is whatever arrived during the previous commit, so under load a commit
 * carries as many events as the disk's fsync time lets arrive, and a lone
 * request is committed as soon as the committer wakes. A batch that fails is
 * rolled back whole and every event in it is reported failed (the senders
 * get 503 and retry), so nothing is ever half-written.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "log.h"
#include "util.h"

/*
 * Checkpoints, in bytes of WAL (turned into pages of the database's size at
 * start). The checkpointer copies the WAL into the database in the
 * background each time CHECKPOINT_BYTES more have been written: small, so
 * that each checkpoint's fsync of the database flushes about 1 MB, because a commit's fsync that queues behind a checkpoint's
 * waits for all of it (with SQLite's default of 1000 pages of 4 KB, commits
 * made meanwhile took 3-6 ms instead of a few hundred µs). A passive
 * checkpoint racing the writer is never complete, so once the WAL holds
 * RESTART_BYTES
 * the committer copies the last commits itself between two transactions
 * (two more fsyncs, a pause of a few ms) and the next transaction starts the
 * WAL over, at the start of a file whose blocks are already allocated.
 * Without that step a WAL under steady load grows without end. Past
 * WAL_BYTES_MAX the committer waits for a checkpoint under way: when the
 * disk cannot keep up, the WAL stays bounded and the request threads slow
 * down instead.
 */
#define CHECKPOINT_BYTES (1 << 20)
#define RESTART_BYTES (8 << 20)
#define WAL_BYTES_MAX (16 << 20)

struct committer {
	pthread_mutex_t lock;
	pthread_cond_t work;              /* the committer waits here for a queue */
	pthread_cond_t room;              /* submitters wait here while the queue is full */
	struct commit_item *head, *tail;  /* queued, not yet taken */
	size_t queued, queued_bytes;
	bool stopping;
	int busy_timeout;                 /* ms */
	struct store *writer_store;       /* the committer thread's only */
	commit_done_fn *done;
	void *done_arg;
	pthread_t thread;

	pthread_cond_t checkpoint_cond;   /* the checkpointer waits here for a pass */
	pthread_cond_t pass_done;         /* the committer waits here past WAL_PAGES_MAX */
	bool pass_wanted;                 /* a background pass is asked for or under way */
	int wal_pages;                    /* the WAL's size after the last commit */
	int backfilled;                   /* pages of it already in the database */
	int restart_at;                   /* the committer catches up from this size */
	int checkpoint_pages, restart_pages, wal_pages_max;  /* the *_BYTES in pages */
	struct store *checkpoint_store;
	pthread_t checkpointer;

	struct commit_stats stats;
	bool disk_full;                   /* the last batch failed on a full disk */
	/* commit_batch()'s: a batch's events and which were inserted (COMMIT_BATCH_MAX). */
	const struct store_event *events[COMMIT_BATCH_MAX];
	bool inserted[COMMIT_BATCH_MAX];
};

/* What an item counts against COMMIT_QUEUE_MAX_BYTES. */
static size_t
item_bytes(const struct commit_item *it)
{
	return it->event->body_len + it->event->headers_len;
}

/* Runs one transaction for the batch and sets each item's result. */
static void
commit_batch(struct committer *c, struct commit_item *batch)
{
	struct store *st = c->writer_store;
	struct commit_item *it;
	int64_t oldest = batch->enqueued_us;
	size_t n;

	for (it = batch; it != NULL; it = it->next)
		if (it->enqueued_us < oldest)
			oldest = it->enqueued_us;
	/*
	 * After a full disk, the WAL first: a commit now would take the space
	 * the checkpoint needs and make the WAL longer still (store_full()).
	 * While it cannot go through, the disk is still full: 503, no write. A
	 * reader holding the WAL (1) is no reason to refuse.
	 */
	if (c->disk_full) {
		if (store_truncate_wal(st) < 0)
			goto refuse;
		c->disk_full = false;
	}
	/* No event waits much longer than busy_timeout for the lock in all. */
	if (store_begin(st, oldest + (int64_t)c->busy_timeout * 1000) != 0)
		goto fail;
	for (it = batch, n = 0; it != NULL; it = it->next)
		c->events[n++] = it->event;
	/* One statement for the batch where the back end has it (PostgreSQL's round trip). */
	if (store_insert_batch(st, c->events, n, c->inserted) != 0)
		goto fail;
	for (it = batch, n = 0; it != NULL; it = it->next, n++)
		it->result = c->inserted[n] ? COMMIT_INSERTED : COMMIT_DUPLICATE;
	if (store_commit(st) != 0)
		goto fail;
	/* Committed into a file nobody else sees is not committed: no 200 for it. */
	if (store_moved(st))
		goto refuse;
	/* Short of space: the WAL back to nothing now (store_low_space()). */
	if (store_low_space(st) && store_truncate_wal(st) < 0) {
		log_warn("%s", store_error(st));
		c->disk_full = store_full(st);
	}
	return;
fail:
	store_rollback(st);
	c->disk_full = store_full(st);
refuse:
	for (it = batch; it != NULL; it = it->next) {
		it->result = COMMIT_FAILED;
		it->locked = store_locked(st);
		snprintf(it->error, sizeof(it->error), "%s", store_error(st));
	}
}

/* Detaches up to COMMIT_BATCH_MAX queued events; call with the lock held, queue not empty. */
static struct commit_item *
take_batch(struct committer *c, size_t *n)
{
	struct commit_item *batch = c->head, *it;
	size_t bytes = item_bytes(batch);

	for (it = batch, *n = 1; it->next != NULL && *n < COMMIT_BATCH_MAX; it = it->next) {
		(*n)++;
		bytes += item_bytes(it->next);
	}
	c->head = it->next;
	if (c->head == NULL)
		c->tail = NULL;
	it->next = NULL;
	c->queued -= *n;
	c->queued_bytes -= bytes;
	return batch;
}

/* What a committed (or refused) batch came to, into *t. */
static void
count_batch(struct commit_stats *t, const struct commit_item *batch)
{
	const struct commit_item *it;

	memset(t, 0, sizeof(*t));
	for (it = batch; it != NULL; it = it->next) {
		if (it->result == COMMIT_INSERTED)
			t->events++;
		else if (it->result == COMMIT_DUPLICATE)
			t->duplicates++;
		else
			t->failed++;
	}
}

static void *
committer_main(void *arg)
{
	struct committer *c = arg;
	struct commit_stats tally;
	size_t n;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		struct commit_item *batch;

		while (c->head == NULL && !c->stopping)
			pthread_cond_wait(&c->work, &c->lock);
		if (c->head == NULL)
			break; /* stopping, and everything queued is answered */
		batch = take_batch(c, &n);
		pthread_cond_broadcast(&c->room);
		pthread_mutex_unlock(&c->lock);

		commit_batch(c, batch);
		/* Counted before done(), which hands the items back to their requests. */
		count_batch(&tally, batch);
		c->done(c->done_arg, batch);

		pthread_mutex_lock(&c->lock);
		if (tally.events + tally.duplicates > 0)
			c->stats.transactions++;
		c->stats.events += tally.events;
		c->stats.duplicates += tally.duplicates;
		c->stats.failed += tally.failed;
		if (tally.events + tally.duplicates > c->stats.largest)
			c->stats.largest = tally.events + tally.duplicates;
		while (c->wal_pages >= c->wal_pages_max && c->pass_wanted && !c->stopping)
			pthread_cond_wait(&c->pass_done, &c->lock);
		if (c->wal_pages >= c->restart_at && !c->pass_wanted) {
			int copied = 0;

			/* Should a reader hold the WAL, try again a little later. */
			c->restart_at = c->wal_pages + c->checkpoint_pages;
			pthread_mutex_unlock(&c->lock);
			if (store_checkpoint(c->writer_store, &copied) != 0)
				log_warn("%s", store_error(c->writer_store));
			pthread_mutex_lock(&c->lock);
			c->backfilled = copied;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* The writer connection's WAL hook, on the committer thread after each commit. */
static void
commit_wal(void *arg, int pages)
{
	struct committer *c = arg;

	pthread_mutex_lock(&c->lock);
	if (pages < c->wal_pages) {
		/* The WAL started over. */
		c->backfilled = 0;
		c->restart_at = c->restart_pages;
	}
	c->wal_pages = pages;
	if (!c->pass_wanted && pages < c->restart_at && pages - c->backfilled >= c->checkpoint_pages) {
		c->pass_wanted = true;
		pthread_cond_signal(&c->checkpoint_cond);
	}
	pthread_mutex_unlock(&c->lock);
}

static void *
checkpointer_main(void *arg)
{
	struct committer *c = arg;
	int copied;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->pass_wanted && !c->stopping)
			pthread_cond_wait(&c->checkpoint_cond, &c->lock);
		if (c->stopping)
			break;
		pthread_mutex_unlock(&c->lock);
		copied = 0;
		if (store_checkpoint(c->checkpoint_store, &copied) != 0)
			log_warn("%s", store_error(c->checkpoint_store));
		pthread_mutex_lock(&c->lock);
		/* The WAL may have started over meanwhile (another process's writer). */
		c->backfilled = copied < c->wal_pages ? copied : c->wal_pages;
		c->pass_wanted = false;
		pthread_cond_signal(&c->pass_done);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct committer *
commit_start(const char *path, const struct store_options *opt, commit_done_fn *done,
    void *arg, char **cause)
{
	struct committer *c = xcalloc(1, sizeof(*c));

	c->busy_timeout = opt->busy_timeout;
	c->done = done;
	c->done_arg = arg;
	c->writer_store = store_open(path, opt, cause);
	if (c->writer_store == NULL)
		goto fail;
	if (store_trust_inserts(c->writer_store) != 0)
		fatal(EXIT_SYSTEM, "database %s: %s", path, store_error(c->writer_store));
	c->checkpoint_store = store_open(path, opt, cause);
	if (c->checkpoint_store == NULL)
		goto fail;
	store_on_wal(c->writer_store, commit_wal, c);
	{
		int page = store_page_size(c->writer_store);

		c->checkpoint_pages = CHECKPOINT_BYTES / page;
		c->restart_pages = RESTART_BYTES / page;
		c->wal_pages_max = WAL_BYTES_MAX / page;
	}
	c->restart_at = c->restart_pages;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->work, NULL);
	pthread_cond_init(&c->room, NULL);
	pthread_cond_init(&c->checkpoint_cond, NULL);
	pthread_cond_init(&c->pass_done, NULL);
	if (pthread_create(&c->thread, NULL, committer_main, c) != 0 ||
	    pthread_create(&c->checkpointer, NULL, checkpointer_main, c) != 0)
		fatal(EXIT_SYSTEM, "cannot start the committer threads");
	/* For top -H and perf: which thread is which. */
	pthread_setname_np(c->thread, "hookq-commit");
	pthread_setname_np(c->checkpointer, "hookq-ckpt");
	return c;
fail:
	store_close(c->writer_store);
	store_close(c->checkpoint_store);
	free(c);
	return NULL;
}

void
commit_submit(struct committer *c, struct commit_item *it)
{
	size_t bytes = item_bytes(it);

	it->next = NULL;
	it->enqueued_us = clock_mono_us();
	pthread_mutex_lock(&c->lock);
	/* An empty queue always takes one, however big. */
	while (c->head != NULL &&
	    (c->queued >= COMMIT_QUEUE_MAX || c->queued_bytes + bytes > COMMIT_QUEUE_MAX_BYTES))
		pthread_cond_wait(&c->room, &c->lock);
	if (c->tail != NULL)
		c->tail->next = it;
	else
		c->head = it;
	c->tail = it;
	c->queued++;
	c->queued_bytes += bytes;
	/* Free when the committer is busy: glibc signals without a syscall then. */
	pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->lock);
}

void
commit_stop(struct committer *c, struct commit_stats *stats)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->work);
	pthread_cond_signal(&c->pass_done);
	pthread_cond_signal(&c->checkpoint_cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_join(c->checkpointer, NULL);
	if (stats != NULL)
		*stats = c->stats;
	store_close(c->checkpoint_store);
	store_close(c->writer_store);
	pthread_cond_destroy(&c->checkpoint_cond);
	pthread_cond_destroy(&c->pass_done);
	pthread_cond_destroy(&c->room);
	pthread_cond_destroy(&c->work);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void
commit_stats(struct committer *c, struct commit_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
