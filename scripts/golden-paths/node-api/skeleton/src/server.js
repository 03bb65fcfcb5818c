'use strict';
// Entry point: reads PORT (default 8080) and HOST from the environment,
// logs JSON lines on stdout and shuts down cleanly on SIGTERM / SIGINT:
// stops accepting, finishes in-flight requests, sends the queued spans, exits 0.
const { start, SERVICE_NAME } = require('./app');
const { createLogger } = require('./log');

const DRAIN_TIMEOUT_MS = 10000;
const log = createLogger(SERVICE_NAME);

function parsePort(value) {
  if (value === undefined || value === '') return 8080;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid PORT: ${value}`);
  }
  return port;
}

async function main() {
  const port = parsePort(process.env.PORT);
  const server = await start({ port, host: process.env.HOST || undefined, log });
  log('info', 'listening', {
    port: server.address().port,
    metrics: server.metrics.enabled,
    otlp_endpoint: server.exporter ? server.exporter.endpoint : null,
  });

  let stopping = false;
  const shutdown = (signal) => {
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down', { signal });
    server.close(async (err) => {
      if (err) log('error', 'close failed', { error: String(err) });
      await server.shutdownTelemetry();
      log('info', 'stopped', { spans_exported: server.exporter ? server.exporter.stats.exported : 0 });
      process.exit(err ? 1 : 0);
    });
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  log('error', 'startup failed', { error: String(err) });
  process.exit(1);
});
