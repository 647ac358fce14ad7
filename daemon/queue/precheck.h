/* precheck.h - what oshirased checks before it starts, and -n with it
 * SPDX-License-Identifier: MIT
 *
 * The start and `oshirased -n` run the same checks, so that -n refuses
 * what the start would, with the same exit status.  After the config, the
 * rules and the store (opened by the caller; -n opens it read-only):
 *  - the contact key pair ([contacts] public_key and secret_key, else
 *    contacts.pub and contacts.sec in the store): the public key reads,
 *    the secret key is a private regular file (util.h secret_open: 0600,
 *    not a symbolic link, not a FIFO) holding a key, it is the public
 *    key's secret half, and it opens the store's contact records (one of
 *    the first few active ones; a pair made again after the import opens
 *    none);
 *  - the sealed log's key files (signing.key, digest.key) when the log
 *    exists: private regular files holding keys;
 *  - the local endpoints the queue binds ([senders] jobs and results):
 *    ipc:// only, in a directory that exists; and, for senders on other
 *    hosts (remote_jobs), the queue's CURVE key pair and the senders'
 *    public keys.
 * What it cannot check without binding a socket or writing is left to the
 * start: a bind that fails, a new log that cannot be made.
 * Every refusal is logged (FILE and what is wrong, never a key) and
 * returned as an exit status: 78 (EXIT_CONFIG) for a key or endpoint, 73
 * (EXIT_CANTCREAT) for a log key file that is missing or bad, as the
 * log's writer would give.
 */
#ifndef OSHIRASE_PRECHECK_H
#define OSHIRASE_PRECHECK_H

#include "config.h"
#include "store.h"

/* local: check [senders] jobs and results (not for a --once run with
 * senders of its own, which binds private endpoints).  logdir: the sealed
 * log's directory.  Returns 0 or an exit status (logged). */
int precheck_run(const struct config *cfg, struct store *s,
    const char *logdir, int local);

#endif
