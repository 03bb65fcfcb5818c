'use strict';
// Entry point: reads PORT (default 8080) and HOST from the environment and
// shuts down cleanly on SIGTERM / SIGINT.
const { start, SERVICE_NAME } = require('./app');

const DRAIN_TIMEOUT_MS = 10000;

function log(level, msg, extra = {}) {
  const line = JSON.stringify({ level, msg, service: SERVICE_NAME, ...extra });
  (level === 'error' ? console.error : console.log)(line);
}

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
  const server = await start({ port, host: process.env.HOST || undefined });
  log('info', 'listening', { port: server.address().port });

  let stopping = false;
  const shutdown = (signal) => {
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down', { signal });
    server.close((err) => {
      if (err) log('error', 'close failed', { error: String(err) });
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
