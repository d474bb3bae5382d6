/*
 * cli_sign.c: hookq sign. Prints a curl command that sends a test event to
 * a source, signed with the source's configured secret the way its sender
 * signs (scheme_sign(), which builds the signed content with the same code
 * verification uses), so an operator can test nginx, the receiver and the
 * worker together after a change. The command carries the signature,
 * never the secret. Ed25519 sources cannot be signed for: hookq holds only
 * the sender's public key.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"
#include "scheme.h"
#include "util.h"

/* Without base_url or --url: where run.sh's demo nginx listens. */
#define DEFAULT_BASE_URL "http://127.0.0.1:8080"
#define DEFAULT_TYPE "hookq.test"
#define MAX_TYPE 256

struct out_header {
	const char *name;
	char *value;
};

/* Writes s for a POSIX shell: as is when it is safe, else single-quoted. */
static void
shell_word(FILE *f, const char *s)
{
	const char *p;

	if (*s != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789@%_+=:,./-") == strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			fputs("'\\''", f);
		else
			fputc(*p, f);
	fputc('\'', f);
}

/* The length of segment depth of a dotted path, and where it starts (NULL: no such segment). */
static const char *
segment(const char *path, int depth, size_t *len)
{
	const char *p = path;

	while (depth-- > 0) {
		p = strchr(p, '.');
		if (p == NULL)
			return NULL;
		p++;
	}
	*len = strcspn(p, ".");
	return p;
}

/*
 * Writes an object holding each value at its dotted path (paths sharing a
 * prefix share the objects), for the fields a scheme reads from the body.
 */
static void
gen_paths(yajl_gen g, const char *const *paths, const char *const *values, size_t n, int depth)
{
	bool done[8] = { false };
	size_t i, j, len, len2;

	yajl_gen_map_open(g);
	for (i = 0; i < n; i++) {
		const char *seg = segment(paths[i], depth, &len), *sub[8], *subv[8];
		size_t nsub = 0;

		if (done[i] || seg == NULL)
			continue;
		yajl_gen_string(g, (const unsigned char *)seg, len);
		if (seg[len] == '\0') {
			cli_json_str(g, values[i]);
			continue;
		}
		for (j = i; j < n; j++) {
			const char *s2 = segment(paths[j], depth, &len2);

			if (!done[j] && s2 != NULL && len2 == len && memcmp(s2, seg, len) == 0 &&
			    s2[len2] != '\0') {
				sub[nsub] = paths[j];
				subv[nsub++] = values[j];
				done[j] = true;
			}
		}
		gen_paths(g, sub, subv, nsub, depth + 1);
	}
	yajl_gen_map_close(g);
}

/* A test body: the id and type where the scheme reads them from JSON, and a note. */
static char *
make_body(const struct scheme *s, const char *id, const char *type, size_t *len)
{
	const char *paths[3], *values[3];
	const unsigned char *buf;
	size_t n = 0, blen;
	yajl_gen g = yajl_gen_alloc(NULL);
	char *out;

	if (s->id[0].from == FIELD_FROM_JSON) {
		paths[n] = s->id[0].name;
		values[n++] = id;
	}
	if (s->type[0].from == FIELD_FROM_JSON) {
		paths[n] = s->type[0].name;
		values[n++] = type;
	}
	paths[n] = "hookq_sign";
	values[n++] = "a test event from hookq sign";
	gen_paths(g, paths, values, n, 0);
	yajl_gen_get_buf(g, &buf, &blen);
	out = xstrndup((const char *)buf, blen);
	*len = blen;
	yajl_gen_free(g);
	return out;
}

/* Reads the whole body file, up to limit bytes (more is refused). */
static char *
read_body(const char *path, size_t limit, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = xmalloc(limit + 2);
	n = fread(buf, 1, limit + 1, f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static bool
printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

int
cli_sign(struct cli *cli, int argc, char **argv)
{
	static const struct option LONG[] = {
		{ "body", required_argument, NULL, 'b' },
		{ "type", required_argument, NULL, 't' },
		{ "url", required_argument, NULL, 'u' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *body_file = NULL, *type = NULL, *url = NULL, *reason = NULL;
	const struct source *src;
	const struct scheme *s;
	const struct secret *key = NULL;
	struct out_header hdrs[8];
	size_t nh = 0, i, body_len = 0, cmd_len = 0;
	char id[64], ts[32], sig[SCHEME_SIGNATURE_MAX], *body = NULL, *url_buf = NULL;
	char *abs_body = NULL, *cmd = NULL;
	unsigned char rnd[8];
	FILE *f;
	int ch, rc, code = EXIT_OK;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
		switch (ch) {
		case 'b':
			body_file = optarg;
			break;
		case 't':
			type = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		default:
			if ((rc = cli_common_option(cli, ch)) >= 0)
				return rc;
		}
	}
	if (optind != argc - 1)
		return cli_usage(cli);
	if (type != NULL && (*type == '\0' || strlen(type) > MAX_TYPE || !printable_ascii(type))) {
		cli_error("--type: 1 to %d printable ASCII characters", MAX_TYPE);
		return EXIT_CONFIG;
	}
	if (url != NULL && !printable_ascii(url)) {
		cli_error("--url: printable ASCII only");
		return EXIT_CONFIG;
	}
	if ((rc = cli_config(cli, true)) != 0)
		return rc;
	src = config_source(cli->cfg, argv[optind]);
	if (src == NULL) {
		cli_error("no [source %s] in %s", argv[optind], cli->path);
		return EXIT_REFUSED;
	}
	s = &src->scheme;
	for (i = 0; i < src->nsecrets && key == NULL; i++)
		if (!scheme_secret_public(&src->secrets[i]))
			key = &src->secrets[i];
	if (key == NULL) {
		cli_error("source %s verifies public-key (Ed25519, ECDSA, RSA) signatures: hookq holds"
		    " only the sender's public key, so it can verify but not sign; send a test from"
		    " the sender", src->name);
		return EXIT_REFUSED;
	}
	if (body_file != NULL && type != NULL && s->type[0].from == FIELD_FROM_JSON) {
		cli_error("--type: source %s reads the type from the body's JSON (%s): set it in %s",
		    src->name, s->type[0].name, body_file);
		return EXIT_CONFIG;
	}
	if (type == NULL)
		type = src->nevents > 0 ? src->events[0] : DEFAULT_TYPE;
	randombytes_buf(rnd, sizeof(rnd));
	memcpy(id, "hookq-test-", 11);
	sodium_bin2hex(id + 11, sizeof(id) - 11, rnd, sizeof(rnd));
	if (s->ts_format == SCHEME_TS_ISO8601) {
		time_t now = (time_t)(clock_wall_ms() / 1000);
		struct tm tm;

		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	} else if (s->ts_format == SCHEME_TS_UNIX_MS)
		snprintf(ts, sizeof(ts), "%lld", (long long)clock_wall_ms());
	else
		snprintf(ts, sizeof(ts), "%lld", (long long)(clock_wall_ms() / 1000));

	if (body_file != NULL) {
		char resolved[PATH_MAX];

		body = read_body(body_file, src->max_body, &body_len);
		if (body == NULL) {
			cli_error("--body %s: %s", body_file, strerror(errno));
			return EXIT_REFUSED;
		}
		if (body_len > src->max_body) {
			cli_error("--body %s: larger than source %s's max_body (%zu bytes)", body_file,
			    src->name, src->max_body);
			free(body);
			return EXIT_REFUSED;
		}
		/* The command may run from another folder. */
		abs_body = xstrdup(realpath(body_file, resolved) != NULL ? resolved : body_file);
	} else
		body = make_body(s, id, type, &body_len);

	if (scheme_sign(s, key, ts, id, src->notification_url, (const unsigned char *)body, body_len,
	    sig, sizeof(sig), &reason) != 0) {
		cli_error("source %s: %s", src->name, reason);
		code = EXIT_REFUSED;
		goto out;
	}

	hdrs[nh].name = "Content-Type";
	hdrs[nh++].value = xstrdup("application/json");
	if (s->id[0].from == FIELD_FROM_HEADER) {
		hdrs[nh].name = s->id[0].name;
		hdrs[nh++].value = xstrdup(id);
	}
	if (s->type[0].from == FIELD_FROM_HEADER) {
		hdrs[nh].name = s->type[0].name;
		hdrs[nh++].value = xstrdup(type);
	}
	if (s->ts_header != NULL) {
		hdrs[nh].name = s->ts_header;
		hdrs[nh++].value = xstrdup(ts);
	}
	hdrs[nh].name = s->sig_header;
	hdrs[nh++].value = xstrdup(sig);
	if (url == NULL) {
		const char *base = cli->cfg->base_url != NULL ? cli->cfg->base_url : DEFAULT_BASE_URL;
		size_t n = strlen(base) + strlen("/hooks/") + strlen(src->name) + 1;

		url_buf = xmalloc(n);
		snprintf(url_buf, n, "%s/hooks/%s", base, src->name);
		url = url_buf;
		if (cli->cfg->base_url == NULL)
			cli_error("note: no base_url in [hookq] of %s: assumed %s, the demo of run.sh;"
			    " set base_url = https://HOST to the address senders use, or pass --url",
			    cli->path, DEFAULT_BASE_URL);
	}

	f = open_memstream(&cmd, &cmd_len);
	if (f == NULL) {
		cli_error("open_memstream: %s", strerror(errno));
		code = EXIT_SYSTEM;
		goto out;
	}
	fputs("curl -sS -i ", f);
	shell_word(f, url);
	for (i = 0; i < nh; i++) {
		char *h;
		size_t hn = strlen(hdrs[i].name) + strlen(hdrs[i].value) + 3;

		h = xmalloc(hn);
		snprintf(h, hn, "%s: %s", hdrs[i].name, hdrs[i].value);
		fputs(" \\\n  -H ", f);
		shell_word(f, h);
		free(h);
	}
	fputs(" \\\n  --data-binary ", f);
	if (abs_body != NULL) {
		fputc('@', f);
		shell_word(f, abs_body);
	} else {
		/* A body starting with '@' would name a file: ours is a JSON object. */
		shell_word(f, body);
	}
	fputc('\n', f);
	fclose(f);

	if (cli->json) {
		yajl_gen g = cli_json_begin();

		yajl_gen_map_open(g);
		cli_json_kstr(g, "source", src->name);
		cli_json_kstr(g, "scheme", src->scheme_name);
		cli_json_kstr(g, "url", url);
		cli_json_key(g, "headers");
		yajl_gen_map_open(g);
		for (i = 0; i < nh; i++)
			cli_json_kstr(g, hdrs[i].name, hdrs[i].value);
		yajl_gen_map_close(g);
		if (abs_body != NULL)
			cli_json_kstr(g, "body_file", abs_body);
		else
			cli_json_kstr(g, "body", body);
		cli_json_kstr(g, "event_id", s->id[0].from == FIELD_FROM_NONE ? NULL : id);
		cli_json_kstr(g, "event_type", type);
		cli_json_kstr(g, "command", cmd);
		yajl_gen_map_close(g);
		cli_json_end(g);
	} else
		fputs(cmd, stdout);

	/* Notes for the operator, on stderr so stdout stays a command. */
	if (s->ts_header != NULL || s->ts_item != NULL)
		cli_error("note: the signature's timestamp is valid for %d s (tolerance)",
		    src->tolerance);
	if (!config_type_allowed(src, type))
		cli_error("note: type %s is not in source %s's events: the receiver answers 200"
		    " ignored and stores nothing", type, src->name);
	if (body_file != NULL && s->id[0].from != FIELD_FROM_HEADER)
		cli_error("note: the event id comes from the body: sending the same body again"
		    " answers duplicate");
out:
	for (i = 0; i < nh; i++)
		free(hdrs[i].value);
	free(body);
	free(abs_body);
	free(url_buf);
	free(cmd);
	return code;
}
