/*
 * cluster.c -- the PostgreSQL the local driver provisions into: either an
 * existing server named in the option "server", or a cluster paved owns
 * (initdb on first use, pg_ctl start on demand, on a free loopback port).
 * One superuser connection is kept open for the life of the process.
 *
 * Where the paved-owned cluster lives, BASE:
 *   - as an ordinary user, $PAVED_HOME/provision/postgres;
 *   - as root (PostgreSQL refuses to run as root), its programs run as the
 *     user of the option "run_as" (default "postgres") through runuser(1),
 *     in /var/lib/paved/pg-HASH, HASH of the home's real path; the home
 *     records it ($PAVED_HOME/provision/postgres is a link to it) and
 *     /var/lib/paved/pg-HASH/home names the home, so `paved resources stop`
 *     finds the cluster even after the home was removed (pc_sysdir_*).
 * BASE holds data/, port, superuser-password (0600), run/ (the socket),
 * postgres.log.
 *
 * A cluster is made all or nothing: initdb runs into data.new-PID, is
 * configured, and only then renamed to data.  A paved killed during initdb
 * leaves at most a data.new-* directory, removed by the next creation; a
 * data directory without its port file (left by earlier versions) never
 * started and is rebuilt.
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgdriver.h"

static PGconn *conn;
static char conn_host[256];
static int conn_port;
/* How to open more connections to the same server (ppg_connect_db). */
static char *su_host, *su_user, *su_pw, *su_ssl;

void ppg_fault(const char *name)
{
	const char *f = getenv("PAVED_TEST_FAULT");
	if (f && strcmp(f, name) == 0)
		raise(SIGKILL);
}

/* Make libpq's multi-line message one line: "refused Is the server ..." */
static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r == '\n') {
			*w++ = ' ';        /* never writes more than it read */
			while (r[1] == '\t' || r[1] == ' ')
				r++;
		} else if (*r != '\t') {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* The directory holding initdb and pg_ctl: option "bindir", else the
 * newest /usr/lib/postgresql/N/bin, else "" (look them up in PATH). */
static char *bindir(paved_ctx *ctx)
{
	const char *o = json_string_value(paved->option(ctx, "bindir"));
	if (o && *o)
		return strdup(o);
	DIR *d = opendir("/usr/lib/postgresql");
	int best = -1;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char *p = pc_printf("/usr/lib/postgresql/%s/bin/initdb", e->d_name);
		int v = atoi(e->d_name);
		if (p && access(p, X_OK) == 0 && v > best)
			best = v;
		free(p);
	}
	if (d)
		closedir(d);
	return best >= 0 ? pc_printf("/usr/lib/postgresql/%d/bin", best) : strdup("");
}

static char *prog(const char *dir, const char *name)
{
	return *dir ? pc_printf("%s/%s", dir, name) : strdup(name);
}

/* Connect with the given parameters; NULL and *errmsg on failure. */
static PGconn *connect_to(const char *host, int port, const char *user, const char *password,
                          const char *dbname, const char *sslmode, char **errmsg)
{
	char portbuf[16];
	snprintf(portbuf, sizeof portbuf, "%d", port);
	bool local = !strcmp(sslmode, "disable");   /* the paved-owned cluster: no GSSAPI either */
	const char *k[] = { "host", "port", "user", "password", "dbname", "sslmode",
	                    "connect_timeout", "application_name", local ? "gssencmode" : NULL, NULL };
	const char *v[] = { host, portbuf, user, password, dbname, sslmode, "5", "paved",
	                    local ? "disable" : NULL, NULL };
	PGconn *c = PQconnectdbParams(k, v, 0);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		char *m = strdup(c ? PQerrorMessage(c) : "out of memory");
		if (m)
			trim(m);
		paved->error(errmsg, "%s", m ? m : "out of memory");
		free(m);
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Remember how the superuser connected, for ppg_connect_db. */
static void remember(const char *host, int port, const char *user, const char *pw,
                     const char *ssl, const char *shown)
{
	free(su_host), free(su_user), free(su_ssl);
	if (su_pw)
		explicit_bzero(su_pw, strlen(su_pw));
	free(su_pw);
	su_host = strdup(host), su_user = strdup(user), su_ssl = strdup(ssl);
	su_pw = pw ? strdup(pw) : NULL;
	snprintf(conn_host, sizeof conn_host, "%s", shown);
	conn_port = port;
}

PGconn *ppg_connect_db(const char *db, char **errmsg)
{
	if (!su_host)
		return paved->error(errmsg, "not connected to PostgreSQL"), NULL;
	return connect_to(su_host, conn_port, su_user, su_pw, db, su_ssl, errmsg);
}

/* Paths of the paved-owned cluster. */
struct paths { char *base, *data, *log, *port, *pw, *run; };

/* The account the cluster runs as when paved is root, or NULL. */
static const struct passwd *run_as(paved_ctx *ctx, char **errmsg)
{
	const char *name = json_string_value(paved->option(ctx, "run_as"));
	const struct passwd *pw = getpwnam(name && *name ? name : "postgres");
	if (!pw || pw->pw_uid == 0)
		paved->error(errmsg, "PostgreSQL refuses to run as root and there is no user '%s' "
		             "to run it as: install PostgreSQL (scripts/bootstrap does), set "
		             "plugins.provision_postgres.run_as, or name an existing server in "
		             "plugins.provision_postgres.server", name && *name ? name : "postgres");
	return pw && pw->pw_uid != 0 ? pw : NULL;
}

/* Run ARGV (as the cluster's user when paved is root: runuser -u USER --),
 * checked: a failure's *ERRMSG says "PROGRAM exited with status N: LINE". */
static int run_pg(paved_ctx *ctx, const char *const argv[], long timeout_ms,
                  struct paved_run_result *res, char **errmsg)
{
	const char *v[24];
	size_t n = 0;
	const char *user = json_string_value(paved->option(ctx, "run_as"));
	if (geteuid() == 0) {
		v[n++] = "runuser", v[n++] = "-u", v[n++] = user && *user ? user : "postgres";
		v[n++] = "--";
	}
	for (size_t i = 0; argv[i] && n < 23; i++)
		v[n++] = argv[i];
	v[n] = NULL;
	return paved->run(ctx, &(struct paved_cmd){ .argv = v, .timeout_ms = timeout_ms,
	                                            .flags = PAVED_RUN_CHECK }, res, errmsg);
}

/* The link in the home that records where the cluster lives (root). */
static char *home_link(paved_ctx *ctx)
{
	return pc_printf("%s/provision/postgres", paved->home(ctx));
}

static int paths_init(paved_ctx *ctx, struct paths *p, bool existing)
{
	const char *home = paved->home(ctx);
	if (geteuid() == 0) {
		char *link = home_link(ctx);
		p->base = link ? pc_sysdir_find("pg", home, link) : NULL;
		if (!p->base && !existing)
			p->base = pc_sysdir("pg", home);
		free(link);
	} else {
		p->base = pc_printf("%s/provision/postgres", home);
	}
	if (!p->base)
		return -1;
	p->data = pc_printf("%s/data", p->base);
	p->log = pc_printf("%s/postgres.log", p->base);
	p->port = pc_printf("%s/port", p->base);
	p->pw = pc_printf("%s/superuser-password", p->base);
	p->run = pc_printf("%s/run", p->base);
	return p->data && p->log && p->port && p->pw && p->run ? 0 : -1;
}

static void paths_free(struct paths *p)
{
	free(p->base), free(p->data), free(p->log), free(p->port), free(p->pw), free(p->run);
}

/* The superuser's password (malloc()ed), from BASE, else where earlier
 * versions kept it ($PAVED_HOME/secrets/_postgres-superuser). */
static char *read_pw(paved_ctx *ctx, struct paths *p)
{
	char *pw = pc_read_file(p->pw);
	if (!pw) {
		char *old = pc_printf("%s/secrets/_postgres-superuser", paved->home(ctx));
		pw = old ? pc_read_file(old) : NULL;
		free(old);
	}
	if (pw)
		pw[strcspn(pw, "\n")] = '\0';
	return pw;
}

/* The socket directory for postgresql.conf (quotes doubled), or NULL when
 * its path is too long for a Unix socket. */
static char *socket_dir(struct paths *p)
{
	if (strlen(p->run) + sizeof "/.s.PGSQL.65535" > 100 || pc_mkdir_p(p->run, 0700))
		return NULL;
	char *q = malloc(strlen(p->run) * 2 + 1), *w = q;
	for (const char *r = p->run; q && *r; r++) {
		if (*r == '\'')
			*w++ = '\'';
		*w++ = *r;
	}
	if (q)
		*w = '\0';
	return q;
}

/* Superuser connection through the private socket, if there is one. */
static PGconn *socket_connect(struct paths *p, int port)
{
	char *sock = pc_printf("%s/.s.PGSQL.%d", p->run, port);
	bool there = sock && access(sock, F_OK) == 0;
	free(sock);
	if (!there)
		return NULL;
	char *e = NULL;
	PGconn *c = connect_to(p->run, port, "paved", NULL, "postgres", "disable", &e);
	free(e);
	if (c)
		remember(p->run, port, "paved", NULL, "disable", "127.0.0.1");
	return c;
}

/* The superuser's connection: through the private socket, else TCP. */
static PGconn *su_connect(struct paths *p, int port, const char *pw, char **errmsg)
{
	PGconn *c = socket_connect(p, port);
	if (!c && (c = connect_to("127.0.0.1", port, "paved", pw, "postgres", "disable", errmsg)))
		remember("127.0.0.1", port, "paved", pw, "disable", "127.0.0.1");
	return c;
}

/* As root: make sure the home records where its cluster is (the link) and
 * the registry names the home, also after the home was made anew. */
static void relink(paved_ctx *ctx, struct paths *p)
{
	char *link = home_link(ctx), target[4096];
	ssize_t n = link ? readlink(link, target, sizeof target - 1) : -1;
	struct stat st;
	if (n > 0)
		target[n] = '\0';
	if (link && (n <= 0 || strcmp(target, p->base)) && stat(p->base, &st) == 0 &&
	    pc_sysdir_make(p->base, paved->home(ctx), link, st.st_uid, st.st_gid) != 0)
		paved->log(ctx, PAVED_LOG_WARN, "cannot record the cluster %s in %s: %s", p->base,
		           link, strerror(errno));
	free(link);
}

/* Remove what a creation killed half way left in BASE: data.new-* of
 * processes that are gone, and a data directory that never got its port
 * file (it never started, so it holds nothing). */
static void clear_half_made(paved_ctx *ctx, struct paths *p)
{
	DIR *d = opendir(p->base);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		long pid = strncmp(e->d_name, "data.new-", 9) == 0 ? atol(e->d_name + 9) : 0;
		if (pid <= 0 || (kill((pid_t)pid, 0) == 0 && pid != getpid()))
			continue;
		char *dir = pc_printf("%s/%s", p->base, e->d_name);
		paved->log(ctx, PAVED_LOG_WARN, "removing %s, left by a cluster creation that was "
		           "interrupted", dir ? dir : e->d_name);
		if (dir)
			pc_rmtree(dir);
		free(dir);
	}
	if (d)
		closedir(d);
	if (access(p->data, F_OK) == 0 && access(p->port, F_OK) != 0) {
		paved->log(ctx, PAVED_LOG_WARN, "rebuilding the half-made PostgreSQL cluster in %s "
		           "(it has no port file: it never started)", p->data);
		pc_rmtree(p->data);
	}
}

/* Write the superuser password PW to BASE (and, as root, a copy initdb's
 * user can read: *PWFILE, removed by the caller). */
static int write_pw(struct paths *p, const char *pw, const struct passwd *owner, char **pwfile,
                    char **errmsg)
{
	*pwfile = owner ? pc_printf("%s/.pwfile", p->base) : strdup(p->pw);
	if (!*pwfile || pc_write_file(p->pw, pw, strlen(pw), 0600) ||
	    (owner && (pc_write_file(*pwfile, pw, strlen(pw), 0600) ||
	               chown(*pwfile, owner->pw_uid, owner->pw_gid))))
		return paved->error(errmsg, "cannot write the superuser password in %s: %s", p->base,
		                    strerror(errno));
	return PAVED_OK;
}

/* initdb a new cluster on PORT, all or nothing (see the top). */
static int create_cluster(paved_ctx *ctx, struct paths *p, const char *bin, int port,
                          char **errmsg)
{
	char pw[49], *initdb = prog(bin, "initdb"), *conf = NULL, *ptext = pc_printf("%d\n", port);
	char *pwfile = NULL, *tmp = pc_printf("%s/data.new-%ld", p->base, (long)getpid());
	char *cpath = tmp ? pc_printf("%s/postgresql.conf", tmp) : NULL, *link = home_link(ctx);
	const struct passwd *owner = NULL;
	int rc = PAVED_ERR;
	if (geteuid() == 0 && !(owner = run_as(ctx, errmsg)))
		goto out;
	if (!tmp || !cpath || !ptext || !link) {
		paved->error(errmsg, "out of memory");
		goto out;
	}
	if (owner ? pc_sysdir_make(p->base, paved->home(ctx), link, owner->pw_uid, owner->pw_gid)
	          : pc_mkdir_p(p->base, 0700)) {
		paved->error(errmsg, "cannot create %s: %s", p->base, strerror(errno));
		goto out;
	}
	clear_half_made(ctx, p);
	if (pc_random_hex(pw, 24) || write_pw(p, pw, owner, &pwfile, errmsg)) {
		if (!*errmsg)
			paved->error(errmsg, "cannot make a password: %s", strerror(errno));
		goto out;
	}
	const char *argv[] = { initdb, "-D", tmp, "-U", "paved", "--auth-local=trust",
	                       "--auth-host=scram-sha-256", "--pwfile", pwfile, "-E", "UTF8",
	                       "--locale=C", "--no-instructions", "--no-sync", NULL };
	char *err = NULL;
	int st = run_pg(ctx, argv, 120000, NULL, &err);
	if (owner)
		unlink(pwfile);
	if (st != PAVED_OK) {
		if (strstr(err, "cannot run"))
			paved->error(errmsg, "cannot run initdb (%s): %s; install PostgreSQL (scripts/"
			             "bootstrap does) or set plugins.provision_postgres.bindir", initdb, err);
		else
			paved->error(errmsg, "initdb failed: %s", err);
		free(err);
		goto fail;
	}
	ppg_fault("postgres.after_initdb");
	/* The superuser connects through a Unix socket in a directory only we
	 * can enter (trust there, like pg_regress): no SCRAM round (~35 ms per
	 * process).  Applications use TCP with their password.  A socket path
	 * longer than sun_path allows means TCP for the superuser too. */
	char *sockdir = socket_dir(p);
	if (owner && sockdir && chown(p->run, owner->pw_uid, owner->pw_gid) != 0) {
		free(sockdir);
		sockdir = NULL;
	}
	conf = pc_printf("\n# added by paved\nport = %d\nlisten_addresses = '127.0.0.1'\n"
	                 "unix_socket_directories = '%s'\nunix_socket_permissions = 0700\n"
	                 "max_connections = 50\nshared_buffers = 32MB\n", port,
	                 sockdir ? sockdir : "");
	free(sockdir);
	FILE *f = conf ? fopen(cpath, "a") : NULL;
	if (!f || fputs(conf, f) < 0 || fclose(f) ||
	    pc_write_file(p->port, ptext, strlen(ptext), 0600) || rename(tmp, p->data)) {
		paved->error(errmsg, "cannot configure the cluster in %s: %s", tmp, strerror(errno));
		goto fail;
	}
	rc = PAVED_OK;
	goto out;
fail:
	pc_rmtree(tmp);
	unlink(p->port);
out:
	explicit_bzero(pw, sizeof pw);
	free(initdb), free(conf), free(ptext), free(pwfile), free(tmp), free(cpath), free(link);
	return rc;
}

/* Start the cluster with pg_ctl (it is down); PAVED_OK when it runs. */
static int start_cluster(paved_ctx *ctx, struct paths *p, const char *bin, int port,
                         char **errmsg)
{
	if (pc_port_taken(port))
		return paved->error(errmsg, "port 127.0.0.1:%d of the paved PostgreSQL cluster is "
		                    "already in use by another program; stop it, then try again", port);
	char *pgctl = prog(bin, "pg_ctl"), tbuf[16], *err = NULL;
	json_t *to = paved->option(ctx, "start_timeout");
	long secs = json_is_integer(to) ? (long)json_integer_value(to) : 30;
	snprintf(tbuf, sizeof tbuf, "%ld", secs);
	const char *argv[] = { pgctl, "start", "-D", p->data, "-l", p->log, "-w", "-t", tbuf, "-s",
	                       NULL };
	int rc = run_pg(ctx, argv, (secs + 10) * 1000, NULL, &err);
	if (rc != PAVED_OK) {
		char *log = pc_read_file(p->log), *line = log ? pc_last_line(log) : NULL;
		if (strstr(err, "cannot run"))
			paved->error(errmsg, "cannot run pg_ctl (%s): %s; install PostgreSQL or set "
			             "plugins.provision_postgres.bindir", pgctl, err);
		else
			paved->error(errmsg, "PostgreSQL is not running and could not be started in %s: "
			             "%s (see %s)", p->data, line && *line ? line : err, p->log);
		free(log), free(line);
	}
	free(pgctl), free(err);
	return rc;
}

/* Connect to the paved-owned cluster, creating and starting it first when
 * needed. */
static PGconn *own_cluster(paved_ctx *ctx, bool start, char **errmsg)
{
	struct paths p = { 0 };
	char *bin = NULL, *pw = NULL, *ptext = NULL;
	PGconn *c = NULL;
	if (geteuid() == 0 && !run_as(ctx, errmsg))
		return NULL;
	if (paths_init(ctx, &p, !start) || !(bin = bindir(ctx))) {
		if (!start && !p.base)
			paved->error(errmsg, "the paved PostgreSQL cluster does not exist yet");
		else
			paved->error(errmsg, "out of memory");
		goto out;
	}
	char *ver = pc_printf("%s/PG_VERSION", p.data);
	bool exists = ver && access(ver, F_OK) == 0 && access(p.port, F_OK) == 0;
	free(ver);
	if (!exists) {
		if (!start) {
			paved->error(errmsg, "the paved PostgreSQL cluster does not exist yet");
			goto out;
		}
		int port = (int)json_integer_value(paved->option(ctx, "port"));
		if (port > 0 && pc_port_taken(port)) {
			paved->error(errmsg, "port 127.0.0.1:%d is already in use; stop what listens "
			             "there or set plugins.provision_postgres.port to another port "
			             "(0 picks a free one)", port);
			goto out;
		}
		if (port <= 0 && (port = pc_free_port()) < 0) {
			paved->error(errmsg, "cannot find a free port on 127.0.0.1: %s", strerror(errno));
			goto out;
		}
		if (create_cluster(ctx, &p, bin, port, errmsg))
			goto out;
	}
	ptext = pc_read_file(p.port);
	int port = ptext ? atoi(ptext) : 0;
	pw = read_pw(ctx, &p);
	if (!pw || port <= 0) {
		paved->error(errmsg, "the paved PostgreSQL cluster in %s has no superuser password "
		             "(%s); remove %s to start afresh (its databases are lost)", p.data, p.pw,
		             p.base);
		goto out;
	}
	if (geteuid() == 0)
		relink(ctx, &p);
	char *e1 = NULL;
	if ((c = su_connect(&p, port, pw, &e1)) || !start) {
		if (!c)
			paved->error(errmsg, "%s", e1);
		free(e1);
		goto out;
	}
	free(e1);
	e1 = NULL;
	if (start_cluster(ctx, &p, bin, port, errmsg) == PAVED_OK &&
	    !(c = su_connect(&p, port, pw, &e1)))
		paved->error(errmsg, "PostgreSQL started in %s but refuses the connection: %s",
		             p.data, e1);
	free(e1);
out:
	if (pw)
		explicit_bzero(pw, strlen(pw));
	free(pw), free(bin), free(ptext);
	paths_free(&p);
	return c;
}

PGconn *ppg_connect(paved_ctx *ctx, bool start, char **errmsg)
{
	if (conn && PQstatus(conn) == CONNECTION_OK)
		return conn;
	PQfinish(conn);
	conn = NULL;
	json_t *srv = paved->option(ctx, "server");
	if (!json_is_object(srv))
		return conn = own_cluster(ctx, start, errmsg);
	const char *host = json_string_value(json_object_get(srv, "host"));
	int port = json_is_integer(json_object_get(srv, "port"))
	         ? (int)json_integer_value(json_object_get(srv, "port")) : 5432;
	const char *user = json_string_value(json_object_get(srv, "user"));
	const char *pw = json_string_value(json_object_get(srv, "password"));
	const char *db = json_string_value(json_object_get(srv, "dbname"));
	const char *ssl = json_string_value(json_object_get(srv, "sslmode"));
	char *e = NULL;
	conn = connect_to(host ? host : "127.0.0.1", port, user ? user : "postgres", pw,
	                  db ? db : "postgres", ssl ? ssl : "prefer", &e);
	if (!conn) {
		paved->error(errmsg, "cannot connect to the PostgreSQL server %s:%d named in "
		             "plugins.provision_postgres.server: %s; start it or fix the setting",
		             host ? host : "127.0.0.1", port, e);
		free(e);
		return NULL;
	}
	remember(host ? host : "127.0.0.1", port, user ? user : "postgres", pw,
	         ssl ? ssl : "prefer", host ? host : "127.0.0.1");
	return conn;
}

const char *ppg_host(void) { return conn_host; }
int ppg_port(void) { return conn_port; }

void ppg_disconnect(void)
{
	PQfinish(conn);
	conn = NULL;
	if (su_pw)
		explicit_bzero(su_pw, strlen(su_pw));
	free(su_host), free(su_user), free(su_ssl), free(su_pw);
	su_host = su_user = su_ssl = su_pw = NULL;
}

int ppg_stop(paved_ctx *ctx, int *stopped, char **errmsg)
{
	struct paths p = { 0 };
	char *bin = NULL, *pgctl = NULL, *pid = NULL, *err = NULL;
	int rc = PAVED_OK;
	*stopped = 0;
	ppg_disconnect();
	if (json_is_object(paved->option(ctx, "server")))
		return PAVED_OK;            /* not ours to stop */
	if (paths_init(ctx, &p, true))  /* no cluster anywhere for this home */
		goto out;
	if (!(bin = bindir(ctx)) || !(pgctl = prog(bin, "pg_ctl")) ||
	    !(pid = pc_printf("%s/postmaster.pid", p.data))) {
		rc = paved->error(errmsg, "out of memory");
		goto out;
	}
	if (access(pid, F_OK) != 0)
		goto out;
	const char *argv[] = { pgctl, "stop", "-D", p.data, "-m", "fast", "-w", "-s", NULL };
	if (run_pg(ctx, argv, 60000, NULL, &err) != PAVED_OK)
		rc = paved->error(errmsg, "cannot stop the paved PostgreSQL cluster in %s: %s", p.data,
		                  err);
	else
		*stopped = 1;
out:
	free(bin), free(pgctl), free(pid), free(err);
	paths_free(&p);
	return rc;
}
