/*
 * api_catalog.c -- the Backstage-compatible catalog API under /api/catalog
 * (Backstage docs/features/software-catalog/api.md):
 *
 *   GET    /entities/by-query          query.c
 *   GET    /entities                   the older list (filter, fields, limit, offset, after)
 *   GET    /entities/by-name/:kind/:namespace/:name     404 as JSON
 *   GET    /entities/by-uid/:uid, DELETE /entities/by-uid/:uid (owner or admin)
 *   POST   /entities/by-refs           {entityRefs, fields?}: same order and length, null for a miss
 *   GET    /entity-facets              facet=..., filter=...
 *   POST   /locations[?dryRun=true]    {type: "file", target}: 201, 409 when it exists
 *   GET    /locations, GET /locations/:id, DELETE /locations/:id
 *
 * Reads come from the index; writes go through the catalog plugin's hooks
 * (catalog.import, catalog.delete), and the index is refreshed from the
 * catalog right after.  Locations are kept by the portal in state namespace
 * "portal-locations" ({id, type, target, refs}); the catalog plugin itself
 * keeps which file owns each entity.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"
#include "portal.h"

#define LOC_NS "portal-locations"



static enum po_reply reply_text(struct po_req *r, char *text, int status, char *err)
{
	enum po_reply rc = text ?
		po_text(r, status, "application/json; charset=utf-8", text, strlen(text)) :
		po_error(r, status, status == 400 ? "InputError" : "Error", "%s", err ? err : "error");
	free(text), free(err);
	return rc;
}

/* The entity at REF as served (new), or NULL. */
static json_t *entity_json(struct po_server *s, const char *ref, json_t *fields)
{
	long id = po_index_find(s->index, ref);
	const struct po_ent *e = id >= 0 ? po_index_ent(s->index, (uint32_t)id) : NULL;
	return e && e->live ? po_project(e, fields) : NULL;
}

static enum po_reply by_name(struct po_req *r, const char *rest)
{
	char *copy = strdup(rest), *kind = copy, *ns = NULL, *name = NULL;
	char *p = copy ? strchr(copy, '/') : NULL;
	if (p) {
		*p = '\0', ns = p + 1;
		p = strchr(ns, '/');
		if (p)
			*p = '\0', name = p + 1;
	}
	enum po_reply rc;
	if (!name || !*kind || !*ns || !*name || strchr(name, '/')) {
		rc = po_error(r, 404, "NotFoundError", "Expected /entities/by-name/KIND/NAMESPACE/NAME");
	} else {
		char *ref = po_ref_of(kind, ns, name);
		json_t *fields = po_args_list(r->args, "fields");
		long id = ref ? po_index_find(r->srv->index, ref) : -1;
		const struct po_ent *e = id >= 0 ? po_index_ent(r->srv->index, (uint32_t)id) : NULL;
		if (!e || !e->live)
			rc = po_error(r, 404, "NotFoundError", "No entity named '%s' found, with kind '%s' "
			              "in namespace '%s'", name, kind, ns);
		else if (json_array_size(fields))
			rc = po_json(r, 200, po_project(e, fields));
		else   /* the stored text as it is: nothing parsed or printed */
			rc = po_text(r, 200, "application/json; charset=utf-8", e->json, e->json_len);
		json_decref(fields);
		free(ref);
	}
	free(copy);
	return rc;
}

/* The id of the entity whose metadata.uid is UID, or -1. */
static long find_uid(struct po_server *s, const char *uid)
{
	char low[64];
	snprintf(low, sizeof low, "%s", uid);
	for (char *p = low; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	uint32_t key = po_index_str_id(s->index, "metadata.uid"), val = po_index_str_id(s->index, low);
	uint32_t n = 0;
	const uint32_t *ids = key && val ? po_index_posting(s->index, key, val, &n) : NULL;
	return n ? (long)ids[0] : -1;
}

static enum po_reply by_uid(struct po_req *r, const char *uid)
{
	long id = find_uid(r->srv, uid);
	const struct po_ent *e = id >= 0 ? po_index_ent(r->srv->index, (uint32_t)id) : NULL;
	if (!e || !e->live)
		return po_error(r, 404, "NotFoundError", "No entity with uid %s", uid);
	if (strcmp(r->method, "GET") == 0)
		return po_json(r, 200, po_project(e, NULL));
	enum po_reply reply;
	char *ref = strdup(e->ref);
	r->action = "catalog.delete";
	r->target = strdup(ref);
	if (!po_may_write(r, &reply) || !po_may_own(r, ref, &reply)) {
		free(ref);
		return reply;
	}
	json_t *a = json_pack("{ss}", "ref", ref), *res = NULL;
	char *err = NULL;
	int rc = paved->call(r->srv->ctx, "catalog.delete", a, &res, &err);
	json_decref(a), json_decref(res);
	json_t *refs = json_pack("[s]", ref);
	po_sync_refs(r->srv, refs);
	json_decref(refs);
	po_audit(r, "catalog.delete", ref, rc ? 500 : 204, rc ? err : "deleted");
	reply = rc ? po_error(r, 500, "Error", "%s", err ? err : "catalog.delete failed") :
	        po_text(r, 204, "application/json", "", 0);
	free(err), free(ref);
	return reply;
}

static enum po_reply by_refs(struct po_req *r)
{
	enum po_reply reply;
	json_t *body = po_body_json(r, &reply);
	if (!body)
		return reply;
	json_t *refs = json_object_get(body, "entityRefs"), *v;
	size_t i;
	bool ok = json_is_array(refs);
	json_array_foreach(refs, i, v)
		ok = ok && json_is_string(v);
	json_t *fields = json_object_get(body, "fields");
	if (!ok || (fields && !json_is_array(fields))) {
		json_decref(body);
		return po_error(r, 400, "InputError", "Expected a body {\"entityRefs\": [strings], "
		                "\"fields\"?: [strings]}");
	}
	/* a filter in the query string: entities it does not match are null */
	struct po_filter *f = NULL;
	uint32_t nm = 0, *match = NULL;
	if (json_object_get(r->args, "filter")) {
		char *err = NULL;
		f = po_filter_parse(json_object_get(r->args, "filter"), &err);
		if (!f) {
			json_decref(body);
			reply = po_error(r, 400, "InputError", "%s", err ? err : "bad filter");
			free(err);
			return reply;
		}
		match = po_filter_run(r->srv->index, f, &nm);
	}
	struct po_buf b = { 0 };
	po_buf_puts(&b, "{\"items\":[");
	json_array_foreach(refs, i, v) {
		char *low = strdup(json_string_value(v));
		for (char *p = low; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		long id = low ? po_index_find(r->srv->index, low) : -1;
		const struct po_ent *e = id >= 0 ? po_index_ent(r->srv->index, (uint32_t)id) : NULL;
		if (e && match) {
			uint32_t lo = po_lower_bound(match, nm, (uint32_t)id);
			if (lo >= nm || match[lo] != (uint32_t)id)
				e = NULL;
		}
		if (i)
			po_buf_puts(&b, ",");
		if (e && e->live && !json_array_size(fields)) {
			po_buf_add(&b, e->json, e->json_len);
		} else if (e && e->live) {
			json_t *p = po_project(e, fields);
			char *s = json_dumps(p, JSON_COMPACT);
			po_buf_puts(&b, s ? s : "null");
			free(s), json_decref(p);
		} else {
			po_buf_puts(&b, "null");
		}
		free(low);
	}
	po_buf_puts(&b, "]}");
	free(match);
	po_filter_free(f);
	json_decref(body);
	return reply_text(r, b.s, 200, NULL);
}

/* ---- locations ---------------------------------------------------------- */

/* The refs of the entities defined in file TARGET (new array); with DOCS,
 * the entities themselves as served without relations (a dry run's). */
static json_t *file_refs(struct po_server *s, const char *target, json_t *out_docs)
{
	json_t *docs = NULL, *refs = json_array(), *d;
	struct paved_yaml_opts o = { .size = sizeof o, .flags = PAVED_YAML_ALL_DOCS };
	size_t i;
	if (paved->read_yaml(s->ctx, target, &o, &docs, NULL) == PAVED_OK)
		json_array_foreach(docs, i, d) {
			json_t *md = json_object_get(d, "metadata");
			char *ref = po_ref_of(json_string_value(json_object_get(d, "kind")),
			                      json_string_value(json_object_get(md, "namespace")),
			                      json_string_value(json_object_get(md, "name")));
			if (ref)
				json_array_append_new(refs, json_string(ref));
			if (ref && out_docs)
				json_array_append_new(out_docs, po_served_entity(d, NULL, ref));
			free(ref);
		}
	json_decref(docs);
	return refs;
}

static json_t *find_location(struct po_server *s, const char *type, const char *target)
{
	json_t *all = paved->state_list(s->ctx, LOC_NS), *v, *found = NULL;
	const char *k;
	json_object_foreach(all, k, v)
		if (!strcmp(json_string_value(json_object_get(v, "type")) ?: "", type) &&
		    !strcmp(json_string_value(json_object_get(v, "target")) ?: "", target))
			found = json_incref(v);
	json_decref(all);
	return found;
}

static json_t *loc_public(json_t *loc)
{
	return json_pack("{sO sO sO}", "id", json_object_get(loc, "id"), "type",
	                 json_object_get(loc, "type"), "target", json_object_get(loc, "target"));
}

static enum po_reply add_location(struct po_req *r)
{
	enum po_reply reply;
	struct po_server *s = r->srv;
	bool dry = po_arg(r, "dryRun") && strcmp(po_arg(r, "dryRun"), "true") == 0;
	r->action = dry ? "location.dryrun" : "location.add";
	json_t *body = po_body_json(r, &reply);
	if (!body)
		return reply;
	const char *type = json_string_value(json_object_get(body, "type"));
	const char *target = json_string_value(json_object_get(body, "target"));
	if (target)
		r->target = strdup(target);
	if (!dry && !po_may_write(r, &reply)) {
		json_decref(body);
		return reply;
	}
	if (dry && !po_may_read(r, &reply)) {
		json_decref(body);
		return reply;
	}
	if (!type || !target || !*target) {
		json_decref(body);
		return po_error(r, 400, "InputError", "Expected a body {\"type\": \"file\", \"target\": "
		                "\"/path/catalog-info.yaml\"}");
	}
	if (strcmp(type, "file") != 0 || target[0] != '/') {
		reply = strcmp(type, "file") != 0 ?
			po_error(r, 400, "InputError", "Location type '%s' is not supported: paved reads "
			         "files ('file'), never URLs", type) :
			po_error(r, 400, "InputError", "Location target '%s' must be an absolute path",
			         target);
		json_decref(body);
		return reply;
	}
	json_t *old = find_location(s, type, target);
	if (old && !dry) {
		po_audit(r, r->action, target, 409, "exists");
		reply = po_error(r, 409, "ConflictError", "Location %s:%s already exists", type, target);
		json_decref(old), json_decref(body);
		return reply;
	}
	json_t *a = json_pack("{s[s] sb}", "paths", target, "dry_run", dry), *res = NULL;
	char *err = NULL;
	int rc = paved->call(s->ctx, "catalog.import", a, &res, &err);
	json_decref(a);
	json_t *docs = json_array();
	json_t *refs = file_refs(s, target, docs);
	if (rc != PAVED_OK) {
		json_t *errs = json_object_get(res, "errors");
		reply = po_error(r, 400, "InputError", "%s%s", err ? err : "catalog.import failed",
		                 json_array_size(errs) ? "" : "");
		if (!dry) {
			po_sync_refs(s, refs);
			po_audit(r, r->action, target, 400, err);
		}
		free(err), json_decref(res), json_decref(refs), json_decref(old), json_decref(body);
		json_decref(docs);
		return reply;
	}
	free(err);
	json_decref(res);
	json_t *loc;
	if (dry) {
		loc = old ? json_incref(old) : json_pack("{ss ss ss}", "id", "", "type", type,
		                                        "target", target);
	} else {
		char uuid[33], id[40];
		pc_random_hex(uuid, 16);
		snprintf(id, sizeof id, "%.8s-%.4s-4%.3s-a%.3s-%.12s", uuid, uuid + 8, uuid + 12,
		         uuid + 15, uuid + 18);
		loc = json_pack("{ss ss ss sO}", "id", id, "type", type, "target", target, "refs", refs);
		paved->state_put(s->ctx, LOC_NS, id, loc, NULL);
		po_sync_refs(s, refs);
		po_audit(r, r->action, target, 201, "created");
	}
	json_t *ents = dry ? json_incref(docs) : json_array(), *v;
	size_t i;
	json_array_foreach(dry ? NULL : refs, i, v) {
		json_t *e = entity_json(s, json_string_value(v), NULL);
		if (e)
			json_array_append_new(ents, e);
	}
	json_decref(docs);
	json_t *out = json_pack("{so so}", "location", loc_public(loc), "entities", ents);
	if (dry)
		json_object_set_new(out, "exists", json_boolean(old != NULL));
	json_decref(loc), json_decref(refs), json_decref(old), json_decref(body);
	return po_json(r, 201, out);
}

static enum po_reply location_id(struct po_req *r, const char *id)
{
	struct po_server *s = r->srv;
	enum po_reply reply;
	json_t *loc = paved->state_get(s->ctx, LOC_NS, id);
	if (!json_is_object(loc)) {
		json_decref(loc);
		return po_error(r, 404, "NotFoundError", "Found no location with ID %s", id);
	}
	if (strcmp(r->method, "GET") == 0) {
		json_t *p = loc_public(loc);
		json_decref(loc);
		return po_json(r, 200, p);
	}
	r->action = "location.delete";
	r->target = strdup(id);
	if (!po_may_write(r, &reply)) {
		json_decref(loc);
		return reply;
	}
	json_t *refs = json_object_get(loc, "refs"), *v;
	size_t i;
	json_array_foreach(refs, i, v)
		if (po_index_find(s->index, json_string_value(v)) >= 0 &&
		    !po_may_own(r, json_string_value(v), &reply)) {
			json_decref(loc);
			return reply;
		}
	json_array_foreach(refs, i, v) {
		json_t *a = json_pack("{sO}", "ref", v), *res = NULL;
		paved->call(s->ctx, "catalog.delete", a, &res, NULL);
		json_decref(a), json_decref(res);
	}
	paved->state_del(s->ctx, LOC_NS, id, NULL);
	po_sync_refs(s, refs);
	po_audit(r, "location.delete", id, 204, "deleted");
	json_decref(loc);
	return po_text(r, 204, "application/json", "", 0);
}

static enum po_reply list_locations(struct po_req *r)
{
	json_t *all = paved->state_list(r->srv->ctx, LOC_NS), *v, *out = json_array();
	const char *k;
	json_object_foreach(all, k, v)
		json_array_append_new(out, json_pack("{so}", "data", loc_public(v)));
	json_decref(all);
	return po_json(r, 200, out);
}


enum po_reply po_catalog_route(struct po_req *r, const char *rest)
{
	enum po_reply reply;
	bool get = strcmp(r->method, "GET") == 0, post = strcmp(r->method, "POST") == 0;
	bool del = strcmp(r->method, "DELETE") == 0;
	int status = 400;
	char *err = NULL;
	/* reads need read access; writes check for themselves (and audit) */
	if ((get || (post && !strcmp(rest, "entities/by-refs"))) && !po_may_read(r, &reply))
		return reply;
	if (get && !strcmp(rest, "entities/by-query")) {
		char *text = po_query_entities_text(r->srv->index, r->args, &status, &err);
		return reply_text(r, text, status, err);
	}
	if (get && !strcmp(rest, "entities")) {
		char *text = po_list_entities_text(r->srv->index, r->args, &status, &err);
		return reply_text(r, text, status, err);
	}
	if (get && !strncmp(rest, "entities/by-name/", 17))
		return by_name(r, rest + 17);
	if ((get || del) && !strncmp(rest, "entities/by-uid/", 16))
		return by_uid(r, rest + 16);
	if (post && !strcmp(rest, "entities/by-refs"))
		return by_refs(r);
	if (get && !strcmp(rest, "entity-facets")) {
		json_t *f = po_facets(r->srv->index, r->args, &status, &err);
		if (f)
			return po_json(r, 200, f);
		return reply_text(r, NULL, status, err);
	}
	if (post && !strcmp(rest, "locations"))
		return add_location(r);
	if (get && !strcmp(rest, "locations"))
		return list_locations(r);
	if ((get || del) && !strncmp(rest, "locations/", 10) && rest[10] && !strchr(rest + 10, '/'))
		return location_id(r, rest + 10);
	return po_error(r, 404, "NotFoundError", "No route %s %s", r->method, r->url);
}
