/*
 * terraform.c -- the provision_terraform plugin: the driver "terraform" of
 * the provision area for both resource types, postgres and redis (hooks
 * provision.driver.terraform.VERB: create, update, plan, destroy, status,
 * start, stop).
 *
 * It translates a resource into a Terraform module in JSON syntax,
 * DIR/terraform/ENV/main.tf.json, where DIR is the service's directory
 * (the one holding platform.yaml) or $PAVED_HOME/provision/terraform/
 * SERVICE: aws_db_instance (backup_retention_period from params.backups,
 * instance class from the class table), aws_elasticache_cluster (node type
 * from the class table, maxmemory-policy from params.eviction through an
 * aws_elasticache_parameter_group).  Several resources of one service and
 * environment share the module.  Passwords are never written: RDS keeps
 * the master password in AWS Secrets Manager (manage_master_user_password).
 * `terraform init/plan/apply` run only when the option "run" is true.
 * Every change (class, backups, eviction, more storage) is made in place by
 * Terraform; less storage is refused (RDS storage only grows).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <paved/plugin.h>

#include "pc.h"

PAVED_PLUGIN_INIT1;

/* AWS identifiers: lowercase letters, digits, single '-', a letter first,
 * no '-' last, at most MAX characters. */
static bool aws_id(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !(s[0] >= 'a' && s[0] <= 'z') || s[n - 1] == '-' || strstr(s, "--"))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/* NAME with '-' as '_' (a Terraform label, an RDS db_name). */
static char *underscored(const char *name)
{
	char *s = strdup(name);
	for (char *p = s; p && *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

/* "backups" of the intent -> backup_retention_period (days), or -1. */
static int retention(json_t *b)
{
	if (!b || json_is_true(b))
		return 7;
	if (json_is_false(b))
		return 0;
	if (json_is_integer(b))
		return json_integer_value(b) >= 0 && json_integer_value(b) <= 35
		       ? (int)json_integer_value(b) : -1;
	const char *s = json_string_value(b);
	if (!s)
		return -1;
	if (!strcmp(s, "daily"))
		return 7;
	if (!strcmp(s, "weekly"))
		return 35;
	if (!strcmp(s, "none") || !strcmp(s, "off"))
		return 0;
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v >= 0 && v <= 35 ? (int)v : -1;
}

static const char *policy(const char *e)
{
	static const char *const map[][2] = {
		{ "lru", "allkeys-lru" }, { "lfu", "allkeys-lfu" }, { "random", "allkeys-random" },
		{ "ttl", "volatile-ttl" }, { "none", "noeviction" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(e, map[i][0]) || !strcmp(e, map[i][1]))
			return map[i][1];
	if (!strcmp(e, "volatile-lru") || !strcmp(e, "volatile-lfu") || !strcmp(e, "volatile-random"))
		return e;
	return NULL;
}

/* Put VALUE (taken) as resource LABEL of TYPE in the module's "resource"
 * object RS, making the TYPE object when it is the first of its kind. */
static void add_resource(json_t *rs, const char *type, const char *label, json_t *value)
{
	if (!json_object_get(rs, type))
		json_object_set_new(rs, type, json_object());
	json_object_set_new(json_object_get(rs, type), label, value);
}

/* The module directory of resource RES (malloc()ed). */
static char *module_dir(paved_ctx *ctx, json_t *res)
{
	const char *dir = json_string_value(json_object_get(res, "dir"));
	const char *svc = json_string_value(json_object_get(res, "service"));
	const char *env = json_string_value(json_object_get(res, "env"));
	if (dir)
		return pc_printf("%s/terraform/%s", dir, env);
	return pc_printf("%s/provision/terraform/%s/%s", paved->home(ctx),
	                 svc ? svc : json_string_value(json_object_get(res, "name")), env);
}

/* Add RES's Terraform resources to module M. */
static int translate(paved_ctx *ctx, json_t *res, json_t *m, char **label_out, char **errmsg)
{
	const char *type = json_string_value(json_object_get(res, "type"));
	const char *name = json_string_value(json_object_get(res, "name"));
	const char *cls = json_string_value(json_object_get(res, "class"));
	const char *env = json_string_value(json_object_get(res, "env"));
	const char *svc = json_string_value(json_object_get(res, "service"));
	json_t *opts = json_object_get(res, "params");
	bool pg = !strcmp(type, "postgres");
	const char *kind = json_string_value(json_object_get(json_object_get(paved->option(ctx,
	                                     "classes"), type), cls ? cls : "small"));
	if (!aws_id(name, pg ? 63 : 50))
		return paved->error(errmsg, "name '%s' cannot be an AWS identifier: use lowercase "
		                  "letters, digits and single '-', starting with a letter (at most "
		                  "%d characters)", name, pg ? 63 : 50);
	if (!kind)
		return paved->error(errmsg, "resource '%s': class '%s' is not a known class (no %s for it "
		                    "in plugins.provision_terraform.classes.%s)", name, cls ? cls : "",
		                    pg ? "instance class" : "node type", type);
	char *label = underscored(name);
	json_t *tags = json_pack("{ss ss ss}", "paved:resource", name, "paved:env", env,
	                         "paved:service", svc ? svc : name);
	json_t *rs = json_object_get(m, "resource"), *out = json_object_get(m, "output");
	if (pg) {
		int days = retention(json_object_get(opts, "backups"));
		if (days < 0) {
			free(label);
			json_decref(tags);
			return paved->error(errmsg, "resource '%s': params.backups '%s' is not a backups "
			                    "setting (daily, weekly, none or a number of days 0-35)", name,
			                    json_string_value(json_object_get(opts, "backups"))
			                    ? json_string_value(json_object_get(opts, "backups")) : "?");
		}
		json_t *storage = json_object_get(opts, "storage_gb");
		json_t *db = json_pack("{ss ss ss ss si ss ss sb si sb sb ss so}",
		                       "identifier", name, "engine", "postgres", "engine_version", "15",
		                       "instance_class", kind,
		                       "allocated_storage", json_is_integer(storage)
		                               ? (int)json_integer_value(storage) : 20,
		                       "db_name", label, "username", "paved_admin",
		                       "manage_master_user_password", 1,
		                       "backup_retention_period", days,
		                       "storage_encrypted", 1,
		                       "deletion_protection", !strcmp(env, "production"),
		                       "final_snapshot_identifier", name, "tags", tags);
		char *fs = pc_printf("%s-final", name);
		json_object_set_new(db, "final_snapshot_identifier", json_string(fs ? fs : name));
		free(fs);
		add_resource(rs, "aws_db_instance", label, db);
		char *ep = pc_printf("${aws_db_instance.%s.endpoint}", label);
		char *sec = pc_printf("${aws_db_instance.%s.master_user_secret[0].secret_arn}", label);
		char *k1 = pc_printf("%s_endpoint", label), *k2 = pc_printf("%s_secret_arn", label);
		json_object_set_new(out, k1, json_pack("{ss}", "value", ep));
		json_object_set_new(out, k2, json_pack("{ss}", "value", sec));
		free(ep), free(sec), free(k1), free(k2);
	} else {
		const char *ev = json_string_value(json_object_get(opts, "eviction"));
		const char *pol = ev ? policy(ev) : NULL;
		if (ev && !pol) {
			free(label);
			json_decref(tags);
			return paved->error(errmsg, "resource '%s': params.eviction '%s' is not an eviction "
			                    "policy (lru, lfu, random, ttl, none or a Redis policy such as "
			                    "volatile-lru)", name, ev);
		}
		json_t *c = json_pack("{ss ss ss si ss si sO}", "cluster_id", name, "engine", "redis",
		                      "node_type", kind, "num_cache_nodes", 1, "engine_version", "7.0",
		                      "port", 6379, "tags", tags);
		if (pol) {
			char *pg_name = pc_printf("%s-params", name);
			json_t *pgroup = json_pack("{ss ss s[{ss ss}] so}", "name", pg_name, "family", "redis7",
			                           "parameter", "name", "maxmemory-policy", "value", pol,
			                           "tags", json_deep_copy(tags));
			add_resource(rs, "aws_elasticache_parameter_group", label, pgroup);
			char *ref = pc_printf("${aws_elasticache_parameter_group.%s.name}", label);
			json_object_set_new(c, "parameter_group_name", json_string(ref));
			free(ref), free(pg_name);
		} else {
			json_object_set_new(c, "parameter_group_name", json_string("default.redis7"));
		}
		json_decref(tags);
		add_resource(rs, "aws_elasticache_cluster", label, c);
		char *ep = pc_printf("${aws_elasticache_cluster.%s.cache_nodes[0].address}", label);
		char *k = pc_printf("%s_address", label);
		json_object_set_new(out, k, json_pack("{ss}", "value", ep));
		free(ep), free(k);
	}
	*label_out = label;
	return PAVED_OK;
}

/* Remove LABEL's resources and outputs from module M. */
static void untranslate(json_t *m, const char *label)
{
	static const char *const kinds[] = { "aws_db_instance", "aws_elasticache_cluster",
	                                     "aws_elasticache_parameter_group", NULL };
	json_t *rs = json_object_get(m, "resource"), *out = json_object_get(m, "output");
	for (size_t i = 0; kinds[i]; i++) {
		json_object_del(json_object_get(rs, kinds[i]), label);
		if (json_object_size(json_object_get(rs, kinds[i])) == 0)
			json_object_del(rs, kinds[i]);
	}
	static const char *const sfx[] = { "_endpoint", "_secret_arn", "_address", NULL };
	for (size_t i = 0; sfx[i]; i++) {
		char *k = pc_printf("%s%s", label, sfx[i]);
		if (k)
			json_object_del(out, k);
		free(k);
	}
}

static json_t *load_module(paved_ctx *ctx, const char *path)
{
	json_t *m = json_load_file(path, 0, NULL);
	if (!json_is_object(m)) {
		json_decref(m);
		m = json_pack("{s{s{s{ssss}}} s{s{ss}} s{} s{}}", "terraform", "required_providers", "aws",
		              "source", "hashicorp/aws", "version", ">= 5.0", "provider", "aws", "region",
		              json_string_value(paved->option(ctx, "region")), "resource", "output");
	}
	return m;
}

static int save_module(json_t *m, const char *path, char **errmsg)
{
	char *text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
	char *t2 = text ? pc_printf("%s\n", text) : NULL;
	int rc = !t2 ? paved->error(errmsg, "out of memory")
	       : pc_write_file(path, t2, strlen(t2), 0644) ? paved->error(errmsg, "cannot write %s: %s",
	                                                                path, strerror(errno))
	       : PAVED_OK;
	free(text), free(t2);
	return rc;
}

/* terraform init, plan, apply in DIR when the option "run" is true. */
static int run_terraform(paved_ctx *ctx, const char *dir, char **errmsg)
{
	if (!json_is_true(paved->option(ctx, "run")))
		return PAVED_OK;
	const char *tf = json_string_value(paved->option(ctx, "terraform"));
	char *chdir_arg = pc_printf("-chdir=%s", dir);
	static const char *const steps[][6] = {
		{ "init", "-input=false", "-no-color", NULL },
		{ "plan", "-input=false", "-no-color", "-out=paved.tfplan", NULL },
		{ "apply", "-input=false", "-no-color", "-auto-approve", "paved.tfplan", NULL },
	};
	int rc = PAVED_OK;
	for (size_t i = 0; i < 3 && rc == PAVED_OK; i++) {
		const char *argv[8] = { tf, chdir_arg };
		struct paved_run_result r;
		char *err = NULL;
		for (size_t j = 0; steps[i][j]; j++)
			argv[2 + j] = steps[i][j];
		if (paved->run(ctx, &(struct paved_cmd){ .argv = argv, .timeout_ms = 30 * 60 * 1000 },
		               &r, &err) != PAVED_OK) {
			rc = paved->error(errmsg, "cannot run terraform: %s; install it or set "
			                  "plugins.provision_terraform.terraform", err);
		} else if (r.status != 0 || r.timed_out) {
			const char *e = strstr(r.err, "Error") ? strstr(r.err, "Error") : r.err;
			char *line = strndup(e, strcspn(e, "\n"));
			bool offline = strstr(r.err, "registry.terraform.io") ||
			               strstr(r.err, "Failed to query available provider") ||
			               strstr(r.err, "dial tcp") || strstr(r.err, "no such host");
			rc = paved->error(errmsg, "terraform %s failed in %s: %s%s", steps[i][0], dir,
			                  line && *line ? line : r.timed_out ? "timed out" : "?",
			                  offline ? "; the provider registry is unreachable (offline?): "
			                  "the module is written, run terraform there when online" : "");
			free(line);
		}
		free(r.out), free(r.err), free(err);
	}
	free(chdir_arg);
	return rc;
}

/* Write RES into its module (replacing what it was) and apply it when
 * "run" is true; on failure the module is put back as it was.  *RESULT:
 * {state, summary}. */
static int write_resource(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	char *dir = module_dir(ctx, res), *path = pc_printf("%s/main.tf.json", dir ? dir : "");
	char *label = NULL, *old = NULL;
	json_t *m = NULL;
	int rc = PAVED_ERR;
	if (!dir || !path) {
		paved->error(errmsg, "out of memory");
		goto out;
	}
	old = pc_read_file(path);
	m = load_module(ctx, path);
	char *prev = underscored(json_string_value(json_object_get(res, "name")));
	if (prev)
		untranslate(m, prev);
	free(prev);
	if (translate(ctx, res, m, &label, errmsg))
		goto out;
	if (pc_mkdir_p(dir, 0755)) {
		paved->error(errmsg, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if (save_module(m, path, errmsg))
		goto out;
	if (run_terraform(ctx, dir, errmsg)) {
		/* put the module back as it was */
		if (old)
			pc_write_file(path, old, strlen(old), 0644);
		else
			unlink(path);
		goto out;
	}
	bool ran = json_is_true(paved->option(ctx, "run"));
	char *summary = pc_printf("%s.%s in %s%s",
	                          strcmp(json_string_value(json_object_get(res, "type")), "postgres")
	                          ? "aws_elasticache_cluster" : "aws_db_instance", label, path,
	                          ran ? " (applied)" : " (not applied: set plugins.provision_"
	                          "terraform.run=true, or run terraform there)");
	*result = json_pack("{s{ss ss sb} ss}", "state", "module", path, "label", label,
	                    "applied", ran, "summary", summary ? summary : path);
	free(summary);
	rc = PAVED_OK;
out:
	json_decref(m);
	free(dir), free(path), free(label), free(old);
	return rc;
}

static int destroy(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	char *dir = module_dir(ctx, res), *path = pc_printf("%s/main.tf.json", dir ? dir : "");
	const char *state_path = json_string_value(json_object_get(json_object_get(res, "state"), "module"));
	char *label = underscored(json_string_value(json_object_get(res, "name")));
	int rc = PAVED_ERR;
	if (!dir || !path || !label) {
		paved->error(errmsg, "out of memory");
		goto out;
	}
	if (state_path) {
		free(path);
		path = strdup(state_path);
	}
	json_t *m = json_load_file(path, 0, NULL);
	if (m) {
		untranslate(m, label);
		if (json_object_size(json_object_get(m, "resource")) == 0 &&
		    !json_is_true(paved->option(ctx, "run")))
			unlink(path);
		else if (save_module(m, path, errmsg) || run_terraform(ctx, dir, errmsg)) {
			json_decref(m);
			goto out;
		}
		json_decref(m);
	}
	*result = json_pack("{ss}", "destroyed", json_string_value(json_object_get(res, "name")));
	rc = PAVED_OK;
out:
	free(dir), free(path), free(label);
	return rc;
}

/* params.storage_gb of RES (20 when not given). */
static json_int_t storage(json_t *res)
{
	json_t *v = json_object_get(json_object_get(res, "params"), "storage_gb");
	return json_is_integer(v) ? json_integer_value(v) : 20;
}

/* Check RES by translating it into a scratch module; then compare with
 * PREV: everything changes in place, but storage only grows. */
static int plan(paved_ctx *ctx, json_t *res, json_t *prev, json_t **result, char **errmsg)
{
	json_t *m = load_module(ctx, "/nonexistent"), *fields = json_array();
	char *label = NULL;
	int rc = translate(ctx, res, m, &label, errmsg);
	const char *name = json_string_value(json_object_get(res, "name"));
	free(label);
	json_decref(m);
	if (rc == PAVED_OK && storage(res) < storage(prev)) {
		rc = paved->error(errmsg, "resource '%s': params.storage_gb: %lld -> %lld cannot shrink "
		                  "(RDS storage only grows)", name, (long long)storage(prev),
		                  (long long)storage(res));
	}
	if (rc != PAVED_OK) {
		json_decref(fields);
		return rc;
	}
	static const char *const keys[] = { "backups", "eviction", "storage_gb", NULL };
	if (!json_equal(json_object_get(res, "class"), json_object_get(prev, "class")))
		json_array_append_new(fields, json_string("class"));
	for (size_t i = 0; keys[i]; i++)
		if (!json_equal(json_object_get(json_object_get(res, "params"), keys[i]),
		                json_object_get(json_object_get(prev, "params"), keys[i]))) {
			char *f = pc_printf("params.%s", keys[i]);
			json_array_append_new(fields, json_string(f ? f : keys[i]));
			free(f);
		}
	*result = json_pack("{ss so}", "action", json_array_size(fields) ? "update" : "none",
	                    "fields", fields);
	return PAVED_OK;
}

enum verb { CREATE, UPDATE, PLAN, DESTROY, STATUS, START, STOP };

/* provision.driver.terraform.VERB; DATA is the verb. */
static int driver(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	enum verb v = (enum verb)(long)data;
	json_t *res = json_object_get(args, "resource"), *prev = json_object_get(args, "previous");
	if (v == START || v == STOP) {
		*result = json_pack("{si}", v == STOP ? "stopped" : "started", 0);
		return PAVED_OK;
	}
	if (!json_is_string(json_object_get(res, "name")) ||
	    !json_is_string(json_object_get(res, "type")) || !json_is_string(json_object_get(res, "env")) ||
	    ((v == UPDATE || v == PLAN) && !json_is_object(prev)))
		return paved->error(errmsg, "arguments {\"resource\": {\"name\", \"type\", \"env\", "
		                    "...}%s} are required", v == UPDATE || v == PLAN ? ", \"previous\"" : "");
	const char *type = json_string_value(json_object_get(res, "type"));
	if (strcmp(type, "postgres") && strcmp(type, "redis"))
		return paved->error(errmsg, "the terraform driver makes postgres and redis, not '%s'", type);
	switch (v) {
	case CREATE:
	case UPDATE:
		return write_resource(ctx, res, result, errmsg);
	case PLAN:
		return plan(ctx, res, prev, result, errmsg);
	case DESTROY:
		return destroy(ctx, res, result, errmsg);
	default: {
		json_t *st = json_object_get(res, "state");
		bool applied = json_is_true(json_object_get(st, "applied"));
		*result = json_pack("{ss ss sb}", "status", applied ? "applied" : "planned",
		                    "detail", json_string_value(json_object_get(st, "module"))
		                              ? json_string_value(json_object_get(st, "module")) : "",
		                    "has_data", applied && !strcmp(type, "postgres"));
		return PAVED_OK;
	}
	}
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	static const char *const verbs[] = { "create", "update", "plan", "destroy", "status",
	                                     "start", "stop", NULL };
	PAVED_PLUGIN_INIT2(a);
	return pc_provide_verbs(ctx, "provision.driver.terraform", verbs, driver, errmsg);
}

static const struct paved_option options[] = {
	{ "classes", PAVED_OPT_OBJECT,
	  "{\"postgres\": {\"small\": \"db.t3.micro\", \"medium\": \"db.t3.medium\","
	  " \"large\": \"db.r6g.large\"},"
	  " \"redis\": {\"small\": \"cache.t3.micro\", \"medium\": \"cache.t3.medium\","
	  " \"large\": \"cache.r6g.large\"}}",
	  "instance class (postgres) and node type (redis) per class" },
	{ "region", PAVED_OPT_STRING, "\"eu-west-1\"", "AWS region of the provider block" },
	{ "run", PAVED_OPT_BOOL, "false", "run terraform init/plan/apply after writing the module" },
	{ "terraform", PAVED_OPT_STRING, "\"terraform\"", "the terraform program" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(provision_terraform, "2.0.0",
                     "the terraform driver: resources as a Terraform module (main.tf.json)",
                     init, NULL, options);
