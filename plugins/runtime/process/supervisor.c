/* supervisor.c -- one small supervisor process per service and env.
 *
 * It outlives the paved command (fork, setsid, fork again), keeps the
 * replicas listed in SDIR/spec.json running, restarts a crashed one with an
 * exponential backoff (0.5 s doubling to 30 s; reset after 10 s of uptime),
 * stops those removed from the spec (SIGTERM, then SIGKILL after 10 s),
 * writes SDIR/state.json (pid, restarts, status per replica) and exits when
 * the spec lists no replica.  SIGHUP (or a changed spec) makes it re-read. */
#include "runtime.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct proc {
	char id[64];
	pid_t pid;
	int restarts, streak, in_spec;
	double started, next_start, kill_at;
	char last_exit[64];
};

static volatile sig_atomic_t got_hup, got_term;
static void on_hup(int s) { (void)s; got_hup = 1; }
static void on_term(int s) { (void)s; got_term = 1; }

static struct proc procs[64];
static int nprocs;

static void say(const char *fmt, const char *a, const char *b)
{
	time_t t = time(NULL);
	char ts[32];
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", localtime(&t));
	fprintf(stderr, "%s supervisor[%d]: ", ts, (int)getpid());
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	fflush(stderr);
}

static json_t *find_replica(json_t *spec, const char *id)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(spec, "replicas"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "id")) ?: "", id) == 0)
			return r;
	return NULL;
}

static void start(struct proc *p, json_t *r, const char *logdir)
{
	json_t *argv = json_object_get(r, "argv");
	size_t n = json_array_size(argv);
	if (!n)
		return;
	char *log = pc_printf("%s/%s.log", logdir, p->id);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGHUP, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		char **av = calloc(n + 1, sizeof *av);
		for (size_t i = 0; i < n; i++)
			av[i] = (char *)json_string_value(json_array_get(argv, i));
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(r, "env"), k, v)
			if (json_is_string(v))
				setenv(k, json_string_value(v), 1);
		char port[16];
		snprintf(port, sizeof port, "%d", (int)json_integer_value(json_object_get(r, "port")));
		setenv("PORT", port, 1);
		setenv("HOST", "127.0.0.1", 1);
		setenv("PAVED_REPLICA", p->id, 1);
		setenv("PAVED_VERSION", json_string_value(json_object_get(r, "version")) ?: "", 1);
		const char *dir = json_string_value(json_object_get(r, "dir"));
		if (dir && chdir(dir)) {
			perror(dir);
			_exit(127);
		}
		execvp(av[0], av);
		fprintf(stderr, "paved supervisor: cannot run %s: %s\n", av[0], strerror(errno));
		_exit(127);
	}
	free(log);
	if (pid > 0) {
		p->pid = pid;
		p->started = ru_now();
		say("started %s%s", p->id, "");
	}
}

static void write_state(const char *sdir)
{
	json_t *st = json_pack("{si so}", "pid", (int)getpid(), "replicas", json_object());
	json_t *rs = json_object_get(st, "replicas");
	for (int i = 0; i < nprocs; i++) {
		struct proc *p = &procs[i];
		const char *status = p->pid > 0 ? (p->in_spec ? "running" : "stopping") : "backoff";
		json_object_set_new(rs, p->id, json_pack("{si si ss sf ss}", "pid", (int)p->pid,
		                    "restarts", p->restarts, "status", status, "started", p->started,
		                    "last_exit", p->last_exit));
	}
	char *path = pc_printf("%s/state.json", sdir);
	ru_write_json(path, st);
	free(path);
	json_decref(st);
}

static int sup_main(const char *sdir, const char *logdir)
{
	char *specpath = pc_printf("%s/spec.json", sdir);
	struct stat sb;
	time_t mtime = 0;
	long mns = 0;
	json_t *spec = NULL;
	int reload = 1, dirty = 1;
	for (;;) {
		if (got_hup || (stat(specpath, &sb) == 0 &&
		                (sb.st_mtim.tv_sec != mtime || sb.st_mtim.tv_nsec != mns)))
			reload = 1;
		if (reload) {
			got_hup = 0;
			reload = 0;
			dirty = 1;
			json_t *ns = ru_read_json(specpath);
			if (stat(specpath, &sb) == 0) {
				mtime = sb.st_mtim.tv_sec;
				mns = sb.st_mtim.tv_nsec;
			}
			if (ns || !spec) {
				json_decref(spec);
				spec = ns ? ns : json_pack("{s[]}", "replicas");
			}
			for (int i = 0; i < nprocs; i++) {
				int was = procs[i].in_spec;
				procs[i].in_spec = !got_term && find_replica(spec, procs[i].id) != NULL;
				if (was && !procs[i].in_spec && procs[i].pid > 0) {
					kill(-procs[i].pid, SIGTERM);
					procs[i].kill_at = ru_now() + 10;
				}
			}
			size_t j;
			json_t *r;
			json_array_foreach(json_object_get(spec, "replicas"), j, r) {
				const char *id = json_string_value(json_object_get(r, "id"));
				int found = 0;
				for (int i = 0; i < nprocs; i++)
					found |= strcmp(procs[i].id, id) == 0;
				if (!found && nprocs < 64 && !got_term) {
					struct proc *p = &procs[nprocs++];
					memset(p, 0, sizeof *p);
					snprintf(p->id, sizeof p->id, "%s", id);
					p->in_spec = 1;
				}
			}
		}
		if (got_term) {
			got_term = 2;
			for (int i = 0; i < nprocs; i++)
				if (procs[i].in_spec) {
					procs[i].in_spec = 0;
					if (procs[i].pid > 0)
						kill(-procs[i].pid, SIGTERM);
					procs[i].kill_at = ru_now() + 10;
				}
		}
		/* reap */
		int st;
		pid_t pid;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			for (int i = 0; i < nprocs; i++) {
				struct proc *p = &procs[i];
				if (p->pid != pid)
					continue;
				p->pid = 0;
				dirty = 1;
				if (WIFEXITED(st))
					snprintf(p->last_exit, sizeof p->last_exit, "exit %d", WEXITSTATUS(st));
				else
					snprintf(p->last_exit, sizeof p->last_exit, "signal %d", WTERMSIG(st));
				if (p->in_spec) {
					double up = ru_now() - p->started;
					p->streak = up > 10 ? 1 : p->streak + 1;
					double delay = 0.5;
					for (int k = 1; k < p->streak && delay < 30; k++)
						delay *= 2;
					p->next_start = ru_now() + (delay > 30 ? 30 : delay);
					p->restarts++;
					say("%s exited (%s); restarting with backoff", p->id, p->last_exit);
				}
			}
		}
		double now = ru_now();
		for (int i = 0; i < nprocs; i++) {
			struct proc *p = &procs[i];
			if (p->in_spec && p->pid == 0 && now >= p->next_start) {
				start(p, find_replica(spec, p->id), logdir);
				dirty = 1;
			} else if (!p->in_spec && p->pid > 0 && p->kill_at && now > p->kill_at) {
				kill(-p->pid, SIGKILL);
				p->kill_at = 0;
			}
		}
		/* forget stopped replicas no longer in the spec */
		for (int i = 0; i < nprocs;)
			if (!procs[i].in_spec && procs[i].pid == 0) {
				procs[i] = procs[--nprocs];
				dirty = 1;
			} else {
				i++;
			}
		if (dirty) {
			write_state(sdir);
			dirty = 0;
		}
		if (nprocs == 0 && (got_term || json_array_size(json_object_get(spec, "replicas")) == 0))
			break;
		usleep(100000);
	}
	char *pidf = pc_printf("%s/supervisor.pid", sdir);
	unlink(pidf);
	free(pidf);
	say("no replica left: exiting%s%s", "", "");
	return 0;
}

int rt_supervise(const char *sdir, const char *logdir)
{
	char *pidf = pc_printf("%s/supervisor.pid", sdir);
	pid_t pid = ru_read_pid(pidf);
	if (pid) {
		free(pidf);
		return kill(pid, SIGHUP);
	}
	pc_mkdir_p(logdir, 0755);
	pid_t c = fork();
	if (c < 0) {
		free(pidf);
		return -1;
	}
	if (c == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		prctl(PR_SET_NAME, "paved-sup", 0, 0, 0);
		int null = open("/dev/null", O_RDWR);
		char *log = pc_printf("%s/supervisor.log", logdir);
		int lf = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(null, 0);
		dup2(lf >= 0 ? lf : null, 1);
		dup2(lf >= 0 ? lf : null, 2);
		for (int i = 3; i < 4096; i++)
			close(i);
		if (chdir("/")) {
		}
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		struct sigaction sa = { 0 };
		sa.sa_handler = on_hup;
		sigaction(SIGHUP, &sa, NULL);
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		signal(SIGCHLD, SIG_DFL);
		FILE *f = fopen(pidf, "w");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
		_exit(sup_main(sdir, logdir));
	}
	waitpid(c, NULL, 0);
	for (int i = 0; i < 100 && !ru_read_pid(pidf); i++)
		usleep(20000);
	int rc = ru_read_pid(pidf) ? 0 : -1;
	free(pidf);
	return rc;
}
