/*
 * valid_format.c -- the string formats Backstage checks, hand-written so
 * that validating an entity compiles no regular expression and allocates
 * nothing (prefix cat_valid_, declared in validate.h).
 *
 * Ported from @backstage/catalog-model (packages/catalog-model/src):
 *   validation/KubernetesValidatorFunctions.ts  apiVersion, kind, object
 *       name, namespace, label and annotation keys and values;
 *   validation/CommonValidatorFunctions.ts      DNS label and subdomain,
 *       prefix-and-or-suffix, URL (`new URL(value)` succeeds), non-empty
 *       string (`value.trim()`);
 *   validation/makeValidator.ts                 the tag format the
 *       FieldFormatEntityPolicy applies (a ':' is allowed);
 *   entity/ref.ts                               parseEntityRef.
 *
 * Lengths are in bytes; every format here admits ASCII only, where bytes
 * and JavaScript's UTF-16 units agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "validate.h"

static bool is_lower_digit(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(unsigned char c)
{
	return is_lower_digit(c) || (c >= 'A' && c <= 'Z');
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static int hex_val(unsigned char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* /^[a-z0-9]+(?:\-+[a-z0-9]+)*$/, 1-63 characters (runs of '-' allowed). */
bool cat_valid_dns_label(const char *s, size_t n)
{
	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_digit((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* 1-253 characters of DNS labels joined by '.'. */
bool cat_valid_dns_subdomain(const char *s, size_t n)
{
	if (n < 1 || n > 253)
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++)
		if (i == n || s[i] == '.') {
			if (!cat_valid_dns_label(s + start, i - start))
				return false;
			start = i + 1;
		}
	return true;
}

/* isValidPrefixAndOrSuffix(value, '/', dns subdomain, SUFFIX): one or two
 * parts split on '/'. */
static bool prefix_and_or_suffix(const char *s, size_t n, bool (*suffix)(const char *, size_t))
{
	const char *slash = memchr(s, '/', n);
	if (!slash)
		return suffix(s, n);
	size_t np = (size_t)(slash - s);
	if (memchr(slash + 1, '/', n - np - 1))
		return false;
	return cat_valid_dns_subdomain(s, np) && suffix(slash + 1, n - np - 1);
}

/* 1-63 of [a-zA-Z0-9]: the version after an apiVersion's group. */
static bool alnum_word(const char *s, size_t n)
{
	if (n < 1 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]))
			return false;
	return true;
}

bool cat_valid_api_version(const char *s, size_t n)
{
	return prefix_and_or_suffix(s, n, alnum_word);
}

/* /^[a-zA-Z][a-z0-9A-Z]*$/, 1-63 characters. */
bool cat_valid_kind_name(const char *s, size_t n)
{
	return n >= 1 && n <= 63 && is_alpha((unsigned char)s[0]) && alnum_word(s, n);
}

/* /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/, 1-63 characters: "a--b"
 * and "a..b" are names too. */
bool cat_valid_object_name(const char *s, size_t n)
{
	if (n < 1 || n > 63 || !is_alnum((unsigned char)s[0]) || !is_alnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

bool cat_valid_label_key(const char *s, size_t n)
{
	return prefix_and_or_suffix(s, n, cat_valid_object_name);
}

bool cat_valid_label_value(const char *s, size_t n)
{
	return n == 0 || cat_valid_object_name(s, n);
}

/* /^[a-z0-9:+#]+(\-[a-z0-9:+#]+)*$/, 1-63 characters. */
bool cat_valid_tag(const char *s, size_t n)
{
	if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '-' ? s[i + 1] == '-' : !(is_lower_digit(c) || c == ':' || c == '+' || c == '#'))
			return false;
	}
	return true;
}

/* The code point of the UTF-8 sequence at S[*I] (of N), advancing *I;
 * -1 for a malformed sequence. */
static long utf8_next(const char *s, size_t n, size_t *i)
{
	unsigned char c = (unsigned char)s[*i];
	int len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (!len || *i + (size_t)len > n)
		return -1;
	long cp = len == 1 ? c : c & (0x7f >> len);
	for (int k = 1; k < len; k++) {
		unsigned char d = (unsigned char)s[*i + (size_t)k];
		if ((d & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (d & 0x3f);
	}
	static const long min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += (size_t)len;
	return cp;
}

/* JavaScript's String.prototype.trim whitespace: WhiteSpace and
 * LineTerminator. */
static bool js_space(long cp)
{
	return cp == 0x09 || cp == 0x0a || cp == 0x0b || cp == 0x0c || cp == 0x0d || cp == 0x20 ||
	       cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

bool cat_valid_nonempty(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		long cp = utf8_next(s, n, &i);
		if (cp < 0 || !js_space(cp))
			return true;   /* (malformed UTF-8 never reaches here from JSON) */
	}
	return false;
}

/* ---- URLs: what WHATWG's URL parser (Node's `new URL`) accepts ------- */

/* Parse a WHATWG IPv4 number (decimal, 0x hex, 0 octal) of N bytes. */
static bool ipv4_number(const char *s, size_t n, uint64_t *out)
{
	int radix = 10;
	if (n >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x')
		radix = 16, s += 2, n -= 2;
	else if (n >= 2 && s[0] == '0')
		radix = 8, s++, n--;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int d = radix == 16 ? (is_hex(c) ? hex_val(c) : -1) : (c >= '0' && c <= '9' ? c - '0' : -1);
		if (d < 0 || d >= radix)
			return false;
		v = v * (uint64_t)radix + (uint64_t)d;
		if (v > 0xffffffffffULL)
			v = 0xffffffffffULL;   /* saturate: too big either way */
	}
	*out = v;
	return true;
}

/* WHATWG's "ends in a number" then the IPv4 parser.  Returns 1 (a valid
 * IPv4 address), 0 (not a number: a domain), -1 (a failing number). */
static int ipv4_host(const char *s, size_t n)
{
	size_t end = n;
	if (end > 0 && s[end - 1] == '.')
		end--;   /* one trailing dot */
	size_t start = end;
	while (start > 0 && s[start - 1] != '.')
		start--;
	const char *last = s + start;
	size_t nl = end - start;
	bool digits = nl > 0;
	uint64_t v;
	for (size_t i = 0; i < nl; i++)
		digits &= last[i] >= '0' && last[i] <= '9';
	if (!digits && !(nl >= 2 && last[0] == '0' && (last[1] | 0x20) == 'x' && ipv4_number(last, nl, &v)))
		return 0;
	size_t np = 1;
	for (size_t i = 0; i < end; i++)
		np += s[i] == '.';
	if (np > 4)
		return -1;
	for (size_t k = 0, a = 0; k < np; k++) {
		size_t b = a;
		while (b < end && s[b] != '.')
			b++;
		if (b == a || !ipv4_number(s + a, b - a, &v))
			return -1;
		if (k + 1 < np ? v > 255 : v >= (1ULL << (8 * (5 - np))))
			return -1;
		a = b + 1;
	}
	return 1;
}

/* WHATWG's IPv6 parser over the text between '[' and ']'. */
static bool ipv6_host(const char *s, size_t n)
{
	int piece = 0, compress = -1;
	size_t i = 0;
	if (n && s[0] == ':') {
		if (n < 2 || s[1] != ':')
			return false;
		i = 2, compress = ++piece;
	}
	while (i < n) {
		if (piece == 8)
			return false;
		if (s[i] == ':') {
			if (compress >= 0)
				return false;
			i++, compress = ++piece;
			continue;
		}
		size_t len = 0;
		while (len < 4 && i < n && is_hex((unsigned char)s[i]))
			i++, len++;
		if (i < n && s[i] == '.') {   /* an IPv4 tail */
			if (len == 0 || piece > 6)
				return false;
			i -= len;
			int seen = 0;
			while (i < n) {
				if (seen > 0) {
					if (s[i] != '.' || seen >= 4)
						return false;
					i++;
				}
				if (i >= n || s[i] < '0' || s[i] > '9')
					return false;
				int v = -1;
				while (i < n && s[i] >= '0' && s[i] <= '9') {
					if (v == 0)
						return false;   /* no leading zero */
					v = (v < 0 ? 0 : v * 10) + (s[i++] - '0');
					if (v > 255)
						return false;
				}
				if (++seen % 2 == 0)
					piece++;
			}
			if (seen != 4)
				return false;
			break;
		}
		if (i < n && s[i] == ':') {
			if (++i == n)
				return false;
		} else if (i < n) {
			return false;
		}
		if (len == 0)
			return false;
		piece++;
	}
	return compress >= 0 || piece == 8;
}

/* Decode a Punycode label (RFC 3492), checking it yields non-ASCII code
 * points only where the IDNA mapping would keep them (an approximation of
 * UTS 46: U+00A0 and above, no surrogates). */
static bool punycode_ok(const char *s, size_t n)
{
	size_t b = 0;
	for (size_t j = 0; j < n; j++)
		if (s[j] == '-')
			b = j;
	uint64_t out = b, i = 0, nn = 128, bias = 72;
	size_t in = b > 0 ? b + 1 : 0;
	bool decoded = false;
	while (in < n) {
		uint64_t oldi = i, w = 1;
		for (uint64_t k = 36;; k += 36) {
			if (in >= n)
				return false;
			unsigned char c = (unsigned char)s[in++] | 0x20;
			uint64_t d = c >= 'a' && c <= 'z' ? c - 'a' : c >= '0' && c <= '9' ? c - '0' + 26 : 99;
			if (d >= 36)
				return false;
			i += d * w;
			uint64_t t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
			if (d < t)
				break;
			w *= 36 - t;
			if (i > 0x7fffffff || w > 0x7fffffff)
				return false;
		}
		uint64_t delta = oldi == 0 ? (i - oldi) / 700 : (i - oldi) / 2;
		delta += delta / (out + 1);
		for (bias = 0; delta > 455; bias += 36)
			delta /= 35;
		bias += 36 * delta / (delta + 38);
		nn += i / (out + 1);
		i %= out + 1;
		if (nn < 0xa0 || nn > 0x10ffff || (nn >= 0xd800 && nn <= 0xdfff))
			return false;
		out++, i++, decoded = true;
	}
	return decoded;
}

/* A special URL's host (percent-decoded, IDNA, IPv4 or a domain). */
static bool domain_host(const char *s, size_t n)
{
	char buf[256], *d = n < sizeof buf ? buf : malloc(n + 1);
	size_t m = 0;
	bool ok = d != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && is_hex((unsigned char)s[i + 1]) &&
		    is_hex((unsigned char)s[i + 2])) {
			c = (unsigned char)(hex_val((unsigned char)s[i + 1]) * 16 +
			                    hex_val((unsigned char)s[i + 2]));
			i += 2;
		}
		d[m++] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
	}
	for (size_t i = 0; ok && i < m;) {
		unsigned char c = (unsigned char)d[i];
		if (c >= 0x80) {
			ok = utf8_next(d, m, &i) >= 0;
			continue;
		}
		ok = c > 0x20 && c != 0x7f && !strchr("#%/:<>?@[\\]^|", c);
		i++;
	}
	for (size_t start = 0, i = 0; ok && i <= m; i++)   /* xn-- labels */
		if (i == m || d[i] == '.') {
			if (i - start >= 4 && !memcmp(d + start, "xn--", 4))
				ok = punycode_ok(d + start + 4, i - start - 4);
			start = i + 1;
		}
	ok = ok && m > 0 && ipv4_host(d, m) >= 0;
	if (d != buf)
		free(d);
	return ok;
}

/* HOST[:PORT] of an authority; SPECIAL: a domain or IPv4 (non-empty),
 * else an opaque host (may be empty). */
static bool host_port(const char *s, size_t n, bool special)
{
	size_t h = 0;
	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close || !ipv6_host(s + 1, (size_t)(close - s) - 1))
			return false;
		h = (size_t)(close - s) + 1;
		if (h < n && s[h] != ':')
			return false;
	} else {
		while (h < n && s[h] != ':')
			h++;
		if (special && !domain_host(s, h))
			return false;
		for (size_t i = 0; !special && i < h; i++)
			if ((unsigned char)s[i] <= 0x20 || strchr("#/<>?@[\\]^|", s[i]))
				return false;
	}
	long port = 0;
	for (size_t i = h + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		port = port * 10 + (s[i] - '0');
		if (port > 65535)
			return false;
	}
	return true;
}

/* The URL (tabs and newlines removed, ends trimmed) in U of N. */
static bool url_ok(const char *u, size_t n)
{
	size_t i = 0;
	if (n == 0 || !is_alpha((unsigned char)u[0]))
		return false;
	while (i < n && (is_alnum((unsigned char)u[i]) || u[i] == '+' || u[i] == '-' || u[i] == '.'))
		i++;
	if (i == n || u[i] != ':')
		return false;
	static const char *const specials[] = { "http", "https", "ws", "wss", "ftp", "file" };
	int special = -1;
	for (int k = 0; k < 6; k++)
		if (strlen(specials[k]) == i && !strncasecmp(u, specials[k], i))
			special = k;
	const char *r = u + i + 1;
	size_t rn = n - i - 1;
	bool file = special == 5;
	size_t a = 0;
	if (special >= 0 && !file) {
		while (a < rn && (r[a] == '/' || r[a] == '\\'))
			a++;
	} else if (rn >= 2 && (r[0] == '/' || (file && r[0] == '\\')) &&
	           (r[1] == '/' || (file && r[1] == '\\'))) {
		a = 2;
	} else {
		return true;   /* a path (opaque, or file's) */
	}
	size_t end = a;
	while (end < rn && r[end] != '/' && r[end] != '?' && r[end] != '#' &&
	       !(special >= 0 && r[end] == '\\'))
		end++;
	const char *auth = r + a;
	size_t an = end - a;
	if (file) {   /* file: no credentials or port; an empty host is fine */
		return an == 0 || (an == 9 && !strncasecmp(auth, "localhost", 9)) ||
		       (auth[0] == '[' ? host_port(auth, an, true) : domain_host(auth, an));
	}
	for (size_t k = an; k-- > 0;)
		if (auth[k] == '@') {   /* credentials end at the last '@' */
			if (k + 1 == an)
				return false;
			auth += k + 1, an -= k + 1;
			break;
		}
	return host_port(auth, an, special >= 0);
}

bool cat_valid_url(const char *s, size_t n)
{
	while (n && (unsigned char)s[0] <= 0x20)
		s++, n--;
	while (n && (unsigned char)s[n - 1] <= 0x20)
		n--;
	char buf[512], *u = n < sizeof buf ? buf : malloc(n + 1);
	if (!u)
		return false;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			u[m++] = s[i];
	bool ok = url_ok(u, m);
	if (u != buf)
		free(u);
	return ok;
}

/* ---- references -------------------------------------------------------- */

int cat_valid_parse_ref(const char *text, const char *def_kind, const char *def_ns,
                        struct cat_valid_ref *out, const char **why)
{
	const char *w = NULL;
	if (!text || !*text) {
		w = "an entity reference must not be empty";
	} else {
		const char *colon = strchr(text, ':'), *slash = strchr(text, '/');
		if (slash && colon && slash < colon)
			colon = NULL;   /* "ns/team:x": the ':' is the name's */
		const char *after = colon ? colon + 1 : text;
		const char *name = slash && slash + 1 > after ? slash + 1 : after;
		out->kind = colon ? text : def_kind;
		out->nkind = colon ? (size_t)(colon - text) : def_kind ? strlen(def_kind) : 0;
		out->ns = slash ? after : def_ns && *def_ns ? def_ns : "default";
		out->nns = slash ? (size_t)(slash - after) : strlen(out->ns);
		out->name = name;
		out->nname = strlen(name);
		if ((colon && colon == text) || (slash && slash == after) || !*name)
			w = "it is not of the form [<kind>:][<namespace>/]<name>";
		else if (!out->kind || !out->nkind)
			w = "it has no kind (e.g. \"component:\" in front)";
	}
	if (w && why)
		*why = w;
	return w ? -1 : 0;
}
