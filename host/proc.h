/*
 * proc.h -- run programs without a shell (prefix pv_proc_), and file tree
 * helpers (pv_rm_rf).
 */
#ifndef PV_PROC_H
#define PV_PROC_H

#include <stdbool.h>
#include <stddef.h>

struct pv_proc_result {
	int    status;      /* exit code, or 128+signal */
	bool   timed_out;
	char  *out, *err;   /* captured output, NUL-terminated, caller frees */
	size_t out_len, err_len;
};

/* Run ARGV (argv[0] looked up in PATH) in CWD (NULL: current) with ENV
 * entries "K=V" added to the environment (NULL-terminated, may be NULL),
 * feeding STDIN_DATA (may be NULL), killing it after TIMEOUT_MS (0: none).
 * Returns 0 when the program ran (whatever its exit code), -1 with
 * *ERRMSG when it could not be started. */
int  pv_proc_run(char *const argv[], const char *cwd, char *const env[],
                 const char *stdin_data, long timeout_ms,
                 struct pv_proc_result *res, char **errmsg);
void pv_proc_result_free(struct pv_proc_result *res);

/* rm -rf PATH (does not follow symlinks).  0 or -1 with *ERRMSG. */
int  pv_rm_rf(const char *path, char **errmsg);

#endif
