#!/usr/bin/env python3
"""A tiny HTTP service for the runtime tests (Python 3 standard library only).

Listens on 127.0.0.1:$PORT.  GET /health answers 200 "ok"; GET / answers
"hello from REPLICA VERSION"; GET /crash answers, then exits with status 3
(a crash the supervisor must restart); GET /say?TEXT prints TEXT on stdout.
Prints "listening on PORT" on stdout at start; requests are logged on stderr.
"""
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import unquote


class Handler(BaseHTTPRequestHandler):
    def answer(self, code, text):
        body = (text + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        if self.path == "/health":
            self.answer(200, "ok")
        elif self.path == "/crash":
            self.answer(200, "crashing")
            sys.stdout.flush()
            os._exit(3)
        elif self.path.startswith("/say?"):
            print(unquote(self.path[5:]), flush=True)
            self.answer(200, "said")
        else:
            self.answer(200, "hello from %s %s" % (os.environ.get("PAVED_REPLICA", "?"),
                                                  os.environ.get("PAVED_VERSION", "?")))


port = int(os.environ["PORT"])
server = HTTPServer(("127.0.0.1", port), Handler)
print("listening on %d" % port, flush=True)
server.serve_forever()
