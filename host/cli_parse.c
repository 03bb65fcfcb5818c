/*
 * cli_parse.c -- one option parser for every command, the host's own and
 * the plugins' (api->cli_parse), so every command behaves the same way:
 *
 *   --name=value and --name value both work; -x value and -xvalue for a
 *   short name; a BOOL takes no value and --no-name sets it false; a LIST
 *   may repeat; "--" ends the options; -h/--help is always known.
 *   An unknown option is an error that names it and suggests the closest
 *   known one (Levenshtein distance, as git and cargo do).
 *
 * The result is JSON: {"flags": {name: value}, "args": [positional...],
 * "help": bool}.  Flags not given are absent from "flags".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* Edit distance between A and B (small strings: option names). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* " (did you mean '--X'?)" for the known option closest to NAME, or "". */
static void suggest(const struct paved_flag *flags, const char *name, char *buf, size_t len)
{
	const char *best = NULL;
	size_t bd = 99;
	for (const struct paved_flag *f = flags; f && f->name; f++) {
		size_t d = distance(name, f->name);
		if (d < bd)
			bd = d, best = f->name;
	}
	if (distance(name, "help") < bd)
		bd = distance(name, "help"), best = "help";
	/* close enough to be a typo: at most a third of the name wrong */
	if (best && bd > 0 && bd <= (strlen(name) + 2) / 3)
		snprintf(buf, len, " (did you mean '--%s'?)", best);
	else
		buf[0] = '\0';
}

static const struct paved_flag *find_long(const struct paved_flag *flags, const char *name,
                                          size_t n)
{
	for (const struct paved_flag *f = flags; f && f->name; f++)
		if (strlen(f->name) == n && strncmp(f->name, name, n) == 0)
			return f;
	return NULL;
}

static const struct paved_flag *find_short(const struct paved_flag *flags, char c)
{
	for (const struct paved_flag *f = flags; f && f->name; f++)
		if (f->short_name == c)
			return f;
	return NULL;
}

/* Store VALUE (text) for flag F into OUT's flags. */
static int store(const struct paved_flag *f, const char *value, json_t *flags, char **errmsg)
{
	json_t *v;
	switch (f->type) {
	case PAVED_FLAG_BOOL:
		return json_object_set_new(flags, f->name, json_boolean(value == NULL)), PAVED_OK;
	case PAVED_FLAG_INT: {
		char *end;
		long long n = strtoll(value, &end, 10);
		if (!*value || *end)
			return pv_seterr(errmsg, "option --%s expects a whole number, not '%s'",
			                 f->name, value);
		v = json_integer(n);
		break;
	}
	case PAVED_FLAG_LIST: {
		json_t *list = json_object_get(flags, f->name);
		if (!list)
			json_object_set_new(flags, f->name, list = json_array());
		return json_array_append_new(list, json_string(value)) ? PAVED_ERR : PAVED_OK;
	}
	default:
		v = json_string(value);
	}
	if (!v)
		return pv_seterr(errmsg, "option --%s: the value is not valid UTF-8", f->name);
	json_object_set_new(flags, f->name, v);
	return PAVED_OK;
}

int pv_cli_parse(json_t *argv, const struct paved_flag *flags, json_t **out, char **errmsg)
{
	json_t *fl = json_object(), *args = json_array();
	bool help = false, dashdash = false;
	size_t n = json_array_size(argv);
	char hint[128];
	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *a = json_string_value(json_array_get(argv, i));
		if (!a)
			goto bad_type;
		if (dashdash || a[0] != '-' || a[1] == '\0') {
			json_array_append_new(args, json_string(a));
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			help = true;
			continue;
		}
		const struct paved_flag *f;
		const char *value = NULL;
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			f = find_long(flags, name, len);
			if (!f && !eq && strncmp(name, "no-", 3) == 0 &&
			    (f = find_long(flags, name + 3, len - 3)) && f->type == PAVED_FLAG_BOOL) {
				json_object_set_new(fl, f->name, json_false());
				continue;
			}
			if (!f) {
				char *nm = strndup(name, len);
				suggest(flags, nm ? nm : "", hint, sizeof hint);
				pv_seterr(errmsg, "unknown option '--%s'%s", nm ? nm : "", hint);
				free(nm);
				goto fail;
			}
			if (f->type == PAVED_FLAG_BOOL) {
				if (eq) {
					pv_seterr(errmsg, "option --%s takes no value", f->name);
					goto fail;
				}
			} else if (eq) {
				value = eq + 1;
			} else if (i + 1 < n && json_string_value(json_array_get(argv, i + 1))) {
				value = json_string_value(json_array_get(argv, ++i));
			} else {
				pv_seterr(errmsg, "option --%s needs a value%s%s", f->name,
				          f->metavar ? " " : "", f->metavar ? f->metavar : "");
				goto fail;
			}
		} else {
			if (!(f = find_short(flags, a[1]))) {
				pv_seterr(errmsg, "unknown option '-%c'", a[1]);
				goto fail;
			}
			if (f->type == PAVED_FLAG_BOOL) {
				if (a[2]) {
					pv_seterr(errmsg, "option -%c takes no value", a[1]);
					goto fail;
				}
			} else if (a[2]) {
				value = a + 2;
			} else if (i + 1 < n && json_string_value(json_array_get(argv, i + 1))) {
				value = json_string_value(json_array_get(argv, ++i));
			} else {
				pv_seterr(errmsg, "option -%c needs a value", a[1]);
				goto fail;
			}
		}
		if (store(f, value, fl, errmsg))
			goto fail;
	}
	*out = json_pack("{so so sb}", "flags", fl, "args", args, "help", help);
	return PAVED_OK;
bad_type:
	pv_seterr(errmsg, "arguments must be strings");
fail:
	json_decref(fl);
	json_decref(args);
	return PAVED_ERR;
}

void pv_cli_help(FILE *out, const struct paved_flag *flags)
{
	for (const struct paved_flag *f = flags; f && f->name; f++) {
		char left[96], sh[8] = "    ";
		if (f->short_name)
			snprintf(sh, sizeof sh, "-%c, ", f->short_name);
		int n = snprintf(left, sizeof left, "  %s--%s%s%s", sh, f->name,
		                 f->metavar ? " " : "", f->metavar ? f->metavar : "");
		if (n < 26)
			fprintf(out, "%-26s%s\n", left, f->help ? f->help : "");
		else
			fprintf(out, "%s\n%26s%s\n", left, "", f->help ? f->help : "");
	}
	fprintf(out, "%-26s%s\n", "  -h, --help", "show this help");
}
