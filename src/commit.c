/*
 * commit.c: group commit by leader and followers, and the checkpointer.
 *
 * There is no writer thread to hand events to: a hand-off costs two context
 * switches per request, which on a small virtual machine cost more than the
 * insert itself. Instead the submitting thread that finds no leader takes
 * the whole queue (up to BATCH_MAX events), runs one transaction for it,
 * wakes each follower, and passes leadership to the next queued event's
 * thread. There is no timer and no artificial delay: a batch is whatever
 * arrived during the previous commit. A batch that fails is rolled back whole
 * and every event in it is reported failed (the senders get 503 and retry),
 * so nothing is ever half-written.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "log.h"
#include "util.h"

#define BATCH_MAX 512
/* WAL size, in pages, past which the checkpointer is woken. */
#define CHECKPOINT_PAGES 1000

struct committer {
	pthread_mutex_t lock;
	struct commit_item *head, *tail;  /* queued, not yet taken by a leader */
	bool leading;                /* a thread is committing a batch */
	bool stopping;
	int busy_timeout;            /* ms */
	struct store *writer_store;  /* used by the leader only */

	pthread_cond_t checkpoint_cond;
	bool checkpoint_wanted;
	struct store *checkpoint_store;
	pthread_t checkpointer;

	struct commit_stats stats;
};

/* Runs one transaction for the batch and sets each item's result. */
static void
commit_batch(struct committer *c, struct commit_item *batch)
{
	struct store *st = c->writer_store;
	struct commit_item *it;
	int64_t oldest = batch->enqueued_us;
	bool inserted;

	for (it = batch; it != NULL; it = it->next)
		if (it->enqueued_us < oldest)
			oldest = it->enqueued_us;
	/* No event waits much longer than busy_timeout for the lock in all. */
	if (store_begin(st, oldest + (int64_t)c->busy_timeout * 1000) != 0)
		goto fail;
	for (it = batch; it != NULL; it = it->next) {
		if (store_insert(st, it->event, &inserted) != 0)
			goto fail;
		it->result = inserted ? COMMIT_INSERTED : COMMIT_DUPLICATE;
	}
	if (store_commit(st) != 0)
		goto fail;
	return;
fail:
	store_rollback(st);
	for (it = batch; it != NULL; it = it->next) {
		it->result = COMMIT_FAILED;
		snprintf(it->error, sizeof(it->error), "%s", store_error(st));
	}
}

/* Detaches up to BATCH_MAX queued events; call with the lock held. */
static struct commit_item *
take_batch(struct committer *c, size_t *n)
{
	struct commit_item *batch = c->head, *it;

	for (it = batch, *n = 1; it->next != NULL && *n < BATCH_MAX; it = it->next)
		(*n)++;
	c->head = it->next;
	if (c->head == NULL)
		c->tail = NULL;
	it->next = NULL;
	return batch;
}

/* The writer connection's WAL hook: wakes the checkpointer once the WAL has grown. */
static void
commit_wal(void *arg, int pages)
{
	struct committer *c = arg;

	if (pages < CHECKPOINT_PAGES)
		return;
	pthread_mutex_lock(&c->lock);
	c->checkpoint_wanted = true;
	pthread_cond_signal(&c->checkpoint_cond);
	pthread_mutex_unlock(&c->lock);
}

static void *
checkpointer_main(void *arg)
{
	struct committer *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->checkpoint_wanted && !c->stopping)
			pthread_cond_wait(&c->checkpoint_cond, &c->lock);
		if (c->stopping)
			break;
		c->checkpoint_wanted = false;
		pthread_mutex_unlock(&c->lock);
		if (store_checkpoint(c->checkpoint_store) != 0)
			log_warn("%s", store_error(c->checkpoint_store));
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct committer *
commit_start(const char *path, const struct store_options *opt, char **cause)
{
	struct committer *c = xcalloc(1, sizeof(*c));

	c->busy_timeout = opt->busy_timeout;
	c->writer_store = store_open(path, opt, cause);
	if (c->writer_store == NULL)
		goto fail;
	c->checkpoint_store = store_open(path, opt, cause);
	if (c->checkpoint_store == NULL)
		goto fail;
	store_on_wal(c->writer_store, commit_wal, c);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->checkpoint_cond, NULL);
	if (pthread_create(&c->checkpointer, NULL, checkpointer_main, c) != 0)
		fatal(EXIT_SYSTEM, "cannot start the checkpoint thread");
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
	struct commit_item *batch, *b, *next;
	size_t n;

	pthread_cond_init(&it->cond, NULL);
	it->done = false;
	it->next = NULL;
	it->enqueued_us = clock_mono_us();

	pthread_mutex_lock(&c->lock);
	if (c->tail != NULL)
		c->tail->next = it;
	else
		c->head = it;
	c->tail = it;
	while (!it->done) {
		if (c->leading) {
			pthread_cond_wait(&it->cond, &c->lock);
			continue;
		}
		/* Lead: our event is queued, so this batch holds it unless the queue is long. */
		c->leading = true;
		batch = take_batch(c, &n);
		pthread_mutex_unlock(&c->lock);

		commit_batch(c, batch);

		pthread_mutex_lock(&c->lock);
		c->stats.transactions++;
		c->stats.events += n;
		for (b = batch; b != NULL; b = next) {
			next = b->next;
			b->done = true;
			if (b != it)
				pthread_cond_signal(&b->cond);
		}
		c->leading = false;
		/* Whoever queued first since leads the next batch. */
		if (c->head != NULL)
			pthread_cond_signal(&c->head->cond);
	}
	pthread_mutex_unlock(&c->lock);
	pthread_cond_destroy(&it->cond);
}

void
commit_stop(struct committer *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->checkpoint_cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->checkpointer, NULL);
	store_close(c->checkpoint_store);
	store_close(c->writer_store);
	pthread_cond_destroy(&c->checkpoint_cond);
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
