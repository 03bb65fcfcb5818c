/*
 * lock.c -- one lock per service and env, so deploys, rollbacks, restarts,
 * scales and stops of one service in one env run one after the other
 * (two pushes in a row deploy in order).  flock(2) on
 * $PAVED_HOME/deploy/locks/SERVICE.ENV.lock: the kernel drops it when the
 * holder dies, so a killed paved never leaves a stale lock.
 *
 * Re-entrant within one process: a hook called while this process already
 * holds the lock of that service and env (deploy.record from a strategy
 * driver during a deploy) goes on without waiting for itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "deploy.h"

/* The locks this process holds: "SERVICE.ENV" and its fd. */
#define HELD_MAX 8
static struct { char key[160]; int fd; } held[HELD_MAX];

int dc_lock(paved_ctx *ctx, const char *svc, const char *env, int *fd, char **errmsg)
{
	char key[160];
	snprintf(key, sizeof key, "%s.%s", svc, env);
	for (int i = 0; i < HELD_MAX; i++)
		if (held[i].fd > 0 && !strcmp(held[i].key, key)) {
			*fd = -2;   /* held by this process already: dc_unlock ignores it */
			return PAVED_OK;
		}
	char *dir = pc_printf("%s/deploy/locks", paved->home(ctx));
	char *path = pc_printf("%s/%s.%s.lock", dir, svc, env);
	json_t *t = paved->option(ctx, "lock_timeout");
	double timeout = json_is_integer(t) ? (double)json_integer_value(t) : 600, waited = 0;
	int rc = PAVED_ERR;
	*fd = -1;
	if (!dir || !path || pc_mkdir_p(dir, 0755) != 0 ||
	    (*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		paved->error(errmsg, "cannot open the lock %s: %s", path ? path : "?", strerror(errno));
		goto done;
	}
	while (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			paved->error(errmsg, "cannot lock %s: %s", path, strerror(errno));
			goto done;
		}
		if (waited == 0)
			paved->log(ctx, PAVED_LOG_INFO, "waiting for another paved command on %s (%s) "
			           "to finish", svc, env);
		if (waited >= timeout) {
			paved->error(errmsg, "another paved command on %s (%s) still holds %s after %.0f s; "
			             "try again when it has finished", svc, env, path, waited);
			goto done;
		}
		/* the other holder is a deploy: seconds, not microseconds */
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
		waited += 0.1;
	}
	rc = PAVED_OK;
	for (int i = 0; i < HELD_MAX; i++)
		if (held[i].fd <= 0) {
			snprintf(held[i].key, sizeof held[i].key, "%s", key);
			held[i].fd = *fd;
			break;
		}
done:
	if (rc && *fd >= 0)
		close(*fd), *fd = -1;
	free(dir), free(path);
	return rc;
}

void dc_unlock(int fd)
{
	if (fd < 0)
		return;
	for (int i = 0; i < HELD_MAX; i++)
		if (held[i].fd == fd)
			held[i].fd = 0;
	close(fd);   /* releases the flock */
}
