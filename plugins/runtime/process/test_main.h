/*
 * test_main.h -- the end of every Check test of the process runtime: run
 * suite S and turn its result into the exit status.
 */
#ifndef RT_TEST_MAIN_H
#define RT_TEST_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int trt_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
