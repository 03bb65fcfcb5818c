# plugins/provision/postgres: the postgres-local driver of the provision
# area (libpq; a paved-owned PostgreSQL cluster or an existing server).
plugin_LTLIBRARIES += plugins/provision/postgres/provision_postgres.la
plugins_provision_postgres_provision_postgres_la_SOURCES = \
	plugins/provision/postgres/pgdriver.h plugins/provision/postgres/postgres.c \
	plugins/provision/postgres/sql.c plugins/provision/postgres/params.c \
	plugins/provision/postgres/cluster.c
plugins_provision_postgres_provision_postgres_la_CPPFLAGS = $(AM_CPPFLAGS) $(PQ_CFLAGS)
plugins_provision_postgres_provision_postgres_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_provision_postgres_provision_postgres_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS) $(PQ_LIBS)
BUILD_PLUGIN_DIRS += plugins/provision/postgres/.libs
EXTRA_DIST += plugins/provision/postgres/README.md

# End to end on a real PostgreSQL started in a temporary directory; kill -9
# at several points of apply, then a rerun that converges.
EXTRA_DIST += plugins/provision/postgres/test_postgres_e2e.sh \
	plugins/provision/postgres/test_postgres_faults.sh plugins/provision/common/e2e-lib.sh
TESTS += plugins/provision/postgres/test_postgres_e2e.sh \
	plugins/provision/postgres/test_postgres_faults.sh
