/*
 * job.c -- child `paved` processes that the server waits for without
 * blocking.
 *
 * The host and plugins are not thread-safe, so long work (a golden path, a
 * deploy, a rollback) never runs inside the server: it runs as a child
 * paved (paved->run_start, argv only, output to a log file), and one
 * waiter thread per child calls paved->run_wait, which touches nothing but
 * that child's handle.  When it returns, the waiter writes the job's
 * address to the server's wake pipe; the loop (po_jobs_reap) then calls the
 * job's callback on the loop thread and frees the job.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc.h"
#include "portal.h"

struct po_job {
	struct po_server       *srv;
	paved_proc             *proc;
	po_job_done             done;
	void                   *data;
	struct paved_run_result res;
	int                     rc;
	char                   *err;
	pthread_t               thread;
};

static int running;

int po_jobs_running(void)
{
	return running;
}

void *po_job_data(struct po_job *job)
{
	return job->data;
}

static void *waiter(void *arg)
{
	struct po_job *j = arg;
	j->rc = paved->run_wait(j->srv->ctx, j->proc, &j->res, &j->err);
	ssize_t n;
	do
		n = write(j->srv->wake[1], &j, sizeof j);
	while (n < 0 && errno == EINTR);
	return NULL;
}

int po_job_start(struct po_server *s, const char *const *argv, const char *cwd,
                 const char *log, po_job_done done, void *data, char **errmsg)
{
	size_t n = 0;
	while (argv[n])
		n++;
	const char **full = calloc(n + 2, sizeof *full);
	struct po_job *j = calloc(1, sizeof *j);
	static const char *const env[] = { "NO_COLOR=1", NULL };
	if (!full || !j) {
		free(full), free(j);
		return paved->error(errmsg, "out of memory");
	}
	full[0] = s->paved_bin;
	memcpy(full + 1, argv, n * sizeof *argv);
	j->srv = s, j->done = done, j->data = data;
	struct paved_cmd cmd = { .argv = full, .cwd = cwd, .env = env, .log = log };
	int rc = paved->run_start(s->ctx, &cmd, &j->proc, errmsg);
	free(full);
	if (rc) {
		free(j);
		return rc;
	}
	if (pthread_create(&j->thread, NULL, waiter, j)) {
		/* no thread: wait here (it blocks the loop, but loses nothing) */
		j->rc = paved->run_wait(s->ctx, j->proc, &j->res, &j->err);
		done(s, j, &j->res, j->rc, j->err);
		free(j->res.out), free(j->res.err), free(j->err), free(j);
		return PAVED_OK;
	}
	running++;
	return PAVED_OK;
}

void po_jobs_reap(struct po_server *s)
{
	struct po_job *j;
	while (read(s->wake[0], &j, sizeof j) == (ssize_t)sizeof j) {
		pthread_join(j->thread, NULL);
		running--;
		j->done(s, j, &j->res, j->rc, j->err);
		free(j->res.out), free(j->res.err), free(j->err);
		free(j);
	}
}
