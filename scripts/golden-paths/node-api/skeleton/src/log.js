'use strict';
// Structured logs: one JSON object per line, each with an RFC 3339 UTC time
// (milliseconds), a level and a message.

// createLogger(service, write) returns log(level, msg, fields). write gets
// one line without its newline (default: stdout).
function createLogger(service, write = (line) => process.stdout.write(line + '\n')) {
  return function log(level, msg, fields = {}) {
    write(JSON.stringify({ time: new Date().toISOString(), level, msg, service, ...fields }));
  };
}

module.exports = { createLogger };
