/*
 * http.c -- replies, request helpers and text buffers for the portal.
 *
 * Every response carries the security headers (a strict Content Security
 * Policy: scripts and styles only from the portal itself, no framing, no
 * sniffing, no referrer).  Errors are JSON in Backstage's shape, so
 * @backstage/catalog-client and @backstage/errors read them:
 * {"error": {"name", "message"}, "request": {"method", "url"},
 *  "response": {"statusCode"}}.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pc.h"
#include "portal.h"

long long po_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void po_iso_time(char *buf, size_t size)
{
	char now[32];
	pc_now_iso(now);
	snprintf(buf, size, "%s", now);
}

/* ---- buffers --------------------------------------------------------- */

void po_buf_add(struct po_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->len + n + 1)
			nc *= 2;
		char *g = realloc(b->s, nc);
		if (!g)
			return;
		b->s = g, b->cap = nc;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void po_buf_puts(struct po_buf *b, const char *s)
{
	po_buf_add(b, s, strlen(s));
}

void po_buf_printf(struct po_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = pc_vprintf(fmt, ap);
	va_end(ap);
	if (s)
		po_buf_puts(b, s);
	free(s);
}

void po_buf_html(struct po_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':  po_buf_puts(b, "&amp;"); break;
		case '<':  po_buf_puts(b, "&lt;"); break;
		case '>':  po_buf_puts(b, "&gt;"); break;
		case '"':  po_buf_puts(b, "&quot;"); break;
		case '\'': po_buf_puts(b, "&#39;"); break;
		default:   po_buf_add(b, s, 1);
		}
	}
}

void po_buf_tags(struct po_buf *b, json_t *tags)
{
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t) {
		po_buf_puts(b, "<span class=\"tag\">");
		po_buf_html(b, json_string_value(t));
		po_buf_puts(b, "</span>");
	}
}

void po_buf_urlenc(struct po_buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-_.~", c))
			po_buf_add(b, s, 1);
		else
			po_buf_printf(b, "%%%02X", c);
	}
}

/* ---- requests ---------------------------------------------------------- */

const char *po_arg(struct po_req *r, const char *name)
{
	return json_string_value(json_array_get(json_object_get(r->args, name), 0));
}

const char *po_header(struct po_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void po_url_decode(char *s, bool form)
{
	char *w = s;
	for (char *p = s; *p; p++) {
		if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], 0 };
			*w++ = (char)strtol(hex, NULL, 16);
			p += 2;
		} else {
			*w++ = form && *p == '+' ? ' ' : *p;
		}
	}
	*w = '\0';
}

json_t *po_form_parse(const char *text, size_t len)
{
	json_t *out = json_object();
	char *copy = strndup(text ? text : "", text ? len : 0);
	char *save = NULL;
	for (char *kv = copy ? strtok_r(copy, "&", &save) : NULL; kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		if (eq)
			*eq = '\0';
		po_url_decode(kv, true);
		if (eq)
			po_url_decode(eq + 1, true);
		json_object_set_new(out, kv, json_string(eq ? eq + 1 : ""));
	}
	free(copy);
	return out;
}

json_t *po_body_json(struct po_req *r, enum po_reply *reply)
{
	json_error_t je;
	json_t *j = r->body_len ? json_loadb(r->body, r->body_len, 0, &je) : NULL;
	if (!j) {
		*reply = r->body_len ?
			po_error(r, 400, "InputError", "Malformed JSON body: %s (line %d, column %d)",
			         je.text, je.line, je.column) :
			po_error(r, 400, "InputError", "Missing JSON body");
		return NULL;
	}
	return j;
}

/* ---- replies ------------------------------------------------------------ */

void po_headers(struct MHD_Response *resp, bool html)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
		"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
	if (html)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
}

/* Queue RESP with STATUS on R; frees RESP. */
static enum po_reply queue(struct po_req *r, int status, struct MHD_Response *resp)
{
	r->status = status;
	MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return PO_DONE;
}

enum po_reply po_text(struct po_req *r, int status, const char *type, const char *text,
                      size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return PO_DONE;
	r->sent = len;
	MHD_add_response_header(resp, "Content-Type", type);
	po_headers(resp, true);
	return queue(r, status, resp);
}

enum po_reply po_json(struct po_req *r, int status, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("null");
	json_decref(body);
	if (!s)
		return po_error(r, 500, "Error", "out of memory");
	size_t n = strlen(s);
	struct MHD_Response *resp = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(s);
		return PO_DONE;
	}
	r->sent = n;
	MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	po_headers(resp, true);
	return queue(r, status, resp);
}

enum po_reply po_error(struct po_req *r, int status, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = pc_vprintf(fmt, ap);
	va_end(ap);
	json_t *body = json_pack("{s{ss ss} s{ss ss} s{si}}", "error", "name", name, "message",
	                         msg ? msg : "error", "request", "method", r->method, "url", r->url,
	                         "response", "statusCode", status);
	free(msg);
	return po_json(r, status, body);
}

enum po_reply po_redirect(struct po_req *r, const char *location)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
	                                                            MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return PO_DONE;
	MHD_add_response_header(resp, "Location", location);
	po_headers(resp, true);
	return queue(r, 303, resp);
}

static const char *mime_type(const char *path)
{
	static const char *const types[][2] = {
		{ ".js", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
		{ ".html", "text/html; charset=utf-8" }, { ".svg", "image/svg+xml" },
		{ ".png", "image/png" }, { ".json", "application/json" }, { ".map", "application/json" },
		{ ".txt", "text/plain; charset=utf-8" }, { NULL, NULL } };
	const char *dot = strrchr(path, '.');
	for (int i = 0; dot && types[i][0]; i++)
		if (strcmp(dot, types[i][0]) == 0)
			return types[i][1];
	return strstr(path, "LICENSE") ? "text/plain; charset=utf-8" : "application/octet-stream";
}

enum po_reply po_static(struct po_req *r, const char *path)
{
	/* only plain names below the static directory: no "..", no hidden files */
	if (strstr(path, "..") || strstr(path, "/.") || path[0] == '.' || strchr(path, '\\'))
		return po_error(r, 404, "NotFoundError", "No such file: %s", path);
	char *full = pc_printf("%s/%s", r->srv->static_dir, path);
	int fd = full ? open(full, O_RDONLY | O_CLOEXEC) : -1;
	free(full);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return po_error(r, 404, "NotFoundError", "No such file: %s", path);
	}
	struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!resp) {
		close(fd);
		return PO_DONE;
	}
	r->sent = (size_t)st.st_size;
	MHD_add_response_header(resp, "Content-Type", mime_type(path));
	MHD_add_response_header(resp, "Cache-Control", "public, max-age=3600");
	po_headers(resp, false);
	return queue(r, 200, resp);
}
