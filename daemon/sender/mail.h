/* mail.h - the email backend's message format
 * SPDX-License-Identifier: MIT
 *
 * The backend itself is sender_mail (backend.h); this is the pure part of
 * it that tests check byte by byte.
 */
#ifndef OSHIRASE_MAIL_H
#define OSHIRASE_MAIL_H

#include <stddef.h>
#include <time.h>

#include "job.h"

/*
 * The RFC 5322 message of email job j into buf (cap bytes), CRLF line
 * ends, NUL-terminated: Date (Japan time, from now), From (from_name as
 * RFC 2047 encoded-words, then <from_addr>), To, Subject (encoded-words of
 * at most 45 bytes of whole UTF-8 characters, folded so that no header line
 * passes 76 characters), Message-ID <j->message_id@domain of from_addr>,
 * MIME-Version, Content-Type text/plain; charset=UTF-8,
 * Content-Transfer-Encoding base64, and, when j->unsubscribe is not empty,
 * List-Unsubscribe <url> and List-Unsubscribe-Post (RFC 8058).  The body is
 * the texts with their line ends made CRLF, joined by a blank line, ending
 * with CRLF, in base64 lines of 76 characters.
 * Returns the length without the NUL, or 0 with the reason in err: an
 * address or header value with CR or LF (header injection) or other bytes
 * that do not belong there, text or subject not UTF-8, or no room.
 * Pure: no I/O, thread-safe.
 */
size_t mail_format(const struct job *j, const char *from_name,
    const char *from_addr, time_t now, char *buf, size_t cap, char *err,
    size_t errlen);

#endif
