/*
 * server.c -- `paved serve`: libmicrohttpd in an event loop of our own.
 *
 * One thread runs everything that touches the host: libmicrohttpd in its
 * "external polling" mode on epoll, so a slow client (a trickled request,
 * a reader that never reads) only holds its own connection; handlers that
 * need a long time (a golden path, a deploy) run a child `paved` (job.c)
 * and suspend their connection until it is done, so nothing blocks the
 * loop.  SIGTERM or SIGINT stop it gracefully: no new connections, the
 * requests in flight finish (up to serve.shutdown_timeout seconds), event
 * streams end, then it returns.  Every request is a line of the access log
 * ($PAVED_HOME/logs/portal-access.log, or serve.access_log; "-" for stderr).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pc.h"
#include "portal.h"

struct po_server *po_current;
static int sig_pipe[2] = { -1, -1 };
static int inflight;
/* Suspended requests (the server must resume them all before it stops). */
static struct po_req *suspended[1024];
static int nsuspended;

static void on_signal(int sig)
{
	(void)sig;
	int e = errno;
	if (sig_pipe[1] >= 0 && write(sig_pipe[1], "s", 1) < 0) {
		/* nothing to do: the loop also sees stop */
	}
	errno = e;
}

/* The query string of the request, as {name: [values]}. */
static MHD_Result_t collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
	(void)kind;
	json_t *args = cls, *list = json_object_get(args, key);
	if (!list) {
		list = json_array();
		json_object_set_new(args, key, list);
	}
	json_array_append_new(list, json_string(value ? value : ""));
	return MHD_YES;
}

static MHD_Result_t on_request(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct po_server *s = cls;
	struct po_req *r = *con_cls;
	(void)version;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		r->srv = s, r->conn = conn, r->method = method, r->url = url;
		r->started = po_now_ms();
		r->args = json_object();
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, r->args);
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)ci->client_addr)->sin_addr, r->remote,
			          sizeof r->remote);
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > PO_MAX_BODY)
			r->too_big = true;
		*con_cls = r;
		inflight++;
		if (r->too_big)   /* answer at once; the body is never read */
			return po_error(r, 413, "PayloadTooLargeError", "Request body is larger than "
			                "%d bytes", PO_MAX_BODY) == PO_DONE ? MHD_YES : MHD_YES;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!r->too_big && r->body_len + *upload_size > PO_MAX_BODY)
			r->too_big = true;
		if (!r->too_big) {
			char *g = realloc(r->body, r->body_len + *upload_size + 1);
			if (!g)
				return MHD_NO;
			memcpy(g + r->body_len, upload_data, *upload_size);
			r->body = g;
			r->body_len += *upload_size;
			r->body[r->body_len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->status)          /* answered already (413 before the body) */
		return MHD_YES;
	if (r->too_big) {
		po_error(r, 413, "PayloadTooLargeError", "Request body is larger than %d bytes",
		         PO_MAX_BODY);
		return MHD_YES;
	}
	if (r->suspended) {
		/* resumed: queue the reply the job left (po_defer) */
		if (r->pend_body) {
			char *b = r->pend_body;
			r->pend_body = NULL;
			po_text(r, r->pend_status, "application/json; charset=utf-8", b, strlen(b));
			free(b);
		}
		return MHD_YES;
	}
	po_auth(r);
	po_route(r);
	return MHD_YES;
}

/* The request is over: log it and free it. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
	struct po_server *s = cls;
	struct po_req *r = *con_cls;
	(void)conn;
	if (!r)
		return;
	if (s->access_log) {
		char t[32];
		po_iso_time(t, sizeof t);
		fprintf(s->access_log, "%s %s %s [%s] \"%s %s\" %d %zu %lldms%s\n",
		        r->remote[0] ? r->remote : "-", r->who.token_id[0] ? r->who.token_id : "-",
		        r->who.team[0] ? r->who.team : "-", t, r->method, r->url, r->status, r->sent,
		        po_now_ms() - r->started,
		        why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed)");
		fflush(s->access_log);
	}
	inflight--;
	json_decref(r->args);
	free(r->body);
	free(r->target);
	free(r->pend_body);
	free(r);
	*con_cls = NULL;
}


void po_suspend(struct po_req *r)
{
	r->suspended = true;
	if (nsuspended < (int)(sizeof suspended / sizeof *suspended))
		suspended[nsuspended++] = r;
	MHD_suspend_connection(r->conn);
}

void po_resume(struct po_req *r)
{
	for (int i = 0; i < nsuspended; i++)
		if (suspended[i] == r) {
			suspended[i] = suspended[--nsuspended];
			MHD_resume_connection(r->conn);
			return;
		}
}

void po_defer(struct po_req *r, int status, char *body)
{
	free(r->pend_body);
	r->pend_status = status;
	r->pend_body = body ? body : strdup("null");
	po_resume(r);
}

void po_resume_all(struct po_server *s)
{
	(void)s;
	while (nsuspended > 0) {
		struct po_req *r = suspended[0];
		if (!r->pend_body && !r->status)
			po_defer(r, 503, strdup("{\"error\":{\"name\":\"ServiceUnavailableError\","
			                        "\"message\":\"paved serve is stopping\"}}"));
		else
			po_resume(r);
	}
}

/* Parse HOST:PORT into ADDR. */
static int parse_listen(const char *listen, struct sockaddr_in *addr, char **errmsg)
{
	const char *colon = strrchr(listen, ':');
	char host[64];
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	if (!colon || (size_t)(colon - listen) >= sizeof host)
		return paved->error(errmsg, "--listen '%s': expected HOST:PORT (127.0.0.1:7007)", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		return paved->error(errmsg, "--listen '%s': the port must be 0..65535", listen);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &addr->sin_addr) != 1)
		return paved->error(errmsg, "--listen '%s': '%s' is not an IPv4 address", listen, host);
	addr->sin_port = htons((uint16_t)port);
	return PAVED_OK;
}

/* Read a config value under serve.* as a string, or DEF. */
static const char *cfg_str(paved_ctx *ctx, const char *key, const char *def)
{
	const char *v = json_string_value(paved->config(ctx, key));
	return v && *v ? v : def;
}

/* Fill S from configuration; PAVED_ERR with *ERRMSG on a bad value. */
static int configure(struct po_server *s, paved_ctx *ctx, char **errmsg)
{
	extern const char *po_static_default(void);
	s->ctx = ctx;
	s->home = strdup(paved->home(ctx));
	s->dir = pc_printf("%s/portal", s->home);
	json_t *anon = paved->config(ctx, "serve.anonymous_read");
	if (anon && !json_is_boolean(anon))
		return paved->error(errmsg, "configuration serve.anonymous_read must be true or false");
	s->anonymous_read = json_is_true(anon);
	s->static_dir = strdup(cfg_str(ctx, "serve.static_dir", po_static_default()));
	s->workdir = pc_printf("%s", cfg_str(ctx, "serve.workdir", ""));
	if (!*s->workdir) {
		free(s->workdir);
		s->workdir = pc_printf("%s/portal/services", s->home);
	}
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return paved->error(errmsg, "cannot find the paved program (/proc/self/exe)");
	exe[n] = '\0';
	s->paved_bin = strdup(exe);
	char *logs = pc_printf("%s/logs", s->home);
	if (!s->dir || pc_mkdir_p(s->dir, 0700) || pc_mkdir_p(s->workdir, 0700) || !logs ||
	    pc_mkdir_p(logs, 0700)) {
		free(logs);
		return paved->error(errmsg, "cannot create %s: %s", s->dir, strerror(errno));
	}
	const char *al = cfg_str(ctx, "serve.access_log", NULL);
	char *alp = al ? NULL : pc_printf("%s/portal-access.log", logs);
	free(logs);
	s->access_log = al && !strcmp(al, "-") ? stderr : fopen(al ? al : alp, "ae");
	if (!s->access_log) {
		int e = errno;
		free(alp);
		return paved->error(errmsg, "cannot open the access log %s: %s", al ? al : "", strerror(e));
	}
	free(alp);
	char *aud = pc_printf("%s/audit.jsonl", s->dir);
	int fd = aud ? open(aud, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
	s->audit_log = fd >= 0 ? fdopen(fd, "a") : NULL;
	free(aud);
	if (!s->audit_log)
		return paved->error(errmsg, "cannot open the audit log in %s: %s", s->dir, strerror(errno));
	return PAVED_OK;
}

static void server_free(struct po_server *s)
{
	po_tasks_free(s);
	po_sessions_free(s);
	po_index_free(s->index);
	json_decref(s->recipes);
	if (s->access_log && s->access_log != stderr)
		fclose(s->access_log);
	if (s->audit_log)
		fclose(s->audit_log);
	for (int i = 0; i < 2; i++)
		if (s->wake[i] >= 0)
			close(s->wake[i]);
	free(s->home), free(s->dir), free(s->static_dir), free(s->paved_bin), free(s->workdir);
	free(s->base_url);
}

/* The loop: epoll of libmicrohttpd, the jobs' wake pipe, the signal pipe. */
static void loop(struct po_server *s)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	int efd = di ? di->epoll_fd : -1;
	long long stop_deadline = 0;
	json_t *grace = paved->config(s->ctx, "serve.shutdown_timeout");
	long long grace_ms = json_is_number(grace) ? (long long)(json_number_value(grace) * 1000) :
	                     10000;
	for (;;) {
		struct pollfd fds[3] = { { efd, POLLIN, 0 }, { s->wake[0], POLLIN, 0 },
		                         { sig_pipe[0], POLLIN, 0 } };
		MHD_UNSIGNED_LONG_LONG mt;
		int timeout = 500;
		if (MHD_get_timeout(s->daemon, &mt) == MHD_YES && mt < (MHD_UNSIGNED_LONG_LONG)timeout)
			timeout = (int)mt;
		if (po_tasks_active(s) && timeout > 100)
			timeout = 100;
		if (poll(fds, 3, timeout) < 0 && errno != EINTR)
			break;
		if (fds[2].revents & POLLIN) {
			char c[16];
			if (read(sig_pipe[0], c, sizeof c) > 0 && !s->stop) {
				s->stop = 1;
				stop_deadline = po_now_ms() + grace_ms;
				paved->log(s->ctx, PAVED_LOG_INFO, "stopping: no new connections; "
				           "%d requests in flight", inflight);
				MHD_socket ls = MHD_quiesce_daemon(s->daemon);
				if (ls != MHD_INVALID_SOCKET)
					close(ls);
				for (int i = nsuspended - 1; i >= 0; i--)   /* event streams end now */
					if (suspended[i]->sse)
						po_resume(suspended[i]);
			}
		}
		if (fds[1].revents & POLLIN)
			po_jobs_reap(s);
		po_tasks_poll(s);
		MHD_run(s->daemon);
		if (!s->stop && po_now_ms() - s->last_sync >= 500)
			po_sync(s, false);
		if (s->stop && (inflight <= 0 || po_now_ms() > stop_deadline))
			break;
	}
}

int po_serve(paved_ctx *ctx, const char *listen, bool print_json, char **errmsg)
{
	struct po_server srv;
	struct sockaddr_in addr;
	int rc = PAVED_ERR;
	memset(&srv, 0, sizeof srv);
	srv.wake[0] = srv.wake[1] = -1;
	if (parse_listen(listen, &addr, errmsg) || configure(&srv, ctx, errmsg))
		goto out;
	if (pipe2(srv.wake, O_CLOEXEC | O_NONBLOCK) || pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK)) {
		paved->error(errmsg, "pipe: %s", strerror(errno));
		goto out;
	}
	long long t0 = po_now_ms();
	srv.index = po_index_build(ctx, errmsg);
	if (!srv.index)
		goto out;
	long long built = po_now_ms() - t0;
	po_current = &srv;
	po_recipes_load(&srv);
	srv.daemon = MHD_start_daemon(
		MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		on_request, &srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)900,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv,
		MHD_OPTION_END);
	if (!srv.daemon) {
		paved->error(errmsg, "cannot listen on %s: %s", listen,
		             errno ? strerror(errno) : "libmicrohttpd refused");
		goto out;
	}
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(srv.daemon, MHD_DAEMON_INFO_BIND_PORT);
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof ip);
	srv.base_url = pc_printf("http://%s:%u", ip, pi ? pi->port : ntohs(addr.sin_port));
	po_sync(&srv, true);   /* record the server; forget changes from before the index */
	struct sigaction sa, old_term, old_int;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGINT, &sa, &old_int);
	if (print_json)
		printf("{\"url\": \"%s\", \"entities\": %u, \"index_ms\": %lld, \"anonymous_read\": %s}\n",
		       srv.base_url, po_index_live(srv.index), built,
		       srv.anonymous_read ? "true" : "false");
	else
		printf("paved serve: listening on %s (%u entities indexed in %lld ms; anonymous "
		       "read %s)\n", srv.base_url, po_index_live(srv.index), built,
		       srv.anonymous_read ? "on" : "off");
	fflush(stdout);
	loop(&srv);
	po_resume_all(&srv);
	for (long long end = po_now_ms() + 1000; inflight > 0 && po_now_ms() < end; ) {
		struct pollfd pfd = { -1, 0, 0 };
		MHD_run(srv.daemon);
		poll(&pfd, 0, 10);
	}
	MHD_stop_daemon(srv.daemon);
	paved->state_del(ctx, "portal", "server", NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	if (!print_json)
		printf("paved serve: stopped%s\n", po_jobs_running() ?
		       " (child paved processes still running finish on their own)" : "");
	fflush(stdout);
	rc = PAVED_OK;
out:
	po_current = NULL;
	server_free(&srv);
	for (int i = 0; i < 2; i++)
		if (sig_pipe[i] >= 0)
			close(sig_pipe[i]), sig_pipe[i] = -1;
	return rc;
}
