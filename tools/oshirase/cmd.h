/* cmd.h - the subcommands of the oshirase tool
 * SPDX-License-Identifier: MIT
 *
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit status (util.h EXIT_*).
 */
#ifndef OSHIRASE_CMD_H
#define OSHIRASE_CMD_H

int cmd_keygen(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_pseudonym(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_eligible(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_letters(int argc, char **argv);

#endif
