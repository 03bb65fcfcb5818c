/*
 * spec.h -- a service's spec.json, under the service's lock (prefix rs_).
 *
 * spec.json says what should run:
 *   {"service", "env", "next_id", "stop_grace", "logs": {max_bytes, keep},
 *    "replicas": [{"id", "slot", "port", "version", "dir", "argv",
 *                  "variables", "health", "enabled", "weight",
 *                  "keep_until", "created_at"}]}
 * It holds the replicas' variables (DATABASE_URL, ...): 0600, in the 0700
 * service dir.  Every read-modify-write happens under the service's lock
 * (RUNTIME_DIR/lock, an flock); the supervisor reads it (atomic renames
 * make every read whole) and takes the lock only to confirm it may exit.
 * Lock order across the plugin: service lock, then the ports lock, then
 * the HAProxy lock.
 */
#ifndef RT_SPEC_H
#define RT_SPEC_H

#include <stdbool.h>
#include <paved/plugin.h>

/* One service opened by a hook. */
struct rs_svc {
	const char *home;           /* borrowed from paved->home() */
	const char *service, *env;  /* borrowed from the hook's args */
	char       *sdir;           /* HOME/runtime/ENV/SERVICE */
	int         lock;           /* the service lock, or -1 */
};

/* The "service" and "env" of ARGS, checked: a missing, empty, non-string
 * or badly formed name is an error naming it.  With OPTIONAL either may
 * be absent (then it is NULL). */
int rs_args(json_t *args, const char **service, const char **env, bool optional,
            char **errmsg);

/* Check SERVICE/ENV of ARGS and lock the service.  With CREATE make its
 * 0700 dirs first; without, a service with no runtime dir is an error
 * ("no service ENV/SERVICE").  Always rs_close() after success. */
int rs_open(paved_ctx *ctx, json_t *args, bool create, struct rs_svc *s, char **errmsg);
/* The same for a known SERVICE and ENV (already checked). */
int rs_open_named(paved_ctx *ctx, const char *service, const char *env, bool create,
                  struct rs_svc *s, char **errmsg);
void rs_close(struct rs_svc *s);

/* The spec (new reference): the file, or a fresh one with no replica. */
json_t *rs_load(const struct rs_svc *s);
/* Write SPEC as the service's spec.json (0600, atomic). */
int rs_save(const struct rs_svc *s, json_t *spec, char **errmsg);
/* The spec.json of ENV/SERVICE read without the lock, or NULL. */
json_t *rs_peek(const char *home, const char *env, const char *service);

/* Replica ID of SPEC (borrowed), its index in *IDX; NULL when absent. */
json_t *rs_replica(json_t *spec, const char *id, size_t *idx);
/* The same, or an error "no replica 'ID' of ENV/SERVICE". */
json_t *rs_need_replica(const struct rs_svc *s, json_t *spec, json_t *args, size_t *idx,
                        char **errmsg);

/* state.json of the service (new reference; {} when absent). */
json_t *rs_state(const char *sdir);

/* Every service with a runtime dir or a front door in HOME, as an array
 * of [env, service] pairs sorted by env then service, filtered by
 * SERVICE and ENV when not NULL. */
json_t *rs_list(const char *home, const char *service, const char *env);

#endif
