# plugins/provision/terraform: the terraform driver (main.tf.json).
plugin_LTLIBRARIES += plugins/provision/terraform/provision_terraform.la
plugins_provision_terraform_provision_terraform_la_SOURCES = \
	plugins/provision/terraform/terraform.c
plugins_provision_terraform_provision_terraform_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_provision_terraform_provision_terraform_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/provision/terraform/.libs
EXTRA_DIST += plugins/provision/terraform/README.md

# The generated module compared with expected files (and parsed by
# terraform when it is installed).
EXTRA_DIST += plugins/provision/terraform/test_terraform_e2e.sh \
	plugins/provision/terraform/testdata/platform.yaml \
	plugins/provision/terraform/testdata/production.tf.json \
	plugins/provision/terraform/testdata/staging-db-only.tf.json
TESTS += plugins/provision/terraform/test_terraform_e2e.sh
