# plugins/provision/redis: the redis-local driver of the provision area.
plugin_LTLIBRARIES += plugins/provision/redis/provision_redis.la
plugins_provision_redis_provision_redis_la_SOURCES = plugins/provision/redis/rdriver.h \
	plugins/provision/redis/redis.c plugins/provision/redis/server.c \
	plugins/provision/redis/params.c plugins/provision/redis/resp.c
plugins_provision_redis_provision_redis_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_provision_redis_provision_redis_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/provision/redis/.libs
EXTRA_DIST += plugins/provision/redis/README.md

# End to end with real redis-servers started in a temporary directory.
EXTRA_DIST += plugins/provision/redis/test_redis_e2e.sh
TESTS += plugins/provision/redis/test_redis_e2e.sh
