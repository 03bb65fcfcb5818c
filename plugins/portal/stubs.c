#include "config.h"
#include "portal.h"
enum po_reply po_tasks_route(struct po_req *r, const char *rest) { (void)rest; return po_error(r, 404, "NotFoundError", "later"); }
void po_tasks_poll(struct po_server *s) { (void)s; }
void po_tasks_free(struct po_server *s) { (void)s; }
bool po_tasks_active(struct po_server *s) { (void)s; return false; }
enum po_reply po_services_route(struct po_req *r, const char *rest) { (void)rest; return po_error(r, 404, "NotFoundError", "later"); }
enum po_reply po_pages_route(struct po_req *r) { return po_error(r, 404, "NotFoundError", "No page %s", r->url); }
