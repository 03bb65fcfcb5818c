/*
 * registry.c -- the hook registry: providers, observer chains, calls.
 *
 * A hook is looked up by name once (pv_hook_get, a hash table); a call
 * through the resolved hook is a NULL check and an indirect call when no
 * observers are attached.  Entries that came from the registration cache
 * have fn == NULL: the first call loads their plugin (pv_plugin_ensure),
 * whose init fills them in.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "host.h"

#define NBUCKETS 256

static unsigned long hash(const char *s)
{
	unsigned long h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int pv_registry_init(pv_host *h)
{
	h->hooks = calloc(NBUCKETS, sizeof *h->hooks);
	h->nbuckets = NBUCKETS;
	return h->hooks ? PAVED_OK : PAVED_ERR;
}

static void impl_free(struct pv_impl *im)
{
	if (!im)
		return;
	if (im->free_data)
		im->free_data(im->data);
	free(im->summary);
	free(im);
}

void pv_registry_free(pv_host *h)
{
	for (size_t b = 0; h->hooks && b < h->nbuckets; b++) {
		struct paved_hook *hk = h->hooks[b], *next;
		for (; hk; hk = next) {
			next = hk->next;
			impl_free(hk->provider);
			for (size_t i = 0; i < hk->nobservers; i++)
				impl_free(hk->observers[i]);
			free(hk->observers);
			free(hk->name);
			free(hk);
		}
	}
	free(h->hooks);
	h->hooks = NULL;
}

static struct paved_hook *find(pv_host *h, const char *name)
{
	for (struct paved_hook *hk = h->hooks[hash(name) % h->nbuckets]; hk; hk = hk->next)
		if (strcmp(hk->name, name) == 0)
			return hk;
	return NULL;
}

/* Link a new hook HK with its chains, so a call finds its before: and
 * after: observers through pointers instead of by name. */
static void link_chains(pv_host *h, struct paved_hook *hk)
{
	char key[256];
	struct paved_hook *base;
	if (strncmp(hk->name, "before:", 7) == 0) {
		if ((base = find(h, hk->name + 7)))
			base->before = hk;
	} else if (strncmp(hk->name, "after:", 6) == 0) {
		if ((base = find(h, hk->name + 6)))
			base->after = hk;
	} else if (!strchr(hk->name, ':')) {
		snprintf(key, sizeof key, "before:%s", hk->name);
		hk->before = find(h, key);
		snprintf(key, sizeof key, "after:%s", hk->name);
		hk->after = find(h, key);
	}
}

/* Find hook NAME; with CREATE, add it if absent (NULL only on OOM). */
struct paved_hook *pv_hook_get(pv_host *h, const char *name, bool create)
{
	struct paved_hook *hk = find(h, name);
	if (hk || !create)
		return hk;
	if (!(hk = calloc(1, sizeof *hk)) || !(hk->name = strdup(name))) {
		free(hk);
		return NULL;
	}
	unsigned long b = hash(name) % h->nbuckets;
	hk->next = h->hooks[b];
	h->hooks[b] = hk;
	h->nhooks++;
	link_chains(h, hk);
	return hk;
}

/* A hook name: "area.verb" style, optionally "before:", "after:",
 * "event:" prefixed; printable, no spaces. */
static bool valid_hook(const char *s)
{
	if (!s || !*s || strlen(s) > 200)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s == 127)
			return false;
	return true;
}

static const char *plugin_label(struct pv_plugin *p)
{
	return p ? p->name : "paved";
}

/* Make plugin P the provider of HOOK.  DATA is owned by the registry from
 * here on, even when this fails. */
int pv_provide(pv_host *h, struct pv_plugin *p, const char *hook, paved_fn fn,
               void *data, void (*free_data)(void *), char **errmsg)
{
	struct paved_hook *hk = NULL;
	struct pv_impl *im;
	int rc;
	if (!fn || !valid_hook(hook) || strchr(hook, ':')) {
		rc = pv_seterr(errmsg, "provide: invalid hook name '%s'", hook ? hook : "(null)");
		goto fail;
	}
	if (!(hk = pv_hook_get(h, hook, true))) {
		rc = pv_seterr(errmsg, "out of memory");
		goto fail;
	}
	im = hk->provider;
	if (im && im->fn == NULL && im->plugin == p) {  /* cached placeholder */
		im->fn = fn, im->data = data, im->free_data = free_data;
		return PAVED_OK;
	}
	if (im) {
		if (p)
			p->conflict = true;
		rc = pv_seterr(errmsg, "provider '%s' is already taken by plugin '%s'%s%s",
		               hook, plugin_label(im->plugin), im->plugin ? " from " : "",
		               im->plugin ? im->plugin->path : "");
		goto fail;
	}
	if (!(im = calloc(1, sizeof *im))) {
		rc = pv_seterr(errmsg, "out of memory");
		goto fail;
	}
	*im = (struct pv_impl){ .fn = fn, .data = data, .free_data = free_data, .plugin = p, .seq = ++h->seq };
	hk->provider = im;
	return PAVED_OK;
fail:
	if (free_data)
		free_data(data);
	return rc;
}

int pv_provide_command(pv_host *h, struct pv_plugin *p, const char *name, const char *summary,
                       paved_fn fn, void *data, void (*free_data)(void *), char **errmsg)
{
	char hook[256];
	if (!name || !*name || strlen(name) > 64 || strchr(name, '.') || strchr(name, ':')) {
		if (free_data)
			free_data(data);
		return pv_seterr(errmsg, "provide_command: invalid command name '%s'",
		                 name ? name : "(null)");
	}
	snprintf(hook, sizeof hook, "cli.%s", name);
	int rc = pv_provide(h, p, hook, fn, data, free_data, errmsg);
	struct paved_hook *hk = rc == PAVED_OK ? pv_hook_get(h, hook, false) : NULL;
	if (hk && hk->provider && summary) {
		free(hk->provider->summary);
		hk->provider->summary = pv_strdup(summary);
	}
	return rc;
}

static int impl_cmp(const void *a, const void *b)
{
	const struct pv_impl *x = *(struct pv_impl *const *)a, *y = *(struct pv_impl *const *)b;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Add an observer of HOOK (which must be before:, after: or event:). */
int pv_observe(pv_host *h, struct pv_plugin *p, const char *hook, int priority,
               paved_fn fn, void *data, void (*free_data)(void *), char **errmsg)
{
	struct paved_hook *hk;
	struct pv_impl *im, **grown;
	int rc;
	if (!fn || !valid_hook(hook) || !(strncmp(hook, "before:", 7) == 0 ||
	    strncmp(hook, "after:", 6) == 0 || strncmp(hook, "event:", 6) == 0)) {
		rc = pv_seterr(errmsg, "observe: invalid hook name '%s' (use before:HOOK, "
		               "after:HOOK or event:NAME)", hook ? hook : "(null)");
		goto fail;
	}
	if (!(hk = pv_hook_get(h, hook, true))) {
		rc = pv_seterr(errmsg, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < hk->nobservers; i++) {
		im = hk->observers[i];
		if (im->fn == NULL && im->plugin == p && im->priority == priority) {
			im->fn = fn, im->data = data, im->free_data = free_data;
			return PAVED_OK;
		}
	}
	grown = realloc(hk->observers, (hk->nobservers + 1) * sizeof *grown);
	if (!grown || !(im = calloc(1, sizeof *im))) {
		if (grown)
			hk->observers = grown;
		rc = pv_seterr(errmsg, "out of memory");
		goto fail;
	}
	hk->observers = grown;
	*im = (struct pv_impl){ .fn = fn, .data = data, .free_data = free_data, .plugin = p, .priority = priority, .seq = ++h->seq };
	hk->observers[hk->nobservers++] = im;
	qsort(hk->observers, hk->nobservers, sizeof *hk->observers, impl_cmp);
	return PAVED_OK;
fail:
	if (free_data)
		free_data(data);
	return rc;
}

/* Remove every registration of plugin P (a plugin that failed in init). */
void pv_unregister_plugin(pv_host *h, struct pv_plugin *p)
{
	for (size_t b = 0; b < h->nbuckets; b++) {
		for (struct paved_hook *hk = h->hooks[b]; hk; hk = hk->next) {
			if (hk->provider && hk->provider->plugin == p) {
				impl_free(hk->provider);
				hk->provider = NULL;
			}
			size_t j = 0;
			for (size_t i = 0; i < hk->nobservers; i++) {
				if (hk->observers[i]->plugin == p)
					impl_free(hk->observers[i]);
				else
					hk->observers[j++] = hk->observers[i];
			}
			hk->nobservers = j;
		}
	}
}

/* The handle an implementation runs with: its plugin's, or the host's. */
static paved_ctx *impl_ctx(pv_host *h, struct pv_impl *im)
{
	return im->plugin ? &im->plugin->ctx : &h->self;
}

/* Run one implementation: load its plugin if it is a cached placeholder,
 * call it with its plugin's handle, and prefix an error message with
 * "PLUGIN: HOOK: ".  A failing implementation may hand back a result: it
 * is kept in *RESULT beside the error. */
int pv_run_impl(pv_host *h, struct pv_impl *im, const char *hook, json_t *args,
                json_t **result, char **errmsg)
{
	char *err = NULL;
	int rc;
	*result = NULL;
	if (!im->fn) {
		if (pv_plugin_ensure(h, im->plugin, errmsg))
			return PAVED_ERR;
		if (!im->fn)
			return pv_seterr(errmsg, "plugin '%s' (%s) no longer registers '%s'; "
			                 "run the command again", im->plugin->name,
			                 im->plugin->path, hook);
	}
	rc = im->fn(impl_ctx(h, im), args, result, &err, im->data);
	if (rc != PAVED_OK) {
		if (rc != PAVED_VETO && rc != PAVED_NOHOOK)
			rc = PAVED_ERR;
		if (im->passthrough && err) {
			if (errmsg) {
				free(*errmsg);
				*errmsg = err;
			} else {
				free(err);
			}
			return rc;
		}
		pv_seterr(errmsg, "%s: %s: %s", plugin_label(im->plugin), hook,
		          err ? err : "failed (no message given)");
	}
	free(err);
	return rc;
}

/* Names of loaded plugins and what they provide, for "no plugin provides". */
char *pv_loaded_summary(pv_host *h)
{
	json_t *names = json_array();
	for (struct pv_plugin *p = h->plugins; p; p = p->next)
		if (p->status == PV_PLUGIN_LOADED || p->status == PV_PLUGIN_CACHED)
			json_array_append_new(names, json_string(p->name));
	char *s = NULL;
	size_t n = json_array_size(names);
	if (n == 0) {
		s = pv_strdup("no plugins are loaded (see `paved plugins`)");
	} else {
		size_t len = 32;
		for (size_t i = 0; i < n; i++)
			len += strlen(json_string_value(json_array_get(names, i))) + 2;
		s = malloc(len);
		if (s) {
			strcpy(s, "loaded plugins: ");
			for (size_t i = 0; i < n; i++) {
				if (i)
					strcat(s, ", ");
				strcat(s, json_string_value(json_array_get(names, i)));
			}
		}
	}
	json_decref(names);
	return s;
}

/* Run the observers of chain CH; before: stops at the first refusal. */
static int run_chain(pv_host *h, struct paved_hook *ch, json_t *args, bool can_veto,
                     char **errmsg)
{
	for (size_t i = 0; ch && i < ch->nobservers; i++) {
		json_t *ignored = NULL;
		char *err = NULL;
		int rc = pv_run_impl(h, ch->observers[i], ch->name, args, &ignored, &err);
		json_decref(ignored);
		if (rc != PAVED_OK && can_veto) {
			free(*errmsg);
			*errmsg = err;
			return PAVED_VETO;
		}
		if (rc != PAVED_OK)
			pv_log(h, PAVED_LOG_WARN, "%s", err);
		free(err);
	}
	return PAVED_OK;
}

/* Check V against HK's declared shape (args or result); see shapes.c. */
static int shape_check(pv_host *h, struct paved_hook *hk, const char *part, json_t *v,
                       char **errmsg)
{
	if (!hk->shape_known) {
		hk->shape = pv_shape_of(h, hk->name);
		hk->shape_known = true;
	}
	char *err = NULL, what[300];
	snprintf(what, sizeof what, "%s", part);
	if (!hk->shape || pv_shape_check(h, json_object_get(hk->shape, part), v, what, &err) == PAVED_OK)
		return PAVED_OK;
	pv_seterr(errmsg, "%s: %s: does not match the declared shape (sdk/hooks.json): %s",
	          hk->provider && hk->provider->plugin ? hk->provider->plugin->name : "paved",
	          hk->name, err);
	free(err);
	return PAVED_ERR;
}

/* Call resolved hook HK: before: chain (may veto), provider, after: chain.
 * A hook with no provider that names a front of a driver area becomes one
 * (shapes.c).  *RESULT is set whatever the outcome; on failure it is what
 * the provider handed back beside its error, or NULL. */
int pv_call_hook(pv_host *h, struct paved_hook *hk, json_t *args, json_t **result,
                 char **errmsg)
{
	json_t *empty = NULL;
	int rc;
	*result = NULL;
	if (!hk->provider && pv_front_install(h, hk) != PAVED_OK) {
		char *loaded = pv_loaded_summary(h);
		rc = pv_seterr(errmsg, "no plugin provides '%s'; %s", hk->name,
		               loaded ? loaded : "");
		free(loaded);
		return PAVED_NOHOOK;
	}
	if (!args)
		args = empty = json_object();
	if (h->check_shapes && (rc = shape_check(h, hk, "args", args, errmsg)) != PAVED_OK)
		goto done;
	if (hk->before && hk->before->nobservers &&
	    (rc = run_chain(h, hk->before, args, true, errmsg)) != PAVED_OK)
		goto done;
	if ((rc = pv_run_impl(h, hk->provider, hk->name, args, result, errmsg)) != PAVED_OK)
		goto done;
	if (!*result)
		*result = json_null();
	if (h->check_shapes && (rc = shape_check(h, hk, "result", *result, errmsg)) != PAVED_OK)
		goto done;
	if (hk->after && hk->after->nobservers) {
		json_t *both = json_pack("{sOsO}", "args", args, "result", *result);
		run_chain(h, hk->after, both, false, errmsg);
		json_decref(both);
	}
done:
	json_decref(empty);
	return rc;
}

/* Resolve HOOK by name and call it. */
int pv_call(pv_host *h, const char *hook, json_t *args, json_t **result, char **errmsg)
{
	struct paved_hook *hk = valid_hook(hook) ? pv_hook_get(h, hook, true) : NULL;
	if (!hk) {
		*result = NULL;
		return pv_seterr(errmsg, "invalid hook name '%s'", hook ? hook : "(null)");
	}
	return pv_call_hook(h, hk, args, result, errmsg);
}
