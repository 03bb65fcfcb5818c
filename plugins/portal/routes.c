/*
 * routes.c -- which handler answers a request.
 *
 *   /api/catalog/...            api_catalog.c (Backstage's catalog API)
 *   /api/scaffolder/v2/...      tasks.c (golden paths as scaffolder tasks)
 *   /api/paved/...              services.c (deploy, rollback, status, metrics)
 *   /static/...                 the pages' assets (vendored libraries with their licences)
 *   /healthz                    {"status": "ok"}
 *   anything else               pages.c (HTML), or 404
 */
#include "config.h"

#include <string.h>

#include "portal.h"

enum po_reply po_route(struct po_req *r)
{
	const char *u = r->url;
	if (!strncmp(u, "/api/catalog/", 13))
		return po_catalog_route(r, u + 13);
	if (!strncmp(u, "/api/scaffolder/v2/", 19))
		return po_tasks_route(r, u + 19);
	if (!strncmp(u, "/api/paved/", 11))
		return po_services_route(r, u + 11);
	if (!strncmp(u, "/api/", 5) || !strcmp(u, "/api"))
		return po_error(r, 404, "NotFoundError", "No route %s %s", r->method, u);
	if (!strncmp(u, "/static/", 8) && (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD")))
		return po_static(r, u + 8);
	if (!strcmp(u, "/healthz"))
		return po_json(r, 200, json_pack("{ss si}", "status", "ok", "entities",
		                                  (int)po_index_live(r->srv->index)));
	return po_pages_route(r);
}
