/*
 * lock.c -- the provisioning lock: an flock(2) on $PAVED_HOME/provision/lock
 * held while resources are created or destroyed, so two `paved apply` on
 * the same home run one after the other (the second waits, up to the
 * lock_timeout option, then fails cleanly) and nothing is duplicated.
 * Re-entrant within one process (apply calls create under its lock).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "provision.h"

static int lock_fd = -1, depth;

int pc_lock(paved_ctx *ctx, char **errmsg)
{
	if (depth > 0) {
		depth++;
		return PAVED_OK;
	}
	char *dir = pc_printf("%s/provision", paved->home(ctx)), *err = NULL;
	char *path = pc_printf("%s/lock", dir ? dir : "");
	json_t *t = paved->option(ctx, "lock_timeout");
	double limit = (json_is_integer(t) ? (double)json_integer_value(t) : 120.0) * 1000;
	int rc = PAVED_ERR;
	if (!dir || !path) {
		paved->error(errmsg, "out of memory");
		goto out;
	}
	if (pu_mkdirs(dir, 0700, &err)) {
		pc_fail(errmsg, err);
		goto out;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		paved->error(errmsg, "cannot open the provisioning lock %s: %s", path, strerror(errno));
		goto out;
	}
	double start = pu_now_ms();
	bool said = false;
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			paved->error(errmsg, "cannot lock %s: %s", path, strerror(errno));
			close(fd);
			goto out;
		}
		if (pu_now_ms() - start >= limit) {
			paved->error(errmsg, "another paved command is provisioning in %s and still "
			              "holds %s after %.0f s; try again when it has finished",
			              paved->home(ctx), path, limit / 1000);
			close(fd);
			goto out;
		}
		if (!said) {
			paved->log(ctx, PAVED_LOG_INFO, "waiting for another paved command that is "
			            "provisioning in %s", paved->home(ctx));
			said = true;
		}
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	lock_fd = fd;
	depth = 1;
	rc = PAVED_OK;
out:
	free(dir), free(path);
	return rc;
}

void pc_unlock(void)
{
	if (depth == 0 || --depth > 0)
		return;
	close(lock_fd);   /* releases the flock */
	lock_fd = -1;
}
