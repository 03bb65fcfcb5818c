/*
 * forge_local.h -- internals shared by the files of the forge_local plugin
 * (prefix fl_).  Nothing here is exported from the module: the build keeps
 * only the plugin descriptor visible.
 *
 *   plugin.c   the descriptor, options and the driver's hook table
 *   args.c     argument checks: names, refs, known keys
 *   git.c      git through the host's runner (paved->run), argv only
 *   create.c   forge.driver.local.create
 *   repos.c    delete, archive, info, list
 *   commits.c  resolve, checkout
 *   hook.c     the bare repository's post-receive hook (push to deploy)
 *   fs.c       files and trees, no shell
 */
#ifndef FL_FORGE_LOCAL_H
#define FL_FORGE_LOCAL_H

#include <stdbool.h>
#include <sys/types.h>

#include <paved/plugin.h>

#include "pc.h"

PAVED_PLUGIN_INIT3;

#define FL_DEFAULT_AUTHOR  "paved <paved@localhost>"
#define FL_DEFAULT_BRANCH  "main"
#define FL_DEFAULT_MESSAGE "Initial commit from paved"

/* ---- args.c ------------------------------------------------------------ */

/* ^[a-z][a-z0-9-]{0,62}$: safe as a file name, in a URL and in a shell
 * script without quoting. */
bool fl_valid_name(const char *s);
/* The message for a name fl_valid_name refuses; returns PAVED_ERR. */
int  fl_bad_name(char **errmsg, const char *name);
/* A conservative subset of git-check-ref-format for branch names. */
bool fl_valid_branch(const char *s);
/* A ref a caller may name ("main", "v1.2", a sha or its prefix, "main~2"):
 * printable, no space, no ":?*[\\", no leading '-', no "..", at most
 * 200 characters (git itself checks the rest). */
bool fl_valid_ref(const char *s);
/* Refuse argument keys of ARGS other than the NULL-terminated KNOWN. */
int  fl_check_keys(json_t *args, const char *const known[], char **errmsg);
/* The required argument "name" of ARGS, checked; NULL with *ERRMSG. */
const char *fl_name_arg(json_t *args, char **errmsg);
/* Split "Name <email>" into malloc()ed *NAME and *EMAIL; -1 if malformed. */
int  fl_parse_author(const char *s, char **name, char **email);

/* ---- git.c ------------------------------------------------------------- */

/* The git program (option "git", default "git"). Borrowed. */
const char *fl_git_program(paved_ctx *ctx);
/* The environment changes every git run gets: the variables that would
 * point git at another repository, index or identity are unset; with
 * AUTHOR (a "Name <email>" already parsed into NAME and EMAIL), author and
 * committer are set.  NULL-terminated, malloc()ed: free with fl_env_free. */
char **fl_git_env(const char *name, const char *email);
void   fl_env_free(char **env);
/* Run git ARGV (argv[0] is replaced by the git program) with ENV changes
 * (NULL: fl_git_env(NULL, NULL)) in CWD (may be NULL).  With OUT, its
 * stdout (malloc()ed, trailing newline removed) goes there.  A failure is
 * PAVED_ERR with *ERRMSG "git WHAT failed: LINE", LINE being git's first
 * fatal:/error: line. */
int fl_git(paved_ctx *ctx, const char *what, const char *const argv[], char **env,
           const char *cwd, char **out, char **errmsg);
/* The same in two halves, to run git beside other work (paved->run_start). */
int fl_git_start(paved_ctx *ctx, const char *const argv[], char **env, paved_proc **proc,
                 char **errmsg);
int fl_git_wait(paved_ctx *ctx, const char *what, paved_proc *proc, char **errmsg);

/* ---- hook.c ------------------------------------------------------------ */

/* Write BARE/hooks/post-receive: a push to BRANCH runs
 * `PAVED --home HOME deploy NAME --env dev --version SHA --trigger push`
 * in the background, logged to HOME/logs/push/NAME.log.  PAVED is the
 * option "paved" or this process's executable when it is paved; when
 * neither is known no hook is written (*WRITTEN false).  PAVED_OK, or
 * PAVED_ERR with *ERRMSG. */
int fl_install_post_receive(paved_ctx *ctx, const char *bare, const char *name,
                            const char *branch, bool *written, char **errmsg);
/* Replace BARE's hooks with a pre-receive hook that refuses every push
 * ("repository NAME is archived").  0 or -1 with errno. */
int fl_install_archived(const char *bare, const char *name);

/* ---- paths (args.c) ------------------------------------------------------ */

/* $PAVED_HOME/forge/NAME.git, or the forge itself for NAME NULL; caller frees. */
char *fl_repo_path(paved_ctx *ctx, const char *name);
/* $PAVED_HOME/forge/archive; caller frees. */
char *fl_archive_dir(paved_ctx *ctx);
/* The default branch of bare repository BARE (from its HEAD), malloc()ed;
 * FL_DEFAULT_BRANCH when unreadable. */
char *fl_default_branch(const char *bare);

/* ---- the hooks (create.c, repos.c, commits.c) --------------------------- */

int fl_create(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int fl_delete(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int fl_archive(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int fl_info(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int fl_url(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int fl_list(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int fl_resolve(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);
int fl_checkout(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data);

/* ---- fs.c: files and trees, no shell --------------------------------- */

/* mkdir -p, rm -rf and pc_printf come from plugins/common (pc.h). */

/* Replicate the tree SRC under DST (created as needed): directories are
 * made, regular files hard-linked, or copied where linking is not possible
 * (another file system).  Symlinks and other kinds are skipped.  0 or -1
 * with errno set. */
int  fl_link_tree(const char *src, const char *dst);

/* Write DATA to PATH through a temporary file renamed over it, creating
 * the parent directories, with MODE.  0 or -1 with errno set. */
int  fl_write_file(const char *path, const char *data, mode_t mode);

/* Append DATA to the existing file PATH.  0 or -1 with errno set. */
int  fl_append_file(const char *path, const char *data);

/* Read the first line of PATH (without its newline) into a malloc()ed
 * string, or NULL with errno set. */
char *fl_read_line(const char *path);

/* Does PATH exist (lstat)? */
bool fl_exists(const char *path);

/* Remove write permission from everything under PATH.  0 or -1. */
int  fl_make_read_only(const char *path);

#endif /* FL_FORGE_LOCAL_H */
