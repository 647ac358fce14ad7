/* pseudo.h - pseudonyms of resident and household ids (README, "Privacy and keys")
 * SPDX-License-Identifier: MIT
 *
 * pseudonym = BLAKE2b-256 keyed with the 32-byte pseudonymisation key over
 * the UTF-8 bytes of the id (libsodium crypto_generichash); printed as
 * lowercase hex.  Lives in tools/: only import and auditors' lookups use
 * the key, and the daemon is not linked with this module.
 */
#ifndef OSHIRASE_PSEUDO_H
#define OSHIRASE_PSEUDO_H

#include <stddef.h>
#include <stdint.h>

#define PSEUDO_LEN 32
#define PSEUDO_HEXLEN 64

/* Load the key file (64 hex + newline) into sodium_malloc memory.  NULL
 * with a message printed and *exit_code set on failure: the exit status
 * for the command to return (util.h secret_read says which). */
uint8_t *pseudo_key_load(const char *path, int *exit_code);
void pseudo_key_free(uint8_t *key);
void pseudo_compute(const uint8_t *key, const char *id, size_t len,
    uint8_t out[PSEUDO_LEN]);

#endif
