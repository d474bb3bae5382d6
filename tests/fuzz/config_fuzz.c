/*
 * config_fuzz.c: libFuzzer harness for config loading (config_load(),
 * src/config.c, through inih): any file either loads into a config that
 * holds what config.h promises or is refused with "FILE:LINE: message"
 * lines, and never ends the process (config_load() reports; only the
 * programs' main() calls fatal()).
 *
 * The input is the config file. It is written into a temp folder that also
 * holds secret files of every key format (raw.secret, whsec.secret,
 * whpk.secret, ed25519.secret, and bad, empty, overfull and oversized ones), which
 * relative secret_file paths name. An input whose secret_file line holds a
 * '/' is skipped: the loader would read whatever file it names (a FIFO, a
 * device), and that is the operator's to choose, not the fuzzer's.
 * Each source loaded also verifies one request, so the scheme rows the
 * generic keys build are used as the receiver would use them; each route
 * holds what config.h promises of it.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fields.h"
#include "fuzz.h"
#include "headers.h"
#include "scheme.h"
#include "util.h"

static char DIR_[64];
static char PATH_[128];

static const struct {
	const char *name;
	const char *text;
} SECRET_FILES[] = {
	{ "raw.secret", "fuzz-raw-secret\nfuzz-raw-secret-rotated\n" },
	{ "whsec.secret", "whsec_ZnV6eiB3aHNlYyBzZWNyZXQ=\r\n" },
	{ "whpk.secret", "whpk_EY8zi/Rs3A9IM9a5AZOSEpZiHyBE99t8bM8acpAFOjE=\n" },
	{ "ed25519.secret", "118f338bf46cdc0f4833d6b90193921296621f2044f7db7c6ccf1a7290053a31\n" },
	{ "bad.secret", "whsec_!!!not base64\n" },
	{ "empty.secret", "\n\n" },
	{ "many.secret", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n" },
	{ "long.secret", NULL },  /* a line longer than SCHEME_SECRET_MAX */
	{ "huge.secret", NULL },  /* more than the loader reads of a secret file */
};

/* Writes a whole file; a failure is the harness's, so it aborts. */
static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	FUZZ_CHECK(f != NULL, path);
	FUZZ_CHECK(fwrite(data, 1, len, f) == len && fclose(f) == 0, path);
}

/* Removes the temp folder at exit (libFuzzer exits through exit() when its time is up). */
static void
cleanup(void)
{
	char path[256];
	size_t i;

	for (i = 0; i < nitems(SECRET_FILES); i++) {
		snprintf(path, sizeof(path), "%s/%s", DIR_, SECRET_FILES[i].name);
		unlink(path);
	}
	unlink(PATH_);
	rmdir(DIR_);
}

/* Makes the temp folder and its secret files, once. */
static void
init(void)
{
	const char *tmp = getenv("TMPDIR");
	char path[256];
	size_t i;

	FUZZ_CHECK(scheme_init() == 0, "sodium_init");
	snprintf(DIR_, sizeof(DIR_), "%s/hookq-fuzz-XXXXXX", tmp != NULL && strlen(tmp) < 40 ?
	    tmp : "/tmp");
	FUZZ_CHECK(mkdtemp(DIR_) != NULL, DIR_);
	snprintf(PATH_, sizeof(PATH_), "%s/hookq.conf", DIR_);
	for (i = 0; i < nitems(SECRET_FILES); i++) {
		const char *text = SECRET_FILES[i].text;
		size_t len = text != NULL ? strlen(text) :
		    strcmp(SECRET_FILES[i].name, "long.secret") == 0 ? SCHEME_SECRET_MAX + 1 :
		    SCHEME_MAX_SECRETS * (SCHEME_SECRET_MAX + 2) + 1;
		char *big = NULL;

		if (text == NULL) {
			big = xmalloc(len);
			memset(big, 'k', len);
			text = big;
		}
		snprintf(path, sizeof(path), "%s/%s", DIR_, SECRET_FILES[i].name);
		write_file(path, text, len);
		free(big);
	}
	atexit(cleanup);
}

/* True when a line that may set secret_file names a path with a folder in it. */
static bool
names_other_files(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	const char *line;
	size_t len;

	while (fuzz_line(&p, end, &line, &len)) {
		size_t blank = 0;

		while (blank < len && (line[blank] == ' ' || line[blank] == '\t'))
			blank++;
		if (blank < len && (line[blank] == ';' || line[blank] == '#'))
			continue; /* a comment line: the loader skips it */
		if (memmem(line, len, "secret_file", 11) != NULL && memchr(line, '/', len) != NULL)
			return true;
	}
	return false;
}

/* Every line of a refusal names the file: "FILE:LINE: message" or "FILE: message". */
static void
check_cause(const char *cause)
{
	size_t plen = strlen(PATH_);
	const char *p = cause;

	FUZZ_CHECK(cause != NULL && *cause != '\0', "a refusal without a cause");
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');

		FUZZ_CHECK(nl != NULL, "a cause line without its newline");
		FUZZ_CHECK(strncmp(p, PATH_, plen) == 0 && p[plen] == ':',
		    "a cause line that does not start with the file's name");
		p = nl + 1;
	}
}

/* A loaded source verifies a request without crashing, whatever its scheme row. */
static void
verify_one(const struct source *src)
{
	struct scheme_params params = { src->secrets, src->nsecrets, src->tolerance,
	    src->notification_url };
	static const unsigned char BODY[] = "{\"id\":\"1\",\"type\":\"t\"}";
	const char *reason = NULL;
	struct headers h;
	struct fields f;
	size_t matched;

	headers_init(&h);
	if (src->scheme.sig_header != NULL)
		headers_add(&h, src->scheme.sig_header, "sha256=00 v1=00,t=1700000000");
	fields_init(&f, &src->scheme, &h, BODY, sizeof(BODY) - 1, NULL);
	if (scheme_verify(&src->scheme, &params, &f, 1700000000, &matched, &reason) == 0)
		FUZZ_CHECK(matched < src->nsecrets, "verified under no secret");
	else
		FUZZ_CHECK(reason != NULL, "refused without a reason");
	fields_clear(&f);
	headers_clear(&h);
}

/* What config.h promises of a loaded config. */
static void
check_config(const struct config *cfg)
{
	size_t i;

	/* No source is a valid config (the Debian package ships one): 404 for every path. */
	FUZZ_CHECK(cfg->database != NULL, "a config without a database");
	FUZZ_CHECK(cfg->listen_mode >= 0 && cfg->listen_mode <= 0777, "listen_mode out of range");
	FUZZ_CHECK(cfg->listen != NULL || (cfg->listen_owner == NULL && cfg->listen_group == NULL),
	    "listen_owner or listen_group without listen");
	FUZZ_CHECK((cfg->listen_owner == NULL) == (cfg->listen_uid == -1) ||
	    cfg->listen == NULL, "listen_owner not resolved");
	FUZZ_CHECK((cfg->listen_group == NULL) == (cfg->listen_gid == -1) ||
	    cfg->listen == NULL, "listen_group not resolved");
	FUZZ_CHECK(cfg->threads >= 1 && cfg->concurrency >= 1 && cfg->lease > 0,
	    "a config value out of its range");
	for (i = 0; i < cfg->nsources; i++) {
		const struct source *src = &cfg->sources[i];

		FUZZ_CHECK(config_source(cfg, src->name) == src, "config_source");
		FUZZ_CHECK(src->nsecrets >= 1 && src->nsecrets <= SCHEME_MAX_SECRETS,
		    "a source with no secret or too many");
		FUZZ_CHECK(src->scheme.name != NULL && src->scheme.signed_content != NULL,
		    "a source without a scheme row");
		FUZZ_CHECK(src->scheme.sig_header != NULL ||
		    src->scheme.sig_body[0].from != FIELD_FROM_NONE, "a scheme without a signature");
		FUZZ_CHECK(src->max_body >= 1 && src->max_body <= 64 * 1024 * 1024,
		    "max_body out of range");
		FUZZ_CHECK(src->tolerance > 0 && src->max_attempts > 0, "a source value out of range");
		FUZZ_CHECK(src->events_raw == NULL || src->nevents > 0, "an empty allow-list");
		FUZZ_CHECK(src->handler == NULL ||
		    (src->handler_argv != NULL && src->handler_argv[0] != NULL), "an empty handler");
		FUZZ_CHECK(src->handler_argv == NULL || cfg->lease >= src->handler_timeout,
		    "a lease shorter than a handler's timeout");
		FUZZ_CHECK(config_key_line(src, "scheme") >= src->line, "config_key_line");
		FUZZ_CHECK(src->dedup == DEDUP_ID ? src->dedup_window == 0 :
		    src->dedup_window > 0 && (cfg->retain_done == 0 ||
		    cfg->retain_done >= src->dedup_window), "dedup_window against retain_done");
		verify_one(src);
	}
	for (i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];
		const struct source *src = config_source(cfg, r->source);
		size_t j;

		FUZZ_CHECK(config_route(cfg, r->name) == r, "config_route");
		FUZZ_CHECK(src != NULL, "a route of no source");
		FUZZ_CHECK(r->implicit == (src->handler != NULL && strcmp(r->name, src->name) == 0),
		    "an implicit route that is not a source's handler");
		FUZZ_CHECK(i == 0 || !r->implicit || cfg->routes[i - 1].implicit,
		    "an implicit route after a [route]");
		FUZZ_CHECK(r->handler_argv != NULL && r->handler_argv[0] != NULL,
		    "a route without a handler");
		FUZZ_CHECK(r->handler_timeout > 0 && r->max_attempts > 0 && r->backoff_base > 0 &&
		    r->backoff_max > 0, "a route value out of range");
		FUZZ_CHECK(cfg->lease >= r->handler_timeout, "a lease shorter than a route's timeout");
		FUZZ_CHECK(r->concurrency >= 0 && r->concurrency <= 256, "route concurrency");
		FUZZ_CHECK(r->rate == 0 ? r->rate_period == 0 : r->rate <= 1000000 &&
		    (r->rate_period == 1000 || r->rate_period == 60000 || r->rate_period == 3600000),
		    "a route rate out of range");
		FUZZ_CHECK(r->order == NULL || r->order_header == NULL, "two order keys");
		for (j = 0; j < r->nevents; j++)
			FUZZ_CHECK(config_type_allowed(src, r->events[j]), "a route type the source refuses");
		for (j = 0; j < r->nmatch; j++)
			FUZZ_CHECK(r->match[j].path[0] != '\0' && r->match[j].value != NULL &&
			    r->match[j].kind >= MATCH_STRING && r->match[j].kind <= MATCH_NULL,
			    "a match without a path or value");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct config *cfg;
	char *cause = NULL;

	if (!ready) {
		init();
		ready = true;
	}
	if (names_other_files(data, size))
		return 0;
	write_file(PATH_, data, size);
	cfg = config_load(PATH_, &cause);
	/* HOOKQ_FUZZ_DEBUG=1: what each input came to, to see what a seed reaches. */
	if (getenv("HOOKQ_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "config_fuzz: %s%zu sources\n", cfg == NULL ? cause : "loaded: ",
		    cfg != NULL ? cfg->nsources : 0);
	if (cfg == NULL) {
		check_cause(cause);
		free(cause);
		return 0;
	}
	FUZZ_CHECK(cause == NULL, "a cause with a loaded config");
	check_config(cfg);
	config_free(cfg);
	return 0;
}
