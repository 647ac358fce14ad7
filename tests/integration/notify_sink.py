# notify_sink.py - the systemd end of sd_notify(3), for the daemon tests
# SPDX-License-Identifier: MIT
#
#   notify_sink.py SOCKET OUT [--hup-after-watchdog N SECONDS]
#
# Binds an AF_UNIX datagram socket at SOCKET (what NOTIFY_SOCKET names),
# with SO_PASSCRED as systemd does, and writes one line per datagram to
# OUT (replaced): the receive time (CLOCK_MONOTONIC, seconds), the
# sender's pid and the datagram with its newlines as "|":
#   1234.567<TAB>4242<TAB>READY=1|STATUS=29 programs, 4 sender threads
# A test waits for SOCKET to exist, then starts the daemon.  With
# --hup-after-watchdog, SECONDS after the N-th WATCHDOG=1 its sender gets
# a SIGHUP (once), so that a reload falls at a known point of the watchdog
# period.  Runs until killed.
import os
import signal
import socket
import struct
import sys
import threading
import time


def main():
    path, out = sys.argv[1], sys.argv[2]
    hup_n, hup_after = 0, 0.0
    if len(sys.argv) == 6 and sys.argv[3] == "--hup-after-watchdog":
        hup_n, hup_after = int(sys.argv[4]), float(sys.argv[5])
    elif len(sys.argv) != 3:
        sys.exit("usage: notify_sink.py SOCKET OUT [--hup-after-watchdog N SECONDS]")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(path)
    ucred = struct.calcsize("3i")
    watchdogs = 0
    with open(out, "w") as f:
        while True:
            data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(ucred))
            now = time.monotonic()
            pid = 0
            for level, kind, val in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", val[:ucred])[0]
            text = data.decode("utf-8", "replace")
            f.write("%.3f\t%d\t%s\n" % (now, pid, text.replace("\n", "|")))
            f.flush()
            if "WATCHDOG=1" in text.split("\n"):
                watchdogs += 1
                if watchdogs == hup_n and pid > 0:
                    threading.Timer(hup_after, os.kill,
                                    (pid, signal.SIGHUP)).start()


main()
