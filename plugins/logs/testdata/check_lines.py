#!/usr/bin/env python3
"""Compare what Loki holds with what the replicas wrote, line by line.

  check_lines.py URL SERVICE ENV TAG N [LOGDIR]

Asks Loki at URL directly (GET /loki/api/v1/query_range, forward, pages of
5000, the last 24 hours) for {service="SERVICE", env="ENV"} |= "TAG " and
keeps the lines "TAG i".  Checks that each i of 1..N is there exactly once,
that the stdout lines and the stderr lines each come in order, and, with
LOGDIR (a replica log directory of the runtime), that Loki's time order is
the files' order (their seq) line by line.  Prints "ok: ..." and exits 0,
or prints the first difference and exits 1.
"""
import glob
import json
import re
import sys
import time
import urllib.parse
import urllib.request

url, service, env, tag, n = sys.argv[1:6]
n = int(n)
logdir = sys.argv[6] if len(sys.argv) > 6 else None
pat = re.compile("^%s (\\d+)$" % re.escape(tag))

query = '{service="%s", env="%s"} |= "%s "' % (service, env, tag)
end = time.time_ns() + 10 ** 9
start = end - 24 * 3600 * 10 ** 9
seen = {}
while True:
    q = urllib.parse.urlencode({"query": query, "start": start, "end": end, "limit": 5000,
                                "direction": "forward"})
    with urllib.request.urlopen("%s/loki/api/v1/query_range?%s" % (url, q), timeout=10) as r:
        res = json.load(r)["data"]["result"]
    page = []
    for s in res:
        for ts, line in s["values"]:
            page.append((int(ts), s["stream"].get("stream", ""), line, json.dumps(s["stream"], sort_keys=True)))
    for e in page:
        seen[(e[0], e[3], e[2])] = e
    if len(page) < 5000:
        break
    start = max(e[0] for e in page)
got = sorted(seen.values(), key=lambda e: e[0])
nums = []
for ts, stream, line, _ in got:
    m = pat.match(line)
    if m:
        nums.append((int(m.group(1)), stream, line))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


count = {}
for i, _, _ in nums:
    count[i] = count.get(i, 0) + 1
missing = [i for i in range(1, n + 1) if i not in count]
twice = [i for i, c in count.items() if c > 1]
if missing:
    fail("%d of %d lines of '%s' are not in Loki (first: %s)" % (len(missing), n, tag, missing[:5]))
if twice:
    fail("lines of '%s' are in Loki more than once: %s" % (tag, twice[:5]))
if len(nums) != n:
    fail("%d lines of '%s' in Loki, want %d" % (len(nums), tag, n))
for s in ("stdout", "stderr"):
    seq = [i for i, st, _ in nums if st == s]
    if seq != sorted(seq):
        fail("the %s lines of '%s' are out of order in Loki" % (s, tag))
if logdir:
    lines = []
    for path in glob.glob(logdir + "/*.log*"):
        if not re.search(r"\.log(\.\d+)?$", path):
            continue
        for raw in open(path):
            try:
                j = json.loads(raw)
            except ValueError:
                continue
            if pat.match(j.get("line", "")):
                lines.append((j["replica"], j["seq"], j["line"]))
    lines.sort()
    files = [l for _, _, l in lines]
    loki = [l for _, _, l in nums]
    if files != loki:
        for k, (a, b) in enumerate(zip(files, loki)):
            if a != b:
                fail("line %d differs: files '%s', Loki '%s'" % (k + 1, a, b))
        fail("files hold %d lines of '%s', Loki %d" % (len(files), tag, len(loki)))
    print("ok: %d lines of '%s' in Loki exactly once, in the files' order line by line" % (n, tag))
else:
    print("ok: %d lines of '%s' in Loki exactly once, each stream in order" % (n, tag))
