# host/: the paved binary, built from a convenience library the unit
# tests link too.
noinst_LTLIBRARIES += host/libpaved.la
host_libpaved_la_SOURCES = \
	host/host.h host/cli.h \
	host/api.c host/config.c host/events.c host/host.c host/kinds.c \
	host/loader.c host/plugin_cache.c host/registry.c host/state.c host/util.c \
	host/cli_call.c host/cli_plugins.c host/cli_recipes.c host/cli_cmd.c \
	host/template.c host/template_parse.c host/template_int.h host/template.h host/skeleton.c host/skeleton.h \
	host/proc.c host/proc.h host/state_runs.c host/state_runs.h \
	host/lua_rt.h host/lua_sandbox.c host/lua_json.c host/lua_paved.c host/lua_plugin.c \
	host/lua_pattern.h host/lua_pattern.c host/lua_strlib.c host/lua_tablib.c \
	host/lua_confine.c host/lua_fs.c \
	host/recipe.h host/recipe.c host/recipe_params.c host/recipe_run.c \
	host/yaml.c host/yaml_scalar.c host/yaml_write.c host/shapes.c host/cli_parse.c host/platform.c
nodist_host_libpaved_la_SOURCES = host/hooks_json.c
host_libpaved_la_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE_CFLAGS) $(LUA_CFLAGS) $(YAML_CFLAGS) \
	-DPV_RECIPEDIR='"$(pkgdatadir)/golden-paths"' \
	-DPV_ABS_SRCDIR='"$(abs_top_srcdir)"' \
	-DPV_PLUGINDIR='"$(plugindir)"' \
	-DPV_ABS_BUILDDIR='"$(abs_top_builddir)"' \
	-DPV_BUILD_PLUGIN_DIRS='"$(subst $(empty) $(empty),:,$(strip \
		$(addprefix $(abs_top_builddir)/,$(BUILD_PLUGIN_DIRS)) \
		$(addprefix $(abs_top_srcdir)/,$(SRC_PLUGIN_DIRS))))"'
host_libpaved_la_LIBADD = $(JANSSON_LIBS) $(SQLITE_LIBS) $(LUA_LIBS) $(LTDL_LIBS) $(YAML_LIBS)

# sdk/hooks.json (the declared hook shapes) compiled in as a C string, and
# installed beside the golden paths for plugin authors and tools.
host/hooks_json.c: $(top_srcdir)/sdk/hooks.json
	$(AM_V_GEN){ echo '/* generated from sdk/hooks.json: do not edit */'; \
	  echo 'const char pv_hooks_json[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@
BUILT_SOURCES = host/hooks_json.c
CLEANFILES += host/hooks_json.c
dist_pkgdata_DATA = sdk/hooks.json

bin_PROGRAMS += host/paved
host_paved_SOURCES = host/main.c
host_paved_CPPFLAGS = $(host_libpaved_la_CPPFLAGS)
host_paved_LDADD = host/libpaved.la

# The build-tree plugin and recipe paths are compiled in: recompile when a
# plugin's local.mk changes them.
host/libpaved_la-loader.lo host/libpaved_la-recipe.lo: Makefile
