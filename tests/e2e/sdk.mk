# The SDK, end to end: install, then build plugins out of tree.
TESTS += tests/e2e/sdk_install.sh
EXTRA_DIST += tests/e2e/sdk_install.sh
