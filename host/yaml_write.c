/*
 * yaml_write.c -- jansson to YAML (api->write_yaml): block style, strings
 * quoted when a YAML 1.1 or 1.2 reader would read them as another type, so
 * the output reads back as the same JSON.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "host.h"

/* Emit one scalar with the given text, quoting strings that would
 * otherwise read back as another type (YAML 1.1 readers included: "yes",
 * "no", "on", "off" and "y"/"n" are quoted too). */
static int emit_scalar(yaml_emitter_t *e, const char *text, size_t len, bool string)
{
	static const char *const yaml11[] = { "y", "Y", "yes", "Yes", "YES", "n", "N", "no",
		"No", "NO", "on", "On", "ON", "off", "Off", "OFF", NULL };
	yaml_event_t ev;
	/* a NUL is written as the escape "\0" (double quotes), never cut off */
	bool quote = string && (pv_yaml_needs_quotes(text) || memchr(text, '\0', len));
	for (size_t i = 0; string && !quote && yaml11[i]; i++)
		quote = strcmp(text, yaml11[i]) == 0;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len,
	                             !quote, 1,
	                             quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
	                                   : YAML_ANY_SCALAR_STYLE);
	return yaml_emitter_emit(e, &ev) ? 0 : -1;
}

/* Emit the JSON value V as a YAML node, recursively. */
static int emit_node(yaml_emitter_t *e, json_t *v)
{
	yaml_event_t ev;
	char buf[64];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return -1;
		json_object_foreach(v, k, x)
			if (emit_scalar(e, k, strlen(k), true) || emit_node(e, x))
				return -1;
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return -1;
		json_array_foreach(v, i, x)
			if (emit_node(e, x))
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev) ? 0 : -1;
	}
	case JSON_STRING:
		return emit_scalar(e, json_string_value(v), json_string_length(v), true);
	case JSON_INTEGER:
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return emit_scalar(e, buf, strlen(buf), false);
	case JSON_REAL:
		snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
		if (!strpbrk(buf, ".eE"))
			strcat(buf, ".0");
		return emit_scalar(e, buf, strlen(buf), false);
	case JSON_TRUE:
		return emit_scalar(e, "true", 4, false);
	case JSON_FALSE:
		return emit_scalar(e, "false", 5, false);
	default:
		return emit_scalar(e, "null", 4, false);
	}
}

/* Write DOCS to OUT as YAML: each element of the array DOCS as its own
 * document with PAVED_YAML_ALL_DOCS in FLAGS, else DOCS as one document. */
int pv_yaml_write(FILE *out, json_t *docs, unsigned flags, char **errmsg)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	size_t i, n;
	int rc = PAVED_ERR;
	bool many = flags & PAVED_YAML_ALL_DOCS;
	if (!yaml_emitter_initialize(&e))
		return pv_seterr(errmsg, "out of memory");
	yaml_emitter_set_output_file(&e, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, 100);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (!yaml_emitter_emit(&e, &ev))
		goto done;
	n = many ? json_array_size(docs) : 1;
	for (i = 0; i < n; i++) {
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, !many);
		if (!yaml_emitter_emit(&e, &ev) ||
		    emit_node(&e, many ? json_array_get(docs, i) : docs))
			goto done;
		yaml_document_end_event_initialize(&ev, 1);
		if (!yaml_emitter_emit(&e, &ev))
			goto done;
	}
	yaml_stream_end_event_initialize(&ev);
	if (yaml_emitter_emit(&e, &ev) && yaml_emitter_flush(&e))
		rc = PAVED_OK;
done:
	if (rc)
		pv_seterr(errmsg, "cannot write YAML: %s", e.problem ? e.problem : "output error");
	yaml_emitter_delete(&e);
	return rc;
}
