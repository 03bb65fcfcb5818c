/*
 * lua_pattern.h -- a Lua 5.4 pattern matcher with a step budget
 * (lua_pattern.c, prefix pv_pat_).  Pure C: errors are values, nothing
 * calls Lua; lua_strlib.c builds string.find/match/gmatch/gsub on it.
 */
#ifndef PV_LUA_PATTERN_H
#define PV_LUA_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define PV_PAT_MAXCAPTURES 32    /* LUA_MAXCAPTURES of a stock build */
#define PV_PAT_OPEN     (-1)     /* capture length: not closed yet */
#define PV_PAT_POSITION (-2)     /* capture length: a position capture () */

/* One match: the subject, the pattern's end, the captures so far, the
 * budget.  Borrowed pointers only; lives on the caller's stack. */
struct pv_pat {
	const char *src_init, *src_end, *pat_end;
	int level;                    /* captures opened so far */
	int nest;                     /* nested continuation matches */
	struct { const char *init; ptrdiff_t len; } cap[PV_PAT_MAXCAPTURES];
	unsigned long long steps, max_steps;   /* max_steps 0: no budget */
	/* optional: asked every 2^20 steps; true stops the match */
	bool (*too_slow)(void *data);
	void *clock_data;
	unsigned long long check_at;  /* steps at which to look at budget and clock */
	int  err;                     /* set with msg when a match failed with an error */
	bool budget_spent, out_of_time;
	char msg[128];
};

/* Prepare M for subject SRC and pattern PAT with a budget of MAX_STEPS. */
void pv_pat_init(struct pv_pat *m, const char *src, size_t srclen, const char *pat,
                 size_t patlen, unsigned long long max_steps);
/* Match pattern P (a suffix of PAT, after any '^') at subject position S:
 * the end of the match with the captures in M, or NULL: no match, or an
 * error when m->err is set (m->msg says which). */
const char *pv_pat_match(struct pv_pat *m, const char *s, const char *p);
/* Does PAT contain a character that makes it more than plain text? */
bool pv_pat_has_specials(const char *p, size_t len);

#endif
