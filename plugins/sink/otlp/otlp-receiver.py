#!/usr/bin/env python3
"""A small OTLP/HTTP (JSON) receiver for paved's tests.

  otlp-receiver.py OUT PORTFILE

Binds 127.0.0.1 on a free port (written to PORTFILE once it listens) and
appends one JSON line {"path", "content_type", "body"} per POST to OUT
(body parsed as JSON when it is JSON).  POST /v1/logs and /v1/traces
answer 200 "{}" (an empty ExportLogs/TraceServiceResponse); while the file
OUT.fail exists every POST answers 503.  Exits on SIGTERM.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out, portfile = sys.argv[1], sys.argv[2]


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        failing = os.path.exists(out + ".fail")
        if not failing:
            with open(out, "a") as f:
                f.write(json.dumps({"path": self.path,
                                    "content_type": self.headers.get("Content-Type"),
                                    "body": body}) + "\n")
        code = 503 if failing else 200 if self.path in ("/v1/logs", "/v1/traces") else 404
        data = b"{}" if code == 200 else b"unavailable" if code == 503 else b"not found"
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
