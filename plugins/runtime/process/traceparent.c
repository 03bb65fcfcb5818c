/*
 * traceparent.c -- W3C trace context at the front door (see haproxy.h):
 * the Lua action paved_traceparent the home's HAProxy runs on every
 * request (`http-request lua.paved_traceparent` in each frontend, the file
 * loaded with `lua-load` in the global section; HAProxy 2.6 is built with
 * Lua 5.3).
 *
 * A request with exactly one valid `traceparent` keeps it: HAProxy makes
 * no span of its own, so it forwards the header as it came (the W3C rule
 * for a hop that does not trace).  Otherwise (missing, repeated, or
 * invalid: not 2-32-16-2 lowercase hex digits, version ff, an all-zero
 * trace id or parent id, or version 00 with anything after the flags)
 * the request gets a new one, "00-TRACEID-PARENTID-01", its ids from
 * HAProxy's uuid() sample fetch (random), and its `tracestate` is dropped
 * (it belonged to the trace that was not continued).
 */
#include "haproxy.h"
#include "files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char lua[] =
	"-- written by paved (runtime_process): do not edit\n"
	"-- paved_traceparent: continue a valid W3C traceparent, else start a new one\n"
	"local function hex(s, n)\n"
	"  return #s == n and s:match('^[0-9a-f]+$') ~= nil\n"
	"end\n"
	"\n"
	"local function valid(v)\n"
	"  if v == nil then return false end\n"
	"  local ver, tid, pid, flags, rest = v:match('^(%w+)%-(%w+)%-(%w+)%-(%w+)(.*)$')\n"
	"  if not ver or not (hex(ver, 2) and hex(tid, 32) and hex(pid, 16) and hex(flags, 2)) then\n"
	"    return false\n"
	"  end\n"
	"  if ver == 'ff' or tid == string.rep('0', 32) or pid == string.rep('0', 16) then\n"
	"    return false\n"
	"  end\n"
	"  if ver == '00' then return rest == '' end\n"
	"  return rest == '' or rest:sub(1, 1) == '-'\n"
	"end\n"
	"\n"
	"local function random_hex(txn, n)\n"
	"  local u = txn.f:uuid():gsub('-', '')\n"
	"  return u:sub(1, n)\n"
	"end\n"
	"\n"
	"core.register_action('paved_traceparent', { 'http-req' }, function(txn)\n"
	"  local h = txn.http:req_get_headers()['traceparent']\n"
	"  local v = h and h[0]\n"
	"  if h and h[1] ~= nil then v = nil end  -- more than one: invalid\n"
	"  if valid(v) then return end\n"
	"  txn.http:req_set_header('traceparent',\n"
	"    '00-' .. random_hex(txn, 32) .. '-' .. random_hex(txn, 16) .. '-01')\n"
	"  txn.http:req_del_header('tracestate')\n"
	"end)\n";

char *rh_traceparent_file(const char *dir)
{
	char *path = NULL;
	if (asprintf(&path, "%s/traceparent.lua", dir) < 0)
		return NULL;
	FILE *f = fopen(path, "re");
	char have[sizeof lua + 1];
	size_t n = f ? fread(have, 1, sizeof have, f) : 0;
	if (f)
		fclose(f);
	if (n == sizeof lua - 1 && !memcmp(have, lua, n))
		return path;
	if (rf_write_atomic(path, lua, sizeof lua - 1) != 0) {
		free(path);
		return NULL;
	}
	return path;
}
