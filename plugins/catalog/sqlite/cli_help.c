/*
 * cli_help.c -- the manual pages of `paved catalog` and its subcommands,
 * printed by --help (the options themselves come from each subcommand's
 * flag table in cli.c, through paved->cli_help).
 */
#include <stddef.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *cmd;     /* NULL: the overview */
	const char *text;    /* up to the options */
	const char *after;   /* after them, or NULL */
} pages[] = {
{ NULL,
"Usage: paved catalog COMMAND [OPTIONS] [ARGS...]\n"
"\n"
"The service catalog: who owns what, what depends on what, and how it is\n"
"doing.  Backstage entities (Component, API, System, Domain, Resource,\n"
"Group, User, Location, Template) kept in $PAVED_HOME/paved.db, with the\n"
"relations Backstage computes and paved's rich fields (oncall, repository,\n"
"endpoints, dashboard, runbook, cost, tier).\n"
"\n"
"Commands:\n"
"  paved catalog import PATH...     load YAML/JSON files, directories and Locations\n"
"  paved catalog validate PATH...   check files as import would, writing nothing\n"
"  paved catalog export             print the whole catalog as YAML or JSON\n"
"  paved catalog show NAME          owner, oncall, links, deps, live health, cost\n"
"  paved catalog list               entities by kind, owner, ...; --health: the fleet\n"
"  paved catalog deps NAME          what NAME depends on\n"
"  paved catalog rdeps NAME         what depends on NAME: the impact of an outage\n"
"  paved catalog graph [NAME]       the dependency graph as Graphviz dot or Mermaid\n"
"  paved catalog search TEXT...     full-text search over names, titles, descriptions\n"
"  paved catalog cost               monthly cost per service, owner or system\n"
"  paved catalog owners             each owner (team or user) and what it owns\n"
"  paved catalog check              dangling references and dependency cycles\n"
"  paved catalog delete REF         remove one entity\n"
"\n"
"'paved catalog COMMAND --help' shows a command's manual.  NAME is a\n"
"reference (component:default/x, api:x) or a bare name; a bare name that\n"
"several kinds share prefers the Component.\n",
"Exit status: 0 success; 1 failure (bad input, a rejected entity, a missing\n"
"entity, problems found by check); 2 usage error.\n"
"See plugins/catalog/sqlite/README.md (hooks, entity fields, import rules).\n" },
{ "import",
"Usage: paved catalog import [--dry-run] [--atomic] [--no-follow] PATH...\n"
"\n"
"Reads Backstage entity files: YAML with any number of documents, or JSON\n"
"(one entity, a list of entities, or {\"items\": [...]}, which is what\n"
"'paved catalog export --format json' writes).  A directory is read\n"
"recursively (*.yaml, *.yml, *.json; hidden entries skipped; each real\n"
"directory once, so symbolic-link loops end); there, a file whose first\n"
"document has no apiVersion or kind (an OpenAPI spec) is skipped.\n"
"\n"
"Location entities are followed as Backstage follows them: spec.target(s)\n"
"relative to the Location's file, with globs (*, **, {a,b}); a missing\n"
"target is an error unless the Location says presence: optional.  $text,\n"
"$json and $yaml placeholders are read relative to the file.  Nothing is\n"
"read outside the directory of the PATH given (its root).\n"
"\n"
"As in Backstage, a bad entity is rejected alone (FILE:LINE:COLUMN:\n"
"problem) and the rest is imported.  Each file is a location that owns\n"
"the entities it defines: an entity another file already owns is not\n"
"replaced; the conflict is reported and the first owner keeps it.\n"
"Documents unchanged since the last import are skipped.\n",
"Exit status: 0 everything imported; 1 something was rejected (printed on\n"
"stderr; with --atomic nothing was imported); 2 usage error.\n"
"\n"
"Examples:\n"
"  paved catalog import catalog-info.yaml\n"
"  paved catalog import --atomic ./catalog/ all-components.yaml\n" },
{ "validate",
"Usage: paved catalog validate [--no-follow] PATH...\n"
"\n"
"Runs exactly what 'paved catalog import' runs (Locations, placeholders,\n"
"conflicts with what the catalog holds), then writes nothing.  Problems\n"
"print as FILE:LINE:COLUMN: MESSAGE.\n",
"Exit status: 0 valid; 1 problems found; 2 usage error.\n" },
{ "export",
"Usage: paved catalog export [--format yaml|json]\n"
"\n"
"Prints all entities, sorted by reference, exactly as they were stored\n"
"(computed relations are not included: they are recomputed on import),\n"
"one at a time.  YAML output is a multi-document stream; JSON output is\n"
"one array.  'paved catalog import --no-follow FILE' restores either into\n"
"an identical catalog (the Locations in the export are kept but not read\n"
"again: their targets' entities are in the file).\n", NULL },
{ "show",
"Usage: paved catalog show [--env ENV] NAME\n"
"\n"
"The entity's kind, type, lifecycle and description; its owner and how to\n"
"reach them; repository, links, endpoints with their SLA, dashboard and\n"
"runbook; what it depends on and what depends on it; APIs; its monthly\n"
"cost plus that of the resources it depends on.\n"
"\n"
"For a Component, its live state per env: health (from the runtime's\n"
"replicas and their health checks, runtime.status), URL, the live version\n"
"and when it was deployed (the deploy plugin's records), a rollout under\n"
"way (deploy.status), error rate and latency (metrics.red).  What no\n"
"installed plugin can tell is shown as unknown, with the reason.\n",
"Exit status: 0 shown; 1 no such entity, or the name is ambiguous.\n" },
{ "list",
"Usage: paved catalog list [--kind K] [--owner O] [--lifecycle L] [--tag T]\n"
"                          [--system S] [--limit N] [--health [--env ENV]]\n"
"\n"
"Entities sorted by reference with owner and lifecycle, streamed (--json:\n"
"an array of the stored entities, one a line).  Filters combine.  --owner\n"
"and --system match a name or a reference; --kind, --tag and --lifecycle\n"
"ignore case.  --health is the fleet view: every Component (or those the\n"
"filters keep) with its live health, replicas, version and URL per env,\n"
"from one runtime.status call.\n", NULL },
{ "deps",
"Usage: paved catalog deps [--transitive] [--depth N] NAME\n"
"\n"
"Follows dependsOn relations (spec.dependsOn, and dependencyOf declared by\n"
"others).  Without --transitive only direct dependencies are listed.  With\n"
"it, every entity reachable is listed once, at its shortest distance, with\n"
"the entity it was reached through.  A dependency that is not in the\n"
"catalog is marked (missing).  Cycles are reported, never followed twice.\n"
"--json: {\"ref\",\"items\":[{\"ref\",\"depth\",\"via\",\"exists\"}],\"cycles\",\n"
"\"truncated\"}.\n", NULL },
{ "rdeps",
"Usage: paved catalog rdeps [--transitive] [--depth N] NAME\n"
"\n"
"The reverse of deps: who depends on NAME, and with --transitive who\n"
"depends on those, i.e. everything that breaks if NAME goes down.  Each\n"
"dependent is listed once at its shortest distance; cycles are reported.\n",
NULL },
{ "graph",
"Usage: paved catalog graph [--format dot|mermaid] [--depth N] [NAME]\n"
"\n"
"Without NAME: every dependsOn, providesApi, consumesApi and partOf\n"
"relation of the catalog.  With NAME: NAME, what it depends on and what\n"
"depends on it (transitively, or N levels with --depth), with the\n"
"dependsOn edges between them.  Entities missing from the catalog are\n"
"drawn dashed.  Pipe dot output to 'dot -Tsvg'; paste Mermaid into\n"
"Markdown.  --json: {\"format\",\"text\"}.\n", NULL },
{ "search",
"Usage: paved catalog search [--limit N] TEXT...\n"
"\n"
"Entities whose name, title, description, tags, kind, type, lifecycle,\n"
"owner or system hold every word of TEXT, best matches first (SQLite\n"
"FTS5, bm25; a name match weighs most).  Words match whole words: team-a\n"
"is the words team and a, next to each other, so it does not find\n"
"team-b.  End a word with * to match a prefix (pay*).\n", NULL },
{ "cost",
"Usage: paved catalog cost [--by owner|system]\n"
"\n"
"Costs come from the annotation paved.dev/cost-per-month (USD, e.g.\n"
"\"2400\" or \"$2,400/month\").  Without --by, one line per Component: its\n"
"own cost, the cost of the Resources it depends on (directly or via other\n"
"Resources, each counted once) and the total.  With --by, the own costs of\n"
"all entities summed per owner or per system, each entity counted once.\n",
NULL },
{ "owners",
"Usage: paved catalog owners\n"
"\n"
"Every team or user named as spec.owner, with its display name, email and\n"
"oncall when the owner is in the catalog, and the entities it owns.  An\n"
"owner missing from the catalog is marked (missing).\n", NULL },
{ "check",
"Usage: paved catalog check\n"
"\n"
"Lists dangling references (a relation to an entity that is not in the\n"
"catalog, e.g. a component that provides an API nobody registered) and\n"
"dependsOn cycles, then the entity and relation counts.\n",
"Exit status: 0 no problem; 1 problems were found.\n" },
{ "delete",
"Usage: paved catalog delete REF\n"
"\n"
"Removes the entity and the relations it declared.  Relations other\n"
"entities declare towards it stay, and 'check' reports them dangling.\n",
NULL },
};

int cli_page(const char *cmd, const char **text, const char **after)
{
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
		if ((!cmd && !pages[i].cmd) || (cmd && pages[i].cmd && !strcmp(cmd, pages[i].cmd))) {
			*text = pages[i].text;
			*after = pages[i].after;
			return 0;
		}
	*text = pages[0].text;
	*after = pages[0].after;
	return -1;
}
