#include "config.h"
#include "portal.h"
enum po_reply po_pages_route(struct po_req *r) { return po_error(r, 404, "NotFoundError", "No page %s", r->url); }
