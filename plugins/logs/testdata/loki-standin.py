#!/usr/bin/python3
"""A stand-in for Grafana Loki's HTTP API, for paved's tests and benchmark.

NOT Grafana Loki.  Debian 12 has no Grafana Loki (its package 'loki' is an
unrelated program), so the tests run paved's shipper and logs.query against
this when no Grafana Loki is installed.  It implements the part of Loki's
HTTP API paved uses, as Loki documents it:

  POST /loki/api/v1/push         {"streams": [{"stream": {labels}, "values":
                                  [["<ns>", "<line>"], ...]}]} -> 204; an entry
                                  whose stream, time and text repeat a stored
                                  one is dropped, as Loki does
  GET  /loki/api/v1/query_range  query (a stream selector with =, !=, =~, !~
                                  and line filters |= != |~ !~), start, end
                                  (ns; start inclusive, end exclusive), limit
                                  (default 100), direction (default backward)
                                  -> {"status": "success", "data": {"resultType":
                                  "streams", "result": [...]}}
  GET  /ready                    "ready"
  GET  /standin/stats            {"received", "duplicates", "stored"} (its own)

It is started like Loki: `loki-standin.py -config.file=PATH` reads
server.http_listen_address / http_listen_port and common.path_prefix from
the YAML paved writes, and keeps its entries in PATH_PREFIX/standin.jsonl,
so they survive a restart.  `-version` prints "loki, version
0.0.0-paved-standin (...)": the line paved checks, saying what it is.
"""
import bisect
import json
import os
import re
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STREAMS = {}      # labels key -> {"labels": {...}, "entries": [(ns, line)]}
SEEN = set()      # (key, ns, line)
STATS = {"received": 0, "duplicates": 0, "stored": 0}
STORE = None


def key_of(labels):
    return json.dumps(labels, sort_keys=True)


def add(labels, ns, line, persist):
    k = key_of(labels)
    STATS["received"] += 1
    if (k, ns, line) in SEEN:
        STATS["duplicates"] += 1
        return None
    SEEN.add((k, ns, line))
    s = STREAMS.setdefault(k, {"labels": labels, "entries": []})
    bisect.insort(s["entries"], (ns, line))   # kept in time order
    STATS["stored"] += 1
    if persist:
        return json.dumps({"labels": labels, "ns": ns, "line": line}) + "\n"
    return None


SELECTOR = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')
FILTER = re.compile(r'\s*(\|=|!=|\|~|!~)\s*"((?:[^"\\]|\\.)*)"')


def parse(q):
    """LogQL subset: {matchers} filters.  (matchers, filters) or raises."""
    q = q.strip()
    if not q.startswith("{") or "}" not in q:
        raise ValueError("parse error : queries require at least one stream selector")
    end = q.index("}")
    body, rest = q[1:end], q[end + 1:]
    matchers, at = [], 0
    while at < len(body):
        m = SELECTOR.match(body, at)
        if not m:
            raise ValueError("parse error at %r" % body[at:])
        matchers.append((m.group(1), m.group(2), json.loads('"%s"' % m.group(3))))
        at = m.end()
    filters, at = [], 0
    while at < len(rest):
        if rest[at:].strip() == "":
            break
        m = FILTER.match(rest, at)
        if not m:
            raise ValueError("parse error: this stand-in knows only line filters, at %r" % rest[at:])
        filters.append((m.group(1), json.loads('"%s"' % m.group(2))))
        at = m.end()
    return matchers, filters


def matches(labels, matchers):
    for name, op, val in matchers:
        have = labels.get(name, "")
        if op == "=" and have != val:
            return False
        if op == "!=" and have == val:
            return False
        if op == "=~" and not re.fullmatch(val, have):
            return False
        if op == "!~" and re.fullmatch(val, have):
            return False
    return True


def keep(line, filters):
    for op, val in filters:
        if op == "|=" and val not in line:
            return False
        if op == "!=" and val in line:
            return False
        if op == "|~" and not re.search(val, line):
            return False
        if op == "!~" and re.search(val, line):
            return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        if self.path != "/loki/api/v1/push":
            return self.answer(404, "404 page not found\n", "text/plain")
        try:
            req = json.loads(raw)
            streams = req["streams"]
            batch = []
            for s in streams:
                labels = s["stream"]
                if not isinstance(labels, dict) or not labels:
                    raise ValueError("error at least one label pair is required per stream")
                for ts, line in s["values"]:
                    batch.append((labels, int(ts), str(line)))
        except (ValueError, KeyError, TypeError) as e:
            return self.answer(400, "loghttp: %s\n" % e, "text/plain")
        with LOCK:
            out = [add(l, ns, line, True) for l, ns, line in batch]
            text = "".join(x for x in out if x)
            if text:
                STORE.write(text)
                STORE.flush()
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        qs = urllib.parse.parse_qs(u.query)
        if u.path == "/ready":
            return self.answer(200, "ready\n", "text/plain")
        if u.path == "/standin/stats":
            with LOCK:
                return self.answer(200, json.dumps(STATS))
        if u.path != "/loki/api/v1/query_range":
            return self.answer(404, "404 page not found\n", "text/plain")
        try:
            matchers, filters = parse(qs["query"][0])
            start = int(qs.get("start", ["0"])[0])
            end = int(qs.get("end", [str(2 ** 62)])[0])
            limit = int(qs.get("limit", ["100"])[0])
            direction = qs.get("direction", ["backward"])[0].lower()
            if direction not in ("forward", "backward"):
                raise ValueError("invalid direction")
        except (KeyError, ValueError) as e:
            return self.answer(400, "%s\n" % e, "text/plain")
        found = []
        with LOCK:
            for s in STREAMS.values():
                if not matches(s["labels"], matchers):
                    continue
                e = s["entries"]
                lo, hi = bisect.bisect_left(e, (start,)), bisect.bisect_left(e, (end,))
                picked = []
                rng = range(lo, hi) if direction == "forward" else range(hi - 1, lo - 1, -1)
                for i in rng:
                    ns, line = e[i]
                    if keep(line, filters):
                        picked.append((ns, s["labels"], line))
                        if len(picked) >= limit:
                            break
                found.extend(picked)
        found.sort(key=lambda e: e[0], reverse=(direction == "backward"))
        found = found[:limit]
        groups = {}
        for ns, labels, line in found:
            g = groups.setdefault(key_of(labels), {"stream": labels, "values": []})
            g["values"].append([str(ns), line])
        body = {"status": "success", "data": {"resultType": "streams",
                                              "result": list(groups.values()), "stats": {}}}
        return self.answer(200, json.dumps(body))


def config(path):
    text = open(path).read()
    port = re.search(r"^\s*http_listen_port:\s*(\d+)", text, re.M)
    addr = re.search(r"^\s*http_listen_address:\s*(\S+)", text, re.M)
    prefix = re.search(r"^\s*path_prefix:\s*(\S+)", text, re.M)
    if not port or not prefix:
        sys.exit("loki-standin: %s names no server.http_listen_port or common.path_prefix" % path)
    return (addr.group(1) if addr else "127.0.0.1"), int(port.group(1)), prefix.group(1)


def main():
    global STORE
    args = sys.argv[1:]
    if args == ["-version"]:
        print("loki, version 0.0.0-paved-standin (paved's test stand-in for Grafana Loki's "
              "HTTP API; not Grafana Loki)")
        return
    cfg = [a.split("=", 1)[1] for a in args if a.startswith("-config.file=")]
    if not cfg:
        sys.exit("usage: loki-standin.py -config.file=PATH | -version")
    addr, port, prefix = config(cfg[0])
    os.makedirs(prefix, exist_ok=True)
    path = os.path.join(prefix, "standin.jsonl")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue    # a line cut by a kill -9
                add(e["labels"], e["ns"], e["line"], False)
    STATS["received"] = STATS["duplicates"] = 0
    STORE = open(path, "a")
    server = ThreadingHTTPServer((addr, port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
