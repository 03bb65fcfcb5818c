/*
 * cli_query.c -- the subcommands that ask the whole catalog: deps and
 * rdeps (impact), graph, search, cost, owners, check.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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

/* Print each cycle of CYCLES as "cycle: a -> b -> a". */
static void print_cycles(json_t *cycles)
{
	json_t *x, *r;
	size_t i, k;
	json_array_foreach(cycles, i, x) {
		printf("cycle: ");
		json_array_foreach(x, k, r)
			printf("%s%s", k ? " -> " : "", json_string_value(r));
		putchar('\n');
	}
}

/* deps / rdeps NAME [--transitive] [--depth N] */
static int deps(struct cli *cl, bool reverse)
{
	long depth = cli_count(cl, "depth", 0);
	if (depth < 0)
		return cli_usage(cl, "--depth needs a number >= 0");
	int code = 0;
	char *ref = cli_need_ref(cl, &code), *err = NULL;
	if (!ref)
		return code;
	bool trans = cli_bool(cl, "transitive") || depth > 1;
	if (cl->json) {
		json_t *d = cat_deps(cl->c, ref, reverse, trans, (int)depth, &err);
		free(ref);
		if (!d)
			return cli_fail(cl, err);
		cli_print_json(d);
		return 0;
	}
	/* text: printed as the walk goes, no JSON in between */
	struct dep_printer p = { ref, reverse, 0 };
	json_t *cycles = NULL;
	bool truncated = false;
	if (cat_deps_each(cl->c, ref, reverse, trans, (int)depth, print_dep, &p, &cycles,
	                  &truncated, &err)) {
		free(ref);
		return cli_fail(cl, err);
	}
	if (p.n == 0)
		printf("%s %s\n", ref, reverse ? "has no dependents" : "depends on nothing");
	print_cycles(cycles);
	if (truncated)
		printf("(stopped at depth %ld; there is more beyond)\n", depth);
	json_decref(cycles);
	free(ref);
	return 0;
}

int cli_deps(struct cli *cl)
{
	return deps(cl, false);
}

int cli_rdeps(struct cli *cl)
{
	return deps(cl, true);
}

/* graph [NAME] [--format dot|mermaid] [--depth N] */
int cli_graph(struct cli *cl)
{
	const char *format = cli_str(cl, "format");
	long depth = cli_count(cl, "depth", 0);
	char *ref = NULL, *err = NULL;
	int code = 0;
	if (cli_nargs(cl) > 1)
		return cli_usage(cl, "give at most one NAME");
	if (depth < 0)
		return cli_usage(cl, "--depth needs a number >= 0");
	if (format && strcmp(format, "dot") && strcmp(format, "mermaid"))
		return cli_usage(cl, "unknown format '%s'; use dot or mermaid", format);
	if (cli_nargs(cl) == 1 && !(ref = cli_need_ref(cl, &code)))
		return code;
	char *text = cat_graph(cl->c, ref, format, (int)depth, &err);
	free(ref);
	if (!text)
		return cli_fail(cl, err);
	if (cl->json)
		cli_print_json(json_pack("{ssss}", "format", format ? format : "dot", "text", text));
	else
		fputs(text, stdout);
	free(text);
	return 0;
}

/* search TEXT... */
int cli_search(struct cli *cl)
{
	char buf[4096] = "", *err = NULL;
	long limit = cli_count(cl, "limit", 50);
	if (!cli_nargs(cl))
		return cli_usage(cl, "give the TEXT to search for");
	if (limit < 0)
		return cli_usage(cl, "--limit needs a number >= 0");
	for (size_t i = 0; i < cli_nargs(cl); i++) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "", cli_arg(cl, i));
	}
	json_t *hits = cat_search(cl->c, buf, (int)limit, &err), *x;
	size_t i;
	if (!hits)
		return cli_fail(cl, err);
	if (cl->json) {
		cli_print_json(hits);
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
int cli_cost(struct cli *cl)
{
	const char *by = cli_str(cl, "by");
	char *err = NULL;
	if (by && strcmp(by, "owner") && strcmp(by, "system"))
		return cli_usage(cl, "cannot group by '%s'; use owner or system", by);
	json_t *rows = cat_cost(cl->c, by, &err), *x;
	size_t i;
	double sum = 0;
	if (!rows)
		return cli_fail(cl, err);
	if (cl->json) {
		cli_print_json(rows);
		return 0;
	}
	if (by)
		printf("%-48s %12s %9s\n", !strcmp(by, "owner") ? "OWNER" : "SYSTEM", "USD/MONTH",
		       "ENTITIES");
	else
		printf("%-48s %12s %12s %12s\n", "COMPONENT", "OWN", "RESOURCES", "TOTAL");
	json_array_foreach(rows, i, x) {
		if (by) {
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
	if (by)
		printf("%-48s %12.2f\n", "total", sum);
	json_decref(rows);
	return 0;
}

/* owners */
int cli_owners(struct cli *cl)
{
	char *err = NULL;
	json_t *rows = cat_owners(cl->c, &err), *x, *r;
	size_t i, k;
	if (!rows)
		return cli_fail(cl, err);
	if (cl->json) {
		cli_print_json(rows);
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

/* check: exit 1 when it found a problem. */
int cli_check(struct cli *cl)
{
	char *err = NULL;
	json_t *res = cat_check(cl->c, &err), *x;
	size_t i;
	if (!res)
		return cli_fail(cl, err);
	json_object_set_new(res, "stats", cat_stats(cl->c));
	size_t problems = json_array_size(json_object_get(res, "dangling")) +
	                  json_array_size(json_object_get(res, "cycles"));
	if (cl->json) {
		cli_print_json(res);
		return problems ? 1 : 0;
	}
	json_array_foreach(json_object_get(res, "dangling"), i, x)
		printf("dangling: %s %s %s (no such entity)\n",
		       json_string_value(json_object_get(x, "entity")),
		       json_string_value(json_object_get(x, "relation")),
		       json_string_value(json_object_get(x, "target")));
	print_cycles(json_object_get(res, "cycles"));
	json_t *st = json_object_get(res, "stats");
	printf("%s: %d entities, %d relations\n", problems ? "problems found" : "ok",
	       (int)json_integer_value(json_object_get(st, "entities")),
	       (int)json_integer_value(json_object_get(st, "relations")));
	json_decref(res);
	return problems ? 1 : 0;
}
