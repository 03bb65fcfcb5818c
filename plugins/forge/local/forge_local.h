/*
 * forge_local.h -- internals shared by the files of the forge_local plugin
 * (prefix fl_).  Nothing here is exported from the module: the build keeps
 * only the plugin descriptor visible.
 */
#ifndef FL_FORGE_LOCAL_H
#define FL_FORGE_LOCAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "pc.h"

/* ---- run.c: git processes, argv only, never a shell ------------------ */

/* A started child process and the read end of the pipe carrying its stderr. */
struct fl_child {
	pid_t       pid;
	int         errfd;
	const char *what;   /* "init", "commit", ... for messages (borrowed) */
};

/* The environment every git child gets: the caller's, minus the variables
 * that would point git at another repository or identity, plus
 * GIT_{AUTHOR,COMMITTER}_{NAME,EMAIL} set to NAME and EMAIL.  Returns a
 * NULL-terminated malloc()ed array (free with fl_env_free) or NULL when out
 * of memory. */
char **fl_git_env(const char *name, const char *email);
void   fl_env_free(char **env);

/* PROG if it has a '/', else the first executable PROG in $PATH, as a
 * malloc()ed path; NULL with errno set (ENOENT, EACCES, ...) when there is
 * none.  Resolved once per call, so a missing git is reported the same way
 * whatever posix_spawn does, and before anything is created. */
char *fl_find_program(const char *prog);

/* Start ARGV (argv[0] a path, see fl_find_program) with stdin and stdout on
 * /dev/null and stderr captured.  On failure sets *ERRMSG ("cannot run git
 * ('ARGV0'): REASON") and returns nonzero. */
int fl_start(char *const argv[], char **env, const char *what, struct fl_child *c,
             char **errmsg);

/* Wait for C, reading its stderr to the end.  Returns 0 when it exited 0;
 * otherwise sets *ERRMSG to "git WHAT failed: LINE" where LINE is the first
 * "fatal:"/"error:" line of its stderr (else its first line, else its exit
 * status).  C is finished either way.  ERRMSG may be NULL. */
int fl_finish(struct fl_child *c, char **errmsg);

/* fl_start + fl_finish. */
int fl_run(char *const argv[], char **env, const char *what, char **errmsg);

/* ---- fs.c: files and trees, no shell --------------------------------- */

/* mkdir -p, rm -rf and pc_printf come from plugins/common (pc.h). */

/* Replicate the tree SRC under DST (created as needed): directories are
 * made, regular files hard-linked, or copied where linking is not possible
 * (another file system).  Symlinks and other kinds are skipped.  0 or -1
 * with errno set. */
int  fl_link_tree(const char *src, const char *dst);

/* Write DATA to PATH through a temporary file renamed over it, creating
 * the parent directories.  0 or -1 with errno set. */
int  fl_write_file(const char *path, const char *data);

/* Append DATA to the existing file PATH.  0 or -1 with errno set. */
int  fl_append_file(const char *path, const char *data);

/* Read the first line of PATH (without its newline) into a malloc()ed
 * string, or NULL with errno set. */
char *fl_read_line(const char *path);

/* Does PATH exist (lstat)? */
bool fl_exists(const char *path);

#endif /* FL_FORGE_LOCAL_H */
