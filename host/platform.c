/*
 * platform.c -- platform.yaml, the service's contract with paved, read in
 * one place (the host's hook platform.read) for every plugin that needs
 * it: `paved apply` (resources), `paved deploy` (how to build, run and
 * check the service), monitoring (its SLO).
 *
 *   service: payment-api
 *   resources:                       # Score's vocabulary: type, class, params
 *     db: {type: postgres, class: small, params: {backups: daily}}
 *   deploy:
 *     build: make                    # argv (split on spaces, no shell) or a list
 *     run: ./build/payment-api
 *     port: 8080                     # the port the app listens on by default
 *     health: /health
 *     replicas: 2
 *     strategy: rolling              # or a canary's steps, see sdk/README.md
 *     auto: true                     # a push to the forge deploys to dev
 *     variables: {DATABASE_URL: "${resources.db.url}"}
 *   environments:                    # per-env overrides, merged over the above
 *     production: {deploy: {replicas: 3}, resources: {db: {class: medium}}}
 *   slo: {availability: 99.9, latency: {p99_ms: 200}, window: 30d}
 *
 * A Score file (apiVersion score.dev/v1b1: metadata.name, one container's
 * command, args and variables, resources, service.ports) is read as the
 * same contract.
 *
 * Structure errors name the file, line and column; unknown keys are
 * warnings (returned, so the caller shows them), not errors.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host.h"

/* Known keys of each section (NULL-terminated); others warn. */
static const char *const top_keys[] = { "apiVersion", "service", "resources", "deploy",
	"environments", "slo", NULL };
static const char *const res_keys[] = { "type", "class", "params", "size", NULL };
static const char *const deploy_keys[] = { "build", "run", "port", "health", "replicas",
	"strategy", "auto", "variables", "steps", "analysis", "rollback", "judge", "max_surge",
	"max_unavailable", "health_timeout", NULL };
static const char *const env_keys[] = { "deploy", "resources", NULL };
static const char *const slo_keys[] = { "availability", "latency", "window", NULL };

/* What one read collects: the file name, node marks, warnings. */
struct rd {
	const char *file;
	json_t     *marks;
	json_t     *warnings;
};

/* "FILE:LINE:COL" (or "FILE") for the node at JSON pointer PTR. */
static char *where(struct rd *r, const char *ptr)
{
	json_t *m = json_object_get(r->marks, ptr);
	if (!m)
		return pv_strdup(r->file);
	return pv_asprintf("%s:%d:%d", r->file, (int)json_integer_value(json_array_get(m, 0)),
	                   (int)json_integer_value(json_array_get(m, 1)));
}

/* The JSON pointer PTR as a dotted field name ("/deploy/port" ->
 * "deploy.port"), malloc()ed. */
static char *dotted(const char *ptr)
{
	char *field = pv_strdup(ptr[0] == '/' ? ptr + 1 : ptr);
	for (char *c = field; c && *c; c++)
		if (*c == '/')
			*c = '.';
	return field;
}

static int bad(struct rd *r, char **errmsg, const char *ptr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* An error at the node PTR: "FILE:LINE:COL: FIELD: message". */
static int bad(struct rd *r, char **errmsg, const char *ptr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = pv_vasprintf(fmt, ap), *at = where(r, ptr);
	va_end(ap);
	char *field = dotted(ptr);
	pv_seterr(errmsg, "%s: %s: %s", at, field && *field ? field : "(top)", msg ? msg : "?");
	free(msg), free(at), free(field);
	return PAVED_ERR;
}

/* Warn about the keys of OBJ (at PTR) that are not in KNOWN. */
static void warn_unknown(struct rd *r, json_t *obj, const char *ptr, const char *const *known)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		bool ok = false;
		for (size_t i = 0; known[i] && !ok; i++)
			ok = strcmp(k, known[i]) == 0;
		if (ok)
			continue;
		char *p = pv_asprintf("%s/%s", ptr, k), *at = where(r, p), *field = dotted(p);
		json_array_append_new(r->warnings, json_sprintf("%s: unknown key '%s' (ignored)",
		                      at, field));
		free(p), free(at), free(field);
	}
}

static bool is_label(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 63 || !islower((unsigned char)s[0]) || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

/* A command: a string split on whitespace (no shell) or a list of
 * strings; normalised to a list in place. */
static int command(struct rd *r, json_t *obj, const char *key, const char *ptr, char **errmsg)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return PAVED_OK;
	if (json_is_string(v)) {
		json_t *argv = json_array();
		char *copy = pv_strdup(json_string_value(v)), *save = NULL;
		for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
			json_array_append_new(argv, json_string(w));
		free(copy);
		json_object_set_new(obj, key, argv);
		return PAVED_OK;
	}
	size_t i;
	json_t *x;
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (!json_is_string(x))
				return bad(r, errmsg, ptr, "must be a command: a string, or a list of strings");
		return PAVED_OK;
	}
	return bad(r, errmsg, ptr, "must be a command: a string, or a list of strings");
}

/* Check the placeholders ${resources.KEY.FIELD} in TEXT name a resource. */
static int placeholders(struct rd *r, json_t *resources, const char *text, const char *ptr,
                        char **errmsg)
{
	for (const char *p = strstr(text, "${"); p; p = strstr(p + 2, "${")) {
		const char *end = strchr(p, '}');
		if (!end)
			return bad(r, errmsg, ptr, "unclosed placeholder '%s'", p);
		if (strncmp(p + 2, "resources.", 10) != 0)
			return bad(r, errmsg, ptr, "unknown placeholder '%.*s' (use ${resources.NAME."
			           "FIELD})", (int)(end - p + 1), p);
		const char *key = p + 12, *dot = memchr(key, '.', (size_t)(end - key));
		if (!dot || dot == key || dot + 1 >= end)
			return bad(r, errmsg, ptr, "placeholder '%.*s' needs a resource and a field, as "
			           "${resources.db.url}", (int)(end - p + 1), p);
		char *name = strndup(key, (size_t)(dot - key));
		bool known = json_object_get(resources, name) != NULL;
		if (!known)
			bad(r, errmsg, ptr, "placeholder '%.*s' names no resource '%s' of this file",
			    (int)(end - p + 1), p, name);
		free(name);
		if (!known)
			return PAVED_ERR;
	}
	return PAVED_OK;
}

static int check_resources(struct rd *r, json_t *res, const char *base, char **errmsg)
{
	const char *k;
	json_t *v;
	if (!res)
		return PAVED_OK;
	if (!json_is_object(res))
		return bad(r, errmsg, base, "must be a mapping of resources, such as "
		           "{db: {type: postgres}}");
	json_object_foreach(res, k, v) {
		char *ptr = pv_asprintf("%s/%s", base, k);
		int rc = PAVED_OK;
		if (!is_label(k))
			rc = bad(r, errmsg, ptr, "resource names are lowercase letters, digits and '-', "
			         "starting with a letter");
		else if (!json_is_object(v))
			rc = bad(r, errmsg, ptr, "must be a mapping such as {type: postgres, class: small}");
		else if (json_object_get(v, "type") && !json_is_string(json_object_get(v, "type")))
			rc = bad(r, errmsg, ptr, "type must be a string");
		else if (json_object_get(v, "class") && !json_is_string(json_object_get(v, "class")))
			rc = bad(r, errmsg, ptr, "class must be a string");
		else if (json_object_get(v, "params") && !json_is_object(json_object_get(v, "params")))
			rc = bad(r, errmsg, ptr, "params must be a mapping");
		if (rc == PAVED_OK) {
			warn_unknown(r, v, ptr, res_keys);
			json_t *size = json_object_get(v, "size");
			if (size) {   /* the vocabulary before Score's: size is class */
				char *at = where(r, ptr), *field = dotted(ptr);
				json_array_append_new(r->warnings, json_sprintf("%s: %s.size is called "
				                      "class now (Score's vocabulary); read as class", at,
				                      field));
				free(at), free(field);
				if (!json_object_get(v, "class"))
					json_object_set(v, "class", size);
				json_object_del(v, "size");
			}
		}
		free(ptr);
		if (rc)
			return rc;
	}
	return PAVED_OK;
}

static int check_deploy(struct rd *r, json_t *d, json_t *resources, const char *base,
                        char **errmsg)
{
	char *ptr;
	int rc = PAVED_OK;
	if (!d)
		return PAVED_OK;
	if (!json_is_object(d))
		return bad(r, errmsg, base, "must be a mapping (build, run, port, health, ...)");
	warn_unknown(r, d, base, deploy_keys);
#define AT(k) (free(ptr), ptr = pv_asprintf("%s/%s", base, k))
	ptr = NULL;
	json_t *v;
	if (!rc && AT("build") && (rc = command(r, d, "build", ptr, errmsg)))
		goto out;
	if (AT("run") && (rc = command(r, d, "run", ptr, errmsg)))
		goto out;
	if ((v = json_object_get(d, "run")) && json_array_size(v) == 0) {
		AT("run");
		rc = bad(r, errmsg, ptr, "is empty: say how to start the service");
		goto out;
	}
	if ((v = json_object_get(d, "port")) && (!json_is_integer(v) ||
	    json_integer_value(v) < 1 || json_integer_value(v) > 65535)) {
		AT("port");
		rc = bad(r, errmsg, ptr, "must be a port number (1-65535)");
		goto out;
	}
	if ((v = json_object_get(d, "replicas")) && (!json_is_integer(v) ||
	    json_integer_value(v) < 1 || json_integer_value(v) > 64)) {
		AT("replicas");
		rc = bad(r, errmsg, ptr, "must be a whole number from 1 to 64");
		goto out;
	}
	if ((v = json_object_get(d, "health")) && (!json_is_string(v) ||
	    json_string_value(v)[0] != '/')) {
		AT("health");
		rc = bad(r, errmsg, ptr, "must be a path starting with '/', such as /health");
		goto out;
	}
	if ((v = json_object_get(d, "auto")) && !json_is_boolean(v)) {
		AT("auto");
		rc = bad(r, errmsg, ptr, "must be true or false");
		goto out;
	}
	if ((v = json_object_get(d, "strategy")) && !json_is_string(v)) {
		AT("strategy");
		rc = bad(r, errmsg, ptr, "must be a strategy name (rolling, bluegreen, canary)");
		goto out;
	}
	if ((v = json_object_get(d, "variables"))) {
		const char *k;
		json_t *x;
		AT("variables");
		if (!json_is_object(v)) {
			rc = bad(r, errmsg, ptr, "must be a mapping of NAME: value");
			goto out;
		}
		json_object_foreach(v, k, x) {
			AT("variables");
			char *vp = pv_asprintf("%s/%s", ptr, k);
			if (!*k || strchr(k, '=') || (!json_is_string(x) && !json_is_number(x) &&
			    !json_is_boolean(x)))
				rc = bad(r, errmsg, vp, "must be a text, number or boolean value of a "
				         "variable named without '='");
			else if (json_is_string(x))
				rc = placeholders(r, resources, json_string_value(x), vp, errmsg);
			free(vp);
			if (rc)
				goto out;
		}
	}
out:
#undef AT
	free(ptr);
	return rc;
}

static int check_slo(struct rd *r, json_t *slo, char **errmsg)
{
	json_t *v;
	if (!slo)
		return PAVED_OK;
	if (!json_is_object(slo))
		return bad(r, errmsg, "/slo", "must be a mapping (availability, latency, window)");
	warn_unknown(r, slo, "/slo", slo_keys);
	if ((v = json_object_get(slo, "availability")) && (!json_is_number(v) ||
	    json_number_value(v) <= 0 || json_number_value(v) >= 100))
		return bad(r, errmsg, "/slo/availability", "must be a percentage above 0 and below "
		           "100, such as 99.9");
	if ((v = json_object_get(slo, "window"))) {
		const char *w = json_string_value(v);
		char *end = NULL;
		long n = w ? strtol(w, &end, 10) : 0;
		if (!w || n <= 0 || n > 90 || strcmp(end, "d") != 0)
			return bad(r, errmsg, "/slo/window", "must be a number of days, such as 30d "
			           "(1d to 90d)");
	}
	if ((v = json_object_get(slo, "latency"))) {
		json_t *p = json_object_get(v, "p99_ms");
		if (!json_is_object(v) || !json_is_integer(p) || json_integer_value(p) <= 0)
			return bad(r, errmsg, "/slo/latency", "must be {p99_ms: N} with N > 0");
	}
	return PAVED_OK;
}

/* Score (score.dev/v1b1) to paved's contract, in place: metadata.name,
 * the one container's command/args/variables, service.ports. */
static int from_score(struct rd *r, json_t *doc, char **errmsg)
{
	json_t *containers = json_object_get(doc, "containers"), *c = NULL, *deploy = json_object();
	const char *k;
	if (json_object_size(containers) != 1) {
		json_decref(deploy);
		return bad(r, errmsg, "/containers", "paved runs one container per service: declare "
		           "exactly one");
	}
	json_object_foreach(containers, k, c)
		break;
	json_t *argv = json_array(), *x;
	size_t i;
	json_array_foreach(json_object_get(c, "command"), i, x)
		json_array_append(argv, x);
	json_array_foreach(json_object_get(c, "args"), i, x)
		json_array_append(argv, x);
	if (json_array_size(argv))
		json_object_set(deploy, "run", argv);
	json_decref(argv);
	if (json_object_get(c, "variables"))
		json_object_set(deploy, "variables", json_object_get(c, "variables"));
	json_t *ports = json_object_get(json_object_get(doc, "service"), "ports"), *port;
	json_object_foreach(ports, k, port) {
		json_t *tp = json_object_get(port, "targetPort");
		json_object_set(deploy, "port", tp ? tp : json_object_get(port, "port"));
		break;
	}
	/* Score's "service" is the ports; paved's is the name */
	json_t *name = json_object_get(json_object_get(doc, "metadata"), "name");
	if (name)
		json_object_set(doc, "service", name);
	else
		json_object_del(doc, "service");
	json_object_set_new(doc, "deploy", deploy);
	json_object_del(doc, "metadata");
	json_object_del(doc, "containers");
	json_object_del(doc, "apiVersion");
	return PAVED_OK;
}

/* Merge OVER into BASE, mapping by mapping (OVER's scalars and lists win). */
static void merge(json_t *base, json_t *over)
{
	const char *k;
	json_t *v;
	json_object_foreach(over, k, v) {
		json_t *b = json_object_get(base, k);
		if (json_is_object(b) && json_is_object(v))
			merge(b, v);
		else
			json_object_set(base, k, v);
	}
}

/* The file to read: FILE, or DIR/platform.yaml, else DIR/score.yaml. */
static char *pick_file(const char *file, const char *dir)
{
	if (file)
		return pv_strdup(file);
	char *p = pv_path_join(dir ? dir : ".", "platform.yaml");
	struct stat st;
	if (p && stat(p, &st) != 0) {
		char *s = pv_path_join(dir ? dir : ".", "score.yaml");
		if (s && stat(s, &st) == 0) {
			free(p);
			return s;
		}
		free(s);
	}
	return p;
}

/* The service name a file's directory gives (".../payment-api/platform.yaml"). */
static json_t *dir_name(const char *file)
{
	char *copy = pv_strdup(file), *slash = copy ? strrchr(copy, '/') : NULL;
	json_t *name = NULL;
	if (slash) {
		*slash = '\0';
		const char *base = strrchr(copy, '/');
		name = json_string(base ? base + 1 : copy);
	}
	free(copy);
	return name;
}

int pv_platform_read(const char *file, const char *dir, const char *env, const char *service,
                     json_t **out, char **errmsg)
{
	char *path = pick_file(file, dir);
	struct rd r = { path, NULL, json_array() };
	struct paved_yaml_opts o = { .size = sizeof o, .flags = PAVED_YAML_MARKS, .max_bytes = 1 << 20,
	                             .marks = &r.marks };
	json_t *doc = NULL;
	int rc = PAVED_ERR;
	*out = NULL;
	if (!path || pv_yaml_read(path, &o, &doc, errmsg) != PAVED_OK)
		goto done;
	if (!json_is_object(doc)) {
		rc = bad(&r, errmsg, "", "must be a mapping with service, resources and deploy");
		goto done;
	}
	/* YAML aliases share nodes; merging overrides into a shared node could
	 * make the contract contain itself.  Work on a tree of its own (the
	 * reader's node limit bounds its size). */
	json_t *tree = json_deep_copy(doc);
	json_decref(doc);
	if (!(doc = tree)) {
		rc = pv_seterr(errmsg, "%s: out of memory", path);
		goto done;
	}
	const char *api = json_string_value(json_object_get(doc, "apiVersion"));
	if (api && strncmp(api, "score.dev/", 10) == 0) {
		if (from_score(&r, doc, errmsg))
			goto done;
	} else {
		warn_unknown(&r, doc, "", top_keys);
	}
	json_t *svc = json_object_get(doc, "service");
	if (!svc && (svc = service ? json_string(service) : dir_name(path)))
		json_object_set_new(doc, "service", svc);
	if (!is_label(json_string_value(svc))) {
		rc = bad(&r, errmsg, "/service", "'%s' is not a service name: lowercase letters, "
		         "digits and '-', starting with a letter, at most 63",
		         json_string_value(svc) ? json_string_value(svc) : "");
		goto done;
	}
	if (!json_object_get(doc, "resources"))
		json_object_set_new(doc, "resources", json_object());
	json_t *res = json_object_get(doc, "resources");
	if (check_resources(&r, res, "/resources", errmsg) ||
	    check_deploy(&r, json_object_get(doc, "deploy"), res, "/deploy", errmsg) ||
	    check_slo(&r, json_object_get(doc, "slo"), errmsg))
		goto done;
	json_t *envs = json_object_get(doc, "environments"), *e;
	const char *en;
	if (envs && !json_is_object(envs)) {
		rc = bad(&r, errmsg, "/environments", "must be a mapping of env: overrides");
		goto done;
	}
	json_object_foreach(envs, en, e) {
		char *ptr = pv_asprintf("/environments/%s", en);
		char *rp = pv_asprintf("%s/resources", ptr), *dp = pv_asprintf("%s/deploy", ptr);
		int bad_env = !json_is_object(e) ? bad(&r, errmsg, ptr, "must be a mapping with "
		              "deploy and resources overrides") : PAVED_OK;
		if (!bad_env) {
			warn_unknown(&r, e, ptr, env_keys);
			json_t *over = json_object_get(e, "resources"), *x;
			const char *k;
			bad_env = check_resources(&r, over, rp, errmsg);
			json_object_foreach(over, k, x)
				if (!bad_env && !json_object_get(res, k))
					bad_env = bad(&r, errmsg, rp, "'%s' overrides no resource of this "
					              "file", k);
			if (!bad_env)
				bad_env = check_deploy(&r, json_object_get(e, "deploy"), res, dp, errmsg);
		}
		free(ptr), free(rp), free(dp);
		if (bad_env)
			goto done;
	}
	/* the contract for ENV: the overrides merged over the base */
	json_t *mine = json_object_get(envs, env ? env : "dev");
	if (mine)
		merge(doc, mine);
	json_object_del(doc, "environments");
	json_t *rv;
	const char *rk;
	json_object_foreach(res, rk, rv) {
		if (!json_object_get(rv, "class"))
			json_object_set_new(rv, "class", json_string("small"));
		if (!json_object_get(rv, "params"))
			json_object_set_new(rv, "params", json_object());
		if (!json_is_string(json_object_get(rv, "type"))) {
			char *ptr = pv_asprintf("/resources/%s", rk);
			rc = bad(&r, errmsg, ptr, "type is required (postgres, redis, ...)");
			free(ptr);
			goto done;
		}
	}
	json_object_set_new(doc, "file", json_string(path));
	json_object_set_new(doc, "env", json_string(env ? env : "dev"));
	json_object_set(doc, "warnings", r.warnings);
	*out = doc;
	doc = NULL;
	rc = PAVED_OK;
done:
	json_decref(doc);
	json_decref(r.marks);
	json_decref(r.warnings);
	free(path);
	return rc;
}

/* The hook platform.read {file? | dir?, env?, service?}: see the top of this
 * file.  SERVICE names the service when the file does not (else the
 * file's directory does). */
int pv_platform_read_hook(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg,
                          void *data)
{
	(void)ctx, (void)data;
	const char *file = json_string_value(json_object_get(args, "file"));
	const char *dir = json_string_value(json_object_get(args, "dir"));
	const char *env = json_string_value(json_object_get(args, "env"));
	const char *service = json_string_value(json_object_get(args, "service"));
	for (const char *c = env; c && *c; c++)
		if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-' ||
		      *c == '_') || !islower((unsigned char)env[0]))
			return pv_seterr(errmsg, "invalid environment '%s': use lowercase letters, "
			                 "digits, '-' and '_' (dev, staging, production)", env);
	return pv_platform_read(file, dir, env, service, result, errmsg);
}
