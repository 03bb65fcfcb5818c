/*
 * terraform.c -- the provision_terraform plugin: the "terraform" driver of
 * resource types postgres and redis (hooks provision.driver.postgres.
 * terraform and provision.driver.redis.terraform).
 *
 * It translates the intent into a Terraform module in JSON syntax,
 * DIR/terraform/ENV/main.tf.json, where DIR is the service's directory
 * (the one holding platform.yaml) or $PAVED_HOME/provision/terraform/
 * SERVICE: aws_db_instance (backup_retention_period from "backups",
 * instance class from the size table), aws_elasticache_cluster (node type
 * from the size table, maxmemory-policy from "eviction" through an
 * aws_elasticache_parameter_group).  Several resources of one service and
 * environment share the module.  Passwords are never written: RDS keeps
 * the master password in AWS Secrets Manager (manage_master_user_password).
 * `terraform init/plan/apply` run only when the option "run" is true.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <paved/plugin.h>

#include "../common/prutil.h"

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

/* The module directory of resource RES (malloc()ed). */
/* Put VALUE (taken) as resource LABEL of TYPE in the module's "resource"
 * object RS, making the TYPE object when it is the first of its kind. */
static void add_resource(json_t *rs, const char *type, const char *label, json_t *value)
{
	if (!json_object_get(rs, type))
		json_object_set_new(rs, type, json_object());
	json_object_set_new(json_object_get(rs, type), label, value);
}

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
	const char *size = json_string_value(json_object_get(res, "size"));
	const char *env = json_string_value(json_object_get(res, "env"));
	const char *svc = json_string_value(json_object_get(res, "service"));
	json_t *opts = json_object_get(res, "options");
	bool pg = !strcmp(type, "postgres");
	const char *cls = json_string_value(json_object_get(json_object_get(paved->option(ctx, "sizes"),
	                                                                    type), size));
	if (!aws_id(name, pg ? 63 : 50))
		return paved->error(errmsg, "name '%s' cannot be an AWS identifier: use lowercase "
		                  "letters, digits and single '-', starting with a letter (at most "
		                  "%d characters)", name, pg ? 63 : 50);
	if (!cls)
		return paved->error(errmsg, "no %s for size '%s' in plugins.provision_terraform.sizes.%s",
		                  pg ? "instance class" : "node type", size, type);
	char *label = underscored(name);
	json_t *tags = json_pack("{ss ss ss}", "paved:resource", name, "paved:env", env,
	                         "paved:service", svc ? svc : name);
	json_t *rs = json_object_get(m, "resource"), *out = json_object_get(m, "output");
	if (pg) {
		int days = retention(json_object_get(opts, "backups"));
		if (days < 0) {
			free(label);
			json_decref(tags);
			return paved->error(errmsg, "invalid backups '%s': use daily, weekly, none or a "
			                  "number of days (0-35)",
			                  json_string_value(json_object_get(opts, "backups"))
			                  ? json_string_value(json_object_get(opts, "backups")) : "?");
		}
		json_t *storage = json_object_get(opts, "storage_gb");
		json_t *db = json_pack("{ss ss ss ss si ss ss sb si sb sb ss so}",
		                       "identifier", name, "engine", "postgres", "engine_version", "15",
		                       "instance_class", cls,
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
			return paved->error(errmsg, "invalid eviction '%s': use lru, lfu, random, ttl, none "
			                  "or a Redis policy such as volatile-lru", ev);
		}
		json_t *c = json_pack("{ss ss ss si ss si sO}", "cluster_id", name, "engine", "redis",
		                      "node_type", cls, "num_cache_nodes", 1, "engine_version", "7.0",
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
	char *text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS), *err = NULL;
	char *t2 = text ? pc_printf("%s\n", text) : NULL;
	int rc = !t2 ? paved->error(errmsg, "out of memory")
	       : pu_write_file(path, t2, strlen(t2), 0644, &err) ? paved->error(errmsg, "%s", err)
	       : PAVED_OK;
	free(text), free(t2), free(err);
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
		for (size_t j = 0; steps[i][j]; j++)
			argv[2 + j] = steps[i][j];
		char *out = NULL, *etext = NULL, *err = NULL;
		int st = pu_run(argv, NULL, 30 * 60 * 1000, &out, &etext, &err);
		if (st != 0) {
			const char *e = etext && strstr(etext, "Error") ? strstr(etext, "Error") : etext;
			char *line = strndup(e ? e : "", strcspn(e ? e : "", "\n"));
			bool offline = (etext && (strstr(etext, "registry.terraform.io") ||
			                          strstr(etext, "Failed to query available provider") ||
			                          strstr(etext, "dial tcp") || strstr(etext, "no such host")));
			if (st < 0)
				rc = paved->error(errmsg, "cannot run terraform: %s; install it or set "
				                "plugins.provision_terraform.terraform", err);
			else
				rc = paved->error(errmsg, "terraform %s failed in %s: %s%s", steps[i][0], dir,
				                line ? line : "?", offline ? "; the provider registry is "
				                "unreachable (offline?): the module is written, run terraform "
				                "there when online" : "");
			free(line);
		}
		free(out), free(etext), free(err);
	}
	free(chdir_arg);
	return rc;
}

static int create(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	char *dir = module_dir(ctx, res), *path = pc_printf("%s/main.tf.json", dir ? dir : "");
	char *label = NULL, *err = NULL, *old = NULL;
	json_t *m = NULL;
	int rc = PAVED_ERR;
	if (!dir || !path) {
		paved->error(errmsg, "out of memory");
		goto out;
	}
	old = pu_read_file(path);
	m = load_module(ctx, path);
	if (translate(ctx, res, m, &label, errmsg))
		goto out;
	if (pu_mkdirs(dir, 0755, &err)) {
		paved->error(errmsg, "%s", err);
		goto out;
	}
	if (save_module(m, path, errmsg))
		goto out;
	if (run_terraform(ctx, dir, errmsg)) {
		/* put the module back as it was */
		if (old)
			pu_write_file(path, old, strlen(old), 0644, NULL);
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
	free(dir), free(path), free(label), free(err), free(old);
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

/* provision.driver.{postgres,redis}.terraform {action, resource} */
static int driver(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *action = json_string_value(json_object_get(args, "action"));
	json_t *res = json_object_get(args, "resource");
	if (action && (!strcmp(action, "stop") || !strcmp(action, "start"))) {
		*result = json_pack("{si}", !strcmp(action, "stop") ? "stopped" : "started", 0);
		return PAVED_OK;
	}
	if (!action || !json_is_string(json_object_get(res, "name")) ||
	    !json_is_string(json_object_get(res, "type")) || !json_is_string(json_object_get(res, "env")))
		return paved->error(errmsg, "arguments {\"action\", \"resource\": {\"name\", \"type\", "
		                  "\"env\", ...}} are required");
	if (!strcmp(action, "create"))
		return create(ctx, res, result, errmsg);
	if (!strcmp(action, "destroy"))
		return destroy(ctx, res, result, errmsg);
	if (!strcmp(action, "status")) {
		json_t *st = json_object_get(res, "state");
		*result = json_pack("{ss ss}", "status",
		                    json_is_true(json_object_get(st, "applied")) ? "applied" : "planned",
		                    "detail", json_string_value(json_object_get(st, "module"))
		                              ? json_string_value(json_object_get(st, "module")) : "");
		return PAVED_OK;
	}
	return paved->error(errmsg, "unknown action '%s' (create, destroy, status, stop, start)", action);
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	if (paved->provide(ctx, "provision.driver.postgres.terraform", driver, NULL, NULL, errmsg))
		return PAVED_ERR;
	return paved->provide(ctx, "provision.driver.redis.terraform", driver, NULL, NULL, errmsg);
}

static const struct paved_option options[] = {
	{ "sizes", PAVED_OPT_OBJECT,
	  "{\"postgres\": {\"small\": \"db.t3.micro\", \"medium\": \"db.t3.medium\","
	  " \"large\": \"db.r6g.large\"},"
	  " \"redis\": {\"small\": \"cache.t3.micro\", \"medium\": \"cache.t3.medium\","
	  " \"large\": \"cache.r6g.large\"}}",
	  "instance class (postgres) and node type (redis) per size" },
	{ "region", PAVED_OPT_STRING, "\"eu-west-1\"", "AWS region of the provider block" },
	{ "run", PAVED_OPT_BOOL, "false", "run terraform init/plan/apply after writing the module" },
	{ "terraform", PAVED_OPT_STRING, "\"terraform\"", "the terraform program" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(provision_terraform, "1.0.0",
                     "translates provisioning intent into a Terraform module (main.tf.json)",
                     init, NULL, options);
