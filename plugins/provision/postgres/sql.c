/*
 * sql.c -- the postgres-local driver's work in the server: a database
 * owned by a role of the same name, with a generated password.
 *
 * Everything goes through libpq with quoted identifiers and literals.
 * Roles paved makes carry a mark (their comment: "paved resource (home
 * PATH)"), made in the same transaction as the role, so a role is either
 * absent, paved's, or someone else's -- never paved's but unmarked.
 *
 * create is idempotent: a rerun after a kill adopts what it finds of its
 * own (the role gets a fresh password; a database owned by that role is
 * kept) and finishes; a role or database paved did not make is refused and
 * kept.  destroy drops what create made and nothing else: a recorded
 * resource's database and role (the record says they are its), or, for an
 * unrecorded one (rolling back an interrupted create: no "state"), only
 * a marked role and the database it owns.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pgdriver.h"

/* Run SQL; on failure set *errmsg to "WHAT: server message". */
static int exec(PGconn *c, const char *sql, const char *what, char **errmsg)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok) {
		char *m = strdup(PQresultErrorMessage(r));
		if (m)
			m[strcspn(m, "\n")] = '\0';
		paved->error(errmsg, "%s: %s", what, m && *m ? m : PQerrorMessage(c));
		free(m);
	}
	PQclear(r);
	return ok ? PAVED_OK : PAVED_ERR;
}

/* Run FMT (with %s for the quoted identifier ID, up to three times). */
static int execf(PGconn *c, const char *what, char **errmsg, const char *fmt, const char *id)
{
	char *sql = pc_printf(fmt, id, id, id);
	int rc = sql ? exec(c, sql, what, errmsg) : paved->error(errmsg, "out of memory");
	free(sql);
	return rc;
}

/* The mark paved puts on the roles it makes (malloc()ed). */
static char *mark(paved_ctx *ctx)
{
	char real[PATH_MAX];
	const char *home = paved->home(ctx);
	return pc_printf("paved resource (home %s)", realpath(home, real) ? real : home);
}

enum { ABSENT, OURS, FOREIGN };

/* Whether role NAME is absent, marked with MARK, or someone else's. */
static int role_state(PGconn *c, const char *name, const char *mk)
{
	const char *params[] = { name };
	PGresult *r = PQexecParams(c, "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles "
	                           "WHERE rolname = $1", 1, NULL, params, NULL, NULL, 0);
	int st = PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) == 0 ? ABSENT
	       : !PQgetisnull(r, 0, 0) && !strcmp(PQgetvalue(r, 0, 0), mk) ? OURS : FOREIGN;
	PQclear(r);
	return st;
}

/* Database NAME's owner and encoding (malloc()ed), or false when absent. */
static bool db_state(PGconn *c, const char *name, char **owner, char **enc)
{
	const char *params[] = { name };
	PGresult *r = PQexecParams(c, "SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding) "
	                           "FROM pg_database WHERE datname = $1", 1, NULL, params, NULL,
	                           NULL, 0);
	bool there = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	*owner = there ? strdup(PQgetvalue(r, 0, 0)) : NULL;
	*enc = there ? strdup(PQgetvalue(r, 0, 1)) : NULL;
	PQclear(r);
	return there;
}

/* Percent-encode S for a URL's user or path. */
static char *urlencode(const char *s)
{
	char *o = malloc(strlen(s) * 3 + 1), *p = o;
	for (; o && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			*p++ = (char)c;
		else
			p += sprintf(p, "%%%02X", c);
	}
	if (o)
		*p = '\0';
	return o;
}

/* The settings a database gets from class and params: connection limit
 * and the backups comment. */
static int settings(paved_ctx *ctx, PGconn *c, json_t *res, const char *id, char **errmsg)
{
	char *b = ppg_backups(res), *note = pc_printf("paved: backups %s (the local cluster takes "
	                                               "none)", b ? b : "daily");
	char *lit = note ? PQescapeLiteral(c, note, strlen(note)) : NULL, *sql = NULL;
	int limit = ppg_connection_limit(ctx, json_string_value(json_object_get(res, "class")));
	int rc = PAVED_ERR;
	if (!lit || !(sql = pc_printf("ALTER DATABASE %s CONNECTION LIMIT %d; COMMENT ON DATABASE %s "
	                              "IS %s", id, limit, id, lit)))
		paved->error(errmsg, "out of memory");
	else
		rc = exec(c, sql, "cannot set up the database", errmsg);
	PQfreemem(lit);
	free(b), free(note), free(sql);
	return rc;
}

/* {url, state, summary} of the database NAME with password PW. */
static json_t *made(paved_ctx *ctx, json_t *res, const char *pw)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	char *u = urlencode(name), *b = ppg_backups(res);
	char *url = u ? pc_printf("postgresql://%s:%s@%s:%d/%s", u, pw, ppg_host(), ppg_port(), u) : NULL;
	char *summary = pc_printf("database \"%s\" on %s:%d", name, ppg_host(), ppg_port());
	json_t *r = json_pack("{ss s{ss si ss ss ss ss si ss} ss}", "url", url ? url : "",
	                      "state", "host", ppg_host(), "port", ppg_port(), "database", name,
	                      "role", name, "cluster",
	                      json_is_object(paved->option(ctx, "server")) ? "server" : "paved",
	                      "encoding", ppg_encoding(res), "connection_limit",
	                      ppg_connection_limit(ctx, json_string_value(json_object_get(res, "class"))),
	                      "backups", b ? b : "daily", "summary", summary ? summary : "database");
	if (url)
		explicit_bzero(url, strlen(url));
	free(u), free(b), free(url), free(summary);
	return r;
}

/* Make or adopt the role ID (NAME) with the SCRAM verifier LIT. */
static int make_role(PGconn *c, const char *name, const char *id, const char *lit,
                     const char *mk, bool *made_role, char **errmsg)
{
	int st = role_state(c, name, mk);
	char *what = pc_printf("cannot create role '%s'", name), *mlit = NULL, *sql = NULL;
	int rc = PAVED_ERR;
	if (st == FOREIGN) {
		paved->error(errmsg, "cannot create role '%s': it already exists and paved did not "
		             "make it; drop it or choose another name", name);
		goto out;
	}
	if (!(mlit = PQescapeLiteral(c, mk, strlen(mk))) ||
	    !(sql = st == ABSENT ? pc_printf("CREATE ROLE %s LOGIN PASSWORD %s; COMMENT ON ROLE %s IS "
	                                     "%s", id, lit, id, mlit)
	                         : pc_printf("ALTER ROLE %s WITH LOGIN PASSWORD %s", id, lit))) {
		paved->error(errmsg, "out of memory");
		goto out;
	}
	/* one simple query: both statements in one transaction */
	rc = exec(c, sql, what ? what : "cannot create the role", errmsg);
	*made_role = rc == PAVED_OK && st == ABSENT;
	/* a paved killed mid-create leaves its statement running in the server:
	 * when it commits first, ours fails as a duplicate -- the role is then
	 * there and paved's, so take it over with our password */
	if (rc != PAVED_OK && st == ABSENT && role_state(c, name, mk) != ABSENT &&
	    role_state(c, name, mk) != FOREIGN) {
		free(sql);
		sql = pc_printf("ALTER ROLE %s WITH LOGIN PASSWORD %s", id, lit);
		free(*errmsg), *errmsg = NULL;
		rc = sql ? exec(c, sql, what ? what : "cannot create the role", errmsg)
		         : paved->error(errmsg, "out of memory");
	}
out:
	if (sql)
		explicit_bzero(sql, strlen(sql));
	PQfreemem(mlit);
	free(what), free(sql);
	return rc;
}

/* Make the database ID (NAME) owned by its role, or adopt it. */
static int make_db(PGconn *c, json_t *res, const char *name, const char *id, bool *made_db,
                   char **errmsg)
{
	char *owner = NULL, *enc = NULL, *what = pc_printf("cannot create database '%s'", name);
	const char *want = ppg_encoding(res);
	int rc = PAVED_ERR;
	bool there = db_state(c, name, &owner, &enc);
	if (there && strcmp(owner, name)) {
		paved->error(errmsg, "cannot create database '%s': it already exists and belongs to "
		             "role '%s'", name, owner);
		goto out;
	}
	/* ours, half made (never handed out): with another encoding, made again */
	if (there && strcmp(enc, want) && execf(c, what, errmsg, "DROP DATABASE %s WITH (FORCE)", id))
		goto out;
	if (!there || strcmp(enc, want)) {
		char *sql = !strcmp(want, "UTF8")
		          ? pc_printf("CREATE DATABASE %s OWNER %s ENCODING 'UTF8' TEMPLATE template0",
		                      id, id)
		          : pc_printf("CREATE DATABASE %s OWNER %s ENCODING '%s' LC_COLLATE 'C' "
		                      "LC_CTYPE 'C' TEMPLATE template0", id, id, want);
		rc = sql ? exec(c, sql, what, errmsg) : paved->error(errmsg, "out of memory");
		free(sql);
		*made_db = rc == PAVED_OK;
		/* a paved killed mid-create leaves its CREATE DATABASE running in the
		 * server; when it commits first, ours fails as a duplicate: the
		 * database is then there, owned by its role -- adopt it */
		free(owner), free(enc);
		owner = enc = NULL;
		if (rc && !there && db_state(c, name, &owner, &enc) && !strcmp(owner, name) &&
		    !strcmp(enc, want)) {
			free(*errmsg), *errmsg = NULL;
			rc = PAVED_OK;
		}
		if (rc)
			goto out;
	}
	rc = PAVED_OK;
out:
	free(owner), free(enc), free(what);
	return rc;
}

int ppg_create(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	char pw[49], *id = NULL, *lit = NULL, *mk = mark(ctx);
	bool made_role = false, made_db = false;
	int rc = PAVED_ERR;
	PGconn *c;
	if (ppg_check(ctx, res, NULL, errmsg) || !(c = ppg_connect(ctx, true, errmsg)))
		goto out;
	if (pc_random_hex(pw, 24)) {
		paved->error(errmsg, "cannot make a password: getrandom failed");
		goto out;
	}
	/* Send a SCRAM verifier computed here, never the password itself: a
	 * failing statement lands in the server log, the password must not. */
	char *verifier = PQencryptPasswordConn(c, pw, name, "scram-sha-256");
	id = PQescapeIdentifier(c, name, strlen(name));
	lit = verifier ? PQescapeLiteral(c, verifier, strlen(verifier)) : NULL;
	PQfreemem(verifier);
	if (!id || !lit || !mk) {
		paved->error(errmsg, "cannot quote '%s': %s", name, PQerrorMessage(c));
		goto out;
	}
	if (make_role(c, name, id, lit, mk, &made_role, errmsg))
		goto out;
	ppg_fault("postgres.after_role");
	if (make_db(c, res, name, id, &made_db, errmsg) == PAVED_OK) {
		ppg_fault("postgres.after_database");
		if (execf(c, "cannot restrict access to the database", errmsg,
		          "REVOKE CONNECT, TEMPORARY ON DATABASE %s FROM PUBLIC", id) == PAVED_OK &&
		    settings(ctx, c, res, id, errmsg) == PAVED_OK) {
			*result = made(ctx, res, pw);
			rc = PAVED_OK;
			goto out;
		}
	}
	/* undo what this call made (an adopted role or database stays for the
	 * rollback, which knows it is paved's) */
	char *e = NULL, *m = *errmsg;
	int bad = PAVED_OK;
	*errmsg = NULL;
	if (made_db)
		bad = execf(c, "cannot drop the database again", &e,
		            "DROP DATABASE IF EXISTS %s WITH (FORCE)", id);
	if (!bad && made_role)
		bad = execf(c, "cannot drop the role again", &e, "DROP ROLE IF EXISTS %s", id);
	if (bad)
		paved->error(errmsg, "%s; and %s", m, e);
	else if (made_role)
		paved->error(errmsg, "%s (the role '%s' was dropped again)", m, name);
	else
		paved->error(errmsg, "%s", m);
	free(m), free(e);
out:
	explicit_bzero(pw, sizeof pw);
	if (lit)
		explicit_bzero(lit, strlen(lit));
	PQfreemem(id), PQfreemem(lit);
	free(mk);
	return rc;
}

int ppg_update(paved_ctx *ctx, json_t *res, json_t *prev, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	PGconn *c;
	char *id = NULL;
	int rc = PAVED_ERR;
	if (ppg_check(ctx, res, prev, errmsg) || !(c = ppg_connect(ctx, true, errmsg)))
		return PAVED_ERR;
	if (strcmp(ppg_encoding(res), ppg_encoding(prev)))
		return paved->error(errmsg, "resource '%s': params.encoding cannot change in place "
		                    "(the plan replaces the database)", name);
	if (!(id = PQescapeIdentifier(c, name, strlen(name))))
		return paved->error(errmsg, "cannot quote '%s'", name);
	if (settings(ctx, c, res, id, errmsg) == PAVED_OK) {
		json_t *m = made(ctx, res, "");
		*result = json_pack("{sO sO}", "state", json_object_get(m, "state"), "summary",
		                    json_object_get(m, "summary"));
		json_decref(m);
		rc = PAVED_OK;
	}
	PQfreemem(id);
	return rc;
}

int ppg_destroy(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	bool recorded = json_object_get(res, "state") != NULL;
	char *id = NULL, *mk = mark(ctx), *owner = NULL, *enc = NULL, *what = NULL;
	int rc = PAVED_ERR;
	PGconn *c = ppg_connect(ctx, true, errmsg);
	if (!c || !mk)
		goto out;
	if (!(id = PQescapeIdentifier(c, name, strlen(name)))) {
		paved->error(errmsg, "cannot quote '%s'", name);
		goto out;
	}
	int rs = role_state(c, name, mk);
	bool ours = recorded || rs == OURS;
	if (db_state(c, name, &owner, &enc) && ours && !strcmp(owner, name)) {
		what = pc_printf("cannot drop database '%s'", name);
		if (execf(c, what, errmsg, "DROP DATABASE IF EXISTS %s WITH (FORCE)", id))
			goto out;
	} else if (owner) {
		paved->log(ctx, PAVED_LOG_WARN, "database '%s' is not paved's (owner %s): kept", name,
		           owner);
	}
	free(what);
	what = pc_printf("cannot drop role '%s'", name);
	if (rs != ABSENT && ours && execf(c, what, errmsg, "DROP ROLE IF EXISTS %s", id))
		goto out;
	*result = json_pack("{ss}", "destroyed", name);
	rc = PAVED_OK;
out:
	PQfreemem(id);
	free(mk), free(owner), free(enc), free(what);
	return rc;
}

/* Whether database NAME has tables, views or sequences of its own. */
static json_t *has_data(const char *name)
{
	char *e = NULL;
	PGconn *d = ppg_connect_db(name, &e);
	json_t *v = NULL;
	if (d) {
		PGresult *r = PQexec(d, "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n "
		                        "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm', "
		                        "'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
		                        "AND n.nspname NOT LIKE 'pg_toast%')");
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			v = json_boolean(!strcmp(PQgetvalue(r, 0, 0), "t"));
		PQclear(r);
		PQfinish(d);
	}
	free(e);
	return v;
}

int ppg_status(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	char *e = NULL, *owner = NULL, *enc = NULL;
	PGconn *c = ppg_connect(ctx, false, &e);
	(void)errmsg;
	if (!c) {
		*result = json_pack("{ss ss}", "status", "stopped", "detail", e ? e : "not running");
		free(e);
		return PAVED_OK;
	}
	bool found = db_state(c, name, &owner, &enc);
	*result = json_pack("{ss ss+}", "status", found ? "running" : "missing",
	                    "detail", found ? "database on " : "no database on ", ppg_host());
	json_t *hd = found ? has_data(name) : json_false();
	if (hd)
		json_object_set_new(*result, "has_data", hd);
	free(owner), free(enc);
	return PAVED_OK;
}
