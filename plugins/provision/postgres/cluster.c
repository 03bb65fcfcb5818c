/*
 * cluster.c -- the PostgreSQL the local driver provisions into: either an
 * existing server named in the option "server", or a cluster paved owns
 * under $PAVED_HOME/provision/postgres (initdb on first use, pg_ctl start
 * on demand, on a free loopback port; the superuser's password is a
 * generated secret in $PAVED_HOME/secrets/_postgres-superuser, mode 0600).
 * One superuser connection is kept open for the life of the process.
 *
 * PostgreSQL refuses to run as root.  When paved runs as root (a fresh
 * machine, CI), the cluster's programs run as the user of the option
 * "run_as" (default "postgres", created by Debian's postgresql package)
 * through runuser(1), and the cluster lives where that user can reach it:
 * /var/lib/paved/pg-HASH (HASH of $PAVED_HOME), with
 * $PAVED_HOME/provision/postgres a symbolic link to it.
 */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgdriver.h"

static PGconn *conn;
static char conn_host[256];
static int conn_port;

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

/* As root, run ARGV as the cluster's user: "runuser -u USER -- ARGV...".
 * Returns ARGV itself otherwise.  The result is malloc()ed when different. */
static const char **as_user(paved_ctx *ctx, const char *const argv[])
{
	if (geteuid() != 0)
		return (const char **)argv;
	size_t n = 0;
	while (argv[n])
		n++;
	const char **v = calloc(n + 5, sizeof *v);
	const char *name = json_string_value(paved->option(ctx, "run_as"));
	if (!v)
		return NULL;
	v[0] = "runuser", v[1] = "-u", v[2] = name && *name ? name : "postgres", v[3] = "--";
	memcpy(v + 4, argv, (n + 1) * sizeof *v);
	return v;
}

static int run_pg(paved_ctx *ctx, const char *const argv[], int timeout_ms, char **out,
                  char **errtext, char **err)
{
	const char **v = as_user(ctx, argv);
	if (!v)
		return pu_err(err, "out of memory");
	int st = pu_run(v, NULL, timeout_ms, out, errtext, err);
	if (v != (const char **)argv)
		free(v);
	return st;
}

/* As root: the cluster's base outside $PAVED_HOME (which the cluster's user
 * may not be able to enter), linked from $PAVED_HOME/provision/postgres. */
static char *root_base(const char *home)
{
	unsigned long long x = 1469598103934665603ULL;
	for (const char *s = home; *s; s++)
		x = (x ^ (unsigned char)*s) * 1099511628211ULL;
	return pc_printf("/var/lib/paved/pg-%016llx", x);
}

static int paths_init(paved_ctx *ctx, struct paths *p)
{
	const char *home = paved->home(ctx);
	p->base = geteuid() == 0 ? root_base(home) : pc_printf("%s/provision/postgres", home);
	if (!p->base)
		return -1;
	p->data = pc_printf("%s/data", p->base);
	p->log = pc_printf("%s/postgres.log", p->base);
	p->port = pc_printf("%s/port", p->base);
	p->pw = pc_printf("%s/secrets/_postgres-superuser", home);
	p->run = pc_printf("%s/run", p->base);
	return p->base && p->data && p->log && p->port && p->pw && p->run ? 0 : -1;
}

static void paths_free(struct paths *p)
{
	free(p->base), free(p->data), free(p->log), free(p->port), free(p->pw), free(p->run);
}

/* The socket directory for postgresql.conf (quotes doubled), or NULL when
 * its path is too long for a Unix socket. */
static char *socket_dir(struct paths *p)
{
	if (strlen(p->run) + sizeof "/.s.PGSQL.65535" > 100 || pu_mkdirs(p->run, 0700, NULL))
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
	return c;
}

/* initdb a new cluster on PORT; removes what it made on failure. */
static int create_cluster(paved_ctx *ctx, struct paths *p, const char *bin, int port,
                          char **errmsg)
{
	char pw[49], *err = NULL, *out = NULL, *etext = NULL, *sdir = pc_printf("%s/secrets",
	                                                                        paved->home(ctx));
	char *initdb = prog(bin, "initdb"), *conf = NULL, *ptext = pc_printf("%d\n", port);
	int rc = PAVED_ERR;
	const struct passwd *owner = NULL;
	char *pwfile = geteuid() == 0 ? pc_printf("%s/.pwfile", p->base) : strdup(p->pw);
	if (geteuid() == 0 && !(owner = run_as(ctx, errmsg)))
		goto out;
	if (!pwfile || (owner && pu_mkdirs("/var/lib/paved", 0755, &err)) ||
	    pu_mkdirs(p->base, 0700, &err) || pu_mkdirs(sdir, 0700, &err) ||
	    pu_random_hex(pw, 24, &err) || pu_write_file(p->pw, pw, strlen(pw), 0600, &err) ||
	    (owner && pu_write_file(pwfile, pw, strlen(pw), 0600, &err))) {
		paved->error(errmsg, "%s", err ? err : "out of memory");
		goto out;
	}
	if (owner) {
		char *link = pc_printf("%s/provision/postgres", paved->home(ctx));
		char *parent = pc_printf("%s/provision", paved->home(ctx));
		if (chown(p->base, owner->pw_uid, owner->pw_gid) ||
		    chown(pwfile, owner->pw_uid, owner->pw_gid)) {
			paved->error(errmsg, "cannot give %s to user %s: %s", p->base, owner->pw_name,
			               strerror(errno));
			free(link), free(parent);
			goto out;
		}
		if (link && parent && pu_mkdirs(parent, 0700, NULL) == 0) {
			unlink(link);
			if (symlink(p->base, link) != 0)
				paved->log(ctx, PAVED_LOG_WARN, "cannot link %s to %s: %s", link, p->base,
				             strerror(errno));
		}
		free(link), free(parent);
	}
	const char *argv[] = { initdb, "-D", p->data, "-U", "paved", "--auth-local=trust",
	                       "--auth-host=scram-sha-256", "--pwfile", pwfile, "-E", "UTF8",
	                       "--locale=C", "--no-instructions", "--no-sync", NULL };
	int st = run_pg(ctx, argv, 120000, &out, &etext, &err);
	if (owner)
		unlink(pwfile);
	if (st != 0) {
		char *line = pu_last_line(etext);
		if (st < 0)
			paved->error(errmsg, "cannot run initdb (%s): %s; install PostgreSQL (scripts/"
			               "bootstrap does) or set plugins.provision_postgres.bindir", initdb,
			               err);
		else
			paved->error(errmsg, "initdb failed: %s", line ? line : "?");
		free(line);
		pu_rmtree(p->data, NULL);
		unlink(p->pw);
		goto out;
	}
	/* The superuser connects through a Unix socket in a directory only we
	 * can enter (trust there, like pg_regress): no SCRAM round (~35 ms per
	 * process).  Applications use TCP with their password.  A socket path
	 * longer than sun_path allows means TCP for the superuser too. */
	char *sockdir = socket_dir(p);
	if (owner && chown(p->run, owner->pw_uid, owner->pw_gid) != 0) {
		free(sockdir);
		sockdir = NULL;    /* the superuser then connects over TCP */
	}
	conf = pc_printf("\n# added by paved\nport = %d\nlisten_addresses = '127.0.0.1'\n"
	                 "unix_socket_directories = '%s'\nunix_socket_permissions = 0700\n"
	                 "max_connections = 50\nshared_buffers = 32MB\n", port,
	                 sockdir ? sockdir : "");
	free(sockdir);
	char *cpath = pc_printf("%s/postgresql.conf", p->data);
	FILE *f = cpath ? fopen(cpath, "a") : NULL;
	if (!f || fputs(conf, f) < 0 || fclose(f) ||
	    pu_write_file(p->port, ptext, strlen(ptext), 0600, &err)) {
		paved->error(errmsg, "cannot configure the cluster in %s", p->data);
		free(cpath);
		pu_rmtree(p->data, NULL);
		unlink(p->pw);
		goto out;
	}
	free(cpath);
	rc = PAVED_OK;
out:
	explicit_bzero(pw, sizeof pw);
	free(err), free(out), free(etext), free(sdir), free(initdb), free(conf), free(ptext);
	free(pwfile);
	return rc;
}

/* Connect to the paved-owned cluster, creating and starting it first when
 * needed. */
static PGconn *own_cluster(paved_ctx *ctx, bool start, char **errmsg)
{
	struct paths p = { 0 };
	char *bin = NULL, *pw = NULL, *etext = NULL, *out = NULL, *err = NULL, *pgctl = NULL;
	PGconn *c = NULL;
	if (geteuid() == 0 && !run_as(ctx, errmsg))
		return NULL;
	if (paths_init(ctx, &p) || !(bin = bindir(ctx))) {
		paved->error(errmsg, "out of memory");
		goto out;
	}
	struct stat st;
	char *ver = pc_printf("%s/PG_VERSION", p.data);
	bool exists = ver && stat(ver, &st) == 0;
	free(ver);
	if (!exists) {
		if (!start) {
			paved->error(errmsg, "the paved PostgreSQL cluster does not exist yet");
			goto out;
		}
		json_t *o = paved->option(ctx, "port");
		int port = (int)json_integer_value(o);
		if (port > 0 && pu_port_taken(port)) {
			paved->error(errmsg, "port 127.0.0.1:%d is already in use; stop what listens "
			               "there or set plugins.provision_postgres.port to another port "
			               "(0 picks a free one)", port);
			goto out;
		}
		if (port <= 0 && pu_free_port(&port, &err)) {
			paved->error(errmsg, "%s", err);
			goto out;
		}
		if (create_cluster(ctx, &p, bin, port, errmsg))
			goto out;
	}
	char *ptext = pu_read_file(p.port);
	int port = ptext ? atoi(ptext) : 0;
	free(ptext);
	pw = pu_read_file(p.pw);
	if (!pw || port <= 0) {
		paved->error(errmsg, "the paved PostgreSQL cluster in %s is incomplete (%s "
		               "missing); remove %s to start afresh", p.data, pw ? p.port : p.pw, p.base);
		goto out;
	}
	pw[strcspn(pw, "\n")] = '\0';
	char *e1 = NULL;
	if ((c = socket_connect(&p, port)) ||
	    (c = connect_to("127.0.0.1", port, "paved", pw, "postgres", "disable", &e1))) {
		free(e1);
		snprintf(conn_host, sizeof conn_host, "127.0.0.1");
		conn_port = port;
		goto out;
	}
	free(e1);
	if (!start)
		goto out;
	if (pu_port_taken(port)) {
		paved->error(errmsg, "port 127.0.0.1:%d of the paved PostgreSQL cluster is already "
		               "in use by another program; stop it, then try again", port);
		goto out;
	}
	pgctl = prog(bin, "pg_ctl");
	json_t *to = paved->option(ctx, "start_timeout");
	char tbuf[16];
	snprintf(tbuf, sizeof tbuf, "%lld", json_is_integer(to) ? (long long)json_integer_value(to) : 30LL);
	const char *argv[] = { pgctl, "start", "-D", p.data, "-l", p.log, "-w", "-t", tbuf, "-s", NULL };
	int s = run_pg(ctx, argv, (atoi(tbuf) + 10) * 1000, &out, &etext, &err);
	if (s != 0) {
		char *line = pu_file_last_line(p.log);
		char *l2 = pu_last_line(etext);
		if (s < 0)
			paved->error(errmsg, "cannot run pg_ctl (%s): %s; install PostgreSQL or set "
			               "plugins.provision_postgres.bindir", pgctl, err);
		else
			paved->error(errmsg, "PostgreSQL is not running and could not be started in %s: "
			               "%s (see %s)", p.data, line && *line ? line : (l2 ? l2 : "?"), p.log);
		free(line), free(l2);
		goto out;
	}
	char *e2 = NULL;
	if (!(c = socket_connect(&p, port)) &&
	    !(c = connect_to("127.0.0.1", port, "paved", pw, "postgres", "disable", &e2)))
		paved->error(errmsg, "PostgreSQL started in %s but refuses the connection: %s",
		               p.data, e2);
	else
		snprintf(conn_host, sizeof conn_host, "127.0.0.1"), conn_port = port;
	free(e2);
out:
	if (pw)
		explicit_bzero(pw, strlen(pw));
	free(pw), free(bin), free(etext), free(out), free(err), free(pgctl);
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
	if (json_is_object(srv)) {
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
		snprintf(conn_host, sizeof conn_host, "%s", host ? host : "127.0.0.1");
		conn_port = port;
		return conn;
	}
	conn = own_cluster(ctx, start, errmsg);
	return conn;
}

const char *ppg_host(void) { return conn_host; }
int ppg_port(void) { return conn_port; }

void ppg_disconnect(void)
{
	PQfinish(conn);
	conn = NULL;
}

int ppg_stop(paved_ctx *ctx, int *stopped, char **errmsg)
{
	struct paths p = { 0 };
	char *bin = NULL, *pgctl = NULL, *out = NULL, *etext = NULL, *err = NULL, *pid = NULL;
	int rc = PAVED_OK;
	*stopped = 0;
	ppg_disconnect();
	if (json_is_object(paved->option(ctx, "server")))
		return PAVED_OK;            /* not ours to stop */
	if (paths_init(ctx, &p) || !(bin = bindir(ctx)) || !(pgctl = prog(bin, "pg_ctl")) ||
	    !(pid = pc_printf("%s/postmaster.pid", p.data))) {
		rc = paved->error(errmsg, "out of memory");
		goto out;
	}
	if (access(pid, F_OK) != 0)
		goto out;
	const char *argv[] = { pgctl, "stop", "-D", p.data, "-m", "fast", "-w", "-s", NULL };
	int s = run_pg(ctx, argv, 60000, &out, &etext, &err);
	if (s != 0) {
		char *l = pu_last_line(etext);
		rc = paved->error(errmsg, "cannot stop the paved PostgreSQL cluster in %s: %s",
		                    p.data, s < 0 ? err : l);
		free(l);
	} else {
		*stopped = 1;
	}
out:
	free(bin), free(pgctl), free(out), free(etext), free(err), free(pid);
	paths_free(&p);
	return rc;
}
