/*
 * cli_delete.c -- paved delete service NAME [--with-resources] [--yes]
 *
 * Takes a service apart, in this order, printing each thing it removed:
 * a rollout in progress (a canary: aborted, its controller stopped, its
 * state removed), its replicas and front door in every env (runtime.destroy), its scrape
 * targets and alert rules (monitoring.unregister), its catalog entry
 * (catalog.delete component:default/NAME, when a catalog is installed),
 * with --with-resources its resources (provision.list, resources.destroy),
 * its repository (forge.archive: kept read-only, gone from the list) and
 * its release directories.  Its release records stay, for the record; the
 * service is marked deleted, so a second delete, status or deploy says "no
 * service".  Destroying resources destroys data: it needs --yes, or the
 * service's name typed on a terminal; without either nothing is deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy.h"

static const struct paved_flag delete_flags[] = {
	{ "with-resources", 0, PAVED_FLAG_BOOL, NULL,
	  "also destroy the service's resources (databases, caches: their data is lost)" },
	{ "yes", 'y', PAVED_FLAG_BOOL, NULL, "do not ask before destroying resources" },
	{ 0 }
};

static const struct dc_cmd delete_cmd = {
	"delete", "paved delete service NAME [--with-resources] [--yes]",
	"Deletes service NAME: aborts a rollout in progress (a canary: its controller stops),\n"
	"stops its replicas and removes its front door in every env, its\n"
	"monitoring, its catalog entry, archives its repository (read-only, out of the list) and\n"
	"removes its release directories; with --with-resources it destroys its resources too,\n"
	"after confirmation (--yes, or typing NAME on a terminal). Prints each thing removed.\n"
	"Deleting a service that does not exist is an error.",
	delete_flags, 2, 2
};

/* Note one removed thing: printed now (text) and kept for --json. */
static void removed(json_t *list, bool json, const char *what, const char *detail)
{
	json_array_append_new(list, json_pack("{ss ss}", "what", what, "detail", detail));
	if (!json)
		printf(" - %s: %s\n", what, detail);
}

/* SVC's resources (provision.list): a new array of records. */
static json_t *resources(paved_ctx *ctx, const char *svc)
{
	json_t *list = NULL, *out = json_array(), *r;
	size_t i;
	if (paved->call(ctx, "provision.list", NULL, &list, NULL) == PAVED_OK)
		json_array_foreach(list, i, r)
			if (!strcmp(json_string_value(json_object_get(r, "service")) ?: "", svc))
				json_array_append(out, r);
	json_decref(list);
	return out;
}

/* May SVC's resources RES be destroyed?  --yes, or NAME typed on a terminal. */
static int confirm(const char *svc, json_t *res, bool yes, char **errmsg)
{
	char line[128];
	if (yes)
		return PAVED_OK;
	if (!isatty(0) || !isatty(2))
		return paved->error(errmsg, "--with-resources destroys the service's resources (%zu) "
		                    "and their data: confirm with --yes (there is no terminal to ask "
		                    "on); nothing was deleted", json_array_size(res));
	fprintf(stderr, "This destroys the resources of %s and their data:", svc);
	size_t i;
	json_t *r;
	json_array_foreach(res, i, r)
		fprintf(stderr, " %s", json_string_value(json_object_get(r, "name")));
	fprintf(stderr, "\nType the service's name to go on: ");
	if (!fgets(line, sizeof line, stdin) || (line[strcspn(line, "\n")] = '\0', strcmp(line, svc)))
		return paved->error(errmsg, "not confirmed: nothing was deleted");
	return PAVED_OK;
}

int dc_cli_delete(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	json_t *p = NULL, *res = NULL, *out = json_array(), *envs = NULL, *e, *r = NULL;
	bool json = dc_json(args);
	char *err = NULL, buf[600];
	size_t i;
	(void)data;
	int rc = dc_cli_parse(ctx, args, &delete_cmd, &p, result, errmsg);
	if (rc || !p)
		goto done;
	const char *svc = dc_arg(p, 1);
	json_t *fl = json_object_get(p, "flags");
	bool with = json_is_true(json_object_get(fl, "with-resources"));
	if (strcmp(dc_arg(p, 0), "service")) {
		rc = dc_usage(result, errmsg, "'%s': only services are deleted here (paved delete "
		              "service NAME)", dc_arg(p, 0));
		goto done;
	}
	if ((rc = dc_check_service(svc, result, errmsg)))
		goto done;
	if (!dc_service_exists(ctx, svc)) {
		rc = paved->error(errmsg, "no service '%s'", svc);
		goto done;
	}
	if (with) {
		res = resources(ctx, svc);
		if ((rc = confirm(svc, res, json_is_true(json_object_get(fl, "yes")), errmsg)))
			goto done;
	}
	if (!json)
		printf("Deleting service %s:\n", svc);
	envs = dc_envs(ctx, svc);
	json_array_foreach(envs, i, e) {
		const char *env = json_string_value(e);
		int fd = -1;
		json_t *ended = json_array(), *x;
		size_t k;
		rc = dc_end_for_delete(ctx, svc, env, ended, errmsg);   /* before its lock */
		json_array_foreach(ended, k, x) {
			snprintf(buf, sizeof buf, "version %s aborted, all traffic on stable, its replicas "
			         "and controller gone (%s)", json_string_value(json_object_get(x, "version")),
			         env);
			removed(out, json, "rollout in progress", buf);
		}
		json_decref(ended);
		if (rc || (rc = dc_lock(ctx, svc, env, &fd, errmsg)))
			goto done;
		json_t *a = json_pack("{ss ss}", "service", svc, "env", env);
		rc = paved->call(ctx, "runtime.destroy", a, &r, &err);
		json_decref(a), json_decref(r), r = NULL;
		if (!rc)
			dc_sync_targets(ctx, svc, env);
		dc_unlock(fd);
		if (rc) {
			rc = paved->error(errmsg, "stopping %s in %s: %s", svc, env, err);
			goto done;
		}
		snprintf(buf, sizeof buf, "replicas stopped, front door removed (%s)", env);
		removed(out, json, "runtime", buf);
	}
	json_t *a = json_pack("{ss}", "service", svc);
	if (paved->call(ctx, "monitoring.unregister", a, &r, NULL) == PAVED_OK)
		removed(out, json, "monitoring", "alert rules and scrape targets");
	json_decref(a), json_decref(r), r = NULL;
	snprintf(buf, sizeof buf, "component:default/%s", svc);
	a = json_pack("{ss}", "ref", buf);
	free(err), err = NULL;
	int crc = paved->call(ctx, "catalog.delete", a, &r, &err);
	if (crc == PAVED_OK)
		removed(out, json, "catalog", buf);
	else if (crc != PAVED_NOHOOK)
		paved->log(ctx, PAVED_LOG_INFO, "catalog: %s", err);
	json_decref(a), json_decref(r), r = NULL;
	json_array_foreach(res, i, e) {
		free(err), err = NULL;
		a = json_pack("{sO sb}", "name", json_object_get(e, "name"), "yes", 1);   /* confirmed */
		int drc = paved->call(ctx, "resources.destroy", a, &r, &err);
		json_decref(a), json_decref(r), r = NULL;
		if (drc) {
			rc = paved->error(errmsg, "destroying resource %s: %s",
			                  json_string_value(json_object_get(e, "name")), err);
			goto done;
		}
		snprintf(buf, sizeof buf, "%s (%s, %s)", json_string_value(json_object_get(e, "name")),
		         json_string_value(json_object_get(e, "type")) ?: "?",
		         json_string_value(json_object_get(e, "env")) ?: "?");
		removed(out, json, "resource destroyed", buf);
	}
	free(err), err = NULL;
	a = json_pack("{ss}", "name", svc);
	if (paved->call(ctx, "forge.archive", a, &r, &err) == PAVED_OK)
		removed(out, json, "repository archived (read-only)",
		        json_string_value(json_object_get(r, "path")) ?: svc);
	json_decref(a), json_decref(r), r = NULL;
	char *rel = dc_release_dir(ctx, svc, NULL, NULL);
	struct stat st;
	if (stat(rel, &st) == 0 && pc_rmtree(rel) == 0)
		removed(out, json, "release directories", rel);
	free(rel);
	if ((rc = dc_index_deleted(ctx, svc, errmsg)))
		goto done;
	json_t *ev = json_pack("{ss sb}", "name", svc, "with_resources", with);
	paved->emit(ctx, "service.deleted", ev);
	json_decref(ev);
	if (json) {
		json_t *o = json_pack("{ss sO}", "service", svc, "removed", out);
		dc_print_json(o);
		json_decref(o);
	} else
		printf("Service %s is deleted.\n", svc);
done:
	free(err);
	json_decref(p), json_decref(res), json_decref(out), json_decref(envs);
	return rc;
}
