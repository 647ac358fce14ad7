#!/usr/bin/python3
# webhook_sink.py - a LINE webhook receiver for the emulator's tests: it
# checks X-Line-Signature (base64 HMAC-SHA256 of the raw body, the channel
# secret's text as key) in constant time and appends one JSON line per
# request to OUT: {"valid": bool, "signature": header or null, "body": the
# raw body as text}.  It answers 401 to a missing or wrong signature, else
# 200, or the status written in OUT.status if that file exists (to play a
# gateway that answers 503).  It listens on a free port of 127.0.0.1 and
# writes it to PORTFILE.
#   /usr/bin/python3 webhook_sink.py SECRETFILE OUT PORTFILE
# SPDX-License-Identifier: MIT
import base64
import hashlib
import hmac
import http.server
import json
import os
import sys


def main():
    secret_file, out, portfile = sys.argv[1:4]
    with open(secret_file, "rb") as f:
        secret = f.read().rstrip(b"\r\n")

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            sig = self.headers.get("X-Line-Signature")
            want = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
            valid = sig is not None and hmac.compare_digest(sig, want)
            with open(out, "a") as f:
                f.write(json.dumps({"valid": valid, "signature": sig,
                                    "body": body.decode("utf-8", "replace")},
                                   ensure_ascii=False) + "\n")
            status = 401
            if valid:
                status = 200
                if os.path.exists(out + ".status"):
                    with open(out + ".status") as f:
                        status = int(f.read().strip())
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, fmt, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
