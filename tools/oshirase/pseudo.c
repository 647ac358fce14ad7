/* pseudo.c - pseudonyms of resident and household ids
 * SPDX-License-Identifier: MIT
 */
#include "pseudo.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>

uint8_t *
pseudo_key_load(const char *path, int *exit_code)
{
	uint8_t *key;
	char err[PATH_MAX + 160];
	int rc = secret_load(path, &key, err, sizeof(err));

	if (rc == 0)
		return key;
	log_warnx("%s (the pseudonymisation key; create one with 'oshirase "
	    "keygen --out FILE')", err);
	*exit_code = secret_exit(rc);
	return NULL;
}

void
pseudo_key_free(uint8_t *key)
{
	if (key != NULL)
		sodium_free(key);
}

void
pseudo_compute(const uint8_t *key, const char *id, size_t len,
    uint8_t out[PSEUDO_LEN])
{
	crypto_generichash(out, PSEUDO_LEN, (const unsigned char *)id, len,
	    key, SECRET_LEN);
}
