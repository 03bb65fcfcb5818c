/*
 * loader.c -- find plugins in the search path and load them with libltdl.
 *
 * Search path, in order: --plugin-path, $PAVED_PLUGIN_PATH, the config key
 * plugin_path (string or array), then the installed plugins directory (or,
 * for a paved run from its build tree, the build tree's plugins).  Within a
 * directory files load in name order; a name found earlier shadows later
 * ones, so an organisation can replace a bundled plugin.
 *
 * Start-up pays only for what a command uses: a plugin whose registrations
 * are in the cache (plugin_cache.c, keyed on size/mtime/ctime/inode) is
 * not opened; its hooks get placeholders and the plugin is opened and
 * initialised on first call (pv_plugin_ensure).  New or changed files are
 * loaded at once and cached if they load.  Failures are never cached, so a
 * fixed plugin loads on the next run.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ltdl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

/* With PAVED_KEEP_PLUGINS_MAPPED set, plugins are never closed, so that a
 * leak report of a sanitizer build, written at exit, can name their
 * functions (a debugging aid: a plugin file replaced in the same process
 * is then not read again). */
#define KEEP_MAPPED (getenv("PAVED_KEEP_PLUGINS_MAPPED") != NULL)

static lt_dladvise advise;
static int inited;

/* Initialise libltdl (counted: each init is matched by pv_loader_exit). */
int pv_loader_init(char **errmsg)
{
	if (lt_dlinit() != 0)
		return pv_seterr(errmsg, "cannot initialise libltdl: %s", lt_dlerror());
	if (inited++ == 0) {
		lt_dladvise_init(&advise);
		lt_dladvise_ext(&advise);
		lt_dladvise_local(&advise);
	}
	return PAVED_OK;
}

void pv_loader_exit(void)
{
	if (inited == 0)
		return;
	if (--inited == 0)
		lt_dladvise_destroy(&advise);
	if (!KEEP_MAPPED)
		lt_dlexit();
}

const char *pv_plugin_status_name(enum pv_plugin_status s)
{
	switch (s) {
	case PV_PLUGIN_CACHED:   return "ready";
	case PV_PLUGIN_LOADED:   return "loaded";
	case PV_PLUGIN_FAILED:   return "failed";
	case PV_PLUGIN_SHADOWED: return "shadowed";
	}
	return "?";
}


/* Append DIRS (colon-separated) to the growing path ACC. */
static void path_add(char **acc, const char *dirs)
{
	if (!dirs || !*dirs)
		return;
	char *n = *acc ? pv_asprintf("%s:%s", *acc, dirs) : pv_strdup(dirs);
	if (n) {
		free(*acc);
		*acc = n;
	}
}

/* The colon-separated search path in effect (see the top of this file). */
char *pv_plugin_path(pv_host *h, const char *flag_path)
{
	char *acc = NULL;
	path_add(&acc, flag_path);
	path_add(&acc, getenv("PAVED_PLUGIN_PATH"));
	json_t *cp = pv_config_get(h->config, "plugin_path");
	if (json_is_string(cp)) {
		path_add(&acc, json_string_value(cp));
	} else if (json_is_array(cp)) {
		size_t i;
		json_t *d;
		json_array_foreach(cp, i, d)
			path_add(&acc, json_string_value(d));
	}
	path_add(&acc, pv_in_build_tree() ? PV_BUILD_PLUGIN_DIRS : PV_PLUGINDIR);
	return acc;
}

/* The kind of plugin FILE is, by extension, or NULL to skip the file. */
static const char *file_kind(const char *file, size_t *stemlen)
{
	size_t n = strlen(file);
	if (n > 3 && strcmp(file + n - 3, ".so") == 0) {
		*stemlen = n - 3;
		return "c";
	}
	for (size_t k = 0; pv_extra_kinds[k]; k++) {
		size_t le = strlen(pv_extra_kinds[k]->ext);
		if (n > le && strcmp(file + n - le, pv_extra_kinds[k]->ext) == 0) {
			*stemlen = n - le;
			return pv_extra_kinds[k]->kind;
		}
	}
	return NULL;
}

struct pv_plugin *pv_plugin_find(pv_host *h, const char *name)
{
	for (struct pv_plugin *p = h->plugins; p; p = p->next)
		if (p->status != PV_PLUGIN_SHADOWED && strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static void plugin_add(pv_host *h, struct pv_plugin *p)
{
	if (h->plugins_tail)
		h->plugins_tail->next = p;
	else
		h->plugins = p;
	h->plugins_tail = p;
}

static void plugin_fail(pv_host *h, struct pv_plugin *p, char *msg)
{
	p->status = PV_PLUGIN_FAILED;
	free(p->error);
	p->error = msg ? msg : pv_strdup("out of memory");
	pv_unregister_plugin(h, p);
	pv_log(h, PAVED_LOG_ERROR, "plugin %s: %s", p->path, p->error);
}

/* The registrations of P now in the registry, as cached JSON. */
static json_t *collect_regs(pv_host *h, struct pv_plugin *p)
{
	json_t *regs = json_array();
	for (size_t b = 0; b < h->nbuckets; b++) {
		for (struct paved_hook *hk = h->hooks[b]; hk; hk = hk->next) {
			if (hk->provider && hk->provider->plugin == p)
				json_array_append_new(regs, json_pack("{sssssiss*}", "hook", hk->name,
				                      "role", "provide", "priority", 0, "summary",
				                      hk->provider->summary));
			for (size_t i = 0; i < hk->nobservers; i++)
				if (hk->observers[i]->plugin == p)
					json_array_append_new(regs, json_pack("{sssssi}", "hook",
					    hk->name, "role", "observe", "priority",
					    hk->observers[i]->priority));
		}
	}
	return regs;
}

/* Declared options of a C descriptor as JSON. */
static json_t *options_json(const struct paved_option *o)
{
	static const char *const types[] = { "string", "int", "bool", "object" };
	json_t *a = json_array();
	for (; o && o->name; o++)
		json_array_append_new(a, json_pack("{ss ss so? ss}", "name", o->name,
		    "type", (unsigned)o->type < 4 ? types[o->type] : "string",
		    "default", o->default_json ? json_loads(o->default_json, JSON_DECODE_ANY, NULL) : json_null(),
		    "description", o->description ? o->description : ""));
	return a;
}

/* Why the system loader refuses PATH, or NULL.  libltdl reports every
 * dlopen failure as "file not found" (even for an existing file that is not
 * ELF, or one whose dependency is missing), so ask dlopen itself, only on
 * this failure path.  The "PATH: " dlerror() puts first is dropped: the
 * caller names the file already.  Caller frees. */
static char *dl_reason(const char *path)
{
	void *d = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	if (d) {
		dlclose(d);
		return NULL;
	}
	const char *e = dlerror();
	if (!e)
		return NULL;
	size_t n = strlen(path);
	if (strncmp(e, path, n) == 0 && strncmp(e + n, ": ", 2) == 0)
		e += n + 2;
	return pv_strdup(e);
}

/* Open a C plugin and check its descriptor; does not run init. */
static int open_c(pv_host *h, struct pv_plugin *p, char **errmsg)
{
	(void)h;
	p->handle = lt_dlopenadvise(p->path, advise);
	if (!p->handle) {
		const char *e = lt_dlerror();
		/* only now find out why: a readable file costs no extra syscalls */
		int fd = open(p->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return pv_seterr(errmsg, "cannot read: %s", strerror(errno));
		close(fd);
		char *why = dl_reason(p->path);
		int rc = pv_seterr(errmsg, "not a loadable shared object: %s",
		                   why ? why : e ? e : "unknown error");
		free(why);
		return rc;
	}
	p->desc = lt_dlsym(p->handle, "paved_plugin");
	if (!p->desc)
		return pv_seterr(errmsg, "no plugin descriptor: the file exports neither "
		                 "paved_plugin nor NAME_LTX_paved_plugin (see PAVED_PLUGIN_DECLARE "
		                 "in paved/plugin.h)");
	if (p->desc->abi != PAVED_ABI_VERSION)
		return pv_seterr(errmsg, "built for plugin ABI %u, but this paved (%s) "
		                 "provides ABI %u: rebuild the plugin against paved/plugin.h "
		                 "(sdk/README.md has a migration note)",
		                 p->desc->abi, PACKAGE_VERSION, PAVED_ABI_VERSION);
	if (p->desc->size < sizeof(struct paved_plugin))
		return pv_seterr(errmsg, "invalid descriptor: its size is %u bytes, ABI %u's is "
		                 "%zu; declare it with PAVED_PLUGIN_DECLARE", p->desc->size,
		                 PAVED_ABI_VERSION, sizeof(struct paved_plugin));
	if (!pv_valid_name(p->desc->name) || !p->desc->init)
		return pv_seterr(errmsg, "invalid descriptor: name must be [a-z][a-z0-9_-]* "
		                 "and init must be set");
	if (p->from_cache && strcmp(p->desc->name, p->name) != 0)
		return pv_seterr(errmsg, "descriptor name changed from '%s' to '%s'",
		                 p->name, p->desc->name);
	free(p->name), free(p->version), free(p->summary);
	p->name = pv_strdup(p->desc->name);
	p->version = pv_strdup(p->desc->version ? p->desc->version : "0");
	p->summary = pv_strdup(p->desc->summary ? p->desc->summary : "");
	json_decref(p->options);
	p->options = options_json(p->desc->options);
	return PAVED_OK;
}

/* Open plugin P, resolve its options and run its init. */
static int load_now(pv_host *h, struct pv_plugin *p, char **errmsg)
{
	const struct pv_plugin_kind *kind = NULL;
	for (size_t k = 0; pv_extra_kinds[k]; k++)
		if (strcmp(pv_extra_kinds[k]->kind, p->kind) == 0)
			kind = pv_extra_kinds[k];
	if (kind)
		return kind->load(h, p, errmsg);  /* opens, resolves options, inits */
	if (open_c(h, p, errmsg))
		return PAVED_ERR;
	if (!p->from_cache) {
		struct pv_plugin *other = pv_plugin_find(h, p->name);
		if (other && other != p)
			return pv_seterr(errmsg, "plugin name '%s' is already used by %s",
			                 p->name, other->path);
	}
	if (pv_options_resolve(h, p, errmsg))
		return PAVED_ERR;
	char *err = NULL;
	p->conflict = false;
	int rc = p->desc->init(&p->ctx, &pv_api, &err);
	if (rc != PAVED_OK || p->conflict) {
		pv_seterr(errmsg, "init failed: %s", err ? err : "no reason given");
		free(err);
		return PAVED_ERR;
	}
	free(err);
	return PAVED_OK;
}

/* Make sure plugin P is loaded and initialised (a cached plugin is loaded
 * on first use).  On failure *ERRMSG names the plugin and reason. */
int pv_plugin_ensure(pv_host *h, struct pv_plugin *p, char **errmsg)
{
	if (p->status == PV_PLUGIN_LOADED)
		return PAVED_OK;
	if (p->status != PV_PLUGIN_CACHED)
		return pv_seterr(errmsg, "plugin '%s' (%s) %s: %s", p->name, p->path,
		                 pv_plugin_status_name(p->status), p->error ? p->error : "");
	char *err = NULL;
	if (load_now(h, p, &err)) {
		pv_seterr(errmsg, "plugin '%s' (%s): %s", p->name, p->path, err);
		plugin_fail(h, p, err);
		return PAVED_ERR;
	}
	p->status = PV_PLUGIN_LOADED;
	return PAVED_OK;
}

/* Register the cached registrations of P as placeholders.  A provider
 * already taken by an earlier plugin makes P fail, as a fresh load would. */
static int register_cached(pv_host *h, struct pv_plugin *p, char **errmsg)
{
	size_t i;
	json_t *r;
	json_array_foreach(p->regs, i, r) {
		const char *hook = json_string_value(json_object_get(r, "hook"));
		const char *role = json_string_value(json_object_get(r, "role"));
		int prio = (int)json_integer_value(json_object_get(r, "priority"));
		struct paved_hook *hk = hook ? pv_hook_get(h, hook, true) : NULL;
		if (!hk || !role)
			return pv_seterr(errmsg, "corrupt registration cache entry");
		struct pv_impl *im = calloc(1, sizeof *im);
		if (!im)
			return pv_seterr(errmsg, "out of memory");
		*im = (struct pv_impl){ .plugin = p, .priority = prio, .seq = ++h->seq };
		if (strcmp(role, "provide") == 0) {
			const char *sum = json_string_value(json_object_get(r, "summary"));
			if (sum)
				im->summary = pv_strdup(sum);
			if (hk->provider) {
				struct pv_plugin *o = hk->provider->plugin;
				free(im->summary);
				free(im);
				return pv_seterr(errmsg, "init failed: provider '%s' is already taken by "
				                 "plugin '%s'%s%s", hook, o ? o->name : "paved",
				                 o ? " from " : "", o ? o->path : "");
			}
			hk->provider = im;
		} else {
			free(im);  /* pv_observe with a NULL fn is refused: add directly */
			struct pv_impl **g = realloc(hk->observers, (hk->nobservers + 1) * sizeof *g);
			if (!g || !(im = calloc(1, sizeof *im)))
				return pv_seterr(errmsg, "out of memory");
			hk->observers = g;
			*im = (struct pv_impl){ .plugin = p, .priority = prio, .seq = ++h->seq };
			size_t at = hk->nobservers++;
			while (at > 0 && hk->observers[at - 1]->priority > prio) {
				hk->observers[at] = hk->observers[at - 1];
				at--;
			}
			hk->observers[at] = im;
		}
	}
	return PAVED_OK;
}

/* Bring one discovered plugin file up: from the cache, or by loading it. */
static void bring_up(pv_host *h, struct pv_plugin *p)
{
	char *err = NULL;
	if (pv_cache_lookup(h, p) == PAVED_OK) {
		p->from_cache = true;
		p->status = PV_PLUGIN_CACHED;
		struct pv_plugin *other = pv_plugin_find(h, p->name);
		if (other && other != p)
			plugin_fail(h, p, pv_asprintf("plugin name '%s' is already used by %s",
			                              p->name, other->path));
		else if (register_cached(h, p, &err) || pv_options_resolve(h, p, &err))
			plugin_fail(h, p, err), err = NULL;
		free(err);
		return;
	}
	if (load_now(h, p, &err)) {
		plugin_fail(h, p, err);
		return;
	}
	p->status = PV_PLUGIN_LOADED;
	json_decref(p->regs);
	p->regs = collect_regs(h, p);
	p->dirty = true;   /* cached at the end of pv_load_plugins, in one transaction */
}

/* Add every plugin file of directory DIR. */
static void scan_dir(pv_host *h, const char *dir)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	struct stat dst;
	/* a directory others can write to could be given any plugin: refuse
	 * everything in it, as sshd refuses keys there */
	char *dir_unsafe = n > 0 && stat(dir, &dst) == 0 ? pv_unsafe_owner(&dst, dir) : NULL;
	for (int i = 0; i < n; i++) {
		size_t stem;
		const char *kind = file_kind(ents[i]->d_name, &stem);
		struct pv_plugin *p = kind ? calloc(1, sizeof *p) : NULL;
		if (p) {
			p->ctx = (struct paved_ctx){ h, p };
			p->path = pv_path_join(dir, ents[i]->d_name);
			p->name = strndup(ents[i]->d_name, stem);
			p->kind = pv_strdup(kind);
			struct stat st;
			if (stat(p->path, &st) == 0)
				p->st.size = st.st_size, p->st.ino = (long long)st.st_ino,
				p->st.mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
				p->st.ctime_ns = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
			for (struct pv_plugin *q = h->plugins; q; q = q->next) {
				if (q->status != PV_PLUGIN_SHADOWED && strcmp(q->name, p->name) == 0 &&
				    strcmp(q->path, p->path) != 0) {
					p->status = PV_PLUGIN_SHADOWED;
					p->error = pv_asprintf("shadowed by %s", q->path);
					break;
				}
			}
			plugin_add(h, p);
			char *unsafe = dir_unsafe ? pv_strdup(dir_unsafe) :
			               p->st.ino ? pv_unsafe_owner(&st, p->path) : NULL;
			if (unsafe && p->status != PV_PLUGIN_SHADOWED)
				plugin_fail(h, p, pv_asprintf("refused: %s", unsafe));
			else if (p->status != PV_PLUGIN_SHADOWED)
				bring_up(h, p);
			free(unsafe);
		}
		free(ents[i]);
	}
	free(ents);
	free(dir_unsafe);
}

/* Discover and bring up every plugin in SEARCH_PATH.  With --strict, the
 * first failure is an error (PV_EXIT_PLUGIN). */
int pv_load_plugins(pv_host *h, const char *search_path, char **errmsg)
{
	char *copy = pv_strdup(search_path ? search_path : ""), *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		bool dup = false;  /* the same directory twice in the path */
		for (char *e = copy; e < d; e += strlen(e) + 1)
			dup = dup || strcmp(e, d) == 0;
		if (!dup)
			scan_dir(h, d);
	}
	free(copy);
	pv_cache_store_dirty(h);
	if (h->strict)
		for (struct pv_plugin *p = h->plugins; p; p = p->next)
			if (p->status == PV_PLUGIN_FAILED)
				return pv_seterr(errmsg, "plugin %s: %s (--strict)", p->path, p->error);
	return PAVED_OK;
}

/* Run every loaded plugin's fini, close them and free the list. */
void pv_unload_plugins(pv_host *h)
{
	for (struct pv_plugin *p = h->plugins; p; p = p->next) {
		if (p->status == PV_PLUGIN_LOADED && p->desc && p->desc->fini)
			p->desc->fini(&p->ctx);
		for (size_t k = 0; pv_extra_kinds[k]; k++)
			if (p->lua && strcmp(pv_extra_kinds[k]->kind, p->kind) == 0)
				pv_extra_kinds[k]->unload(h, p);
	}
	pv_registry_free(h);   /* frees plugin data before the code goes away */
	struct pv_plugin *p = h->plugins, *next;
	for (; p; p = next) {
		next = p->next;
		if (p->handle && !KEEP_MAPPED)
			lt_dlclose(p->handle);
		free(p->path), free(p->name), free(p->version), free(p->summary);
		free(p->kind), free(p->error);
		json_decref(p->regs), json_decref(p->options), json_decref(p->optvals);
		free(p);
	}
	h->plugins = h->plugins_tail = NULL;
}

/* P as JSON for `paved plugins --json`.  New reference. */
json_t *pv_plugin_json(struct pv_plugin *p)
{
	json_t *prov = json_array(), *obs = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(p->regs, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "role")), "provide") == 0)
			json_array_append(prov, json_object_get(r, "hook"));
		else
			json_array_append_new(obs, json_pack("{sOsO}", "hook", json_object_get(r, "hook"),
			                      "priority", json_object_get(r, "priority")));
	}
	return json_pack("{ss ss? ss? ss ss ss ss? so so sO}",
	                 "name", p->name, "version", p->version, "summary", p->summary,
	                 "kind", p->kind, "file", p->path,
	                 "status", pv_plugin_status_name(p->status), "error", p->error,
	                 "provides", prov, "observes", obs,
	                 "options", p->options ? p->options : json_null());
}
