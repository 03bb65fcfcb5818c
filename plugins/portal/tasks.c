/*
 * tasks.c -- golden paths over HTTP, shaped like Backstage's scaffolder
 * (/api/scaffolder/v2):
 *
 *   POST /tasks {templateRef, values}   201 {id}; 400 {errors: [{path, message}]}
 *                                       listing every invalid parameter
 *   GET  /tasks, GET /tasks/:id         the task: spec, status, createdAt, createdBy
 *   GET  /tasks/:id/events              the events so far (?after=N)
 *   GET  /tasks/:id/eventstream         Server-Sent Events: one `log` event per
 *                                       step, closed by a `completion` event
 *   POST /tasks/:id/cancel              stop it: the completed steps are undone
 *   GET  /templates/:ns/:kind/:name/parameter-schema   the recipe's parameters
 *
 * A templateRef names a recipe (template:default/node-api is node-api).  The
 * parameters are validated in the server by a dry run of recipe.run (every
 * problem is listed, nothing is made).  The run itself is a child `paved new
 * RECIPE --dir WORKDIR/NAME --set K=V ...` (job.c): the host and plugins are
 * not thread-safe, and a golden path takes minutes.  Its output goes to
 * $PAVED_HOME/portal/tasks/ID.log; the loop follows that file and turns
 * each step line (✓ done, – skipped, ✗ failed, ↩ undone, ! undo failed) into
 * an event.  Cancel sends SIGTERM to the child, whose recipe runner then
 * undoes the completed steps, as it does for Ctrl-C.  A non-admin token
 * creates services for its own team only (values.owner defaults to it).
 * Tasks live in the server's memory; their logs stay on disk.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc.h"
#include "portal.h"

struct sse;

struct po_task {
	char            id[40];
	char           *recipe, *target, *log;
	json_t         *values;       /* as given */
	json_t         *steps;        /* the recipe's step titles */
	json_t         *events;       /* [{id, taskId, type, body, createdAt}] */
	json_t         *output;       /* lines that are not steps */
	char            created[32], team[64], token[16];
	const char     *status;       /* processing, completed, failed, cancelled */
	long            log_off;
	char            partial[8192];
	size_t          plen;
	bool            done, cancelling;
	struct sse     *waiters[64];
	int             nwaiters;
	struct po_task *next;
};

/* An event stream being sent. */
struct sse {
	struct po_task *t;
	struct po_req  *r;
	size_t          next;          /* the next event to send */
	char           *buf;           /* the event being sent */
	size_t          len, off;
	bool            closed;
};

static struct po_task *find(struct po_server *s, const char *id)
{
	for (struct po_task *t = s->tasks; t; t = t->next)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

bool po_tasks_active(struct po_server *s)
{
	for (struct po_task *t = s->tasks; t; t = t->next)
		if (!t->done)
			return true;
	return false;
}

/* Wake the event streams waiting on T. */
static void notify(struct po_task *t)
{
	for (int i = 0; i < t->nwaiters; i++)
		if (t->waiters[i]->r)
			po_resume(t->waiters[i]->r);
	t->nwaiters = 0;
}

static void add_event(struct po_task *t, const char *type, json_t *body)
{
	char when[32];
	po_iso_time(when, sizeof when);
	json_array_append_new(t->events, json_pack("{sI ss ss so ss}", "id",
	                      (json_int_t)json_array_size(t->events) + 1, "taskId", t->id, "type",
	                      type, "body", body, "createdAt", when));
	notify(t);
}

/* One line of the child's output: a step, or text for the summary. */
static void task_line(struct po_task *t, const char *line)
{
	static const struct { const char *glyph, *status; } glyphs[] = {
		{ " ✓ ", "completed" }, { " – ", "skipped" }, { " ✗ ", "failed" },
		{ " ↩ ", "undone" }, { " ! ", "undo-failed" }, { NULL, NULL } };
	for (int g = 0; glyphs[g].glyph; g++) {
		size_t gl = strlen(glyphs[g].glyph);
		if (strncmp(line, glyphs[g].glyph, gl) != 0)
			continue;
		const char *rest = line + gl, *title = NULL, *detail = "";
		if (!strncmp(rest, "undone:", 7) || !strncmp(rest, "undo failed:", 12)) {
			rest += rest[4] == 'n' ? 7 : 12;   /* "undone:" or "undo failed:" */
			while (*rest == ' ')
				rest++;
		}
		size_t i;
		json_t *st;
		json_array_foreach(t->steps, i, st) {
			const char *s = json_string_value(st);
			if (s && !strncmp(rest, s, strlen(s)) && (!rest[strlen(s)] || rest[strlen(s)] == ' ')) {
				title = s;
				detail = rest + strlen(s);
				while (*detail == ' ')
					detail++;
				break;
			}
		}
		char sid[32];
		snprintf(sid, sizeof sid, "step-%zu", title ? i + 1 : 0);
		add_event(t, "log", json_pack("{ss ss ss ss ss}", "message", line + 1, "stepId", sid,
		                              "status", glyphs[g].status, "step", title ? title : rest,
		                              "detail", detail));
		return;
	}
	if (*line && strncmp(line, "      ", 6) != 0)
		json_array_append_new(t->output, json_string(line));
}

/* Read what the child wrote since last time. */
static void follow(struct po_task *t)
{
	FILE *f = fopen(t->log, "re");
	if (!f)
		return;
	if (fseek(f, t->log_off, SEEK_SET) == 0) {
		char buf[4096];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
			t->log_off += (long)n;
			for (size_t i = 0; i < n; i++) {
				if (buf[i] == '\n' || t->plen == sizeof t->partial - 1) {
					t->partial[t->plen] = '\0';
					task_line(t, t->partial);
					t->plen = 0;
				} else {
					t->partial[t->plen++] = buf[i];
				}
			}
		}
	}
	fclose(f);
}

void po_tasks_poll(struct po_server *s)
{
	for (struct po_task *t = s->tasks; t; t = t->next)
		if (!t->done)
			follow(t);
}

/* The child is done: the last lines, then the completion event. */
static void task_done(struct po_server *s, struct po_job *job, struct paved_run_result *res,
                      int rc, const char *err)
{
	struct po_task *t = po_job_data(job);
	follow(t);
	if (t->plen) {
		t->partial[t->plen] = '\0';
		task_line(t, t->partial);
		t->plen = 0;
	}
	po_sync(s, false);   /* the catalog entry the run made, before anyone looks */
	t->status = rc == PAVED_OK && res->status == 0 ? "completed" :
	            t->cancelling ? "cancelled" : "failed";
	t->done = true;
	json_t *lines = t->output, *v;
	size_t i;
	struct po_buf b = { 0 };
	json_array_foreach(lines, i, v) {
		po_buf_puts(&b, json_string_value(v));
		po_buf_puts(&b, "\n");
	}
	add_event(t, "completion", json_pack("{s:s+ s:s s:s? s:i s:s?}", "message",
	          "Run completed with status: ", t->status, "status", t->status, "output",
	          b.s, "exitStatus", res->status, "error", err));
	free(b.s);
}

static json_t *task_json(struct po_task *t)
{
	json_t *j = json_pack("{ss s{ss sO} ss ss ss}", "id", t->id, "spec", "templateRef",
	                      t->recipe, "values", t->values, "status", t->status, "createdAt",
	                      t->created, "createdBy", t->team);
	json_object_set_new(j, "templateRef", json_sprintf("template:default/%s", t->recipe));
	return j;
}


/* Values as `--set K=V` words. */
static int set_words(json_t *values, json_t *argv, char **errmsg)
{
	const char *k;
	json_t *v;
	json_object_foreach(values, k, v) {
		char *w = NULL;
		if (json_is_string(v))
			w = pc_printf("%s=%s", k, json_string_value(v));
		else if (json_is_boolean(v))
			w = pc_printf("%s=%s", k, json_is_true(v) ? "true" : "false");
		else if (json_is_integer(v))
			w = pc_printf("%s=%lld", k, (long long)json_integer_value(v));
		else
			return paved->error(errmsg, "%s: a string, number or boolean is expected", k);
		json_array_append_new(argv, json_string("--set"));
		json_array_append_new(argv, json_string(w));
		free(w);
	}
	return PAVED_OK;
}

/* The problems in a recipe.run error as [{path, message}]. */
static json_t *problems(const char *err)
{
	json_t *list = json_array();
	const char *p = err ? strstr(err, "invalid parameters for recipe") : NULL;
	if (!p) {
		json_array_append_new(list, json_pack("{ss}", "message", err ? err : "invalid"));
		return list;
	}
	for (p = strchr(p, '\n'); p; p = strchr(p + 1, '\n')) {
		const char *s = p + 1, *e = strchr(s, '\n');
		while (*s == ' ')
			s++;
		size_t n = e ? (size_t)(e - s) : strlen(s);
		const char *colon = memchr(s, ':', n);
		if (n)
			json_array_append_new(list, json_pack("{s:s%, s:s%}", "path", s,
			                      colon ? (size_t)(colon - s) : 0, "message", s, n));
	}
	return list;
}

static enum po_reply create_task(struct po_req *r)
{
	struct po_server *s = r->srv;
	enum po_reply reply;
	r->action = "scaffolder.create";
	if (!po_may_write(r, &reply))
		return reply;
	json_t *body = po_body_json(r, &reply);
	if (!body)
		return reply;
	const char *tref = json_string_value(json_object_get(body, "templateRef"));
	json_t *values = json_object_get(body, "values");
	if (!tref || (values && !json_is_object(values))) {
		json_decref(body);
		return po_error(r, 400, "InputError", "Expected a body {\"templateRef\": "
		                "\"template:default/NAME\", \"values\": {...}}");
	}
	char name[128];
	snprintf(name, sizeof name, "%s", strrchr(tref, '/') ? strrchr(tref, '/') + 1 :
	         strchr(tref, ':') ? strchr(tref, ':') + 1 : tref);
	json_t *recipe = po_recipe(s, name);
	if (!recipe) {
		reply = po_json(r, 400, json_pack("{s[{ss s:s+}]}", "errors", "path", "templateRef",
		                "message", "no template ", tref));
		json_decref(body);
		return reply;
	}
	json_t *vals = values ? json_deep_copy(values) : json_object(), *p;
	json_decref(body);
	/* a team creates services for itself; an admin for anyone (for the
	 * recipes that have an owner) */
	const char *owner = json_string_value(json_object_get(vals, "owner"));
	bool has_owner = false;
	size_t k;
	json_array_foreach(json_object_get(recipe, "params"), k, p)
		has_owner = has_owner || !strcmp(json_string_value(json_object_get(p, "name")) ?: "", "owner");
	if (!has_owner)
		;
	else if (!owner && !r->who.admin)
		json_object_set_new(vals, "owner", json_string(r->who.team));
	else if (owner && !r->who.admin && strcmp(owner, r->who.team) != 0) {
		po_audit(r, r->action, owner, 403, "owner is another team");
		enum po_reply reply = po_error(r, 403, "NotAllowedError", "team '%s' may not create a "
		                               "service owned by '%s'", r->who.team, owner);
		json_decref(vals);   /* OWNER points into it */
		return reply;
	}
	json_t *a = json_pack("{ss sO sb sb}", "recipe", name, "params", vals, "dry_run", 1, "quiet", 1);
	json_t *plan = NULL;
	char *err = NULL;
	int rc = paved->call(s->ctx, "recipe.run", a, &plan, &err);
	json_decref(a), json_decref(plan);
	if (rc != PAVED_OK) {
		reply = po_json(r, 400, json_pack("{so}", "errors", problems(err)));
		po_audit(r, r->action, name, 400, "invalid parameters");
		free(err), json_decref(vals);
		return reply;
	}
	free(err);
	struct po_task *t = calloc(1, sizeof *t);
	char rnd[33];
	pc_random_hex(rnd, 16);
	snprintf(t->id, sizeof t->id, "%.8s-%.4s-4%.3s-a%.3s-%.12s", rnd, rnd + 8, rnd + 12, rnd + 15,
	         rnd + 18);
	t->recipe = strdup(name);
	t->values = vals;
	t->steps = json_array();
	t->events = json_array();
	t->output = json_array();
	t->status = "processing";
	po_iso_time(t->created, sizeof t->created);
	snprintf(t->team, sizeof t->team, "%s", r->who.team);
	snprintf(t->token, sizeof t->token, "%s", r->who.token_id);
	json_t *st;
	size_t i;
	json_array_foreach(json_object_get(recipe, "steps"), i, st)
		json_array_append(t->steps, json_is_string(st) ? st : json_object_get(st, "title"));
	const char *svc = json_string_value(json_object_get(vals, "name"));
	t->target = pc_printf("%s/%s", s->workdir, svc ? svc : t->id);
	char *dir = pc_printf("%s/tasks", s->dir);
	pc_mkdir_p(dir, 0700);
	t->log = pc_printf("%s/%s.log", dir, t->id);
	free(dir);
	json_t *argv = json_pack("[ss ss]", "new", name, "--dir", t->target);
	if (set_words(vals, argv, &err) == PAVED_OK) {
		size_t n = json_array_size(argv);
		const char **words = calloc(n + 1, sizeof *words);
		for (i = 0; words && i < n; i++)
			words[i] = json_string_value(json_array_get(argv, i));
		rc = words ? po_job_start(s, words, s->workdir, t->log, task_done, t, &err) : PAVED_ERR;
		free(words);
	} else {
		rc = PAVED_ERR;
	}
	json_decref(argv);
	if (rc != PAVED_OK) {
		reply = po_error(r, 500, "Error", "cannot start the golden path: %s", err ? err : "?");
		po_audit(r, r->action, name, 500, err);
		free(err);
		json_decref(t->values), json_decref(t->steps), json_decref(t->events);
		json_decref(t->output);
		free(t->recipe), free(t->target), free(t->log), free(t);
		return reply;
	}
	t->next = s->tasks;
	s->tasks = t;
	char *what = pc_printf("%s %s (task %s)", name, svc ? svc : "", t->id);
	po_audit(r, r->action, what, 201, "started");
	free(what);
	return po_json(r, 201, json_pack("{ss}", "id", t->id));
}

/* ---- the event stream ---------------------------------------------------- */

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *x = cls;
	(void)pos;
	if (x->off < x->len) {
		size_t n = x->len - x->off < max ? x->len - x->off : max;
		memcpy(buf, x->buf + x->off, n);
		x->off += n;
		return (ssize_t)n;
	}
	struct po_task *t = x->t;
	if (x->next < json_array_size(t->events)) {
		json_t *ev = json_array_get(t->events, x->next++);
		char *data = json_dumps(ev, JSON_COMPACT);
		free(x->buf);
		x->buf = pc_printf("event: %s\nid: %lld\ndata: %s\n\n",
		                   json_string_value(json_object_get(ev, "type")),
		                   (long long)json_integer_value(json_object_get(ev, "id")),
		                   data ? data : "{}");
		free(data);
		x->len = x->buf ? strlen(x->buf) : 0, x->off = 0;
		return sse_read(cls, pos, buf, max);
	}
	if (t->done || !po_current || po_current->stop)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (t->nwaiters < (int)(sizeof t->waiters / sizeof *t->waiters))
		t->waiters[t->nwaiters++] = x;
	po_suspend(x->r);
	return 0;
}

static void sse_free(void *cls)
{
	struct sse *x = cls;
	struct po_server *s = po_current;
	for (struct po_task *t = s ? s->tasks : NULL; t; t = t->next)
		for (int i = 0; i < t->nwaiters; i++)
			if (t->waiters[i] == x)
				t->waiters[i--] = t->waiters[--t->nwaiters];
	free(x->buf);
	free(x);
}

static enum po_reply eventstream(struct po_req *r, struct po_task *t)
{
	struct sse *x = calloc(1, sizeof *x);
	if (!x)
		return po_error(r, 500, "Error", "out of memory");
	x->t = t, x->r = r;
	const char *after = po_arg(r, "after");
	x->next = after ? (size_t)strtoul(after, NULL, 10) : 0;
	r->sse = true;
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
	                                                              sse_read, x, sse_free);
	if (!resp) {
		free(x);
		return po_error(r, 500, "Error", "out of memory");
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	po_headers(resp, false);
	r->status = 200;
	MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	return PO_DONE;
}

/* The pid of the child paved running task T (a child of this process
 * whose command line names T's directory), or -1. */
static pid_t task_pid(struct po_task *t)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t found = -1, me = getpid();
	while (d && found < 0 && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char path[300], stat[512], cmd[4096];
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		FILE *f = fopen(path, "re");
		size_t n = f ? fread(stat, 1, sizeof stat - 1, f) : 0;
		if (f)
			fclose(f);
		stat[n] = '\0';
		const char *close = strrchr(stat, ')');
		int ppid = 0;
		if (!close || sscanf(close + 2, "%*c %d", &ppid) != 1 || ppid != me)
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", de->d_name);
		f = fopen(path, "re");
		n = f ? fread(cmd, 1, sizeof cmd - 1, f) : 0;
		if (f)
			fclose(f);
		for (size_t i = 0; i < n; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		cmd[n] = '\0';
		if (strstr(cmd, t->target) && strstr(cmd, " new "))
			found = (pid_t)atoi(de->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

static enum po_reply cancel(struct po_req *r, struct po_task *t)
{
	enum po_reply reply;
	r->action = "scaffolder.cancel";
	r->target = strdup(t->id);
	if (!po_may_write(r, &reply))
		return reply;
	if (!r->who.admin && strcmp(r->who.team, t->team) != 0) {
		po_audit(r, r->action, t->id, 403, "another team's task");
		return po_error(r, 403, "NotAllowedError", "task %s belongs to team '%s'", t->id, t->team);
	}
	if (t->done) {
		po_audit(r, r->action, t->id, 409, t->status);
		return po_error(r, 409, "ConflictError", "task %s is already %s", t->id, t->status);
	}
	pid_t pid = task_pid(t);
	if (pid <= 0 || kill(pid, SIGTERM) != 0) {
		po_audit(r, r->action, t->id, 409, "no process");
		return po_error(r, 409, "ConflictError", "task %s has no running process to stop", t->id);
	}
	t->cancelling = true;
	add_event(t, "cancelled", json_pack("{ss}", "message", "cancelling: the completed steps "
	                                    "are undone"));
	po_audit(r, r->action, t->id, 200, "cancelling");
	return po_json(r, 200, json_pack("{ss ss}", "id", t->id, "status", "cancelling"));
}

/* JSON Schema of a recipe's parameters, as Backstage's parameter-schema. */
static json_t *parameter_schema(json_t *recipe)
{
	json_t *props = json_object(), *req = json_array(), *p;
	size_t i;
	json_array_foreach(json_object_get(recipe, "params"), i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *type = json_string_value(json_object_get(p, "type"));
		json_t *sch = json_pack("{ss}", "type", !strcmp(type ?: "", "int") ? "integer" :
		                        !strcmp(type ?: "", "bool") ? "boolean" : "string");
		json_t *v;
		if ((v = json_object_get(p, "description")))
			json_object_set(sch, "description", v);
		if ((v = json_object_get(p, "default")))
			json_object_set(sch, "default", v);
		if ((v = json_object_get(p, "choices")))
			json_object_set(sch, "enum", v);
		if ((v = json_object_get(p, "min")))
			json_object_set(sch, "minimum", v);
		if ((v = json_object_get(p, "max")))
			json_object_set(sch, "maximum", v);
		if ((v = json_object_get(p, "max_length")))
			json_object_set(sch, "maxLength", v);
		json_object_set_new(props, name ? name : "?", sch);
		if (json_is_true(json_object_get(p, "required")))
			json_array_append_new(req, json_string(name));
	}
	return json_pack("{sO ss* s[{ss s{ss so so}}]}", "title", json_object_get(recipe, "name"),
	                 "description", json_string_value(json_object_get(recipe, "summary")),
	                 "steps", "title", "Parameters", "schema", "type", "object", "properties",
	                 props, "required", req);
}

enum po_reply po_tasks_route(struct po_req *r, const char *rest)
{
	enum po_reply reply;
	bool get = !strcmp(r->method, "GET"), post = !strcmp(r->method, "POST");
	if (post && !strcmp(rest, "tasks"))
		return create_task(r);
	if (!po_may_read(r, &reply))
		return reply;
	if (get && !strncmp(rest, "templates/", 10) && strstr(rest, "/parameter-schema")) {
		char name[128];
		const char *end = strstr(rest, "/parameter-schema"), *start = end;
		while (start > rest + 10 && start[-1] != '/')
			start--;
		snprintf(name, sizeof name, "%.*s", (int)(end - start), start);
		json_t *recipe = po_recipe(r->srv, name);
		if (!recipe)
			return po_error(r, 404, "NotFoundError", "No template %s", name);
		return po_json(r, 200, parameter_schema(recipe));
	}
	if (get && !strcmp(rest, "tasks")) {
		json_t *list = json_array();
		for (struct po_task *t = r->srv->tasks; t; t = t->next)
			json_array_append_new(list, task_json(t));
		return po_json(r, 200, json_pack("{sI so}", "totalTasks", (json_int_t)json_array_size(list),
		                                 "tasks", list));
	}
	if (!strncmp(rest, "tasks/", 6)) {
		char id[64];
		const char *slash = strchr(rest + 6, '/');
		snprintf(id, sizeof id, "%.*s", slash ? (int)(slash - rest - 6) : (int)strlen(rest + 6),
		         rest + 6);
		struct po_task *t = find(r->srv, id);
		if (!t)
			return po_error(r, 404, "NotFoundError", "Task with id %s does not exist", id);
		if (get && !slash)
			return po_json(r, 200, task_json(t));
		if (get && !strcmp(slash, "/eventstream"))
			return eventstream(r, t);
		if (get && !strcmp(slash, "/events")) {
			const char *after = po_arg(r, "after");
			size_t from = after ? (size_t)strtoul(after, NULL, 10) : 0;
			json_t *list = json_array();
			for (size_t i = from; i < json_array_size(t->events); i++)
				json_array_append(list, json_array_get(t->events, i));
			return po_json(r, 200, list);
		}
		if (post && slash && !strcmp(slash, "/cancel"))
			return cancel(r, t);
	}
	return po_error(r, 404, "NotFoundError", "No route %s %s", r->method, r->url);
}

void po_tasks_free(struct po_server *s)
{
	while (s->tasks) {
		struct po_task *t = s->tasks;
		s->tasks = t->next;
		json_decref(t->values), json_decref(t->steps), json_decref(t->events);
		json_decref(t->output);
		free(t->recipe), free(t->target), free(t->log), free(t);
	}
}
