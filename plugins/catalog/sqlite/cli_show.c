/*
 * cli_show.c -- the subcommands that describe entities: show (one entity,
 * with its live state) and list (many, streamed; --health: the fleet).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Print "  LABEL  value" when VALUE is set. */
static void field(const char *label, const char *value)
{
	if (value && *value)
		printf("  %-12s %s\n", label, value);
}

/* The refs of a deps result's items, as an array. */
static json_t *item_refs(json_t *d)
{
	json_t *out = json_array(), *x;
	size_t i;
	json_array_foreach(json_object_get(d, "items"), i, x)
		json_array_append_new(out, json_pack("{sOsO}", "ref", json_object_get(x, "ref"),
		                      "exists", json_object_get(x, "exists")));
	return out;
}

/* Print the refs of RELS with relation TYPE under LABEL. */
static void rel_lines(json_t *rels, const char *type, const char *label)
{
	json_t *r;
	size_t i;
	bool first = true;
	json_array_foreach(rels, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "type")), type))
			continue;
		printf("  %-12s %s\n", first ? label : "", json_string_value(json_object_get(r,
		       "targetRef")));
		first = false;
	}
}

/* The text of health H (health_of): a line per env with status, URL,
 * replicas, version and deploy; then what is unknown and why. */
static void print_health(json_t *h)
{
	json_t *st, *x;
	size_t i;
	const char *declared = json_string_value(json_object_get(h, "declared_url"));
	json_array_foreach(json_object_get(h, "envs"), i, st) {
		json_t *rep = json_object_get(st, "replicas");
		const char *url = json_string_value(json_object_get(st, "url"));
		printf("  %-12s %s (%s", i ? "" : "health", json_string_value(json_object_get(st,
		       "status")), json_string_value(json_object_get(st, "env")));
		if (rep)
			printf(", %d/%d replicas in traffic healthy",
			       (int)json_integer_value(json_object_get(rep, "healthy")),
			       (int)json_integer_value(json_object_get(rep, "in_traffic")));
		printf(")%s%s\n", url ? "  " : "", url ? url : "");
		const char *v = json_string_value(json_object_get(st, "version"));
		const char *at = json_string_value(json_object_get(st, "deployed_at"));
		if (v || at)
			printf("  %-12s %.12s%s%s%s%s%s\n", "version", v ? v : "?", at ? "  deployed " : "",
			       at ? at : "", json_object_get(st, "strategy") ? " (" : "",
			       json_string_value(json_object_get(st, "strategy")) ?: "",
			       json_object_get(st, "strategy") ? ")" : "");
		json_t *la = json_object_get(st, "last_attempt");
		if (la)
			printf("  %-12s last deploy %s: %.12s at %s\n", "",
			       json_string_value(json_object_get(la, "outcome")) ?: "?",
			       json_string_value(json_object_get(la, "version")) ?: "?",
			       json_string_value(json_object_get(la, "at")) ?: "?");
		if (json_object_get(st, "rollout"))
			printf("  %-12s a rollout is under way\n", "");
		json_t *m = json_object_get(st, "metrics");
		if (m) {
			char *t = json_dumps(m, JSON_COMPACT);
			printf("  %-12s %s\n", "metrics", t ? t : "");
			free(t);
		}
	}
	if (!json_array_size(json_object_get(h, "envs")))
		printf("  %-12s %s%s%s\n", "health", json_string_value(json_object_get(h, "status")),
		       declared ? "  " : "", declared ? declared : "");
	json_array_foreach(json_object_get(h, "notes"), i, x)
		printf("  %-12s %s\n", "", json_string_value(x));
}

/* The text of show: everything but health and cost. */
static void print_entity(const char *ref, json_t *e, const char *owner_ref, json_t *owner,
                         json_t *deps, json_t *rdeps)
{
	json_t *rels = json_object_get(e, "relations"), *x;
	json_t *profile = json_object_get(json_object_get(owner, "spec"), "profile");
	size_t i;
	const char *type = cat_get_str(e, "spec.type"), *lc = cat_get_str(e, "spec.lifecycle");
	printf("%s%s%s%s%s%s\n", ref, type || lc ? "  (" : "", type ? type : "",
	       type && lc ? ", " : "", lc ? lc : "", type || lc ? ")" : "");
	if (cat_get_str(e, "metadata.description"))
		printf("  %s\n", cat_get_str(e, "metadata.description"));
	if (owner_ref) {
		const char *dn = json_string_value(json_object_get(profile, "displayName"));
		const char *em = json_string_value(json_object_get(profile, "email"));
		printf("  %-12s %s%s%s%s%s%s\n", "owner", owner_ref, dn || em ? "  (" : "",
		       dn ? dn : "", dn && em ? ", " : "", em ? em : "",
		       dn || em ? ")" : owner ? "" : "  (missing)");
	}
	field("oncall", cat_annotation(e, CAT_ANN_ONCALL) ? cat_annotation(e, CAT_ANN_ONCALL)
	                                                 : cat_annotation(owner, CAT_ANN_ONCALL));
	field("system", cat_get_str(e, "spec.system"));
	field("tier", cat_annotation(e, CAT_ANN_TIER));
	field("repository", cat_annotation(e, CAT_ANN_REPOSITORY) ?
	      cat_annotation(e, CAT_ANN_REPOSITORY) : cat_annotation(e, "backstage.io/source-location"));
	field("dashboard", cat_annotation(e, CAT_ANN_DASHBOARD));
	field("runbook", cat_annotation(e, CAT_ANN_RUNBOOK));
	json_array_foreach(json_object_get(json_object_get(e, "metadata"), "links"), i, x)
		printf("  %-12s %s%s%s\n", i ? "" : "links", json_string_value(json_object_get(x, "url")),
		       json_object_get(x, "title") ? "  " : "",
		       json_object_get(x, "title") ? json_string_value(json_object_get(x, "title")) : "");
	json_array_foreach(json_object_get(json_object_get(e, "spec"), "endpoints"), i, x) {
		json_t *sla = json_object_get(x, "sla");
		char slabuf[64] = "";
		if (json_is_string(sla))
			snprintf(slabuf, sizeof slabuf, "  (SLA %s)", json_string_value(sla));
		else if (json_is_number(sla))
			snprintf(slabuf, sizeof slabuf, "  (SLA %g%%)", json_number_value(sla));
		printf("  %-12s %s%s\n", i ? "" : "endpoints", json_string_value(json_object_get(x, "url")),
		       slabuf);
	}
	json_array_foreach(json_object_get(deps, "items"), i, x)
		printf("  %-12s %s%s\n", i ? "" : "depends on", json_string_value(json_object_get(x, "ref")),
		       json_is_true(json_object_get(x, "exists")) ? "" : "  (missing)");
	json_array_foreach(json_object_get(rdeps, "items"), i, x)
		printf("  %-12s %s\n", i ? "" : "dependents", json_string_value(json_object_get(x, "ref")));
	rel_lines(rels, "providesApi", "provides");
	rel_lines(rels, "consumesApi", "consumes");
	rel_lines(rels, "apiProvidedBy", "provided by");
	rel_lines(rels, "partOf", "part of");
	rel_lines(rels, "hasPart", "has part");
	rel_lines(rels, "memberOf", "member of");
	rel_lines(rels, "hasMember", "members");
}

/* show NAME [--env ENV] */
int cli_show(struct cli *cl)
{
	int code = 0;
	char *ref = cli_need_ref(cl, &code);
	if (!ref)
		return code;
	struct cat_db *c = cl->c;
	json_t *e = cat_get(c, ref);
	json_t *deps = cat_deps(c, ref, false, false, 1, NULL);
	json_t *rdeps = cat_deps(c, ref, true, false, 1, NULL);
	const char *owner_text = cat_get_str(e, "spec.owner");
	char *owner_ref = owner_text ? cat_ref_canon(owner_text, "group",
	                                            cat_get_str(e, "metadata.namespace"), NULL)
	                            : NULL;
	json_t *owner = owner_ref ? cat_get(c, owner_ref) : NULL;
	json_t *profile = json_object_get(json_object_get(owner, "spec"), "profile");
	double own, res;
	cat_cost_of(c, ref, &own, &res);
	json_t *health = !strncmp(ref, "component:", 10) ? health_of(cl->ctx, e, cli_str(cl, "env"),
	                                                             true) : NULL;
	json_t *cost = json_pack("{s:o,s:f,s:f}", "own", own >= 0 ? json_real(own) : json_null(),
	                         "resources", res, "total", (own > 0 ? own : 0) + res);
	if (cl->json) {
		cli_print_json(json_pack("{s:s, s:O, s:{s:s?, s:s?, s:s?, s:s?, s:b}, s:o, s:o, s:O?,"
			" s:o}", "ref", ref, "entity", e, "owner", "ref", owner_ref,
			"title", json_string_value(json_object_get(profile, "displayName")),
			"email", json_string_value(json_object_get(profile, "email")),
			"oncall", cat_annotation(e, CAT_ANN_ONCALL) ? cat_annotation(e, CAT_ANN_ONCALL)
			                                            : cat_annotation(owner, CAT_ANN_ONCALL),
			"exists", owner != NULL,
			"dependencies", item_refs(deps), "dependents", item_refs(rdeps),
			"health", health, "cost", cost));
		cost = NULL;
	} else {
		print_entity(ref, e, owner_ref, owner, deps, rdeps);
		if (health)
			print_health(health);
		if (own >= 0 || res > 0)
			printf("  %-12s $%.2f/month (own $%.2f + resources $%.2f)\n", "cost",
			       (own > 0 ? own : 0) + res, own > 0 ? own : 0, res);
		else
			printf("  %-12s unknown (no %s annotation)\n", "cost", CAT_ANN_COST);
	}
	json_decref(health), json_decref(cost), json_decref(owner);
	json_decref(e), json_decref(deps), json_decref(rdeps);
	free(owner_ref), free(ref);
	return 0;
}

/* What list's row printer needs between rows. */
struct list_out {
	bool   json;
	size_t n;
};

/* cat_query_each callback of list: a table row, or an element of the JSON
 * array (the stored text, one a line: nothing is held in memory). */
static int list_row(const char *text, size_t len, void *ud)
{
	struct list_out *o = ud;
	if (o->json) {
		fputs(o->n++ ? ",\n" : "[\n", stdout);
		fwrite(text, 1, len, stdout);
		return 0;
	}
	json_t *e = json_loadb(text, len, 0, NULL);
	char *ref = cat_entity_ref(e);
	const char *ow = cat_get_str(e, "spec.owner"), *lc = cat_get_str(e, "spec.lifecycle");
	if (o->n++ == 0)
		printf("%-48s %-28s %s\n", "REF", "OWNER", "LIFECYCLE");
	printf("%-48s %-28s %s\n", ref ? ref : "?", ow ? ow : "-", lc ? lc : "-");
	free(ref);
	json_decref(e);
	return 0;
}

/* list --health: the fleet, one row per service and env. */
static int list_health(struct cli *cl, json_t *filter)
{
	char *err = NULL;
	if (!json_object_get(filter, "kind"))
		json_object_set_new(filter, "kind", json_string("component"));
	json_t *all = cat_query(cl->c, filter, &err), *notes = json_array(), *x;
	if (!all) {
		json_decref(notes);
		return cli_fail(cl, err);
	}
	json_t *rows = health_fleet(cl->ctx, all, cli_str(cl, "env"), notes);
	size_t i;
	if (cl->json) {
		cli_print_json(json_pack("{s:o, s:o}", "services", rows, "notes", notes));
		json_decref(all);
		return 0;
	}
	printf("%-40s %-10s %-12s %-9s %-13s %s\n", "REF", "ENV", "HEALTH", "REPLICAS", "VERSION",
	       "URL");
	json_array_foreach(rows, i, x) {
		json_t *rep = json_object_get(x, "replicas");
		char reps[32] = "-";
		if (rep)
			snprintf(reps, sizeof reps, "%d/%d", (int)json_integer_value(json_object_get(rep,
			         "healthy")), (int)json_integer_value(json_object_get(rep, "in_traffic")));
		printf("%-40s %-10s %-12s %-9s %-13.12s %s\n",
		       json_string_value(json_object_get(x, "ref")),
		       json_string_value(json_object_get(x, "env")) ?: "-",
		       json_string_value(json_object_get(x, "status")), reps,
		       json_string_value(json_object_get(x, "version")) ?: "-",
		       json_string_value(json_object_get(x, "url")) ?: "-");
	}
	json_array_foreach(notes, i, x)
		printf("note: %s\n", json_string_value(x));
	json_decref(rows), json_decref(notes), json_decref(all);
	return 0;
}

/* list [filters] [--health [--env ENV]] */
int cli_list(struct cli *cl)
{
	static const char *const keys[] = { "kind", "owner", "lifecycle", "tag", "system" };
	json_t *f = json_object();
	char *err = NULL;
	long limit = cli_count(cl, "limit", 0);
	if (cli_nargs(cl))
		return json_decref(f), cli_usage(cl, "unexpected argument '%s'", cli_arg(cl, 0));
	if (limit < 0)
		return json_decref(f), cli_usage(cl, "--limit needs a number >= 0");
	if (cli_str(cl, "env") && !cli_bool(cl, "health"))
		return json_decref(f), cli_usage(cl, "--env goes with --health");
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (cli_str(cl, keys[i]))
			json_object_set_new(f, keys[i], json_string(cli_str(cl, keys[i])));
	if (limit > 0)
		json_object_set_new(f, "limit", json_integer(limit));
	if (cli_bool(cl, "health")) {
		int rc = list_health(cl, f);
		json_decref(f);
		return rc;
	}
	struct list_out o = { .json = cl->json };
	int rc = cat_query_each(cl->c, f, list_row, &o, &err);
	json_decref(f);
	if (rc)
		return cli_fail(cl, err);
	if (o.json)
		fputs(o.n ? "\n]\n" : "[]\n", stdout);
	return 0;
}
