/*
 * handler.c: running one handler process.
 *
 * Everything the child needs (the program path, argv, the environment) is
 * built before vfork(), so the child only wires its file descriptors and
 * signals and calls execve(). PR_SET_PDEATHSIG ends the handler with a
 * worker that is killed, so its row's next claim does not run beside it.
 */
#include "autoconf.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handler.h"
#include "log.h"
#include "util.h"

extern char **environ;

char *
handler_find_program(const char *argv0)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(argv0, '/') != NULL)
		return xstrdup(argv0);
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0'; p += *p == ':') {
		size_t n = strcspn(p, ":"), len = (n ? n : 1) + 1 + strlen(argv0) + 1;
		char *cand = xmalloc(len);

		struct stat sb;

		snprintf(cand, len, "%.*s/%s", (int)(n ? n : 1), n ? p : ".", argv0);
		/* As execvp(3): a folder or other file with x bits is passed over. */
		if (access(cand, X_OK) == 0 && stat(cand, &sb) == 0 && S_ISREG(sb.st_mode))
			return cand;
		free(cand);
		p += n;
	}
	return NULL;
}

static char *
env_entry(const char *name, const char *value)
{
	size_t n = strlen(name) + 1 + strlen(value) + 1;
	char *e = xmalloc(n);

	snprintf(e, n, "%s=%s", name, value);
	return e;
}

/*
 * The worker's environment without HOOKQ_* and NOTIFY_SOCKET (systemd's
 * notifications are the worker's to send, not a handler's), with room for
 * extra more entries; *n says where they go.
 */
static char **
env_base(size_t extra, size_t *n)
{
	char **env;
	size_t i;

	for (i = 0; environ[i] != NULL; i++)
		;
	env = xcalloc(i + extra + 1, sizeof(char *));
	*n = 0;
	for (i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], "HOOKQ_", 6) != 0 &&
		    strncmp(environ[i], "NOTIFY_SOCKET=", 14) != 0)
			env[(*n)++] = xstrdup(environ[i]);
	return env;
}

char **
handler_env_with(const char *const names[], const char *const values[], size_t count)
{
	size_t n, i;
	char **env = env_base(count, &n);

	for (i = 0; i < count; i++)
		env[n++] = env_entry(names[i], values[i]);
	env[n] = NULL;
	return env;
}

/* env_base(), then the event's metadata. */
static char **
handler_env(const struct store_job *job, const char *last_error)
{
	char num[32], **env;
	size_t n;

	env = env_base(9, &n);
	env[n++] = env_entry("HOOKQ_SOURCE", job->source);
	env[n++] = env_entry("HOOKQ_ROUTE", job->route);
	env[n++] = env_entry("HOOKQ_EVENT_ID", job->event_id);
	env[n++] = env_entry("HOOKQ_EVENT_TYPE", job->event_type ? job->event_type : "");
	snprintf(num, sizeof(num), "%d", job->attempt);
	env[n++] = env_entry("HOOKQ_ATTEMPT", num);
	snprintf(num, sizeof(num), "%lld", (long long)job->event);
	env[n++] = env_entry("HOOKQ_ROW_ID", num);
	snprintf(num, sizeof(num), "%lld", (long long)job->id);
	env[n++] = env_entry("HOOKQ_DELIVERY_ID", num);
	env[n++] = env_entry("HOOKQ_HEADERS", job->headers ? job->headers : "{}");
	if (last_error != NULL)
		env[n++] = env_entry("HOOKQ_LAST_ERROR", last_error);
	env[n] = NULL;
	return env;
}

void
handler_env_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* The body in a sealed memory file, read from offset 0: the handler's stdin. */
static int
body_file(const struct store_job *job)
{
	const char *p = job->body;
	size_t left = job->body_len;
	int fd = memfd_create("hookq-body", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	while (left > 0) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	/* Sealed, a handler cannot change what a retry of the same row would read. */
	(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	if (lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes "hookq-worker: cannot run WHAT: WHY" to fd 2 with plain write()s. */
static void
child_say(const char *what, const char *why)
{
	const char *parts[] = { "hookq-worker: cannot run ", what, ": ", why, "\n" };
	size_t i;

	for (i = 0; i < nitems(parts); i++)
		if (write(2, parts[i], strlen(parts[i])) < 0)
			return;
}

/*
 * In the vfork() child, which shares the worker's memory until execve():
 * only system calls that change the child's own state (its signal mask and
 * dispositions, process group, descriptors), then execve() or _exit().
 */
static void __attribute__((noreturn))
child(const char *program, char *const argv[], char *const env[], int in, int out, int err,
    pid_t parent)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	if (program == NULL) {
		child_say(argv[0], "not found in PATH");
		_exit(127);
	}
	execve(program, argv, env);
	child_say(program, strerror(errno));
	_exit(127);
}

/*
 * vfork(): no copy of the worker's page tables to make and then fault in,
 * which on small VMs costs more than the exec itself. Its own function, so
 * nothing the child could clobber is used after it returns.
 */
static pid_t
spawn(const char *program, char *const argv[], char *const env[], int in, int out, int err)
{
	pid_t parent = getpid(), pid;

	pid = vfork();
	if (pid == 0)
		child(program, argv, env, in, out, err, parent);
	return pid;
}

pid_t
handler_spawn(char *const argv[], char *const env[], int in, int out, int err)
{
	char *program = handler_find_program(argv[0]);
	pid_t pid = spawn(program, argv, env, in, out, err);
	int e = errno;

	free(program);
	errno = e;
	return pid;
}

int
handler_start(struct handler *h, char *const argv[], const struct store_job *job,
    int64_t timeout_ms, const char *last_error, char **cause)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, in = -1, e;
	char *program = NULL, **env = NULL;

	memset(h, 0, sizeof(*h));
	h->out.fd = h->err.fd = -1;
	/* Route and delivery first, so "source=S row=N attempt=A" reads as before routes. */
	snprintf(h->label, sizeof(h->label), "%sroute=%s delivery=%lld source=%s row=%lld attempt=%d",
	    last_error != NULL ? "on_dead " : "", job->route, (long long)job->id, job->source,
	    (long long)job->event, job->attempt);
	if ((in = body_file(job)) < 0 || pipe2(outp, O_CLOEXEC) != 0 ||
	    pipe2(errp, O_CLOEXEC) != 0)
		goto fail;
	program = handler_find_program(argv[0]);
	env = handler_env(job, last_error);
	h->pid = spawn(program, argv, env, in, outp[1], errp[1]);
	if (h->pid < 0)
		goto fail;
	/* vfork() returns once the child has exec'd: its setpgid() has been done. */
	h->started_us = clock_mono_us();
	h->term_at_us = h->started_us + timeout_ms * 1000;
	close(in);
	close(outp[1]);
	close(errp[1]);
	h->out.fd = outp[0];
	h->err.fd = errp[0];
	(void)fcntl(h->out.fd, F_SETFL, O_NONBLOCK);
	(void)fcntl(h->err.fd, F_SETFL, O_NONBLOCK);
	free(program);
	handler_env_free(env);
	return 0;
fail:
	e = errno;
	*cause = xmalloc(256);
	snprintf(*cause, 256, "cannot start the handler: %s", strerror(e));
	if (in >= 0)
		close(in);
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	free(program);
	handler_env_free(env);
	h->pid = 0;
	return -1;
}

/* Logs the line so far from stream s. */
static void
flush_line(struct handler *h, struct handler_stream *s)
{
	char q[HANDLER_LINE_MAX * 4 + 8];

	if (s->len == 0)
		return;
	log_info("%s %s: %s", h->label, s == &h->out ? "stdout" : "stderr",
	    log_quote(q, sizeof(q), s->line, s->len));
	s->len = 0;
}

/* Keeps the last HANDLER_ERR_TAIL bytes of stderr. */
static void
keep_tail(struct handler *h, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h->tail[h->tail_pos] = p[i];
		h->tail_pos = (h->tail_pos + 1) % sizeof(h->tail);
		if (h->tail_len < sizeof(h->tail))
			h->tail_len++;
	}
}

void
handler_read(struct handler *h, int fd)
{
	struct handler_stream *s = fd == h->out.fd ? &h->out : &h->err;
	char buf[8192];

	if (s->fd < 0)
		return;
	for (;;) {
		ssize_t n = read(s->fd, buf, sizeof(buf)), i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		if (s == &h->err)
			keep_tail(h, buf, (size_t)n);
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				flush_line(h, s);
				continue;
			}
			if (s->len == sizeof(s->line))
				flush_line(h, s);
			s->line[s->len++] = buf[i];
		}
	}
	flush_line(h, s);
	close(s->fd);
	s->fd = -1;
}

void
handler_reaped(struct handler *h, int status)
{
	pid_t group = h->pid;

	h->status = status;
	h->pid = 0;
	/* Children it left behind may hold the pipes open: read what is there, then let go. */
	handler_read(h, h->out.fd);
	handler_read(h, h->err.fd);
	flush_line(h, &h->out);
	flush_line(h, &h->err);
	if (h->out.fd >= 0)
		close(h->out.fd);
	if (h->err.fd >= 0)
		close(h->err.fd);
	h->out.fd = h->err.fd = -1;
	/* A handler stopped for its timeout or the shutdown takes its whole group with it. */
	if (h->timed_out || h->stopped)
		(void)kill(-group, SIGKILL);
}

int64_t
handler_tick(struct handler *h, int64_t now_us)
{
	if (h->pid == 0)
		return 0;
	if (h->term_at_us != 0 && now_us >= h->term_at_us) {
		h->timed_out = !h->stopped;
		(void)kill(-h->pid, SIGTERM);
		h->term_at_us = 0;
		h->kill_at_us = now_us + HANDLER_KILL_GRACE_MS * 1000LL;
	}
	if (h->kill_at_us != 0 && now_us >= h->kill_at_us) {
		(void)kill(-h->pid, SIGKILL);
		h->kill_at_us = 0;
	}
	return h->term_at_us != 0 ? h->term_at_us : h->kill_at_us;
}

void
handler_stop(struct handler *h, int64_t now_us)
{
	if (h->pid == 0 || h->timed_out || h->stopped)
		return;
	h->stopped = true;
	h->term_at_us = now_us;
	(void)handler_tick(h, now_us);
}

bool
handler_succeeded(const struct handler *h)
{
	return !h->timed_out && WIFEXITED(h->status) && WEXITSTATUS(h->status) == 0;
}

const char *
handler_outcome(const struct handler *h, char *buf, size_t size)
{
	if (h->timed_out)
		snprintf(buf, size, "timeout");
	else if (WIFEXITED(h->status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(h->status));
	else if (WIFSIGNALED(h->status))
		snprintf(buf, size, "signal %d", WTERMSIG(h->status));
	else
		snprintf(buf, size, "status %d", h->status);
	return buf;
}

char *
handler_failure(const struct handler *h, int64_t timeout_ms)
{
	char what[128];

	if (h->timed_out)
		snprintf(what, sizeof(what), "timed out after %lld.%03llds and was killed",
		    (long long)(timeout_ms / 1000), (long long)(timeout_ms % 1000));
	else if (h->stopped)
		snprintf(what, sizeof(what), "stopped by the worker's shutdown");
	else if (WIFEXITED(h->status))
		snprintf(what, sizeof(what), "exit status %d", WEXITSTATUS(h->status));
	else if (WIFSIGNALED(h->status))
		snprintf(what, sizeof(what), "killed by signal %d (%s)", WTERMSIG(h->status),
		    strsignal(WTERMSIG(h->status)));
	else
		snprintf(what, sizeof(what), "wait status %d", h->status);
	return handler_tail_text(h, what);
}

char *
handler_tail_text(const struct handler *h, const char *what)
{
	size_t start = (h->tail_pos + sizeof(h->tail) - h->tail_len) % sizeof(h->tail);
	size_t skip = 0, n, i, off;
	char *text;

	/* A tail cut inside a UTF-8 character starts at the next whole one. */
	if (h->tail_len == sizeof(h->tail))
		while (skip < 3 && ((unsigned char)h->tail[(start + skip) % sizeof(h->tail)] & 0xc0) == 0x80)
			skip++;
	n = h->tail_len - skip;
	off = strlen(what);
	text = xmalloc(off + 1 + n + 1);
	memcpy(text, what, off);
	if (n > 0)
		text[off++] = '\n';
	for (i = 0; i < n; i++) {
		char c = h->tail[(start + skip + i) % sizeof(h->tail)];

		/* last_error is text: a NUL would end it there. */
		text[off++] = c == '\0' ? '?' : c;
	}
	text[off] = '\0';
	return text;
}
