/*
 * sink.c -- the sink sink_prometheus: paved's own metrics from its events.
 *
 * Observes event:* (priority 100).  Each event updates counters and
 * histograms kept in $PAVED_HOME/sink-prometheus/state.json under a file
 * lock (two paved processes may deliver events at once), then the whole
 * state is written in Prometheus's text format to the option path (default
 * $PAVED_HOME/prometheus/textfile/paved.prom), where paved-metricsd serves
 * it to the embedded Prometheus as the job "paved".  The sink never makes
 * that directory: it is the metrics backend's, and it exists once the
 * backend was set up; the backend's start event (metrics.backend.started)
 * writes the file at once.
 *
 *   deploy.started                 remembers the deploy's start (by its id)
 *   deploy.succeeded/failed/rolled_back/skipped
 *                                  paved_deploys_total{service,env,outcome}++,
 *                                  paved_deploy_duration_seconds{service,env}
 *   recipe.run.succeeded/failed    paved_golden_path_runs_total{recipe,status}++
 *   resource.provisioned           paved_provision_duration_seconds{type,driver}
 *                                  (its duration_ms), paved_resources_total{...,outcome}
 *   resource.failed                paved_resources_total{type,driver,outcome="failed"}
 *   every event                    paved_events_total{event}
 *
 * Delivery is at least once: the ids of the last 512 events are kept, so
 * an event delivered twice counts once.  A state or text file that cannot
 * be written is an error: the event waits in the outbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <paved/plugin.h>

#include "pc.h"
#include "sp.h"

PAVED_PLUGIN_INIT1;

#define SEEN_MAX 512

/* Seconds since the epoch of an event's "time" (2026-11-26T08:18:01.656Z), or -1. */
static double when(const char *t)
{
	struct tm tm = { 0 };
	const char *rest = t ? strptime(t, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!rest)
		return -1;
	double frac = *rest == '.' ? strtod(rest, NULL) : 0;
	return (double)timegm(&tm) + frac;
}

/* Has STATE seen event ID?  Record it when not. */
static bool seen(json_t *state, json_int_t id)
{
	json_t *s = json_object_get(state, "seen"), *x;
	size_t i;
	if (!s)
		json_object_set_new(state, "seen", s = json_array());
	json_array_foreach(s, i, x)
		if (json_integer_value(x) == id)
			return true;
	json_array_append_new(s, json_integer(id));
	while (json_array_size(s) > SEEN_MAX)
		json_array_remove(s, 0);
	return false;
}

/* A labels object from the string fields KEYS of DATA ("" when missing). */
static json_t *labels(json_t *data, const char *const *keys)
{
	json_t *l = json_object();
	for (size_t i = 0; keys[i]; i++) {
		const char *v = json_string_value(json_object_get(data, keys[i]));
		json_object_set_new(l, keys[i], json_string(v ? v : ""));
	}
	return l;
}

/* Apply EVENT (the envelope: time, event, data, id) to STATE. */
static void apply(json_t *state, json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	json_t *data = json_object_get(ev, "data"), *l;
	double t = when(json_string_value(json_object_get(ev, "time")));
	if (!name)
		return;
	l = json_pack("{ss}", "event", name);
	sp_count(state, SP_EVENTS, l);
	json_decref(l);
	json_t *pending = json_object_get(state, "deploys_started");
	if (!pending)
		json_object_set_new(state, "deploys_started", pending = json_object());
	const char *id = json_string_value(json_object_get(data, "id"));
	if (!strcmp(name, "deploy.started") && id && t > 0) {
		json_object_set_new(pending, id, json_real(t));
	} else if (!strncmp(name, "deploy.", 7) && (!strcmp(name + 7, "succeeded") ||
	           !strcmp(name + 7, "failed") || !strcmp(name + 7, "rolled_back") ||
	           !strcmp(name + 7, "skipped"))) {
		static const char *const keys[] = { "service", "env", NULL };
		l = labels(data, keys);
		json_t *c = json_deep_copy(l);
		json_object_set_new(c, "outcome", json_string(!strcmp(name + 7, "succeeded") ? "success"
		                                                                             : name + 7));
		sp_count(state, SP_DEPLOYS, c);
		json_t *t0 = id ? json_object_get(pending, id) : NULL;
		if (t0 && t > 0 && t >= json_number_value(t0))
			sp_observe(state, SP_DEPLOY_S, l, t - json_number_value(t0));
		if (id)
			json_object_del(pending, id);
		json_decref(l), json_decref(c);
	} else if (!strcmp(name, "recipe.run.succeeded") || !strcmp(name, "recipe.run.failed")) {
		const char *r = json_string_value(json_object_get(data, "recipe"));
		l = json_pack("{ss ss}", "recipe", r ? r : "", "status", name + 11);
		sp_count(state, SP_RUNS, l);
		json_decref(l);
	} else if (!strcmp(name, "resource.provisioned") || !strcmp(name, "resource.failed")) {
		static const char *const keys[] = { "type", "driver", NULL };
		l = labels(data, keys);
		json_t *ms = json_object_get(data, "duration_ms");
		if (json_is_number(ms) && name[9] == 'p')
			sp_observe(state, SP_PROV_S, l, json_number_value(ms) / 1000.0);
		json_object_set_new(l, "outcome", json_string(name + 9));
		sp_count(state, SP_RESOURCES, l);
		json_decref(l);
	}
	/* starts whose deploy never ended (a killed paved) do not pile up: a day */
	const char *k;
	json_t *v, *tmp;
	json_object_foreach_safe(pending, tmp, k, v)
		if (t > 0 && t - json_number_value(v) > 86400)
			json_object_del(pending, k);
}

/* The text file: the option path, else $PAVED_HOME/prometheus/textfile/paved.prom. */
static char *text_path(paved_ctx *ctx)
{
	const char *p = json_string_value(paved->option(ctx, "path"));
	return p && *p ? strdup(p) : pc_printf("%s/prometheus/textfile/paved.prom", paved->home(ctx));
}

/* Does the directory of PATH exist? */
static bool dir_exists(const char *path)
{
	char *d = strdup(path), *slash = d ? strrchr(d, '/') : NULL;
	struct stat st;
	bool yes = false;
	if (slash) {
		*slash = '\0';
		yes = stat(*d ? d : "/", &st) == 0 && S_ISDIR(st.st_mode);
	}
	free(d);
	return yes;
}

static int on_event(paved_ctx *ctx, json_t *ev, json_t **result, char **errmsg, void *data)
{
	(void)result, (void)data;
	const char *home = paved->home(ctx);
	char *dir = pc_printf("%s/sink-prometheus", home), *state_p = NULL, *lock_p = NULL;
	char *text = NULL, *out = NULL, *path = text_path(ctx);
	json_t *state = NULL;
	int fd = -1, rc = PAVED_OK;
	if (!dir || !path || !(state_p = pc_printf("%s/state.json", dir)) ||
	    !(lock_p = pc_printf("%s/state.lock", dir))) {
		rc = paved->error(errmsg, "out of memory");
		goto out;
	}
	if (pc_mkdir_p(dir, 0700) != 0 ||
	    (fd = open(lock_p, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 || flock(fd, LOCK_EX) != 0) {
		rc = paved->error(errmsg, "cannot lock %s: %s", lock_p, strerror(errno));
		goto out;
	}
	char *old = pc_read_file(state_p);
	state = old ? json_loads(old, 0, NULL) : NULL;
	free(old);
	if (!json_is_object(state)) {   /* none yet, or unreadable: start again */
		json_decref(state);
		state = json_object();
	}
	json_t *id = json_object_get(ev, "id");
	/* delivered before (its text file could not be written then): only
	 * the text file is written again */
	if (!json_is_integer(id) || !seen(state, json_integer_value(id))) {
		apply(state, ev);
		if (!(text = json_dumps(state, JSON_COMPACT)) ||
		    pc_write_file(state_p, text, strlen(text), 0600) != 0) {
			rc = paved->error(errmsg, "cannot write %s: %s", state_p, strerror(errno));
			goto out;
		}
	}
	/* 0644: as root the unprivileged paved-metricsd reads it */
	if (dir_exists(path) && (!(out = sp_render(state)) ||
	                         pc_write_file(path, out, strlen(out), 0644) != 0))
		rc = paved->error(errmsg, "cannot write %s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	json_decref(state);
	free(dir), free(state_p), free(lock_p), free(text), free(out), free(path);
	return rc;
}

static int init(paved_ctx *ctx, const struct paved_api *a, char **errmsg)
{
	PAVED_PLUGIN_INIT2(a);
	return paved->observe(ctx, "event:*", 100, on_event, NULL, NULL, errmsg);
}

static const struct paved_option options[] = {
	{ "path", PAVED_OPT_STRING, "\"\"",
	  "the text file Prometheus gets paved's metrics from (default "
	  "$PAVED_HOME/prometheus/textfile/paved.prom; written only when its directory exists)" },
	{ 0 }
};

PAVED_PLUGIN_DECLARE(sink_prometheus, "1.0.0",
                     "paved's own metrics (deploys, durations, golden-path runs, provisioning) "
                     "for Prometheus, from its events", init, NULL, options);
