/* cli.c -- paved deploy | status | stop | logs (included by rolling.c). */

static const char *flag(json_t *argv, const char *name, int *present)
{
	size_t i;
	json_t *a;
	json_array_foreach(argv, i, a) {
		const char *s = json_string_value(a);
		if (s && !strcmp(s, name)) {
			if (present)
				*present = 1;
			return json_string_value(json_array_get(argv, i + 1));
		}
	}
	return NULL;
}

/* the first argument that is neither a flag nor a flag's value */
static const char *positional(json_t *argv)
{
	size_t i;
	for (i = 0; i < json_array_size(argv); i++) {
		const char *s = json_string_value(json_array_get(argv, i));
		if (s[0] != '-')
			return s;
		if (strcmp(s, "-f") && strcmp(s, "--json") && strcmp(s, "--follow"))
			i++;
	}
	return NULL;
}

static json_t *exit_code(int n) { return json_pack("{si}", "exit", n); }

static int help(json_t *args, const char *usage)
{
	int h = 0;
	flag(json_object_get(args, "argv"), "--help", &h);
	flag(json_object_get(args, "argv"), "-h", &h);
	if (h)
		printf("usage: %s\n", usage);
	return h;
}
#define U_DEPLOY "paved deploy SERVICE [--env ENV] [--strategy S] [--version REF] [--dir DIR]"
#define U_STATUS "paved status [SERVICE] [--env ENV] [--json]"
#define U_STOP "paved stop [SERVICE] [--env ENV]   (no SERVICE: everything, and HAProxy)"
#define U_LOGS "paved logs SERVICE [--env ENV] [-f]"

static int cli_deploy(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	if (help(args, U_DEPLOY))
		return PAVED_OK;
	json_t *argv = json_object_get(args, "argv");
	const char *svc = positional(argv);
	if (!svc) {
		fprintf(stderr, "usage: paved deploy SERVICE [--env ENV] [--strategy S] [--version REF] [--dir DIR]\n");
		*result = exit_code(2);
		return PAVED_OK;
	}
	json_t *a = json_pack("{ss}", "name", svc), *res = NULL;
	const char *keys[][2] = { { "--env", "env" }, { "--strategy", "strategy" },
	                          { "--version", "version" }, { "--dir", "dir" } };
	for (int i = 0; i < 4; i++) {
		const char *v = flag(argv, keys[i][0], NULL);
		if (v)
			json_object_set_new(a, keys[i][1], json_string(v));
	}
	int rc = h_service(ctx, a, &res, errmsg, data);
	json_decref(a);
	if (rc)
		return rc;
	if (json_is_true(json_object_get(args, "json")))
		puts(json_dumps(res, JSON_INDENT(2)) ?: "");
	else
		printf("Deployed %s version %.12s: %s\n", svc,
		       json_string_value(json_object_get(res, "version")) ?: "?",
		       json_string_value(json_object_get(res, "url")) ?: "");
	json_decref(res);
	return PAVED_OK;
}

static int cli_status(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	if (help(args, U_STATUS))
		return PAVED_OK;
	(void)data, (void)result;
	json_t *argv = json_object_get(args, "argv");
	const char *svc = positional(argv), *env = flag(argv, "--env", NULL);
	json_t *a = json_object(), *st = NULL;
	if (svc)
		json_object_set_new(a, "service", json_string(svc));
	if (env)
		json_object_set_new(a, "env", json_string(env));
	int rc = pc_call(ctx, "runtime.status", a, &st, errmsg);
	json_decref(a);
	if (rc)
		return rc;
	size_t i, j;
	json_t *s, *r;
	json_array_foreach(st, i, s) {
		char key[256];
		snprintf(key, sizeof key, "current/%s/%s", json_string_value(json_object_get(s, "env")),
		         json_string_value(json_object_get(s, "service")));
		json_t *cur = paved->state_get(ctx, "deploy", key);
		snprintf(key, sizeof key, "last/%s/%s", json_string_value(json_object_get(s, "env")),
		         json_string_value(json_object_get(s, "service")));
		json_t *last = paved->state_get(ctx, "deploy", key);
		const char *lid = json_string_value(json_object_get(last, "id"));
		json_t *fresh = lid ? paved->state_get(ctx, "deploy", lid) : NULL;   /* rollback updates it */
		if (fresh)
			json_decref(last), last = fresh;
		/* the latest attempt when it is not the live one (a failed deploy) */
		if (last && (!cur || !json_equal(json_object_get(last, "id"), json_object_get(cur, "id"))))
			json_object_set(s, "last_attempt", last);
		json_decref(last);
		if (cur)
			json_object_set_new(s, "deployment", cur);
	}
	if (json_is_true(json_object_get(args, "json"))) {
		char *d = json_dumps(st, JSON_INDENT(2));
		puts(d ? d : "[]");
		free(d);
	} else {
		if (!json_array_size(st))
			puts(svc ? "not deployed" : "no service deployed");
		json_array_foreach(st, i, s) {
			json_t *cur = json_object_get(s, "deployment");
			printf("%s (%s)  %s  version %.12s  deployed %s\n",
			       json_string_value(json_object_get(s, "service")),
			       json_string_value(json_object_get(s, "env")),
			       json_string_value(json_object_get(s, "url")) ?: "-",
			       json_string_value(json_object_get(cur, "version")) ?: "-",
			       json_string_value(json_object_get(cur, "outcome")) ?: "-");
			json_t *la = json_object_get(s, "last_attempt");
			if (la)
				printf("  last attempt: version %.12s  %s  (%s)\n",
				       json_string_value(json_object_get(la, "version")) ?: "-",
				       json_string_value(json_object_get(la, "outcome")) ?: "-",
				       json_string_value(json_object_get(la, "id")) ?: "-");
			json_array_foreach(json_object_get(s, "replicas"), j, r) {
				json_t *red = json_object_get(r, "red");
				printf("  %-4s version %.12s  port %d  pid %d  %s%s  %s  restarts %d",
				       json_string_value(json_object_get(r, "id")),
				       json_string_value(json_object_get(r, "version")),
				       (int)json_integer_value(json_object_get(r, "port")),
				       (int)json_integer_value(json_object_get(r, "pid")),
				       json_string_value(json_object_get(r, "status")),
				       json_is_true(json_object_get(r, "enabled")) ? "" : " (out of traffic)",
				       json_is_true(json_object_get(r, "healthy")) ? "healthy" : "UNHEALTHY",
				       (int)json_integer_value(json_object_get(r, "restarts")));
				if (red)
					printf("  requests %d  5xx %d  avg %dms",
					       (int)json_integer_value(json_object_get(red, "requests")),
					       (int)json_integer_value(json_object_get(red, "errors_5xx")),
					       (int)json_integer_value(json_object_get(red, "avg_response_ms")));
				putchar('\n');
			}
		}
	}
	json_decref(st);
	return PAVED_OK;
}

static int cli_stop(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	if (help(args, U_STOP))
		return PAVED_OK;
	(void)data, (void)result;
	json_t *argv = json_object_get(args, "argv");
	const char *svc = positional(argv), *env = flag(argv, "--env", NULL);
	json_t *a = json_object(), *res = NULL;
	if (svc)
		json_object_set_new(a, "service", json_string(svc));
	if (env)
		json_object_set_new(a, "env", json_string(env));
	int rc = pc_call(ctx, "runtime.stop", a, &res, errmsg);
	json_decref(a);
	if (rc)
		return rc;
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(res, "stopped"), i, s)
		printf("stopped %s\n", json_string_value(s));
	if (!svc)
		puts("stopped HAProxy");
	json_decref(res);
	return PAVED_OK;
}

static volatile sig_atomic_t logs_stop;
static void on_int(int s) { (void)s; logs_stop = 1; }

static int cli_logs(paved_ctx *ctx, json_t *args, json_t **result, char **errmsg, void *data)
{
	if (help(args, U_LOGS))
		return PAVED_OK;
	(void)data, (void)errmsg;
	json_t *argv = json_object_get(args, "argv");
	const char *svc = positional(argv), *env = flag(argv, "--env", NULL);
	int follow = 0;
	flag(argv, "-f", &follow);
	flag(argv, "--follow", &follow);
	if (!svc) {
		fprintf(stderr, "usage: paved logs SERVICE [--env ENV] [-f]\n");
		*result = exit_code(2);
		return PAVED_OK;
	}
	char *dir = pc_printf("%s/logs/%s/%s", paved->home(ctx), env ? env : "dev", svc);
	DIR *d = opendir(dir);
	if (!d) {
		int r = paved->error(errmsg, "no logs for %s (%s): is it deployed?", svc, dir);
		free(dir);
		return r;
	}
	struct { char name[256]; long off; } files[64];
	int nf = 0;
	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	do {
		struct dirent *e;
		rewinddir(d);
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);
			if (l < 5 || strcmp(e->d_name + l - 4, ".log") || e->d_name[0] != 'r' || nf >= 64)
				continue;
			int known = 0;
			for (int i = 0; i < nf; i++)
				known |= !strcmp(files[i].name, e->d_name);
			if (!known) {
				snprintf(files[nf].name, sizeof files[nf].name, "%s", e->d_name);
				files[nf++].off = 0;
			}
		}
		for (int i = 0; i < nf; i++) {
			char *p = pc_printf("%s/%s", dir, files[i].name);
			FILE *f = fopen(p, "r");
			free(p);
			if (!f)
				continue;
			fseek(f, files[i].off, SEEK_SET);
			char line[8192];
			int n = (int)(strlen(files[i].name) - 4);
			while (fgets(line, sizeof line, f)) {
				printf("[%.*s] %s", n, files[i].name, line);
				if (!strchr(line, '\n'))
					putchar('\n');
			}
			files[i].off = ftell(f);
			fclose(f);
		}
		fflush(stdout);
		if (follow)
			usleep(300000);
	} while (follow && !logs_stop);
	closedir(d);
	free(dir);
	return PAVED_OK;
}
