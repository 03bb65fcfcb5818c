/*
 * test_main.h -- the end of every Check test of the canary's pure modules:
 * run suite S and turn its result into the exit status.
 */
#ifndef CN_TEST_MAIN_H
#define CN_TEST_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int cn_test_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
