/* gen_main.c - oshirase-gen: a synthetic city (resident and contact CSV)
 * SPDX-License-Identifier: MIT
 *
 * A test and demo program, built and never installed.  The work is in
 * gen.c, which the unit tests call directly.
 */
#include "gen.h"
#include "log.h"

#include <sodium.h>

int
main(int argc, char **argv)
{
	log_init("oshirase-gen", LOG_LEVEL_INFO);
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	return gen_main(argc, argv);
}
