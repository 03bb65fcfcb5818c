/*
 * auth.c -- who may do what in `paved serve`.
 *
 * API tokens (`paved token create --team T [--admin]`) are 160 random bits,
 * shown once; the store (state namespace "portal-tokens") keeps only their
 * SHA-256, keyed by it, so a lookup is one hash and one read and a copy of
 * the database gives no usable token.  A request names its token as
 * `Authorization: Bearer TOKEN`; the pages sign in with a token once and
 * get a session cookie (HttpOnly, SameSite=Strict) kept in the server's
 * memory with a CSRF token that every mutating request from the pages must
 * send back (header X-CSRF-Token or form field csrf); a foreign Origin is
 * refused as well.
 *
 * Rules: reading needs a valid token unless serve.anonymous_read is true;
 * a token that is given but unknown is always 401.  Writing needs a token.
 * Deploy, rollback and delete of an entity need a token of the team that
 * owns it (its spec.owner) or an admin token.  Every mutating request is
 * a line of the audit log ($PAVED_HOME/portal/audit.jsonl): when, who, what,
 * on what, and the outcome, refusals included.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <nettle/sha2.h>

#include "pc.h"
#include "portal.h"

#define TOKENS_NS "portal-tokens"

void po_sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, sizeof d, d);
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* A team name as a catalog group name: [a-z0-9-], 1..63. */
static bool team_ok(const char *t)
{
	size_t n = strlen(t);
	if (!n || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '-'))
			return false;
	return true;
}

int po_token_create(paved_ctx *ctx, const char *team, bool admin, const char *name,
                    json_t **out, char **errmsg)
{
	char rnd[41], token[48], hash[65], when[32];
	if (!team_ok(team))
		return paved->error(errmsg, "team '%s' is not a group name (lowercase letters, digits "
		                    "and '-', at most 63)", team);
	if (pc_random_hex(rnd, 20))
		return paved->error(errmsg, "no randomness: %s", "getrandom failed");
	snprintf(token, sizeof token, "pvd_%s", rnd);
	po_sha256_hex(token, strlen(token), hash);
	po_iso_time(when, sizeof when);
	char id[13];
	snprintf(id, sizeof id, "%.12s", hash);
	json_t *rec = json_pack("{ss ss sb ss ss}", "id", id, "team", team, "admin", admin,
	                        "name", name ? name : "", "created", when);
	int rc = paved->state_put(ctx, TOKENS_NS, hash, rec, errmsg);
	json_decref(rec);
	if (rc)
		return rc;
	*out = json_pack("{ss ss ss sb}", "token", token, "id", id, "team", team, "admin", admin);
	return PAVED_OK;
}

json_t *po_token_list(paved_ctx *ctx)
{
	json_t *all = paved->state_list(ctx, TOKENS_NS), *list = json_array(), *v;
	const char *k;
	json_object_foreach(all, k, v)
		json_array_append(list, v);
	json_decref(all);
	return list;
}

int po_token_revoke(paved_ctx *ctx, const char *id, char **errmsg)
{
	json_t *all = paved->state_list(ctx, TOKENS_NS), *v;
	const char *k;
	int rc = PAVED_ERR;
	bool found = false;
	json_object_foreach(all, k, v) {
		if (strlen(id) >= 6 && strncmp(json_string_value(json_object_get(v, "id")) ?: "", id,
		                               strlen(id)) == 0) {
			found = true;
			rc = paved->state_del(ctx, TOKENS_NS, k, errmsg);
			break;
		}
	}
	json_decref(all);
	if (!found)
		return paved->error(errmsg, "no token '%s' ('paved token list' shows them)", id);
	return rc;
}

/* ---- sessions ------------------------------------------------------------ */

struct po_session {
	char               id[65], csrf[65];
	struct po_who      who;
	long long          expires;   /* ms */
	struct po_session *next;
};

const char *po_session_new(struct po_server *s, const struct po_who *who, const char **csrf)
{
	struct po_session *ss = calloc(1, sizeof *ss);
	if (!ss || pc_random_hex(ss->id, 32) || pc_random_hex(ss->csrf, 32)) {
		free(ss);
		return NULL;
	}
	ss->who = *who;
	ss->who.session = true;
	ss->expires = po_now_ms() + 12LL * 3600 * 1000;
	ss->next = s->sessions;
	s->sessions = ss;
	*csrf = ss->csrf;
	return ss->id;
}

static struct po_session *session_of(struct po_req *r)
{
	const char *id = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "paved_session");
	for (struct po_session *ss = id ? r->srv->sessions : NULL; ss; ss = ss->next)
		if (strcmp(ss->id, id) == 0 && ss->expires > po_now_ms())
			return ss;
	return NULL;
}

const char *po_session_csrf(struct po_req *r)
{
	struct po_session *ss = session_of(r);
	return ss ? ss->csrf : NULL;
}

void po_session_drop(struct po_server *s, const char *id)
{
	for (struct po_session **p = &s->sessions; *p; p = &(*p)->next)
		if (strcmp((*p)->id, id) == 0) {
			struct po_session *d = *p;
			*p = d->next;
			free(d);
			return;
		}
}

void po_sessions_free(struct po_server *s)
{
	while (s->sessions) {
		struct po_session *d = s->sessions;
		s->sessions = d->next;
		free(d);
	}
}

/* ---- requests ------------------------------------------------------------ */

/* Fill WHO from token TOKEN; false when it is unknown. */
static bool who_of_token(paved_ctx *ctx, const char *token, struct po_who *who)
{
	char hash[65];
	po_sha256_hex(token, strlen(token), hash);
	json_t *rec = paved->state_get(ctx, TOKENS_NS, hash);
	if (!json_is_object(rec)) {
		json_decref(rec);
		return false;
	}
	who->authenticated = true;
	who->admin = json_is_true(json_object_get(rec, "admin"));
	snprintf(who->team, sizeof who->team, "%s", json_string_value(json_object_get(rec, "team")) ?: "");
	snprintf(who->token_id, sizeof who->token_id, "%s",
	         json_string_value(json_object_get(rec, "id")) ?: "");
	snprintf(who->name, sizeof who->name, "%s", json_string_value(json_object_get(rec, "name")) ?: "");
	json_decref(rec);
	return true;
}


bool po_token_check(paved_ctx *ctx, const char *token, struct po_who *who)
{
	memset(who, 0, sizeof *who);
	return token && who_of_token(ctx, token, who);
}

void po_auth(struct po_req *r)
{
	const char *h = po_header(r, "Authorization");
	memset(&r->who, 0, sizeof r->who);
	if (h && strncasecmp(h, "Bearer ", 7) == 0) {
		if (!who_of_token(r->srv->ctx, h + 7, &r->who))
			r->who.bad_token = true;
		return;
	}
	struct po_session *ss = session_of(r);
	if (ss)
		r->who = ss->who;
}

bool po_may_read(struct po_req *r, enum po_reply *reply)
{
	if (r->who.bad_token) {
		*reply = po_error(r, 401, "AuthenticationError", "Invalid token");
		return false;
	}
	if (r->who.authenticated || r->srv->anonymous_read)
		return true;
	*reply = po_error(r, 401, "AuthenticationError", "Missing credentials: send "
	                  "'Authorization: Bearer TOKEN' ('paved token create --team TEAM')");
	return false;
}

bool po_may_write(struct po_req *r, enum po_reply *reply)
{
	if (!r->who.authenticated) {
		*reply = po_error(r, 401, "AuthenticationError", r->who.bad_token ? "Invalid token" :
		                  "Missing credentials: send 'Authorization: Bearer TOKEN'");
		po_audit(r, r->action ? r->action : "write", r->target, 401, "unauthenticated");
		return false;
	}
	const char *origin = po_header(r, "Origin");
	if (origin && strcmp(origin, r->srv->base_url) != 0) {
		*reply = po_error(r, 403, "NotAllowedError", "Cross-origin request refused (Origin %s)",
		                  origin);
		po_audit(r, r->action ? r->action : "write", r->target, 403, "foreign origin");
		return false;
	}
	if (r->who.session) {
		const char *want = po_session_csrf(r), *got = po_header(r, "X-CSRF-Token");
		if (!want || !got || strcmp(want, got) != 0) {
			*reply = po_error(r, 403, "NotAllowedError", "Missing or wrong CSRF token");
			po_audit(r, r->action ? r->action : "write", r->target, 403, "csrf");
			return false;
		}
	}
	return true;
}

char *po_owner_team(struct po_server *s, const char *ref)
{
	json_t *a = json_pack("{ss}", "ref", ref), *e = NULL;
	char *team = NULL;
	if (paved->call(s->ctx, "catalog.get", a, &e, NULL) == PAVED_OK) {
		const char *o = json_string_value(json_object_get(json_object_get(e, "spec"), "owner"));
		const char *slash = o ? strrchr(o, '/') : NULL, *colon = o ? strchr(o, ':') : NULL;
		if (o)
			team = strdup(slash ? slash + 1 : colon ? colon + 1 : o);
		for (char *p = team; p && *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	}
	json_decref(a), json_decref(e);
	return team;
}

bool po_may_own(struct po_req *r, const char *ref, enum po_reply *reply)
{
	if (r->who.admin)
		return true;
	char *team = po_owner_team(r->srv, ref);
	bool ok = team && strcmp(team, r->who.team) == 0;
	if (!ok) {
		*reply = po_error(r, 403, "NotAllowedError", "%s is owned by %s; team '%s' may not "
		                  "change it", ref, team ? team : "nobody", r->who.team);
		po_audit(r, r->action ? r->action : "write", ref, 403, "not the owner");
	}
	free(team);
	return ok;
}

void po_audit(struct po_req *r, const char *action, const char *target, int status,
              const char *outcome)
{
	FILE *f = r->srv->audit_log;
	char t[32];
	if (!f)
		return;
	po_iso_time(t, sizeof t);
	json_t *who = r->who.authenticated ?
		json_pack("{ss ss sb ss sb}", "token", r->who.token_id, "team", r->who.team, "admin",
		          r->who.admin, "name", r->who.name, "session", r->who.session) :
		json_string("anonymous");
	json_t *line = json_pack("{ss so ss ss ss ss ss* si ss}", "time", t, "who", who, "remote",
	                         r->remote, "method", r->method, "path", r->url, "action",
	                         action ? action : "", "target", target, "status", status,
	                         "outcome", outcome ? outcome : "");
	char *s = line ? json_dumps(line, JSON_COMPACT) : NULL;
	if (s) {
		fprintf(f, "%s\n", s);
		fflush(f);
	}
	free(s);
	json_decref(line);
}
