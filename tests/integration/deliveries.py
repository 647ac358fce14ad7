# deliveries.py - what reached the LINE emulator and the SMTP sink, against
# what `oshirase match --dry-run` said a run would send.
# SPDX-License-Identifier: MIT
#
#   deliveries.py [--repeats] [--partial] DRY RULES CONTACTS PSEUDONYMS RECORD
#                 MAILDIR [OUTCOMES]
#     DRY        match --dry-run output (program, recipient, subject, channel)
#     RULES      the rules directory (program names -> ids)
#     CONTACTS   the contact CSV (address -> resident id)
#     PSEUDONYMS `oshirase pseudonym` output for those ids
#     RECORD     the emulator's --record file ("-": none)
#     MAILDIR    the sink's directory of msg-N.eml ("-": none)
#     OUTCOMES   the daemon's sealed log (log.bin): its `sent` records must be
#                exactly the dry run's lines (with --repeats, a notice may
#                be recorded sent more than once: after a crash between the
#                log's sync and the outbox's commit, the retry is recorded
#                again)
# Checks: every (recipient, channel) got exactly one message (one digest
# per run), holding exactly the programs the dry run lists for it; no
# retry key was accepted twice; with OUTCOMES, the sent notices are the
# dry run's.  With --partial (a run stopped half way), only the
# recipients that got a message must have got the dry run's programs, and
# OUTCOMES' sent notices must be exactly theirs: nothing delivered is left
# unrecorded, nothing recorded sent was not delivered.  Prints a summary;
# exits 1 on any difference.
import configparser
import csv
import email
import email.policy
import glob
import json
import os
import struct
import sys


def fail(msg):
    print("deliveries: " + msg)
    sys.exit(1)


def main():
    args = [a for a in sys.argv[1:] if a not in ("--repeats", "--partial")]
    repeats = "--repeats" in sys.argv[1:]
    partial = "--partial" in sys.argv[1:]
    dry, rules, contacts, pseudos, record, maildir = args[0:6]
    outcomes = args[6] if len(args) > 6 else None
    want = {}
    lines = set()
    for line in open(dry):
        prog, rec, subj, ch = line.rstrip("\n").split("\t")
        want.setdefault((rec, ch), set()).add(prog)
        lines.add((prog, rec, subj, ch))
    names = {}
    for f in glob.glob(os.path.join(rules, "*.ini")):
        if f.endswith("vocabulary.ini"):
            continue
        cp = configparser.ConfigParser(interpolation=None, strict=False,
                                       inline_comment_prefixes=(";",))
        try:
            cp.read(f, encoding="utf-8")
        except configparser.Error:
            continue
        pid = cp["program"]["id"]
        names[cp["program"]["name_ja"]] = pid
        names[cp["program"]["name_en"]] = pid
    ps = dict(l.rstrip("\n").split("\t") for l in open(pseudos))
    addr = {}
    for r in csv.DictReader(open(contacts, encoding="utf-8-sig")):
        addr[(r["channel"], r["address"])] = ps[r["resident_id"]]

    def programs(texts):
        got = set()
        for t in texts:
            for para in t.replace("\r\n", "\n").split("\n\n"):
                for sep in ("：", ": "):
                    head = para.split(sep, 1)[0]
                    if head in names:
                        got.add(names[head])
                        break
        return got

    got = {}
    keys = set()
    if record != "-" and os.path.exists(record):
        for line in open(record):
            r = json.loads(line)
            if r["retry_key"] in keys:
                fail("retry key %s accepted twice" % r["retry_key"])
            keys.add(r["retry_key"])
            k = (addr[("line", r["to"])], "line")
            if k in got:
                fail("two LINE messages to one recipient in one run")
            got[k] = programs(r["messages"])
    nmail = 0
    if maildir != "-":
        for f in sorted(glob.glob(os.path.join(maildir, "*.eml"))):
            m = email.message_from_binary_file(open(f, "rb"),
                                               policy=email.policy.default)
            to = m["To"].addresses[0].addr_spec
            k = (addr[("email", to)], "email")
            if k in got:
                fail("two emails to one recipient in one run")
            got[k] = programs([m.get_body().get_content()])
            nmail += 1
    if partial:
        want = {k: v for k, v in want.items() if k in got}
        lines = {t for t in lines if (t[1], t[3]) in got}
    if got != want:
        missing = sorted(set(want) - set(got))[:5]
        extra = sorted(set(got) - set(want))[:5]
        diff = sorted(k for k in set(want) & set(got) if want[k] != got[k])[:5]
        fail("delivered != dry run: missing %s, extra %s, different %s" %
             (missing, extra, [(k, want[k], got[k]) for k in diff]))
    if outcomes:
        sent = set()
        data = open(outcomes, "rb").read()
        if data[:8] != b"OSLOG\0\0\1":
            fail("log.bin: no header")
        for off in range(64, len(data) - 255, 256):
            rec = data[off:off + 256]
            if rec[1] != 1 or rec[169] != 1:
                continue    # not an outcome, or not sent
            prog = rec[104:168].rstrip(b"\0").decode()
            r = rec[40:72].hex()
            sj = rec[72:104].hex()
            ch = rec[168]
            t = (prog, r, sj, "line" if ch == 1 else "email")
            if t in sent and not repeats:
                fail("log.bin: %s recorded sent twice" % (t,))
            sent.add(t)
        if sent != lines:
            fail("sent notices in log.bin != dry run (%d vs %d)" %
                 (len(sent), len(lines)))
    print("deliveries: %d messages (%d LINE, %d email) carrying %d notices "
          "match the dry run" % (len(got), len(keys), nmail, len(lines)))


main()
