/* pseudo.c - pseudonyms of resident and household ids
 * SPDX-License-Identifier: MIT
 */
#include "pseudo.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <sodium.h>

uint8_t *
pseudo_key_load(const char *path, int *exit_code)
{
	uint8_t *key;
	int rc = secret_read(path, &key);

	if (rc == 0)
		return key;
	log_warnx("%s: cannot read the pseudonymisation key: %s "
	    "(create one with 'oshirase keygen --out FILE')", path,
	    secret_strerror(rc));
	*exit_code = rc == SECRET_EFORMAT ? EXIT_DATAERR :
	    rc == SECRET_ENOMEM ? EXIT_SOFTWARE :
	    rc == -EISDIR || rc == -EIO ? EXIT_IOERR : EXIT_NOINPUT;
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
