/*
 * postgres.c -- the provision_postgres plugin: the "local" driver of
 * resource type postgres, hook provision.driver.postgres.local.
 *
 * create: CREATE ROLE name LOGIN PASSWORD <SCRAM verifier of a generated
 *         password, computed client-side>, CREATE DATABASE
 *         name OWNER name, REVOKE CONNECT ... FROM PUBLIC, all over one
 *         libpq connection with quoted identifiers and literals.  If
 *         anything fails after the role was created, the role (and
 *         database) are dropped again.  Returns the URL (the secret).
 * destroy: DROP DATABASE ... WITH (FORCE), DROP ROLE.
 * status, stop: see README.md.
 */
#include <string.h>

#include "pgdriver.h"

PAVED_PLUGIN_INIT1;

/* Run SQL; on failure set *errmsg to WHAT: server message. */
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

static int create(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	char pw[49], *err = NULL, *sql = NULL, *id = NULL, *lit = NULL, *u = NULL, *url = NULL;
	int rc = PAVED_ERR;
	PGconn *c = ppg_connect(ctx, true, errmsg);
	if (!c)
		return PAVED_ERR;
	if (pu_random_hex(pw, 24, &err))
		return paved->error(errmsg, "%s", err), free(err), PAVED_ERR;
	/* Send a SCRAM verifier computed here, never the password itself: a
	 * failing statement lands in the server log, the password must not. */
	char *verifier = PQencryptPasswordConn(c, pw, name, "scram-sha-256");
	id = PQescapeIdentifier(c, name, strlen(name));
	lit = verifier ? PQescapeLiteral(c, verifier, strlen(verifier)) : NULL;
	PQfreemem(verifier);
	if (!id || !lit) {
		paved->error(errmsg, "cannot quote '%s': %s", name, PQerrorMessage(c));
		goto out;
	}
	sql = pc_printf("CREATE ROLE %s LOGIN PASSWORD %s", id, lit);
	char *what = pc_printf("cannot create role '%s'", name);
	int bad = exec(c, sql, what ? what : "cannot create the role", errmsg);
	free(what);
	if (bad)
		goto out;
	free(sql);
	sql = pc_printf("CREATE DATABASE %s OWNER %s", id, id);
	what = pc_printf("cannot create database '%s'", name);
	bad = exec(c, sql, what ? what : "cannot create the database", errmsg);
	free(what);
	if (!bad) {
		free(sql);
		sql = pc_printf("REVOKE CONNECT, TEMPORARY ON DATABASE %s FROM PUBLIC", id);
		bad = exec(c, sql, "cannot restrict access to the database", errmsg);
		if (bad) {
			free(sql);
			sql = pc_printf("DROP DATABASE IF EXISTS %s", id);
			char *e = NULL;
			exec(c, sql, "drop", &e);
			free(e);
		}
	}
	if (bad) {
		/* undo: the role was created by us a moment ago */
		char *e = NULL, *m = *errmsg;
		free(sql);
		sql = pc_printf("DROP ROLE IF EXISTS %s", id);
		if (exec(c, sql, "cannot drop the role again", &e)) {
			*errmsg = NULL;
			paved->error(errmsg, "%s; and %s", m, e);
		} else {
			*errmsg = NULL;
			paved->error(errmsg, "%s (the role '%s' was dropped again)", m, name);
		}
		free(m), free(e);
		goto out;
	}
	u = pu_urlencode(name);
	url = pc_printf("postgresql://%s:%s@%s:%d/%s", u, pw, ppg_host(), ppg_port(), u);
	char *summary = pc_printf("database \"%s\" on %s:%d", name, ppg_host(), ppg_port());
	*result = json_pack("{ss s{ss si ss ss ss} ss}", "url", url,
	                    "state", "host", ppg_host(), "port", ppg_port(), "database", name,
	                    "role", name, "cluster",
	                    json_is_object(paved->option(ctx, "server")) ? "server" : "paved",
	                    "summary", summary ? summary : "database");
	free(summary);
	rc = PAVED_OK;
out:
	explicit_bzero(pw, sizeof pw);
	if (url)
		explicit_bzero(url, strlen(url));
	if (lit)
		explicit_bzero(lit, strlen(lit));
	if (sql)
		explicit_bzero(sql, strlen(sql));
	PQfreemem(id), PQfreemem(lit);
	free(sql), free(u), free(url);
	return rc;
}

static int destroy(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	PGconn *c = ppg_connect(ctx, true, errmsg);
	if (!c)
		return PAVED_ERR;
	char *id = PQescapeIdentifier(c, name, strlen(name)), *sql = NULL, *what = NULL;
	int rc = PAVED_ERR;
	if (!id) {
		paved->error(errmsg, "cannot quote '%s'", name);
		goto out;
	}
	sql = pc_printf("DROP DATABASE IF EXISTS %s WITH (FORCE)", id);
	what = pc_printf("cannot drop database '%s'", name);
	if (exec(c, sql, what, errmsg))
		goto out;
	free(sql), free(what);
	sql = pc_printf("DROP ROLE IF EXISTS %s", id);
	what = pc_printf("cannot drop role '%s'", name);
	if (exec(c, sql, what, errmsg))
		goto out;
	*result = json_pack("{ss}", "destroyed", name);
	rc = PAVED_OK;
out:
	PQfreemem(id);
	free(sql), free(what);
	return rc;
}

static int status(paved_ctx *ctx, json_t *res, json_t **result, char **errmsg)
{
	const char *name = json_string_value(json_object_get(res, "name"));
	char *e = NULL;
	PGconn *c = ppg_connect(ctx, false, &e);
	(void)errmsg;
	if (!c) {
		*result = json_pack("{ss ss}", "status", "stopped", "detail", e ? e : "not running");
		free(e);
		return PAVED_OK;
	}
	const char *params[] = { name };
	PGresult *r = PQexecParams(c, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL,
	                           params, NULL, NULL, 0);
	bool found = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	PQclear(r);
	*result = json_pack("{ss ss+}", "status", found ? "running" : "missing",
	                    "detail", found ? "database on " : "no database on ", ppg_host());
	return PAVED_OK;
}

/* provision.driver.postgres.local {action, resource} */
static int driver(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	(void)data;
	const char *action = json_string_value(json_object_get(args, "action"));
	json_t *res = json_object_get(args, "resource");
	if (action && !strcmp(action, "stop")) {
		int n = 0;
		if (ppg_stop(ctx, &n, errmsg))
			return PAVED_ERR;
		*result = json_pack("{si}", "stopped", n);
		return PAVED_OK;
	}
	if (!action || !json_is_string(json_object_get(res, "name")))
		return paved->error(errmsg, "arguments {\"action\", \"resource\": {\"name\", ...}} "
		                      "are required");
	if (!strcmp(action, "create"))
		return create(ctx, res, result, errmsg);
	if (!strcmp(action, "destroy"))
		return destroy(ctx, res, result, errmsg);
	if (!strcmp(action, "status"))
		return status(ctx, res, result, errmsg);
	if (!strcmp(action, "start")) {
		char *e = NULL;
		bool was = ppg_connect(ctx, false, &e) != NULL;
		free(e);
		if (!was && !ppg_connect(ctx, true, errmsg))
			return PAVED_ERR;
		*result = json_pack("{si}", "started", was ? 0 : 1);
		return PAVED_OK;
	}
	return paved->error(errmsg, "unknown action '%s' (create, destroy, status, stop, start)", action);
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	return paved->provide(ctx, "provision.driver.postgres.local", driver, NULL, NULL, errmsg);
}

static void fini(paved_ctx *ctx)
{
	(void)ctx;
	ppg_disconnect();
}

static const struct paved_option options[] = {
	{ "bindir", PAVED_OPT_STRING, "\"\"",
	  "directory of initdb and pg_ctl (default: newest /usr/lib/postgresql/N/bin, else PATH)" },
	{ "port", PAVED_OPT_INT, "0", "port of the paved-owned cluster (0: a free port)" },
	{ "start_timeout", PAVED_OPT_INT, "30", "seconds to wait for the cluster to start" },
	{ "run_as", PAVED_OPT_STRING, "\"postgres\"",
	  "when paved runs as root: the user the paved-owned cluster runs as (via runuser)" },
	{ "server", PAVED_OPT_OBJECT, "null",
	  "an existing server instead of a paved-owned cluster: {host, port, user, password, "
	  "dbname, sslmode}" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(provision_postgres, "1.0.0",
                     "PostgreSQL databases with their own role: the local provisioning driver",
                     init, fini, options);
