/*
 * plugin_cache.c -- the registration cache and plugin options.
 *
 * After a plugin loads, what it registered (hooks, roles, priorities), its
 * name, version, summary and declared options are stored in the state
 * database under its path, stamped with the file's size, mtime, ctime and
 * inode and the host's version.  The next run reads that instead of opening
 * the file, so `paved hooks` costs no dlopen at all and an HTTP sink that
 * links libcurl is only opened when an event is delivered to it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "host.h"

/* The stamp that must match for a cache entry to be used. */
static char *stamp(struct pv_plugin *p)
{
	return pv_asprintf("%s/%u/%lld/%lld/%lld/%lld", PACKAGE_VERSION, PAVED_ABI_VERSION,
	                   p->st.size, p->st.mtime_ns, p->st.ctime_ns, p->st.ino);
}

/* Read the whole cache once: one query instead of one per plugin. */
static json_t *cache_table(pv_host *h)
{
	sqlite3_stmt *st = NULL;
	if (h->plugin_cache || !h->db)
		return h->plugin_cache;
	h->plugin_cache = json_object();
	if (sqlite3_prepare_v2(h->db, "SELECT path, stamp, entry FROM plugin_cache", -1, &st,
	                       NULL) != SQLITE_OK)
		return h->plugin_cache;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(h->plugin_cache, (const char *)sqlite3_column_text(st, 0),
		    json_pack("{ssss}", "stamp", sqlite3_column_text(st, 1),
		              "entry", sqlite3_column_text(st, 2)));
	sqlite3_finalize(st);
	return h->plugin_cache;
}

/* Fill P from its cache entry.  PAVED_OK on a hit, PAVED_ERR on a miss. */
int pv_cache_lookup(pv_host *h, struct pv_plugin *p)
{
	char *s = stamp(p);
	json_t *e = NULL, *row = json_object_get(cache_table(h), p->path);
	int rc = PAVED_ERR;
	if (!s || !row || strcmp(json_string_value(json_object_get(row, "stamp")), s) != 0)
		goto done;
	e = json_loads(json_string_value(json_object_get(row, "entry")), 0, NULL);
	const char *name = json_string_value(json_object_get(e, "name"));
	json_t *regs = json_object_get(e, "regs");
	if (!name || !json_is_array(regs))
		goto done;
	free(p->name), free(p->version), free(p->summary);
	p->name = pv_strdup(name);
	p->version = pv_strdup(json_string_value(json_object_get(e, "version")));
	p->summary = pv_strdup(json_string_value(json_object_get(e, "summary")));
	json_decref(p->regs), json_decref(p->options);
	p->regs = json_incref(regs);
	p->options = json_incref(json_object_get(e, "options"));
	rc = PAVED_OK;
done:
	json_decref(e);
	free(s);
	return rc;
}

/* Record the freshly loaded plugins (those marked dirty), in one
 * transaction with one prepared statement.  Failure to write is not an
 * error: a plugin not cached is simply loaded again next time. */
void pv_cache_store_dirty(pv_host *h)
{
	sqlite3_stmt *st = NULL;
	if (!h->db || sqlite3_prepare_v2(h->db, "INSERT OR REPLACE INTO plugin_cache(path, stamp, "
	                                 "entry) VALUES(?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return;
	bool tx = sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
	for (struct pv_plugin *p = h->plugins; p; p = p->next) {
		if (!p->dirty || p->status != PV_PLUGIN_LOADED)
			continue;
		p->dirty = false;
		char *s = stamp(p);
		json_t *e = json_pack("{ss ss? ss? sO sO?}", "name", p->name, "version", p->version,
		                      "summary", p->summary, "regs", p->regs, "options", p->options);
		char *text = e ? json_dumps(e, JSON_COMPACT) : NULL;
		if (s && text) {
			sqlite3_bind_text(st, 1, p->path, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, s, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				pv_log(h, PAVED_LOG_DEBUG, "cannot cache plugin %s: %s", p->path,
				       sqlite3_errmsg(h->db));
			sqlite3_reset(st);
		}
		free(text);
		json_decref(e);
		free(s);
	}
	sqlite3_finalize(st);
	if (tx)
		sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
}

/* Does V have option type TYPE ("string", "int", "bool", "object")? */
static bool type_ok(const char *type, json_t *v)
{
	if (strcmp(type, "string") == 0) return json_is_string(v);
	if (strcmp(type, "int") == 0)    return json_is_integer(v);
	if (strcmp(type, "bool") == 0)   return json_is_boolean(v);
	if (strcmp(type, "object") == 0) return json_is_object(v);
	return true;
}

/* Resolve P's declared options against "plugins.<name>.*" in the config:
 * configured value (type-checked) or default.  Unknown keys under the
 * plugin's section are an error too: they are almost always typos. */
int pv_options_resolve(pv_host *h, struct pv_plugin *p, char **errmsg)
{
	json_t *vals = json_object();
	char *key = pv_asprintf("plugins.%s", p->name);
	json_t *section = key ? pv_config_get(h->config, key) : NULL;
	size_t i;
	json_t *o;
	int rc = PAVED_OK;
	json_array_foreach(p->options, i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		const char *type = json_string_value(json_object_get(o, "type"));
		json_t *v = json_object_get(section, name);
		if (v && !json_is_null(v) && !type_ok(type ? type : "", v)) {
			rc = pv_seterr(errmsg, "option %s.%s must be of type %s", key, name, type);
			goto done;
		}
		if (!v || json_is_null(v))
			v = json_object_get(o, "default");
		if (v && !json_is_null(v))
			json_object_set(vals, name, v);
	}
	if (json_is_object(section)) {
		const char *k;
		json_t *v;
		json_object_foreach(section, k, v) {
			bool known = false;
			json_array_foreach(p->options, i, o)
				known = known || strcmp(k, json_string_value(json_object_get(o, "name"))) == 0;
			if (!known) {
				rc = pv_seterr(errmsg, "unknown option %s.%s (plugin '%s' declares %zu "
				               "option%s; see `paved plugins show %s`)", key, k, p->name,
				               json_array_size(p->options),
				               json_array_size(p->options) == 1 ? "" : "s", p->name);
				goto done;
			}
		}
	}
done:
	free(key);
	if (rc == PAVED_OK) {
		json_decref(p->optvals);
		p->optvals = vals;
	} else {
		json_decref(vals);
	}
	return rc;
}
