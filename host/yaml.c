/*
 * yaml.c -- YAML (and JSON, which YAML reads) to jansson, for the host and,
 * through api->read_yaml, every plugin.  Scalars resolve in yaml_scalar.c;
 * the way back (api->write_yaml) is yaml_write.c.
 *
 * libyaml's event parser feeds a small stack machine.  A document is
 * either collected (one, or all of them in an array) or handed to a
 * callback and freed before the next one is read, so a stream's memory is
 * bounded by its largest document, not by the file.
 *
 * Scalars resolve by the YAML 1.2 core schema (what Backstage's js-yaml
 * uses): plain null/true/false/numbers become JSON null/booleans/numbers,
 * everything quoted or tagged !!str stays a string.  JSON has no infinity
 * or NaN: `.inf` and `.nan` stay text, as do integers beyond 64 bits;
 * with PAVED_YAML_JS_NUMBERS they become what a JavaScript reader stores
 * (null, and the nearest double).
 *
 * Limits: a document expands to at most max_nodes nodes (every alias adds
 * the size of what it stands for, so a "billion laughs" bomb is refused
 * after bounded work, before anything expands it), holds at most
 * max_aliases aliases, nests at most max_depth deep; an input is at most
 * max_bytes long.  A duplicate key is an error.  Every error reads
 * "NAME:LINE:COLUMN: problem".
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "host.h"

#define DEF_MAX_BYTES   (16u << 20)
#define DEF_MAX_NODES   1000000L
#define DEF_MAX_ALIASES 100
#define DEF_MAX_DEPTH   64
#define HARD_MAX_DEPTH  512

/* One open mapping or sequence. */
struct frame {
	json_t *node;        /* the container being filled */
	char   *key;         /* mapping: key waiting for its value */
	char   *anchor;      /* anchor of this container, if any */
	long    start;       /* doc node count when it opened */
	char   *path;        /* its JSON pointer, with marks */
};

/* An anchored node of the current document. */
struct anchor {
	char   *name;
	json_t *node;
	long    size;        /* nodes it stands for, aliases expanded */
};

struct parse {
	const char    *name;
	struct paved_yaml_opts o;
	yaml_parser_t  parser;
	struct frame   stack[HARD_MAX_DEPTH];
	int            depth;
	struct anchor *anchors;
	size_t         nanchors, capanchors;
	json_t        *root;
	json_t        *marks;      /* this document's, with PAVED_YAML_MARKS */
	long           nodes;
	int            aliases;
	int            doc_line, doc_col, ndocs;
	json_t        *docs, *docmarks;   /* collected, without `each` */
};

static int fail(struct parse *p, char **errmsg, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Set *ERRMSG to "NAME:LINE:COL: MESSAGE"; returns -1. */
static int fail(struct parse *p, char **errmsg, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = pv_vasprintf(fmt, ap);
	va_end(ap);
	pv_seterr(errmsg, "%s:%zu:%zu: %s", p->name, m.line + 1, m.column + 1,
	          msg ? msg : "out of memory");
	free(msg);
	return -1;
}

/* Forget the anchors of the finished document. */
static void drop_anchors(struct parse *p)
{
	for (size_t i = 0; i < p->nanchors; i++) {
		free(p->anchors[i].name);
		json_decref(p->anchors[i].node);
	}
	p->nanchors = 0;
}

/* Drop every open frame and the document built so far. */
static void drop_doc(struct parse *p)
{
	for (int i = 0; i < p->depth; i++) {
		json_decref(p->stack[i].node);
		free(p->stack[i].key);
		free(p->stack[i].anchor);
		free(p->stack[i].path);
	}
	p->depth = 0;
	json_decref(p->root);
	json_decref(p->marks);
	p->root = p->marks = NULL;
	p->nodes = 0;
	p->aliases = 0;
	drop_anchors(p);
}

/* Remember NODE (borrowed) under ANCHOR; later definitions win. */
static int add_anchor(struct parse *p, const char *anchor, json_t *node, long size)
{
	if (p->nanchors == p->capanchors) {
		size_t n = p->capanchors ? p->capanchors * 2 : 16;
		struct anchor *a = realloc(p->anchors, n * sizeof *a);
		if (!a)
			return -1;
		p->anchors = a, p->capanchors = n;
	}
	struct anchor *a = &p->anchors[p->nanchors];
	if (!(a->name = strdup(anchor)))
		return -1;
	a->node = json_incref(node);
	a->size = size;
	p->nanchors++;
	return 0;
}

/* Count N more nodes; an error once the document grows past the limit. */
static int count(struct parse *p, long n, yaml_mark_t m, char **errmsg)
{
	p->nodes += n;
	if (p->nodes > p->o.max_nodes)
		return fail(p, errmsg, m, "document expands to more than %ld nodes (YAML aliases "
		            "nested too deep: an alias bomb?); refused", p->o.max_nodes);
	return 0;
}

/* The JSON pointer of the next value of the innermost container ("" for
 * the root), malloc()ed; NULL on OOM.  Only with marks. */
static char *child_path(struct parse *p)
{
	if (p->depth == 0)
		return pv_strdup("");
	struct frame *f = &p->stack[p->depth - 1];
	if (json_is_array(f->node))
		return pv_asprintf("%s/%zu", f->path, json_array_size(f->node));
	/* RFC 6901: '~' is "~0" and '/' is "~1" */
	size_t n = 0;
	for (const char *k = f->key; *k; k++)
		n += (*k == '~' || *k == '/') ? 2 : 1;
	char *esc = malloc(n + 1), *o = esc;
	if (!esc)
		return NULL;
	for (const char *k = f->key; *k; k++) {
		if (*k == '~' || *k == '/')
			*o++ = '~', *o++ = *k == '~' ? '0' : '1';
		else
			*o++ = *k;
	}
	*o = '\0';
	char *path = pv_asprintf("%s/%s", f->path, esc);
	free(esc);
	return path;
}

/* Record where the value at PATH starts. */
static void mark(struct parse *p, const char *path, yaml_mark_t m)
{
	if (p->marks && path)
		json_object_set_new(p->marks, path, json_pack("[ii]", (int)m.line + 1,
		                                              (int)m.column + 1));
}

/* Attach VALUE (a new reference, stolen) to the open container or make it
 * the document root.  A scalar arriving where a key is expected is the key:
 * TEXT, taken from *OWN (a malloc()ed copy of TEXT, set to NULL) when OWN
 * is given, else copied. */
static int attach(struct parse *p, json_t *value, const char *text, bool scalar,
                  unsigned char **own, yaml_mark_t m, char **errmsg)
{
	if (p->depth == 0) {
		p->root = value;
		return 0;
	}
	struct frame *f = &p->stack[p->depth - 1];
	if (json_is_array(f->node))
		return json_array_append_new(f->node, value) ? fail(p, errmsg, m, "out of memory") : 0;
	if (!f->key) {
		json_decref(value);
		if (!scalar)
			return fail(p, errmsg, m, "a mapping key must be a scalar");
		if (json_object_get(f->node, text))
			return fail(p, errmsg, m, "duplicate key '%s'", text);
		if (own && *own) {
			f->key = (char *)*own;
			*own = NULL;
		} else if (!(f->key = strdup(text))) {
			return fail(p, errmsg, m, "out of memory");
		}
		return 0;
	}
	/* the key is UTF-8: libyaml refuses any other input */
	int rc = json_object_set_new_nocheck(f->node, f->key, value);
	free(f->key);
	f->key = NULL;
	return rc ? fail(p, errmsg, m, "out of memory") : 0;
}

/* Handle one scalar event. */
static int on_scalar(struct parse *p, yaml_event_t *ev, char **errmsg)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	json_t *v = NULL;
	if (count(p, 1, ev->start_mark, errmsg))
		return -1;
	bool is_key = p->depth > 0 && json_is_object(p->stack[p->depth - 1].node) &&
	              !p->stack[p->depth - 1].key;
	/* a NUL ("\0") would cut the string wherever it is used as C text: a
	 * key never holds one; a value only when the caller asks (and refuses
	 * such strings itself, one entity at a time) */
	if (memchr(text, '\0', ev->data.scalar.length) &&
	    (is_key || !(p->o.flags & PAVED_YAML_NUL)))
		return fail(p, errmsg, ev->start_mark, "%s holds a NUL byte; refused",
		            is_key ? "a key" : "a string");
	if (!is_key && ev->data.scalar.plain_implicit && !tag)
		v = pv_yaml_resolve(text, p->o.flags & PAVED_YAML_JS_NUMBERS);
	if (!v && !is_key && tag && !strcmp(tag, YAML_NULL_TAG))
		v = json_null();
	/* libyaml hands over valid UTF-8 only: it refuses malformed input and
	 * escapes of surrogates or beyond U+10FFFF ("invalid Unicode
	 * character"), so jansson need not check it again */
	if (!v)
		v = json_stringn_nocheck(text, ev->data.scalar.length);
	if (!v)
		return fail(p, errmsg, ev->start_mark, "out of memory");
	if (ev->data.scalar.anchor && add_anchor(p, (const char *)ev->data.scalar.anchor, v, 1)) {
		json_decref(v);
		return fail(p, errmsg, ev->start_mark, "out of memory");
	}
	if (p->marks && !is_key) {
		char *path = child_path(p);
		mark(p, path, ev->start_mark);
		free(path);
	}
	/* a key keeps libyaml's buffer (malloc()ed; the event frees NULL) */
	return attach(p, v, text, true, is_key ? &ev->data.scalar.value : NULL, ev->start_mark,
	              errmsg);
}

/* Open a mapping or sequence. */
static int on_open(struct parse *p, yaml_event_t *ev, bool mapping, char **errmsg)
{
	if (p->depth >= p->o.max_depth)
		return fail(p, errmsg, ev->start_mark, "nesting deeper than %d levels",
		            p->o.max_depth);
	if (p->depth > 0 && json_is_object(p->stack[p->depth - 1].node) &&
	    !p->stack[p->depth - 1].key)
		return fail(p, errmsg, ev->start_mark, "a mapping key must be a scalar");
	if (count(p, 1, ev->start_mark, errmsg))
		return -1;
	const yaml_char_t *anchor = mapping ? ev->data.mapping_start.anchor
	                                    : ev->data.sequence_start.anchor;
	struct frame *f = &p->stack[p->depth];
	memset(f, 0, sizeof *f);
	f->node = mapping ? json_object() : json_array();
	f->start = p->nodes;
	if (anchor)
		f->anchor = strdup((const char *)anchor);
	if (p->marks)
		f->path = child_path(p);
	if (!f->node || (anchor && !f->anchor) || (p->marks && !f->path)) {
		json_decref(f->node);
		free(f->anchor);
		free(f->path);
		return fail(p, errmsg, ev->start_mark, "out of memory");
	}
	mark(p, f->path, ev->start_mark);
	p->depth++;
	return 0;
}

/* Close the innermost container and attach it to its parent. */
static int on_close(struct parse *p, yaml_event_t *ev, char **errmsg)
{
	struct frame f = p->stack[--p->depth];
	int rc = 0;
	free(f.key);
	free(f.path);
	if (f.anchor)
		rc = add_anchor(p, f.anchor, f.node, p->nodes - f.start + 1);
	free(f.anchor);
	if (rc) {
		json_decref(f.node);
		return fail(p, errmsg, ev->start_mark, "out of memory");
	}
	return attach(p, f.node, NULL, false, NULL, ev->start_mark, errmsg);
}

/* Handle an alias: share the anchored node, counting its full size. */
static int on_alias(struct parse *p, yaml_event_t *ev, char **errmsg)
{
	const char *name = (const char *)ev->data.alias.anchor;
	if (++p->aliases > p->o.max_aliases)
		return fail(p, errmsg, ev->start_mark, "more than %d aliases in one document; "
		            "refused", p->o.max_aliases);
	for (size_t i = p->nanchors; i-- > 0;) {
		if (strcmp(p->anchors[i].name, name) != 0)
			continue;
		if (count(p, p->anchors[i].size, ev->start_mark, errmsg))
			return -1;
		json_t *v = p->anchors[i].node;
		const char *text = json_is_string(v) ? json_string_value(v) : NULL;
		bool key_slot = p->depth > 0 && json_is_object(p->stack[p->depth - 1].node) &&
		                !p->stack[p->depth - 1].key;
		if (key_slot && !text)
			return fail(p, errmsg, ev->start_mark, "a mapping key must be a scalar");
		if (p->marks && !key_slot) {
			char *path = child_path(p);
			mark(p, path, ev->start_mark);
			free(path);
		}
		return attach(p, json_incref(v), text, text != NULL, NULL, ev->start_mark, errmsg);
	}
	return fail(p, errmsg, ev->start_mark, "unknown alias '*%s'", name);
}

/* The line and column of byte OFFSET of the input: libyaml's reader
 * reports a bad byte (invalid UTF-8, a control character) by offset only.
 * Reads the input again; only on that error path. */
static yaml_mark_t offset_mark(struct parse *p, size_t offset)
{
	yaml_mark_t m = { 0, 0, 0 };
	FILE *f = p->o.text ? NULL : fopen(p->name, "rb");
	for (size_t i = 0; i < offset; i++) {
		int c = p->o.text ? (unsigned char)p->o.text[i] : (f ? getc(f) : EOF);
		if (c == EOF)
			break;
		if (c == '\n')
			m.line++, m.column = 0;
		else if ((c & 0xC0) != 0x80)
			m.column++;
	}
	if (f)
		fclose(f);
	return m;
}

/* Format libyaml's own error as "NAME:LINE:COL: problem (context)". */
static int parser_error(struct parse *p, char **errmsg)
{
	yaml_parser_t *y = &p->parser;
	if (y->error == YAML_MEMORY_ERROR)
		return pv_seterr(errmsg, "%s: out of memory", p->name), -1;
	if (y->error == YAML_READER_ERROR)
		return fail(p, errmsg, offset_mark(p, y->problem_offset), "%s (byte %zu)",
		            y->problem ? y->problem : "cannot read the input", y->problem_offset);
	if (y->context)
		return fail(p, errmsg, y->problem_mark, "%s %s (started at line %zu)",
		            y->problem ? y->problem : "syntax error", y->context,
		            y->context_mark.line + 1);
	return fail(p, errmsg, y->problem_mark, "%s", y->problem ? y->problem : "syntax error");
}

/* A finished document: hand it on or collect it. */
static int on_document(struct parse *p, char **errmsg)
{
	json_t *doc = p->root ? p->root : json_null();
	int r = 0;
	p->root = NULL;
	if (p->o.each) {
		struct paved_yaml_doc where = { p->ndocs, p->doc_line, p->doc_col, p->marks };
		r = p->o.each(p->o.ud, doc, &where, errmsg);
		json_decref(doc);
	} else if (p->o.flags & PAVED_YAML_ALL_DOCS) {
		json_array_append_new(p->docs, doc);
		if (p->marks)
			json_array_append(p->docmarks, p->marks);
	} else if (p->ndocs > 0) {
		yaml_mark_t at = { 0, (size_t)p->doc_line - 1, (size_t)p->doc_col - 1 };
		json_decref(doc);
		r = fail(p, errmsg, at, "a second document; one was expected");
	} else {
		json_decref(p->docs);
		p->docs = doc;
		if (p->marks) {
			json_decref(p->docmarks);
			p->docmarks = json_incref(p->marks);
		}
	}
	p->ndocs++;
	return r;
}

/* Run the event loop over the parser already set up in P. */
static int run(struct parse *p, char **errmsg)
{
	int rc = 0;
	for (bool done = false; !done && rc == 0;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p->parser, &ev)) {
			rc = parser_error(p, errmsg);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			p->doc_line = (int)ev.start_mark.line + 1;
			p->doc_col = (int)ev.start_mark.column + 1;
			if ((p->o.flags & PAVED_YAML_MARKS) && !(p->marks = json_object()))
				rc = fail(p, errmsg, ev.start_mark, "out of memory");
			break;
		case YAML_DOCUMENT_END_EVENT: {
			int r = on_document(p, errmsg);
			if (r < 0)
				rc = -1;
			else if (r > 0)
				done = true;
			drop_doc(p);
			break;
		}
		case YAML_SCALAR_EVENT:
			rc = on_scalar(p, &ev, errmsg);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			rc = on_open(p, &ev, ev.type == YAML_MAPPING_START_EVENT, errmsg);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = on_close(p, &ev, errmsg);
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(p, &ev, errmsg);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	drop_doc(p);
	free(p->anchors);
	yaml_parser_delete(&p->parser);
	return rc;
}

/* Read YAML from PATH (or OPTS->text, named PATH) into *OUT.  See
 * api->read_yaml in paved/plugin.h. */
int pv_yaml_read(const char *path, const struct paved_yaml_opts *opts, json_t **out,
                 char **errmsg)
{
	struct parse *p = calloc(1, sizeof *p);
	FILE *f = NULL;
	int rc = PAVED_ERR;
	*out = NULL;
	if (!p)
		return pv_seterr(errmsg, "out of memory");
	if (opts) {
		size_t n = opts->size && opts->size < sizeof p->o ? opts->size : sizeof p->o;
		memcpy(&p->o, opts, n);
	}
	p->name = path ? path : "<input>";
	if (!p->o.max_nodes)
		p->o.max_nodes = DEF_MAX_NODES;
	if (!p->o.max_aliases)
		p->o.max_aliases = DEF_MAX_ALIASES;
	if (!p->o.max_depth || p->o.max_depth > HARD_MAX_DEPTH)
		p->o.max_depth = p->o.max_depth ? HARD_MAX_DEPTH : DEF_MAX_DEPTH;
	if (!p->o.max_bytes && !p->o.each)
		p->o.max_bytes = DEF_MAX_BYTES;
	if (!yaml_parser_initialize(&p->parser)) {
		free(p);
		return pv_seterr(errmsg, "out of memory");
	}
	if (p->o.text) {
		size_t len = p->o.text_len ? p->o.text_len : strlen(p->o.text);
		if (p->o.max_bytes && len > p->o.max_bytes) {
			pv_seterr(errmsg, "%s: %zu bytes is more than the %zu allowed; refused",
			          p->name, len, p->o.max_bytes);
			goto out;
		}
		yaml_parser_set_input_string(&p->parser, (const unsigned char *)p->o.text, len);
	} else {
		struct stat st;
		if (!path || !(f = fopen(path, "rb")) || fstat(fileno(f), &st) != 0) {
			pv_seterr(errmsg, "%s: cannot open: %s", p->name, strerror(errno));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			pv_seterr(errmsg, "%s: is a directory, not a file", p->name);
			goto out;
		}
		if (p->o.max_bytes && S_ISREG(st.st_mode) && (size_t)st.st_size > p->o.max_bytes) {
			pv_seterr(errmsg, "%s: %lld bytes is more than the %zu allowed; refused",
			          p->name, (long long)st.st_size, p->o.max_bytes);
			goto out;
		}
		yaml_parser_set_input_file(&p->parser, f);
	}
	if (!p->o.each && (p->o.flags & PAVED_YAML_ALL_DOCS)) {
		p->docs = json_array();
		if (p->o.flags & PAVED_YAML_MARKS)
			p->docmarks = json_array();
	}
	if (run(p, errmsg) == 0) {
		rc = PAVED_OK;
		if (!p->o.each) {
			*out = p->docs ? p->docs : json_null();
			p->docs = NULL;
			if (p->o.marks) {
				*p->o.marks = p->docmarks ? p->docmarks : json_object();
				p->docmarks = NULL;
			}
		}
	}
	json_decref(p->docs);
	json_decref(p->docmarks);
	if (f)
		fclose(f);
	free(p);
	return rc;
out:
	yaml_parser_delete(&p->parser);
	if (f)
		fclose(f);
	free(p);
	return rc;
}
