/*
 * lua_pattern.c -- a Lua 5.4 pattern matcher with a step budget (prefix
 * pv_pat_).
 *
 * Written from the reference manual's description of patterns (section
 * 6.4.1): single-character classes (., %a %c %d %g %l %p %s %u %w %x and
 * their upper-case complements, the deprecated %z, %<non-alphanumeric> as
 * the character itself), sets [...] with ranges, classes and a leading ^,
 * the repetitions * + - ?, the anchors ^ (handled by the caller) and a
 * final $, captures including position captures (), %b and %f, and the
 * back-references %1-%9.
 *
 * The search is a backtracking one, in the order the manual implies: '*'
 * and '+' try the longest run first, '-' the shortest, '?' tries with the
 * character first.  Every character class test, set item scanned and
 * subject byte compared costs one step; past the budget (lua.max_pattern_steps)
 * the match stops with an error instead of running for minutes.  The
 * nesting of continuation matches is limited to 200, as the stock library
 * does, with the same "pattern too complex" error.
 *
 * Errors are values: a failing function returns NULL with m->err set; the
 * Lua layer (lua_strlib.c) raises them.  Nothing here calls Lua.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lua_pattern.h"

#define ESC '%'
#define MAX_NEST 200           /* nested continuation matches, as stock Lua */
#define CLOCK_EVERY (1u << 20) /* steps between two looks at the clock */

/* Record the error FMT (the first one wins) and return NULL. */
static const char *fail(struct pv_pat *m, const char *fmt, ...)
{
	if (!m->err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(m->msg, sizeof m->msg, fmt, ap);
		va_end(ap);
		m->err = 1;
	}
	return NULL;
}

/* The slow path of charge(): the budget is spent, or it is time to ask
 * the clock.  Sets the next point where charge() must come here. */
static bool charge_check(struct pv_pat *m)
{
	if (m->max_steps && m->steps > m->max_steps) {
		m->budget_spent = true;
		fail(m, "pattern too complex: more than %llu matching steps "
		     "(lua.max_pattern_steps)", m->max_steps);
		return false;
	}
	if (m->too_slow && m->too_slow(m->clock_data)) {
		m->out_of_time = true;
		fail(m, "pattern matching stopped: the time limit was reached");
		return false;
	}
	m->check_at = m->steps + CLOCK_EVERY;
	if (m->max_steps && m->check_at > m->max_steps)
		m->check_at = m->max_steps;
	return true;
}

/* Charge N steps; false (with the error set) once the budget is spent or
 * the caller's clock says stop. */
static inline bool charge(struct pv_pat *m, unsigned long long n)
{
	m->steps += n;
	return (m->steps <= m->check_at || charge_check(m)) && !m->err;
}

/* Does byte C belong to the class letter CL (as in %CL)? */
static bool in_class(int c, int cl)
{
	bool yes;
	switch (tolower(cl)) {
	case 'a': yes = isalpha(c); break;
	case 'c': yes = iscntrl(c); break;
	case 'd': yes = isdigit(c); break;
	case 'g': yes = isgraph(c); break;
	case 'l': yes = islower(c); break;
	case 'p': yes = ispunct(c); break;
	case 's': yes = isspace(c); break;
	case 'u': yes = isupper(c); break;
	case 'w': yes = isalnum(c); break;
	case 'x': yes = isxdigit(c); break;
	case 'z': yes = c == 0; break;     /* deprecated, still understood */
	default: return cl == c;           /* %. %% %[ ... : the character itself */
	}
	return isupper(cl) ? !yes : yes;
}

/* Does byte C belong to the set whose '[' is at OPEN and ']' at CLOSE? */
static bool in_set(struct pv_pat *m, int c, const char *open, const char *close)
{
	const char *q = open + 1;
	bool want = true;
	if (*q == '^') {
		want = false;
		q++;
	}
	for (; q < close; q++) {
		if (!charge(m, 1))
			return false;
		if (*q == ESC) {
			q++;
			if (in_class(c, (unsigned char)*q))
				return want;
		} else if (q + 2 < close && q[1] == '-') {
			if ((unsigned char)q[0] <= c && c <= (unsigned char)q[2])
				return want;
			q += 2;
		} else if ((unsigned char)*q == c) {
			return want;
		}
	}
	return !want;
}

/* One past the single-character item at P (., x, %x or [set]); NULL with
 * an error for a malformed item. */
static const char *item_end(struct pv_pat *m, const char *p)
{
	const char *end = m->pat_end;
	if (*p == ESC) {
		if (p + 1 >= end)
			return fail(m, "malformed pattern (ends with '%%')");
		return p + 2;
	}
	if (*p != '[')
		return p + 1;
	const char *q = p + 1;
	if (q < end && *q == '^')
		q++;
	do {     /* the first character of a set is never its end: []] is a set */
		if (q >= end)
			return fail(m, "malformed pattern (missing ']')");
		if (!charge(m, 1))
			return NULL;
		if (*q++ == ESC && q < end)
			q++;
	} while (q >= end || *q != ']');
	return q + 1;
}

/* Does the subject byte at S (S < end) match the item [P, EP)? */
static bool item_matches(struct pv_pat *m, const char *s, const char *p, const char *ep)
{
	int c = (unsigned char)*s;
	switch (*p) {
	case '.':
		return true;
	case ESC:
		return in_class(c, (unsigned char)p[1]);
	case '[':
		return in_set(m, c, p, ep - 1);
	default:
		return (unsigned char)*p == c;
	}
}

static const char *match_here(struct pv_pat *m, const char *s, const char *p);

/* ITEM* or ITEM+ (S already past the required first one): the longest
 * run of the item [P, EP) first, then shorter ones, each followed by the
 * rest of the pattern after the repetition sign. */
static const char *longest_first(struct pv_pat *m, const char *s, const char *p, const char *ep)
{
	size_t run = 0;
	while (s + run < m->src_end && charge(m, 1) && item_matches(m, s + run, p, ep))
		run++;
	for (;;) {
		if (m->err)
			return NULL;
		const char *r = match_here(m, s + run, ep + 1);
		if (r || m->err || run == 0)
			return r;
		run--;
	}
}

/* ITEM-: the rest of the pattern first, then one more item, and so on. */
static const char *shortest_first(struct pv_pat *m, const char *s, const char *p,
                                  const char *ep)
{
	for (;;) {
		const char *r = match_here(m, s, ep + 1);
		if (r || m->err)
			return r;
		if (s < m->src_end && charge(m, 1) && item_matches(m, s, p, ep))
			s++;
		else
			return NULL;
	}
}

/* '(' at P-1: open capture number m->level at S (LEN is PV_PAT_OPEN or
 * PV_PAT_POSITION) and match the rest; the capture is dropped again if
 * the rest does not match. */
static const char *open_capture(struct pv_pat *m, const char *s, const char *p, ptrdiff_t len)
{
	if (m->level >= PV_PAT_MAXCAPTURES)
		return fail(m, "too many captures");
	m->cap[m->level].init = s;
	m->cap[m->level].len = len;
	m->level++;
	const char *r = match_here(m, s, p);
	if (!r)
		m->level--;
	return r;
}

/* ')' at P-1: close the innermost open capture at S, match the rest. */
static const char *close_capture(struct pv_pat *m, const char *s, const char *p)
{
	int l = m->level - 1;
	while (l >= 0 && m->cap[l].len != PV_PAT_OPEN)
		l--;
	if (l < 0)
		return fail(m, "invalid pattern capture");
	m->cap[l].len = s - m->cap[l].init;
	const char *r = match_here(m, s, p);
	if (!r)
		m->cap[l].len = PV_PAT_OPEN;
	return r;
}

/* %bXY at P (P points at X): a balanced run from S, or NULL. */
static const char *balanced(struct pv_pat *m, const char *s, const char *p)
{
	if (p + 1 >= m->pat_end)
		return fail(m, "malformed pattern (missing arguments to '%%b')");
	if (s >= m->src_end || *s != p[0])
		return NULL;
	int open = p[0], close = p[1];
	size_t depth = 1;
	while (++s < m->src_end) {
		if (!charge(m, 1))
			return NULL;
		if (*s == close) {       /* tested first, so %b'' pairs quotes */
			if (--depth == 0)
				return s + 1;
		} else if (*s == open) {
			depth++;
		}
	}
	return NULL;
}

/* %N (N a digit, at P[1]): the text of capture N again, at S. */
static const char *back_reference(struct pv_pat *m, const char *s, int digit)
{
	int l = digit - '1';
	if (l < 0 || l >= m->level || m->cap[l].len == PV_PAT_OPEN)
		return fail(m, "invalid capture index %%%d", l + 1);
	ptrdiff_t len = m->cap[l].len;
	if (len < 0)   /* a position capture has no text: it never matches */
		return NULL;
	if (m->src_end - s < len || !charge(m, (unsigned long long)len / 16 + 1))
		return NULL;
	return memcmp(m->cap[l].init, s, (size_t)len) == 0 ? s + len : NULL;
}

/* Match pattern P (up to m->pat_end) at subject position S: the end of
 * the match, or NULL (no match, or m->err set).  Steps that need no
 * alternative continue in the loop; a choice point recurses. */
static const char *match_here(struct pv_pat *m, const char *s, const char *p)
{
	if (m->nest >= MAX_NEST)
		return fail(m, "pattern too complex");
	m->nest++;
	const char *r = NULL;
	for (;;) {
		if (!charge(m, 1))
			break;
		if (p == m->pat_end) {
			r = s;
			break;
		}
		if (*p == '(') {
			if (p + 1 < m->pat_end && p[1] == ')')
				r = open_capture(m, s, p + 2, PV_PAT_POSITION);
			else
				r = open_capture(m, s, p + 1, PV_PAT_OPEN);
			break;
		}
		if (*p == ')') {
			r = close_capture(m, s, p + 1);
			break;
		}
		if (*p == '$' && p + 1 == m->pat_end) {
			r = s == m->src_end ? s : NULL;
			break;
		}
		if (*p == ESC && p + 1 < m->pat_end && p[1] == 'b') {
			if (!(s = balanced(m, s, p + 2)))
				break;
			p += 4;
			continue;
		}
		if (*p == ESC && p + 1 < m->pat_end && p[1] == 'f') {
			p += 2;
			if (p >= m->pat_end || *p != '[') {
				fail(m, "missing '[' after '%%f' in pattern");
				break;
			}
			const char *ep = item_end(m, p);
			if (!ep)
				break;
			int before = s == m->src_init ? 0 : (unsigned char)s[-1];
			int here = s < m->src_end ? (unsigned char)*s : 0;
			if (in_set(m, before, p, ep - 1) || m->err || !in_set(m, here, p, ep - 1))
				break;
			p = ep;
			continue;
		}
		if (*p == ESC && p + 1 < m->pat_end && isdigit((unsigned char)p[1])) {
			if (!(s = back_reference(m, s, p[1])))
				break;
			p += 2;
			continue;
		}
		/* a single-character item, maybe followed by a repetition sign */
		const char *ep = item_end(m, p);
		if (!ep)
			break;
		bool one = s < m->src_end && item_matches(m, s, p, ep);
		if (m->err)
			break;
		char sign = ep < m->pat_end ? *ep : '\0';
		if (sign == '?') {
			if (one && ((r = match_here(m, s + 1, ep + 1)) || m->err))
				break;
			p = ep + 1;
			continue;
		}
		if (sign == '+') {
			r = one ? longest_first(m, s + 1, p, ep) : NULL;
			break;
		}
		if (sign == '*') {
			r = longest_first(m, s, p, ep);
			break;
		}
		if (sign == '-') {
			r = shortest_first(m, s, p, ep);
			break;
		}
		if (!one)
			break;
		s++;
		p = ep;
	}
	m->nest--;
	return m->err ? NULL : r;
}

void pv_pat_init(struct pv_pat *m, const char *src, size_t srclen, const char *pat,
                 size_t patlen, unsigned long long max_steps)
{
	memset(m, 0, sizeof *m);
	m->src_init = src;
	m->src_end = src + srclen;
	m->pat_end = pat + patlen;
	m->max_steps = max_steps;
	m->check_at = max_steps && max_steps < CLOCK_EVERY ? max_steps : CLOCK_EVERY;
}

const char *pv_pat_match(struct pv_pat *m, const char *s, const char *p)
{
	m->level = 0;
	m->nest = 0;
	return match_here(m, s, p);
}

bool pv_pat_has_specials(const char *p, size_t len)
{
	static const char specials[] = "^$*+?.([%-";
	for (size_t i = 0; i < len; i++)
		if (p[i] && strchr(specials, p[i]))
			return true;
	return false;
}
