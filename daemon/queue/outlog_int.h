/* outlog_int.h - what the sealed log writer's files share (not for the
 * rest of the queue: they see outlog.h and an opaque struct outlog)
 * SPDX-License-Identifier: MIT
 *
 * The writer is a file per phase:
 *   outlog.c       a new log's keys and files (outlog_init), and the
 *                  writer's steady state: appending records, the buffer,
 *                  syncing log.bin and the state, checkpoints, a store
 *                  transaction's mark, write and rollback, the tick and
 *                  the close; the log directory's files opened safely;
 *   outlog_open.c  opening a log (outlog_open, outlog_check): the keys,
 *                  the state, the header, the records past the state
 *                  taken in, the last checkpoint, the state checked
 *                  against it (log.bin hashed again if need be), what a
 *                  crash left repaired; outlog_exit_status.
 * Neither keeps anything of its own: all is in struct outlog.
 */
#ifndef OSHIRASE_OUTLOG_INT_H
#define OSHIRASE_OUTLOG_INT_H

#include "outlog.h"
#include "merkle.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#define BATCH 256		/* records buffered before a write */
#define PATH_CAP 1100

/* The state file's layout (outlog.h). */
#define STATE_MAGIC "OSSTATE1"
#define STATE_FIXED (8 + 8 + 32 + 32 + 32 + 4)
#define STATE_LEN (STATE_FIXED + MERKLE_STATE_MAX)

/* Seconds the state file may lag the records outlog_commit made durable
 * in log.bin (outlog_tick catches it up). */
#define OUTLOG_STATE_LAG 0.5

struct outlog {
	char *dir;
	char origin[32];
	int fd, cpfd, dirfd;
	uint8_t *sk;		/* Ed25519 secret key (64), sodium_malloc */
	uint8_t *digest_key;	/* 32, sodium_malloc */
	uint8_t *key;		/* K_seq, sodium_malloc */
	uint64_t seq;		/* the next record's number */
	uint8_t chain[SEALFMT_HASH];
	struct merkle *tree;
	uint8_t buf[BATCH * SEALFMT_RECORD];
	size_t len;
	double state_at;	/* monotonic seconds of the last state saved */
	int dirty;		/* records written that the state does not
				 * cover */
	int unsynced;		/* records written and not fdatasynced */
	long cp_records, cp_seconds;
	uint64_t cp_size;	/* size at the last checkpoint */
	time_t cp_time;
	int opened;		/* a start record was written: close writes
				 * a stop record */
	int broken;		/* a failed write could not be taken back */
	uint8_t pk[SEALFMT_PUBKEY_LEN];	/* to check the last checkpoint */
	/* outlog_mark's point, where outlog_rollback goes back to */
	int marked;
	uint64_t mark_seq;
	uint8_t mark_chain[SEALFMT_HASH];
	uint8_t *mark_key;	/* K_mark_seq, sodium_malloc */
	uint8_t mark_tree[MERKLE_STATE_MAX];
	size_t mark_tree_len;
	char error[PATH_CAP + 200];	/* the last failure, for outlog_error */
};

/* outlog.c: errors and files */
/* Note a failure of op on the log's file name; returns rc. */
int outlog_fail(struct outlog *l, const char *name, const char *op, int rc);
/* A system error as a code: -errno, never 0. */
int outlog_neg_errno(void);
/* dir/name into buf.  0 or -ENAMETOOLONG. */
int outlog_path_in(char *buf, size_t cap, const char *dir, const char *name);
/* 0 if st (NULL: a symbolic link) is a regular file of this user, else
 * OUTLOG_EUNSAFE with the message in l->error. */
int outlog_unsafe(struct outlog *l, const char *name, const struct stat *st);
/* Open name in the log directory, never through a symbolic link, and only
 * a regular file owned by this user: a file planted in the directory is
 * refused, not followed.  The descriptor, or a negative code with the
 * message in l->error. */
int outlog_open_in(struct outlog *l, const char *name, int flags,
    mode_t mode);
/* All of buf to fd.  0 or a negative code. */
int outlog_write_all(int fd, const void *buf, size_t n);

/* outlog.c: the writer */
/* A closed writer for dir: no file open, the MAC key and the signing key
 * allocated (zero), an empty tree.  0 or -ENOMEM. */
int outlog_writer_new(const char *dir, struct outlog **out);
/* Append a start, stop or alarm record. */
int outlog_append_event(struct outlog *l, int type, int32_t status,
    uint64_t count);
/* Write the buffered records, make log.bin durable, save the state and
 * write a checkpoint if one is due (outlog_sync without its mark and
 * errno).  0 or a negative code, the message in l->error. */
int outlog_sync_log(struct outlog *l);
/* Write a signed checkpoint line; one cut short by a failed write is
 * taken back. */
int outlog_checkpoint(struct outlog *l);

#endif
