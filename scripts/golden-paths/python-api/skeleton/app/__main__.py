"""Entry point (python3 -m app): reads PORT (default 8080) and HOST from the
environment, logs JSON lines on stdout and shuts down cleanly on SIGTERM /
SIGINT: stops accepting, finishes in-flight requests, sends the queued
spans, exits 0."""

import os
import signal
import sys
import threading

from app.log import Logger
from app.server import SERVICE_NAME, make_server

DRAIN_TIMEOUT_S = 10


def parse_port(value):
    if value is None or value == "":
        return 8080
    if not value.isdigit() or int(value) > 65535:
        raise ValueError("invalid PORT: %s" % value)
    return int(value)


def main():
    log = Logger(SERVICE_NAME)
    try:
        server = make_server(parse_port(os.environ.get("PORT")), os.environ.get("HOST") or None, os.environ, log)
    except (OSError, ValueError) as err:
        log("error", "startup failed", error=str(err))
        return 1

    stop = threading.Event()
    received = []

    def on_signal(signum, frame):
        received.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=server.serve_forever, args=(0.1,), name="http", daemon=True).start()
    exporter = server.app.exporter
    log("info", "listening", port=server.port, metrics=server.app.metrics.enabled,
        otlp_endpoint=exporter.endpoint if exporter else None)

    stop.wait()
    log("info", "shutting down", signal=received[0])
    server.shutdown()  # stop accepting
    server.drain(DRAIN_TIMEOUT_S)  # finish in-flight requests
    server.server_close()
    server.app.shutdown_telemetry()
    log("info", "stopped", spans_exported=exporter.exported if exporter else 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
