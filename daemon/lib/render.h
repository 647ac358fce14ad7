/* render.h - a program's message as one recipient reads it
 * SPDX-License-Identifier: MIT
 *
 * Fills a program's template (rules.h: msg_ja, msg_en; placeholders in
 * rules/README.md) with what the city's config says: the city's name, its
 * site, and the name and phone of the program's department (the rule file
 * names only the department's id).  The rule engine knows nothing of
 * these; this module is where a rule set meets the config.
 *
 * Used by the queue (oshirased: checking the departments at start and
 * reload, rendering each notice of a digest) and by the operator's tool
 * (`oshirase rules check|test` check the departments, `oshirase rules
 * message` shows a message), hence in daemon/lib and not daemon/queue.
 *
 * Stateless; safe from any number of threads on read-only arguments.
 */
#ifndef OSHIRASE_RENDER_H
#define OSHIRASE_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "rules.h"

/* Every program's department must be one the config describes: prints
 * FILE:LINE: for each that is not and returns their number. */
unsigned render_check_departments(const struct rules_set *s,
    const struct config *cfg, FILE *err);

/*
 * p's message for one recipient, in language lang (LANG_JA, LANG_EN of
 * store.h); child: the subject is not the recipient (お子さま / your
 * child).  Writes at most cap bytes with a NUL into out; returns the
 * length, or -1 if it does not fit or the department is unknown.
 */
int render_message(const struct rules_program *p, const struct config *cfg,
    int lang, int child, char *out, size_t cap);

/* The last line of every LINE message, in lang: how to change settings
 * or stop (the words the queue answers to). */
const char *render_footer_line(int lang);
/* The start of an email's last paragraph, in lang; the manage link (the
 * List-Unsubscribe URL) follows it on its own line. */
const char *render_footer_email(int lang);

#endif
