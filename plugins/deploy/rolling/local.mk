# plugins/deploy/rolling: deploy.service, the rolling strategy and the
# commands deploy, status, stop and logs.
# NOT BUILT on the runtime branch: rolling.c compiled the runtime plugin's
# util.c (ru_run, ru_now), which is gone; the deploy rewrite drops it.
EXTRA_DIST += plugins/deploy/rolling/rolling.c plugins/deploy/rolling/cli.c \
	plugins/deploy/rolling/rollback.c plugins/deploy/rolling/README.md

# End to end through the golden path (needs haproxy and node).
EXTRA_DIST += plugins/deploy/rolling/test_deploy_e2e.sh

# The blue-green strategy plugin lives beside this one.
include $(top_srcdir)/plugins/deploy/bluegreen/local.mk
