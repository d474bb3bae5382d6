/*
 * config_test.c: loading hookq.conf (src/config.c): every key read back,
 * defaults, the file's shape (comments, CRLF, BOM, long lines), paths
 * relative to the file, secrets and their rotation, generic schemes built
 * from keys, and every error reported as FILE:LINE with nothing else.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "config.h"
#include "scheme.h"

#define nitems_(a) (sizeof(a) / sizeof((a)[0]))

/* A config that is wrong in one place: the line named and a bit of the message. */
struct error_case {
	const char *text;
	int line;           /* 0: a whole-file message, "FILE: message" */
	const char *msg;
};

struct fixture {
	char *dir;
	char *conf;         /* dir/hookq.conf */
	struct config *cfg;
	char *cause;
	char *cwd;          /* to go back to after a test that changes folder */
	const struct error_case *c;
};

/* The lines every error case builds on: a valid [hookq] and one [source]. */
#define BASE \
    "[hookq]\n" \
    "database = q.db\n" \
    "[source gh]\n" \
    "scheme = github\n" \
    "secret_file = gh.secret\n"
/* A valid configuration with one more [hookq] line (line 3). */
#define HOOKQ_WITH(line) "[hookq]\ndatabase = q.db\n" line "\n[source gh]\nscheme = github\n" \
	"secret_file = gh.secret\n"

static int
group_setup(void **state)
{
	return scheme_init() == 0 ? 0 : -1;
}

/* Writes text to dir/name. */
static void
write_in(struct fixture *fx, const char *name, const char *text)
{
	char *path = tu_path(fx->dir, name);

	tu_write_file(path, text, strlen(text), 0600);
	free(path);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char many[256];
	int i, off = 0;

	assert_non_null(fx);
	fx->c = *state;
	fx->dir = tu_tmpdir();
	fx->conf = tu_path(fx->dir, "hookq.conf");
	write_in(fx, "gh.secret", "github-secret\n");
	write_in(fx, "empty.secret", "");
	write_in(fx, "blank.secret", "\n\r\n\n");
	for (i = 1; i <= SCHEME_MAX_SECRETS + 1; i++)
		off += snprintf(many + off, sizeof(many) - (size_t)off, "secret-%d\n", i);
	write_in(fx, "many.secret", many);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->cwd != NULL) {
		if (chdir(fx->cwd) != 0)
			return -1;
		free(fx->cwd);
	}
	config_free(fx->cfg);
	free(fx->cause);
	tu_rmtree(fx->dir);
	free(fx->dir);
	free(fx->conf);
	free(fx);
	return 0;
}

/* Writes text as dir/hookq.conf and loads it into fx->cfg or fx->cause. */
static struct config *
load(struct fixture *fx, const char *text)
{
	write_in(fx, "hookq.conf", text);
	free(fx->cause);
	fx->cause = NULL;
	config_free(fx->cfg);
	fx->cfg = config_load(fx->conf, &fx->cause);
	return fx->cfg;
}

/* Loads text and fails the test, showing why, unless it loads. */
static struct config *
load_ok(struct fixture *fx, const char *text)
{
	if (load(fx, text) == NULL)
		fail_msg("config refused:\n%s", fx->cause ? fx->cause : "(no cause)");
	assert_null(fx->cause);
	return fx->cfg;
}

/* Loads text and fails the test unless it is refused with a cause. */
static const char *
load_bad(struct fixture *fx, const char *text)
{
	if (load(fx, text) != NULL)
		fail_msg("config loaded; expected it refused");
	assert_non_null(fx->cause);
	return fx->cause;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return n;
}

/* True when some line of cause starts with "CONF:LINE: " (or "CONF: ") and holds msg. */
static int
has_error(const struct fixture *fx, int line, const char *msg)
{
	char prefix[4096];
	const char *p = fx->cause;

	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", fx->conf, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", fx->conf);
	while (p != NULL && *p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char *one = strndup(p, n);
		int found;

		assert_non_null(one);
		found = strncmp(one, prefix, strlen(prefix)) == 0 && strstr(one, msg) != NULL;
		free(one);
		if (found)
			return 1;
		p = eol ? eol + 1 : NULL;
	}
	return 0;
}

/* Asserts that the cause is exactly one line, at line, holding msg. */
static void
assert_one_error(const struct fixture *fx, int line, const char *msg)
{
	if (count_lines(fx->cause) != 1 || !has_error(fx, line, msg))
		fail_msg("expected one error at line %d with \"%s\", got:\n%s", line, msg, fx->cause);
}

/* Every error case: the config is refused with one message at the offending line. */
static void
test_error_case(void **state)
{
	struct fixture *fx = *state;

	load_bad(fx, fx->c->text);
	assert_one_error(fx, fx->c->line, fx->c->msg);
}

/* A config using every key reads back as written. */
static void
test_every_key(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	const struct source *src;
	char *want;

	cfg = load_ok(fx,
	    "[hookq]\n"
	    "database = /var/lib/hookq/queue.db\n"
	    "listen = /run/hookq/hookq.sock\n"
	    "threads = 8\n"
	    "busy_timeout = 5000\n"
	    "durability = normal\n"
	    "ack = receipt\n"
	    "max_body = 2M\n"
	    "[source gh]\n"
	    "scheme = github\n"
	    "secret_file = gh.secret\n"
	    "events = push pull_request\n"
	    "max_body = 64K\n"
	    "tolerance = 60\n");
	assert_string_equal(cfg->path, fx->conf);
	assert_string_equal(cfg->database, "/var/lib/hookq/queue.db");
	assert_string_equal(cfg->listen, "/run/hookq/hookq.sock");
	assert_int_equal(cfg->threads, 8);
	assert_int_equal(cfg->busy_timeout, 5000);
	assert_int_equal(cfg->durability, DURABILITY_NORMAL);
	assert_int_equal(cfg->ack, ACK_RECEIPT);
	assert_int_equal(cfg->max_body, 2 * 1024 * 1024);
	assert_int_equal(cfg->nsources, 1);
	src = &cfg->sources[0];
	assert_string_equal(src->name, "gh");
	assert_int_equal(src->line, 9);
	assert_string_equal(src->scheme_name, "github");
	assert_string_equal(src->scheme.name, "github");
	assert_string_equal(src->scheme.sig_header, "x-hub-signature-256");
	want = tu_path(fx->dir, "gh.secret");
	assert_string_equal(src->secret_file, want);
	free(want);
	assert_int_equal(src->nsecrets, 1);
	assert_int_equal(src->secrets[0].len, strlen("github-secret"));
	assert_memory_equal(src->secrets[0].key, "github-secret", strlen("github-secret"));
	assert_false(src->secrets[0].ed25519);
	assert_int_equal(src->nevents, 2);
	assert_string_equal(src->events[0], "push");
	assert_string_equal(src->events[1], "pull_request");
	assert_int_equal(src->max_body, 64 * 1024);
	assert_int_equal(src->tolerance, 60);
}

/* Keys left out take their documented defaults. */
static void
test_defaults(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg = load_ok(fx, BASE);
	const struct source *src = &cfg->sources[0];

	assert_null(cfg->listen);
	assert_int_equal(cfg->threads, 4);
	assert_int_equal(cfg->busy_timeout, 2000);
	assert_int_equal(cfg->durability, DURABILITY_FULL);
	assert_int_equal(cfg->ack, ACK_COMMIT);
	assert_int_equal(cfg->max_body, 1048576);
	assert_int_equal(src->max_body, 1048576);
	assert_int_equal(src->tolerance, 300);
	assert_null(src->events);
	assert_int_equal(src->nevents, 0);
	assert_null(cfg->metrics_path);
	assert_null(cfg->health_path);
	assert_null(cfg->listen_owner);
	assert_null(cfg->listen_group);
	assert_int_equal(cfg->listen_uid, -1);
	assert_int_equal(cfg->listen_gid, -1);
	assert_int_equal(cfg->listen_mode, 0660);
}

/*
 * listen_owner and listen_group take names (looked up) or numbers, as
 * chown(1) does; listen_mode is octal with or without a leading 0.
 */
static void
test_listen_keys(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;

	cfg = load_ok(fx, "[hookq]\ndatabase = q.db\nlisten = s.sock\nlisten_owner = root\n"
	    "listen_group = 0\nlisten_mode = 0600\n[source gh]\nscheme = github\n"
	    "secret_file = gh.secret\n");
	assert_string_equal(cfg->listen_owner, "root");
	assert_int_equal(cfg->listen_uid, 0);
	assert_string_equal(cfg->listen_group, "0");
	assert_int_equal(cfg->listen_gid, 0);
	assert_int_equal(cfg->listen_mode, 0600);
	cfg = load_ok(fx, "[hookq]\ndatabase = q.db\nlisten = s.sock\nlisten_owner = 4242\n"
	    "listen_mode = 660\n[source gh]\nscheme = github\nsecret_file = gh.secret\n");
	assert_int_equal(cfg->listen_uid, 4242);
	assert_int_equal(cfg->listen_gid, -1);
	assert_int_equal(cfg->listen_mode, 0660);
}

/* The Debian package's config has no source: the receiver starts and answers 404. */
static void
test_no_source(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg = load_ok(fx, "[hookq]\ndatabase = q.db\n");

	assert_int_equal(cfg->nsources, 0);
	assert_null(config_source(cfg, "github"));
}

/*
 * A scheme may set the default tolerance (mailgun: its 8-hour retry window
 * plus one), and notification_url and verify_token read back as written.
 */
static void
test_scheme_defaults_and_keys(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;

	cfg = load_ok(fx,
	    "[hookq]\ndatabase = q.db\n"
	    "[source mg]\nscheme = mailgun\nsecret_file = gh.secret\n"
	    "[source mg2]\nscheme = mailgun\nsecret_file = gh.secret\ntolerance = 60\n"
	    "[source sq]\nscheme = square\nsecret_file = gh.secret\n"
	    "notification_url = https://example.com/hooks/sq\n"
	    "[source fb]\nscheme = meta\nsecret_file = gh.secret\nverify_token = t0k3n\n"
	    "[source fb2]\nscheme = meta\nsecret_file = gh.secret\n");
	assert_int_equal(cfg->sources[0].tolerance, 9 * 3600);
	assert_int_equal(cfg->sources[1].tolerance, 60);
	assert_int_equal(cfg->sources[2].tolerance, 300);
	assert_string_equal(cfg->sources[2].notification_url, "https://example.com/hooks/sq");
	assert_null(cfg->sources[2].verify_token);
	assert_string_equal(cfg->sources[3].verify_token, "t0k3n");
	assert_null(cfg->sources[4].verify_token);
}

/* metrics_path and health_path read back as written: URL paths, not resolved like files. */
static void
test_metrics_keys(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;

	cfg = load_ok(fx,
	    "[hookq]\n"
	    "database = q.db\n"
	    "metrics_path = /hookq/metrics   ; a comment\n"
	    "health_path = /-/healthy_1.0~x\n"
	    "[source gh]\n"
	    "scheme = github\n"
	    "secret_file = gh.secret\n");
	assert_string_equal(cfg->metrics_path, "/hookq/metrics");
	assert_string_equal(cfg->health_path, "/-/healthy_1.0~x");
	config_free(fx->cfg);
	fx->cfg = NULL;

	/* Either one alone. */
	cfg = load_ok(fx, "[hookq]\ndatabase = q.db\nhealth_path = /\n"
	    "[source gh]\nscheme = github\nsecret_file = gh.secret\n");
	assert_null(cfg->metrics_path);
	assert_string_equal(cfg->health_path, "/");
}

/* base_url: http or https, host (a name, an IPv4 or a bracketed IPv6) and port; a trailing '/' dropped. */
static void
test_base_url(void **state)
{
	static const char *const good[][2] = {
		{ "https://hooks.example.com", "https://hooks.example.com" },
		{ "http://127.0.0.1:8080", "http://127.0.0.1:8080" },
		{ "https://hooks.example.com/", "https://hooks.example.com" },
		{ "http://[::1]:9000", "http://[::1]:9000" },
		{ "https://a-b.example:65535", "https://a-b.example:65535" },
	};
	struct fixture *fx = *state;
	char text[512];
	size_t i;

	for (i = 0; i < nitems_(good); i++) {
		snprintf(text, sizeof(text), HOOKQ_WITH("base_url = %s"), good[i][0]);
		load_ok(fx, text);
		assert_string_equal(fx->cfg->base_url, good[i][1]);
	}
	load_ok(fx, HOOKQ_WITH(""));
	assert_null(fx->cfg->base_url);
}

/* A source without max_body takes [hookq]'s, even when [hookq] comes after it. */
static void
test_max_body_inherited(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;

	cfg = load_ok(fx,
	    "[source gh]\n"
	    "scheme = github\n"
	    "secret_file = gh.secret\n"
	    "[source small]\n"
	    "scheme = github\n"
	    "secret_file = gh.secret\n"
	    "max_body = 10K\n"
	    "[hookq]\n"
	    "database = q.db\n"
	    "max_body = 5M\n");
	assert_int_equal(cfg->max_body, 5 * 1024 * 1024);
	assert_int_equal(config_source(cfg, "gh")->max_body, 5 * 1024 * 1024);
	assert_int_equal(config_source(cfg, "small")->max_body, 10 * 1024);
}

/* Sizes are bytes with an optional K or M (either case), powers of 1024. */
static void
test_sizes(void **state)
{
	static const struct {
		const char *text;
		size_t bytes;
	} cases[] = {
		{ "512", 512 },
		{ "1", 1 },
		{ "64K", 64 * 1024 },
		{ "64k", 64 * 1024 },
		{ "1M", 1024 * 1024 },
		{ "1m", 1024 * 1024 },
		{ "64M", 64 * 1024 * 1024 },
	};
	struct fixture *fx = *state;
	char text[512];
	size_t i;

	for (i = 0; i < nitems_(cases); i++) {
		snprintf(text, sizeof(text), "[hookq]\ndatabase = q.db\nmax_body = %s\n"
		    "[source gh]\nscheme = github\nsecret_file = gh.secret\nmax_body = %s\n",
		    cases[i].text, cases[i].text);
		load_ok(fx, text);
		if (fx->cfg->max_body != cases[i].bytes || fx->cfg->sources[0].max_body != cases[i].bytes)
			fail_msg("max_body = %s read as %zu and %zu, not %zu", cases[i].text,
			    fx->cfg->max_body, fx->cfg->sources[0].max_body, cases[i].bytes);
	}
}

/* "key = value ; comment" keeps only the value; '#' and ';' lines are comments. */
/*
 * database = a postgresql:// or postgres:// URL is taken as it is (not a
 * path under the config's folder), with password_file resolved as a path;
 * a URL with a password is refused, and the message does not repeat it.
 */
static void
test_database_url(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	const char *why;

	cfg = load_ok(fx, "[hookq]\ndatabase = postgresql://hookq@db.internal/hookq?sslmode=require\n"
	    "password_file = pgpass\n[source gh]\nscheme = github\nsecret_file = gh.secret\n");
	assert_string_equal(cfg->database, "postgresql://hookq@db.internal/hookq?sslmode=require");
	assert_non_null(strstr(cfg->password_file, "/pgpass"));
	assert_int_equal(cfg->password_file[0], '/');
	cfg = load_ok(fx, "[hookq]\ndatabase = postgres:///hookq?host=/run/postgresql\n"
	    "[source gh]\nscheme = github\nsecret_file = gh.secret\n");
	assert_string_equal(cfg->database, "postgres:///hookq?host=/run/postgresql");
	assert_null(cfg->password_file);
	why = load_bad(fx, "[hookq]\ndatabase = postgresql://hookq:Sup3rS3cret@db/hookq\n"
	    "[source gh]\nscheme = github\nsecret_file = gh.secret\n");
	assert_non_null(strstr(why, ":2: database: a password in the URL"));
	assert_null(strstr(why, "Sup3rS3cret"));
	why = load_bad(fx, "[hookq]\ndatabase = postgresql://db/hookq?password=Sup3rS3cret\n"
	    "[source gh]\nscheme = github\nsecret_file = gh.secret\n");
	assert_null(strstr(why, "Sup3rS3cret"));
	why = load_bad(fx, "[hookq]\ndatabase = postgresql://db/hookq?nosuchoption=1\n"
	    "[source gh]\nscheme = github\nsecret_file = gh.secret\n");
	assert_non_null(strstr(why, "not a PostgreSQL URL"));
}

static void
test_comments(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;

	cfg = load_ok(fx,
	    "; hookq.conf\n"
	    "# another comment\n"
	    "[hookq] ; the process\n"
	    "database = q.db ; the queue\n"
	    "   ; indented comment\n"
	    "\t# indented hash comment\n"
	    "threads = 3 ; three\n"
	    "durability = normal   ; fsync at checkpoints\n"
	    "\n"
	    "[source gh] ; github\n"
	    "scheme = github ; built in\n"
	    ";scheme = stripe\n"
	    "#tolerance = 5\n"
	    "secret_file = gh.secret ; one line\n"
	    "events = push ; nothing else\n");
	assert_non_null(strstr(cfg->database, "/q.db"));
	assert_null(strchr(cfg->database, ';'));
	assert_int_equal(cfg->threads, 3);
	assert_int_equal(cfg->durability, DURABILITY_NORMAL);
	assert_string_equal(cfg->sources[0].scheme_name, "github");
	assert_int_equal(cfg->sources[0].tolerance, 300);
	assert_int_equal(cfg->sources[0].nevents, 1);
	assert_string_equal(cfg->sources[0].events[0], "push");
}

/* CRLF line endings are read like LF, and line numbers still count right. */
static void
test_crlf(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;

	cfg = load_ok(fx,
	    "[hookq]\r\n"
	    "database = q.db\r\n"
	    "threads = 7\r\n"
	    "durability = normal\r\n"
	    "[source gh]\r\n"
	    "scheme = github\r\n"
	    "secret_file = gh.secret\r\n"
	    "events = push\r\n");
	assert_int_equal(cfg->threads, 7);
	assert_int_equal(cfg->durability, DURABILITY_NORMAL);
	assert_string_equal(cfg->sources[0].events[0], "push");
	assert_int_equal(cfg->sources[0].line, 5);
	assert_int_equal(cfg->sources[0].nsecrets, 1);

	load_bad(fx, "[hookq]\r\ndatabase = q.db\r\nthreads = x\r\n[source gh]\r\n"
	    "scheme = github\r\nsecret_file = gh.secret\r\n");
	assert_one_error(fx, 3, "threads: 'x'");
}

/* A UTF-8 byte order mark before the first line is skipped. */
static void
test_bom(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;

	cfg = load_ok(fx, "\xef\xbb\xbf" BASE);
	assert_int_equal(cfg->nsources, 1);
	cfg = load_ok(fx, "\xef\xbb\xbf; comment first\n" BASE);
	assert_int_equal(cfg->sources[0].line, 4);
}

/* Lines longer than inih's 200-byte default (60 event types) are read whole. */
static void
test_long_line(void **state)
{
	struct fixture *fx = *state;
	char text[4096], want[32];
	int i, off;

	off = snprintf(text, sizeof(text), BASE "events =");
	for (i = 0; i < 60; i++)
		off += snprintf(text + off, sizeof(text) - (size_t)off, " event_type_%02d", i);
	snprintf(text + off, sizeof(text) - (size_t)off, "\ntolerance = 42\n");
	assert_true(strlen("events =") + 60 * 14 > 200);
	load_ok(fx, text);
	assert_int_equal(fx->cfg->sources[0].nevents, 60);
	for (i = 0; i < 60; i++) {
		snprintf(want, sizeof(want), "event_type_%02d", i);
		assert_string_equal(fx->cfg->sources[0].events[i], want);
	}
	assert_int_equal(fx->cfg->sources[0].tolerance, 42);
}

/* A line over 4093 bytes is refused at its line, and the lines after it still count. */
static void
test_overlong_line(void **state)
{
	struct fixture *fx = *state;
	size_t n = strlen(BASE) + 5000 + 64;
	char *text = malloc(n);
	int off;

	assert_non_null(text);
	off = snprintf(text, n, BASE "events = ");
	memset(text + off, 'e', 5000);
	snprintf(text + off + 5000, n - (size_t)off - 5000, "\ntolerance = 0\n");
	load_bad(fx, text);
	free(text);
	if (count_lines(fx->cause) != 2 || !has_error(fx, 6, "line longer than 4093 bytes") ||
	    !has_error(fx, 7, "tolerance: '0'"))
		fail_msg("expected errors at lines 6 and 7, got:\n%s", fx->cause);
}

/* An indented line is a key of its own, not a continuation of the one above. */
static void
test_indented_key(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;

	cfg = load_ok(fx, "[hookq]\ndatabase = q.db\n  threads = 2\n[source gh]\n"
	    "scheme = github\n\tsecret_file = gh.secret\n");
	assert_int_equal(cfg->threads, 2);
	assert_non_null(strstr(cfg->database, "/q.db"));
	assert_null(strchr(cfg->database, '\n'));
}

/* config_source finds sources by name; other names give NULL. */
static void
test_config_source(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;

	cfg = load_ok(fx, BASE
	    "[source Other_2-x]\n"
	    "scheme = stripe\n"
	    "secret_file = gh.secret\n");
	assert_int_equal(cfg->nsources, 2);
	assert_ptr_equal(config_source(cfg, "gh"), &cfg->sources[0]);
	assert_ptr_equal(config_source(cfg, "Other_2-x"), &cfg->sources[1]);
	assert_string_equal(config_source(cfg, "Other_2-x")->scheme.name, "stripe");
	assert_null(config_source(cfg, "other_2-x"));
	assert_null(config_source(cfg, "g"));
	assert_null(config_source(cfg, ""));
}

/* Without a list every type (and no type) is allowed; with one, only listed types. */
static void
test_type_allowed(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	const struct source *all, *some;

	cfg = load_ok(fx, BASE
	    "[source some]\n"
	    "scheme = github\n"
	    "secret_file = gh.secret\n"
	    "events = push,release\t ping ,, \tissues\n");
	all = config_source(cfg, "gh");
	some = config_source(cfg, "some");
	assert_true(config_type_allowed(all, "push"));
	assert_true(config_type_allowed(all, "anything"));
	assert_true(config_type_allowed(all, NULL));

	assert_int_equal(some->nevents, 4);
	assert_string_equal(some->events[0], "push");
	assert_string_equal(some->events[1], "release");
	assert_string_equal(some->events[2], "ping");
	assert_string_equal(some->events[3], "issues");
	assert_true(config_type_allowed(some, "push"));
	assert_true(config_type_allowed(some, "release"));
	assert_true(config_type_allowed(some, "ping"));
	assert_true(config_type_allowed(some, "issues"));
	assert_false(config_type_allowed(some, NULL));
	assert_false(config_type_allowed(some, "pull_request"));
	assert_false(config_type_allowed(some, "Push"));
	assert_false(config_type_allowed(some, "pus"));
	assert_false(config_type_allowed(some, "push,release"));
	assert_false(config_type_allowed(some, ""));
}

/* Relative database, listen and secret_file paths are taken from the config's folder. */
static void
test_relative_paths(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	const char *text;
	char *want, *sub, *conf;

	cfg = load_ok(fx,
	    "[hookq]\n"
	    "database = data/q.db\n"
	    "listen = hookq.sock\n"
	    "[source gh]\n"
	    "scheme = github\n"
	    "secret_file = gh.secret\n");
	want = tu_path(fx->dir, "data/q.db");
	assert_string_equal(cfg->database, want);
	free(want);
	want = tu_path(fx->dir, "hookq.sock");
	assert_string_equal(cfg->listen, want);
	free(want);
	want = tu_path(fx->dir, "gh.secret");
	assert_string_equal(cfg->sources[0].secret_file, want);
	free(want);

	/* A config in a subfolder reads its secret from ../, relative to itself. */
	sub = tu_path(fx->dir, "etc");
	assert_int_equal(mkdir(sub, 0700), 0);
	conf = tu_path(sub, "hookq.conf");
	text = "[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\nsecret_file = ../gh.secret\n";
	tu_write_file(conf, text, strlen(text), 0600);
	config_free(fx->cfg);
	fx->cfg = config_load(conf, &fx->cause);
	if (fx->cfg == NULL)
		fail_msg("config refused:\n%s", fx->cause);
	want = tu_path(sub, "q.db");
	assert_string_equal(fx->cfg->database, want);
	free(want);
	want = tu_path(sub, "../gh.secret");
	assert_string_equal(fx->cfg->sources[0].secret_file, want);
	free(want);
	assert_int_equal(fx->cfg->sources[0].nsecrets, 1);
	free(conf);
	free(sub);
}

/* A config named without a folder resolves its relative paths against ".". */
static void
test_relative_config_path(void **state)
{
	struct fixture *fx = *state;

	fx->cwd = getcwd(NULL, 0);
	assert_non_null(fx->cwd);
	write_in(fx, "hookq.conf", BASE);
	assert_int_equal(chdir(fx->dir), 0);
	fx->cfg = config_load("hookq.conf", &fx->cause);
	if (fx->cfg == NULL)
		fail_msg("config refused:\n%s", fx->cause);
	assert_string_equal(fx->cfg->database, "./q.db");
	assert_string_equal(fx->cfg->sources[0].secret_file, "./gh.secret");
	assert_int_equal(fx->cfg->sources[0].nsecrets, 1);
}

/* A source name of 64 characters is accepted (65 is not: see the error cases). */
static void
test_source_name_64(void **state)
{
	struct fixture *fx = *state;
	char name[65], text[512];

	memset(name, 'n', 64);
	name[64] = '\0';
	snprintf(text, sizeof(text), "[hookq]\ndatabase = q.db\n[source %s]\nscheme = github\n"
	    "secret_file = gh.secret\n", name);
	load_ok(fx, text);
	assert_string_equal(fx->cfg->sources[0].name, name);
}

/* A missing config file is refused with "FILE: No such file or directory". */
static void
test_missing_file(void **state)
{
	struct fixture *fx = *state;
	char *want;

	fx->cfg = config_load(fx->conf, &fx->cause);
	assert_null(fx->cfg);
	assert_non_null(fx->cause);
	want = malloc(strlen(fx->conf) + 64);
	assert_non_null(want);
	sprintf(want, "%s: No such file or directory\n", fx->conf);
	assert_string_equal(fx->cause, want);
	free(want);
}

/* A secret_file that does not exist is named, with the system's reason. */
static void
test_secret_missing(void **state)
{
	struct fixture *fx = *state;
	char *path, msg[4200];

	path = tu_path(fx->dir, "nope.secret");
	load_bad(fx, "[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\n"
	    "secret_file = nope.secret\n");
	snprintf(msg, sizeof(msg), "secret_file %s: No such file", path);
	assert_one_error(fx, 5, msg);
	free(path);
}

/*
 * CONFIG_NO_SECRETS: a missing secret file is not opened, so not an error,
 * and no secret is loaded; every other key is still checked.
 */
static void
test_no_secrets(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\n"
	    "secret_file = nope.secret\n[source ok]\nscheme = stripe\nsecret_file = gh.secret\n";

	write_in(fx, "hookq.conf", text);
	fx->cfg = config_load_opt(fx->conf, CONFIG_NO_SECRETS, &fx->cause);
	if (fx->cfg == NULL)
		fail_msg("config refused:\n%s", fx->cause);
	assert_int_equal(fx->cfg->nsources, 2);
	assert_int_equal(fx->cfg->sources[0].nsecrets, 0);
	assert_int_equal(fx->cfg->sources[1].nsecrets, 0);
	assert_non_null(strstr(fx->cfg->sources[0].secret_file, "nope.secret"));
	/* Bad keys are still refused, and without the flag the missing file is. */
	write_in(fx, "hookq.conf", "[hookq]\ndatabase = q.db\nthreads = 0\n[source gh]\n"
	    "scheme = github\nsecret_file = nope.secret\n");
	config_free(fx->cfg);
	fx->cfg = config_load_opt(fx->conf, CONFIG_NO_SECRETS, &fx->cause);
	assert_null(fx->cfg);
	assert_non_null(strstr(fx->cause, "threads"));
	assert_null(strstr(fx->cause, "nope.secret"));
	load_bad(fx, text);
	assert_non_null(strstr(fx->cause, "nope.secret: No such file"));
}

/* Secret files: blank lines skipped, CR LF stripped, each line a secret (rotation). */
static void
test_secrets_rotation(void **state)
{
	struct fixture *fx = *state;
	const struct source *src;

	write_in(fx, "two.secret", "\r\nold-secret\r\n\r\n\nnew-secret");
	load_ok(fx, "[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\n"
	    "secret_file = two.secret\n");
	src = &fx->cfg->sources[0];
	assert_int_equal(src->nsecrets, 2);
	assert_int_equal(src->secrets[0].len, 10);
	assert_memory_equal(src->secrets[0].key, "old-secret", 10);
	assert_int_equal(src->secrets[1].len, 10);
	assert_memory_equal(src->secrets[1].key, "new-secret", 10);

	/* Exactly SCHEME_MAX_SECRETS is fine. */
	write_in(fx, "16.secret", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n");
	load_ok(fx, "[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\n"
	    "secret_file = 16.secret\n");
	assert_int_equal(fx->cfg->sources[0].nsecrets, 16);
}

/*
 * The largest secret file, 16 secrets of the longest length with CR LF,
 * loads (read(2) into one buffer, no stdio); one byte more is refused.
 */
static void
test_secret_file_size(void **state)
{
	struct fixture *fx = *state;
	size_t line = SCHEME_SECRET_MAX + 2, size = SCHEME_MAX_SECRETS * line, i;
	char *text = malloc(size + 1), *path, msg[4200];

	assert_non_null(text);
	memset(text, 'k', size + 1);
	for (i = 0; i < SCHEME_MAX_SECRETS; i++)
		memcpy(text + i * line + SCHEME_SECRET_MAX, "\r\n", 2);
	path = tu_path(fx->dir, "big.secret");
	tu_write_file(path, text, size, 0600);
	load_ok(fx, "[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\n"
	    "secret_file = big.secret\n");
	assert_int_equal(fx->cfg->sources[0].nsecrets, SCHEME_MAX_SECRETS);
	assert_int_equal(fx->cfg->sources[0].secrets[15].len, SCHEME_SECRET_MAX);

	tu_write_file(path, text, size + 1, 0600);
	load_bad(fx, "[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\n"
	    "secret_file = big.secret\n");
	snprintf(msg, sizeof(msg), "secret_file %s: longer than %zu bytes", path, size);
	assert_one_error(fx, 5, msg);
	free(path);
	free(text);
}

/* A whsec_ secret decodes from base64; whpk_ is an Ed25519 public key. */
static void
test_secret_whsec(void **state)
{
	struct fixture *fx = *state;
	const struct source *src;

	/* "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" is the Standard Webhooks example key. */
	write_in(fx, "sw.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
	    "whpk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
	load_ok(fx, "[hookq]\ndatabase = q.db\n[source sw]\nscheme = standard-webhooks\n"
	    "secret_file = sw.secret\n");
	src = &fx->cfg->sources[0];
	assert_int_equal(src->nsecrets, 2);
	assert_false(src->secrets[0].ed25519);
	assert_int_equal(src->secrets[0].len, 24);
	assert_memory_equal(src->secrets[0].key, "\x31\xf2\x90\xf6\xbf\x06\x29\x8a\xab\x4f\x08\xd4"
	    "\x3c\x3f\x08\x2c\xf6\x48\xa3\x62\xda\x2d\xa4\xb0", 24);
	assert_true(src->secrets[1].ed25519);
	assert_int_equal(src->secrets[1].len, 32);
	assert_int_equal(src->secrets[1].key[0], 0);
	assert_int_equal(src->secrets[1].key[31], 31);
}

/* A bad whsec_ secret names the file and its line, never the secret itself. */
static void
test_secret_whsec_bad(void **state)
{
	struct fixture *fx = *state;
	char *path, msg[4200];

	write_in(fx, "sw.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n\nwhsec_%%not*base64!SECRETTEXT\n");
	path = tu_path(fx->dir, "sw.secret");
	load_bad(fx, "[hookq]\ndatabase = q.db\n[source sw]\nscheme = standard-webhooks\n"
	    "secret_file = sw.secret\n");
	snprintf(msg, sizeof(msg), "secret_file %s, line 3:", path);
	assert_one_error(fx, 5, msg);
	assert_null(strstr(fx->cause, "SECRETTEXT"));
	assert_null(strstr(fx->cause, "not*base64"));
	assert_null(strstr(fx->cause, "MfKQ9r8G"));
	free(path);
}

/* scheme generic is built from its keys; header names are lower-cased. */
static void
test_generic(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	const struct scheme *s;

	cfg = load_ok(fx,
	    "[hookq]\n"
	    "database = q.db\n"
	    "[source acme]\n"
	    "scheme = generic\n"
	    "secret_file = gh.secret\n"
	    "signature_header = X-Foo-Sig\n"
	    "signature_prefix = sha512=\n"
	    "encoding = base64\n"
	    "algorithm = hmac-sha512\n"
	    "id_header = X-Foo-Delivery\n"
	    "type_json = data.Kind\n"
	    "[source plain]\n"
	    "scheme = generic\n"
	    "secret_file = gh.secret\n"
	    "signature_header = Signature\n"
	    "[source other]\n"
	    "scheme = generic\n"
	    "secret_file = gh.secret\n"
	    "signature_header = sig\n"
	    "id_json = data.object.id\n"
	    "type_header = X-Event-TYPE\n");
	s = &config_source(cfg, "acme")->scheme;
	assert_string_equal(s->name, "generic");
	assert_string_equal(s->sig_header, "x-foo-sig");
	assert_string_equal(s->sigs[0].prefix, "sha512=");
	assert_int_equal(s->sigs[0].encoding, SCHEME_BASE64);
	assert_int_equal(s->sigs[0].alg, SCHEME_HMAC_SHA512);
	assert_null(s->sigs[1].prefix);
	assert_string_equal(s->signed_content, "%b");
	assert_int_equal(s->key_format, SCHEME_KEY_RAW);
	assert_int_equal(s->id[0].from, FIELD_FROM_HEADER);
	assert_string_equal(s->id[0].name, "x-foo-delivery");
	assert_int_equal(s->type[0].from, FIELD_FROM_JSON);
	assert_string_equal(s->type[0].name, "data.Kind");
	assert_int_equal(s->type[0].from, FIELD_FROM_JSON);

	s = &config_source(cfg, "plain")->scheme;
	assert_string_equal(s->sig_header, "signature");
	assert_string_equal(s->sigs[0].prefix, "");
	assert_int_equal(s->sigs[0].encoding, SCHEME_HEX);
	assert_int_equal(s->sigs[0].alg, SCHEME_HMAC_SHA256);
	assert_int_equal(s->id[0].from, FIELD_FROM_NONE);
	assert_int_equal(s->type[0].from, FIELD_FROM_NONE);
	assert_null(s->ts_header);
	assert_null(s->ts_item);
	assert_int_equal(s->id[0].from, FIELD_FROM_NONE);
	assert_int_equal(config_source(cfg, "plain")->nsecrets, 1);

	s = &config_source(cfg, "other")->scheme;
	assert_int_equal(s->id[0].from, FIELD_FROM_JSON);
	assert_string_equal(s->id[0].name, "data.object.id");
	assert_int_equal(s->type[0].from, FIELD_FROM_HEADER);
	assert_string_equal(s->type[0].name, "x-event-type");
}

/* generic with algorithm ed25519 takes a 64-hex-digit public key as its secret. */
static void
test_generic_ed25519(void **state)
{
	struct fixture *fx = *state;
	const struct source *src;
	unsigned char want[32];

	write_in(fx, "ed.secret",
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\n");
	load_ok(fx, "[hookq]\ndatabase = q.db\n[source ed]\nscheme = generic\n"
	    "secret_file = ed.secret\nsignature_header = X-Signature-Ed25519\n"
	    "algorithm = ed25519\nencoding = hex\n");
	src = &fx->cfg->sources[0];
	assert_int_equal(src->scheme.sigs[0].alg, SCHEME_ED25519);
	assert_int_equal(src->scheme.key_format, SCHEME_KEY_ED25519);
	assert_int_equal(src->nsecrets, 1);
	assert_true(src->secrets[0].ed25519);
	assert_int_equal(src->secrets[0].len, 32);
	tu_unhex(want, sizeof(want), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	assert_memory_equal(src->secrets[0].key, want, 32);

	/* 63 digits are no key. */
	write_in(fx, "ed.secret",
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511\n");
	load_bad(fx, "[hookq]\ndatabase = q.db\n[source ed]\nscheme = generic\n"
	    "secret_file = ed.secret\nsignature_header = X-Signature-Ed25519\n"
	    "algorithm = ed25519\n");
	assert_one_error(fx, 5, "line 1: Ed25519 public key");
}

/* Several problems in one file are all reported, each at its own line. */
static void
test_many_errors(void **state)
{
	struct fixture *fx = *state;

	load_bad(fx,
	    "stray = 1\n"                   /* 1 */
	    "[hookq]\n"                     /* 2 */
	    "threads = 0\n"                 /* 3 */
	    "durability = fast\n"           /* 4 */
	    "colour = red\n"                /* 5 */
	    "[source gh]\n"                 /* 6 */
	    "scheme = github\n"             /* 7 */
	    "secret_file = gh.secret\n"     /* 8 */
	    "id_json = id\n"                /* 9 */
	    "tolerance = 0\n"               /* 10 */
	    "[source gh]\n"                 /* 11 */
	    "[source x/y]\n"                /* 12 */
	    "[source ok]\n"                 /* 13 */
	    "scheme = nope\n"               /* 14 */
	    "secret_file = gh.secret\n");   /* 15 */
	if (count_lines(fx->cause) != 10)
		fail_msg("expected 10 errors, got:\n%s", fx->cause);
	assert_true(has_error(fx, 1, "outside"));
	assert_true(has_error(fx, 3, "threads"));
	assert_true(has_error(fx, 4, "durability"));
	assert_true(has_error(fx, 5, "colour"));
	assert_true(has_error(fx, 9, "id_json"));
	assert_true(has_error(fx, 10, "tolerance"));
	assert_true(has_error(fx, 11, "defined twice"));
	assert_true(has_error(fx, 12, "bad source name"));
	assert_true(has_error(fx, 14, "unknown scheme"));
	assert_true(has_error(fx, 0, "has no database"));
}

/* An empty secret file is reported even when the file has other problems too. */
static void
test_many_errors_empty_secret(void **state)
{
	struct fixture *fx = *state;

	load_bad(fx,
	    "[hookq]\n"
	    "database = q.db\n"
	    "threads = 0\n"
	    "[source gh]\n"
	    "scheme = github\n"
	    "secret_file = empty.secret\n");
	if (count_lines(fx->cause) != 2 || !has_error(fx, 3, "threads") ||
	    !has_error(fx, 6, "no secret"))
		fail_msg("expected errors at lines 3 (threads) and 6 (no secret), got:\n%s", fx->cause);
}

/* A K size that overflows a long long is refused, not wrapped into range. */
static void
test_size_overflow(void **state)
{
	struct fixture *fx = *state;
	int status;
	pid_t pid;

	/* (2^54 + 1) * 1024 is 2^64 + 1024: 1024 once wrapped. */
	write_in(fx, "hookq.conf", "[hookq]\ndatabase = q.db\nmax_body = 18014398509481985K\n"
	    "[source gh]\nscheme = github\nsecret_file = gh.secret\n");
	/* In a child: under UBSan the overflow ends the process. */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *cause = NULL;
		struct config *cfg = config_load(fx->conf, &cause);
		int refused = cfg == NULL && cause != NULL && strstr(cause, ":3: max_body") != NULL;

		if (cfg != NULL)
			fprintf(stderr, "max_body = 18014398509481985K loaded as %zu\n", cfg->max_body);
		config_free(cfg);
		free(cause);
		_exit(refused ? 0 : 3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("max_body = 18014398509481985K not refused (child status %d%s)", status,
		    WIFEXITED(status) && WEXITSTATUS(status) == 3 ? ": loaded" :
		    ": crashed, see the sanitizer report");
}

/* config_free(NULL) does nothing. */
static void
test_free_null(void **state)
{
	config_free(NULL);
}


/* The worker's keys read back; durations take ms, s, m, h and d, a bare number is seconds. */
static void
test_worker_keys(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	const struct source *src;
	char *want;

	cfg = load_ok(fx,
	    "[hookq]\n"
	    "database = q.db\n"
	    "concurrency = 8\n"
	    "lease = 2m\n"
	    "retain_done = 7d\n"
	    "stop_grace = 1500ms\n"
	    "[source gh]\n"
	    "scheme = github\n"
	    "secret_file = gh.secret\n"
	    "handler = bin/handle  --flag\tvalue \n"
	    "handler_timeout = 45\n"
	    "max_attempts = 3\n"
	    "backoff_base = 250ms\n"
	    "backoff_max = 2h\n"
	    "[source path]\n"
	    "scheme = github\n"
	    "secret_file = gh.secret\n"
	    "handler = logger -t hookq\n");
	assert_int_equal(cfg->concurrency, 8);
	assert_int_equal(cfg->lease, 120000);
	assert_int_equal(cfg->retain_done, 7LL * 86400 * 1000);
	assert_int_equal(cfg->stop_grace, 1500);
	src = config_source(cfg, "gh");
	want = tu_path(fx->dir, "bin/handle");
	assert_string_equal(src->handler_argv[0], want);
	free(want);
	assert_string_equal(src->handler_argv[1], "--flag");
	assert_string_equal(src->handler_argv[2], "value");
	assert_null(src->handler_argv[3]);
	assert_int_equal(src->handler_timeout, 45000);
	assert_int_equal(src->max_attempts, 3);
	assert_int_equal(src->backoff_base, 250);
	assert_int_equal(src->backoff_max, 2LL * 3600 * 1000);
	/* A bare program name stays bare: it is looked up in PATH when it runs. */
	src = config_source(cfg, "path");
	assert_string_equal(src->handler_argv[0], "logger");
	assert_string_equal(src->handler_argv[2], "hookq");
	assert_null(src->handler_argv[3]);
}

/* Worker keys left out: the defaults; the lease is the longest handler_timeout + 30 s. */
static void
test_worker_defaults(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	const struct source *src;

	cfg = load_ok(fx, BASE);
	src = &cfg->sources[0];
	assert_null(src->handler_argv);
	assert_int_equal(src->handler_timeout, 30000);
	assert_int_equal(src->max_attempts, 10);
	assert_int_equal(src->backoff_base, 10000);
	assert_int_equal(src->backoff_max, 3600000);
	assert_int_equal(cfg->concurrency, 4);
	assert_int_equal(cfg->lease, 60000);
	assert_int_equal(cfg->retain_done, 0);
	assert_int_equal(cfg->stop_grace, 30000);
	config_free(fx->cfg);
	fx->cfg = NULL;

	cfg = load_ok(fx, BASE "handler = /bin/true\nhandler_timeout = 5m\n"
	    "[source b]\nscheme = github\nsecret_file = gh.secret\nhandler = /bin/true\n");
	assert_int_equal(cfg->lease, 330000);
}

/*
 * dedup reads back; dedup_window is a duration, a day by default, and
 * retain_done may equal it (0 keeps done rows: no bound at all).
 */
static void
test_dedup_keys(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;

	cfg = load_ok(fx, BASE);
	assert_int_equal(cfg->sources[0].dedup, DEDUP_ID);
	assert_int_equal(cfg->sources[0].dedup_window, 0);
	cfg = load_ok(fx, BASE "dedup = id\n"
	    "[source a]\nscheme = github\nsecret_file = gh.secret\ndedup = body\n"
	    "[source b]\nscheme = shopify\nsecret_file = gh.secret\ndedup = body\n"
	    "dedup_window = 1s\n"
	    "[source c]\nscheme = gitlab\nsecret_file = gh.secret\ndedup = body\n"
	    "dedup_window = 36h\n");
	assert_int_equal(config_source(cfg, "gh")->dedup, DEDUP_ID);
	assert_int_equal(config_source(cfg, "a")->dedup, DEDUP_BODY);
	assert_int_equal(config_source(cfg, "a")->dedup_window, 86400000);
	assert_int_equal(config_source(cfg, "b")->dedup_window, 1000);
	assert_int_equal(config_source(cfg, "c")->dedup_window, 36LL * 3600 * 1000);
	cfg = load_ok(fx, "[hookq]\ndatabase = q.db\nretain_done = 1d\n"
	    "[source gh]\nscheme = github\nsecret_file = gh.secret\ndedup = body\n");
	assert_int_equal(cfg->sources[0].dedup_window, cfg->retain_done);
}

/* A [route] with every key reads back: matches of every kind, rate, order, worker keys. */
static void
test_route_every_key(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	const struct route *r;
	char *want;

	cfg = load_ok(fx,
	    "[hookq]\n"
	    "database = q.db\n"
	    "[route deploy]\n"                                  /* 3 */
	    "source = gh\n"
	    "events = push, release\n"
	    "match = repository.full_name = acme/api\n"         /* 6 */
	    "match = ref=\"refs/heads/ma\\u00efn \\\"x\\\"\\t\\ud83d\\ude00\"\n"
	    "match = size = 42\n"
	    "match = delta=-1.5e3\n"
	    "match = a.b=true\n"                                /* 10 */
	    "match = a.c=false\n"
	    "match = a.d = null\n"
	    "match = e=\"\"\n"
	    "match = f=\"unterminated\n"
	    "handler = bin/deploy --env prod\n"                 /* 15 */
	    "concurrency = 2\n"
	    "rate = 30/m\n"
	    "order = repository.id\n"
	    "handler_timeout = 2m\n"
	    "max_attempts = 5\n"                                /* 20 */
	    "backoff_base = 2s\n"
	    "backoff_max = 10m\n"
	    "[source gh]\n"
	    "scheme = github\n"
	    "secret_file = gh.secret\n"
	    "events = push release ping\n"
	    "[route slow]\n"
	    "source = gh\n"
	    "handler = /bin/true\n"
	    "rate = 1/s\n"
	    "order = header:X-GitHub-Hook-ID\n"
	    "[route hourly]\n"
	    "source = gh\n"
	    "handler = /bin/true\n"
	    "rate = 1000000/h\n");
	assert_int_equal(cfg->nroutes, 3);
	r = config_route(cfg, "deploy");
	assert_ptr_equal(r, &cfg->routes[0]);
	assert_string_equal(r->name, "deploy");
	assert_string_equal(r->source, "gh");
	assert_false(r->implicit);
	assert_int_equal(r->line, 3);
	assert_int_equal(r->nevents, 2);
	assert_string_equal(r->events[0], "push");
	assert_string_equal(r->events[1], "release");
	assert_int_equal(r->nmatch, 9);
	assert_string_equal(r->match[0].path, "repository.full_name");
	assert_int_equal(r->match[0].kind, MATCH_STRING);
	assert_string_equal(r->match[0].value, "acme/api");
	assert_int_equal(r->match[0].line, 6);
	assert_string_equal(r->match[1].path, "ref");
	assert_int_equal(r->match[1].kind, MATCH_STRING);
	assert_string_equal(r->match[1].value, "refs/heads/ma\xc3\xafn \"x\"\t\xf0\x9f\x98\x80");
	assert_int_equal(r->match[2].kind, MATCH_NUMBER);
	assert_string_equal(r->match[2].path, "size");
	assert_string_equal(r->match[2].value, "42");
	assert_true(r->match[2].number == 42.0);
	assert_int_equal(r->match[3].kind, MATCH_NUMBER);
	assert_string_equal(r->match[3].value, "-1.5e3");
	assert_true(r->match[3].number == -1500.0);
	assert_string_equal(r->match[4].path, "a.b");
	assert_int_equal(r->match[4].kind, MATCH_TRUE);
	assert_int_equal(r->match[5].kind, MATCH_FALSE);
	assert_string_equal(r->match[6].path, "a.d");
	assert_int_equal(r->match[6].kind, MATCH_NULL);
	assert_int_equal(r->match[7].kind, MATCH_STRING);
	assert_string_equal(r->match[7].value, "");
	/* Not a JSON string: a bare one, as written. */
	assert_int_equal(r->match[8].kind, MATCH_STRING);
	assert_string_equal(r->match[8].value, "\"unterminated");
	assert_int_equal(r->match[8].line, 14);
	want = tu_path(fx->dir, "bin/deploy");
	assert_string_equal(r->handler_argv[0], want);
	free(want);
	assert_string_equal(r->handler_argv[1], "--env");
	assert_string_equal(r->handler_argv[2], "prod");
	assert_null(r->handler_argv[3]);
	assert_int_equal(r->concurrency, 2);
	assert_int_equal(r->rate, 30);
	assert_int_equal(r->rate_period, 60000);
	assert_string_equal(r->order, "repository.id");
	assert_null(r->order_header);
	assert_int_equal(r->handler_timeout, 120000);
	assert_int_equal(r->max_attempts, 5);
	assert_int_equal(r->backoff_base, 2000);
	assert_int_equal(r->backoff_max, 600000);
	/* The lease outlasts the longest route's handler_timeout. */
	assert_int_equal(cfg->lease, 150000);

	r = config_route(cfg, "slow");
	assert_ptr_equal(r, &cfg->routes[1]);
	assert_null(r->events);
	assert_int_equal(r->nevents, 0);
	assert_int_equal(r->nmatch, 0);
	assert_null(r->match);
	assert_int_equal(r->concurrency, 0);
	assert_int_equal(r->rate, 1);
	assert_int_equal(r->rate_period, 1000);
	assert_null(r->order);
	assert_string_equal(r->order_header, "x-github-hook-id");
	r = config_route(cfg, "hourly");
	assert_int_equal(r->rate, 1000000);
	assert_int_equal(r->rate_period, 3600000);
	assert_null(r->order);
	assert_null(r->order_header);
	assert_null(config_route(cfg, "gh"));
	assert_null(cfg->on_dead_argv);
}

/* What is a JSON scalar and what is a bare string, at the edges of the grammar. */
static void
test_route_match_values(void **state)
{
	static const struct { const char *text; int kind; const char *value; double number; } CASES[] = {
		{ "0", MATCH_NUMBER, "0", 0 },
		{ "-0.5", MATCH_NUMBER, "-0.5", -0.5 },
		{ "1E+2", MATCH_NUMBER, "1E+2", 100 },
		{ "2e-1", MATCH_NUMBER, "2e-1", 0.2 },
		{ "01", MATCH_STRING, "01", 0 },
		{ "1.", MATCH_STRING, "1.", 0 },
		{ ".5", MATCH_STRING, ".5", 0 },
		{ "-", MATCH_STRING, "-", 0 },
		{ "+1", MATCH_STRING, "+1", 0 },
		{ "1e", MATCH_STRING, "1e", 0 },
		{ "0x10", MATCH_STRING, "0x10", 0 },
		{ "TRUE", MATCH_STRING, "TRUE", 0 },
		{ "nullx", MATCH_STRING, "nullx", 0 },
		{ "\"\\/\\b\\f\\n\\r\\\\\"", MATCH_STRING, "/\b\f\n\r\\", 0 },
		{ "\"\\u00E9\\u20ac\"", MATCH_STRING, "\xc3\xa9\xe2\x82\xac", 0 },
		{ "\"\\uD834\\uDD1E\"", MATCH_STRING, "\xf0\x9d\x84\x9e", 0 },
		{ "\"42\"", MATCH_STRING, "42", 0 },
		{ "\"true\"", MATCH_STRING, "true", 0 },
		/* Not JSON strings: bare, as written. */
		{ "\"\\ud800\"", MATCH_STRING, "\"\\ud800\"", 0 },
		{ "\"\\udc00\\ud800\"", MATCH_STRING, "\"\\udc00\\ud800\"", 0 },
		{ "\"\\u12\"", MATCH_STRING, "\"\\u12\"", 0 },
		{ "\"\\x\"", MATCH_STRING, "\"\\x\"", 0 },
		{ "\"a\"b\"", MATCH_STRING, "\"a\"b\"", 0 },
		{ "\"a\\\"", MATCH_STRING, "\"a\\\"", 0 },
		{ "\"", MATCH_STRING, "\"", 0 },
		{ "a = b", MATCH_STRING, "a = b", 0 },
	};
	struct fixture *fx = *state;
	char text[256];
	size_t i;

	for (i = 0; i < nitems_(CASES); i++) {
		const struct route_match *m;

		snprintf(text, sizeof(text), BASE "[route r]\nsource = gh\nhandler = /bin/true\n"
		    "match = p = %s\n", CASES[i].text);
		load_ok(fx, text);
		m = &config_route(fx->cfg, "r")->match[0];
		if (m->kind != CASES[i].kind || strcmp(m->value, CASES[i].value) != 0 ||
		    (m->kind == MATCH_NUMBER && m->number != CASES[i].number))
			fail_msg("match = p = %s: kind %d value '%s' number %g", CASES[i].text, m->kind,
			    m->value, m->number);
	}
}

/* A source's handler is an implicit route, named after it; implicit routes come first. */
static void
test_route_implicit(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	const struct route *r;

	cfg = load_ok(fx,
	    "[hookq]\n"
	    "database = q.db\n"
	    "[route extra]\n"
	    "source = b\n"
	    "handler = /bin/false\n"
	    "[source a]\n"
	    "scheme = github\n"
	    "secret_file = gh.secret\n"
	    "handler = /bin/true -a\n"                          /* 9 */
	    "max_attempts = 4\n"
	    "handler_timeout = 1m\n"
	    "[source quiet]\n"
	    "scheme = github\n"
	    "secret_file = gh.secret\n"
	    "[source b]\n"
	    "scheme = stripe\n"
	    "secret_file = gh.secret\n"
	    "handler = logger\n");                              /* 18 */
	assert_int_equal(cfg->nroutes, 3);
	assert_string_equal(cfg->routes[0].name, "a");
	assert_string_equal(cfg->routes[1].name, "b");
	assert_string_equal(cfg->routes[2].name, "extra");
	r = &cfg->routes[0];
	assert_true(r->implicit);
	assert_string_equal(r->source, "a");
	assert_int_equal(r->line, 9);
	assert_null(r->events);
	assert_int_equal(r->nmatch, 0);
	assert_int_equal(r->concurrency, 0);
	assert_int_equal(r->rate, 0);
	assert_null(r->order);
	assert_null(r->order_header);
	assert_int_equal(r->max_attempts, 4);
	assert_int_equal(r->handler_timeout, 60000);
	assert_int_equal(r->backoff_base, 10000);
	assert_int_equal(r->backoff_max, 3600000);
	/* A copy: the route and the source each own theirs. */
	assert_ptr_not_equal(r->handler_argv, cfg->sources[0].handler_argv);
	assert_string_equal(r->handler_argv[0], "/bin/true");
	assert_string_equal(r->handler_argv[1], "-a");
	assert_null(r->handler_argv[2]);
	r = config_route(cfg, "b");
	assert_true(r->implicit);
	assert_int_equal(r->line, 18);
	assert_string_equal(r->handler_argv[0], "logger");
	r = config_route(cfg, "extra");
	assert_false(r->implicit);
	assert_string_equal(r->source, "b");
	assert_null(config_route(cfg, "quiet"));
}

/* A route's unset worker keys are its source's effective ones. */
static void
test_route_inherits(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	const struct route *r;

	cfg = load_ok(fx, BASE
	    "max_attempts = 3\n"
	    "backoff_max = 5m\n"
	    "[route r]\n"
	    "source = gh\n"
	    "handler = /bin/true\n"
	    "backoff_base = 1s\n");
	assert_int_equal(cfg->nroutes, 1);
	r = config_route(cfg, "r");
	assert_int_equal(r->max_attempts, 3);
	assert_int_equal(r->backoff_max, 300000);
	assert_int_equal(r->backoff_base, 1000);
	assert_int_equal(r->handler_timeout, 30000);
	assert_int_equal(cfg->lease, 60000);
}

/* on_dead splits as a handler does. */
static void
test_on_dead(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	char *want;

	cfg = load_ok(fx, HOOKQ_WITH("on_dead = bin/alert  --to ops\t"));
	want = tu_path(fx->dir, "bin/alert");
	assert_string_equal(cfg->on_dead_argv[0], want);
	free(want);
	assert_string_equal(cfg->on_dead_argv[1], "--to");
	assert_string_equal(cfg->on_dead_argv[2], "ops");
	assert_null(cfg->on_dead_argv[3]);
	cfg = load_ok(fx, HOOKQ_WITH("on_dead = logger -t hookq-dead"));
	assert_string_equal(cfg->on_dead_argv[0], "logger");
	assert_null(cfg->on_dead_argv[3]);
}

/* A route with a long handler_timeout makes the lease check name it. */
static void
test_route_lease(void **state)
{
	struct fixture *fx = *state;

	load_bad(fx, "[hookq]\ndatabase = q.db\nlease = 1m\n" "[source gh]\nscheme = github\n"
	    "secret_file = gh.secret\nhandler = /bin/true\n"
	    "[route r]\nsource = gh\nhandler = /bin/true\nhandler_timeout = 55s\n");
	assert_one_error(fx, 3, "lease: 60000ms is too short for [route r]'s handler_timeout of"
	    " 55000ms: make it at least 65000ms");
}

/* A url route: its keys read back, url_timeout defaults, the lease outlasts it, secrets decode. */
static void
test_route_url(void **state)
{
	struct fixture *fx = *state;
	const struct config *cfg;
	const struct route *r;
	char *want;

	/* "hookq-test" and "second" in base64, in the whsec_ form of the Standard Webhooks spec. */
	write_in(fx, "app.whsec", "whsec_aG9va3EtdGVzdA==\nwhsec_c2Vjb25k\n");
	cfg = load_ok(fx, BASE
	    "[route app]\n"
	    "source = gh\n"
	    "url = https://app.internal:8443/hooks/gh?from=hookq\n"
	    "url_timeout = 90s\n"
	    "retry_4xx = yes\n"
	    "ca_file = app.whsec\n"
	    "resolve = app.internal:8443:127.0.0.1\n"
	    "signing_secret_file = app.whsec\n"
	    "[route plain]\n"
	    "source = gh\n"
	    "url = http://127.0.0.1:8080/\n"
	    "[route feed]\n"
	    "source = gh\n"
	    "handler = /bin/cat\n"
	    "handler_mode = stream\n");
	r = config_route(cfg, "app");
	assert_string_equal(r->url, "https://app.internal:8443/hooks/gh?from=hookq");
	assert_null(r->handler_argv);
	assert_int_equal(r->url_timeout, 90000);
	assert_int_equal(config_route_timeout(r), 90000);
	assert_true(r->retry_4xx);
	want = tu_path(fx->dir, "app.whsec");
	assert_string_equal(r->ca_file, want);
	assert_string_equal(r->signing_secret_file, want);
	free(want);
	assert_string_equal(r->resolve, "app.internal:8443:127.0.0.1");
	assert_int_equal(r->nsigning, 2);
	assert_int_equal(r->signing[0].len, 10);
	assert_memory_equal(r->signing[0].key, "hookq-test", 10);
	assert_int_equal(cfg->lease, 90000 + 30000);
	r = config_route(cfg, "plain");
	assert_int_equal(r->url_timeout, 30000);
	assert_false(r->retry_4xx);
	assert_int_equal(r->nsigning, 0);
	assert_int_equal(r->handler_mode, HANDLER_EXEC);
	r = config_route(cfg, "feed");
	assert_int_equal(r->handler_mode, HANDLER_STREAM);
	assert_null(r->url);
}

/* Each url route mistake is reported at its line, the secret never. */
static void
test_route_url_errors(void **state)
{
	struct fixture *fx = *state;

	write_in(fx, "bad.whsec", "whsec_***notbase64***\n");
	load_bad(fx, BASE
	    "[route a]\n"                        /* 6 */
	    "source = gh\n"
	    "handler = /bin/true\n"
	    "url = http://127.0.0.1/\n"          /* 9 */
	    "[route b]\n"                        /* 10 */
	    "source = gh\n"
	    "url = ftp://127.0.0.1/\n"           /* 12 */
	    "[route c]\n"                        /* 13 */
	    "source = gh\n"
	    "url = http://user:pw@127.0.0.1/\n"  /* 15 */
	    "[route d]\n"                        /* 16 */
	    "source = gh\n"
	    "url = http://127.0.0.1/x\n"
	    "handler_mode = stream\n"            /* 19 */
	    "resolve = nope\n"                   /* 20 */
	    "signing_secret_file = bad.whsec\n"  /* 21 */
	    "retry_4xx = maybe\n"                /* 22 */
	    "[route e]\n"                        /* 23 */
	    "source = gh\n"
	    "handler = /bin/true\n"
	    "url_timeout = 5s\n");               /* 26 */
	if (count_lines(fx->cause) != 8 ||
	    !has_error(fx, 9, "[route a]: both handler (line 8) and url") ||
	    !has_error(fx, 12, "url: 'ftp://127.0.0.1/' is not an http:// or https:// URL") ||
	    !has_error(fx, 15, "url: 'http://user:pw@127.0.0.1/' is not an http:// or https:// URL") ||
	    !has_error(fx, 19, "handler_mode: applies only to a route with a handler") ||
	    !has_error(fx, 20, "resolve: 'nope' is not HOST:PORT:ADDRESS") ||
	    !has_error(fx, 21, "signing_secret_file") ||
	    !has_error(fx, 22, "retry_4xx: 'maybe' is not one of the choices") ||
	    !has_error(fx, 26, "url_timeout: applies only to a route with a url") ||
	    strstr(fx->cause, "notbase64") != NULL)
		fail_msg("unexpected errors:\n%s", fx->cause);
}

/* Route problems are all reported, each at its line. */
static void
test_route_many_errors(void **state)
{
	struct fixture *fx = *state;

	load_bad(fx, BASE
	    "[route a]\n"          /* 6 */
	    "rate = 10\n"
	    "match = nothing\n"
	    "order = a..b\n"
	    "[route b]\n"          /* 10 */
	    "source = nope\n"
	    "handler = /bin/true\n");
	if (count_lines(fx->cause) != 6 || !has_error(fx, 6, "[route a]: no source") ||
	    !has_error(fx, 6, "[route a]: no handler and no url") || !has_error(fx, 7, "rate: '10'") ||
	    !has_error(fx, 8, "match: 'nothing' is not PATH=VALUE") ||
	    !has_error(fx, 9, "order: 'a..b'") ||
	    !has_error(fx, 11, "source: no [source nope] in the file"))
		fail_msg("unexpected errors:\n%s", fx->cause);
}

/* The error cases: each refused with exactly one message at the line given. */
static const struct error_case E_DURATION_UNIT = { BASE "handler_timeout = 10x\n", 6,
	"handler_timeout: '10x' is not a duration" };
static const struct error_case E_DURATION_NEGATIVE = { BASE "backoff_base = -1s\n", 6,
	"backoff_base: '-1s' is not a duration" };
static const struct error_case E_DURATION_SPACE = { BASE "backoff_max = 10 s\n", 6,
	"backoff_max: '10 s' is not a duration" };
static const struct error_case E_DURATION_HUGE = { BASE "handler_timeout = 99999999999999d\n", 6,
	"handler_timeout: '99999999999999d' is not a duration" };
static const struct error_case E_TIMEOUT_0 = { BASE "handler_timeout = 0\n", 6,
	"handler_timeout: '0' is not a duration" };
static const struct error_case E_MAX_ATTEMPTS_0 = { BASE "max_attempts = 0\n", 6,
	"max_attempts: '0' is not a whole number from 1 to 1000" };
static const struct error_case E_CONCURRENCY_0 = {
	"[hookq]\ndatabase = q.db\nconcurrency = 0\n[source gh]\nscheme = github\nsecret_file = gh.secret\n",
	3, "concurrency: '0' is not a whole number from 1 to 256" };
static const struct error_case E_HANDLER_BLANK = { BASE "handler =   \n", 6, "handler: empty value" };
static const struct error_case E_LEASE_SHORT = {
	"[hookq]\ndatabase = q.db\nlease = 40s\n[source gh]\nscheme = github\nsecret_file = gh.secret\n"
	"handler = /bin/true\nhandler_timeout = 35s\n",
	3, "lease: 40000ms is too short for [source gh]'s handler_timeout of 35000ms" };
static const struct error_case E_HANDLER_WORDS = { BASE "handler = x"
	" 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32"
	" 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63"
	" 64\n", 6, "handler: more than 64 words" };

static const struct error_case E_UNKNOWN_KEY = {
	"[hookq]\ndatabase = q.db\nthread = 4\n[source gh]\nscheme = github\nsecret_file = gh.secret\n",
	3, "unknown key 'thread' in [hookq]" };
static const struct error_case E_UNKNOWN_SOURCE_KEY = { BASE "colour = red\n", 6,
	"unknown key 'colour' in [source]" };
static const struct error_case E_HOOKQ_KEY_IN_SOURCE = { BASE "threads = 2\n", 6,
	"unknown key 'threads'" };
static const struct error_case E_UNKNOWN_SECTION = { BASE "[sink x]\nfoo = bar\n", 6,
	"unknown section [sink x]" };
static const struct error_case E_SOURCE_NO_NAME = { BASE "[source]\nscheme = github\n", 6, "[source]" };
static const struct error_case E_SOURCE_BLANK_NAME = { BASE "[source  ]\nscheme = github\n", 6,
	"bad source name" };
static const struct error_case E_SOURCE_NAME_SPACE = {
	BASE "[source a b]\nscheme = github\nsecret_file = gh.secret\n", 6, "bad source name" };
static const struct error_case E_SOURCE_NAME_SLASH = {
	BASE "[source x/y]\nscheme = github\nsecret_file = gh.secret\n", 6, "bad source name 'x/y'" };
static const struct error_case E_SOURCE_NAME_65 = {
	BASE "[source nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn]\n"
	"scheme = github\nsecret_file = gh.secret\n", 6, "bad source name" };
static const struct error_case E_SOURCE_TWICE = { BASE "[source gh]\nscheme = stripe\n", 6,
	"source 'gh' defined twice (first at line 3)" };
static const struct error_case E_HOOKQ_KEY_TWICE = {
	"[hookq]\ndatabase = q.db\ndatabase = r.db\n[source gh]\nscheme = github\nsecret_file = gh.secret\n",
	3, "'database' given twice (first at line 2)" };
static const struct error_case E_SOURCE_KEY_TWICE = { BASE "scheme = github\n", 6,
	"'scheme' given twice (first at line 4)" };
static const struct error_case E_KEY_BEFORE_SECTION = { "threads = 4\n" BASE, 1,
	"'threads' outside a [hookq], [source NAME] or [route NAME] section" };
static const struct error_case E_NO_EQUALS = { BASE "events push\n", 6, "expected 'key = value'" };
static const struct error_case E_SECTION_NO_BRACKET = {
	"[hookq]\ndatabase = q.db\n[source gh\nscheme = github\nsecret_file = gh.secret\n"
	"[source ok]\nscheme = github\nsecret_file = gh.secret\n", 3, "section line without ']'" };
static const struct error_case E_THREADS_0 = {
	"[hookq]\ndatabase = q.db\nthreads = 0\n[source gh]\nscheme = github\nsecret_file = gh.secret\n",
	3, "threads: '0' is not a whole number from 1 to 256" };
static const struct error_case E_THREADS_257 = {
	"[hookq]\ndatabase = q.db\nthreads = 257\n[source gh]\nscheme = github\nsecret_file = gh.secret\n",
	3, "threads: '257'" };
static const struct error_case E_THREADS_FOUR = {
	"[hookq]\ndatabase = q.db\nthreads = four\n[source gh]\nscheme = github\nsecret_file = gh.secret\n",
	3, "threads: 'four'" };
static const struct error_case E_THREADS_4X = {
	"[hookq]\ndatabase = q.db\nthreads = 4x\n[source gh]\nscheme = github\nsecret_file = gh.secret\n",
	3, "threads: '4x'" };
static const struct error_case E_BUSY_NEGATIVE = {
	"[hookq]\ndatabase = q.db\nbusy_timeout = -1\n[source gh]\nscheme = github\n"
	"secret_file = gh.secret\n", 3, "busy_timeout: '-1'" };
static const struct error_case E_DURABILITY = {
	"[hookq]\ndatabase = q.db\ndurability = fast\n[source gh]\nscheme = github\n"
	"secret_file = gh.secret\n", 3, "durability: 'fast' is not one of the choices" };
static const struct error_case E_ACK = {
	"[hookq]\ndatabase = q.db\nack = maybe\n[source gh]\nscheme = github\nsecret_file = gh.secret\n",
	3, "ack: 'maybe'" };
static const struct error_case E_MAX_BODY_1G = {
	"[hookq]\ndatabase = q.db\nmax_body = 1G\n[source gh]\nscheme = github\nsecret_file = gh.secret\n",
	3, "max_body: '1G'" };
static const struct error_case E_MAX_BODY_0 = {
	"[hookq]\ndatabase = q.db\nmax_body = 0\n[source gh]\nscheme = github\nsecret_file = gh.secret\n",
	3, "max_body: '0'" };
static const struct error_case E_MAX_BODY_12Q = { BASE "max_body = 12Q\n", 6, "max_body: '12Q'" };
static const struct error_case E_MAX_BODY_65M = { BASE "max_body = 65M\n", 6, "max_body: '65M'" };
static const struct error_case E_MAX_BODY_HUGE = { BASE "max_body = 99999999999999999999\n", 6,
	"max_body: '99999999999999999999'" };
static const struct error_case E_TOLERANCE_0 = { BASE "tolerance = 0\n", 6, "tolerance: '0'" };
static const struct error_case E_EMPTY_VALUE = { BASE "events =\n", 6, "events: empty value" };
static const struct error_case E_UNKNOWN_SCHEME = {
	"[hookq]\ndatabase = q.db\n[source gh]\nsecret_file = gh.secret\nscheme = gitlub\n", 5,
	"unknown scheme 'gitlub' (known: github, stripe, standard-webhooks, svix, shopify, "
	"slack, zendesk, gitlab, discord, discord-interactions, paddle, linear, pagerduty, jira, "
	"meta, zoom, mailgun, square, clerk, resend, openai, replicate, hubspot, twitch" };
static const struct error_case E_SQUARE_NO_URL = {
	"[hookq]\ndatabase = q.db\n[source sq]\nscheme = square\nsecret_file = gh.secret\n", 3,
	"[source sq]: scheme square needs notification_url" };
static const struct error_case E_URL_NOT_SQUARE = {
	BASE "notification_url = https://example.com/hooks/gh\n", 6,
	"'notification_url' does not apply to scheme github" };
static const struct error_case E_VERIFY_TOKEN_NOT_META = {
	BASE "verify_token = t0k3n\n", 6, "'verify_token' does not apply to scheme github" };
static const struct error_case E_NO_SCHEME = {
	"[hookq]\ndatabase = q.db\n[source gh]\nsecret_file = gh.secret\n", 3, "[source gh]: no scheme" };
static const struct error_case E_NO_SECRET_FILE = {
	"[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\nevents = push\n", 3,
	"[source gh]: no secret_file" };
static const struct error_case E_SECRET_DIR = {
	"[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\nsecret_file = .\n", 5,
	"Is a directory" };
static const struct error_case E_SECRET_EMPTY = {
	"[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\nsecret_file = empty.secret\n", 5,
	"empty.secret: no secret" };
static const struct error_case E_SECRET_BLANK = {
	"[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\nsecret_file = blank.secret\n", 5,
	"blank.secret: no secret" };
static const struct error_case E_SECRET_17 = {
	"[hookq]\ndatabase = q.db\n[source gh]\nscheme = github\nsecret_file = many.secret\n", 5,
	"many.secret: more than 16 secrets" };
static const struct error_case E_GENERIC_KEY_GITHUB = { BASE "signature_header = X-Sig\n", 6,
	"'signature_header' applies only to scheme generic, not github" };
static const struct error_case E_ID_JSON_GITHUB = { BASE "events = push\nid_json = data.id\n", 7,
	"'id_json' applies only to scheme generic, not github" };
static const struct error_case E_ID_JSON_STRIPE = {
	"[hookq]\ndatabase = q.db\n[source st]\nscheme = stripe\nid_json = data.id\n"
	"secret_file = gh.secret\n", 5, "'id_json' applies only to scheme generic, not stripe" };
static const struct error_case E_GENERIC_NO_HEADER = {
	"[hookq]\ndatabase = q.db\n[source g]\nscheme = generic\nsecret_file = gh.secret\nid_json = id\n",
	3, "[source g]: scheme generic needs signature_header" };
static const struct error_case E_GENERIC_ID_BOTH = {
	"[hookq]\ndatabase = q.db\n[source g]\nscheme = generic\nsecret_file = gh.secret\n"
	"id_json = data.id\nsignature_header = X-Sig\nid_header = X-Id\n", 6,
	"id_header and id_json both given" };
static const struct error_case E_GENERIC_TYPE_BOTH = {
	"[hookq]\ndatabase = q.db\n[source g]\nscheme = generic\nsecret_file = gh.secret\n"
	"signature_header = X-Sig\ntype_header = X-Type\ntype_json = type\n", 8,
	"type_header and type_json both given" };
static const struct error_case E_ENCODING = {
	"[hookq]\ndatabase = q.db\n[source g]\nscheme = generic\nsecret_file = gh.secret\n"
	"signature_header = X-Sig\nencoding = hex2\n", 7, "encoding: 'hex2' is not one of the choices" };
static const struct error_case E_ALGORITHM = {
	"[hookq]\ndatabase = q.db\n[source g]\nscheme = generic\nsecret_file = gh.secret\n"
	"algorithm = md5\nsignature_header = X-Sig\n", 6, "algorithm: 'md5' is not one of the choices" };
static const struct error_case E_NO_DATABASE = {
	"[hookq]\nthreads = 2\n[source gh]\nscheme = github\nsecret_file = gh.secret\n", 0,
	"[hookq] has no database" };
static const struct error_case E_METRICS_RELATIVE = { HOOKQ_WITH("metrics_path = hookq/metrics"), 3,
	"metrics_path: 'hookq/metrics' is not a URL path" };
static const struct error_case E_METRICS_QUERY = { HOOKQ_WITH("metrics_path = /metrics?x=1"), 3,
	"metrics_path: '/metrics?x=1' is not a URL path" };
static const struct error_case E_METRICS_FRAGMENT = { HOOKQ_WITH("metrics_path = /metrics#top"), 3,
	"metrics_path: '/metrics#top' is not a URL path" };
static const struct error_case E_BASE_URL_PATH = { HOOKQ_WITH("base_url = https://example.com/hooks"), 3,
	"base_url: 'https://example.com/hooks' is not an http or https URL without a path" };
static const struct error_case E_BASE_URL_QUERY = { HOOKQ_WITH("base_url = https://example.com?x=1"), 3,
	"base_url: 'https://example.com?x=1' is not an http or https URL without a path" };
static const struct error_case E_BASE_URL_SCHEME = { HOOKQ_WITH("base_url = ftp://example.com"), 3,
	"base_url: 'ftp://example.com' is not an http or https URL" };
static const struct error_case E_BASE_URL_BARE = { HOOKQ_WITH("base_url = example.com"), 3,
	"base_url: 'example.com' is not an http or https URL" };
static const struct error_case E_BASE_URL_PORT = { HOOKQ_WITH("base_url = http://example.com:70000"), 3,
	"base_url: 'http://example.com:70000' is not an http or https URL" };
static const struct error_case E_BASE_URL_USER = { HOOKQ_WITH("base_url = http://u:p@example.com"), 3,
	"base_url: 'http://u:p@example.com' is not an http or https URL" };
static const struct error_case E_BASE_URL_EMPTY_HOST = { HOOKQ_WITH("base_url = https://:8080"), 3,
	"base_url: 'https://:8080' is not an http or https URL" };
static const struct error_case E_HEALTH_BLANK = { HOOKQ_WITH("health_path = /he alth"), 3,
	"health_path: '/he alth' is not a URL path" };
static const struct error_case E_HEALTH_EMPTY = { HOOKQ_WITH("health_path ="), 3,
	"health_path: '' is not a URL path" };
static const struct error_case E_HEALTH_CONTROL = { HOOKQ_WITH("health_path = /a\tb"), 3,
	"health_path: '/a\tb' is not a URL path" };
static const struct error_case E_HEALTH_NON_ASCII = { HOOKQ_WITH("health_path = /sant\xc3\xa9"), 3,
	"is not a URL path" };
static const struct error_case E_HEALTH_SAME = {
	HOOKQ_WITH("metrics_path = /hookq\nhealth_path = /hookq"), 4,
	"health_path: the same as metrics_path" };
static const struct error_case E_METRICS_TWICE = {
	HOOKQ_WITH("metrics_path = /a\nmetrics_path = /b"), 4,
	"'metrics_path' given twice (first at line 3)" };
static const struct error_case E_METRICS_IN_SOURCE = { BASE "metrics_path = /m\n", 6,
	"unknown key 'metrics_path' in [source]" };
static const struct error_case E_DEDUP_CHOICE = { BASE "dedup = hash\n", 6,
	"dedup: 'hash' is not one of the choices" };
static const struct error_case E_DEDUP_WINDOW_UNIT = { BASE "dedup = body\ndedup_window = 1w\n", 7,
	"dedup_window: '1w' is not a duration" };
static const struct error_case E_DEDUP_WINDOW_0 = { BASE "dedup = body\ndedup_window = 0\n", 7,
	"dedup_window: '0' is not a duration" };
static const struct error_case E_DEDUP_WINDOW_HUGE = { BASE "dedup = body\ndedup_window = 3651d\n", 7,
	"dedup_window: '3651d' is not a duration" };
static const struct error_case E_DEDUP_WINDOW_ID = { BASE "dedup_window = 1h\n", 6,
	"'dedup_window' applies only with dedup = body" };
static const struct error_case E_DEDUP_WINDOW_EXPLICIT_ID = { BASE "dedup_window = 1h\ndedup = id\n",
	6, "'dedup_window' applies only with dedup = body" };
static const struct error_case E_DEDUP_RETAIN_SHORT = {
	"[hookq]\ndatabase = q.db\nretain_done = 1h\n[source gh]\nscheme = github\n"
	"secret_file = gh.secret\ndedup = body\ndedup_window = 2h\n", 8,
	"dedup_window: 7200000ms is longer than retain_done's 3600000ms" };
static const struct error_case E_DEDUP_RETAIN_DEFAULT = {
	"[hookq]\ndatabase = q.db\nretain_done = 12h\n[source gh]\nscheme = github\n"
	"secret_file = gh.secret\ndedup = body\n", 7,
	"dedup_window: 86400000ms is longer than retain_done's 43200000ms" };
#define LISTEN_WITH(line) HOOKQ_WITH("listen = s.sock\n" line)
static const struct error_case E_LISTEN_OWNER = { LISTEN_WITH("listen_owner = no-such-user-hq"), 4,
	"listen_owner: no user 'no-such-user-hq'" };
static const struct error_case E_LISTEN_GROUP = { LISTEN_WITH("listen_group = no-such-group-hq"), 4,
	"listen_group: no group 'no-such-group-hq'" };
static const struct error_case E_LISTEN_NEG = { LISTEN_WITH("listen_owner = -1"), 4,
	"listen_owner: no user '-1'" };
static const struct error_case E_LISTEN_MODE_DIGIT = { LISTEN_WITH("listen_mode = 0989"), 4,
	"listen_mode: '0989' is not a mode (octal permission bits from 0 to 0777, such as 0660)" };
static const struct error_case E_LISTEN_MODE_BIG = { LISTEN_WITH("listen_mode = 04660"), 4,
	"listen_mode: '04660' is not a mode" };
static const struct error_case E_LISTEN_MODE_TEXT = { LISTEN_WITH("listen_mode = rw-rw----"), 4,
	"listen_mode: 'rw-rw----' is not a mode" };
static const struct error_case E_LISTEN_MODE_SIGN = { LISTEN_WITH("listen_mode = -660"), 4,
	"listen_mode: '-660' is not a mode" };
static const struct error_case E_LISTEN_WITHOUT = { HOOKQ_WITH("listen_group = root"), 3,
	"listen_group: applies only with listen (the socket the receiver creates)" };

/* A valid [route r] after BASE (lines 6-8); ROUTE_WITH's line is 9. */
#define ROUTE_WITH(line) BASE "[route r]\nsource = gh\nhandler = /bin/true\n" line "\n"
static const struct error_case E_ROUTE_NO_SOURCE = { BASE "[route r]\nhandler = /bin/true\n", 6,
	"[route r]: no source" };
static const struct error_case E_ROUTE_UNKNOWN_SOURCE = {
	BASE "[route r]\nhandler = /bin/true\nsource = gl\n", 8, "source: no [source gl] in the file" };
static const struct error_case E_ROUTE_NO_HANDLER = { BASE "[route r]\nsource = gh\n", 6,
	"[route r]: no handler" };
static const struct error_case E_ROUTE_HANDLER_BLANK = { ROUTE_WITH("[route s]\nsource = gh\nhandler =  "),
	11, "handler: empty value" };
static const struct error_case E_ROUTE_RATE_BARE = { ROUTE_WITH("rate = 10"), 9,
	"rate: '10' is not a rate: N/s, N/m or N/h (per second, minute or hour) with N from 1 to 1000000" };
static const struct error_case E_ROUTE_RATE_0 = { ROUTE_WITH("rate = 0/s"), 9, "rate: '0/s' is not a rate" };
static const struct error_case E_ROUTE_RATE_UNIT = { ROUTE_WITH("rate = 5/x"), 9, "rate: '5/x' is not a rate" };
static const struct error_case E_ROUTE_RATE_BIG = { ROUTE_WITH("rate = 1000001/h"), 9,
	"rate: '1000001/h' is not a rate" };
static const struct error_case E_ROUTE_RATE_LONG_UNIT = { ROUTE_WITH("rate = 5/sec"), 9,
	"rate: '5/sec' is not a rate" };
static const struct error_case E_ROUTE_RATE_NEGATIVE = { ROUTE_WITH("rate = -5/s"), 9,
	"rate: '-5/s' is not a rate" };
static const struct error_case E_ROUTE_MATCH_NO_EQUALS = { ROUTE_WITH("match = action"), 9,
	"match: 'action' is not PATH=VALUE" };
static const struct error_case E_ROUTE_MATCH_NO_PATH = { ROUTE_WITH("match =  = opened"), 9,
	"match: no path before '=' in '= opened'" };
static const struct error_case E_ROUTE_MATCH_NO_VALUE = { ROUTE_WITH("match = action ="), 9,
	"match: action has no value (write \"\" for the empty string)" };
static const struct error_case E_ROUTE_MATCH_EMPTY_SEGMENT = { ROUTE_WITH("match = a..b=1"), 9,
	"match: 'a..b' is not a dotted JSON path (names separated by '.', none empty)" };
static const struct error_case E_ROUTE_MATCH_TRAILING_DOT = { ROUTE_WITH("match = a.=1"), 9,
	"match: 'a.' is not a dotted JSON path" };
static const struct error_case E_ROUTE_MATCH_NUL = { ROUTE_WITH("match = a=\"x\\u0000\""), 9,
	"match: a: a string with \\u0000 cannot be matched" };
static const struct error_case E_ROUTE_ORDER_PATH = { ROUTE_WITH("order = .id"), 9,
	"order: '.id' is neither a dotted JSON path (names separated by '.', none empty) nor header:NAME" };
static const struct error_case E_ROUTE_ORDER_HEADER = { ROUTE_WITH("order = header:X Repo"), 9,
	"order: 'header:X Repo' is neither a dotted JSON path" };
static const struct error_case E_ROUTE_ORDER_HEADER_EMPTY = { ROUTE_WITH("order = header:"), 9,
	"order: 'header:' is neither" };
static const struct error_case E_ROUTE_TWICE = { ROUTE_WITH("[route r]\nsource = gh\nhandler = /bin/true"),
	9, "route 'r' defined twice (first at line 6)" };
static const struct error_case E_ROUTE_IMPLICIT_NAME = {
	BASE "handler = /bin/true\n[route gh]\nsource = gh\nhandler = /bin/false\n", 7,
	"route gh: source gh's handler already makes a route of that name; rename the route" };
static const struct error_case E_ROUTE_TYPE_REFUSED = {
	BASE "events = push, release\n[route r]\nsource = gh\nhandler = /bin/true\nevents = push ping\n",
	10, "events: 'ping' is not in [source gh]'s events (line 6): the route could never take it" };
static const struct error_case E_ROUTE_EVENTS_EMPTY = { ROUTE_WITH("events = ,"), 9,
	"events: no event type in the list" };
static const struct error_case E_ROUTE_KEY_TWICE = { ROUTE_WITH("handler = /bin/false"), 9,
	"'handler' given twice (first at line 8)" };
static const struct error_case E_ROUTE_UNKNOWN_KEY = { ROUTE_WITH("scheme = github"), 9,
	"unknown key 'scheme' in [route]" };
static const struct error_case E_ROUTE_BAD_NAME = { BASE "[route a/b]\nsource = gh\nhandler = /bin/true\n",
	6, "bad route name 'a/b': use 1 to 64 of A-Z a-z 0-9 _ -" };
static const struct error_case E_ROUTE_NO_NAME = { BASE "[route]\nsource = gh\n", 6,
	"unknown section [route]: expected [hookq], [source NAME] or [route NAME]" };
static const struct error_case E_ROUTE_CONCURRENCY_0 = { ROUTE_WITH("concurrency = 0"), 9,
	"concurrency: '0' is not a whole number from 1 to 256" };
static const struct error_case E_ROUTE_CONCURRENCY_257 = { ROUTE_WITH("concurrency = 257"), 9,
	"concurrency: '257' is not a whole number from 1 to 256" };
static const struct error_case E_ROUTE_TIMEOUT = { ROUTE_WITH("handler_timeout = 50ms"), 9,
	"handler_timeout: '50ms' is not a duration (a number with ms, s, m, h or d) from 100ms to 86400000ms" };
static const struct error_case E_ROUTE_ATTEMPTS = { ROUTE_WITH("max_attempts = 1001"), 9,
	"max_attempts: '1001' is not a whole number from 1 to 1000" };
static const struct error_case E_ON_DEAD_BLANK = { HOOKQ_WITH("on_dead =  "), 3, "on_dead: empty value" };
static const struct error_case E_ON_DEAD_IN_SOURCE = { BASE "on_dead = /bin/true\n", 6,
	"unknown key 'on_dead' in [source]" };

#define ERROR_CASE(n, c) { "error: " n, test_error_case, setup, teardown, (void *)&(c) }
#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_every_key),
		TEST(test_defaults),
		TEST(test_listen_keys),
		TEST(test_no_source),
		TEST(test_scheme_defaults_and_keys),
		TEST(test_metrics_keys),
		TEST(test_base_url),
		TEST(test_max_body_inherited),
		TEST(test_sizes),
		TEST(test_comments),
		TEST(test_database_url),
		TEST(test_crlf),
		TEST(test_bom),
		TEST(test_long_line),
		TEST(test_overlong_line),
		TEST(test_indented_key),
		TEST(test_config_source),
		TEST(test_type_allowed),
		TEST(test_relative_paths),
		TEST(test_relative_config_path),
		TEST(test_source_name_64),
		TEST(test_missing_file),
		TEST(test_secret_missing),
		TEST(test_no_secrets),
		TEST(test_secrets_rotation),
		TEST(test_secret_file_size),
		TEST(test_secret_whsec),
		TEST(test_secret_whsec_bad),
		TEST(test_generic),
		TEST(test_generic_ed25519),
		TEST(test_many_errors),
		TEST(test_many_errors_empty_secret),
		TEST(test_size_overflow),
		cmocka_unit_test(test_free_null),
		ERROR_CASE("unknown key in [hookq]", E_UNKNOWN_KEY),
		ERROR_CASE("unknown key in [source]", E_UNKNOWN_SOURCE_KEY),
		ERROR_CASE("[hookq] key in [source]", E_HOOKQ_KEY_IN_SOURCE),
		ERROR_CASE("unknown section", E_UNKNOWN_SECTION),
		ERROR_CASE("[source] without a name", E_SOURCE_NO_NAME),
		ERROR_CASE("[source] with a blank name", E_SOURCE_BLANK_NAME),
		ERROR_CASE("source name with a space", E_SOURCE_NAME_SPACE),
		ERROR_CASE("source name with a slash", E_SOURCE_NAME_SLASH),
		ERROR_CASE("source name of 65 characters", E_SOURCE_NAME_65),
		ERROR_CASE("source defined twice", E_SOURCE_TWICE),
		ERROR_CASE("[hookq] key given twice", E_HOOKQ_KEY_TWICE),
		ERROR_CASE("[source] key given twice", E_SOURCE_KEY_TWICE),
		ERROR_CASE("key before any section", E_KEY_BEFORE_SECTION),
		ERROR_CASE("line without =", E_NO_EQUALS),
		ERROR_CASE("section without ]", E_SECTION_NO_BRACKET),
		ERROR_CASE("threads 0", E_THREADS_0),
		ERROR_CASE("threads 257", E_THREADS_257),
		ERROR_CASE("threads four", E_THREADS_FOUR),
		ERROR_CASE("threads 4x", E_THREADS_4X),
		ERROR_CASE("busy_timeout -1", E_BUSY_NEGATIVE),
		ERROR_CASE("durability fast", E_DURABILITY),
		ERROR_CASE("ack maybe", E_ACK),
		ERROR_CASE("max_body 1G", E_MAX_BODY_1G),
		ERROR_CASE("max_body 0", E_MAX_BODY_0),
		ERROR_CASE("max_body 12Q", E_MAX_BODY_12Q),
		ERROR_CASE("max_body 65M", E_MAX_BODY_65M),
		ERROR_CASE("max_body out of long long", E_MAX_BODY_HUGE),
		ERROR_CASE("tolerance 0", E_TOLERANCE_0),
		ERROR_CASE("empty value", E_EMPTY_VALUE),
		ERROR_CASE("unknown scheme", E_UNKNOWN_SCHEME),
		ERROR_CASE("square without notification_url", E_SQUARE_NO_URL),
		ERROR_CASE("notification_url for github", E_URL_NOT_SQUARE),
		ERROR_CASE("verify_token for github", E_VERIFY_TOKEN_NOT_META),
		ERROR_CASE("no scheme", E_NO_SCHEME),
		ERROR_CASE("no secret_file", E_NO_SECRET_FILE),
		ERROR_CASE("secret_file is a directory", E_SECRET_DIR),
		ERROR_CASE("secret_file empty", E_SECRET_EMPTY),
		ERROR_CASE("secret_file only blank lines", E_SECRET_BLANK),
		ERROR_CASE("secret_file with 17 secrets", E_SECRET_17),
		ERROR_CASE("generic key under github", E_GENERIC_KEY_GITHUB),
		ERROR_CASE("id_json under github", E_ID_JSON_GITHUB),
		ERROR_CASE("id_json under stripe", E_ID_JSON_STRIPE),
		ERROR_CASE("generic without signature_header", E_GENERIC_NO_HEADER),
		ERROR_CASE("generic with id_header and id_json", E_GENERIC_ID_BOTH),
		ERROR_CASE("generic with type_header and type_json", E_GENERIC_TYPE_BOTH),
		ERROR_CASE("encoding hex2", E_ENCODING),
		ERROR_CASE("algorithm md5", E_ALGORITHM),
		ERROR_CASE("no database", E_NO_DATABASE),
		ERROR_CASE("listen_owner unknown", E_LISTEN_OWNER),
		ERROR_CASE("listen_group unknown", E_LISTEN_GROUP),
		ERROR_CASE("listen_owner negative", E_LISTEN_NEG),
		ERROR_CASE("listen_mode not octal", E_LISTEN_MODE_DIGIT),
		ERROR_CASE("listen_mode with setuid bits", E_LISTEN_MODE_BIG),
		ERROR_CASE("listen_mode symbolic", E_LISTEN_MODE_TEXT),
		ERROR_CASE("listen_mode signed", E_LISTEN_MODE_SIGN),
		ERROR_CASE("listen_group without listen", E_LISTEN_WITHOUT),
		ERROR_CASE("metrics_path without a leading /", E_METRICS_RELATIVE),
		ERROR_CASE("metrics_path with a query", E_METRICS_QUERY),
		ERROR_CASE("metrics_path with a fragment", E_METRICS_FRAGMENT),
		ERROR_CASE("base_url with a path", E_BASE_URL_PATH),
		ERROR_CASE("base_url with a query", E_BASE_URL_QUERY),
		ERROR_CASE("base_url ftp", E_BASE_URL_SCHEME),
		ERROR_CASE("base_url without a scheme", E_BASE_URL_BARE),
		ERROR_CASE("base_url port out of range", E_BASE_URL_PORT),
		ERROR_CASE("base_url with a user", E_BASE_URL_USER),
		ERROR_CASE("base_url without a host", E_BASE_URL_EMPTY_HOST),
		ERROR_CASE("health_path with a blank", E_HEALTH_BLANK),
		ERROR_CASE("health_path empty", E_HEALTH_EMPTY),
		ERROR_CASE("health_path with a tab", E_HEALTH_CONTROL),
		ERROR_CASE("health_path not ASCII", E_HEALTH_NON_ASCII),
		ERROR_CASE("health_path the same as metrics_path", E_HEALTH_SAME),
		ERROR_CASE("metrics_path given twice", E_METRICS_TWICE),
		ERROR_CASE("metrics_path in [source]", E_METRICS_IN_SOURCE),
		TEST(test_worker_keys),
		TEST(test_worker_defaults),
		ERROR_CASE("duration with an unknown unit", E_DURATION_UNIT),
		ERROR_CASE("negative duration", E_DURATION_NEGATIVE),
		ERROR_CASE("duration with a space before the unit", E_DURATION_SPACE),
		ERROR_CASE("duration past any range", E_DURATION_HUGE),
		ERROR_CASE("handler_timeout 0", E_TIMEOUT_0),
		ERROR_CASE("max_attempts 0", E_MAX_ATTEMPTS_0),
		ERROR_CASE("concurrency 0", E_CONCURRENCY_0),
		ERROR_CASE("handler of blanks", E_HANDLER_BLANK),
		ERROR_CASE("lease shorter than a handler_timeout + 10 s", E_LEASE_SHORT),
		ERROR_CASE("handler of 65 words", E_HANDLER_WORDS),
		TEST(test_dedup_keys),
		ERROR_CASE("dedup hash", E_DEDUP_CHOICE),
		ERROR_CASE("dedup_window with an unknown unit", E_DEDUP_WINDOW_UNIT),
		ERROR_CASE("dedup_window 0", E_DEDUP_WINDOW_0),
		ERROR_CASE("dedup_window past ten years", E_DEDUP_WINDOW_HUGE),
		ERROR_CASE("dedup_window without dedup", E_DEDUP_WINDOW_ID),
		ERROR_CASE("dedup_window with dedup = id", E_DEDUP_WINDOW_EXPLICIT_ID),
		ERROR_CASE("dedup_window longer than retain_done", E_DEDUP_RETAIN_SHORT),
		ERROR_CASE("default dedup_window longer than retain_done", E_DEDUP_RETAIN_DEFAULT),
		TEST(test_route_every_key),
		TEST(test_route_match_values),
		TEST(test_route_implicit),
		TEST(test_route_inherits),
		TEST(test_on_dead),
		TEST(test_route_lease),
		TEST(test_route_url),
		TEST(test_route_url_errors),
		TEST(test_route_many_errors),
		ERROR_CASE("route without source", E_ROUTE_NO_SOURCE),
		ERROR_CASE("route of an unknown source", E_ROUTE_UNKNOWN_SOURCE),
		ERROR_CASE("route without handler", E_ROUTE_NO_HANDLER),
		ERROR_CASE("route handler of blanks", E_ROUTE_HANDLER_BLANK),
		ERROR_CASE("rate 10", E_ROUTE_RATE_BARE),
		ERROR_CASE("rate 0/s", E_ROUTE_RATE_0),
		ERROR_CASE("rate 5/x", E_ROUTE_RATE_UNIT),
		ERROR_CASE("rate 1000001/h", E_ROUTE_RATE_BIG),
		ERROR_CASE("rate 5/sec", E_ROUTE_RATE_LONG_UNIT),
		ERROR_CASE("rate -5/s", E_ROUTE_RATE_NEGATIVE),
		ERROR_CASE("match without =", E_ROUTE_MATCH_NO_EQUALS),
		ERROR_CASE("match with an empty path", E_ROUTE_MATCH_NO_PATH),
		ERROR_CASE("match with an empty value", E_ROUTE_MATCH_NO_VALUE),
		ERROR_CASE("match a..b", E_ROUTE_MATCH_EMPTY_SEGMENT),
		ERROR_CASE("match a.", E_ROUTE_MATCH_TRAILING_DOT),
		ERROR_CASE("match with \\u0000", E_ROUTE_MATCH_NUL),
		ERROR_CASE("order .id", E_ROUTE_ORDER_PATH),
		ERROR_CASE("order header with a blank", E_ROUTE_ORDER_HEADER),
		ERROR_CASE("order header without a name", E_ROUTE_ORDER_HEADER_EMPTY),
		ERROR_CASE("route defined twice", E_ROUTE_TWICE),
		ERROR_CASE("route named as an implicit route", E_ROUTE_IMPLICIT_NAME),
		ERROR_CASE("route type not in the source's events", E_ROUTE_TYPE_REFUSED),
		ERROR_CASE("route events empty", E_ROUTE_EVENTS_EMPTY),
		ERROR_CASE("route key given twice", E_ROUTE_KEY_TWICE),
		ERROR_CASE("unknown key in [route]", E_ROUTE_UNKNOWN_KEY),
		ERROR_CASE("bad route name", E_ROUTE_BAD_NAME),
		ERROR_CASE("[route] without a name", E_ROUTE_NO_NAME),
		ERROR_CASE("route concurrency 0", E_ROUTE_CONCURRENCY_0),
		ERROR_CASE("route concurrency 257", E_ROUTE_CONCURRENCY_257),
		ERROR_CASE("route handler_timeout 50ms", E_ROUTE_TIMEOUT),
		ERROR_CASE("route max_attempts 1001", E_ROUTE_ATTEMPTS),
		ERROR_CASE("on_dead of blanks", E_ON_DEAD_BLANK),
		ERROR_CASE("on_dead in [source]", E_ON_DEAD_IN_SOURCE),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
