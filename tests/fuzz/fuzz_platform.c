/*
 * fuzz_platform.c -- libFuzzer target: platform.yaml (host/platform.c)
 * and the host's YAML reader and writer under it (host/yaml.c).
 *
 * Input: the text of a platform.yaml (or, when it names score.dev, of a
 * score.yaml).  It is written into a service directory of the target's
 * temporary directory and read as `paved apply` and `paved deploy` read
 * it: pv_platform_read by file for the environments "dev" and
 * "production", and by directory.  Then the same text goes through
 * pv_yaml_read as text (every document, with marks, and streamed), and
 * what was read is written by pv_yaml_write and read back.
 *
 * Beyond the sanitizers: a contract read is JSON that can be printed (no
 * cycle), names a valid service and the environment asked for, and every
 * resource has a type; an error names the file; what pv_yaml_write writes
 * reads back as the same JSON (the promise of api->write_yaml).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "host.h"

/* Documents that expand (through aliases) beyond this many nodes are read
 * as platform.yaml, under the default limit, but not written back: that
 * would spend the run expanding an alias bomb the reader rightly let by. */
#define ROUND_TRIP_NODES 20000

static char *g_dir, *g_platform, *g_score;
static const char *g_current;   /* the file written for this input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	g_dir = fz_mkdir("payment-api");
	g_platform = fz_path("payment-api/platform.yaml");
	g_score = fz_path("payment-api/score.yaml");
	return 0;
}

/* The promises of pv_platform_read for one result. */
static void check_contract(const char *file, const char *env, int rc, json_t *c, char *err)
{
	if (rc != PAVED_OK) {
		if (c)
			fz_fail("platform %s: failure with a result", env);
		if (!err || strncmp(err, file, strlen(file)) != 0 || err[strlen(file)] != ':')
			fz_fail("platform %s: the error does not name the file: '%s'", env,
			        err ? err : "(none)");
		free(err);
		return;
	}
	if (!fz_acyclic(c))
		fz_fail("platform %s: the contract holds a cycle (it cannot be printed or freed)",
		        env);
	const char *svc = json_string_value(json_object_get(c, "service"));
	if (!svc || !*svc || !islower((unsigned char)*svc) || strlen(svc) > 63)
		fz_fail("platform %s: service '%s' is not a name", env, svc ? svc : "(none)");
	const char *e = json_string_value(json_object_get(c, "env"));
	if (!e || strcmp(e, env) != 0)
		fz_fail("platform %s: the contract is for another environment", env);
	const char *k;
	json_t *r;
	json_object_foreach(json_object_get(c, "resources"), k, r)
		if (!json_is_string(json_object_get(r, "type")))
			fz_fail("platform %s: resource '%s' has no type", env, k);
	json_decref(c);
	free(err);
}

static void read_platform(const char *file, const char *dir, const char *env)
{
	json_t *c = NULL;
	char *err = NULL;
	int rc = pv_platform_read(file, dir, env, NULL, &c, &err);
	check_contract(file ? file : g_current, env, rc, c, err);
}

/* `each`: count the documents, keep nothing. */
static int each_doc(void *ud, json_t *doc, const struct paved_yaml_doc *where, char **errmsg)
{
	(void)doc, (void)where, (void)errmsg;
	++*(int *)ud;
	return 0;
}

/* Write DOCS (an array, one per document) and read them back. */
static void round_trip(json_t *docs)
{
	char *buf = NULL, *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		fz_fail("open_memstream");
	int rc = pv_yaml_write(f, docs, PAVED_YAML_ALL_DOCS, &err);
	fclose(f);
	if (rc != PAVED_OK)
		fz_fail("pv_yaml_write refused what pv_yaml_read made: %s", err ? err : "?");
	struct paved_yaml_opts o = { .size = sizeof o, .flags = PAVED_YAML_ALL_DOCS,
	                             .text = buf, .text_len = len };
	json_t *back = NULL;
	if (len && pv_yaml_read("<written>", &o, &back, &err) != PAVED_OK)
		fz_fail("what pv_yaml_write wrote does not read back: %s\n%.600s", err, buf);
	if (len && !json_equal(docs, back)) {
		char *a = json_dumps(docs, JSON_ENCODE_ANY), *b = json_dumps(back, JSON_ENCODE_ANY);
		fz_fail("pv_yaml_write then pv_yaml_read changed the documents:\nread:    %.600s\n"
		        "re-read: %.600s\nwritten: %.600s", a, b, buf);
	}
	json_decref(back);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool score = memmem(data, size, "score.dev", 9) != NULL;
	g_current = score ? g_score : g_platform;
	remove(score ? g_platform : g_score);
	fz_write(g_current, data, size);

	/* as paved apply / deploy read it */
	read_platform(g_current, NULL, "dev");
	read_platform(g_current, NULL, "production");
	read_platform(NULL, g_dir, "dev");

	/* the YAML reader on the text: every document with marks, then streamed */
	struct paved_yaml_opts o = { .size = sizeof o, .flags = PAVED_YAML_ALL_DOCS |
	                             PAVED_YAML_MARKS, .text = (const char *)data,
	                             .text_len = size, .max_nodes = ROUND_TRIP_NODES };
	json_t *docs = NULL, *marks = NULL;
	char *err = NULL;
	o.marks = &marks;
	if (size && pv_yaml_read("<input>", &o, &docs, &err) == PAVED_OK) {
		if (!json_is_array(docs) || json_array_size(marks) != json_array_size(docs))
			fz_fail("pv_yaml_read: documents and marks do not match");
		/* known-bugs yaml-nul: a NUL the reader keeps, the writer cuts */
		if (!(fz_known("yaml-nul") && fz_nul_escape(data, size)))
			round_trip(docs);
		int n = 0;
		struct paved_yaml_opts s = { .size = sizeof s, .text = (const char *)data,
		                             .text_len = size, .each = each_doc, .ud = &n,
		                             .max_nodes = ROUND_TRIP_NODES };
		json_t *none = NULL;
		char *serr = NULL;
		if (pv_yaml_read("<input>", &s, &none, &serr) != PAVED_OK || none)
			fz_fail("pv_yaml_read: streaming failed where reading all succeeded: %s",
			        serr ? serr : "?");
		if ((size_t)n != json_array_size(docs))
			fz_fail("pv_yaml_read: %d documents streamed, %zu read", n,
			        json_array_size(docs));
	} else if (size && (!err || strncmp(err, "<input>:", 8) != 0)) {
		fz_fail("pv_yaml_read: the error does not name the input: '%s'", err ? err : "?");
	}
	json_decref(docs);
	json_decref(marks);
	free(err);
	return 0;
}
