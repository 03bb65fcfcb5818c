/*
 * control.c -- the controller of one rollout: `paved rollout _controller
 * SERVICE --env ENV`, started detached (state.c), one per service and env
 * (it holds controller.lock for its whole life).  It drives the steps of
 * the state (rollout.json) until the rollout is Healthy or Degraded:
 *
 *   setWeight W   scale the canary to max(1, ceil(N * W / 100)) replicas
 *                 (and, with a judge, as many baseline replicas while W <=
 *                 50), then one weights batch gives it exactly W%
 *   pause D       wait D (an absolute deadline: the schedule does not
 *                 drift); pause {} waits for `paved promote`
 *   analysis      an analysis run (measure.c) until it ends: Successful
 *                 goes on, Inconclusive pauses, Failed or Error rolls back
 *                 (with rollback.auto false: pauses)
 *   the end       the canary scaled to N replicas takes 100%, the stable
 *                 and baseline replicas are removed, the record says
 *                 success and the release is live
 * The background analysis runs beside the steps from its startingStep to
 * the end, paused or not.  Measurements are taken outside the state lock
 * and applied only if no command changed the rollout meanwhile (`gen`).
 * Commands (promote, abort, retry) change the state under its lock; the
 * controller reads it at least every 100 ms.  Killed (even by kill -9), it
 * leaves the state as it was: the next paved command on the rollout starts
 * a new controller, which resumes from the state (a pause keeps its
 * deadline, an analysis run its measurements).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "canary.h"

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Sleep until epoch T, at most MAX seconds. */
static void sleep_until(double t, double max)
{
	double d = t - cn_now();
	if (d > max)
		d = max;
	if (d <= 0)
		return;
	struct timespec ts = { (time_t)d, (long)((d - floor(d)) * 1e9) };
	nanosleep(&ts, NULL);
}

/* The run named NAME in ST's runs, or NULL. */
static json_t *run_of(json_t *st, const char *name)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(st, "runs"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "name")) ?: "", name))
			return r;
	return NULL;
}

static const char *sv(json_t *st, const char *k)
{
	return json_string_value(json_object_get(st, k));
}

/* Roll back after the analysis said REASON: all traffic to stable, the
 * record says rolled_back, the canary goes. */
static void roll_back(paved_ctx *ctx, const struct cn_paths *p, const char *reason)
{
	char *err = NULL;
	double ms = 0;
	int fd = cn_lock(p);
	json_t *st = cn_load(p);
	cn_unlock(fd);
	if (!st)
		return;
	int rc = cn_to_stable(ctx, p, st, reason, &ms, &err);
	json_decref(st);
	fd = cn_lock(p);
	st = cn_load(p);
	if (st && cn_active(st) && !json_is_true(json_object_get(st, "cleanup"))) {
		json_object_set_new(st, "phase", json_string(CN_DEGRADED));
		json_object_set_new(st, "outcome", json_string("rolled_back"));
		json_object_set_new(st, "reason", json_string(reason));
		json_object_set_new(st, "cleanup", json_true());
		json_object_set_new(st, "weight", json_integer(0));
		if (rc)
			cn_note(st, "rolling back: %s; the switch to stable failed: %s", reason, err);
		else
			cn_note(st, "rolled back: %s (all traffic on stable in %.1f ms)", reason, ms);
		cn_save(p, st, NULL);
	}
	cn_unlock(fd);
	json_decref(st);
	free(err);
	cn_cleanup(ctx, p, -1, NULL);
}

/* The analysis said REASON and rollback.auto is false: pause instead. */
static void pause_for(json_t *st, const char *why)
{
	json_object_set_new(st, "phase", json_string(CN_PAUSED));
	json_object_set_new(st, "message", json_string(why));
	cn_note(st, "paused: %s", why);
}

/* Scale group GROUP ("canary", "baseline") of the rollout to WANT
 * replicas of RELEASE; under no lock (it waits for health checks). */
static int scale(paved_ctx *ctx, const struct cn_paths *p, const char *group, json_t *release,
                 int want, char **err)
{
	int fd = cn_lock(p);
	json_t *st = cn_load(p);
	cn_unlock(fd);
	int have = (int)json_array_size(json_object_get(json_object_get(st, "ids"), group));
	int rc = PAVED_OK;
	if (st && have < want) {
		json_t *ids = json_array();
		rc = cn_start(ctx, sv(st, "service"), sv(st, "env"), release, want - have, ids, err);
		fd = cn_lock(p);
		json_t *now = cn_load(p);
		if (!rc && now && access(p->abort, F_OK) != 0) {
			json_array_extend(json_object_get(json_object_get(now, "ids"), group), ids);
			cn_note(now, "%d %s replica%s started and healthy", want - have, group,
			        want - have == 1 ? "" : "s");
			cn_save(p, now, NULL);
		} else if (!rc) {
			cn_remove(ctx, sv(st, "service"), sv(st, "env"), ids);   /* aborted meanwhile */
			rc = paved->error(err, "aborted");
		}
		cn_unlock(fd);
		json_decref(now), json_decref(ids);
	}
	json_decref(st);
	return rc;
}

/* The step setWeight W: replicas, then one weights batch. */
static int set_weight(paved_ctx *ctx, const struct cn_paths *p, json_t *st, double w, char **err)
{
	int n = (int)json_integer_value(json_object_get(st, "replicas"));
	int want = (int)ceil(n * w / 100);
	json_t *spec = json_object_get(st, "spec");
	if (want < 1)
		want = 1;
	int rc = scale(ctx, p, "canary", json_object_get(st, "release"), want, err);
	if (!rc && json_is_true(json_object_get(spec, "baseline")) && 2 * w <= 100 && w > 0)
		rc = scale(ctx, p, "baseline", json_object_get(st, "stable"), want, err);
	if (rc)
		return rc;
	int fd = cn_lock(p);
	json_t *now = cn_load(p);
	cn_unlock(fd);
	json_t *weights = now ? cn_weights(now, w, err) : NULL;
	rc = weights ? cn_apply(ctx, p, now, weights, err) : PAVED_ERR;
	json_decref(weights), json_decref(now);
	return rc;
}

/* The end: N canary replicas take everything, stable and baseline go. */
static void complete(paved_ctx *ctx, const struct cn_paths *p)
{
	char *err = NULL;
	int fd = cn_lock(p);
	json_t *st = cn_load(p);
	cn_unlock(fd);
	if (!st || !cn_active(st))
		goto done;
	int n = (int)json_integer_value(json_object_get(st, "replicas"));
	int rc = scale(ctx, p, "canary", json_object_get(st, "release"), n, &err);
	if (!rc) {
		fd = cn_lock(p);
		json_t *now = cn_load(p);
		cn_unlock(fd);
		json_t *w = json_object(), *x;
		size_t i;
		static const char *const groups[] = { "canary", "baseline", "stable" };
		for (int g = 0; g < 3; g++)
			json_array_foreach(json_object_get(json_object_get(now, "ids"), groups[g]), i, x)
				json_object_set_new(w, sv(x, "id"), json_integer(g == 0 ? 100 : 0));
		rc = cn_apply(ctx, p, now, w, &err);
		json_decref(w);
		if (!rc) {
			cn_remove(ctx, sv(now, "service"), sv(now, "env"),
			          json_object_get(json_object_get(now, "ids"), "stable"));
			cn_remove(ctx, sv(now, "service"), sv(now, "env"),
			          json_object_get(json_object_get(now, "ids"), "baseline"));
		}
		json_decref(now);
	}
	fd = cn_lock(p);
	json_decref(st);
	st = cn_load(p);
	if (st && cn_active(st) && !rc) {
		json_object_set_new(st, "phase", json_string(CN_HEALTHY));
		json_object_set_new(st, "outcome", json_string("success"));
		json_object_set_new(st, "weight", json_integer(100));
		json_object_set_new(st, "step", json_integer((json_int_t)json_array_size(
		                    json_object_get(json_object_get(st, "spec"), "steps"))));
		json_object_set_new(st, "finished", json_real(cn_now()));
		cn_note(st, "promoted: %d replica%s of version %s take all traffic; the stable%s "
		        "replicas are removed", n, n == 1 ? "" : "s", sv(st, "version"),
		        json_array_size(json_object_get(json_object_get(st, "ids"), "baseline")) ?
		        " and baseline" : "");
		json_object_set_new(json_object_get(st, "ids"), "stable", json_array());
		json_object_set_new(json_object_get(st, "ids"), "baseline", json_array());
		cn_save(p, st, NULL);
	}
	cn_unlock(fd);
	if (st && rc && strcmp(err ? err : "", "aborted")) {
		char *reason = pc_printf("the promotion to 100%% failed: %s", err ? err : "?");
		roll_back(ctx, p, reason);
		free(reason);
	} else if (st && !rc) {
		cn_flush(ctx, p, "success");
		fd = cn_lock(p);
		json_decref(st);
		st = cn_load(p);
		cn_unlock(fd);
		if (st)
			cn_export(p, st);
	}
done:
	json_decref(st);
	free(err);
}

/* React to run RUN's PHASE (not Running) with WHY: go on, pause or roll
 * back.  Under the lock, on ST; *ROLLBACK (malloc()ed) asks the caller
 * to roll back. */
static void decide(json_t *st, json_t *run, const char *phase, const char *why, bool is_step,
                   char **rollback)
{
	const char *name = sv(run, "name");
	bool autoroll = !json_is_false(json_object_get(json_object_get(st, "spec"), "autoRollback"));
	if (!strcmp(phase, CA_SUCCESSFUL)) {
		cn_note(st, "analysis %s Successful%s%s", name, why ? ": " : "", why ? why : "");
		if (is_step) {
			json_object_set_new(st, "step", json_integer(json_integer_value(
			                    json_object_get(st, "step")) + 1));
			json_object_set_new(st, "step_started", json_real(cn_now()));
		}
		return;
	}
	char *text = pc_printf("analysis %s %s: %s", name, phase, why ? why : "");
	if (!strcmp(phase, CA_INCONCLUSIVE)) {
		pause_for(st, text);   /* promote continues, abort rolls back */
		free(text);
	} else if (autoroll) {
		cn_note(st, "%s", text);
		*rollback = text;
	} else {
		char *t2 = pc_printf("%s; rollback.auto is false: 'paved abort' rolls back, 'paved "
		                     "promote' goes on", text);
		pause_for(st, t2);
		free(t2), free(text);
	}
}

/* One round of measurements of the step's run and the background run. */
static void measure_round(paved_ctx *ctx, const struct cn_paths *p)
{
	int fd = cn_lock(p);
	json_t *st = cn_load(p), *takes = json_object(), *run;
	cn_unlock(fd);
	if (!st)
		goto done;
	json_int_t gen = json_integer_value(json_object_get(st, "gen"));
	double now = cn_now();
	size_t i;
	json_array_foreach(json_object_get(st, "runs"), i, run) {
		if (ca_completed(sv(run, "phase")) || json_is_true(json_object_get(run, "closed")))
			continue;
		double next = cn_run_next(run);
		if (!next || next > now)
			continue;
		json_t *taken = NULL;
		cn_run_measure(ctx, st, run, now, &taken);
		json_object_set_new(takes, sv(run, "name"), taken);
	}
	if (!json_object_size(takes))
		goto done;
	char *rollback = NULL;
	fd = cn_lock(p);
	json_t *cur = cn_load(p);
	if (cur && json_integer_value(json_object_get(cur, "gen")) == gen && cn_active(cur) &&
	    !json_is_true(json_object_get(cur, "cleanup"))) {
		const char *name;
		json_t *taken;
		json_object_foreach(takes, name, taken) {
			json_t *r = run_of(cur, name);
			if (!r)
				continue;
			char *why = NULL;
			const char *phase = cn_run_apply(ctx, cur, r, taken, &why);
			bool is_step = json_equal(json_object_get(cur, "step_run"), json_object_get(r, "name"));
			if (strcmp(phase, CA_RUNNING) && !rollback)
				decide(cur, r, phase, why, is_step, &rollback);
			free(why);
		}
		cn_save(p, cur, NULL);
		cn_export(p, cur);
	}
	cn_unlock(fd);
	json_decref(cur);
	if (rollback)
		roll_back(ctx, p, rollback);
	free(rollback);
done:
	json_decref(st), json_decref(takes);
}

/* Advance the step machine once.  Returns 1 to go on at once, 0 to wait
 * (until *WAKE), -1 when the rollout has ended. */
static int advance(paved_ctx *ctx, const struct cn_paths *p, double *wake)
{
	char *err = NULL;
	int fd = cn_lock(p), ret = 0;
	json_t *st = cn_load(p);
	double now = cn_now();
	*wake = now + 0.1;
	if (!st) {
		cn_unlock(fd);
		return -1;
	}
	if (json_is_true(json_object_get(st, "cleanup"))) {
		cn_unlock(fd);
		json_decref(st);
		cn_cleanup(ctx, p, -1, NULL);
		return -1;
	}
	if (!cn_active(st) || access(p->abort, F_OK) == 0) {
		bool active = cn_active(st);   /* an abort is being written: wait for it */
		cn_unlock(fd);
		json_decref(st);
		return active ? 0 : -1;
	}
	json_t *spec = json_object_get(st, "spec"), *steps = json_object_get(spec, "steps");
	json_int_t k = json_integer_value(json_object_get(st, "step"));
	json_t *bg = json_object_get(spec, "background");
	/* the background analysis from its starting step on */
	if (bg && k >= json_integer_value(json_object_get(bg, "startingStep")) &&
	    !json_is_true(json_object_get(st, "full"))) {
		char name[32];
		snprintf(name, sizeof name, "background-%lld",
		         (long long)json_integer_value(json_object_get(st, "bg_runs")) + 1);
		json_t *cur = run_of(st, sv(st, "bg_run") ?: "");
		if (!cur) {
			json_t *r = cn_run_new(json_object_get(bg, "metrics"), false, now);
			json_object_set_new(r, "name", json_string(name));
			json_array_append_new(json_object_get(st, "runs"), r);
			json_object_set_new(st, "bg_run", json_string(name));
			json_object_set_new(st, "bg_runs", json_integer(json_integer_value(
			                    json_object_get(st, "bg_runs")) + 1));
			cn_note(st, "background analysis %s started (%zu metric%s)", name,
			        json_array_size(json_object_get(bg, "metrics")),
			        json_array_size(json_object_get(bg, "metrics")) == 1 ? "" : "s");
			cn_save(p, st, NULL);
		}
	}
	if (json_is_true(json_object_get(st, "full")) || k >= (json_int_t)json_array_size(steps)) {
		cn_unlock(fd);
		json_decref(st);
		complete(ctx, p);
		return -1;
	}
	if (!strcmp(sv(st, "phase"), CN_PAUSED)) {
		cn_unlock(fd);
		json_decref(st);
		return 0;
	}
	json_t *step = json_array_get(steps, (size_t)k), *v;
	if ((v = json_object_get(step, "setWeight"))) {
		double w = json_number_value(v);
		cn_unlock(fd);
		int rc = set_weight(ctx, p, st, w, &err);
		fd = cn_lock(p);
		json_t *cur = cn_load(p);
		if (cur && cn_active(cur) && json_integer_value(json_object_get(cur, "step")) == k &&
		    !rc) {
			json_object_set_new(cur, "step", json_integer(k + 1));
			json_object_set_new(cur, "step_started", json_real(cn_now()));
			json_object_set_new(cur, "weight", json_real(w));
			cn_note(cur, "step %lld/%zu: setWeight %g%%", (long long)k + 1, json_array_size(steps),
			        w);
			cn_save(p, cur, NULL);
			ret = 1;
		}
		cn_unlock(fd);
		json_decref(cur);
		if (rc && strcmp(err ? err : "", "aborted")) {
			char *reason = pc_printf("step %lld (setWeight %g%%) failed: %s", (long long)k + 1, w,
			                         err ? err : "?");
			roll_back(ctx, p, reason);
			free(reason);
			ret = -1;
		} else if (!rc) {
			cn_flush(ctx, p, NULL);
		}
		json_decref(st);
		free(err);
		return ret;
	}
	if ((v = json_object_get(step, "pause"))) {
		json_t *d = json_object_get(v, "duration");
		double until = json_number_value(json_object_get(st, "step_started")) + json_number_value(d);
		if (!json_is_number(d)) {
			pause_for(st, "paused until 'paved promote'");
			cn_save(p, st, NULL);
		} else if (now >= until) {
			json_object_set_new(st, "step", json_integer(k + 1));
			json_object_set_new(st, "step_started", json_real(until));   /* no drift */
			cn_note(st, "step %lld/%zu: paused %g s", (long long)k + 1, json_array_size(steps),
			        json_number_value(d));
			cn_save(p, st, NULL);
			ret = 1;
		} else {
			*wake = until < now + 0.1 ? until : now + 0.1;
		}
		cn_unlock(fd);
		json_decref(st);
		return ret;
	}
	/* an analysis step: its run (measure_round takes the measurements) */
	json_t *a = json_object_get(step, "analysis");
	const char *name = sv(a, "name");
	if (!run_of(st, name)) {
		json_t *r = cn_run_new(json_object_get(a, "metrics"),
		                       json_is_true(json_object_get(spec, "baseline")), now);
		json_object_set_new(r, "name", json_string(name));
		json_array_append_new(json_object_get(st, "runs"), r);
		json_object_set_new(st, "step_run", json_string(name));
		cn_note(st, "step %lld/%zu: analysis %s started (%zu metric%s%s)", (long long)k + 1,
		        json_array_size(steps), name, json_array_size(json_object_get(a, "metrics")),
		        json_array_size(json_object_get(a, "metrics")) == 1 ? "" : "s",
		        json_is_true(json_object_get(spec, "baseline")) ? ", judged against the baseline" :
		        "");
		cn_save(p, st, NULL);
	}
	cn_unlock(fd);
	json_decref(st);
	return 0;
}

/* The earliest time a run of the state needs a measurement (0: none). */
static double next_measure(const struct cn_paths *p)
{
	int fd = cn_lock(p);
	json_t *st = cn_load(p), *r;
	cn_unlock(fd);
	double next = 0;
	size_t i;
	json_array_foreach(json_object_get(st, "runs"), i, r) {
		double t = cn_run_next(r);
		if (t && (!next || t < next))
			next = t;
	}
	json_decref(st);
	return next;
}

/* Is there still a rollout for this controller to drive?  A deploy that
 * superseded the ended one may have written a new state, and found this
 * controller holding the lock ("already running"), so the new rollout is
 * this one's.  Lest it exit just after that deploy looked: the lock is let
 * go, the state read again, and an active rollout is taken back (unless
 * another controller took the lock meanwhile). */
static bool still_mine(const struct cn_paths *p, int ctl)
{
	int fd = cn_lock(p);
	json_t *st = cn_load(p);
	cn_unlock(fd);
	bool active = cn_active(st);
	json_decref(st);
	if (active)
		return true;
	flock(ctl, LOCK_UN);
	fd = cn_lock(p);
	st = cn_load(p);
	cn_unlock(fd);
	active = cn_active(st);
	json_decref(st);
	/* active, and the lock taken back: still this one's; else another
	 * controller has it, or there is nothing left to drive */
	return active && flock(ctl, LOCK_EX | LOCK_NB) == 0;
}

int cn_control(paved_ctx *ctx, const char *svc, const char *env, int ready_fd, char **errmsg)
{
	struct cn_paths p;
	if (cn_paths(ctx, svc, env, &p))
		return paved->error(errmsg, "cannot make the rollout directory: %s", strerror(errno));
	int ctl = open(p.ctl, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (ctl < 0 || flock(ctl, LOCK_EX | LOCK_NB) != 0) {
		long other = 0;
		cn_controller_alive(&p, &other);
		if (ready_fd >= 0)
			dprintf(ready_fd, "ready %ld (already running)\n", other);
		if (ctl >= 0)
			close(ctl);
		cn_paths_free(&p);
		return PAVED_OK;
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(ctl, 0) != 0 || pwrite(ctl, pid, (size_t)n, 0) != n)
		paved->log(ctx, PAVED_LOG_WARN, "cannot write the pid into %s", p.ctl);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	if (ready_fd >= 0) {
		dprintf(ready_fd, "ready %ld\n", (long)getpid());
		close(ready_fd);
	}
	printf("%.3f controller %ld of %s (%s) started\n", cn_now(), (long)getpid(), svc, env);
	fflush(stdout);
	while (!stopping) {
		double wake;
		int r = advance(ctx, &p, &wake);
		if (r < 0 && !still_mine(&p, ctl))
			break;
		if (r < 0) {   /* a clean-up another process does, or a new rollout */
			sleep_until(cn_now() + 0.1, 0.1);
			continue;
		}
		if (r > 0)
			continue;
		measure_round(ctx, &p);
		double next = next_measure(&p);
		if (next && next < wake)
			wake = next;
		sleep_until(wake, 0.1);
	}
	printf("%.3f controller %ld of %s (%s) %s\n", cn_now(), (long)getpid(), svc, env,
	       stopping ? "stopped by a signal" : "done");
	close(ctl);
	cn_paths_free(&p);
	return PAVED_OK;
}
