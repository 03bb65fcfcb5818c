/*
 * test_util.h -- helpers shared by the catalog's Check suites: a fresh
 * database in a temporary directory per test, YAML snippets put straight
 * into it, files written for the importer, the test data directory.
 */
#ifndef CATALOG_TEST_UTIL_H
#define CATALOG_TEST_UTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

extern struct cat_db tdb;        /* open during each test (fixture) */
extern char tdir[];              /* its temporary directory */

/* Checked fixture: create tdir and open tdb in it / close and remove. */
void tdb_setup(void);
/* The same with the schema migrated no further than VERSION. */
void tdb_setup_at(int version);
void tdb_teardown(void);
/* Parse TEXT with the host's YAML reader, each document to EACH. */
typedef int (*tyaml_fn)(void *ud, json_t *doc, const struct paved_yaml_doc *where, char **err);
int tyaml(const char *text, tyaml_fn each, void *ud, char **err);
/* Write DOCS (an array) as a YAML stream with the host's writer. */
int temit(FILE *f, json_t *docs, char **err);
/* The fake host's function table (test_catalog.c) and its plugin state
 * {namespace: {key: value}} (NULL: empty). */
extern struct paved_api fake_api;
extern json_t *fake_state;
/* What the fake host's other plugins answer: {hook: result} or {hook:
 * {"error": message}} (NULL: no hook is provided); and, when not NULL, an
 * array that receives {"hook", "args"} of every call. */
extern json_t *fake_results, *fake_calls;

/* Put every document of YAML into tdb; fails the test on an error. */
void tput(const char *yaml);
/* Put every document of YAML; return the first error (malloc()ed) or NULL. */
char *tput_err(const char *yaml);
/* Write CONTENT to tdir/NAME (creating sub-directories); returns the path
 * (static buffer, valid until the next call). */
const char *twrite(const char *name, const char *content);
/* Import the single PATH into tdb; fills RES (caller frees).  _AS: all or
 * nothing when ATOMIC. */
int timport(const char *path, struct cat_import *res);
int timport_as(const char *path, bool atomic, struct cat_import *res);
/* Integer result of SQL over tdb. */
long tcount(const char *sql);
/* $PAVED_TESTDATA/backstage-examples/catalog, or NULL when absent. */
const char *texamples(void);
/* Whether ARR (array of strings) contains S. */
int tcontains(json_t *arr, const char *s);

Suite *model_suite(void);
Suite *queries_suite(void);
Suite *validate_suite(void);
Suite *import_suite(void);
Suite *hooks_suite(void);
Suite *ingest_suite(void);
Suite *health_suite(void);

#endif
