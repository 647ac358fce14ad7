/* util.h - small helpers shared by the daemon and the tools
 * SPDX-License-Identifier: MIT
 */
#ifndef OSHIRASE_UTIL_H
#define OSHIRASE_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit statuses (README, "Exit statuses"; the values of sysexits.h). */
#define EXIT_CHECK_FAILED 1
#define EXIT_USAGE 2
#define EXIT_DATAERR 65
#define EXIT_NOINPUT 66
#define EXIT_UNAVAILABLE 69
#define EXIT_SOFTWARE 70
#define EXIT_CANTCREAT 73
#define EXIT_IOERR 74
#define EXIT_TEMPFAIL 75
#define EXIT_CONFIG 78

#define OSHIRASE_VERSION "0.1.0"

/* Allocation that exits with status 70 on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* How the library modules start a thread: pthread_create, unless a test
 * puts a function in its place to see a thread fail to start (a seam for
 * tests only; set it before any thread runs). */
extern int (*util_thread_create)(pthread_t *thread, const pthread_attr_t *attr,
    void *(*start)(void *), void *arg);

/* Lowercase hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* Decode exactly 2n hex digits (either case) into n bytes: 0 or -1. */
int hex_decode(const char *in, size_t inlen, uint8_t *out, size_t n);
/* The value of a hex digit (either case), or -1. */
int util_hexval(int c);

/* 1 if the n bytes are well-formed UTF-8 (no overlongs, no surrogates, no
 * code points above U+10FFFF). */
int utf8_valid(const uint8_t *s, size_t n);

/*
 * Secret files.  secret_open opens path for reading as every key and
 * credential file is opened: never blocking (a FIFO or a device named as
 * a key is refused, not waited on), a regular file only, and, if private
 * (a secret), not through a symbolic link (O_NOFOLLOW: name the file
 * itself) and with no access for group or others (any of mode 077).
 * Returns an open descriptor, or a negative code with err set ("PATH:
 * why", the mode named when it is too open):
 *   -errno          it cannot be opened (-ENOENT, -EACCES; -ELOOP: a
 *                   symbolic link, private only) or examined
 *   SECRET_ENOTREG  not a regular file (a directory, a FIFO, a device)
 *   SECRET_EMODE    private, and group or others may read or write it
 *
 * A 32-byte secret kept in a file as 64 hex digits and a newline, mode 0600.
 * secret_write creates the file with O_EXCL: returns 0, -EEXIST if it
 * exists, or another -errno.  secret_load opens the file with
 * secret_open(path, 1), puts the key in a sodium_malloc'ed buffer of 32
 * bytes (free with sodium_free) and returns 0 and *out, or a negative
 * code (*out NULL) with err set as above:
 *   secret_open's codes, and -errno of read(2) (-EIO)
 *   SECRET_EFORMAT  it does not hold 64 hex digits and a newline
 *   SECRET_ENOMEM   sodium_malloc failed
 * secret_read is secret_load without the message.  secret_exit says the
 * exit status a program gives for a code: 66 (EXIT_NOINPUT) for a file
 * that cannot be opened, 78 (EXIT_CONFIG) for one that is not a private
 * regular file (too open, a symbolic link, a FIFO, a directory), 74
 * (EXIT_IOERR) for one that cannot be read, 65 and 70 for the others.
 * secret_strerror says what a code means ("PATH: " and it make a message).
 */
#define SECRET_LEN 32
#define SECRET_EFORMAT (-1500)
#define SECRET_ENOMEM (-1501)
#define SECRET_EMODE (-1502)
#define SECRET_ENOTREG (-1503)
int secret_open(const char *path, int private, char *err, size_t errlen);
int secret_write(const char *path, const uint8_t *key, size_t len);

/* Create path, which must not exist (O_EXCL), with mode, holding the n
 * bytes of buf (n may be 0), synced to disk.  Returns 0 or -errno; a file
 * that could not be written whole is removed again. */
int file_write_new(const char *path, mode_t mode, const void *buf, size_t n);
int secret_load(const char *path, uint8_t **out, char *err, size_t errlen);
int secret_read(const char *path, uint8_t **out);
int secret_exit(int code);
const char *secret_strerror(int code);

/* Read a whole file into a malloc'ed buffer (NUL-terminated, *len without
 * the NUL).  NULL and errno set on failure. */
char *file_read_all(const char *path, size_t *len);
/*
 * Read a small file, opened with secret_open(path, private), into buf
 * (cap bytes: at most cap - 1 of it, then a NUL; *len without it).  A
 * private file's buf is the caller's locked memory.  Returns 0, -ENOENT
 * for a missing file, or -1 for every other failure; both with err set
 * (secret_open's messages, the errno text of a read, "longer than N
 * bytes").
 */
int file_read_small(const char *path, int private, char *buf, size_t cap,
    size_t *len, char *err, size_t errlen);

/*
 * Make this process keep no core dump: RLIMIT_CORE 0 (soft and hard) and
 * not dumpable (PR_SET_DUMPABLE 0, which also keeps other processes of
 * the same user from reading its memory through /proc or ptrace).  Every
 * program calls it first: they hold tokens, keys and residents' data.
 * Returns 0 or -errno (the programs exit 70).
 */
/* A failpoint for the tests: with OSHIRASE_FAILPOINT=NAME:N in the
 * environment, 1 the Nth time the point NAME is passed, else 0.  The
 * caller then fails as the point says (dies as kill -9 would, or fails a
 * commit).  Unset, it costs one getenv per call. */
int util_failpoint(const char *name);

int util_nodump(void);

/* Little-endian integers of n (1..8) bytes, as the record formats use,
 * and big-endian ones, as the wire frames and tokens do. */
void util_le_put(uint8_t *p, uint64_t v, unsigned n);
uint64_t util_le_get(const uint8_t *p, unsigned n);
void util_be_put(uint8_t *p, uint64_t v, unsigned n);
uint64_t util_be_get(const uint8_t *p, unsigned n);

/* UUIDs: 16 random bytes with the version 4 and variant bits set; the
 * canonical lowercase 8-4-4-4-12 text of one (37 bytes with the NUL). */
#define UTIL_UUID_TEXT 37
void util_uuid4(uint8_t u[16]);
void util_uuid_text(const uint8_t u[16], char out[UTIL_UUID_TEXT]);
/* Parse the canonical lowercase text of a UUID (exactly 36 characters, s
 * NUL-terminated) into u (may be NULL to only check).  0 or -1. */
int util_uuid_parse(const char *s, uint8_t u[16]);

/* UTF-16 code units of n bytes of well-formed UTF-8: one per character,
 * two for a character of four bytes (a surrogate pair), as LINE counts
 * text lengths. */
size_t util_utf16_units(const char *s, size_t n);

/* Monotonic seconds, for progress and benchmarks. */
double util_now(void);

/* Tell systemd msg ("READY=1", "STOPPING=1") on $NOTIFY_SOCKET, as
 * sd_notify does, for the roles that do not link libsystemd; nothing if
 * it is not set or cannot be reached. */
void util_notify(const char *msg);

#endif

/*
 * Sort n entries by a 64-bit key (LSD radix sort, 8 passes of 8 bits;
 * stable, so equal keys keep their order).  tmp must hold n entries.
 * Used to order store keys by their first 8 bytes (util_key_prefix) and
 * settle ties with a full comparison afterwards.
 */
struct sort_ent {
	uint64_t key;
	uint32_t idx;
};
void util_radix_sort(struct sort_ent *a, struct sort_ent *tmp, size_t n);
/* The first 8 bytes of p as a big-endian integer: orders like memcmp. */
uint64_t util_key_prefix(const uint8_t *p);
/*
 * The order of n records (stride bytes apart from base) by the key_len
 * bytes at key_off in each, as memcmp orders them; equal keys keep their
 * order (records in file order stay so).  For keys whose first 8 bytes are
 * spread out (pseudonyms): a radix sort on them, then an insertion sort of
 * each run of equal prefixes.  key_len must be at least 8.  Returns a
 * malloc'ed array of n indexes.
 */
uint32_t *util_order_keys(const void *base, size_t stride, size_t n,
    size_t key_off, size_t key_len);
