/*
 * util.h: the few helpers every hookq module needs: clocks, standard fds, UTF-8 and allocation
 * that cannot fail (an allocation failure ends the process, like tmux and git:
 * every size hookq allocates is capped before it gets here).
 */
#ifndef HOOKQ_UTIL_H
#define HOOKQ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* Milliseconds since the Unix epoch (wall clock, for stored times). */
int64_t clock_wall_ms(void);
/* Microseconds from CLOCK_MONOTONIC (for durations and deadlines). */
int64_t clock_mono_us(void);

/* Makes sure fds 0, 1 and 2 are open, so no socket, pipe or database gets one of them. */
void fds_sanitize(void);

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
/* Lower-cases the ASCII letters of s in place (NULL is fine): header names are compared so. */
void str_lower(char *s);
char *xstrndup(const char *, size_t);

/* The folder of path, malloc'd: "." for a bare name, "/" for one at the root. */
char *path_folder(const char *path);

/* True when s is well-formed UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
bool utf8_valid(const unsigned char *s, size_t len);

#endif
