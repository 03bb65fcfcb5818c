#!/bin/sh
# End to end: the postgres local driver on a real PostgreSQL cluster that
# paved creates under a temporary PAVED_HOME (and stops on exit, pass or
# fail), through the paved binary.  Covers the issue's bad-input cases for
# PostgreSQL: each asserts the message and that nothing was left behind.
. "$top_srcdir/plugins/provision/common/e2e-lib.sh"
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL (initdb) not found: skipped"; exit 77; }
cd "$tmp"

# psql as the cluster's superuser (the versioned binary, not the Perl wrapper)
su_psql() {
	PGPASSWORD=$(cat "$PAVED_HOME/secrets/_postgres-superuser") "$PGBIN/psql" -X -A -t -q \
		-h 127.0.0.1 -p "$(cat "$PAVED_HOME/provision/postgres/port")" -U paved -d postgres -c "$1"
}

# --- provision: cluster created and started on demand ---------------------
paved provision postgres payment-api-dev --service payment-api
expect_rc 0 "provision payment-api-dev"
expect_in "$out" 'Provisioned postgres "payment-api-dev" (env dev, driver local, size small, $0.00/month)' "provision line"
sf="$PAVED_HOME/secrets/payment-api-dev.env"
[ "$(stat -c %a "$sf")" = 600 ] && pass "secret file mode 600" || fail "secret file mode $(stat -c %a "$sf")"
[ "$(stat -c %a "$PAVED_HOME/secrets")" = 700 ] && pass "secrets dir mode 700" || fail "secrets dir mode"
url=$(sed -n 's/^DATABASE_URL=//p' "$sf")
pw=$(echo "$url" | sed 's|^postgresql://[^:]*:\([^@]*\)@.*|\1|')
[ ${#pw} -eq 48 ] && pass "generated password" || fail "password length ${#pw}"
r=$("$PGBIN/psql" -X -A -t -q "$url" -c "select current_user || ' ' || current_database()" 2>&1)
[ "$r" = "payment-api-dev payment-api-dev" ] && pass "the URL connects as the role" || fail "connect: $r"
[ "$(su_psql "select datdba::regrole from pg_database where datname = 'payment-api-dev'")" = '"payment-api-dev"' ] &&
	pass "database owned by its role" || fail "owner"

paved provision postgres payment-api-dev --service payment-api
expect_rc 0 "provision again"
expect_in "$out" 'Already provisioned postgres "payment-api-dev"' "idempotent"
paved provision postgres payment-api-dev --size large
expect_rc 1 "same name, other size"
expect_in "$err" "resource 'payment-api-dev' already exists with other settings (type postgres, env dev, size small, driver local)" "conflict message"

paved --json resources show payment-api-dev
expect_not_in "$out" "$pw" "show without --show-secrets hides the password"
paved resources show payment-api-dev --show-secrets
expect_in "$out" "$url" "--show-secrets prints the URL"
: > "$tmp/all-output"   # the one place the secret may appear

# --- names with SQL and shell metacharacters -----------------------------
evil="x'\"; drop role paved; --\$(touch pwned)\`touch pwned2\`"
paved provision postgres "$evil"
expect_rc 0 "a name with metacharacters is provisioned"
[ ! -e "$tmp/pwned" ] && [ ! -e "$tmp/pwned2" ] && pass "no shell ran the name" || fail "a shell ran"
[ "$(su_psql "select count(*) from pg_database where datname = \$\$$evil\$\$")" = 1 ] &&
	pass "database with the exact name" || fail "database with the exact name"
eurl=$(sed -n 's/^DATABASE_URL=//p' "$PAVED_HOME/secrets/$evil.env")
r=$("$PGBIN/psql" -X -A -t -q "$eurl" -c "select current_user" 2>&1)
[ "$r" = "$evil" ] && pass "its URL connects (percent-encoded)" || fail "connect: $r"
paved resources destroy "$evil"
expect_rc 0 "destroy the metacharacter name"
[ "$(su_psql "select count(*) from pg_roles where rolname = \$\$$evil\$\$")" = 0 ] &&
	pass "its role dropped" || fail "its role left"
[ "$(su_psql "select count(*) from pg_roles where rolname = 'paved'")" = 1 ] &&
	pass "the superuser survived" || fail "paved role dropped"

# --- a failure after the role was created drops the role again -----------
su_psql 'create database "clash-db"'
paved provision postgres clash-db
expect_rc 1 "database exists already"
expect_in "$err" "cannot create database 'clash-db': ERROR:  database \"clash-db\" already exists (the role 'clash-db' was dropped again)" "clash message"
[ "$(su_psql "select count(*) from pg_roles where rolname = 'clash-db'")" = 0 ] &&
	pass "role dropped again" || fail "role left behind"
[ ! -e "$PAVED_HOME/secrets/clash-db.env" ] && pass "no secret left" || fail "secret left"
paved --json resources list
expect_not_in "$out" "clash-db" "no record left"
# a role that exists already is refused and NOT dropped
su_psql 'create role "taken-role"'
paved provision postgres taken-role
expect_rc 1 "role exists already"
expect_in "$err" "cannot create role 'taken-role': ERROR:  role \"taken-role\" already exists" "role clash message"
[ "$(su_psql "select count(*) from pg_roles where rolname = 'taken-role'")" = 1 ] &&
	pass "a role paved did not create is kept" || fail "foreign role dropped"

# --- unknown type, no driver, invalid size: refused before anything ------
paved provision mysql orders
expect_rc 1 "unknown type"
expect_in "$err" "unknown resource type 'mysql': known types are postgres and redis" "unknown type message"
paved provision postgres orders --env qa
expect_rc 1 "no driver for (postgres, qa)"
expect_in "$err" "no driver for postgres in environment 'qa': set plugins.provision.drivers.postgres.qa" "no driver message"
paved provision postgres orders --size huge
expect_rc 1 "invalid size"
expect_in "$err" "invalid size 'huge' for postgres: use small, medium or large" "invalid size message"
[ "$(su_psql "select count(*) from pg_roles where rolname = 'orders'")" = 0 ] &&
	pass "nothing made for refused requests" || fail "orders role exists"

# --- destroy: database and role dropped, secret and record removed -------
paved resources destroy payment-api-dev
expect_rc 0 "destroy"
[ "$(su_psql "select count(*) from pg_database where datname = 'payment-api-dev'")" = 0 ] &&
	pass "database dropped" || fail "database left"
[ "$(su_psql "select count(*) from pg_roles where rolname = 'payment-api-dev'")" = 0 ] &&
	pass "role dropped" || fail "role left"
[ ! -e "$sf" ] && pass "secret removed" || fail "secret left"
paved resources destroy payment-api-dev
expect_rc 1 "destroy a missing resource"
expect_in "$err" "no resource 'payment-api-dev' (see 'paved resources list')" "missing message"

# --- stop, then started on demand ----------------------------------------
paved resources stop
expect_rc 0 "stop"
expect_in "$out" "Stopped 1 local server." "stop message"
[ ! -e "$PAVED_HOME/provision/postgres/data/postmaster.pid" ] && pass "cluster stopped" || fail "still running"
paved provision postgres again-db
expect_rc 0 "provision starts the cluster again"
paved resources stop
paved resources start
expect_in "$out" "Started 1 local server." "resources start"

# --- the paved cluster cannot start: message, nothing recorded -----------
paved resources stop
cp "$PAVED_HOME/provision/postgres/data/postgresql.conf" "$tmp/conf.bak"
echo "shared_buffers = lots" >> "$PAVED_HOME/provision/postgres/data/postgresql.conf"
paved provision postgres broken-db
expect_rc 1 "cluster not startable"
expect_in "$err" "PostgreSQL is not running and could not be started in $PAVED_HOME/provision/postgres/data:" "not startable message"
expect_in "$err" "(see $PAVED_HOME/provision/postgres/postgres.log)" "names the log"
[ ! -e "$PAVED_HOME/secrets/broken-db.env" ] && pass "no secret for broken-db" || fail "secret left"
cp "$tmp/conf.bak" "$PAVED_HOME/provision/postgres/data/postgresql.conf"

# --- an existing server that is not running ------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PAVED_HOME="$tmp/home2" run "$PAVED" -c "plugins.provision_postgres.server={\"host\": \"127.0.0.1\", \"port\": $port, \"user\": \"admin\"}" provision postgres other-db
expect_rc 1 "configured server down"
expect_in "$err" "cannot connect to the PostgreSQL server 127.0.0.1:$port named in plugins.provision_postgres.server:" "server down message"
expect_in "$err" "start it or fix the setting" "server down hint"

# --- a port that is already taken ----------------------------------------
python3 -c 'import socket,sys,time,os
s=socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
open(sys.argv[2], "w").write(str(os.getpid()))
time.sleep(60)' "$tmp/taken.port" "$tmp/listener.pid" &
i=0; while [ ! -s "$tmp/taken.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
taken=$(cat "$tmp/taken.port")
PAVED_HOME="$tmp/home3" run "$PAVED" -c plugins.provision_postgres.port=$taken provision postgres p-db
expect_rc 1 "port taken"
expect_in "$err" "port 127.0.0.1:$taken is already in use; stop what listens there or set plugins.provision_postgres.port to another port (0 picks a free one)" "port taken message"
[ ! -e "$tmp/home3/provision/postgres/data" ] && pass "no cluster left behind" || fail "cluster dir left"

# --- PostgreSQL not installed where configured ---------------------------
PAVED_HOME="$tmp/home4" run "$PAVED" -c plugins.provision_postgres.bindir=/nonexistent/bin provision postgres q-db
expect_rc 1 "no initdb"
expect_in "$err" "cannot run initdb (/nonexistent/bin/initdb): cannot run /nonexistent/bin/initdb: No such file or directory; install PostgreSQL (scripts/bootstrap does) or set plugins.provision_postgres.bindir" "no initdb message"
[ ! -e "$tmp/home4/provision/postgres/data" ] && pass "nothing left for a missing initdb" || fail "left"

# --- two paved apply at once on the same home: one waits, no duplicates ----
mkdir -p "$tmp/orders"
printf 'service: orders\ndatabase: {type: postgres, size: small}\nreplica: {type: postgres}\n' > "$tmp/orders/platform.yaml"
"$PAVED" apply "$tmp/orders/platform.yaml" > "$tmp/a1.out" 2>&1 & p1=$!
"$PAVED" apply "$tmp/orders/platform.yaml" > "$tmp/a2.out" 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
cat "$tmp/a1.out" "$tmp/a2.out" >> "$tmp/all-output"
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && pass "both applies succeed" || fail "applies: $r1 $r2: $(cat "$tmp/a1.out" "$tmp/a2.out")"
[ "$(cat "$tmp/a1.out" "$tmp/a2.out" | grep -c "Nothing to do: 2 resources up to date")" -eq 1 ] &&
	pass "the second found everything made" || fail "outputs: $(cat "$tmp/a1.out" "$tmp/a2.out")"
[ "$(su_psql "select count(*) from pg_database where datname like 'orders-%'")" = 2 ] &&
	pass "two databases, not four" || fail "databases: $(su_psql "select datname from pg_database")"
paved apply "$tmp/orders/platform.yaml"
expect_in "$out" "Nothing to do: 2 resources up to date (env dev)." "a third apply changes nothing"

# --- the golden path's "Provisioned development database" step -----------
# (host/skeleton.c copies the skeleton's directory modes: from a read-only
# source tree, as in make distcheck, a non-root user cannot render it)
if ! command -v git >/dev/null 2>&1; then
	echo "git not found: golden path check skipped"
elif [ "$(stat -c %A "$top_srcdir/scripts/golden-paths/node-api/skeleton" | cut -c3)" != w ]; then
	echo "read-only skeleton (distcheck) and not root: golden path check skipped"
else
	paved create service payment-api --template node-api --database postgres --dir "$tmp/svc"
	expect_rc 0 "golden path with --database postgres"
	expect_in "$out" 'Provisioned development database     postgres "payment-api-dev"' "golden path step line"
	paved --json resources show payment-api-dev
	expect_in "$out" '"service": "payment-api"' "recorded for the service"
	gpw=$(sed -n 's|^DATABASE_URL=postgresql://[^:]*:\([^@]*\)@.*|\1|p' "$PAVED_HOME/secrets/payment-api-dev.env")
	[ -n "$gpw" ] && expect_not_in "$(cat "$tmp/all-output")" "$gpw" "the golden path prints no password"
	if "$PAVED" hooks 2>/dev/null | grep -q "catalog.put"; then
		paved catalog show payment-api
		expect_in "$out" "resource:default/payment-api-dev" "the database is in the catalog, a dependency of the service"
		# a later step fails (a policy vetoes the catalog): the database is undone
		mkdir -p "$tmp/plugins"
		cat > "$tmp/plugins/no_catalog.lua" <<'LUA'
return { name = "no_catalog", version = "1.0.0", summary = "vetoes catalog imports (test)",
  init = function()
    paved.observe("before:catalog.import", 10, function() return false, "catalog closed for the test" end)
  end }
LUA
		paved --plugin-path "$tmp/plugins" create service undo-api --template node-api --database postgres --dir "$tmp/svc2"
		expect_rc 1 "golden path fails after the database step"
		expect_in "$out$err" "catalog closed for the test" "the veto is the reason"
		[ "$(su_psql "select count(*) from pg_database where datname = 'undo-api-dev'")" = 0 ] &&
			pass "undo dropped the database" || fail "undo-api-dev database left"
		[ "$(su_psql "select count(*) from pg_roles where rolname = 'undo-api-dev'")" = 0 ] &&
			pass "undo dropped the role" || fail "undo-api-dev role left"
		[ ! -e "$PAVED_HOME/secrets/undo-api-dev.env" ] && pass "undo removed the secret" || fail "secret left"
	fi
fi

# --- the password never appears in outputs, events or logs ---------------
paved --json events --tail 200
cp "$tmp/all-output" "$tmp/outputs"
for f in "$tmp/outputs" "$PAVED_HOME/logs/paved.log"; do
	[ -f "$f" ] || continue
	if grep -qF "$pw" "$f"; then fail "password of payment-api-dev in $f"; else pass "no password in $(basename "$f")"; fi
done
expect_in "$out" '"resource.provisioned"' "events recorded"
if grep -qE "PASSWORD '[0-9a-f]{48}'" "$PAVED_HOME/provision/postgres/postgres.log"; then
	fail "a plain password in the server log"
else
	pass "only SCRAM verifiers reach the server (log of the failed CREATE ROLE has none)"
fi
finish
