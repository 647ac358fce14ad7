/* action.h - residents' actions: what the gateway asks of the queue, and
 * the queue's answer
 * SPDX-License-Identifier: MIT
 *
 * The gateway (daemon/gateway/) is the only process that hears residents;
 * it holds no store.  Each valid request it gets (a LINE webhook event, a
 * one-click unsubscribe, a registration form) becomes one action frame
 * sent to the queue, which applies it in one LMDB transaction, seals what
 * changed in the log (consent records), and answers with one answer frame.
 * Over ZeroMQ: the queue's ROUTER is bound at [gateway] actions (ipc://
 * only: the queue has no network); each gateway thread has a DEALER
 * connected to it and may send several actions before it reads the
 * answers (matched by the request id), so that the queue can apply what
 * arrives together in one transaction.
 *
 * Wire format (one ZeroMQ frame each; integers big-endian):
 *   action: "OSA1" | u64 request | u8 kind | i64 time | u8 consent |
 *           u8 mask | u8 language | u8 flags | str event | str user | str reply |
 *           str code | str token | str address | str client
 *   answer: "OSB1" | u64 request | u8 status | u8 contact | u8 consent |
 *           u8 language
 *   str = u16 length + bytes (no NUL), each at most its field's size - 1.
 * A frame that does not decode is answered ACT_MALFORMED (an action) or
 * dropped (an answer) by its reader.
 * Changing a frame: a new magic, and readers that know both until both
 * roles speak the new one.
 *
 * Which fields each kind uses (the others are empty or 0):
 *   ACT_LINE_FOLLOW     event user reply           greet; or, linked, show
 *                                                  the settings
 *   ACT_LINE_UNFOLLOW   event user                 withdraw the LINE contact
 *   ACT_LINE_CODE       event user reply code      link user to the code's
 *                                                  resident; ask categories
 *   ACT_LINE_CONSENT    event user reply consent mask [language]
 *                                                  set the bits of mask to
 *                                                  those of consent; with
 *                                                  ACT_FLAG_LANGUAGE, set
 *                                                  the language too
 *   ACT_LINE_SETTINGS   event user reply           show the settings
 *   ACT_LINE_STOP       event user reply           consent to nothing
 *   ACT_LINE_TEXT       event user reply           any other text: help
 *   ACT_MANAGE_CHECK    token                      what the email contact
 *                                                  the token names holds
 *                                                  (a GET: changes nothing)
 *   ACT_UNSUBSCRIBE     token                      withdraw that contact
 *   ACT_MANAGE_CONSENT  token consent mask         change its categories
 *   ACT_EMAIL_REGISTER  code address language client
 *                                                  check the code; mail a
 *                                                  confirmation link
 *   ACT_CONFIRM_CHECK   token                      is the link good (GET)
 *   ACT_EMAIL_CONFIRM   token consent              use the code: the
 *                                                  address becomes the
 *                                                  resident's email contact
 * time: the event's time (LINE's timestamp, ms), or the request's; event:
 * LINE's webhookEventId, the key that makes a redelivered event apply
 * once (empty for the web's actions, which are idempotent); client: a
 * keyed hash of the client's address (hex), for the queue's journal only.
 *
 * flags: ACT_FLAG_LIMITED on ACT_LINE_CODE or ACT_EMAIL_REGISTER: the
 * gateway did not pass the code on, the user or client having failed too
 * often (the queue replies so and checks nothing); ACT_FLAG_LANGUAGE as
 * above.
 * consent and mask use the store's CONSENT_* bits; language the job
 * languages (job.h); contact in an answer is 0 (none), 1 (active), 2
 * (withdrawn), and consent and language are the contact's after the
 * action, so that the gateway can show them.
 */
#ifndef OSHIRASE_ACTION_H
#define OSHIRASE_ACTION_H

#include <stddef.h>
#include <stdint.h>

enum action_kind {
	ACT_LINE_FOLLOW = 1,
	ACT_LINE_UNFOLLOW,
	ACT_LINE_CODE,
	ACT_LINE_CONSENT,
	ACT_LINE_SETTINGS,
	ACT_LINE_STOP,
	ACT_LINE_TEXT,
	ACT_MANAGE_CHECK,
	ACT_UNSUBSCRIBE,
	ACT_MANAGE_CONSENT,
	ACT_EMAIL_REGISTER,
	ACT_CONFIRM_CHECK,
	ACT_EMAIL_CONFIRM
};
#define ACT_KIND_MAX ACT_EMAIL_CONFIRM

enum action_status {
	ACT_OK = 0,		/* applied (or, for a check, the token is good) */
	ACT_DUPLICATE,		/* this event was applied before: nothing done */
	ACT_BADCODE,		/* no such registration code */
	ACT_EXPIRED,		/* the code or the token has expired */
	ACT_USED,		/* the code has been used */
	ACT_NOCONTACT,		/* no contact for this user or token */
	ACT_BADTOKEN,		/* a token that does not open */
	ACT_UNAVAILABLE,	/* the queue could not apply it now: try later */
	ACT_MALFORMED		/* the frame does not decode */
};
#define ACT_STATUS_MAX ACT_MALFORMED

#define ACT_FLAG_LIMITED 1
#define ACT_FLAG_LANGUAGE 2

enum action_contact { ACT_CONTACT_NONE = 0, ACT_CONTACT_ACTIVE,
	ACT_CONTACT_WITHDRAWN };

#define ACT_EVENT_MAX 65	/* each with its NUL */
#define ACT_USER_MAX 65
#define ACT_REPLY_MAX 257
#define ACT_CODE_MAX 33
#define ACT_TOKEN_MAX 513
#define ACT_ADDRESS_MAX 255
#define ACT_CLIENT_MAX 65
#define ACT_FRAME_MAX 1400	/* an action frame fits in this */
#define ACT_ANSWER_LEN 16

struct action {
	uint64_t request;
	uint8_t kind;
	int64_t time;
	uint8_t consent, mask, language, flags;
	char event[ACT_EVENT_MAX];
	char user[ACT_USER_MAX];
	char reply[ACT_REPLY_MAX];
	char code[ACT_CODE_MAX];
	char token[ACT_TOKEN_MAX];
	char address[ACT_ADDRESS_MAX];
	char client[ACT_CLIENT_MAX];
};

struct action_answer {
	uint64_t request;
	uint8_t status, contact, consent, language;
};

/* Encode into buf (cap bytes): the length, or 0 if a field is too long
 * or the kind unknown. */
size_t action_encode(const struct action *a, uint8_t *buf, size_t cap);
/* Decode a frame: 0, or -1 (short, long, bad magic, unknown kind, a
 * string with a NUL or longer than its field).  Strings come out
 * NUL-terminated. */
int action_decode(const uint8_t *buf, size_t len, struct action *a);
size_t action_answer_encode(const struct action_answer *r, uint8_t *buf,
    size_t cap);
int action_answer_decode(const uint8_t *buf, size_t len,
    struct action_answer *r);
/* "follow", "ok", ...; "?" for a value not defined. */
const char *action_kind_name(int kind);
const char *action_status_name(int status);

#endif
