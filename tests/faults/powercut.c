/*
 * powercut.c: an LD_PRELOAD shim that keeps what a power cut would leave of
 * a SQLite database: only what was fsync'd.
 *
 *   HOOKQ_POWERCUT_DB=/abs/queue.db HOOKQ_POWERCUT_DIR=/abs/durable \
 *   LD_PRELOAD=powercut.so hookq-receiver ...
 *
 * The shim tracks the database and its -wal and -journal files (not -shm:
 * SQLite rebuilds it from the WAL). For each it keeps a durable copy in
 * HOOKQ_POWERCUT_DIR under the same name, which is the file as a machine
 * would find it after a power cut at this instant. Kill the process with
 * SIGKILL at any moment, and the copies are the disk after the cut: copy
 * them back in place of the live files (without the -shm) and open them.
 *
 * The model, which is Linux's on ext4, XFS and btrfs with a disk that
 * honours flushes:
 *  - fsync() or fdatasync() of a file, through any descriptor, makes its
 *    contents and size durable as they are when the call starts. Nothing
 *    written before or after it without a sync survives: of the writes since
 *    the last sync, none reach the durable copy (a real disk may keep some of
 *    them, torn or not; SQLite's WAL checksums are there for that, and that
 *    is not what this shim tests).
 *  - A file that exists when the process starts is durable as it is then.
 *  - A file the process creates exists after a cut only once it, or its
 *    folder, has been synced (its name is in the journal commit that the
 *    file's own fsync forces). Its folder's sync alone leaves it empty.
 *  - unlink() takes effect after a cut only once the folder is synced.
 * Writes go through open/openat (and the 64 variants), write, pwrite,
 * pwrite64, writev, pwritev, ftruncate(64), dup/dup2/dup3 and close, which
 * is everything SQLite 3.40's unix VFS uses for these files; a writable
 * shared mmap() of a tracked file, which this model cannot see, aborts.
 * rename, sync, syncfs and fcntl(F_DUPFD) are not modelled (SQLite uses
 * none of them on these files). One process at a time: the shim takes a
 * lock in HOOKQ_POWERCUT_DIR; a second process (a child that inherited
 * LD_PRELOAD) stays inert, and aborts if it opens a tracked file to write.
 *
 * Writes to a tracked file and the copy a sync makes hold one mutex, so a
 * sync copies each block as the last completed write left it. The real
 * fsync follows, so the process's timing stays the disk's.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 4096
#define MAX_FDS 65536
#define MAX_INODES 16

static const char *const SUFFIXES[] = { "", "-wal", "-journal" };
#define NNAMES (sizeof(SUFFIXES) / sizeof(SUFFIXES[0]))

/* One inode we have seen under a tracked name. */
struct inode {
	bool used;
	dev_t dev;
	ino_t ino;
	int name;                  /* index into names[] */
	bool named;                /* the durable copy of its name is this inode */
	unsigned char *dirty;      /* one bit per BLOCK written since the last sync */
	size_t dirty_bytes;
	off_t low;                 /* smallest size since the last sync, or -1 */
};

/* One tracked name: the live path and its durable copy. */
struct name {
	char live[PATH_MAX];
	char durable[PATH_MAX];
	const char *base;          /* the live path's last component */
};

static struct {
	bool on;
	bool second;               /* another process holds the lock: inert */
	char dir[PATH_MAX];        /* the database's folder */
	dev_t dir_dev;
	ino_t dir_ino;
	struct name names[NNAMES];
	struct inode inodes[MAX_INODES];
	pthread_mutex_t lock;
} pc = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* What each descriptor is: NULL, an inode, or the folder (&dir_marker). */
static struct inode *fds[MAX_FDS];
static struct inode dir_marker;

#define REAL(name) \
	static __typeof__(name) *real_##name; \
	if (real_##name == NULL) \
		real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(2, "powercut: ", 10);
	(void)!write(2, buf, (size_t)n);
	abort();
}

static struct inode *
fd_lookup(int fd)
{
	if (fd < 0 || fd >= MAX_FDS)
		return NULL;
	return __atomic_load_n(&fds[fd], __ATOMIC_ACQUIRE);
}

static void
fd_put(int fd, struct inode *in)
{
	if (fd < 0 || fd >= MAX_FDS) {
		if (in != NULL)
			die("descriptor %d is beyond the shim's table", fd);
		return;
	}
	__atomic_store_n(&fds[fd], in, __ATOMIC_RELEASE);
}

/* Copies the whole of file src (path) to dst (path), or removes dst if src is absent. */
static void
copy_file(const char *src, const char *dst)
{
	REAL(open);
	REAL(write);
	char buf[65536];
	int in, out;
	ssize_t n;

	in = real_open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		if (errno != ENOENT)
			die("%s: %s", src, strerror(errno));
		if (unlink(dst) != 0 && errno != ENOENT)
			die("%s: %s", dst, strerror(errno));
		return;
	}
	out = real_open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		die("%s: %s", dst, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (real_write(out, buf, (size_t)n) != n)
			die("%s: %s", dst, strerror(errno));
	if (n < 0)
		die("%s: %s", src, strerror(errno));
	close(in);
	close(out);
}

__attribute__((constructor)) static void
powercut_init(void)
{
	REAL(open);
	const char *db = getenv("HOOKQ_POWERCUT_DB"), *dir = getenv("HOOKQ_POWERCUT_DIR");
	char lockpath[PATH_MAX + 32];
	struct stat st;
	const char *slash;
	size_t i;
	int fd;

	if (db == NULL || dir == NULL || *db != '/' || *dir != '/')
		return;
	slash = strrchr(db, '/');
	snprintf(pc.dir, sizeof(pc.dir), "%.*s", (int)(slash - db), db);
	if (pc.dir[0] == '\0')
		snprintf(pc.dir, sizeof(pc.dir), "/");
	if (stat(pc.dir, &st) != 0)
		die("%s: %s", pc.dir, strerror(errno));
	pc.dir_dev = st.st_dev;
	pc.dir_ino = st.st_ino;
	for (i = 0; i < NNAMES; i++) {
		struct name *n = &pc.names[i];

		snprintf(n->live, sizeof(n->live), "%s%s", db, SUFFIXES[i]);
		n->base = strrchr(n->live, '/') + 1;
		snprintf(n->durable, sizeof(n->durable), "%s/%s", dir, n->base);
	}
	snprintf(lockpath, sizeof(lockpath), "%s/.powercut.lock", dir);
	fd = real_open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		die("%s: %s", lockpath, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		pc.second = true;
		return;
	}
	/* fd stays open: the lock lasts as long as the process. */
	for (i = 0; i < NNAMES; i++) {
		struct name *n = &pc.names[i];

		/* What exists now is durable as it is. */
		copy_file(n->live, n->durable);
		if (stat(n->live, &st) == 0) {
			struct inode *in = &pc.inodes[i];

			in->used = true;
			in->dev = st.st_dev;
			in->ino = st.st_ino;
			in->name = (int)i;
			in->named = true;
			in->low = -1;
		}
	}
	pc.on = true;
}

/* The tracked name of path (relative to dirfd), or -1; is_dir says it is the folder itself. */
static int
tracked_name(int dirfd, const char *path, bool *is_dir)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	struct stat st;
	size_t i;

	*is_dir = false;
	if (fstatat(dirfd, path, &st, 0) == 0 && S_ISDIR(st.st_mode)) {
		*is_dir = st.st_dev == pc.dir_dev && st.st_ino == pc.dir_ino;
		return -1;
	}
	for (i = 0; i < NNAMES; i++)
		if (strcmp(base, pc.names[i].base) == 0)
			break;
	if (i == NNAMES)
		return -1;
	if (slash == NULL)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == path)
		snprintf(parent, sizeof(parent), "/");
	else
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - path), path);
	if (fstatat(dirfd, parent, &st, 0) != 0 || st.st_dev != pc.dir_dev || st.st_ino != pc.dir_ino)
		return -1;
	return (int)i;
}

/*
 * The record of inode (dev, ino) under name, or a new one (*fresh); call with
 * the lock held. An inode number is reused once its file is gone, so a file
 * just created, or a known number under another name, gets a new record.
 */
static struct inode *
inode_find(dev_t dev, ino_t ino, int name, bool created, bool *fresh)
{
	struct inode *in = NULL;
	size_t i;

	*fresh = false;
	for (i = 0; i < MAX_INODES && in == NULL; i++)
		if (pc.inodes[i].used && pc.inodes[i].dev == dev && pc.inodes[i].ino == ino)
			in = &pc.inodes[i];
	if (in != NULL && !created && in->name == name)
		return in;
	for (i = 0; i < MAX_INODES && in == NULL; i++)
		if (!pc.inodes[i].used)
			in = &pc.inodes[i];
	if (in == NULL)
		die("more than %d inodes under the tracked names", MAX_INODES);
	free(in->dirty);
	memset(in, 0, sizeof(*in));
	in->used = true;
	in->dev = dev;
	in->ino = ino;
	in->name = name;
	in->low = -1;
	*fresh = true;
	return in;
}

/* Marks [off, off + len) written; call with the lock held. */
static void
mark(struct inode *in, off_t off, size_t len)
{
	size_t first, last, b;

	if (len == 0 || off < 0)
		return;
	first = (size_t)off / BLOCK;
	last = ((size_t)off + len - 1) / BLOCK;
	if (last / 8 + 1 > in->dirty_bytes) {
		size_t n = (last / 8 + 1) * 2;
		unsigned char *p = realloc(in->dirty, n);

		if (p == NULL)
			die("out of memory");
		memset(p + in->dirty_bytes, 0, n - in->dirty_bytes);
		in->dirty = p;
		in->dirty_bytes = n;
	}
	for (b = first; b <= last; b++)
		in->dirty[b / 8] |= (unsigned char)(1u << (b % 8));
}

/* Registers fd, just opened on path (relative to dirfd) with flags. */
static void
opened(int fd, int dirfd, const char *path, int flags, bool existed)
{
	struct inode *in;
	struct stat st;
	bool is_dir, fresh;
	int name;

	if ((!pc.on && !pc.second) || fd < 0)
		return;
	name = tracked_name(dirfd, path, &is_dir);
	if (pc.second) {
		if (name >= 0 && (flags & O_ACCMODE) != O_RDONLY)
			die("%s opened to write by a second process, which is not modelled", path);
		return;
	}
	if (is_dir) {
		fd_put(fd, &dir_marker);
		return;
	}
	if (name < 0)
		return;
	if (fstat(fd, &st) != 0)
		die("fstat %s: %s", path, strerror(errno));
	pthread_mutex_lock(&pc.lock);
	in = inode_find(st.st_dev, st.st_ino, name, !existed, &fresh);
	if (fresh) {
		if (existed) {
			/* Put there by someone else while we ran: durable as it is. */
			copy_file(pc.names[name].live, pc.names[name].durable);
			in->named = true;
		} else {
			in->named = false;
			in->low = 0;
		}
	}
	if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY)
		in->low = 0;
	fd_put(fd, in);
	pthread_mutex_unlock(&pc.lock);
}

/* Copies in's writes since the last sync into its durable copy; lock held. */
static void
snapshot(struct inode *in, int fd)
{
	REAL(open);
	REAL(pwrite64);
	REAL(ftruncate64);
	const struct name *n = &pc.names[in->name];
	char buf[BLOCK], proc[64];
	struct stat st;
	int out, src = fd;
	size_t b, blocks;

	if (fstat(fd, &st) != 0)
		die("fstat: %s", strerror(errno));
	if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		src = real_open(proc, O_RDONLY | O_CLOEXEC);
		if (src < 0)
			die("%s: %s", proc, strerror(errno));
	}
	out = real_open(n->durable, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (out < 0)
		die("%s: %s", n->durable, strerror(errno));
	if (in->low >= 0 && real_ftruncate64(out, in->low) != 0)
		die("%s: %s", n->durable, strerror(errno));
	blocks = ((size_t)st.st_size + BLOCK - 1) / BLOCK;
	for (b = 0; b < blocks && b / 8 < in->dirty_bytes; b++) {
		ssize_t got;

		if (!(in->dirty[b / 8] & (1u << (b % 8))))
			continue;
		got = pread(src, buf, BLOCK, (off_t)(b * BLOCK));
		if (got < 0)
			die("pread %s: %s", n->live, strerror(errno));
		if (got > 0 && real_pwrite64(out, buf, (size_t)got, (off_t)(b * BLOCK)) != got)
			die("%s: %s", n->durable, strerror(errno));
	}
	if (real_ftruncate64(out, st.st_size) != 0)
		die("%s: %s", n->durable, strerror(errno));
	close(out);
	if (src != fd)
		close(src);
	if (in->dirty != NULL)
		memset(in->dirty, 0, in->dirty_bytes);
	in->low = -1;
}

/* The folder was synced: its entries for the tracked names are durable as they are now. */
static void
dir_synced(void)
{
	size_t i, j;

	for (i = 0; i < NNAMES; i++) {
		struct name *n = &pc.names[i];
		struct stat st;
		struct inode *now = NULL;

		if (stat(n->live, &st) == 0)
			for (j = 0; j < MAX_INODES; j++)
				if (pc.inodes[j].used && pc.inodes[j].dev == st.st_dev &&
				    pc.inodes[j].ino == st.st_ino)
					now = &pc.inodes[j];
		for (j = 0; j < MAX_INODES; j++)
			if (pc.inodes[j].used && pc.inodes[j].name == (int)i && &pc.inodes[j] != now)
				pc.inodes[j].named = false;
		if (now == NULL) {
			if (unlink(n->durable) != 0 && errno != ENOENT)
				die("%s: %s", n->durable, strerror(errno));
		} else if (!now->named) {
			/* The name is durable, its data not yet: an empty file. */
			REAL(open);
			int out = real_open(n->durable, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

			if (out < 0)
				die("%s: %s", n->durable, strerror(errno));
			close(out);
			now->named = true;
			now->low = 0;
		}
	}
}

/* fsync/fdatasync of fd: called before the real one. */
static void
synced(int fd)
{
	struct inode *in = fd_lookup(fd);

	if (in == NULL)
		return;
	pthread_mutex_lock(&pc.lock);
	if (in == &dir_marker) {
		dir_synced();
	} else {
		struct stat st;

		if (!in->named && stat(pc.names[in->name].live, &st) == 0 &&
		    st.st_dev == in->dev && st.st_ino == in->ino) {
			/* A new file's own sync commits its name too (Linux journals it). */
			size_t j;

			for (j = 0; j < MAX_INODES; j++)
				if (pc.inodes[j].used && pc.inodes[j].name == in->name)
					pc.inodes[j].named = false;
			in->named = true;
			in->low = 0;
		}
		if (in->named)
			snapshot(in, fd);
	}
	pthread_mutex_unlock(&pc.lock);
}

/* ---- the interposed calls ---------------------------------------------------------- */

static bool
existed_before(int dirfd, const char *path, int flags)
{
	struct stat st;

	if ((!pc.on && !pc.second) || !(flags & O_CREAT))
		return true;
	return fstatat(dirfd, path, &st, 0) == 0;
}

static mode_t
open_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int
open(const char *path, int flags, ...)
{
	REAL(open);
	va_list ap;
	mode_t mode;
	bool existed = existed_before(AT_FDCWD, path, flags);
	int fd;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fd = real_open(path, flags, mode);
	opened(fd, AT_FDCWD, path, flags, existed);
	return fd;
}

int
open64(const char *path, int flags, ...)
{
	REAL(open64);
	va_list ap;
	mode_t mode;
	bool existed = existed_before(AT_FDCWD, path, flags);
	int fd;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fd = real_open64(path, flags, mode);
	opened(fd, AT_FDCWD, path, flags, existed);
	return fd;
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	REAL(openat);
	va_list ap;
	mode_t mode;
	bool existed = existed_before(dirfd, path, flags);
	int fd;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fd = real_openat(dirfd, path, flags, mode);
	opened(fd, dirfd, path, flags, existed);
	return fd;
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	REAL(openat64);
	va_list ap;
	mode_t mode;
	bool existed = existed_before(dirfd, path, flags);
	int fd;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	fd = real_openat64(dirfd, path, flags, mode);
	opened(fd, dirfd, path, flags, existed);
	return fd;
}

int
close(int fd)
{
	REAL(close);

	if (fd_lookup(fd) != NULL) {
		pthread_mutex_lock(&pc.lock);
		fd_put(fd, NULL);
		pthread_mutex_unlock(&pc.lock);
	}
	return real_close(fd);
}

static int
duplicated(int old, int fd)
{
	struct inode *in = fd_lookup(old);

	if (fd >= 0 && (in != NULL || fd_lookup(fd) != NULL)) {
		pthread_mutex_lock(&pc.lock);
		fd_put(fd, in);
		pthread_mutex_unlock(&pc.lock);
	}
	return fd;
}

int
dup(int old)
{
	REAL(dup);
	return duplicated(old, real_dup(old));
}

int
dup2(int old, int fd)
{
	REAL(dup2);
	return duplicated(old, real_dup2(old, fd));
}

int
dup3(int old, int fd, int flags)
{
	REAL(dup3);
	return duplicated(old, real_dup3(old, fd, flags));
}

/* The offset at which write() on fd writes: the end for O_APPEND. */
static off_t
write_offset(int fd)
{
	struct stat st;

	if (fcntl(fd, F_GETFL) & O_APPEND)
		return fstat(fd, &st) == 0 ? st.st_size : -1;
	return lseek(fd, 0, SEEK_CUR);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	REAL(write);
	struct inode *in = fd_lookup(fd);
	ssize_t n;
	off_t off;

	if (in == NULL || in == &dir_marker)
		return real_write(fd, buf, len);
	pthread_mutex_lock(&pc.lock);
	off = write_offset(fd);
	n = real_write(fd, buf, len);
	if (n > 0)
		mark(in, off, (size_t)n);
	pthread_mutex_unlock(&pc.lock);
	return n;
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	REAL(pwrite);
	struct inode *in = fd_lookup(fd);
	ssize_t n;

	if (in == NULL || in == &dir_marker)
		return real_pwrite(fd, buf, len, off);
	pthread_mutex_lock(&pc.lock);
	n = real_pwrite(fd, buf, len, off);
	if (n > 0)
		mark(in, off, (size_t)n);
	pthread_mutex_unlock(&pc.lock);
	return n;
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	REAL(pwrite64);
	struct inode *in = fd_lookup(fd);
	ssize_t n;

	if (in == NULL || in == &dir_marker)
		return real_pwrite64(fd, buf, len, off);
	pthread_mutex_lock(&pc.lock);
	n = real_pwrite64(fd, buf, len, off);
	if (n > 0)
		mark(in, off, (size_t)n);
	pthread_mutex_unlock(&pc.lock);
	return n;
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	REAL(writev);
	struct inode *in = fd_lookup(fd);
	ssize_t n;
	off_t off;

	if (in == NULL || in == &dir_marker)
		return real_writev(fd, iov, cnt);
	pthread_mutex_lock(&pc.lock);
	off = write_offset(fd);
	n = real_writev(fd, iov, cnt);
	if (n > 0)
		mark(in, off, (size_t)n);
	pthread_mutex_unlock(&pc.lock);
	return n;
}

ssize_t
pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	REAL(pwritev);
	struct inode *in = fd_lookup(fd);
	ssize_t n;

	if (in == NULL || in == &dir_marker)
		return real_pwritev(fd, iov, cnt, off);
	pthread_mutex_lock(&pc.lock);
	n = real_pwritev(fd, iov, cnt, off);
	if (n > 0)
		mark(in, off, (size_t)n);
	pthread_mutex_unlock(&pc.lock);
	return n;
}

static void
truncated(int fd, off_t len)
{
	struct inode *in = fd_lookup(fd);

	if (in == NULL || in == &dir_marker)
		return;
	pthread_mutex_lock(&pc.lock);
	if (in->low < 0 || len < in->low)
		in->low = len;
	pthread_mutex_unlock(&pc.lock);
}

int
ftruncate(int fd, off_t len)
{
	REAL(ftruncate);
	int rc = real_ftruncate(fd, len);

	if (rc == 0)
		truncated(fd, len);
	return rc;
}

int
ftruncate64(int fd, off_t len)
{
	REAL(ftruncate64);
	int rc = real_ftruncate64(fd, len);

	if (rc == 0)
		truncated(fd, len);
	return rc;
}

int
fsync(int fd)
{
	REAL(fsync);
	synced(fd);
	return real_fsync(fd);
}

int
fdatasync(int fd)
{
	REAL(fdatasync);
	synced(fd);
	return real_fdatasync(fd);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(mmap);
	struct inode *in = fd_lookup(fd);

	if (in != NULL && in != &dir_marker && (prot & PROT_WRITE) && (flags & MAP_SHARED))
		die("a writable shared mapping of %s is not modelled", pc.names[in->name].live);
	return real_mmap(addr, len, prot, flags, fd, off);
}

void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(mmap64);
	struct inode *in = fd_lookup(fd);

	if (in != NULL && in != &dir_marker && (prot & PROT_WRITE) && (flags & MAP_SHARED))
		die("a writable shared mapping of %s is not modelled", pc.names[in->name].live);
	return real_mmap64(addr, len, prot, flags, fd, off);
}
