/*
 * config.c -- layered JSON configuration.
 *
 * Layers, later wins: built-in defaults < /etc/paved/config.json (or the
 * file named by $PAVED_SYSTEM_CONFIG) < $PAVED_HOME/config.json < the
 * environment < `-c key=value` flags.  Objects merge key by key; any other
 * value replaces.  Keys are dotted paths ("plugins.jsonl.path").
 *
 * Environment: PAVED_CONFIG_<KEY>=VALUE
 * sets <key> lowercased with "__" read as "." (PAVED_CONFIG_PLUGINS__JSONL__PATH).
 * A VALUE that parses as JSON is taken as JSON, otherwise as a string.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "host.h"

extern char **environ;

/* Built-in defaults.  Plugins declare their own defaults (paved_option). */
static const char default_config[] =
	"{"
	"  \"plugin_path\": null,"
	"  \"log_level\": \"warn\","
	"  \"plugins\": {}"
	"}";

/* Merge SRC into DST: objects recursively, everything else replaced. */
void pv_json_merge(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;
	json_object_foreach(src, k, v) {
		json_t *cur = json_object_get(dst, k);
		if (json_is_object(cur) && json_is_object(v))
			pv_json_merge(cur, v);
		else
			json_object_set(dst, k, v);
	}
}

/* Look up dotted KEY in CONFIG; borrowed, NULL if absent or null. */
json_t *pv_config_get(json_t *config, const char *dotted)
{
	json_t *cur = config;
	const char *p = dotted;
	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (!json_is_object(cur))
			return NULL;
		cur = json_object_getn(cur, p, n);
		p += n + (dot ? 1 : 0);
		if (!dot)
			break;
	}
	return json_is_null(cur) ? NULL : cur;
}

/* Set dotted KEY to VALUE (a reference is stolen), creating objects on
 * the way.  Returns 0, or -1 when a path element is not an object. */
int pv_config_set(json_t *config, const char *dotted, json_t *value)
{
	json_t *cur = config, *check = json_string(dotted);
	const char *p = dotted;
	/* a key that is not UTF-8 (jansson refuses it, and frees what it was
	 * given) or has an empty part is refused before anything changes */
	json_decref(check);
	if (!check || !value || !*dotted || dotted[strlen(dotted) - 1] == '.' ||
	    *dotted == '.' || strstr(dotted, "..")) {
		json_decref(value);
		return -1;
	}
	for (;;) {
		const char *dot = strchr(p, '.');
		if (!dot)
			return json_object_set_new(cur, p, value) == 0 ? 0 : -1;
		char *part = strndup(p, (size_t)(dot - p));
		json_t *next = part ? json_object_get(cur, part) : NULL;
		if (part && (!next || json_is_null(next))) {
			next = json_object();
			if (json_object_set_new(cur, part, next) != 0)
				next = NULL;   /* already freed by jansson */
		}
		free(part);
		if (!json_is_object(next)) {
			json_decref(value);
			return -1;
		}
		cur = next;
		p = dot + 1;
	}
}

/* Read the config file PATH and merge it into INTO.  A missing file is
 * fine; a malformed one is an error naming file:line:column. */
int pv_config_file(const char *path, json_t *into, char **errmsg)
{
	json_error_t e;
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return PAVED_OK;
		return pv_seterr(errmsg, "%s: cannot read config: %s", path, strerror(errno));
	}
	struct stat st;
	char *unsafe = fstat(fileno(f), &st) == 0 ? pv_unsafe_owner(&st, path) : NULL;
	if (unsafe) {
		fclose(f);
		pv_seterr(errmsg, "refused: %s", unsafe);
		free(unsafe);
		return PAVED_ERR;
	}
	json_t *j = json_loadf(f, JSON_REJECT_DUPLICATES, &e);
	fclose(f);
	if (!j)
		return pv_seterr(errmsg, "%s:%d:%d: invalid JSON: %s", path, e.line, e.column, e.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return pv_seterr(errmsg, "%s:1:1: config must be a JSON object", path);
	}
	pv_json_merge(into, j);
	json_decref(j);
	return PAVED_OK;
}

/* Parse "VALUE" as JSON if it is JSON, else as a string.  New reference. */
static json_t *parse_value(const char *s)
{
	json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
	return v ? v : json_string(s);
}

/* Apply "key=value"; ORIGIN names where it came from for errors. */
static int apply_set(json_t *config, const char *kv, const char *origin, char **errmsg)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return pv_seterr(errmsg, "%s: expected KEY=VALUE, got '%s'", origin, kv);
	char *key = strndup(kv, (size_t)(eq - kv));
	json_t *value = parse_value(eq + 1), *k = json_string(key);
	int rc = PAVED_OK;
	json_decref(k);
	if (!k)
		rc = pv_seterr(errmsg, "%s: invalid key: keys must be UTF-8 text", origin);
	else if (!value)
		rc = pv_seterr(errmsg, "%s: the value of '%s' is not valid UTF-8", origin, key);
	else if (*key == '.' || key[strlen(key) - 1] == '.' || strstr(key, ".."))
		rc = pv_seterr(errmsg, "%s: invalid key '%s': a dotted key has no empty parts",
		               origin, key);
	else if (pv_config_set(config, key, json_incref(value)) != 0)
		rc = pv_seterr(errmsg, "%s: cannot set '%s': a parent key is not an object", origin, key);
	json_decref(value);
	free(key);
	return rc;
}

/* Apply PAVED_CONFIG_* variables (PAVED_PLUGIN_PATH is read by the loader). */
static int apply_env(json_t *config, char **errmsg)
{
	static const char prefix[] = "PAVED_CONFIG_";
	for (char **e = environ; *e; e++) {
		if (strncmp(*e, prefix, sizeof prefix - 1) != 0)
			continue;
		const char *src = *e + sizeof prefix - 1;
		const char *eq = strchr(src, '=');
		if (!eq || eq == src)
			continue;
		char *key = malloc((size_t)(eq - src) + 1), *d = key;
		if (!key)
			return pv_seterr(errmsg, "out of memory");
		for (const char *s = src; s < eq; s++) {
			if (s[0] == '_' && s + 1 < eq && s[1] == '_') {
				*d++ = '.';
				s++;
			} else {
				*d++ = (char)tolower((unsigned char)*s);
			}
		}
		*d = '\0';
		char *kv = pv_asprintf("%s=%s", key, eq + 1);
		int bad = kv ? apply_set(config, kv, "environment (PAVED_CONFIG_*)", errmsg) : PAVED_ERR;
		free(key), free(kv);
		if (bad)
			return PAVED_ERR;
	}
	return PAVED_OK;
}

/* Build the merged configuration (see the comment at the top). */
int pv_config_load(const char *home, const char *const *sets, size_t nsets,
                   json_t **out, char **errmsg)
{
	json_t *c = json_loads(default_config, 0, NULL);
	char *user = NULL;
	int rc = PAVED_ERR;
	if (!c) {
		pv_seterr(errmsg, "out of memory");
		goto done;
	}
	const char *sys = getenv("PAVED_SYSTEM_CONFIG");
	if (pv_config_file(sys && *sys ? sys : "/etc/paved/config.json", c, errmsg))
		goto done;
	if (home) {
		user = pv_path_join(home, "config.json");
		if (!user || pv_config_file(user, c, errmsg))
			goto done;
	}
	if (apply_env(c, errmsg))
		goto done;
	for (size_t i = 0; i < nsets; i++)
		if (apply_set(c, sets[i], "-c", errmsg))
			goto done;
	rc = PAVED_OK;
done:
	free(user);
	if (rc == PAVED_OK)
		*out = c;
	else
		json_decref(c);
	return rc;
}
