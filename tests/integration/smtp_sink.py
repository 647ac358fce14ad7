# smtp_sink.py - an SMTP sink for tests/integration/sender.sh (aiosmtpd)
# SPDX-License-Identifier: MIT
#
# As a handler:  PYTHONPATH=tests/integration /usr/bin/python3 -m aiosmtpd -n \
#                    -l 127.0.0.1:PORT -c smtp_sink.Sink OUTDIR
# Saves each accepted message as OUTDIR/msg-N.eml (the bytes as received,
# dot-unstuffed) with OUTDIR/msg-N.meta ("session S", "from A", "to A"), and
# keeps in OUTDIR/sessions the number of SMTP sessions that sent MAIL.
# Answers by recipient local part:
#   tempfail*  RCPT 451 (transient)
#   reject*    RCPT 550 (no such user)
#   refuse*    RCPT 250, then 554 after DATA (message refused)
#
# Also:  smtp_sink.py --auth-server HOST PORT OUTDIR USER PASSWORD
#            the same sink with AUTH required (PLAIN/LOGIN, no TLS), until
#            SIGTERM
#        smtp_sink.py --wait HOST PORT   poll until the port accepts (10 s)
#        smtp_sink.py --free-port        print a free TCP port on 127.0.0.1
#        smtp_sink.py --free-pair        a free port whose next one is free too
import os
import signal
import socket
import sys
import time


class Sink:
    def __init__(self, outdir):
        self.outdir = outdir
        self.sessions = 0
        self.messages = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.Sink takes one argument: OUTDIR")
        return cls(args[0])

    def _session(self, session):
        if getattr(session, "sink_no", None) is None:
            self.sessions += 1
            session.sink_no = self.sessions
            tmp = os.path.join(self.outdir, "sessions.tmp")
            with open(tmp, "w") as f:
                f.write("%d\n" % self.sessions)
            os.replace(tmp, os.path.join(self.outdir, "sessions"))
        return session.sink_no

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self._session(session)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: no such user" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(r.split("@")[0].startswith("refuse") for r in envelope.rcpt_tos):
            return "554 5.6.0 message refused"
        self.messages += 1
        base = os.path.join(self.outdir, "msg-%d" % self.messages)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".meta", "w") as f:
            f.write("session %d\nfrom %s\n" % (self._session(session),
                                               envelope.mail_from))
            for r in envelope.rcpt_tos:
                f.write("to %s\n" % r)
        os.replace(base + ".eml.tmp", base + ".eml")
        return "250 OK queued"


def auth_server(host, port, outdir, user, password):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False)

    ctl = Controller(Sink(outdir), hostname=host, port=int(port),
                     authenticator=authenticator, auth_required=True,
                     auth_require_tls=False)
    ctl.start()
    signal.signal(signal.SIGTERM, lambda *a: None)
    signal.pause()
    ctl.stop()


def wait_port(host, port):
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return 0
        except OSError:
            time.sleep(0.05)
    return 1


def free_port(pair=False):
    for _ in range(100):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        try:
            if pair:
                t = socket.socket()
                t.bind(("127.0.0.1", port + 1))
                t.close()
        except OSError:
            continue
        finally:
            s.close()
        print(port)
        return 0
    return 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--auth-server"] and len(sys.argv) == 7:
        auth_server(*sys.argv[2:])
    elif sys.argv[1:2] == ["--wait"] and len(sys.argv) == 4:
        sys.exit(wait_port(sys.argv[2], sys.argv[3]))
    elif sys.argv[1:] == ["--free-port"]:
        sys.exit(free_port())
    elif sys.argv[1:] == ["--free-pair"]:
        sys.exit(free_port(pair=True))
    else:
        sys.exit("usage: smtp_sink.py --auth-server HOST PORT DIR USER PASS"
                 " | --wait HOST PORT | --free-port | --free-pair")
