/*
 * args.c -- what the forge accepts: repository names, branch names, refs,
 * argument keys, authors; and where repositories live.
 */
#include <stdlib.h>
#include <string.h>

#include "forge_local.h"

bool fl_valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

int fl_bad_name(char **errmsg, const char *name)
{
	return paved->error(errmsg, "invalid repository name '%s': use lowercase letters, "
	                    "digits and '-' (max 63)", name);
}

/* [A-Za-z0-9._/-], slash separated components that are non-empty and do
 * not start with '.' nor end with ".lock", no "..", no leading '-', at most
 * 200 characters, not "HEAD". */
bool fl_valid_branch(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 200 || s[0] == '-' || strstr(s, ".."))
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr("._/-", *c)))
			return false;
	for (const char *c = s; ; ) {
		size_t k = strcspn(c, "/");
		if (k == 0 || c[0] == '.' || (k >= 5 && strncmp(c + k - 5, ".lock", 5) == 0))
			return false;
		if (!c[k])
			break;
		c += k + 1;
	}
	return strcmp(s, "HEAD") != 0 && s[n - 1] != '.';
}

bool fl_valid_ref(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 200 || s[0] == '-' || strstr(s, ".."))
		return false;
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 127 || strchr(":?*[\\", *c))
			return false;
	return true;
}

int fl_check_keys(json_t *args, const char *const known[], char **errmsg)
{
	const char *key;
	json_t *v;
	if (args && !json_is_object(args))
		return paved->error(errmsg, "arguments must be a JSON object");
	json_object_foreach(args, key, v) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], key) != 0)
			i++;
		if (!known[i])
			return paved->error(errmsg, "unknown argument '%s'", key);
	}
	return PAVED_OK;
}

const char *fl_name_arg(json_t *args, char **errmsg)
{
	const char *name = json_string_value(json_object_get(args, "name"));
	if (!name) {
		paved->error(errmsg, "argument 'name' (a string) is required");
		return NULL;
	}
	if (!fl_valid_name(name)) {
		fl_bad_name(errmsg, name);
		return NULL;
	}
	return name;
}

int fl_parse_author(const char *s, char **name, char **email)
{
	const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	*name = *email = NULL;
	if (!lt || !gt || gt[1] != '\0' || strchr(gt + 1, '<') || gt == lt + 1 ||
	    strpbrk(s, "\n\r") || memchr(lt + 1, '<', (size_t)(gt - lt - 1)))
		return -1;
	const char *end = lt;
	while (end > s && end[-1] == ' ')
		end--;
	if (end == s)
		return -1;
	*name = strndup(s, (size_t)(end - s));
	*email = strndup(lt + 1, (size_t)(gt - lt - 1));
	if (!*name || !*email) {
		free(*name);
		free(*email);
		*name = *email = NULL;
		return -1;
	}
	return 0;
}

char *fl_repo_path(paved_ctx *ctx, const char *name)
{
	return name ? pc_printf("%s/forge/%s.git", paved->home(ctx), name)
	            : pc_printf("%s/forge", paved->home(ctx));
}

char *fl_archive_dir(paved_ctx *ctx)
{
	return pc_printf("%s/forge/archive", paved->home(ctx));
}

char *fl_default_branch(const char *bare)
{
	char *p = pc_printf("%s/HEAD", bare);
	char *head = p ? fl_read_line(p) : NULL;
	char *branch = NULL;
	free(p);
	if (head && strncmp(head, "ref: refs/heads/", 16) == 0 && fl_valid_branch(head + 16))
		branch = strdup(head + 16);
	free(head);
	return branch ? branch : strdup(FL_DEFAULT_BRANCH);
}
