"""Structured logs: one JSON object per line, each with an RFC 3339 UTC time
(milliseconds), a level and a message."""

import datetime
import json
import sys
import threading


def now_rfc3339():
    """The current UTC time as 2026-01-31T12:00:00.123Z."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Logger:
    """log(level, msg, **fields) writes one line to stream (default stdout).
    Safe to call from every request thread."""

    def __init__(self, service, stream=None):
        self.service = service
        self._stream = stream
        self._lock = threading.Lock()

    def __call__(self, level, msg, **fields):
        record = {"time": now_rfc3339(), "level": level, "msg": msg, "service": self.service}
        record.update(fields)
        line = json.dumps(record, separators=(",", ":")) + "\n"
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(line)
            stream.flush()
