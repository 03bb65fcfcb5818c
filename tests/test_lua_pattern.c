/* test_lua_pattern.c - Check suite for the sandbox's pattern functions
 * (host/lua_pattern.c, host/lua_strlib.c): a differential test against the
 * stock string.find, string.match, string.gmatch and string.gsub, and the
 * step budget that bounds them.
 *
 * The stock functions run in a plain state (luaL_newstate + luaL_openlibs)
 * made here; the sandbox's in a pv_lua state.  Both load the same probe
 * chunk, which calls one function under pcall and serializes everything it
 * returns or raises; the two strings must be equal.  The cases are the
 * tricky ones listed below plus patterns generated from a grammar of every
 * pattern feature (and malformed ones) over generated subjects, each tried
 * with several init values and every kind of gsub replacement.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lualib.h>

#include "lua_rt.h"
#include "proc.h"

static char g_tmp[PATH_MAX];
static pv_host *g_host;
static struct pv_lua *g_x;
static lua_State *g_stock;

/* The probe: op 1 find, 2 find plain, 3 match, 4 gmatch, 5 gsub with a
 * string, 6 with a function, 7 with a table.  A is init (or the
 * replacement string), B the gsub count (nil: none). */
static const char probe_lua[] =
	"local function ser(...)\n"
	"  local t = { tostring(select('#', ...)) }\n"
	"  for i = 1, select('#', ...) do\n"
	"    local v = select(i, ...)\n"
	"    t[#t + 1] = type(v) == 'string' and string.format('%q', v) or\n"
	"                math.type(v) and (math.type(v) .. ':' .. tostring(v)) or tostring(v)\n"
	"  end\n"
	"  return table.concat(t, ' ')\n"
	"end\n"
	"local function repl_fn(...)\n"
	"  local a = ...\n"
	"  if a == 'b' or a == 2 then return false end\n"
	"  if a == 'c' then return nil end\n"
	"  if a == 'd' then return 7 end\n"
	"  if a == '(' then return {} end\n"
	"  local t = {}\n"
	"  for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end\n"
	"  return '<' .. table.concat(t, ',') .. '>'\n"
	"end\n"
	"local repl_t = { a = 'A', b = false, ab = 12, [1] = 'one', [3] = 3.5, x = {},\n"
	"                 ['('] = '[paren]', [''] = 'E' }\n"
	"function probe(op, s, p, a, b)\n"
	"  if op == 1 then return ser(pcall(string.find, s, p, a))\n"
	"  elseif op == 2 then return ser(pcall(string.find, s, p, a, true))\n"
	"  elseif op == 3 then return ser(pcall(string.match, s, p, a))\n"
	"  elseif op == 4 then\n"
	"    local out = {}\n"
	"    local ok, e = pcall(function()\n"
	"      for c1, c2, c3 in string.gmatch(s, p, a) do\n"
	"        out[#out + 1] = ser(c1, c2, c3)\n"
	"        if #out > 200 then break end\n"
	"      end\n"
	"    end)\n"
	"    return tostring(ok) .. ' ' .. tostring(e) .. ' ' .. table.concat(out, ';')\n"
	"  elseif op == 5 then return ser(pcall(string.gsub, s, p, a, b))\n"
	"  elseif op == 6 then return ser(pcall(string.gsub, s, p, repl_fn, b))\n"
	"  else return ser(pcall(string.gsub, s, p, repl_t, b)) end\n"
	"end\n";

/* Load the probe into L (a stock state, or the sandbox's when X). */
static void load_probe(lua_State *L, struct pv_lua *x)
{
	ck_assert_int_eq(luaL_loadbufferx(L, probe_lua, sizeof probe_lua - 1, "=probe", "t"),
	                 LUA_OK);
	char *err = NULL;
	if (x)
		ck_assert_msg(pv_lua_pcall(x, 0, 0, &err) == PAVED_OK, "%s", err);
	else
		ck_assert_int_eq(lua_pcall(L, 0, 0, 0), LUA_OK);
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(g_tmp, sizeof g_tmp, "%s/paved-test-pattern.XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(g_tmp));
	char home[PATH_MAX + 8];
	snprintf(home, sizeof home, "%s/home", g_tmp);
	struct pv_host_opts o = { .home = home, .no_plugins = true };
	char *err = NULL;
	int code;
	if (pv_host_open(&o, &g_host, &err, &code) != PAVED_OK)
		ck_abort_msg("pv_host_open: %s", err ? err : "?");
	ck_assert_ptr_nonnull(g_x = pv_lua_new(g_host, NULL));
	ck_assert_ptr_nonnull(g_stock = luaL_newstate());
	luaL_openlibs(g_stock);
	load_probe(g_stock, NULL);
	load_probe(g_x->L, g_x);
}

static void teardown(void)
{
	lua_close(g_stock);
	pv_lua_close(g_x);
	pv_host_close(g_host);
	pv_rm_rf(g_tmp, NULL);
}

/* Call probe(OP, S, P, A, B) in L; A and B: NULL for nil, else a Lua
 * expression's value given as an integer or a string (IS_STR). */
struct arg {
	enum { A_NIL, A_INT, A_STR } kind;
	long long i;
	const char *s;
	size_t len;
};

static char *call_probe(lua_State *L, struct pv_lua *x, int op, const char *s, size_t ls,
                        const char *p, size_t lp, struct arg a, struct arg b)
{
	lua_getglobal(L, "probe");
	lua_pushinteger(L, op);
	lua_pushlstring(L, s, ls);
	lua_pushlstring(L, p, lp);
	struct arg ab[2] = { a, b };
	for (int i = 0; i < 2; i++) {
		if (ab[i].kind == A_INT)
			lua_pushinteger(L, ab[i].i);
		else if (ab[i].kind == A_STR)
			lua_pushlstring(L, ab[i].s, ab[i].len);
		else
			lua_pushnil(L);
	}
	char *err = NULL;
	int rc = x ? pv_lua_pcall(x, 5, 1, &err) : (lua_pcall(L, 5, 1, 0) == LUA_OK ? 0 : -1);
	char *out = strdup(rc == 0 ? lua_tostring(L, -1) : x ? err : lua_tostring(L, -1));
	lua_pop(L, 1);
	free(err);
	return out;
}

/* Run one case through both; on a difference, describe it in *REPORT
 * (the first few only) and count it. */
static int g_cases, g_diffs;
static char g_report[8192];

static void show(char *dst, size_t cap, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		o += (size_t)snprintf(dst + o, cap - o, c < 32 || c > 126 || c == '\\' ? "\\%d" : "%c",
		                      c);
	}
	dst[o < cap ? o : cap - 1] = '\0';
}

static void compare(int op, const char *s, size_t ls, const char *p, size_t lp, struct arg a,
                    struct arg b)
{
	char *want = call_probe(g_stock, NULL, op, s, ls, p, lp, a, b);
	char *got = call_probe(g_x->L, g_x, op, s, ls, p, lp, a, b);
	g_cases++;
	if (strcmp(want, got) != 0) {
		if (g_diffs++ < 8) {
			char ss[200], ps[200], as[100] = "nil";
			show(ss, sizeof ss, s, ls);
			show(ps, sizeof ps, p, lp);
			if (a.kind == A_INT)
				snprintf(as, sizeof as, "%lld", a.i);
			else if (a.kind == A_STR)
				show(as, sizeof as, a.s, a.len);
			size_t o = strlen(g_report);
			snprintf(g_report + o, sizeof g_report - o,
			         "op %d s=\"%s\" p=\"%s\" a=%s b=%lld\n  stock: %.300s\n  ours:  %.300s\n",
			         op, ss, ps, as, b.kind == A_INT ? b.i : -999, want, got);
		}
	}
	free(want);
	free(got);
}

static const struct arg NIL = { A_NIL, 0, NULL, 0 };

static struct arg int_arg(long long i)
{
	return (struct arg){ A_INT, i, NULL, 0 };
}

static struct arg str_arg(const char *s)
{
	return (struct arg){ A_STR, 0, s, strlen(s) };
}

/* Every operation on subject S and pattern P. */
static void compare_all(const char *s, size_t ls, const char *p, size_t lp)
{
	static const long long inits[] = { 1, 2, 0, -1, -3, 4, 100, -100 };
	static const char *const repls[] = { "[%0]", "%1-%2", "%%", "x%", "%9", "%a", "" };
	for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++) {
		struct arg init = i == 0 ? NIL : int_arg(inits[i] == 4 ? (long long)ls + 1 : inits[i]);
		compare(1, s, ls, p, lp, init, NIL);
		compare(3, s, ls, p, lp, init, NIL);
		compare(4, s, ls, p, lp, init, NIL);
		if (i < 3)
			compare(2, s, ls, p, lp, init, NIL);
	}
	for (size_t i = 0; i < sizeof repls / sizeof repls[0]; i++)
		compare(5, s, ls, p, lp, str_arg(repls[i]), i == 1 ? int_arg(2) : NIL);
	compare(6, s, ls, p, lp, NIL, NIL);
	compare(7, s, ls, p, lp, NIL, NIL);
	compare(6, s, ls, p, lp, NIL, int_arg(1));
	compare(5, s, ls, p, lp, str_arg("-"), int_arg(0));
	compare(5, s, ls, p, lp, str_arg("-"), int_arg(-1));
}

/* The cases that are easy to get wrong, and the manual's examples (with
 * their lengths: some embed a NUL). */
#define C(s, p) { s, sizeof s - 1, p, sizeof p - 1 }
static const struct { const char *s; size_t ls; const char *p; size_t lp; } tricky[] = {
	C("hello world", "o"), C("hello world", "(%w+)"), C("hello world", "%w+"),
	C("hello world from Lua", "(%w+)%s*(%w+)"), C("$name=$value", "%$(%w+)"),
	C("4+5 = $return 4+5$", "%$(.-)%$"), C("key=val, k2=v2", "(%w+)=(%w+)"),
	C("THE (quick) fox", "%((%a+)%)"), C("THE (quick) fox", "%f[%a]%a+%f[%A]"),
	C("THE (quick) fox", "%f[%a]"), C("hello hello", "(%w+) %1"),
	C("[[x]] [==[y]==]", "%[(=*)%[(.-)%]%1%]"), C("f(a(b)c)d", "%b()"),
	C("'a' 'b'", "%b''"), C("abc", "%bac"), C("", ""), C("", "^$"), C("a", "$"),
	C("abc", "^"), C("aaa", "^a"), C("aaa", "a-"), C("aaa", ".-b"), C("aaab", "a-b"),
	C("hello world", "%w*"), C("abc", ""), C("abc", "()"), C("abc", "()a()"),
	C("abc", "("), C("abc", ")"), C("abc", "a)"), C("abc", "%"), C("abc", "a%"),
	C("abc", "[a"), C("abc", "[]"), C("abc", "[^]"), C("]", "[]]"), C("]", "[^]]"),
	C("a]", "[%]]+"), C("a-z", "[a-]+"), C("a-%", "[a-%%]+"), C("x_1", "[%a_]+"),
	C("abc", "%f"), C("abc", "%fa"), C("abc", "%b"), C("abc", "%ba"),
	C("aa", "(a)%2"), C("aa", "(a)%0"), C("aa", "(a%1)"), C("aa", "()%1"),
	C("a\0b", "\0"), C("a\0b", "%z"), C("a\0b", "[\0]"), C("a\0b", "[%z]"),
	C("a\0b", "%Z+"), C("\200\255", "[\128-\255]+"), C("a.b", "."), C("a.b", "%."),
	C("a+b", "a+b"), C("a+b", "a%+b"), C("  x  ", "^%s*(.-)%s*$"),
	C("abc", "%f[%z]"), C("abc", "%f[^%z]"), C("ab", "^(a)(b)$"), C("ab", "a?b?c?"),
	C("x = 1, y = 22", "(%w+)%s*=%s*(%d+)"), C("2024-01-31", "(%d+)-(%d+)-(%d+)"),
	C("/usr/local/bin", "[^/]+$"), C("a,b,,c", "([^,]*)"), C("one two", "%S+"),
	C("HeLLo", "%u%l"), C("0x1F", "%x+"), C("a\tb\nc", "%c"), C("a!b?", "%p"),
	C("ab12", "%g+"), C("(a(b)c)", "%((.-)%)"), C("aaa", "a*?"), C("aaa", "(a*)(a+)"),
	C("aaa", "(a-)(a*)$"), C("b", "^a*b$"), C("ba", "^b*"), C("(((", "%("),
};

START_TEST(tricky_cases)
{
	for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++)
		compare_all(tricky[i].s, tricky[i].ls, tricky[i].p, tricky[i].lp);
	/* depth and capture limits */
	char pat[1024], subj[400];
	memset(subj, 'a', 300);
	for (int n = 198; n <= 201; n++) {
		for (int k = 0; k < n; k++)
			memcpy(pat + 2 * k, "a?", 2);
		compare(1, subj, 300, pat, (size_t)(2 * n), NIL, NIL);
	}
	for (int n = 31; n <= 33; n++) {
		for (int k = 0; k < n; k++)
			memcpy(pat + 2 * k, "()", 2);
		compare(3, subj, 3, pat, (size_t)(2 * n), NIL, NIL);
	}
	/* argument errors and conversions */
	compare(1, "123", 3, "2", 1, NIL, NIL);
	compare(5, "abc", 3, "b", 1, int_arg(5), NIL);
	compare(5, "abc", 3, "b", 1, NIL, NIL);
	compare(5, "abc", 3, "b", 1, str_arg("x"), str_arg("many"));
	ck_assert_msg(g_diffs == 0, "%d of %d cases differ:\n%s", g_diffs, g_cases, g_report);
	printf("tricky: %d cases, all equal\n", g_cases);
}
END_TEST

/* A small deterministic generator (xorshift), the same on every run. */
static unsigned long long g_rng = 88172645463325252ULL;

static unsigned pick(unsigned n)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return (unsigned)(g_rng % n);
}

/* Append one generated pattern item to P (at *N, capacity CAP); DEPTH
 * limits nested captures. */
static void gen_item(char *p, size_t *n, size_t cap, int depth)
{
	static const char *const singles[] = {
		"a", "b", "c", ".", "%a", "%d", "%s", "%w", "%p", "%x", "%l", "%u", "%c", "%g",
		"%A", "%D", "%S", "%W", "%z", "%.", "%%", "%(", "[ab]", "[^a]", "[a-c]", "[%a_]",
		"[]]", "[^]a]", "[%d%s]", "[a-]", " ", "-", "(", "$", "^", "\\0",
	};
	static const char *const suffix[] = { "", "", "", "*", "+", "-", "?" };
	static const char *const specials[] = {
		"%b()", "%bab", "%b''", "%f[%w]", "%f[^a]", "%f[%z]", "%1", "%2", "()", "$",
	};
	static const char *const broken[] = { "%", "[a", "%f", "%fa", "%b", ")", "%0", "[%" };
	char item[32];
	unsigned k = pick(100);
	if (k < 65) {
		const char *s = singles[pick(sizeof singles / sizeof singles[0])];
		if (strcmp(s, "\\0") == 0)
			s = "\1";   /* stands for a NUL, replaced below */
		snprintf(item, sizeof item, "%s%s", s, suffix[pick(sizeof suffix / sizeof suffix[0])]);
	} else if (k < 80 && depth < 3) {
		size_t before = *n;
		if (*n + 1 < cap)
			p[(*n)++] = '(';
		for (unsigned i = 0, m = 1 + pick(3); i < m; i++)
			gen_item(p, n, cap, depth + 1);
		if (*n + 1 < cap)
			p[(*n)++] = ')';
		(void)before;
		return;
	} else if (k < 96) {
		snprintf(item, sizeof item, "%s", specials[pick(sizeof specials / sizeof specials[0])]);
	} else {
		snprintf(item, sizeof item, "%s", broken[pick(sizeof broken / sizeof broken[0])]);
	}
	size_t l = strlen(item);
	if (*n + l < cap) {
		for (size_t i = 0; i < l; i++)
			p[*n + i] = item[i] == '\1' ? '\0' : item[i];
		*n += l;
	}
}

START_TEST(generated_cases)
{
#define S(s) { s, sizeof s - 1 }
	static const struct { const char *s; size_t len; } subjects[] = {
		S(""), S("a"), S("abc"), S("aaab"), S("abcabc"), S("a b  c"), S("f(a(b)c)d"),
		S("'x' 'y'"), S("x1 = 22, y = 3"), S("]]^$%-."), S("AbC_12 \t\n"), S("ab\0ba"),
		S("(((a)))"), S("aaaaaaaaaaaaaaaa"),
	};
	double t0 = (double)clock() / CLOCKS_PER_SEC;
	int patterns = 0;
	for (int round = 0; round < 700; round++) {
		char p[128];
		size_t n = 0;
		if (pick(5) == 0)
			p[n++] = '^';
		for (unsigned i = 0, m = 1 + pick(4); i < m; i++)
			gen_item(p, &n, sizeof p - 2, 0);
		if (pick(6) == 0)
			p[n++] = '$';
		patterns++;
		for (unsigned k = 0; k < 3; k++) {
			unsigned si = pick(sizeof subjects / sizeof subjects[0]);
			compare_all(subjects[si].s, subjects[si].len, p, n);
		}
	}
	double took = (double)clock() / CLOCKS_PER_SEC - t0;
	ck_assert_msg(g_diffs == 0, "%d of %d cases differ:\n%s", g_diffs, g_cases, g_report);
	printf("generated: %d patterns, %d cases, all equal (%.2f s CPU)\n", patterns, g_cases,
	       took);
}
END_TEST

/* ---- the budget ----------------------------------------------------------- */

/* A pattern stock Lua backtracks on for well over 30 seconds:
 * ("a*"):rep(9) .. "b" against 40 a's has C(48, 8) ~ 377 million ways to
 * split the a's, every one of them tried before failing. */
static const char slow_case[] =
	"return string.find(string.rep('a', 40), string.rep('a*', 9) .. 'b')";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run CODE in the sandbox: its error message (caller frees), or NULL. */
static char *sandbox_error(const char *code)
{
	ck_assert_int_eq(luaL_loadbufferx(g_x->L, code, strlen(code), "=test", "t"), LUA_OK);
	char *err = NULL;
	if (pv_lua_pcall(g_x, 0, 0, &err) == PAVED_OK)
		return NULL;
	lua_pop(g_x->L, 1);
	return err;
}

START_TEST(budget_stops_backtracking)
{
	double t0 = now_s();
	char *err = sandbox_error(slow_case);
	double took = now_s() - t0;
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, "pattern too complex: more than 10000000 matching steps "
	                     "(lua.max_pattern_steps)"), "%s", err);
	ck_assert_msg(took < 1.0, "the budget took %.2f s to stop the match", took);
	printf("budget: the 30-second pattern failed after %.3f s: %.90s\n", took, err);
	free(err);
	/* gsub and gmatch are budgeted too, and the state goes on working */
	err = sandbox_error("return string.gsub(string.rep('a', 40), string.rep('a*', 9) .. 'b', '')");
	ck_assert_msg(err && strstr(err, "pattern too complex: more than"), "%s", err);
	free(err);
	err = sandbox_error("for x in string.gmatch(string.rep('a', 40), string.rep('a-', 9) .. 'b')"
	                    " do end");
	ck_assert_msg(err && strstr(err, "pattern too complex: more than"), "%s", err);
	free(err);
	err = sandbox_error("assert(string.find('abc', 'b') == 2)");
	ck_assert_msg(err == NULL, "%s", err);
}
END_TEST

START_TEST(budget_from_config)
{
	pv_lua_close(g_x);
	pv_host_close(g_host);
	char home[PATH_MAX + 8];
	snprintf(home, sizeof home, "%s/home", g_tmp);
	static const char *const sets[] = { "lua.max_pattern_steps=1000" };
	struct pv_host_opts o = { .home = home, .no_plugins = true, .sets = sets, .nsets = 1 };
	char *err = NULL;
	int code;
	ck_assert_int_eq(pv_host_open(&o, &g_host, &err, &code), PAVED_OK);
	ck_assert_ptr_nonnull(g_x = pv_lua_new(g_host, NULL));
	err = sandbox_error("return string.find(string.rep('x', 2000), '[y]')");
	ck_assert_msg(err && strstr(err, "pattern too complex: more than 1000 matching steps "
	                            "(lua.max_pattern_steps)"), "%s", err);
	free(err);
	/* an ordinary call fits */
	err = sandbox_error("assert(('key=value'):match('^(%w+)=(%w+)$') == 'key')");
	ck_assert_msg(err == NULL, "%s", err);
	/* a plain find is not a pattern: no budget */
	err = sandbox_error("assert(string.find(string.rep('x', 5000), 'y', 1, true) == nil)");
	ck_assert_msg(err == NULL, "%s", err);
}
END_TEST

/* The default budget leaves room for ordinary work on big text. */
START_TEST(budget_fits_ordinary_work)
{
	double t0 = now_s();
	char *err = sandbox_error(
		"local s = string.rep('word, other words; ', 50000)\n"   /* 1 MB */
		"local n = select(2, s:gsub('%w+', string.upper))\n"
		"assert(n == 150000, n)\n"
		"local c = 0 for w in s:gmatch('[^,;]+') do c = c + 1 end\n"
		"assert(c == 100001, c)\n"
		"assert(s:find('nope') == nil)\n"
		"assert(s:match('^(%w+)') == 'word')\n");
	ck_assert_msg(err == NULL, "%s", err);
	printf("ordinary work on 1 MB: %.3f s\n", now_s() - t0);
}
END_TEST

static Suite *pattern_suite(void)
{
	Suite *s = suite_create("lua_pattern");
	TCase *tc = tcase_create("differential");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);   /* generous for sanitizer builds */
	tcase_add_test(tc, tricky_cases);
	tcase_add_test(tc, generated_cases);
	suite_add_tcase(s, tc);
	tc = tcase_create("budget");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, budget_stops_backtracking);
	tcase_add_test(tc, budget_from_config);
	tcase_add_test(tc, budget_fits_ordinary_work);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pattern_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
