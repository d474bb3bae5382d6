/*
 * naive-fcgi: a reference for bench/receiver.sh. The plain way to write
 * hookq's request path: N threads in FCGX_Accept_r, read the body, verify
 * GitHub's X-Hub-Signature-256 (HMAC-SHA256, libsodium), then one INSERT per
 * request in its own transaction on one SQLite connection shared under a
 * mutex, and 200 once it is committed. No group commit, no batching: what
 * hookq's numbers are compared with. Not a product.
 *
 * usage: naive-fcgi SOCKET THREADS DATABASE SECRET_FILE full|normal
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <sodium.h>
#include <sqlite3.h>

#define MAX_BODY (1024 * 1024)

static int listen_fd;
static unsigned char key[4096];
static size_t key_len;
static sqlite3 *db;
static sqlite3_stmt *insert;
static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, source TEXT NOT NULL,"
	" event_id TEXT NOT NULL, event_type TEXT, received_at INTEGER NOT NULL,"
	" headers TEXT NOT NULL, body BLOB NOT NULL, UNIQUE(source, event_id))";
/* json_object builds the headers column, so no JSON is written by hand. */
static const char insert_sql[] =
	"INSERT INTO events(source, event_id, event_type, received_at, headers, body)"
	" VALUES (?1, ?2, ?3, ?4, json_object('X-GitHub-Delivery', ?2, 'X-GitHub-Event', ?3), ?5)"
	" ON CONFLICT DO NOTHING";

/* answer: writes a plain-text response with STATUS ("200 OK") and TEXT.
 * (snprintf: libfcgi's own FCGX_FPrintF knows no %zu.) */
static void
answer(FCGX_Request *r, const char *status, const char *text)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "Status: %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
	    status, strlen(text), text);

	FCGX_PutStr(buf, n, r->out);
}

/* verified: true when SIG is "sha256=<hex>" of BODY's HMAC-SHA256 under the key. */
static int
verified(const char *sig, const unsigned char *body, size_t len)
{
	crypto_auth_hmacsha256_state st;
	unsigned char want[crypto_auth_hmacsha256_BYTES], got[crypto_auth_hmacsha256_BYTES];
	size_t got_len;
	const char *end;

	if (sig == NULL || strncmp(sig, "sha256=", 7) != 0)
		return 0;
	sig += 7;
	if (sodium_hex2bin(got, sizeof(got), sig, strlen(sig), NULL, &got_len, &end) != 0 ||
	    got_len != sizeof(got) || *end != '\0')
		return 0;
	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, want);
	return sodium_memcmp(got, want, sizeof(want)) == 0;
}

/* store: one INSERT in its own transaction; 0 once committed. */
static int
store(const char *source, const char *id, const char *type, const unsigned char *body, size_t len)
{
	struct timespec now;
	int rc;

	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&db_lock);
	sqlite3_bind_text(insert, 1, source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(insert, 2, id, -1, SQLITE_TRANSIENT);
	if (type != NULL)
		sqlite3_bind_text(insert, 3, type, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(insert, 3);
	sqlite3_bind_int64(insert, 4, (sqlite3_int64)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	sqlite3_bind_blob(insert, 5, body, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(insert);
	if (rc != SQLITE_DONE)
		fprintf(stderr, "naive-fcgi: insert: %s\n", sqlite3_errmsg(db));
	sqlite3_reset(insert);
	sqlite3_clear_bindings(insert);
	pthread_mutex_unlock(&db_lock);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* serve: one thread's accept loop. */
static void *
serve(void *arg)
{
	FCGX_Request r;
	unsigned char *body = malloc(MAX_BODY + 1);
	const char *source, *id;
	int n;
	size_t len;

	(void)arg;
	if (body == NULL)
		return NULL;
	FCGX_InitRequest(&r, listen_fd, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		len = 0;
		while (len <= MAX_BODY &&
		    (n = FCGX_GetStr((char *)body + len, (int)(MAX_BODY + 1 - len), r.in)) > 0)
			len += (size_t)n;
		source = FCGX_GetParam("HOOKQ_SOURCE", r.envp);
		id = FCGX_GetParam("HTTP_X_GITHUB_DELIVERY", r.envp);
		if (len > MAX_BODY)
			answer(&r, "413 Payload Too Large", "too large\n");
		else if (!verified(FCGX_GetParam("HTTP_X_HUB_SIGNATURE_256", r.envp), body, len))
			answer(&r, "401 Unauthorized", "bad signature\n");
		else if (source == NULL || id == NULL || *id == '\0')
			answer(&r, "400 Bad Request", "no source or X-GitHub-Delivery\n");
		else if (store(source, id, FCGX_GetParam("HTTP_X_GITHUB_EVENT", r.envp), body, len) != 0)
			answer(&r, "503 Service Unavailable", "store failed\n");
		else
			answer(&r, "200 OK", "stored\n");
		FCGX_Finish_r(&r);
	}
	free(body);
	return NULL;
}

/* read_key: the secret file's first non-empty line (without \r\n) is the key. */
static int
read_key(const char *path)
{
	char line[sizeof(key) + 2];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	key_len = 0;
	while (key_len == 0 && fgets(line, sizeof(line), f) != NULL) {
		key_len = strcspn(line, "\r\n");
		memcpy(key, line, key_len);
	}
	fclose(f);
	return key_len > 0 ? 0 : -1;
}

/* open_db: the shared connection, WAL, synchronous as asked, the table and the statement. */
static int
open_db(const char *path, const char *sync)
{
	char pragmas[128];

	snprintf(pragmas, sizeof(pragmas),
	    "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; PRAGMA busy_timeout = 5000;", sync);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK ||
	    sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, insert_sql, -1, &insert, NULL) != SQLITE_OK) {
		fprintf(stderr, "naive-fcgi: %s: %s\n", path, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	pthread_t t[256];
	int n, i;

	if (argc != 6 || (n = atoi(argv[2])) < 1 || n > 256 ||
	    (strcmp(argv[5], "full") != 0 && strcmp(argv[5], "normal") != 0)) {
		fprintf(stderr, "usage: naive-fcgi SOCKET THREADS DATABASE SECRET_FILE full|normal\n");
		return 100;
	}
	if (sodium_init() < 0 || read_key(argv[4]) != 0) {
		fprintf(stderr, "naive-fcgi: %s: no secret\n", argv[4]);
		return 111;
	}
	if (open_db(argv[3], strcmp(argv[5], "full") == 0 ? "FULL" : "NORMAL") != 0)
		return 111;
	FCGX_Init();
	/* libfcgi catches SIGTERM to wake one accept(); we want the plain exit. */
	signal(SIGTERM, SIG_DFL);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(argv[1], 0666) != 0 || listen(listen_fd, SOMAXCONN) != 0) {
		perror(argv[1]);
		return 111;
	}
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, serve, NULL);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}
