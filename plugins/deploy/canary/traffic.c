/*
 * traffic.c -- a canary's replicas and weights, through the runtime fronts
 * only (runtime.start, wait, weights, remove): see canary.h.
 *
 * The state's `ids` hold three groups of {id, port}: canary (the new
 * version), baseline (fresh replicas of the stable version, with a judge)
 * and stable (the replicas in traffic when the rollout began).  A step's
 * weight W becomes one runtime.weights batch: cw_split gives each group's
 * server weight so the canary takes exactly W% (and the baseline W% too).
 *
 * Abort: the marker file is written first, then the switch to stable is
 * sent under the traffic lock; cn_apply checks the marker under the same
 * lock, so a controller that decided on a canary weight before the abort
 * can never send it after.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "canary.h"
#include "weights.h"

int cn_start(paved_ctx *ctx, const char *svc, const char *env, json_t *release, int n,
             json_t *ids, char **errmsg)
{
	static const char *const copied[] = { "version", "dir", "argv", "variables", "health", NULL };
	json_t *mine = json_array(), *x;
	double timeout = json_number_value(json_object_get(release, "health_timeout"));
	int rc = PAVED_OK;
	size_t i;
	for (int k = 0; k < n && !rc; k++) {
		json_t *a = json_pack("{ss ss}", "service", svc, "env", env), *res = NULL;
		for (i = 0; copied[i]; i++)
			if (json_object_get(release, copied[i]))
				json_object_set(a, copied[i], json_object_get(release, copied[i]));
		rc = paved->call(ctx, "runtime.start", a, &res, errmsg);
		if (!rc && !json_is_string(json_object_get(res, "id")))
			rc = paved->error(errmsg, "runtime.start answered without a replica id");
		if (!rc)
			json_array_append_new(mine, json_pack("{sO sO}", "id", json_object_get(res, "id"),
			                                      "port", json_object_get(res, "port") ?:
			                                      json_integer(0)));
		json_decref(a), json_decref(res);
	}
	json_array_foreach(mine, i, x) {
		if (rc)
			break;
		json_t *w = json_pack("{sf}", "timeout", timeout > 0 ? timeout : 30.0);
		if (json_is_string(json_object_get(release, "health")))
			json_object_set(w, "path", json_object_get(release, "health"));
		rc = pc_replica_call(ctx, "runtime.wait", svc, env, json_object_get(x, "id"), w, errmsg);
		json_decref(w);
	}
	if (rc)
		cn_remove(ctx, svc, env, mine);
	else
		json_array_extend(ids, mine);
	json_decref(mine);
	return rc;
}

void cn_remove(paved_ctx *ctx, const char *svc, const char *env, json_t *ids)
{
	size_t i;
	json_t *x;
	json_array_foreach(ids, i, x) {
		char *err = NULL;
		if (pc_replica_call(ctx, "runtime.remove", svc, env, json_object_get(x, "id"), NULL, &err))
			paved->log(ctx, PAVED_LOG_WARN, "could not remove replica %s of %s (%s): %s",
			           json_string_value(json_object_get(x, "id")), svc, env, err ? err : "?");
		free(err);
	}
}

/* Set weight W on every replica of group LIST in OUT. */
static void group(json_t *out, json_t *list, int w)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
		json_object_set_new(out, json_string_value(json_object_get(x, "id")), json_integer(w));
}

json_t *cn_weights(json_t *st, double weight, char **errmsg)
{
	json_t *ids = json_object_get(st, "ids");
	json_t *c = json_object_get(ids, "canary"), *b = json_object_get(ids, "baseline");
	json_t *s = json_object_get(ids, "stable");
	int nb = (int)json_array_size(b);
	struct cw_split w;
	/* the baseline runs beside the canary while both fit; above 50% it leaves */
	if (nb && 2 * weight > 100)
		nb = 0;
	if (cw_split(weight, (int)json_array_size(c), nb, (int)json_array_size(s), &w) != 0) {
		paved->error(errmsg, "no weights give the canary %g%% with %zu canary, %d baseline and "
		             "%zu stable replicas", weight, json_array_size(c), nb, json_array_size(s));
		return NULL;
	}
	json_t *out = json_object();
	group(out, c, w.canary);
	group(out, b, nb ? w.baseline : 0);
	group(out, s, w.stable);
	return out;
}

/* Take the traffic lock of P (an flock held around one weights batch). */
static int traffic_lock(const struct cn_paths *p)
{
	char *path = pc_printf("%s/traffic.lock", p->dir);
	int fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	free(path);
	while (fd >= 0 && flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

static int send_weights(paved_ctx *ctx, json_t *st, json_t *weights, char **errmsg)
{
	json_t *a = json_pack("{sO sO sO}", "service", json_object_get(st, "service"), "env",
	                      json_object_get(st, "env"), "weights", weights), *res = NULL;
	int rc = paved->call(ctx, "runtime.weights", a, &res, errmsg);
	json_decref(a), json_decref(res);
	return rc;
}

int cn_apply(paved_ctx *ctx, const struct cn_paths *p, json_t *st, json_t *weights,
             char **errmsg)
{
	int fd = traffic_lock(p), rc;
	if (access(p->abort, F_OK) == 0)
		rc = paved->error(errmsg, "aborted");
	else
		rc = send_weights(ctx, st, weights, errmsg);
	if (fd >= 0)
		close(fd);
	return rc;
}

int cn_to_stable(paved_ctx *ctx, const struct cn_paths *p, json_t *st, const char *reason,
                 double *ms, char **errmsg)
{
	double t0 = cn_now();
	pc_write_file(p->abort, reason, strlen(reason), 0600);
	json_t *w = cn_weights(st, 0, errmsg);
	int fd = traffic_lock(p), rc = w ? send_weights(ctx, st, w, errmsg) : PAVED_ERR;
	if (fd >= 0)
		close(fd);
	json_decref(w);
	*ms = (cn_now() - t0) * 1000;
	return rc;
}

void cn_report(paved_ctx *ctx, json_t *st, const char *outcome)
{
	json_t *h = json_object_get(st, "history");
	size_t from = (size_t)json_integer_value(json_object_get(st, "reported"));
	json_t *steps = json_array(), *verdicts = cn_verdicts(st, false), *res = NULL;
	for (size_t i = from; i < json_array_size(h); i++)
		json_array_append(steps, json_array_get(h, i));
	json_t *a = json_pack("{sO sO sO so so}", "service", json_object_get(st, "service"), "env",
	                      json_object_get(st, "env"), "id", json_object_get(st, "id"), "steps",
	                      steps, "analysis", verdicts);
	if (outcome)
		json_object_set_new(a, "outcome", json_string(outcome));
	if (outcome && strcmp(outcome, "progressing") && json_is_string(json_object_get(st, "reason")))
		json_object_set(a, "reason", json_object_get(st, "reason"));
	if (outcome && !strcmp(outcome, "success"))
		json_object_set(a, "replicas", json_object_get(st, "replicas"));
	char *err = NULL;
	if (paved->call(ctx, "deploy.record", a, &res, &err) == PAVED_OK)
		json_object_set_new(st, "reported", json_integer((json_int_t)json_array_size(h)));
	else
		paved->log(ctx, PAVED_LOG_WARN, "the release record was not updated: %s", err ? err : "?");
	free(err);
	json_decref(a), json_decref(res);
}

void cn_flush(paved_ctx *ctx, const struct cn_paths *p, const char *outcome)
{
	int fd = cn_lock(p);
	json_t *st = cn_load(p);
	cn_unlock(fd);
	if (!st)
		return;
	json_int_t before = json_integer_value(json_object_get(st, "reported"));
	cn_report(ctx, st, outcome);   /* outside the lock: deploy.record takes the deploy lock */
	json_int_t after = json_integer_value(json_object_get(st, "reported"));
	if (after != before) {
		fd = cn_lock(p);
		json_t *cur = cn_load(p);
		if (cur && json_equal(json_object_get(cur, "id"), json_object_get(st, "id")) &&
		    json_integer_value(json_object_get(cur, "reported")) < after) {
			json_object_set_new(cur, "reported", json_integer(after));
			cn_save(p, cur, NULL);
		}
		cn_unlock(fd);
		json_decref(cur);
	}
	json_decref(st);
}

int cn_cleanup_lock(const struct cn_paths *p)
{
	char *path = pc_printf("%s/cleanup.lock", p->dir);
	int fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	free(path);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int cn_cleanup(paved_ctx *ctx, const struct cn_paths *p, int held, char **errmsg)
{
	/* one cleaner at a time; the kernel drops the lock on kill -9 */
	int cfd = held >= 0 ? held : cn_cleanup_lock(p);
	if (cfd < 0)
		return PAVED_OK;
	int fd = cn_lock(p);
	json_t *st = cn_load(p);
	int rc = PAVED_OK;
	if (!st || !json_is_true(json_object_get(st, "cleanup"))) {
		cn_unlock(fd);
		json_decref(st);
		close(cfd);
		return PAVED_OK;
	}
	json_t *c = json_deep_copy(json_object_get(json_object_get(st, "ids"), "canary"));
	json_t *b = json_deep_copy(json_object_get(json_object_get(st, "ids"), "baseline"));
	cn_unlock(fd);
	const char *svc = json_string_value(json_object_get(st, "service"));
	const char *env = json_string_value(json_object_get(st, "env"));
	cn_remove(ctx, svc, env, c);
	cn_remove(ctx, svc, env, b);
	json_decref(st);
	fd = cn_lock(p);
	st = cn_load(p);
	char *outcome = NULL;
	if (st) {
		json_object_set_new(json_object_get(st, "ids"), "canary", json_array());
		json_object_set_new(json_object_get(st, "ids"), "baseline", json_array());
		cn_note(st, "canary%s replicas removed (%zu%s)", json_array_size(b) ? " and baseline" : "",
		        json_array_size(c), json_array_size(b) ? " + baseline" : "");
		json_object_set_new(st, "cleanup", json_false());
		json_object_set_new(st, "finished", json_real(cn_now()));
		outcome = strdup(json_string_value(json_object_get(st, "outcome")) ?: "aborted");
		rc = cn_save(p, st, errmsg);
		cn_export(p, st);
	}
	cn_unlock(fd);
	if (outcome)
		cn_flush(ctx, p, outcome);
	close(cfd);
	free(outcome);
	json_decref(st), json_decref(c), json_decref(b);
	return rc;
}
