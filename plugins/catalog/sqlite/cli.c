/*
 * cli.c -- `paved catalog SUBCOMMAND`: argument parsing and human output.
 *
 * The host hands over {"argv": [...after 'catalog'], "json": bool}; each
 * subcommand parses its options, calls the same core functions the hooks
 * use, prints to stdout (errors and warnings to stderr) and returns
 * {"exit": N}: 0 success, 1 failure, 2 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_help.h"
#include "glue.h"

#define EXIT_USAGE 2

/* Parsed command line of one subcommand. */
struct opts {
	const char *cmd;
	bool        json, help, transitive, dry_run, no_follow;
	const char *kind, *owner, *lifecycle, *tag, *system, *format, *by;
	long        depth, limit;
	const char *pos[64];
	int         npos;
};

/* Print a usage error for the subcommand; returns EXIT_USAGE. */
static int usage(const struct opts *o, const char *fmt, const char *arg)
{
	fprintf(stderr, "paved catalog%s%s: ", o->cmd ? " " : "", o->cmd ? o->cmd : "");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'paved catalog %s%s--help'.\n", o->cmd ? o->cmd : "",
	        o->cmd ? " " : "");
	return EXIT_USAGE;
}

/* A non-negative count, or -1. */
static long count_arg(const char *s)
{
	char *end;
	long v = s && *s ? strtol(s, &end, 10) : -1;
	return (v < 0 || *end || v > 1000000000L) ? -1 : v;
}

/* Options each subcommand accepts (value options end in '=').  */
static const struct {
	const char *cmd, *opts;
} allowed[] = {
	{ "import", " --dry-run --no-follow " }, { "validate", " --no-follow " }, { "export", " --format= " },
	{ "show", " " }, { "list", " --kind= --owner= --lifecycle= --tag= --system= --limit= " },
	{ "deps", " --transitive --depth= " }, { "rdeps", " --transitive --depth= " },
	{ "graph", " --format= --depth= " }, { "search", " --limit= " },
	{ "cost", " --by= " }, { "owners", " " }, { "check", " " }, { "delete", " " },
};

/* Parse ARGV (after the subcommand) into O.  Returns 0 or EXIT_USAGE. */
static int parse(json_t *argv, struct opts *o)
{
	const char *ok = NULL;
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (!strcmp(allowed[i].cmd, o->cmd))
			ok = allowed[i].opts;
	if (!ok) {
		fprintf(stderr, "paved catalog: unknown command '%s'\nTry 'paved catalog --help'.\n",
		        o->cmd);
		return EXIT_USAGE;
	}
	o->depth = -1;
	for (size_t i = 1; i < json_array_size(argv); i++) {
		const char *a = json_string_value(json_array_get(argv, i));
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			o->help = true;
			continue;
		}
		if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || !a[2]) {
			if (o->npos == 64)
				return usage(o, "too many arguments%s", "");
			o->pos[o->npos++] = a;
			continue;
		}
		char name[64];
		const char *eq = strchr(a, '='), *val = NULL;
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		if (n >= sizeof name - 2)
			return usage(o, "unknown option '%s'", a);
		memcpy(name, a, n);
		name[n] = '\0';
		char key[72];
		snprintf(key, sizeof key, " %s ", name);
		bool flag = strstr(ok, key) != NULL;
		snprintf(key, sizeof key, " %s= ", name);
		bool valued = strstr(ok, key) != NULL;
		if (!flag && !valued)
			return usage(o, "unknown option '%s'", a);
		if (flag && eq)
			return usage(o, "option '%s' takes no value", name);
		if (valued) {
			val = eq ? eq + 1 : json_string_value(json_array_get(argv, ++i));
			if (!val)
				return usage(o, "option '%s' needs a value", name);
		}
		if (!strcmp(name, "--transitive"))
			o->transitive = true;
		else if (!strcmp(name, "--dry-run"))
			o->dry_run = true;
		else if (!strcmp(name, "--no-follow"))
			o->no_follow = true;
		else if (!strcmp(name, "--kind"))
			o->kind = val;
		else if (!strcmp(name, "--owner"))
			o->owner = val;
		else if (!strcmp(name, "--lifecycle"))
			o->lifecycle = val;
		else if (!strcmp(name, "--tag"))
			o->tag = val;
		else if (!strcmp(name, "--system"))
			o->system = val;
		else if (!strcmp(name, "--format"))
			o->format = val;
		else if (!strcmp(name, "--by"))
			o->by = val;
		else if (!strcmp(name, "--depth") && (o->depth = count_arg(val)) < 0)
			return usage(o, "--depth needs a number >= 0, not '%s'", val);
		else if (!strcmp(name, "--limit") && (o->limit = count_arg(val)) < 0)
			return usage(o, "--limit needs a number >= 0, not '%s'", val);
	}
	return 0;
}

/* Print J (stolen) as indented JSON. */
static void print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
	json_decref(j);
}

/* Print a core error (malloc()ed, freed here); returns 1. */
static int failed(const struct opts *o, char *err)
{
	fprintf(stderr, "paved catalog %s: %s\n", o->cmd, err ? err : "out of memory");
	free(err);
	return 1;
}

/* Resolve the single NAME argument. */
static char *need_ref(struct cat_db *c, const struct opts *o, int *code)
{
	char *ref = NULL, *err = NULL;
	if (o->npos != 1) {
		*code = usage(o, "%s", o->npos ? "give exactly one NAME" : "a NAME is required");
		return NULL;
	}
	if (cat_resolve(c, o->pos[0], &ref, &err))
		*code = failed(o, err);
	return ref;
}

/* import and validate. */
static int cmd_import(paved_ctx *ctx, struct cat_db *c, const struct opts *o, bool dry)
{
	struct cat_import res;
	json_t *paths = json_array(), *x;
	size_t i;
	if (o->npos == 0) {
		json_decref(paths);
		return usage(o, "%s", "give at least one file or directory");
	}
	for (int k = 0; k < o->npos; k++)
		json_array_append_new(paths, json_string(o->pos[k]));
	cat_import_init(&res, dry);
	res.no_follow = o->no_follow;
	int rc = cat_import_paths(c, paths, &res);
	json_decref(paths);
	if (rc == 0 && !dry)
		cat_emit_imported(ctx, &res);
	if (o->json) {
		print_json(json_pack("{sIsIsIsOsOsb}", "imported", (json_int_t)res.imported,
		                     "created", (json_int_t)res.created, "files", (json_int_t)res.files,
		                     "warnings", res.warnings, "errors", res.errors, "dry_run", dry));
	} else {
		json_array_foreach(res.warnings, i, x)
			fprintf(stderr, "warning: %s\n", json_string_value(x));
		json_array_foreach(res.errors, i, x)
			fprintf(stderr, "error: %s\n", json_string_value(x));
		if (rc)
			fprintf(stderr, "paved catalog %s: %zu error%s; nothing was imported\n", o->cmd,
			        json_array_size(res.errors), json_array_size(res.errors) == 1 ? "" : "s");
		else if (dry)
			printf("valid: %ld entities in %ld files\n", res.imported, res.files);
		else
			printf("imported %ld entities (%ld new) from %ld files\n", res.imported,
			       res.created, res.files);
	}
	cat_import_free(&res);
	return rc ? 1 : 0;
}

/* export [--format yaml|json] */
static int cmd_export(struct cat_db *c, const struct opts *o)
{
	const char *fmt = o->format ? o->format : o->json ? "json" : "yaml";
	char *err = NULL;
	if (strcmp(fmt, "yaml") && strcmp(fmt, "json"))
		return usage(o, "unknown format '%s'; use yaml or json", fmt);
	json_t *all = cat_export(c, &err);
	if (!all)
		return failed(o, err);
	if (!strcmp(fmt, "json")) {
		print_json(all);
		return 0;
	}
	int rc = cat_yaml_emit(stdout, all, &err);
	json_decref(all);
	return rc ? failed(o, err) : 0;
}

/* Print "  LABEL  value" when VALUE is set. */
static void field(const char *label, const char *value)
{
	if (value && *value)
		printf("  %-12s %s\n", label, value);
}

/* The health of REF: from hook health.check, else unknown. */
static json_t *health_of(paved_ctx *ctx, const char *ref, json_t *e)
{
	const char *url = cat_annotation(e, CAT_ANN_HEALTH);
	json_t *args = json_pack("{s:s, s:s?}", "ref", ref, "url", url), *res = NULL;
	char *err = NULL;
	int rc = paved->call(ctx, "health.check", args, &res, &err);
	json_decref(args);
	if (rc == PAVED_OK && json_is_string(json_object_get(res, "status"))) {
		free(err);
		return res;
	}
	json_decref(res);
	json_t *out = json_pack("{s:s, s:s?, s:s}", "status", "unknown", "url", url, "reason",
	                        rc == PAVED_NOHOOK ? "no plugin provides health.check"
	                                           : (err ? err : "health.check failed"));
	free(err);
	return out;
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

/* show NAME */
static int cmd_show(paved_ctx *ctx, struct cat_db *c, const struct opts *o)
{
	int code = 0;
	char *ref = need_ref(c, o, &code);
	if (!ref)
		return code;
	json_t *e = cat_get(c, ref), *rels = json_object_get(e, "relations");
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
	json_t *health = health_of(ctx, ref, e);
	json_t *cost = json_pack("{s:o,s:f,s:f}", "own", own >= 0 ? json_real(own) : json_null(),
	                         "resources", res, "total", (own > 0 ? own : 0) + res);
	if (o->json) {
		print_json(json_pack("{s:s, s:O, s:{s:s?, s:s?, s:s?, s:s?, s:b}, s:o, s:o, s:o, s:o}", "ref", ref, "entity", e,
			"owner", "ref", owner_ref,
			"title", json_string_value(json_object_get(profile, "displayName")),
			"email", json_string_value(json_object_get(profile, "email")),
			"oncall", cat_annotation(e, CAT_ANN_ONCALL) ? cat_annotation(e, CAT_ANN_ONCALL)
			                                            : cat_annotation(owner, CAT_ANN_ONCALL),
			"exists", owner != NULL,
			"dependencies", item_refs(deps), "dependents", item_refs(rdeps),
			"health", health, "cost", cost));
		health = cost = NULL;
	} else {
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
		      cat_annotation(e, CAT_ANN_REPOSITORY) :
		      cat_annotation(e, "backstage.io/source-location"));
		field("dashboard", cat_annotation(e, CAT_ANN_DASHBOARD));
		field("runbook", cat_annotation(e, CAT_ANN_RUNBOOK));
		json_t *x;
		size_t i;
		json_array_foreach(json_object_get(json_object_get(e, "metadata"), "links"), i, x)
			printf("  %-12s %s%s%s\n", i ? "" : "links",
			       json_string_value(json_object_get(x, "url")),
			       json_object_get(x, "title") ? "  " : "",
			       json_object_get(x, "title") ? json_string_value(json_object_get(x, "title"))
			                                   : "");
		json_array_foreach(json_object_get(json_object_get(e, "spec"), "endpoints"), i, x) {
			json_t *sla = json_object_get(x, "sla");
			char slabuf[64] = "";
			if (json_is_string(sla))
				snprintf(slabuf, sizeof slabuf, "  (SLA %s)", json_string_value(sla));
			else if (json_is_number(sla))
				snprintf(slabuf, sizeof slabuf, "  (SLA %g%%)", json_number_value(sla));
			printf("  %-12s %s%s\n", i ? "" : "endpoints",
			       json_string_value(json_object_get(x, "url")), slabuf);
		}
		json_array_foreach(json_object_get(deps, "items"), i, x)
			printf("  %-12s %s%s\n", i ? "" : "depends on",
			       json_string_value(json_object_get(x, "ref")),
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
		const char *hurl = json_string_value(json_object_get(health, "url"));
		printf("  %-12s %s%s%s\n", "health", json_string_value(json_object_get(health, "status")),
		       hurl ? "  " : "", hurl ? hurl : "");
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

/* list [filters] */
static int cmd_list(struct cat_db *c, const struct opts *o)
{
	json_t *f = json_object(), *all, *e;
	char *err = NULL;
	size_t i;
	if (o->npos)
		return json_decref(f), usage(o, "unexpected argument '%s'", o->pos[0]);
	if (o->kind) json_object_set_new(f, "kind", json_string(o->kind));
	if (o->owner) json_object_set_new(f, "owner", json_string(o->owner));
	if (o->lifecycle) json_object_set_new(f, "lifecycle", json_string(o->lifecycle));
	if (o->tag) json_object_set_new(f, "tag", json_string(o->tag));
	if (o->system) json_object_set_new(f, "system", json_string(o->system));
	if (o->limit > 0) json_object_set_new(f, "limit", json_integer(o->limit));
	all = cat_query(c, f, &err);
	json_decref(f);
	if (!all)
		return failed(o, err);
	if (o->json) {
		print_json(all);
		return 0;
	}
	printf("%-48s %-28s %s\n", "REF", "OWNER", "LIFECYCLE");
	json_array_foreach(all, i, e) {
		char *ref = cat_entity_ref(e);
		const char *ow = cat_get_str(e, "spec.owner"), *lc = cat_get_str(e, "spec.lifecycle");
		printf("%-48s %-28s %s\n", ref ? ref : "?", ow ? ow : "-", lc ? lc : "-");
		free(ref);
	}
	json_decref(all);
	return 0;
}

/* deps / rdeps NAME [--transitive] [--depth N] */
/* What the text output of deps/rdeps needs between items. */
struct dep_printer {
	const char *self;
	bool        reverse;
	long        n;
};

/* cat_deps_each callback: one line per item, the header before the first. */
static int print_dep(const char *ref, int depth, const char *via, bool exists, void *ud)
{
	struct dep_printer *p = ud;
	if (p->n++ == 0)
		printf("%s %s:\n", p->self, p->reverse ? "is depended on by" : "depends on");
	printf("  %*s%s%s", 2 * (depth - 1), "", ref, exists ? "" : "  (missing)");
	if (via)
		printf("  (via %s)", via);
	putchar('\n');
	return 0;
}

static int cmd_deps(struct cat_db *c, const struct opts *o, bool reverse)
{
	int code = 0;
	char *ref = need_ref(c, o, &code), *err = NULL;
	if (!ref)
		return code;
	bool trans = o->transitive || o->depth > 1;
	int depth = o->depth > 0 ? (int)o->depth : 0;
	if (o->json) {
		json_t *d = cat_deps(c, ref, reverse, trans, depth, &err);
		free(ref);
		if (!d)
			return failed(o, err);
		print_json(d);
		json_decref(d);
		return 0;
	}
	/* text: printed as the walk goes, no JSON in between */
	struct dep_printer p = { ref, reverse, 0 };
	json_t *cycles = NULL, *x;
	bool truncated = false;
	if (cat_deps_each(c, ref, reverse, trans, depth, print_dep, &p, &cycles, &truncated,
	                  &err)) {
		free(ref);
		return failed(o, err);
	}
	if (p.n == 0)
		printf("%s %s\n", ref, reverse ? "has no dependents" : "depends on nothing");
	size_t i;
	json_array_foreach(cycles, i, x) {
		json_t *r;
		size_t k;
		printf("cycle: ");
		json_array_foreach(x, k, r)
			printf("%s%s", k ? " -> " : "", json_string_value(r));
		putchar('\n');
	}
	if (truncated)
		printf("(stopped at depth %ld; there is more beyond)\n", o->depth);
	json_decref(cycles);
	free(ref);
	return 0;
}

/* graph [NAME] [--format dot|mermaid] [--depth N] */
static int cmd_graph(struct cat_db *c, const struct opts *o)
{
	char *ref = NULL, *err = NULL;
	int code = 0;
	if (o->npos > 1)
		return usage(o, "%s", "give at most one NAME");
	if (o->npos == 1 && !(ref = need_ref(c, o, &code)))
		return code;
	if (o->format && strcmp(o->format, "dot") && strcmp(o->format, "mermaid")) {
		free(ref);
		return usage(o, "unknown format '%s'; use dot or mermaid", o->format);
	}
	char *text = cat_graph(c, ref, o->format, o->depth > 0 ? (int)o->depth : 0, &err);
	free(ref);
	if (!text)
		return failed(o, err);
	if (o->json)
		print_json(json_pack("{ssss}", "format", o->format ? o->format : "dot", "text", text));
	else
		fputs(text, stdout);
	free(text);
	return 0;
}

/* search TEXT... */
static int cmd_search(struct cat_db *c, const struct opts *o)
{
	char buf[4096] = "", *err = NULL;
	if (!o->npos)
		return usage(o, "%s", "give the TEXT to search for");
	for (int i = 0; i < o->npos; i++) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "", o->pos[i]);
	}
	json_t *hits = cat_search(c, buf, o->limit > 0 ? (int)o->limit : 50, &err), *x;
	size_t i;
	if (!hits)
		return failed(o, err);
	if (o->json) {
		print_json(hits);
		return 0;
	}
	if (!json_array_size(hits))
		printf("no entity matches '%s'\n", buf);
	json_array_foreach(hits, i, x) {
		const char *d = json_string_value(json_object_get(x, "description"));
		printf("%-48s %s\n", json_string_value(json_object_get(x, "ref")), d ? d : "");
	}
	json_decref(hits);
	return 0;
}

/* cost [--by owner|system] */
static int cmd_cost(struct cat_db *c, const struct opts *o)
{
	char *err = NULL;
	json_t *rows = cat_cost(c, o->by, &err), *x;
	size_t i;
	double sum = 0;
	if (!rows)
		return o->by ? (free(err), usage(o, "cannot group by '%s'; use owner or system", o->by))
		             : failed(o, err);
	if (o->json) {
		print_json(rows);
		return 0;
	}
	if (o->by)
		printf("%-48s %12s %9s\n", !strcmp(o->by, "owner") ? "OWNER" : "SYSTEM", "USD/MONTH",
		       "ENTITIES");
	else
		printf("%-48s %12s %12s %12s\n", "COMPONENT", "OWN", "RESOURCES", "TOTAL");
	json_array_foreach(rows, i, x) {
		if (o->by) {
			printf("%-48s %12.2f %9d\n", json_string_value(json_object_get(x, "key")),
			       json_real_value(json_object_get(x, "total")),
			       (int)json_integer_value(json_object_get(x, "entities")));
			sum += json_real_value(json_object_get(x, "total"));
		} else {
			printf("%-48s %12.2f %12.2f %12.2f\n", json_string_value(json_object_get(x, "ref")),
			       json_real_value(json_object_get(x, "own")),
			       json_real_value(json_object_get(x, "resources")),
			       json_real_value(json_object_get(x, "total")));
		}
	}
	if (o->by)
		printf("%-48s %12.2f\n", "total", sum);
	json_decref(rows);
	return 0;
}

/* owners */
static int cmd_owners(struct cat_db *c, const struct opts *o)
{
	char *err = NULL;
	json_t *rows = cat_owners(c, &err), *x, *r;
	size_t i, k;
	if (!rows)
		return failed(o, err);
	if (o->json) {
		print_json(rows);
		return 0;
	}
	json_array_foreach(rows, i, x) {
		const char *t = json_string_value(json_object_get(x, "title"));
		const char *em = json_string_value(json_object_get(x, "email"));
		const char *oc = json_string_value(json_object_get(x, "oncall"));
		printf("%s", json_string_value(json_object_get(x, "owner")));
		if (!json_is_true(json_object_get(x, "exists")))
			printf("  (missing)");
		if (t || em || oc)
			printf("  (%s%s%s%s%s%s)", t ? t : "", t && em ? ", " : "", em ? em : "",
			       (t || em) && oc ? ", " : "", oc ? "oncall " : "", oc ? oc : "");
		putchar('\n');
		json_array_foreach(json_object_get(x, "entities"), k, r)
			printf("  %s\n", json_string_value(r));
	}
	json_decref(rows);
	return 0;
}

/* check */
static int cmd_check(struct cat_db *c, const struct opts *o)
{
	char *err = NULL;
	json_t *res = cat_check(c, &err), *x, *r;
	size_t i, k;
	if (!res)
		return failed(o, err);
	json_object_set_new(res, "stats", cat_stats(c));
	size_t problems = json_array_size(json_object_get(res, "dangling")) +
	                  json_array_size(json_object_get(res, "cycles"));
	if (o->json) {
		print_json(res);
		return problems ? 1 : 0;
	}
	json_array_foreach(json_object_get(res, "dangling"), i, x)
		printf("dangling: %s %s %s (no such entity)\n",
		       json_string_value(json_object_get(x, "entity")),
		       json_string_value(json_object_get(x, "relation")),
		       json_string_value(json_object_get(x, "target")));
	json_array_foreach(json_object_get(res, "cycles"), i, x) {
		printf("cycle: ");
		json_array_foreach(x, k, r)
			printf("%s%s", k ? " -> " : "", json_string_value(r));
		putchar('\n');
	}
	json_t *st = json_object_get(res, "stats");
	printf("%s: %d entities, %d relations\n", problems ? "problems found" : "ok",
	       (int)json_integer_value(json_object_get(st, "entities")),
	       (int)json_integer_value(json_object_get(st, "relations")));
	json_decref(res);
	return problems ? 1 : 0;
}

/* delete REF */
static int cmd_delete(paved_ctx *ctx, struct cat_db *c, const struct opts *o)
{
	int code = 0;
	char *ref = need_ref(c, o, &code), *err = NULL;
	if (!ref)
		return code;
	if (cat_delete(c, ref, &err)) {
		free(ref);
		return failed(o, err);
	}
	cat_emit_deleted(ctx, ref);
	if (o->json)
		print_json(json_pack("{ss}", "deleted", ref));
	else
		printf("deleted %s\n", ref);
	free(ref);
	return 0;
}

int cat_cli(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	json_t *argv = json_object_get(args, "argv");
	struct opts o = { .json = json_is_true(json_object_get(args, "json")) };
	const char *first = json_string_value(json_array_get(argv, 0));
	int code;
	if (!first || !strcmp(first, "--help") || !strcmp(first, "-h") || !strcmp(first, "help")) {
		const char *topic = first && !strcmp(first, "help") ?
		                    json_string_value(json_array_get(argv, 1)) : NULL;
		const char *text = cat_help_for(topic);
		fputs(text ? text : cat_help_for(NULL), first ? stdout : stderr);
		code = first ? 0 : EXIT_USAGE;
		goto out;
	}
	o.cmd = first;
	if ((code = parse(argv, &o)))
		goto out;
	if (o.help) {
		fputs(cat_help_for(o.cmd), stdout);
		goto out;
	}
	struct cat_db *c = cat_plugin_db(ctx, errmsg);
	if (!c)
		return PAVED_ERR;
	if (!strcmp(o.cmd, "import"))
		code = cmd_import(ctx, c, &o, o.dry_run);
	else if (!strcmp(o.cmd, "validate"))
		code = cmd_import(ctx, c, &o, true);
	else if (!strcmp(o.cmd, "export"))
		code = cmd_export(c, &o);
	else if (!strcmp(o.cmd, "show"))
		code = cmd_show(ctx, c, &o);
	else if (!strcmp(o.cmd, "list"))
		code = cmd_list(c, &o);
	else if (!strcmp(o.cmd, "deps") || !strcmp(o.cmd, "rdeps"))
		code = cmd_deps(c, &o, o.cmd[0] == 'r');
	else if (!strcmp(o.cmd, "graph"))
		code = cmd_graph(c, &o);
	else if (!strcmp(o.cmd, "search"))
		code = cmd_search(c, &o);
	else if (!strcmp(o.cmd, "cost"))
		code = cmd_cost(c, &o);
	else if (!strcmp(o.cmd, "owners"))
		code = cmd_owners(c, &o);
	else if (!strcmp(o.cmd, "check"))
		code = cmd_check(c, &o);
	else
		code = cmd_delete(ctx, c, &o);
out:
	fflush(stdout);
	*result = json_pack("{si}", "exit", code);
	return PAVED_OK;
}
