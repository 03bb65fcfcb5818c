#!/usr/bin/env python3
"""A replica for the logs tests and benchmark (Python 3 standard library).

Listens on 127.0.0.1:$PORT.  GET /health answers 200 "ok".  GET /headers
answers (and prints) the traceparent and tracestate headers it received.  GET
/burst?n=N&tag=T prints N numbered lines "T i" (i = 1..N; every 7th on
stderr, the rest on stdout), then answers "done N".  GET
/paced?n=N&rate=R&tag=T does the same at R lines per second (in steps of
1 ms), then answers "done N SECONDS" with the time it took.
"""
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit


def emit(tag, i):
    out = sys.stderr if i % 7 == 0 else sys.stdout
    out.write("%s %d\n" % (tag, i))


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def answer(self, text):
        body = (text + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if u.path == "/health":
            return self.answer("ok")
        if u.path == "/headers":
            # the trace headers this replica received, and a log line with them
            tp = self.headers.get_all("traceparent") or []
            ts = self.headers.get("tracestate") or ""
            print("request traceparent=%s" % ",".join(tp), flush=True)
            return self.answer("traceparent=%s tracestate=%s" % (",".join(tp), ts))
        n, tag = int(q.get("n", "0")), q.get("tag", "line")
        if u.path == "/burst":
            for i in range(1, n + 1):
                emit(tag, i)
            sys.stdout.flush(), sys.stderr.flush()
            return self.answer("done %d" % n)
        if u.path == "/paced":
            rate = float(q.get("rate", "1000"))
            t0 = time.monotonic()
            for i in range(1, n + 1):
                emit(tag, i)
                if i % 50 == 0:
                    sys.stdout.flush(), sys.stderr.flush()
                    ahead = t0 + i / rate - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
            sys.stdout.flush(), sys.stderr.flush()
            return self.answer("done %d %.3f" % (n, time.monotonic() - t0))
        self.send_error(404)


sys.stdout = os.fdopen(1, "w", buffering=1 << 16)
sys.stderr = os.fdopen(2, "w", buffering=1 << 16)
HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
