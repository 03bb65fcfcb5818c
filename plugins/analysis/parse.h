/*
 * parse.h -- what the analysis providers read, with no paved API (prefix
 * an_): HAProxy's `show stat` CSV, Prometheus's query answer, {{name}}
 * templates.  Tested on their own (test_parse.c).
 */
#ifndef AN_PARSE_H
#define AN_PARSE_H

#include <stdbool.h>
#include <jansson.h>

/* One server's line of `show stat`. */
struct an_server {
	char   name[64], addr[64], status[32];
	double responses, errors;   /* hrsp_1xx..hrsp_other, hrsp_5xx */
	double rtime_ms;            /* mean response time of the last 1024 */
};
/* The servers of BACKEND in CSV (HAProxy's `show stat` answer) into OUT
 * (at most MAX); how many, or -1 when the header is missing. */
int     an_parse_stat(const char *csv, const char *backend, struct an_server *out, int max);
/* Prometheus's answer BODY to /api/v1/query as a value: a number (one
 * series, or a scalar), an array of numbers (several series), or JSON
 * null (an empty vector, NaN: no data).  0 with *VALUE (new), or -1 with
 * ERR ("bad_data: parse error at char 5: ..."). */
int     an_prom_value(const char *body, json_t **value, char *err, size_t len);
/* TEXT with each {{name}} replaced by VARS.name (strings and numbers;
 * unknown names are kept as they are); malloc()ed. */
char   *an_template(const char *text, json_t *vars);

#endif
