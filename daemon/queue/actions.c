/* actions.c - the actions socket, batches and answers (see actions.h)
 * SPDX-License-Identifier: MIT
 */
#include "actions_int.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define BATCHES_PER_CALL 4	/* then the dispatcher has its turn */

time_t
actions_now(const struct actions *a)
{
	return time(NULL) + a->offset;
}

/* The code key; the contact keys are the dispatcher's (ckeys.h). */
static int
read_keys(struct actions *a, char *err, size_t errlen)
{
	char path[CONFIG_PATH_MAX + 32], why[CONFIG_PATH_MAX + 100];
	int rc;

	a->keys = dispatch_keys(a->d);
	if (a->cfg->code_key[0])
		config_secret_path(a->cfg->code_key, path, sizeof(path));
	else
		snprintf(path, sizeof(path), "%s/%s", store_dir(a->s),
		    CODE_KEY_FILE);
	rc = secret_load(path, &a->code_key, why, sizeof(why));
	if (rc == -ENOENT)
		log_info("actions: %s does not exist (yet): every registration "
		    "code is refused until `oshirase letters` makes it", path);
	else if (rc != 0) {
		snprintf(err, errlen, "[letters] code_key: %s", why);
		return -1;
	}
	return 0;
}

int
actions_open(void *zctx, struct store *s, const struct config *cfg,
    struct outlog *log, struct dispatch *d, time_t offset,
    struct actions **out, char *err, size_t errlen)
{
	struct actions *a = xcalloc(1, sizeof(*a));
	const char *ep = cfg->gw_actions;
	int zero = 0, one = 1;

	*out = NULL;
	a->s = s;
	a->dbi = store_dbi(s);
	a->cfg = cfg;
	a->log = log;
	a->d = d;
	a->offset = offset;
	a->b = xcalloc(ACTIONS_BATCH, sizeof(*a->b));
	if (read_keys(a, err, errlen) != 0)
		goto fail;
	if (strncmp(ep, "ipc://", 6) != 0) {
		snprintf(err, errlen, "[gateway] actions '%s': the queue binds it "
		    "with no security, so ipc:// only", ep);
		goto fail;
	}
	if ((a->sock = zmq_socket(zctx, ZMQ_ROUTER)) == NULL ||
	    zmq_setsockopt(a->sock, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(a->sock, ZMQ_ROUTER_MANDATORY, &one,
	    sizeof(one)) != 0) {
		snprintf(err, errlen, "actions: zmq_socket: %s",
		    zmq_strerror(errno));
		goto fail;
	}
	if (zmq_bind(a->sock, ep) != 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "[gateway] actions: bind %s: %s", ep,
			    zmq_strerror(errno));
			goto fail;
		}
		/* no gateway beside this queue (a --once run, a test): its
		 * contact imports are still caught up with */
		log_warnx("[gateway] actions: bind %s: its directory does not "
		    "exist: residents' actions are not served (under systemd, "
		    "RuntimeDirectory= makes /run/oshirase)", ep);
		zmq_close(a->sock);
		a->sock = NULL;
		*out = a;
		return 0;
	}
	if (ep[6] != '@' && chmod(ep + 6, 0660) != 0)
		log_warn("actions: chmod 0660 %s", ep + 6);
	*out = a;
	return 0;
fail:
	actions_close(a);
	return -1;
}

void
actions_close(struct actions *a)
{
	if (a == NULL)
		return;
	if (a->sock != NULL)
		zmq_close(a->sock);
	addrbox_free(a->sealer);
	sodium_free(a->code_key);
	if (a->b != NULL)
		sodium_memzero(a->b, ACTIONS_BATCH * sizeof(*a->b));
	free(a->b);
	free(a);
}

void
actions_reload(struct actions *a, const struct config *cfg)
{
	a->cfg = cfg;
}

void *
actions_socket(const struct actions *a)
{
	return a->sock;
}

int
actions_broken(const struct actions *a)
{
	return a->broken;
}

const struct actions_stats *
actions_stats(const struct actions *a)
{
	return &a->st;
}

/* One message from a DEALER: its routing id, maybe an empty delimiter,
 * the action frame.  1 taken, 0 nothing waiting. */
static int
receive(struct actions *a, struct act_item *it)
{
	uint8_t body[ACT_FRAME_MAX + 1];
	int n, len = -1, more = 0;
	size_t moresz = sizeof(more);

	memset(it, 0, sizeof(*it));
	if ((n = zmq_recv(a->sock, it->id, sizeof(it->id), ZMQ_DONTWAIT)) < 0)
		return 0;
	it->idlen = (size_t)n > sizeof(it->id) ? sizeof(it->id) : (size_t)n;
	while (zmq_getsockopt(a->sock, ZMQ_RCVMORE, &more, &moresz) == 0 &&
	    more) {
		len = zmq_recv(a->sock, body, sizeof(body), ZMQ_DONTWAIT);
		if (len == 0 && !it->delim) {
			it->delim = 1;
			len = -1;
		}
	}
	it->ans.status = ACT_MALFORMED;
	if (len > 0 && len <= ACT_FRAME_MAX &&
	    action_decode(body, (size_t)len, &it->act) == 0) {
		it->decoded = 1;
		it->ans.request = it->act.request;
	} else
		log_warnx("actions: a frame of %d bytes is not an action; "
		    "answered malformed", len);
	sodium_memzero(body, sizeof(body));
	return 1;
}

static void
answer(struct actions *a, const struct act_item *it)
{
	uint8_t buf[ACT_ANSWER_LEN + 8];
	size_t len = action_answer_encode(&it->ans, buf, sizeof(buf));

	if (len == 0 || zmq_send(a->sock, it->id, it->idlen,
	    ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    (it->delim && zmq_send(a->sock, "", 0,
	    ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) ||
	    zmq_send(a->sock, buf, len, ZMQ_DONTWAIT) < 0)
		log_warnx("actions: an answer could not be sent: %s "
		    "(the gateway has gone?)", zmq_strerror(errno));
}

static void
queue_reply(struct actions *a, const struct reply *r)
{
	struct job j;

	replies_job(r, &j);
	if (dispatch_transient(a->d, &j) != 0)
		log_warnx("actions: a %s could not be queued; dropped",
		    r->kind == JOB_REPLY ? "LINE reply" : "mail");
	sodium_memzero(&j, sizeof(j));
}

static int
meta_u32(MDB_txn *txn, const struct store_dbi *dbi, const char *name,
    uint32_t *out)
{
	uint8_t b[8];
	size_t len;
	int rc;

	*out = 0;
	rc = store_meta_get(txn, dbi, name, b, sizeof(b), &len);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc == 0 && len != 4)
		return MDB_CORRUPTED;
	if (rc == 0)
		*out = (uint32_t)util_le_get(b, 4);
	return rc;
}

/* Begin a write transaction whose consent records will be sealed (the
 * log marked), with the last message id made so far for them.  0 or an
 * LMDB error (then no transaction). */
static int
begin(struct actions *a, MDB_txn **txn)
{
	uint8_t b[8];
	size_t len;
	int rc;

	if ((rc = mdb_txn_begin(store_env(a->s), NULL, 0, txn)) != 0)
		return rc;
	outlog_mark(a->log);
	a->sealer_new = 0;
	a->last_message = 0;
	rc = store_meta_get(*txn, a->dbi, "message.seq", b, sizeof(b), &len);
	if (rc == 0 && len == 8)
		a->last_message = util_le_get(b, 8);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(*txn);
		return rc;
	}
	return 0;
}

/* Apply the batch in one transaction, with its consent records sealed
 * before the commit.  0 or an error (nothing applied). */
static int
apply_batch(struct actions *a)
{
	MDB_txn *txn;
	uint32_t seq, indexed;
	int rc, how;

	if ((rc = begin(a, &txn)) != 0)
		return rc;
	if ( (rc = meta_u32(txn, a->dbi, "contacts.seq", &seq)) == 0 &&
	    (rc = meta_u32(txn, a->dbi, "line_index.import", &indexed)) == 0 &&
	    seq > indexed)
		rc = catchup_run(a, txn, 0);
	for (size_t i = 0; i < a->nb && rc == 0; i++)
		if (a->b[i].decoded)
			rc = actions_apply(a, txn, &a->b[i]);
	rc = outlog_commit(a->log, txn, rc, "actions-commit", &how);
	if (how & OUTLOG_COMMITTED) {
		if (rc != 0)	/* applied; the writer's state is not */
			a->broken = 1;
		return 0;
	}
	if (a->sealer_new)
		actions_sealer_reset(a);
	log_warnx("%s: applying %zu actions: %s; answered unavailable",
	    store_dir(a->s), a->nb, (how & OUTLOG_LOGERR) ?
	    "the sealed log cannot be written" : mdb_strerror(rc));
	return rc;
}

/* One batch: what is waiting, applied, answered, replies queued.  The
 * number of actions taken. */
static size_t
serve_batch(struct actions *a)
{
	int rc;

	a->nb = 0;
	while (a->nb < ACTIONS_BATCH && receive(a, &a->b[a->nb]))
		a->nb++;
	if (a->nb == 0)
		return 0;
	rc = apply_batch(a);
	a->st.batches++;
	a->st.actions += a->nb;
	if (rc != 0)
		a->st.failed_batches++;
	for (size_t i = 0; i < a->nb; i++) {
		struct act_item *it = &a->b[i];

		if (rc != 0 && it->decoded) {
			it->ans.status = ACT_UNAVAILABLE;
			it->ans.contact = it->ans.consent = it->ans.language = 0;
			it->has_reply = 0;
		}
		answer(a, it);
	}
	for (size_t i = 0; i < a->nb; i++)
		if (a->b[i].has_reply)
			queue_reply(a, &a->b[i].rep);
	sodium_memzero(a->b, a->nb * sizeof(*a->b));
	return a->nb;
}

void
actions_serve(void *arg)
{
	struct actions *a = arg;

	if (a->sock == NULL)
		return;
	for (int i = 0; i < BATCHES_PER_CALL && !a->broken; i++)
		if (serve_batch(a) < ACTIONS_BATCH)
			break;
}

/* A transaction of its own around catchup_run or catchup_prune. */
static int
own_txn(struct actions *a, int prune, int force)
{
	MDB_txn *txn;
	int rc, how = 0;

	if ((rc = begin(a, &txn)) != 0)
		goto out;
	rc = prune ? catchup_prune(a, txn) : catchup_run(a, txn, force);
	rc = outlog_commit(a->log, txn, rc, NULL, &how);
	if ((how & OUTLOG_COMMITTED) && rc != 0)
		a->broken = 1;
out:
	if (rc != 0)
		log_warnx("%s: %s: %s", store_dir(a->s), prune ?
		    "pruning events and codes" : "catching up with contact "
		    "imports", (how & OUTLOG_LOGERR) ? "the sealed log" :
		    mdb_strerror(rc));
	return rc == 0 ? 0 : -1;
}

int
actions_catchup(struct actions *a, int force)
{
	return own_txn(a, 0, force);
}

int
actions_daily(struct actions *a)
{
	int rc = own_txn(a, 0, 0);

	if (own_txn(a, 1, 0) != 0)
		rc = -1;
	return rc;
}
