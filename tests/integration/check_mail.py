# check_mail.py - check one message saved by smtp_sink.py (sender.sh)
# SPDX-License-Identifier: MIT
#
#   check_mail.py FILE.eml --subject S --from-name N --from-addr A --to A
#                 --message-id ID --unsubscribe URL [--text T]...
# Parses FILE with Python's email package (policy.default) and compares
# the decoded Subject, From display name and address, To, Message-ID,
# List-Unsubscribe(-Post), Date's +0900 and the body (the texts joined by a
# blank line, CRLF line ends) with what was sent; also that every line of
# the raw message ends in CRLF.  Prints each difference; exit 0 or 1.
import argparse
import datetime
import email
import email.policy
import sys

ap = argparse.ArgumentParser()
ap.add_argument("file")
ap.add_argument("--subject", required=True)
ap.add_argument("--from-name", required=True)
ap.add_argument("--from-addr", required=True)
ap.add_argument("--to", required=True)
ap.add_argument("--message-id", required=True)
ap.add_argument("--unsubscribe", required=True)
ap.add_argument("--text", action="append", default=[])
a = ap.parse_args()

raw = open(a.file, "rb").read()
bad = []


def expect(what, got, want):
    if got != want:
        bad.append("%s: got %r, want %r" % (what, got, want))


lines = raw.split(b"\n")
if lines[-1] != b"":
    bad.append("the message does not end with a line end")
for i, line in enumerate(lines[:-1]):
    if not line.endswith(b"\r"):
        bad.append("line %d does not end in CRLF" % (i + 1))
        break

msg = email.message_from_bytes(raw, policy=email.policy.default)
expect("Subject", str(msg["Subject"]), a.subject)
frm = msg["From"].addresses
expect("From count", len(frm), 1)
expect("From display name", frm[0].display_name, a.from_name)
expect("From address", frm[0].addr_spec, a.from_addr)
expect("To", msg["To"].addresses[0].addr_spec, a.to)
expect("Message-ID", str(msg["Message-ID"]),
       "<%s@%s>" % (a.message_id, a.from_addr.split("@")[1]))
expect("List-Unsubscribe", str(msg["List-Unsubscribe"]), "<%s>" % a.unsubscribe)
expect("List-Unsubscribe-Post", str(msg["List-Unsubscribe-Post"]),
       "List-Unsubscribe=One-Click")
expect("MIME-Version", str(msg["MIME-Version"]), "1.0")
expect("Content-Type", msg.get_content_type(), "text/plain")
expect("charset", msg.get_content_charset(), "utf-8")
expect("Content-Transfer-Encoding", str(msg["Content-Transfer-Encoding"]),
       "base64")
expect("Date offset", msg["Date"].datetime.utcoffset(),
       datetime.timedelta(hours=9))
body = "\r\n\r\n".join(t.replace("\r\n", "\n").replace("\n", "\r\n")
                       for t in a.text) + "\r\n"
expect("body", msg.get_content(), body)
for h in ("Subject", "From", "To", "Message-ID", "Date"):
    expect("number of %s headers" % h, len(msg.get_all(h) or []), 1)
expect("defects", [str(d) for d in msg.defects], [])

for b in bad:
    print("#   " + b)
sys.exit(1 if bad else 0)
