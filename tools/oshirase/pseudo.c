/* pseudo.c - pseudonyms of resident and household ids
 * SPDX-License-Identifier: MIT
 */
#include "pseudo.h"
#include "log.h"
#include "util.h"

#include <sodium.h>

uint8_t *
pseudo_key_load(const char *path, int *exit_code)
{
	const char *err = NULL;
	uint8_t *key = secret_read(path, &err, exit_code);

	if (key == NULL)
		log_warnx("%s: cannot read the pseudonymisation key: %s "
		    "(create one with 'oshirase keygen --out FILE')", path, err);
	return key;
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
