/* limits.h - failed registration codes counted per LINE user and per
 * client address, in memory
 * SPDX-License-Identifier: MIT
 *
 * Owns: a fixed table of counters keyed by a keyed hash (BLAKE2b, a
 * random key made at limits_new) of the user id or the address, so that
 * the table holds no id or address; and the keyed tag of a client's
 * address that action frames carry.  Thread-safe (one mutex).
 * Never touches: the network, the queue, the clock (callers pass now),
 * anything on disk: a restart forgets every count.
 *
 * Keys: a LINE user (failed codes), a client address (failed codes and
 * every registration it asks for, each of which mails someone) and a
 * registration code (every registration asked with it).
 * A key that failed `attempts` times within `window` seconds of its
 * first failure is limited until that window ends; then its count
 * starts again.  When the table is full, an entry whose window has
 * passed, or else the oldest nearby, makes room.
 */
#ifndef OSHIRASE_LIMITS_H
#define OSHIRASE_LIMITS_H

#include <stddef.h>
#include <stdint.h>

enum limit_kind { LIMIT_USER = 'U', LIMIT_CLIENT = 'A', LIMIT_CODE = 'C' };

struct limits;

/* A table of cap entries (rounded up to a power of two): NULL if out of
 * memory.  Free with limits_free (NULL is fine). */
struct limits *limits_new(long attempts, long window, size_t cap);
void limits_free(struct limits *l);
/* 1 if key (NUL-terminated) of kind is limited at now (Unix seconds). */
int limits_blocked(struct limits *l, int kind, const char *key, int64_t now);
/* Count a failure of key at now. */
void limits_fail(struct limits *l, int kind, const char *key, int64_t now);
/* Take an attempt of key at now before it is made: 0 and counted as a
 * failure, or -1 if key is limited (nothing counted).  Attempts made at
 * once (events of one webhook, requests in parallel) so cannot pass the
 * limit together; limits_refund gives back one that did not fail. */
int limits_take(struct limits *l, int kind, const char *key, int64_t now);
void limits_refund(struct limits *l, int kind, const char *key, int64_t now);
/* The hex of a keyed hash of a client's address (65 bytes with the NUL:
 * action.h ACT_CLIENT_MAX), the same for the process's life. */
void limits_client_tag(struct limits *l, const char *addr, char out[65]);

#endif
