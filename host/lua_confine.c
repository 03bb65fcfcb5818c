/*
 * lua_confine.c -- what a sandboxed state may reach outside itself.
 *
 * Directories: each state has roots it may read and write (a recipe run's
 * target, a Lua plugin's data directory, the state's temp directories,
 * directories a plugin declares in writes = {...}) and roots it may only
 * read (the recipe's or plugin's own directory, directories declared in
 * reads = {...}).  A path is resolved before the check: made absolute,
 * every symlink in its existing part followed (realpath), "." dropped and
 * ".." taken on what is already resolved, so neither a symlink nor ".."
 * leads out.  The longest root containing the result decides: a read-only
 * directory inside a writable one stays read-only.  Callers then act on
 * the resolved path, never on the one they were given.
 *
 * Programs: paved.run starts only programs named in requires = {...}.  A
 * name is looked up in the absolute directories of PATH; the basename of
 * the path found is the declared name.  A declared absolute path allows
 * exactly that file.  A program found inside a directory the state can
 * write is refused (it could have written it).
 *
 * Variables: os.getenv sees the names declared in env = {...} only.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua_rt.h"
#include "proc.h"

/* One directory the state may reach. */
struct root {
	char *path;        /* resolved */
	bool  writable;
};

struct pv_lua_confine {
	char        *who;          /* "recipe 'node-api'", for messages */
	struct root *roots;
	size_t       nroots;
	char        *tmproot;      /* created by the first pv_lua_tmpdir; removed at close */
	char        *datadir;      /* a plugin's $PAVED_HOME/plugins-data/NAME */
	char        *target;       /* a recipe run's target, as given */
	char       **programs, **env;
	size_t       nprograms, nenv;
};

/* Programs that run other commands: declaring one defeats the
 * confinement of paved.run. */
static const char *const launchers[] = {
	"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "csh", "tcsh", "fish", "busybox",
	"env", "xargs", "sudo", "doas", "su", "nohup", "nice", "timeout", "setsid", "stdbuf",
	"chroot", "flock", "script", NULL
};

bool pv_lua_program_is_launcher(const char *name)
{
	for (const char *const *l = launchers; *l; l++)
		if (strcmp(*l, name) == 0)
			return true;
	return false;
}

/* Resolve PATH as described at the top; caller frees.  NULL with errno
 * set (EINVAL for an empty path, ENAMETOOLONG, ENOMEM, or the error of an
 * existing symlink that cannot be resolved). */
static char *resolve(const char *path, bool follow_last)
{
	char cwd[PATH_MAX], *out = NULL, *abs = NULL;
	if (!path || !*path) {
		errno = EINVAL;
		return NULL;
	}
	if (path[0] == '/')
		abs = pv_strdup(path);
	else if (getcwd(cwd, sizeof cwd))
		abs = pv_asprintf("%s/%s", cwd, path);
	if (!abs || !(out = malloc(PATH_MAX))) {
		free(abs);
		errno = ENOMEM;
		return NULL;
	}
	size_t len = 0;
	out[0] = '\0';                    /* "" stands for "/" while resolving */
	char *save = NULL;
	for (char *c = strtok_r(abs, "/", &save); c; ) {
		char *next = strtok_r(NULL, "/", &save);
		if (strcmp(c, ".") == 0) {
			c = next;
			continue;
		}
		if (strcmp(c, "..") == 0) {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
			c = next;
			continue;
		}
		size_t clen = strlen(c);
		if (len + 1 + clen >= PATH_MAX) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		out[len] = '/';
		memcpy(out + len + 1, c, clen + 1);
		struct stat st;
		if ((next || follow_last) && lstat(out, &st) == 0) {
			char real[PATH_MAX];
			if (!realpath(out, real))
				goto fail;            /* a symlink that leads nowhere */
			len = strlen(real);
			memcpy(out, real, len + 1);
			if (len == 1)             /* "/" */
				len = 0, out[0] = '\0';
		} else {
			len += 1 + clen;
		}
		c = next;
	}
	if (len == 0)
		strcpy(out, "/");
	free(abs);
	return out;
fail:
	free(abs);
	free(out);
	return NULL;
}

/* Is PATH the directory DIR or inside it? */
static bool inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1)                       /* "/" */
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The confinement of X, created empty on first use; NULL on OOM. */
static struct pv_lua_confine *confine_of(struct pv_lua *x)
{
	if (!x->confine)
		x->confine = calloc(1, sizeof *x->confine);
	return x->confine;
}

/* Add root DIR (resolved here) to C; false on OOM or an unresolvable DIR. */
static bool add_root(struct pv_lua_confine *c, const char *dir, bool writable)
{
	char *r = resolve(dir, true);
	struct root *g = r ? realloc(c->roots, (c->nroots + 1) * sizeof *g) : NULL;
	if (!g) {
		free(r);
		return false;
	}
	c->roots = g;
	c->roots[c->nroots].path = r;
	c->roots[c->nroots++].writable = writable;
	return true;
}

static void free_list(char **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

/* Copy the JSON array of strings ARR into *OUT; WHAT names it in errors.
 * Program entries (PROGRAMS) are names or absolute paths. */
static int copy_names(json_t *arr, const char *what, bool programs, char ***out, size_t *n,
                      char **errmsg)
{
	size_t i;
	json_t *v;
	*out = NULL;
	*n = 0;
	if (!arr)
		return PAVED_OK;
	if (!json_is_array(arr))
		return pv_seterr(errmsg, "%s must be a list of strings", what);
	if (!(*out = calloc(json_array_size(arr) + 1, sizeof **out)))
		return pv_seterr(errmsg, "out of memory");
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		if (!s || !*s || (programs && strchr(s, '/') && s[0] != '/') ||
		    (!programs && strchr(s, '='))) {
			free_list(*out, *n);
			*out = NULL;
			*n = 0;
			return pv_seterr(errmsg, "%s[%zu] must be %s", what, i + 1,
			                 programs ? "a program name or an absolute path"
			                          : "a variable name");
		}
		(*out)[(*n)++] = pv_strdup(s);
	}
	return PAVED_OK;
}

/* Add the directories of the JSON array DIRS (absolute paths) to C. */
static int add_declared(struct pv_lua_confine *c, json_t *dirs, const char *what, bool writable,
                        char **errmsg)
{
	size_t i;
	json_t *v;
	json_array_foreach(dirs, i, v) {
		const char *d = json_string_value(v);
		if (!d || d[0] != '/')
			return pv_seterr(errmsg, "%s[%zu] must be an absolute path", what, i + 1);
		if (!add_root(c, d, writable))
			return pv_seterr(errmsg, "%s[%zu]: cannot resolve %s: %s", what, i + 1, d,
			                 strerror(errno));
	}
	return PAVED_OK;
}

int pv_lua_confine(struct pv_lua *x, const char *who, const char *own_dir,
                   const struct pv_lua_decl *d, char **errmsg)
{
	struct pv_lua_confine *c = confine_of(x);
	if (!c)
		return pv_seterr(errmsg, "out of memory");
	for (size_t i = 0; i < c->nroots; i++)
		free(c->roots[i].path);
	free(c->roots);
	c->roots = NULL;
	c->nroots = 0;
	free_list(c->programs, c->nprograms);
	free_list(c->env, c->nenv);
	c->programs = c->env = NULL;
	c->nprograms = c->nenv = 0;
	free(c->who);
	c->who = pv_strdup(who);
	if ((own_dir && !add_root(c, own_dir, false)) ||
	    (c->tmproot && !add_root(c, c->tmproot, true)) ||
	    (c->target && !add_root(c, c->target, true)))
		return pv_seterr(errmsg, "%s: cannot resolve its directories: %s", who,
		                 strerror(errno));
	if (x->plugin && x->plugin->name) {
		free(c->datadir);
		c->datadir = pv_asprintf("%s/plugins-data/%s", x->host->home, x->plugin->name);
		if (!c->datadir || !add_root(c, c->datadir, true))
			return pv_seterr(errmsg, "out of memory");
	}
	if (!d)
		return PAVED_OK;
	if (add_declared(c, d->reads, "reads", false, errmsg) ||
	    add_declared(c, d->writes, "writes", true, errmsg) ||
	    copy_names(d->requires, "requires", true, &c->programs, &c->nprograms, errmsg) ||
	    copy_names(d->env, "env", false, &c->env, &c->nenv, errmsg))
		return PAVED_ERR;
	return PAVED_OK;
}

/* Field KEY of the table at IDX as a JSON array of strings in *OUT (NULL
 * when absent; an empty table is an empty list). */
static int string_list(lua_State *L, int idx, const char *key, json_t **out, char **errmsg)
{
	*out = NULL;
	lua_getfield(L, idx, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return PAVED_OK;
	}
	json_t *j = lua_istable(L, -1) ? pv_lua_to_json(L, -1, NULL) : NULL;
	lua_pop(L, 1);
	if (json_is_object(j) && json_object_size(j) == 0) {
		json_decref(j);
		j = json_array();
	}
	size_t i;
	json_t *v;
	bool ok = json_is_array(j);
	json_array_foreach(j, i, v)
		ok = ok && json_is_string(v);
	if (!ok) {
		json_decref(j);
		return pv_seterr(errmsg, "'%s' must be a list of strings, as in %s = { \"...\" }",
		                 key, key);
	}
	*out = j;
	return PAVED_OK;
}

int pv_lua_read_decl(lua_State *L, int idx, struct pv_lua_decl *d, char **errmsg)
{
	idx = lua_absindex(L, idx);
	memset(d, 0, sizeof *d);
	if (string_list(L, idx, "requires", &d->requires, errmsg) ||
	    string_list(L, idx, "env", &d->env, errmsg) ||
	    string_list(L, idx, "reads", &d->reads, errmsg) ||
	    string_list(L, idx, "writes", &d->writes, errmsg)) {
		pv_lua_decl_free(d);
		return PAVED_ERR;
	}
	return PAVED_OK;
}

void pv_lua_decl_free(struct pv_lua_decl *d)
{
	json_decref(d->requires), json_decref(d->env);
	json_decref(d->reads), json_decref(d->writes);
	memset(d, 0, sizeof *d);
}

void pv_lua_set_target(struct pv_lua *x, const char *dir)
{
	struct pv_lua_confine *c = confine_of(x);
	if (!c || !dir || !*dir)
		return;
	free(c->target);
	c->target = pv_strdup(dir);
	add_root(c, dir, true);
}

const char *pv_lua_datadir(struct pv_lua *x)
{
	return x->confine ? x->confine->datadir : NULL;
}

/* What a state may do, for messages. */
static const char *reach(struct pv_lua *x, bool write)
{
	if (x->plugin)
		return write ? "a Lua plugin writes its data directory (paved.fs.datadir()), its "
		       "temp directories and what it declares in writes = {...}"
		     : "a Lua plugin reads its data directory, its temp directories, its own "
		       "directory and what it declares in reads = {...} or writes = {...}";
	return write ? "a recipe writes its target directory and its temp directories"
	     : "a recipe reads its target directory, its temp directories, its own files and "
	       "what it declares in reads = {...}";
}

const char *pv_lua_checkpath(lua_State *L, const char *fn, const char *path, bool write,
                             bool follow_last)
{
	struct pv_lua *x = pv_lua_of(L);
	struct pv_lua_confine *c = x->confine;
	char *r = resolve(path, follow_last);
	if (!r) {
		if (errno == ENOMEM)
			luaL_error(L, "%s: out of memory", fn);
		luaL_error(L, "%s: cannot resolve '%s': %s", fn, path, strerror(errno));
	}
	lua_pushstring(L, r);
	const char *resolved = lua_tostring(L, -1);
	free(r);
	const struct root *best = NULL;
	for (size_t i = 0; c && i < c->nroots; i++)
		if (inside(resolved, c->roots[i].path) &&
		    (!best || strlen(c->roots[i].path) > strlen(best->path)))
			best = &c->roots[i];
	if (best && (!write || best->writable)) {
		/* removing a directory must not take a read-only one with it */
		for (size_t i = 0; write && c && i < c->nroots; i++)
			if (!c->roots[i].writable && inside(c->roots[i].path, resolved) &&
			    strcmp(c->roots[i].path, resolved) != 0)
				luaL_error(L, "%s: '%s' contains %s, which is read-only", fn, path,
				           c->roots[i].path);
		return resolved;
	}
	const char *via = strcmp(path, resolved) ? lua_pushfstring(L, " (it resolves to %s)",
	                                                           resolved) : "";
	if (best)
		luaL_error(L, "%s: '%s'%s is read-only: %s", fn, path, via, reach(x, true));
	luaL_error(L, "%s: '%s'%s is outside what %s may %s: %s", fn, path, via,
	           c && c->who ? c->who : "this code", write ? "write" : "read", reach(x, write));
	return NULL;
}

char *pv_lua_tmpdir(struct pv_lua *x, char **errmsg)
{
	struct pv_lua_confine *c = confine_of(x);
	if (!c) {
		pv_seterr(errmsg, "out of memory");
		return NULL;
	}
	if (!c->tmproot) {
		const char *t = getenv("TMPDIR");
		char *tmpl = pv_asprintf("%s/paved-lua.XXXXXX", t && *t ? t : "/tmp");
		char real[PATH_MAX];
		if (!tmpl || !mkdtemp(tmpl) || !realpath(tmpl, real)) {
			pv_seterr(errmsg, "cannot create a temp directory: %s", strerror(errno));
			free(tmpl);
			return NULL;
		}
		free(tmpl);
		if (!(c->tmproot = pv_strdup(real)) || !add_root(c, real, true)) {
			pv_seterr(errmsg, "out of memory");
			return NULL;
		}
	}
	char *dir = pv_asprintf("%s/tmp.XXXXXX", c->tmproot);
	if (dir && pv_mkdir_p(c->tmproot, 0700, errmsg) == PAVED_OK && mkdtemp(dir))
		return dir;
	if (dir)
		pv_seterr(errmsg, "cannot create a temp directory in %s: %s", c->tmproot,
		          strerror(errno));
	free(dir);
	return NULL;
}

/* Is NAME in LIST? */
static bool listed(char **list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* The first executable regular file NAME in the absolute directories of
 * PATH; caller frees.  NULL when there is none. */
static char *search_path(const char *name)
{
	const char *env = getenv("PATH");
	char *path = pv_strdup(env && *env ? env : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
	char *found = NULL;
	for (char *d = strtok_r(path, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/')
			continue;                 /* "." or a relative entry: never */
		char *f = pv_asprintf("%s/%s", d, name);
		struct stat st;
		if (f && stat(f, &st) == 0 && S_ISREG(st.st_mode) && access(f, X_OK) == 0)
			found = f;
		else
			free(f);
	}
	free(path);
	return found;
}

const char *pv_lua_checkprogram(lua_State *L, const char *name)
{
	struct pv_lua *x = pv_lua_of(L);
	struct pv_lua_confine *c = x->confine;
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	const char *where = x->plugin ? "the plugin's descriptor" : "the recipe's table";
	bool absolute = name[0] == '/';
	if (!c || !listed(c->programs, c->nprograms, name)) {
		if (strchr(name, '/'))
			luaL_error(L, "paved.run: '%s' is not declared: run programs by name and "
			           "add \"%s\" to requires = { ... } in %s, or declare the absolute "
			           "path itself", name, *base ? base : name, where);
		luaL_error(L, "paved.run: '%s' is not declared: add \"%s\" to requires = { ... } "
		           "in %s%s", name, name, where, pv_lua_program_is_launcher(name) ?
		           " (it runs any command: declaring it defeats the confinement)" : "");
	}
	char *found = absolute ? pv_strdup(name) : search_path(name);
	struct stat st;
	if (!found || stat(found, &st) != 0)
		luaL_error(L, "cannot run %s: No such file or directory%s", name,
		           absolute ? "" : " (not found in the absolute directories of PATH)");
	lua_pushstring(L, found);
	free(found);
	const char *path = lua_tostring(L, -1);
	for (size_t i = 0; i < c->nroots; i++)
		if (c->roots[i].writable && inside(path, c->roots[i].path))
			luaL_error(L, "paved.run: %s is in %s, which this code can write: refusing to "
			           "run it", path, c->roots[i].path);
	return path;
}

bool pv_lua_env_allowed(struct pv_lua *x, const char *name)
{
	return x->confine && listed(x->confine->env, x->confine->nenv, name);
}

void pv_lua_confine_free(struct pv_lua *x)
{
	struct pv_lua_confine *c = x->confine;
	if (!c)
		return;
	if (c->tmproot)
		pv_rm_rf(c->tmproot, NULL);
	for (size_t i = 0; i < c->nroots; i++)
		free(c->roots[i].path);
	free(c->roots);
	free_list(c->programs, c->nprograms);
	free_list(c->env, c->nenv);
	free(c->who), free(c->tmproot), free(c->datadir), free(c->target);
	free(c);
	x->confine = NULL;
}
