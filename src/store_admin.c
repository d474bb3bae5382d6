/*
 * store_admin.c: the queue's reads and writes for operators (the hookq
 * command, the metrics page), and the backup.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_db.h"
#include "util.h"

/* ---- the hookq command ------------------------------------------------------ */

const char *const store_statuses[STORE_NSTATUSES] = { "pending", "running", "done", "dead" };

#define ROW_COLUMNS "id, source, event_id, event_type, status, attempts, received_at," \
    " next_attempt_at, lease_until, finished_at, failed_at, claimed_by, last_error"

/* Fills row from ROW_COLUMNS (the first 13 columns of s). */
static void
row_read(sqlite3_stmt *s, struct store_row *row)
{
	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(s, 0);
	row->source = store_column_strdup(s, 1);
	row->event_id = store_column_strdup(s, 2);
	row->event_type = store_column_strdup(s, 3);
	row->status = store_column_strdup(s, 4);
	row->attempts = sqlite3_column_int(s, 5);
	row->received_at = sqlite3_column_int64(s, 6);
	row->next_attempt_at = sqlite3_column_int64(s, 7);
	row->lease_until = sqlite3_column_int64(s, 8);
	row->finished_at = sqlite3_column_int64(s, 9);
	row->failed_at = sqlite3_column_int64(s, 10);
	row->claimed_by = store_column_strdup(s, 11);
	row->last_error = store_column_strdup(s, 12);
}

void
store_row_free(struct store_row *row)
{
	free(row->source);
	free(row->event_id);
	free(row->event_type);
	free(row->status);
	free(row->claimed_by);
	free(row->last_error);
	free(row->headers);
	free(row->body);
	memset(row, 0, sizeof(*row));
}

void
store_rows_free(struct store_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_row_free(&rows[i]);
	free(rows);
}

/* Steps a prepared read s to the end, appending each row (ROW_COLUMNS) to *rows. */
static int
rows_read(struct store *st, sqlite3_stmt *s, const char *what, struct store_row **rows,
    size_t *n)
{
	int rc;

	*rows = NULL;
	*n = 0;
	store_arm(st);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
		row_read(s, &(*rows)[(*n)++]);
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, what);
		sqlite3_finalize(s);
		store_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

int
store_list(struct store *st, const char *source, const char *status, int limit,
    struct store_row **rows, size_t *n)
{
	static const char SQL[] =
	    "SELECT " ROW_COLUMNS " FROM events"
	    " WHERE (?1 IS NULL OR source = ?1) AND (?2 IS NULL OR status = ?2)"
	    " ORDER BY id DESC LIMIT ?3";
	sqlite3_stmt *s;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "listing events");
		return -1;
	}
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, limit);
	return rows_read(st, s, "listing events", rows, n);
}

int
store_get(struct store *st, int64_t id, struct store_row *row, bool *found)
{
	static const char SQL[] = "SELECT " ROW_COLUMNS ", headers, body FROM events WHERE id = ?1";
	sqlite3_stmt *s;
	int rc;

	memset(row, 0, sizeof(*row));
	*found = false;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "reading an event");
		return -1;
	}
	sqlite3_bind_int64(s, 1, id);
	store_arm(st);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const void *body = sqlite3_column_blob(s, 14);

		row_read(s, row);
		row->headers = store_column_strdup(s, 13);
		row->body_len = (size_t)sqlite3_column_bytes(s, 14);
		row->body = xmalloc(row->body_len + 1);
		if (row->body_len > 0)
			memcpy(row->body, body, row->body_len);
		((char *)row->body)[row->body_len] = '\0';
		*found = true;
	} else if (rc != SQLITE_DONE)
		store_fail(st, "reading an event");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

#define REQUEUE_SET "UPDATE events SET status = 'pending', attempts = 0, next_attempt_at = ?1," \
    " finished_at = NULL, failed_at = NULL, last_error = NULL, lease_until = NULL," \
    " claimed_by = NULL"

/* store_requeue's row: the status before and whether the update applies. */
struct requeue_one {
	char *status, *source, *event_id;
};

static int
requeue_row(struct store *st, sqlite3_stmt *s, void *arg)
{
	struct requeue_one *r = arg;

	(void)st;
	r->status = store_column_strdup(s, 0);
	r->source = store_column_strdup(s, 1);
	r->event_id = store_column_strdup(s, 2);
	return 0;
}

int
store_requeue(struct store *st, int64_t id, int64_t now, bool done_too, char *status,
    bool *requeued, char **row_source, char **row_event_id)
{
	static const char FIND_SQL[] = "SELECT status, source, event_id FROM events WHERE id = ?1";
	static const char SQL[] = REQUEUE_SET " WHERE id = ?2 AND (status = 'dead' OR"
	    " (?3 AND status = 'done'))";
	struct requeue_one r = { NULL, NULL, NULL };
	sqlite3_stmt *find = NULL, *upd = NULL;
	int rc = -1;

	*status = '\0';
	*requeued = false;
	*row_source = *row_event_id = NULL;
	if (sqlite3_prepare_v2(st->db, FIND_SQL, -1, &find, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, SQL, -1, &upd, NULL) != SQLITE_OK) {
		store_fail(st, "preparing a requeue");
		goto out;
	}
	/* One transaction: the status read is the one the update is decided on. */
	store_arm(st);
	if (store_exec(st, "BEGIN IMMEDIATE", "waiting for the write lock") != 0)
		goto out;
	sqlite3_bind_int64(find, 1, id);
	if (store_write(st, find, "reading an event", requeue_row, &r) != 0)
		goto fail;
	if (r.status != NULL) {
		snprintf(status, 16, "%s", r.status);
		if (strcmp(r.status, "dead") == 0 || (done_too && strcmp(r.status, "done") == 0)) {
			sqlite3_bind_int64(upd, 1, now);
			sqlite3_bind_int64(upd, 2, id);
			sqlite3_bind_int(upd, 3, done_too);
			if (store_write(st, upd, "requeueing", NULL, NULL) != 0)
				goto fail;
			*requeued = sqlite3_changes(st->db) == 1;
		}
	}
	if (store_commit(st) != 0)
		goto fail;
	*row_source = r.source;
	*row_event_id = r.event_id;
	r.source = r.event_id = NULL;
	rc = 0;
	goto out;
fail:
	store_rollback(st);
	*requeued = false;
out:
	sqlite3_finalize(find);
	sqlite3_finalize(upd);
	free(r.status);
	free(r.source);
	free(r.event_id);
	return rc;
}

struct requeue_many {
	struct store_row *rows;
	size_t n;
};

static int
requeue_many_row(struct store *st, sqlite3_stmt *s, void *arg)
{
	struct requeue_many *m = arg;
	struct store_row *row;

	(void)st;
	m->rows = xreallocarray(m->rows, m->n + 1, sizeof(*m->rows));
	row = &m->rows[m->n++];
	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(s, 0);
	row->source = store_column_strdup(s, 1);
	row->event_id = store_column_strdup(s, 2);
	row->status = xstrdup("dead");
	return 0;
}

int
store_requeue_dead(struct store *st, const char *source, int64_t now,
    struct store_row **rows, size_t *n)
{
	static const char SQL[] = REQUEUE_SET " WHERE status = 'dead' AND (?2 IS NULL OR source = ?2)"
	    " RETURNING id, source, event_id";
	struct requeue_many m = { NULL, 0 };
	sqlite3_stmt *s;
	int rc;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "preparing a requeue");
		return -1;
	}
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
	rc = store_write(st, s, "requeueing", requeue_many_row, &m);
	sqlite3_finalize(s);
	if (rc != 0) {
		store_rows_free(m.rows, m.n);
		return -1;
	}
	*rows = m.rows;
	*n = m.n;
	return 0;
}

int
store_purge(struct store *st, const char *status, int64_t before, int limit, int *deleted)
{
	static const char SQL[] =
	    "DELETE FROM events WHERE id IN (SELECT id FROM events INDEXED BY events_finished"
	    " WHERE finished_at IS NOT NULL AND finished_at < ?1 AND status = ?2 LIMIT ?3)";
	sqlite3_stmt *s;
	int rc;

	*deleted = 0;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "preparing a purge");
		return -1;
	}
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, limit);
	rc = store_write(st, s, "purging", NULL, NULL);
	if (rc == 0)
		*deleted = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return rc;
}

int
store_last_received(struct store *st, struct store_row **rows, size_t *n)
{
	static const char SQL[] =
	    "SELECT " ROW_COLUMNS " FROM events"
	    " WHERE id IN (SELECT max(id) FROM events GROUP BY source) ORDER BY source";
	sqlite3_stmt *s;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, SQL, -1, &s, NULL) != SQLITE_OK) {
		store_fail(st, "reading the last events");
		return -1;
	}
	return rows_read(st, s, "reading the last events", rows, n);
}

/*
 * store_backup's pace: pages per sqlite3_backup_step() and the pause after
 * each, so that a large copy leaves the disk to the receiver's commits; and
 * how long a busy destination (nobody else should open it) may hold us.
 */
#define BACKUP_PAGES 256
#define BACKUP_PAUSE_MS 2
#define BACKUP_BUSY_MS 10000

/* The copy's row count and schema version, read from the copy itself. */
static int
backup_verify(sqlite3 *dst, int64_t *events, int *version)
{
	sqlite3_stmt *s = NULL;
	int ok;

	ok = sqlite3_prepare_v2(dst, "SELECT count(*), (SELECT user_version FROM"
	    " pragma_user_version) FROM events", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW;
	if (ok) {
		*events = sqlite3_column_int64(s, 0);
		*version = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

int
store_backup(struct store *st, const char *path, int64_t *events, int *version)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b = NULL;
	int rc, waited = 0;
	bool snapshot = false;

	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "opening %s: %s", path,
		    dst != NULL ? sqlite3_errmsg(dst) : "out of memory");
		goto fail;
	}
	if (sqlite3_exec(dst, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "%s: %s", path, sqlite3_errmsg(dst));
		goto fail;
	}
	/*
	 * A read transaction held across the steps fixes the snapshot: without
	 * it each step sees the receiver's newest commit, and the backup API
	 * starts again from the first page whenever another connection wrote,
	 * which under a steady stream of webhooks is forever.
	 */
	store_arm(st);
	if (store_exec(st, "BEGIN", "starting the backup") != 0 ||
	    store_exec(st, "SELECT count(*) FROM sqlite_schema", "starting the backup") != 0)
		goto fail;
	snapshot = true;
	b = sqlite3_backup_init(dst, "main", st->db, "main");
	if (b == NULL) {
		snprintf(st->err, sizeof(st->err), "backup to %s: %s", path, sqlite3_errmsg(dst));
		goto fail;
	}
	for (;;) {
		rc = sqlite3_backup_step(b, BACKUP_PAGES);
		if (rc == SQLITE_DONE)
			break;
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			if (waited >= BACKUP_BUSY_MS) {
				snprintf(st->err, sizeof(st->err), "backup to %s: locked for %d ms",
				    path, waited);
				goto fail;
			}
			sqlite3_sleep(50);
			waited += 50;
			continue;
		}
		if (rc != SQLITE_OK) {
			snprintf(st->err, sizeof(st->err), "backup to %s: %s", path, sqlite3_errstr(rc));
			goto fail;
		}
		sqlite3_sleep(BACKUP_PAUSE_MS);
	}
	rc = sqlite3_backup_finish(b);
	b = NULL;
	if (rc != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "backup to %s: %s", path, sqlite3_errmsg(dst));
		goto fail;
	}
	sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	snapshot = false;
	if (backup_verify(dst, events, version) != 0) {
		snprintf(st->err, sizeof(st->err), "reading the copy %s: %s", path,
		    sqlite3_errmsg(dst));
		goto fail;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "closing the copy %s", path);
		return -1;
	}
	return 0;
fail:
	if (b != NULL)
		sqlite3_backup_finish(b);
	if (snapshot)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(dst);
	return -1;
}
