/* gen.h - oshirase-gen, the synthetic city, as a function for its tests
 * SPDX-License-Identifier: MIT
 */
#ifndef OSHIRASE_GEN_H
#define OSHIRASE_GEN_H

/* The whole program: argv[0] is its name, the options follow.  Returns the
 * exit status (util.h EXIT_*). */
int gen_main(int argc, char **argv);

#endif
