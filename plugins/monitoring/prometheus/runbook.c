/*
 * runbook.c -- a service's generated runbook (see gen.h): one section per
 * alert of rules.c, anchored by the alert's name in lower case (the
 * alert's runbook_url points there), each saying what the alert means,
 * what users feel, how to find the cause with paved's own commands and
 * how to stop the bleeding.  Written to $PAVED_HOME/monitoring/runbooks/
 * SERVICE.md at every register: service-specific knowledge belongs in the
 * service's README (its Runbook section), which this one links to.
 *
 * In the texts "@S" stands for the service, "@D" for the days a burn rate
 * leaves the budget, ENV is the alert's env label.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

struct text {
	const char *name, *meaning, *impact, *diagnosis, *mitigation;
};

static const struct text texts[] = {
	{ "ServiceDown",
	  "For 2 minutes Prometheus has scraped no replica of @S in ENV: every replica is down, "
	  "unreachable, or serves no valid `/metrics`.",
	  "Most likely @S is down for its users: its front door (HAProxy) has no replica to send "
	  "requests to. If the replicas still serve but their metrics page broke, the service is "
	  "blind: no other alert of @S can fire.",
	  "1. `paved status @S --env ENV`: are replicas running and healthy, and in traffic?\n"
	  "2. `paved metrics @S --env ENV`: each replica's scrape and Prometheus's last error "
	  "(connection refused: the process is gone; a parsing error: a broken metrics page).\n"
	  "3. `paved logs @S --env ENV --since 15m`: crashes, failed start-ups, a port in use.\n"
	  "4. `paved releases @S --env ENV`: did a deploy just happen?",
	  "- A deploy just happened: `paved rollback @S --env ENV` (back to the previous release).\n"
	  "- Replicas hang: `paved restart @S --env ENV` replaces them one at a time.\n"
	  "- Replicas were stopped: `paved deploy @S --env ENV` starts the live release again." },
	{ "ReplicaDown",
	  "For 5 minutes one replica of @S in ENV (the alert's `replica` and `version` labels) "
	  "has not answered a valid `/metrics`.",
	  "Usually small: the other replicas serve. But the replica may be serving errors the "
	  "figures do not show, and with fewer replicas a load peak hurts sooner.",
	  "1. `paved metrics @S --env ENV`: the replica's scrape error (refused, timeout, or the "
	  "parser's complaint about its page).\n"
	  "2. `paved status @S --env ENV`: its health check, restarts and traffic state.\n"
	  "3. `paved logs @S --env ENV --since 15m`: what it said last.",
	  "- `paved restart @S --env ENV` replaces the replicas one at a time.\n"
	  "- Only the new version's replicas fail: `paved rollback @S --env ENV`, then fix its "
	  "`/metrics` (the skeleton's tests check the page; `promtool check metrics` too)." },
	{ "AvailabilitySLOPage",
	  "@S in ENV answers so many requests with 5xx that its error budget would be gone in "
	  "about @D days at this rate (the alert's description gives the burn rate and window).",
	  "Users see errors now, and the month's budget for deploys, experiments and incidents "
	  "drains fast.",
	  "1. `paved metrics @S --env ENV --since 1h`: which version fails? Errors that began with "
	  "a new version are the usual cause.\n"
	  "2. `paved releases @S --env ENV`: what was deployed, and when.\n"
	  "3. `paved logs @S --env ENV --since 1h`: the lines with `\"level\":\"error\"` and their "
	  "`trace_id`.\n"
	  "4. `paved status @S --env ENV`: replicas unhealthy or restarting?",
	  "- The errors came with a deploy: `paved rollback @S --env ENV`.\n"
	  "- Too few replicas for the load: `paved scale @S 4 --env ENV`.\n"
	  "- A dependency fails (database, another service): see `paved resources list` and that "
	  "service's own dashboard; degrade gracefully rather than answer 5xx." },
	{ "AvailabilitySLOTicket",
	  "@S in ENV fails (5xx) slowly but steadily: at this rate its error budget is gone in "
	  "about @D days, before the SLO window ends.",
	  "Few users notice today; the budget will not last the window. Not urgent: look at it "
	  "within a working day.",
	  "1. `paved metrics @S --env ENV --since 1d`: is one version, or every one, failing?\n"
	  "2. `paved logs @S --env ENV --since 1d`: the recurring errors.\n"
	  "3. `paved releases @S --env ENV`: did it start with a release?",
	  "- Fix the recurring error and ship it (`git push`: it deploys).\n"
	  "- A release caused it: `paved rollback @S --env ENV`." },
	{ "LatencySLOPage",
	  "Too many requests to @S in ENV are slower than the SLO's p99 bound: at this rate the "
	  "latency budget (1% of requests may be slow) would be gone in about @D days.",
	  "Users wait now; slow requests also pile up and can turn into timeouts and errors.",
	  "1. `paved metrics @S --env ENV --since 1h`: p50 and p99 per version; one slow version "
	  "points at a release.\n"
	  "2. `paved releases @S --env ENV`: what changed.\n"
	  "3. `paved logs @S --env ENV --since 1h`: the slowest requests (`duration_ms`) and their "
	  "routes.\n"
	  "4. `paved status @S --env ENV`: fewer healthy replicas than usual means more load on each.",
	  "- It came with a deploy: `paved rollback @S --env ENV`.\n"
	  "- Load: `paved scale @S 4 --env ENV`.\n"
	  "- A slow dependency: see `paved resources list` and its metrics." },
	{ "LatencySLOTicket",
	  "@S in ENV is slower than its p99 bound for more requests than the SLO allows: at this "
	  "rate the latency budget is gone in about @D days.",
	  "Some users wait longer than promised; not urgent, look at it within a working day.",
	  "1. `paved metrics @S --env ENV --since 1d`: p99 per version over the day.\n"
	  "2. `paved logs @S --env ENV --since 1d`: which routes are slow (`route`, `duration_ms`).",
	  "- Fix or cache the slow path and ship it (`git push`).\n"
	  "- It came with a release: `paved rollback @S --env ENV`." },
};

/* Write TEXT with @S replaced by SVC and @D by DAYS. */
static void put(FILE *f, const char *text, const char *svc, const char *days)
{
	for (const char *p = text; *p; p++) {
		if (p[0] == '@' && p[1] == 'S') {
			fputs(svc, f);
			p++;
		} else if (p[0] == '@' && p[1] == 'D') {
			fputs(days, f);
			p++;
		} else {
			fputc(*p, f);
		}
	}
}

/* "2.1 and 5" (page) or "10 and 30" (ticket): the days the budget lasts at
 * the burn rates of severity SEV. */
static void days_of(const struct pmg_slo *slo, const char *sev, char *out, size_t n)
{
	struct pmg_burn b[4];
	pmg_burns(slo->window_days, b);
	int i = !strcmp(sev, "page") ? 0 : 2;
	snprintf(out, n, "%.2g (or %.2g)", slo->window_days / b[i].factor,
	         slo->window_days / b[i + 1].factor);
}

char *pmg_runbook(const struct pmg_service *s)
{
	struct pmg_alert al[6];
	size_t n = pmg_alerts(s->slo, al);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "# Runbook: %s\n\n", s->service);
	fprintf(f, "The alerts of %s (owner %s), generated by paved's monitoring driver "
	        "'prometheus' from the service's platform.yaml", s->service, s->owner);
	if (s->slo->availability_set || s->slo->latency_set) {
		fputs(" (slo:", f);
		if (s->slo->availability_set)
			fprintf(f, " availability %g%%", s->slo->availability);
		if (s->slo->latency_set)
			fprintf(f, "%s p99 under %ld ms", s->slo->availability_set ? "," : "", s->slo->p99_ms);
		fprintf(f, " over %dd)", s->slo->window_days);
	}
	fprintf(f, ". It is written again at every `monitoring.register`: keep what is particular "
	        "to %s in its README's Runbook section.\n\n", s->service);
	fprintf(f, "- Dashboard: %s (Grafana; import %s once)\n", s->dashboard_url,
	        s->dashboard_file ? s->dashboard_file : "the generated dashboard");
	fprintf(f, "- In a terminal: `paved metrics %s --env ENV --since 1h`\n", s->service);
	fputs("- ENV below is the alert's `env` label. A page wants action now; a ticket within a "
	      "working day.\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct text *t = NULL;
		for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
			if (!strcmp(texts[k].name, al[i].name))
				t = &texts[k];
		char *a = pmg_anchor(al[i].name), days[64] = "";
		if (al[i].slo)
			days_of(s->slo, al[i].severity, days, sizeof days);
		fprintf(f, "\n<a id=\"%s\"></a>\n## %s (%s)\n\n**Meaning.** ", a ? a : "", al[i].name,
		        al[i].severity);
		put(f, t->meaning, s->service, days);
		fputs("\n\n**Impact.** ", f);
		put(f, t->impact, s->service, days);
		fputs("\n\n**Diagnosis.**\n\n", f);
		put(f, t->diagnosis, s->service, days);
		fputs("\n\n**Mitigation.**\n\n", f);
		put(f, t->mitigation, s->service, days);
		fputc('\n', f);
		free(a);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
