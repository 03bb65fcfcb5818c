/*
 * pages.c -- the portal's server-rendered pages and their shared layout:
 *
 *   /                      -> /catalog
 *   /catalog               the catalog: kind, owner, lifecycle and tag facets, search
 *   /catalog/:ns/:kind/:name   an entity (page_entity.c)
 *   /create, /create/:name the golden paths, and a form generated from a
 *                          recipe's declared parameters (steps shown live)
 *   /teams                 the groups: members, what they own, on-call
 *   /login, /logout        sign in with an API token (a session cookie)
 *
 * HTML is built here with every value escaped (po_buf_html); the pages'
 * JavaScript (static/portal.js) only adds what is live: the graph
 * (cytoscape), OpenAPI references (swagger-ui), health, RED graphs
 * (uPlot), releases with rollback and the create form's event stream.
 * Data for it is embedded as JSON in <script type="application/json">
 * (never executed), so the CSP forbids every inline script.  Pages need a
 * session unless serve.anonymous_read is true; they follow the system's
 * dark or light preference (prefers-color-scheme in portal.css).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"
#include "portal.h"

enum po_reply po_entity_page(struct po_req *r, const char *ns, const char *kind,
                             const char *name);

void po_page_start(struct po_buf *b, struct po_req *r, const char *title, const char *nav);
void po_page_start(struct po_buf *b, struct po_req *r, const char *title, const char *nav)
{
	const char *csrf = po_session_csrf(r);
	po_buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	            "<meta name=\"color-scheme\" content=\"light dark\">");
	if (csrf)
		po_buf_printf(b, "<meta name=\"csrf-token\" content=\"%s\">", csrf);
	po_buf_puts(b, "<title>");
	po_buf_html(b, title);
	po_buf_puts(b, " · paved</title><link rel=\"stylesheet\" href=\"/static/portal.css\">"
	            "<script src=\"/static/portal.js\" defer></script></head><body>"
	            "<header><a class=\"brand\" href=\"/catalog\">paved</a><nav>");
	static const char *const items[][2] = { { "catalog", "Catalog" }, { "create", "Create" },
	                                        { "teams", "Teams" } };
	for (int i = 0; i < 3; i++)
		po_buf_printf(b, "<a href=\"/%s\"%s>%s</a>", items[i][0],
		              nav && !strcmp(nav, items[i][0]) ? " aria-current=\"page\"" : "", items[i][1]);
	po_buf_puts(b, "</nav><div class=\"who\">");
	if (r->who.authenticated) {
		po_buf_puts(b, "<span id=\"whoami\">");
		po_buf_html(b, r->who.team);
		po_buf_puts(b, r->who.admin ? " (admin)" : "");
		po_buf_puts(b, "</span>");
		if (r->who.session && csrf)
			po_buf_printf(b, "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" "
			              "name=\"csrf\" value=\"%s\"><button>Sign out</button></form>", csrf);
	} else {
		po_buf_puts(b, "<a href=\"/login\">Sign in</a>");
	}
	po_buf_puts(b, "</div></header><main>");
}

enum po_reply po_page_end(struct po_buf *b, struct po_req *r, int status);
enum po_reply po_page_end(struct po_buf *b, struct po_req *r, int status)
{
	po_buf_puts(b, "</main></body></html>\n");
	enum po_reply rc = po_text(r, status, "text/html; charset=utf-8", b->s ? b->s : "", b->len);
	free(b->s);
	return rc;
}

/* A page for an error. */
static enum po_reply page_error(struct po_req *r, int status, const char *msg)
{
	struct po_buf b = { 0 };
	po_page_start(&b, r, "Error", NULL);
	po_buf_printf(&b, "<h1>%d</h1><p class=\"error\">", status);
	po_buf_html(&b, msg);
	po_buf_puts(&b, "</p>");
	return po_page_end(&b, r, status);
}

/* May R see the pages?  Else a redirect to /login. */
static bool page_read(struct po_req *r, enum po_reply *reply)
{
	if (r->who.authenticated || r->srv->anonymous_read)
		return true;
	struct po_buf b = { 0 };
	po_buf_puts(&b, "/login?next=");
	po_buf_urlenc(&b, r->url);
	*reply = po_redirect(r, b.s);
	free(b.s);
	return false;
}

/* Query the index as the API does; ARGS is built here.  New or NULL. */
static json_t *query(struct po_req *r, json_t *args)
{
	int status;
	char *err = NULL, *text = po_query_entities_text(r->srv->index, args, &status, &err);
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	free(text), free(err);
	return j;
}

static json_t *arglist(const char *v)
{
	return json_pack("[s]", v);
}

const char *po_short_ref(const char *ref);
const char *po_short_ref(const char *ref)
{
	const char *s = ref ? strrchr(ref, '/') : NULL;
	return s ? s + 1 : ref ? ref : "";
}

/* href of entity E (its kind, namespace, name), HTML-escaped into B. */
void po_entity_href(struct po_buf *b, const char *kind, const char *ns, const char *name);
void po_entity_href(struct po_buf *b, const char *kind, const char *ns, const char *name)
{
	po_buf_puts(b, "/catalog/");
	po_buf_urlenc(b, ns && *ns ? ns : "default");
	po_buf_puts(b, "/");
	char low[64];
	snprintf(low, sizeof low, "%s", kind ? kind : "component");
	for (char *p = low; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	po_buf_urlenc(b, low);
	po_buf_puts(b, "/");
	po_buf_urlenc(b, name);
}

/* href of REF ("kind:ns/name"). */
void po_ref_href(struct po_buf *b, const char *ref);
void po_ref_href(struct po_buf *b, const char *ref)
{
	char kind[64] = "component", ns[64] = "default";
	const char *colon = strchr(ref, ':'), *slash = strchr(ref, '/');
	if (colon)
		snprintf(kind, sizeof kind, "%.*s", (int)(colon - ref), ref);
	if (slash)
		snprintf(ns, sizeof ns, "%.*s", (int)(slash - (colon ? colon + 1 : ref)),
		         colon ? colon + 1 : ref);
	po_entity_href(b, kind, ns, slash ? slash + 1 : colon ? colon + 1 : ref);
}

/* One facet list: links that set KEY, with counts. */
static void facet_list(struct po_buf *b, const char *title, const char *param, json_t *values,
                       json_t *form)
{
	po_buf_printf(b, "<section class=\"facet\" data-facet=\"%s\"><h3>%s</h3><ul>", param, title);
	size_t i;
	json_t *v;
	const char *cur = json_string_value(json_object_get(form, param));
	json_array_foreach(values, i, v) {
		const char *val = json_string_value(json_object_get(v, "value"));
		bool on = cur && !strcmp(cur, val);
		po_buf_puts(b, "<li><a href=\"/catalog?");
		const char *k;
		json_t *fv;
		json_object_foreach(form, k, fv)
			if (strcmp(k, param) && *json_string_value(fv)) {
				po_buf_urlenc(b, k);
				po_buf_puts(b, "=");
				po_buf_urlenc(b, json_string_value(fv));
				po_buf_puts(b, "&amp;");
			}
		if (!on) {
			po_buf_printf(b, "%s=", param);
			po_buf_urlenc(b, val);
		}
		po_buf_printf(b, "\"%s>", on ? " class=\"on\"" : "");
		po_buf_html(b, val);
		po_buf_printf(b, " <span class=\"count\">%lld</span></a></li>",
		              (long long)json_integer_value(json_object_get(v, "count")));
		if (i == 24)
			break;
	}
	po_buf_puts(b, "</ul></section>");
}

static enum po_reply catalog_page(struct po_req *r)
{
	static const char *const params[][2] = { { "kind", "kind" }, { "owner", "spec.owner" },
	                                         { "lifecycle", "spec.lifecycle" },
	                                         { "tag", "metadata.tags" } };
	json_t *form = json_object();
	struct po_buf filter = { 0 };
	for (int i = 0; i < 4; i++) {
		const char *v = po_arg(r, params[i][0]);
		json_object_set_new(form, params[i][0], json_string(v ? v : ""));
		if (v && *v && !strchr(v, ',')) {
			if (filter.len)
				po_buf_puts(&filter, ",");
			if (i == 3)
				po_buf_printf(&filter, "metadata.tags.%s", v);
			else
				po_buf_printf(&filter, "%s=%s", params[i][1], v);
		}
	}
	const char *q = po_arg(r, "q");
	json_t *args = json_pack("{s[s] s[s] s[s] s[s]}", "orderField", "metadata.name,asc", "limit",
	                         "200", "fields",
	                         "kind,metadata.name,metadata.namespace,metadata.title,"
	                         "metadata.description,metadata.tags,spec.owner,spec.lifecycle,spec.type",
	                         "fullTextFilterFields",
	                         "metadata.name,metadata.title,metadata.description,spec.owner");
	if (filter.len)
		json_object_set_new(args, "filter", arglist(filter.s));
	if (q && *q)
		json_object_set_new(args, "fullTextFilterTerm", arglist(q));
	json_t *res = query(r, args);
	json_decref(args);
	int status;
	char *err = NULL;
	json_t *fargs = json_pack("{s[ssss]}", "facet", "kind", "spec.owner", "spec.lifecycle",
	                          "metadata.tags");
	json_t *fres = po_facets(r->srv->index, fargs, &status, &err);
	json_t *facets = json_object_get(fres, "facets");
	free(err);
	json_decref(fargs);
	struct po_buf b = { 0 };
	po_page_start(&b, r, "Catalog", "catalog");
	po_buf_puts(&b, "<h1>Catalog</h1><form class=\"search\" method=\"get\" action=\"/catalog\">"
	            "<input type=\"search\" name=\"q\" id=\"search\" placeholder=\"Search the catalog\" value=\"");
	po_buf_html(&b, q ? q : "");
	po_buf_puts(&b, "\">");
	for (int i = 0; i < 4; i++) {
		const char *v = json_string_value(json_object_get(form, params[i][0]));
		if (*v) {
			po_buf_printf(&b, "<input type=\"hidden\" name=\"%s\" value=\"", params[i][0]);
			po_buf_html(&b, v);
			po_buf_puts(&b, "\">");
		}
	}
	po_buf_puts(&b, "<button>Search</button></form><div class=\"catalog\"><aside>");
	facet_list(&b, "Kind", "kind", json_object_get(facets, "kind"), form);
	facet_list(&b, "Owner", "owner", json_object_get(facets, "spec.owner"), form);
	facet_list(&b, "Lifecycle", "lifecycle", json_object_get(facets, "spec.lifecycle"), form);
	facet_list(&b, "Tags", "tag", json_object_get(facets, "metadata.tags"), form);
	po_buf_printf(&b, "</aside><section><p class=\"total\" id=\"total\">%lld entities</p>"
	              "<table id=\"entities\"><thead><tr><th>Name</th><th>Kind</th><th>Owner</th>"
	              "<th>Lifecycle</th><th>Tags</th><th>Description</th></tr></thead><tbody>",
	              (long long)json_integer_value(json_object_get(res, "totalItems")));
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(res, "items"), i, e) {
		json_t *md = json_object_get(e, "metadata"), *spec = json_object_get(e, "spec");
		const char *name = json_string_value(json_object_get(md, "name"));
		const char *title = json_string_value(json_object_get(md, "title"));
		po_buf_puts(&b, "<tr><td><a href=\"");
		po_entity_href(&b, json_string_value(json_object_get(e, "kind")),
		               json_string_value(json_object_get(md, "namespace")), name);
		po_buf_puts(&b, "\">");
		po_buf_html(&b, title ? title : name);
		po_buf_puts(&b, "</a></td><td>");
		po_buf_html(&b, json_string_value(json_object_get(e, "kind")));
		po_buf_puts(&b, "</td><td>");
		po_buf_html(&b, json_string_value(json_object_get(spec, "owner")));
		po_buf_puts(&b, "</td><td>");
		po_buf_html(&b, json_string_value(json_object_get(spec, "lifecycle")));
		po_buf_puts(&b, "</td><td>");
		po_buf_tags(&b, json_object_get(md, "tags"));
		po_buf_puts(&b, "</td><td>");
		po_buf_html(&b, json_string_value(json_object_get(md, "description")));
		po_buf_puts(&b, "</td></tr>");
	}
	po_buf_puts(&b, "</tbody></table></section></div>");
	json_decref(res);
	json_decref(form);
	free(filter.s);
	json_decref(fres);
	return po_page_end(&b, r, 200);
}

static enum po_reply teams_page(struct po_req *r)
{
	json_t *args = json_pack("{s[s] s[s] s[s]}", "filter", "kind=group", "orderField",
	                         "metadata.name,asc", "limit", "500");
	json_t *res = query(r, args);
	json_decref(args);
	struct po_buf b = { 0 };
	po_page_start(&b, r, "Teams", "teams");
	po_buf_puts(&b, "<h1>Teams</h1><div class=\"teams\">");
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(res, "items"), i, g) {
		json_t *md = json_object_get(g, "metadata");
		const char *name = json_string_value(json_object_get(md, "name"));
		const char *title = json_string_value(json_object_get(md, "title"));
		const char *oncall = json_string_value(json_object_get(json_object_get(md, "annotations"),
		                                                       "paved.dev/oncall"));
		po_buf_printf(&b, "<article class=\"team\" data-team=\"");
		po_buf_html(&b, name);
		po_buf_puts(&b, "\"><h2><a href=\"");
		po_entity_href(&b, "group", json_string_value(json_object_get(md, "namespace")), name);
		po_buf_puts(&b, "\">");
		po_buf_html(&b, title ? title : name);
		po_buf_puts(&b, "</a></h2>");
		if (oncall) {
			po_buf_puts(&b, "<p>On call: ");
			po_buf_html(&b, oncall);
			po_buf_puts(&b, "</p>");
		}
		static const char *const lists[][2] = { { "hasMember", "Members" },
		                                        { "ownerOf", "Owns" } };
		for (int l = 0; l < 2; l++) {
			po_buf_printf(&b, "<h3>%s</h3><ul>", lists[l][1]);
			size_t k;
			json_t *rel;
			json_array_foreach(json_object_get(g, "relations"), k, rel) {
				if (strcmp(json_string_value(json_object_get(rel, "type")) ?: "", lists[l][0]))
					continue;
				const char *ref = json_string_value(json_object_get(rel, "targetRef"));
				po_buf_puts(&b, "<li><a href=\"");
				po_ref_href(&b, ref);
				po_buf_puts(&b, "\">");
				po_buf_html(&b, ref);
				po_buf_puts(&b, "</a></li>");
			}
			po_buf_puts(&b, "</ul>");
		}
		po_buf_puts(&b, "</article>");
	}
	if (!json_array_size(json_object_get(res, "items")))
		po_buf_puts(&b, "<p>No teams in the catalog yet.</p>");
	po_buf_puts(&b, "</div>");
	json_decref(res);
	return po_page_end(&b, r, 200);
}

static enum po_reply create_list(struct po_req *r)
{
	struct po_buf b = { 0 };
	po_page_start(&b, r, "Create", "create");
	po_buf_puts(&b, "<h1>Create a service</h1><ul class=\"templates\">");
	const char *k;
	json_t *v;
	json_object_foreach(r->srv->recipes, k, v) {
		po_buf_puts(&b, "<li><a href=\"/create/");
		po_buf_urlenc(&b, k);
		po_buf_puts(&b, "\">");
		po_buf_html(&b, k);
		po_buf_puts(&b, "</a> <span>");
		po_buf_html(&b, json_string_value(json_object_get(v, "summary")));
		po_buf_puts(&b, "</span></li>");
	}
	po_buf_puts(&b, "</ul>");
	return po_page_end(&b, r, 200);
}

/* The form of recipe NAME, generated from its declared parameters. */
static enum po_reply create_form(struct po_req *r, const char *name)
{
	json_t *recipe = po_recipe(r->srv, name);
	if (!recipe)
		return page_error(r, 404, "No such template");
	struct po_buf b = { 0 };
	po_page_start(&b, r, name, "create");
	po_buf_puts(&b, "<h1>Create: ");
	po_buf_html(&b, name);
	po_buf_puts(&b, "</h1><p>");
	po_buf_html(&b, json_string_value(json_object_get(recipe, "summary")));
	po_buf_puts(&b, "</p>");
	if (!r->who.authenticated)
		po_buf_puts(&b, "<p class=\"note\"><a href=\"/login\">Sign in</a> to create a service.</p>");
	po_buf_puts(&b, "<form id=\"create\" data-template=\"");
	po_buf_html(&b, name);
	po_buf_puts(&b, "\">");
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(recipe, "params"), i, p) {
		const char *pn = json_string_value(json_object_get(p, "name"));
		const char *type = json_string_value(json_object_get(p, "type")) ?: "string";
		json_t *def = json_object_get(p, "default");
		if (!strcmp(pn, "owner") && !json_is_string(def) && r->who.authenticated)
			def = NULL;
		const char *owner_def = !strcmp(pn, "owner") && r->who.authenticated && !r->who.admin ?
		                        r->who.team : NULL;
		po_buf_puts(&b, "<div class=\"field\"><label for=\"f-");
		po_buf_html(&b, pn);
		po_buf_puts(&b, "\">");
		po_buf_html(&b, pn);
		po_buf_puts(&b, json_is_true(json_object_get(p, "required")) ? " *" : "");
		po_buf_puts(&b, "</label>");
		if (!strcmp(type, "enum")) {
			po_buf_printf(&b, "<select id=\"f-%s\" name=\"%s\" data-type=\"string\">", pn, pn);
			size_t c;
			json_t *ch;
			json_array_foreach(json_object_get(p, "choices"), c, ch) {
				po_buf_puts(&b, "<option");
				if (json_equal(ch, def))
					po_buf_puts(&b, " selected");
				po_buf_puts(&b, ">");
				po_buf_html(&b, json_string_value(ch));
				po_buf_puts(&b, "</option>");
			}
			po_buf_puts(&b, "</select>");
		} else if (!strcmp(type, "bool")) {
			po_buf_printf(&b, "<input type=\"checkbox\" id=\"f-%s\" name=\"%s\" data-type=\"bool\"%s>",
			              pn, pn, json_is_true(def) ? " checked" : "");
		} else if (!strcmp(type, "int")) {
			po_buf_printf(&b, "<input type=\"number\" id=\"f-%s\" name=\"%s\" data-type=\"int\"", pn, pn);
			if (json_is_integer(json_object_get(p, "min")))
				po_buf_printf(&b, " min=\"%lld\"", (long long)json_integer_value(json_object_get(p, "min")));
			if (json_is_integer(json_object_get(p, "max")))
				po_buf_printf(&b, " max=\"%lld\"", (long long)json_integer_value(json_object_get(p, "max")));
			if (json_is_integer(def))
				po_buf_printf(&b, " value=\"%lld\"", (long long)json_integer_value(def));
			po_buf_puts(&b, ">");
		} else {
			po_buf_printf(&b, "<input type=\"text\" id=\"f-%s\" name=\"%s\" data-type=\"string\"", pn, pn);
			if (json_is_integer(json_object_get(p, "max_length")))
				po_buf_printf(&b, " maxlength=\"%lld\"",
				              (long long)json_integer_value(json_object_get(p, "max_length")));
			const char *dv = owner_def ? owner_def : json_string_value(def);
			if (dv) {
				po_buf_puts(&b, " value=\"");
				po_buf_html(&b, dv);
				po_buf_puts(&b, "\"");
			}
			if (json_is_true(json_object_get(p, "required")))
				po_buf_puts(&b, " required");
			po_buf_puts(&b, ">");
		}
		po_buf_puts(&b, "<small>");
		po_buf_html(&b, json_string_value(json_object_get(p, "description")));
		po_buf_printf(&b, "</small><span class=\"problem\" id=\"problem-%s\"></span></div>", pn);
	}
	po_buf_printf(&b, "<button type=\"submit\" id=\"create-submit\"%s>Create</button></form>"
	              "<section id=\"progress\" hidden><h2>Steps</h2><ol id=\"steps\">",
	              r->who.authenticated ? "" : " disabled");
	json_t *st;
	json_array_foreach(json_object_get(recipe, "steps"), i, st) {
		po_buf_printf(&b, "<li data-step=\"step-%zu\" class=\"pending\">", i + 1);
		po_buf_html(&b, json_is_string(st) ? json_string_value(st) :
		                json_string_value(json_object_get(st, "title")));
		po_buf_puts(&b, " <span class=\"detail\"></span></li>");
	}
	po_buf_puts(&b, "</ol><p id=\"outcome\"></p></section>");
	return po_page_end(&b, r, 200);
}

static enum po_reply login_page(struct po_req *r, const char *problem)
{
	struct po_buf b = { 0 };
	const char *next = po_arg(r, "next");
	po_page_start(&b, r, "Sign in", NULL);
	po_buf_puts(&b, "<h1>Sign in</h1>");
	if (problem) {
		po_buf_puts(&b, "<p class=\"error\" id=\"login-error\">");
		po_buf_html(&b, problem);
		po_buf_puts(&b, "</p>");
	}
	po_buf_puts(&b, "<form method=\"post\" action=\"/login\" class=\"login\"><label for=\"token\">"
	            "API token</label><input type=\"password\" id=\"token\" name=\"token\" "
	            "autocomplete=\"off\" required><input type=\"hidden\" name=\"next\" value=\"");
	po_buf_html(&b, next && next[0] == '/' && next[1] != '/' ? next : "/catalog");
	po_buf_puts(&b, "\"><button id=\"login-submit\">Sign in</button></form><p class=\"note\">"
	            "Get one with <code>paved token create --team TEAM</code>.</p>");
	return po_page_end(&b, r, problem ? 401 : 200);
}

static enum po_reply login_post(struct po_req *r)
{
	json_t *form = po_form_parse(r->body, r->body_len);
	const char *token = json_string_value(json_object_get(form, "token"));
	const char *next = json_string_value(json_object_get(form, "next"));
	const char *origin = po_header(r, "Origin");
	struct po_who who;
	enum po_reply rc;
	if (origin && strcmp(origin, r->srv->base_url) != 0) {
		rc = page_error(r, 403, "Cross-origin sign-in refused");
	} else if (!token || !po_token_check(r->srv->ctx, token, &who)) {
		po_audit(r, "session.login", NULL, 401, "unknown token");
		rc = login_page(r, "That token is not known.");
	} else {
		const char *csrf, *id = po_session_new(r->srv, &who, &csrf);
		char *cookie = pc_printf("paved_session=%s; Path=/; HttpOnly; SameSite=Strict", id);
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
		                                                            MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Set-Cookie", cookie);
		MHD_add_response_header(resp, "Location", next && next[0] == '/' && next[1] != '/' ?
		                        next : "/catalog");
		po_headers(resp, true);
		r->status = 303;
		r->who = who;
		po_audit(r, "session.login", who.team, 303, "signed in");
		MHD_queue_response(r->conn, 303, resp);
		MHD_destroy_response(resp);
		free(cookie);
		rc = PO_DONE;
	}
	json_decref(form);
	return rc;
}

static enum po_reply logout_post(struct po_req *r)
{
	json_t *form = po_form_parse(r->body, r->body_len);
	const char *csrf = json_string_value(json_object_get(form, "csrf"));
	const char *want = po_session_csrf(r);
	const char *id = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "paved_session");
	enum po_reply rc;
	if (!want || !csrf || strcmp(csrf, want) != 0) {
		rc = page_error(r, 403, "Missing or wrong CSRF token");
	} else {
		po_session_drop(r->srv, id);
		struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
		                                                            MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Set-Cookie", "paved_session=; Path=/; HttpOnly; "
		                        "SameSite=Strict; Max-Age=0");
		MHD_add_response_header(resp, "Location", "/catalog");
		po_headers(resp, true);
		r->status = 303;
		MHD_queue_response(r->conn, 303, resp);
		MHD_destroy_response(resp);
		rc = PO_DONE;
	}
	json_decref(form);
	return rc;
}

enum po_reply po_pages_route(struct po_req *r)
{
	enum po_reply reply;
	const char *u = r->url;
	bool get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
	if (!strcmp(u, "/login"))
		return get ? login_page(r, NULL) : !strcmp(r->method, "POST") ? login_post(r) :
		       page_error(r, 405, "Method not allowed");
	if (!strcmp(u, "/logout") && !strcmp(r->method, "POST"))
		return logout_post(r);
	if (!get)
		return page_error(r, 405, "Method not allowed");
	if (!strcmp(u, "/"))
		return po_redirect(r, "/catalog");
	if (!page_read(r, &reply))
		return reply;
	if (!strcmp(u, "/catalog"))
		return catalog_page(r);
	if (!strcmp(u, "/teams"))
		return teams_page(r);
	if (!strcmp(u, "/create"))
		return create_list(r);
	if (!strncmp(u, "/create/", 8) && !strchr(u + 8, '/'))
		return create_form(r, u + 8);
	if (!strncmp(u, "/catalog/", 9)) {
		char ns[128], kind[128], name[256];
		if (sscanf(u + 9, "%127[^/]/%127[^/]/%255[^/]", ns, kind, name) == 3)
			return po_entity_page(r, ns, kind, name);
	}
	return page_error(r, 404, "No such page");
}
