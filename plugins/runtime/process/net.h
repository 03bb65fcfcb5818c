/*
 * net.h -- loopback ports and a health probe (prefix rn_).
 */
#ifndef RT_NET_H
#define RT_NET_H

#include <paved/plugin.h>

/* The one free-port helper of the plugin: a loopback TCP port for WHAT
 * (named in messages) that can be bound now and that no front door or
 * replica of HOME holds.  RANGE is "LO-HI" (the option ports) or empty for
 * any port.  Returns the port with the home's port lock held in *LOCK:
 * record the port (in spec.json or services.json), then rf_unlock(*LOCK),
 * so two callers never get the same port.  0 with *ERRMSG on failure. */
int rn_port(const char *home, const char *range, const char *what, int *lock, char **errmsg);

/* GET PATH from 127.0.0.1:PORT within TIMEOUT_MS: the HTTP status, or -1
 * when nothing answered. */
int rn_http_get(int port, const char *path, int timeout_ms);

#endif
