# plugins/monitoring/prometheus: a Lua plugin (installed as is).
dist_plugin_DATA += plugins/monitoring/prometheus/prometheus.lua
SRC_PLUGIN_DIRS += plugins/monitoring/prometheus
EXTRA_DIST += plugins/monitoring/prometheus/README.md
