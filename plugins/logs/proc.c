/*
 * proc.c -- processes found by their command line (see proc.h).
 */
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* /proc/PID/NAME into BUF (NUL-terminated); how many bytes were read. */
static size_t read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(buf, 1, size - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return n;
}

bool lp_alive(pid_t pid)
{
	char buf[512];
	size_t n = read_proc(pid, "stat", buf, sizeof buf);
	char *p = strrchr(buf, ')');
	return n && p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* Does the command line of PID hold the argument ARG? */
static bool has_arg(pid_t pid, const char *arg)
{
	char buf[8192];
	size_t n = read_proc(pid, "cmdline", buf, sizeof buf);
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
		if (!strcmp(buf + i, arg))
			return true;
	return false;
}

int lp_scan_arg(const char *arg, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)) && n < max) {
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid > 0 && pid != getpid() && isdigit((unsigned char)e->d_name[0]) &&
		    has_arg(pid, arg) && lp_alive(pid))
			pids[n++] = pid;
	}
	if (d)
		closedir(d);
	return n;
}
