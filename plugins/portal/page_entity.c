/*
 * page_entity.c -- one entity's page (/catalog/:namespace/:kind/:name).
 *
 * Every kind: title, description, tags, owner and on-call (the entity's
 * paved.dev/oncall annotation, else its owner's), links and runbook
 * (paved.dev/runbook), its relations, and dependencies and dependents as a
 * drawn graph (the data is embedded; static/portal.js draws it with
 * cytoscape).  A Component also gets: its APIs with their OpenAPI
 * reference (swagger-ui, the definition served by
 * /api/paved/entities/api/NAME/definition), live health, RED graphs per
 * version, releases with rollback (all three loaded by portal.js from
 * /api/paved/services/NAME/...), and its cost (catalog.cost).  An API gets
 * its own reference; a Group its members and what it owns.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"
#include "portal.h"

void po_page_start(struct po_buf *b, struct po_req *r, const char *title, const char *nav);
enum po_reply po_page_end(struct po_buf *b, struct po_req *r, int status);
void po_ref_href(struct po_buf *b, const char *ref);

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The entity REF as served (new), or NULL. */
static json_t *entity(struct po_server *s, const char *ref)
{
	long id = po_index_find(s->index, ref);
	const struct po_ent *e = id >= 0 ? po_index_ent(s->index, (uint32_t)id) : NULL;
	return e && e->live ? json_loadb(e->json, e->json_len, 0, NULL) : NULL;
}

/* Embed V (stolen) as JSON that no HTML parser ends early. */
static void embed_json(struct po_buf *b, const char *id, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	po_buf_printf(b, "<script type=\"application/json\" id=\"%s\">", id);
	for (const char *p = s; p && *p; p++) {
		if (*p == '<')
			po_buf_puts(b, "\\u003c");
		else if (*p == '>')
			po_buf_puts(b, "\\u003e");
		else if (*p == '&')
			po_buf_puts(b, "\\u0026");
		else
			po_buf_add(b, p, 1);
	}
	po_buf_puts(b, "</script>");
	free(s);
	json_decref(v);
}

/* The graph: this entity, what it depends on and provides or consumes,
 * and what depends on it: {nodes: [{id, label, kind, self}], edges: [{source, target, label}]}. */
static json_t *graph(const char *ref, json_t *e)
{
	json_t *nodes = json_array(), *edges = json_array(), *seen = json_object();
	json_array_append_new(nodes, json_pack("{ss ss ss sb}", "id", ref, "label",
	                                       str(json_object_get(e, "metadata"), "name") ?: ref,
	                                       "kind", str(e, "kind") ?: "", "self", 1));
	json_object_set_new(seen, ref, json_true());
	static const char *const types[][2] = { { "dependsOn", "out" }, { "dependencyOf", "in" },
	                                        { "providesApi", "out" }, { "consumesApi", "out" },
	                                        { "apiProvidedBy", "in" }, { "apiConsumedBy", "in" },
	                                        { "hasPart", "out" }, { "partOf", "out" } };
	size_t i;
	json_t *rel;
	json_array_foreach(json_object_get(e, "relations"), i, rel) {
		const char *type = str(rel, "type"), *target = str(rel, "targetRef");
		for (size_t t = 0; type && target && t < sizeof types / sizeof *types; t++) {
			if (strcmp(type, types[t][0]) != 0)
				continue;
			if (!json_object_get(seen, target)) {
				const char *colon = strchr(target, ':'), *slash = strrchr(target, '/');
				json_array_append_new(nodes, json_pack("{ss ss ss% sb}", "id", target, "label",
				                      slash ? slash + 1 : target, "kind", target,
				                      colon ? (size_t)(colon - target) : 0, "self", 0));
				json_object_set_new(seen, target, json_true());
			}
			bool out = !strcmp(types[t][1], "out");
			/* an incoming relation is drawn as its forward twin */
			const char *label = !strcmp(type, "dependencyOf") ? "dependsOn" :
			                    !strcmp(type, "apiProvidedBy") ? "providesApi" :
			                    !strcmp(type, "apiConsumedBy") ? "consumesApi" : type;
			json_array_append_new(edges, json_pack("{ss ss ss}", "source", out ? ref : target,
			                                       "target", out ? target : ref, "label", label));
		}
	}
	json_decref(seen);
	return json_pack("{so so}", "nodes", nodes, "edges", edges);
}

/* On-call: the entity's annotation, else its owner's. */
static char *oncall(struct po_server *s, json_t *e)
{
	const char *o = str(json_object_get(json_object_get(e, "metadata"), "annotations"),
	                    "paved.dev/oncall");
	if (o)
		return strdup(o);
	const char *owner = str(json_object_get(e, "spec"), "owner");
	if (!owner)
		return NULL;
	char *ref = strchr(owner, ':') ? strdup(owner) : pc_printf("group:%s%s", strchr(owner, '/') ?
	                                                            "" : "default/", owner);
	for (char *p = ref; p && *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	json_t *g = ref ? entity(s, ref) : NULL;
	free(ref);
	o = str(json_object_get(json_object_get(g, "metadata"), "annotations"), "paved.dev/oncall");
	char *r = o ? strdup(o) : NULL;
	json_decref(g);
	return r;
}

static void relation_list(struct po_buf *b, json_t *e, const char *type, const char *title)
{
	size_t i, n = 0;
	json_t *rel;
	json_array_foreach(json_object_get(e, "relations"), i, rel) {
		if (strcmp(str(rel, "type") ?: "", type) != 0)
			continue;
		if (!n++)
			po_buf_printf(b, "<h3>%s</h3><ul class=\"rel\" data-rel=\"%s\">", title, type);
		po_buf_puts(b, "<li><a href=\"");
		po_ref_href(b, str(rel, "targetRef"));
		po_buf_puts(b, "\">");
		po_buf_html(b, str(rel, "targetRef"));
		po_buf_puts(b, "</a></li>");
	}
	if (n)
		po_buf_puts(b, "</ul>");
}

/* The cost line of component REF, from catalog.cost. */
static void cost(struct po_buf *b, struct po_server *s, const char *ref)
{
	json_t *all = NULL, *v;
	size_t i;
	if (paved->call(s->ctx, "catalog.cost", NULL, &all, NULL) != PAVED_OK) {
		json_decref(all);
		po_buf_puts(b, "<p id=\"cost\">Cost: unknown (no plugin provides catalog.cost)</p>");
		return;
	}
	json_array_foreach(all, i, v)
		if (!strcmp(str(v, "ref") ?: "", ref)) {
			po_buf_printf(b, "<p id=\"cost\">Cost: <strong>$%.0f/month</strong> (own $%.0f, "
			              "resources $%.0f)</p>", json_number_value(json_object_get(v, "total")),
			              json_number_value(json_object_get(v, "own")),
			              json_number_value(json_object_get(v, "resources")));
			json_decref(all);
			return;
		}
	po_buf_puts(b, "<p id=\"cost\">Cost: none recorded</p>");
	json_decref(all);
}

enum po_reply po_entity_page(struct po_req *r, const char *ns, const char *kind, const char *name);
enum po_reply po_entity_page(struct po_req *r, const char *ns, const char *kind, const char *name)
{
	char n2[256], k2[128], s2[128];
	snprintf(n2, sizeof n2, "%s", name), snprintf(k2, sizeof k2, "%s", kind);
	snprintf(s2, sizeof s2, "%s", ns);
	po_url_decode(n2, false), po_url_decode(k2, false), po_url_decode(s2, false);
	char *ref = po_ref_of(k2, s2, n2);
	json_t *e = ref ? entity(r->srv, ref) : NULL;
	struct po_buf b = { 0 };
	if (!e) {
		po_page_start(&b, r, "Not found", "catalog");
		po_buf_puts(&b, "<h1>Not found</h1><p class=\"error\">No entity ");
		po_buf_html(&b, ref ? ref : name);
		po_buf_puts(&b, " in the catalog.</p>");
		free(ref);
		return po_page_end(&b, r, 404);
	}
	json_t *md = json_object_get(e, "metadata"), *spec = json_object_get(e, "spec");
	const char *title = str(md, "title") ?: str(md, "name");
	const char *k = str(e, "kind") ?: "";
	bool component = !strcmp(ref, "") ? false : !strncmp(ref, "component:", 10);
	po_page_start(&b, r, title, "catalog");
	po_buf_printf(&b, "<article class=\"entity\" data-ref=\"");
	po_buf_html(&b, ref);
	po_buf_puts(&b, "\" data-name=\"");
	po_buf_html(&b, str(md, "name"));
	po_buf_puts(&b, "\"><p class=\"kind\">");
	po_buf_html(&b, k);
	po_buf_puts(&b, spec && str(spec, "type") ? " · " : "");
	po_buf_html(&b, str(spec, "type"));
	po_buf_puts(&b, "</p><h1>");
	po_buf_html(&b, title);
	po_buf_puts(&b, "</h1><p>");
	po_buf_html(&b, str(md, "description"));
	po_buf_puts(&b, "</p><dl class=\"facts\">");
	if (str(spec, "owner")) {
		po_buf_puts(&b, "<dt>Owner</dt><dd id=\"owner\"><a href=\"");
		const char *o = str(spec, "owner");
		char *oref = strchr(o, ':') ? strdup(o) : pc_printf("group:%s", o);
		po_ref_href(&b, oref);
		free(oref);
		po_buf_puts(&b, "\">");
		po_buf_html(&b, o);
		po_buf_puts(&b, "</a></dd>");
	}
	char *oc = oncall(r->srv, e);
	po_buf_puts(&b, "<dt>On call</dt><dd id=\"oncall\">");
	po_buf_html(&b, oc ? oc : "nobody named");
	po_buf_puts(&b, "</dd>");
	free(oc);
	if (str(spec, "lifecycle")) {
		po_buf_puts(&b, "<dt>Lifecycle</dt><dd>");
		po_buf_html(&b, str(spec, "lifecycle"));
		po_buf_puts(&b, "</dd>");
	}
	if (str(spec, "system")) {
		po_buf_puts(&b, "<dt>System</dt><dd>");
		po_buf_html(&b, str(spec, "system"));
		po_buf_puts(&b, "</dd>");
	}
	po_buf_puts(&b, "<dt>Tags</dt><dd>");
	po_buf_tags(&b, json_object_get(md, "tags"));
	size_t i;
	json_t *v;
	po_buf_puts(&b, "</dd></dl><section><h2>Links</h2><ul id=\"links\">");
	const char *runbook = str(json_object_get(md, "annotations"), "paved.dev/runbook");
	if (runbook && (!strncmp(runbook, "https://", 8) || !strncmp(runbook, "http://", 7))) {
		po_buf_puts(&b, "<li><a rel=\"noopener\" href=\"");
		po_buf_html(&b, runbook);
		po_buf_puts(&b, "\">Runbook</a></li>");
	}
	json_array_foreach(json_object_get(md, "links"), i, v) {
		const char *url = str(v, "url");
		if (!url || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
			continue;
		po_buf_puts(&b, "<li><a rel=\"noopener\" href=\"");
		po_buf_html(&b, url);
		po_buf_puts(&b, "\">");
		po_buf_html(&b, str(v, "title") ?: url);
		po_buf_puts(&b, "</a></li>");
	}
	po_buf_puts(&b, "</ul></section>");
	if (component) {
		cost(&b, r->srv, ref);
		po_buf_printf(&b, "<section><h2>Health</h2><div id=\"health\" data-service=\"%s\">"
		              "loading…</div></section>", str(md, "name"));
		po_buf_printf(&b, "<section><h2>Requests, errors, latency (per version)</h2>"
		              "<div id=\"red\" data-service=\"%s\">loading…</div></section>", str(md, "name"));
		po_buf_printf(&b, "<section><h2>Releases</h2><div id=\"releases\" data-service=\"%s\">"
		              "loading…</div></section>", str(md, "name"));
	}
	po_buf_puts(&b, "<section><h2>Dependencies and dependents</h2><div id=\"graph\"></div>");
	embed_json(&b, "graph-data", graph(ref, e));
	relation_list(&b, e, "dependsOn", "Depends on");
	relation_list(&b, e, "dependencyOf", "Depended on by");
	relation_list(&b, e, "hasMember", "Members");
	relation_list(&b, e, "ownerOf", "Owns");
	relation_list(&b, e, "hasPart", "Has parts");
	po_buf_puts(&b, "</section>");
	/* APIs: a component's provided and consumed APIs, or the API itself */
	json_t *apis = json_array(), *rel;
	if (!strcmp(k, "API"))
		json_array_append_new(apis, json_string(str(md, "name")));
	json_array_foreach(json_object_get(e, "relations"), i, rel) {
		const char *t = str(rel, "type"), *target = str(rel, "targetRef");
		if (t && target && (!strcmp(t, "providesApi") || !strcmp(t, "consumesApi")) &&
		    !strncmp(target, "api:default/", 12))
			json_array_append_new(apis, json_string(target + 12));
	}
	if (json_array_size(apis)) {
		po_buf_puts(&b, "<section><h2>APIs</h2>");
		json_array_foreach(apis, i, v) {
			po_buf_puts(&b, "<h3><a href=\"/catalog/default/api/");
			po_buf_urlenc(&b, json_string_value(v));
			po_buf_puts(&b, "\">");
			po_buf_html(&b, json_string_value(v));
			po_buf_printf(&b, "</a></h3><div class=\"openapi\" id=\"openapi-%zu\" data-api=\"", i);
			po_buf_html(&b, json_string_value(v));
			po_buf_puts(&b, "\"></div>");
		}
		po_buf_puts(&b, "</section>");
	}
	json_decref(apis);
	po_buf_puts(&b, "</article>");
	json_decref(e);
	free(ref);
	return po_page_end(&b, r, 200);
}

/* GET /api/paved/entities/api/NAME/definition: an API's definition text. */
enum po_reply po_api_definition(struct po_req *r, const char *name);
enum po_reply po_api_definition(struct po_req *r, const char *name)
{
	char *ref = po_ref_of("api", "default", name);
	json_t *e = ref ? entity(r->srv, ref) : NULL;
	free(ref);
	const char *def = str(json_object_get(e, "spec"), "definition");
	enum po_reply rc = def ? po_text(r, 200, "text/yaml; charset=utf-8", def, strlen(def)) :
	                   po_error(r, 404, "NotFoundError", "No API %s with a definition", name);
	json_decref(e);
	return rc;
}
