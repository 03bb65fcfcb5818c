/*
 * plugin.c -- forge_local: a git forge on the local disk, the forge
 * driver "local".  Bare repositories live under $PAVED_HOME/forge/NAME.git
 * and are served by file:// URLs.  It provides forge.driver.local.VERB for
 * every verb of the forge area in sdk/hooks.json (create, delete, archive,
 * info, url, list, resolve, checkout); callers call the fronts forge.VERB.
 * See README.md.
 */
#include "forge_local.h"

PAVED_PLUGIN_INIT1;

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	static const struct pc_hook hooks[] = {
		{ "forge.driver.local.create", fl_create },
		{ "forge.driver.local.delete", fl_delete },
		{ "forge.driver.local.archive", fl_archive },
		{ "forge.driver.local.info", fl_info },
		{ "forge.driver.local.url", fl_url },
		{ "forge.driver.local.list", fl_list },
		{ "forge.driver.local.resolve", fl_resolve },
		{ "forge.driver.local.checkout", fl_checkout },
	};
	return pc_provide_all(ctx, hooks, sizeof hooks / sizeof *hooks, NULL, 0, errmsg);
}

static const struct paved_option options[] = {
	{ "git", PAVED_OPT_STRING, "\"git\"",
	  "the git program: a name looked up in PATH, or a path" },
	{ "author", PAVED_OPT_STRING, "\"" FL_DEFAULT_AUTHOR "\"",
	  "author and committer of initial commits, \"Name <email>\"" },
	{ "default_branch", PAVED_OPT_STRING, "\"" FL_DEFAULT_BRANCH "\"",
	  "the branch of new repositories (a push to it deploys to dev)" },
	{ "paved", PAVED_OPT_STRING, "\"\"",
	  "the paved binary the post-receive hook runs (default: the running paved)" },
	{ NULL, 0, NULL, NULL }
};

PAVED_PLUGIN_DECLARE(forge_local, "2.0.0",
                     "a local git forge: bare repositories in $PAVED_HOME/forge",
                     init, NULL, options);
