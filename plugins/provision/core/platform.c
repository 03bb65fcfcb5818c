/*
 * platform.c -- the resources a service declares in its platform.yaml, as
 * the host's hook platform.read gives them: the file checked (errors name
 * its line and column; unknown keys are warnings) and the environment's
 * overrides merged:
 *
 *     service: payment-api
 *     resources:
 *       db:    {type: postgres, class: small, params: {backups: daily}}
 *       cache: {type: redis, params: {eviction: lru}}
 *     environments:
 *       production: {resources: {db: {class: large}}}
 *
 * What the provisioning itself knows (the types, the classes, a driver's
 * params) is checked later, per resource (resource.c, the drivers' plan).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "provision.h"

json_t *prv_platform_read(paved_ctx *ctx, const char *path, const char *env, char **errmsg)
{
	char abs[PATH_MAX], *err = NULL;
	struct stat st;
	json_t *doc = NULL;
	if (!realpath(path, abs))
		return paved->error(errmsg, "cannot read %s: %s (write the service's resources in "
		                    "platform.yaml, e.g. 'resources: {db: {type: postgres}}')", path,
		                    strerror(errno)), NULL;
	bool is_dir = stat(abs, &st) == 0 && S_ISDIR(st.st_mode);
	json_t *args = json_pack("{ss ss}", is_dir ? "dir" : "file", abs, "env", env);
	if (pc_call(ctx, "platform.read", args, &doc, &err) != PAVED_OK) {
		/* the host's message, without its "paved: platform.read: " */
		const char *m = err ? strstr(err, "platform.read: ") : NULL;
		paved->error(errmsg, "%s", m ? m + 15 : err ? err : "cannot read platform.yaml");
		json_decref(doc);
		doc = NULL;
	} else if (!json_is_object(doc)) {
		paved->error(errmsg, "platform.read gave no document for %s", abs);
		json_decref(doc);
		doc = NULL;
	} else {
		char *copy = strdup(json_string_value(json_object_get(doc, "file")));
		json_object_set_new(doc, "dir", json_string(copy ? dirname(copy) : "."));
		free(copy);
	}
	json_decref(args);
	free(err);
	return doc;
}
