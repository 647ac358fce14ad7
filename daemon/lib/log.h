/* log.h - diagnostics to standard error (journald reads it under systemd)
 * SPDX-License-Identifier: MIT
 *
 * Messages start with the calling function's name and never carry personal
 * data, secrets or tokens: log record ids and counts only.
 */
#ifndef OSHIRASE_LOG_H
#define OSHIRASE_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_WARN = 0, LOG_LEVEL_INFO = 1, LOG_LEVEL_DEBUG = 2 };

/* Set the program name printed before every message and the verbosity. */
void log_init(const char *progname, int level);
int log_level(void);

/* log_warn appends ": strerror(errno)"; the x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print and exit with status 70 (internal error).  Only main.c and the
 * command-line front ends may call these; modules return error codes. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
