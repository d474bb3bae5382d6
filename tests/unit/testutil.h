/*
 * testutil.h: helpers shared by hookq's cmocka unit tests: files, temp
 * folders, hex, and the JSON vector files under tests/vectors/.
 */
#ifndef HOOKQ_TESTUTIL_H
#define HOOKQ_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

/* Reads a whole file (NUL-terminated too); fails the test if it cannot. */
char *tu_read_file(const char *path, size_t *len);
/* Writes data to path, creating or truncating it, with the given mode. */
void tu_write_file(const char *path, const void *data, size_t len, int mode);
/* A fresh temp folder (malloc'd path) and its removal with everything in it. */
char *tu_tmpdir(void);
void tu_rmtree(const char *path);
/* malloc'd "dir/name". */
char *tu_path(const char *dir, const char *name);

/* The path of a vector file: $HOOKQ_VECTORS/name, else tests/vectors/name. */
char *tu_vector_path(const char *name);
/* Parses a vector file; the caller frees it with yajl_tree_free(). */
yajl_val tu_load_json(const char *name);
/* obj[key] as a string, or NULL. */
const char *tu_str(yajl_val obj, const char *key);
/* obj[key] as an integer, or def. */
long long tu_int(yajl_val obj, const char *key, long long def);

/* Decodes hex into out; returns the byte count (fails the test on bad hex). */
size_t tu_unhex(unsigned char *out, size_t cap, const char *hex);

#endif
