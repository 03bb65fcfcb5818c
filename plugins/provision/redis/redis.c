/*
 * redis.c -- the provision_redis plugin: the driver "redis-local" of the
 * provision area, hooks provision.driver.redis-local.VERB (create, update,
 * plan, destroy, status, start, stop).  One redis-server per resource
 * (server.c); class and params (params.c) change in place: CONFIG SET on
 * the running server, and its configuration file rewritten so a restart
 * keeps them.
 *
 * create is idempotent: a rerun after a kill adopts the resource's
 * directory (stops a server left running, new password, starts again).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "rdriver.h"

PAVED_PLUGIN_INIT1;

enum verb { CREATE, UPDATE, PLAN, DESTROY, STATUS, START, STOP };

void prd_fault(const char *name)
{
	const char *f = getenv("PAVED_TEST_FAULT");
	if (f && strcmp(f, name) == 0)
		raise(SIGKILL);
}

/* {url, state, summary} of running server S for RES. */
static json_t *described(paved_ctx *ctx, struct prd_server *s, json_t *res)
{
	char *url = pc_printf("redis://default:%s@127.0.0.1:%d/0", s->pw, s->port);
	char *summary = pc_printf("redis-server on 127.0.0.1:%d (maxmemory %s, %s)", s->port,
	                          prd_maxmemory(ctx, res), prd_policy(res));
	json_t *r = json_pack("{ss s{si ss ss ss sb} ss}", "url", url ? url : "", "state", "port",
	                      s->port, "dir", s->dir, "maxmemory", prd_maxmemory(ctx, res),
	                      "maxmemory_policy", prd_policy(res), "appendonly", prd_aof(res),
	                      "summary", summary ? summary : "redis-server");
	if (url)
		explicit_bzero(url, strlen(url));
	free(url), free(summary);
	return r;
}

static int create(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	int fixed = (int)json_integer_value(paved->option(ctx, "port"));
	struct prd_server s;
	char pw[49];
	int rc = PAVED_ERR;
	bool made = false;
	if (prd_check(ctx, res, NULL, errmsg))
		return PAVED_ERR;
	if (fixed > 0 && pc_port_taken(fixed))
		return paved->error(errmsg, "port 127.0.0.1:%d is already in use; stop what listens "
		                    "there or set plugins.provision_redis.port to 0 (a free port)", fixed);
	if (pc_random_hex(pw, 24))
		return paved->error(errmsg, "cannot make a password: getrandom failed");
	if (prd_server_init(ctx, name, &s, errmsg) || prd_server_dir(ctx, &s, name, errmsg))
		goto out;
	made = true;
	prd_stop_dir(s.dir);                 /* adopting: a server a killed create left */
	prd_fault("redis.after_dir");
	free(s.pw);
	s.pw = strdup(pw);
	for (int tries = 0; tries < 3; tries++) {
		if ((s.port = fixed > 0 ? fixed : pc_free_port()) < 0) {
			paved->error(errmsg, "cannot find a free port on 127.0.0.1");
			goto out;
		}
		free(*errmsg);
		*errmsg = NULL;
		if (prd_write_conf(ctx, &s, res, errmsg))
			goto out;
		if (prd_start(ctx, &s, errmsg) == 0)
			break;
		/* lost a race for the free port: take another */
		if (fixed > 0 || !strstr(*errmsg, "Address already in use"))
			goto out;
	}
	if (*errmsg)
		goto out;
	prd_fault("redis.after_start");
	*result = described(ctx, &s, res);
	rc = PAVED_OK;
out:
	if (rc != PAVED_OK && made) {
		prd_stop_dir(s.dir);
		pc_rmtree(s.dir);
	}
	explicit_bzero(pw, sizeof pw);
	prd_server_free(&s);
	return rc;
}

/* CONFIG SET NAME VALUE on S; PAVED_OK, or an error naming it. */
static int config_set(struct prd_server *s, const char *name, const char *value, char **errmsg)
{
	const char *argv[] = { "CONFIG", "SET", name, value, NULL };
	bool e = false;
	char *r = prd_command(s->port, s->pw, argv, &e);
	int rc = r && !e ? PAVED_OK
	       : paved->error(errmsg, "CONFIG SET %s %s on 127.0.0.1:%d failed: %s", name, value,
	                      s->port, r ? r : "no answer");
	free(r);
	return rc;
}

static int update(paved_ctx *ctx, json_t *res, json_t *prev, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	struct prd_server s;
	int rc = PAVED_ERR;
	if (prd_check(ctx, res, prev, errmsg) || prd_server_init(ctx, name, &s, errmsg))
		return PAVED_ERR;
	if (!s.pw || s.port <= 0) {
		paved->error(errmsg, "cannot change redis '%s': %s is missing; destroy the resource "
		             "and provision it again", name, s.conf);
		goto out;
	}
	/* the running server first, then the file it starts from next time */
	if (prd_up(&s) && (config_set(&s, "maxmemory", prd_maxmemory(ctx, res), errmsg) ||
	                   config_set(&s, "maxmemory-policy", prd_policy(res), errmsg) ||
	                   config_set(&s, "appendonly", prd_aof(res) ? "yes" : "no", errmsg)))
		goto out;
	prd_fault("redis.after_config_set");
	if (prd_write_conf(ctx, &s, res, errmsg))
		goto out;
	json_t *d = described(ctx, &s, res);
	*result = json_pack("{sO sO}", "state", json_object_get(d, "state"), "summary",
	                    json_object_get(d, "summary"));
	json_decref(d);
	rc = PAVED_OK;
out:
	prd_server_free(&s);
	return rc;
}

static int destroy(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	struct prd_server s;
	if (prd_server_init(ctx, name, &s, errmsg))
		return PAVED_ERR;
	bool there = access(s.dir, F_OK) == 0;
	if (there && !json_object_get(res, "state") && !prd_ours(&s, name)) {
		paved->log(ctx, PAVED_LOG_WARN, "%s is not paved's: kept", s.dir);
	} else if (there) {
		prd_stop_dir(s.dir);
		if (pc_rmtree(s.dir) != 0) {
			paved->error(errmsg, "cannot remove %s", s.dir);
			prd_server_free(&s);
			return PAVED_ERR;
		}
	}
	prd_server_free(&s);
	*result = json_pack("{ss}", "destroyed", name);
	return PAVED_OK;
}

/* Whether the append-only file of a stopped server in DIR holds anything. */
static bool aof_data(const char *dir)
{
	char *p = pc_printf("%s/appendonlydir", dir);
	DIR *d = p ? opendir(p) : NULL;
	struct dirent *e;
	bool any = false;
	while (d && !any && (e = readdir(d)))
		any = strstr(e->d_name, ".incr.aof") != NULL;
	if (d)
		closedir(d);
	free(p);
	return any;
}

static int status(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	struct prd_server s;
	if (prd_server_init(ctx, name, &s, errmsg))
		return PAVED_ERR;
	if (access(s.dir, F_OK) != 0) {
		*result = json_pack("{ss sb}", "status", "missing", "has_data", 0);
	} else if (prd_up(&s)) {
		const char *argv[] = { "DBSIZE", NULL };
		bool e = false;
		char *n = prd_command(s.port, s.pw, argv, &e);
		*result = json_pack("{ss}", "status", "running");
		json_object_set_new(*result, "detail", json_sprintf("redis-server on 127.0.0.1:%d",
		                                                     s.port));
		if (n && !e)
			json_object_set_new(*result, "has_data", json_boolean(atol(n) > 0));
		free(n);
	} else {
		*result = json_pack("{ss ss sb}", "status", "stopped", "detail", s.dir, "has_data",
		                    aof_data(s.dir));
	}
	prd_server_free(&s);
	return PAVED_OK;
}

static int start(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	struct prd_server s;
	int rc = PAVED_ERR, n = 0;
	if (prd_server_init(ctx, name, &s, errmsg))
		return PAVED_ERR;
	if (prd_up(&s)) {
		rc = PAVED_OK;
	} else if (!s.pw || s.port <= 0) {
		paved->error(errmsg, "cannot start redis for '%s': %s is missing; destroy the resource "
		             "and provision it again", name, s.conf);
	} else if (prd_start(ctx, &s, errmsg) == 0) {
		rc = PAVED_OK, n = 1;
	}
	if (rc == PAVED_OK)
		*result = json_pack("{si}", "started", n);
	prd_server_free(&s);
	return rc;
}

static int stop_all(paved_ctx *ctx, json_t **result, char **errmsg)
{
	char *base = prd_base(ctx, false, errmsg);
	DIR *d = base ? opendir(base) : NULL;
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *dir = pc_printf("%s/%s", base, e->d_name);
		if (dir)
			n += prd_stop_dir(dir);
		free(dir);
	}
	if (d)
		closedir(d);
	free(base);
	*result = json_pack("{si}", "stopped", n);
	return PAVED_OK;
}

/* provision.driver.redis-local.VERB; DATA is the verb. */
static int driver(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	enum verb v = (enum verb)(long)data;
	json_t *res = json_object_get(args, "resource"), *prev = json_object_get(args, "previous");
	if (v == STOP)
		return stop_all(ctx, result, errmsg);
	if (!json_is_string(json_object_get(res, "name")) ||
	    ((v == UPDATE || v == PLAN) && !json_is_object(prev)))
		return paved->error(errmsg, "arguments {\"resource\": {\"name\", ...}%s} are required",
		                    v == UPDATE || v == PLAN ? ", \"previous\"" : "");
	switch (v) {
	case CREATE:  return create(ctx, res, result, errmsg);
	case UPDATE:  return update(ctx, res, prev, result, errmsg);
	case PLAN:    return prd_plan(ctx, res, prev, result, errmsg);
	case DESTROY: return destroy(ctx, res, result, errmsg);
	case STATUS:  return status(ctx, res, result, errmsg);
	default:      return start(ctx, res, result, errmsg);
	}
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	static const char *const verbs[] = { "create", "update", "plan", "destroy", "status",
	                                     "start", "stop", NULL };
	PAVED_PLUGIN_INIT2(a);
	return pc_provide_verbs(ctx, "provision.driver.redis-local", verbs, driver, errmsg);
}

static const struct paved_option options[] = {
	{ "redis_server", PAVED_OPT_STRING, "\"redis-server\"", "the redis-server program" },
	{ "port", PAVED_OPT_INT, "0", "port of every new server (0: a free port each)" },
	{ "start_timeout", PAVED_OPT_INT, "5", "seconds to wait for a server to answer PING" },
	{ "classes", PAVED_OPT_OBJECT,
	  "{\"small\": \"64mb\", \"medium\": \"256mb\", \"large\": \"1gb\"}",
	  "maxmemory per class; its keys are the known classes" },
	{ "run_as", PAVED_OPT_STRING, "\"\"",
	  "when paved runs as root: the user redis-server runs as (default redis, else nobody)" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(provision_redis, "2.0.0",
                     "one password-protected redis-server per resource: the redis-local driver",
                     init, NULL, options);
