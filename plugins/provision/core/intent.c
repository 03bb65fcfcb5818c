/*
 * intent.c -- read platform.yaml (libyaml) into the list of resources a
 * service needs.  Every top-level mapping with a "type" key is a
 * resource, named by its key (database, cache); "service" (or "name")
 * names the service.  Other top-level keys (deploy, ...) belong to other
 * plugins and are ignored here.
 *
 *     service: payment-api
 *     database: {type: postgres, size: medium, backups: daily}
 *     cache:    {type: redis, size: small, eviction: lru}
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "provision.h"

/* A scalar as JSON: plain integers and true/false keep their type. */
static json_t *scalar(yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		char *end;
		long long i = strtoll(v, &end, 10);
		if (*v && !*end && (*v != '0' || !v[1]))
			return json_integer(i);
		if (!strcmp(v, "true") || !strcmp(v, "yes"))
			return json_true();
		if (!strcmp(v, "false") || !strcmp(v, "no"))
			return json_false();
	}
	return json_stringn(v, n->data.scalar.length);
}

static int fail_at(char **errmsg, const char *path, yaml_node_t *n, const char *fmt,
                   const char *a)
{
	char *m = pc_printf(fmt, a);
	paved->error(errmsg, "%s:%zu: %s", path, n->start_mark.line + 1, m ? m : "?");
	free(m);
	return PAVED_ERR;
}

/* One resource mapping N under KEY into OUT's list. */
static int resource(yaml_document_t *d, yaml_node_t *n, const char *key, const char *path,
                    json_t *list, char **errmsg)
{
	json_t *r = json_pack("{ss}", "key", key), *opts = json_object();
	json_object_set_new(r, "options", opts);
	json_array_append_new(list, r);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		yaml_node_t *v = yaml_document_get_node(d, p->value);
		if (!k || k->type != YAML_SCALAR_NODE)
			return fail_at(errmsg, path, n, "%s: keys must be plain words", key);
		const char *ks = (const char *)k->data.scalar.value;
		if (!v || v->type != YAML_SCALAR_NODE) {
			char *m = pc_printf("%s.%s must be a single value", key, ks);
			fail_at(errmsg, path, v ? v : k, "%s", m);
			free(m);
			return PAVED_ERR;
		}
		json_t *val = scalar(v);
		if (!strcmp(ks, "type") || !strcmp(ks, "size")) {
			if (!json_is_string(val)) {
				json_decref(val);
				val = json_string((const char *)v->data.scalar.value);
			}
			json_object_set_new(r, ks, val);
		} else {
			json_object_set_new(opts, ks, val);
		}
	}
	return PAVED_OK;
}

json_t *pc_intent_load(const char *path, char **errmsg)
{
	FILE *f = fopen(path, "rb");
	yaml_parser_t parser;
	yaml_document_t doc;
	json_t *out = NULL;
	if (!f)
		return paved->error(errmsg, "cannot read %s: %s", path, strerror(errno)), NULL;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		paved->error(errmsg, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
		              parser.problem_mark.column + 1,
		              parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		fclose(f);
		return NULL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		paved->error(errmsg, "%s: expected a mapping of resources such as "
		              "'database: {type: postgres, size: medium}'", path);
		goto done;
	}
	out = json_pack("{s[]}", "resources");
	json_t *list = json_object_get(out, "resources");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		if (!k || !v || k->type != YAML_SCALAR_NODE)
			continue;
		const char *ks = (const char *)k->data.scalar.value;
		if ((!strcmp(ks, "service") || !strcmp(ks, "name")) && v->type == YAML_SCALAR_NODE) {
			json_object_set_new(out, "service", json_string((const char *)v->data.scalar.value));
			continue;
		}
		if (v->type != YAML_MAPPING_NODE)
			continue;
		bool typed = false;
		for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
			yaml_node_t *kk = yaml_document_get_node(&doc, q->key);
			typed |= kk && kk->type == YAML_SCALAR_NODE &&
			         !strcmp((const char *)kk->data.scalar.value, "type");
		}
		if (typed && resource(&doc, v, ks, path, list, errmsg)) {
			json_decref(out);
			out = NULL;
			goto done;
		}
	}
done:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return out;
}
