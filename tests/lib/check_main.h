/*
 * check_main.h -- the end of a Check test program: run suite S and turn
 * its result into the exit status.  Header-only, so a plugin's unit tests
 * can use it without linking the host's test helpers (testutil.c).
 */
#ifndef PV_CHECK_MAIN_H
#define PV_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int tu_check_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
