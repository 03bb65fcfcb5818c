#!/bin/sh
# End to end: the postgres-local driver on a real PostgreSQL cluster that
# paved creates under a temporary PAVED_HOME (and stops on exit, pass or
# fail), through the paved binary: apply of a platform.yaml, its plan
# (update in place, replace, prune), confirmation before data is lost,
# one-off resources, names with metacharacters, and the bad-input cases.
# Each asserts the message and that nothing was left behind.
. "$top_srcdir/plugins/provision/common/e2e-lib.sh"
need "$PGBIN/initdb" python3
mkdir -p "$tmp/orders"
cd "$tmp/orders" || exit 99

# psql as the cluster's superuser (the versioned binary, not the Perl wrapper)
su_psql() {
	PGPASSWORD=$(cat "$PAVED_HOME/provision/postgres/superuser-password") "$PGBIN/psql" -X -A -t -q \
		-h 127.0.0.1 -p "$(cat "$PAVED_HOME/provision/postgres/port")" -U paved -d postgres -c "$1"
}
count() { su_psql "select count(*) from $1"; }

# --- apply: the cluster is made and started on demand ---------------------
cat > platform.yaml <<'EOF'
service: orders
resources:
  db: {type: postgres, class: small, params: {backups: daily}}
EOF
paved apply --dry-run
expect_rc 2 "dry run with changes exits 2"
expect_in "$out" ' +   db postgres "orders-db-dev"  will be created (postgres-local, small, $0.00/month)' "dry-run plan line"
expect_in "$out" 'Plan: 1 to create, 0 to update in place, 0 to replace, 0 to destroy (env dev).' "plan summary"
[ ! -e "$PAVED_HOME/provision/postgres" ] && pass "the dry run made nothing" || fail "dry run made a cluster"
paved apply
expect_rc 0 "apply"
expect_in "$out" ' +   db postgres "orders-db-dev"  created (postgres-local, small, $0.00/month)' "apply line"
expect_in "$out" "Applied $tmp/orders/platform.yaml (env dev): 1 created, 0 updated, 0 replaced, 0 destroyed, 0 unchanged; \$0.00/month in all." "apply summary"
sf="$PAVED_HOME/secrets/orders-db-dev.json"
expect_eq "$(stat -c %a "$sf")" 600 "secret file mode 600"
expect_eq "$(stat -c %a "$PAVED_HOME/secrets")" 700 "secrets dir mode 700"
url=$(secret url orders-db-dev)
pw=$(secret password orders-db-dev)
expect_eq "${#pw}" 48 "generated password"
expect_eq "$(secret host orders-db-dev):$(secret port orders-db-dev)" "127.0.0.1:$(cat "$PAVED_HOME/provision/postgres/port")" "host and port outputs"
expect_eq "$("$PGBIN/psql" -X -A -t -q "$url" -c "select current_user || ' ' || current_database()" 2>&1)" \
	"orders-db-dev orders-db-dev" "the URL connects as the role"
expect_eq "$(su_psql "select datdba::regrole from pg_database where datname = 'orders-db-dev'")" '"orders-db-dev"' "database owned by its role"
expect_eq "$(su_psql "select datconnlimit from pg_database where datname = 'orders-db-dev'")" 25 "class small: 25 connections"
paved apply --dry-run
expect_rc 0 "dry run without changes exits 0"
paved apply
expect_in "$out" "Nothing to do: 1 resource up to date (env dev)." "second apply changes nothing"
paved --json call provision.outputs '{"service": "orders", "env": "dev"}'
expect_in "$out" "\"url\": \"$url\"" "provision.outputs gives the URL by key"
: > "$tmp/all-output"   # the places the secret may appear end here

# --- update in place: class and backups -------------------------------------
sed -i 's/class: small, params: {backups: daily}/class: medium, params: {backups: weekly}/' platform.yaml
paved apply --dry-run
expect_rc 2 "an update is a pending change"
expect_in "$out" ' ~   db postgres "orders-db-dev"  will be updated in place: class: small -> medium, params.backups: daily -> weekly' "update plan line"
paved apply
expect_rc 0 "update applied"
expect_eq "$(su_psql "select datconnlimit || ' ' || shobj_description(oid, 'pg_database') from pg_database where datname = 'orders-db-dev'")" \
	"50 paved: backups weekly (the local cluster takes none)" "class and backups changed in place"
expect_eq "$("$PGBIN/psql" -X -A -t -q "$url" -c "select 1" 2>&1)" 1 "the same URL still connects"

# --- a change no driver makes: named with both values, nothing changed -------
sed -i 's/class: medium/class: xlarge/' platform.yaml
paved apply
expect_rc 1 "unknown class refused"
expect_in "$err" "paved apply: $tmp/orders/platform.yaml: resource 'orders-db-dev': class: medium -> xlarge is not a known class (small, medium, large)" "refused change message"
sed -i 's/class: xlarge/class: medium/; s/backups: weekly/backups: hourly/' platform.yaml
paved apply
expect_rc 1 "bad backups refused"
expect_in "$err" "resource 'orders-db-dev': params.backups: weekly -> hourly is not a backups setting (daily, weekly, none or a number of days 0-35)" "bad backups message"
sed -i 's/backups: hourly/backups: weekly/' platform.yaml

# --- replace: holding data needs a confirmation ------------------------------
"$PGBIN/psql" -X -q "$url" -c "create table orders (id int); insert into orders values (1)" >/dev/null
sed -i 's/backups: weekly}/backups: weekly, encoding: LATIN1}/' platform.yaml
paved apply < /dev/null
expect_rc 1 "replace refused without a terminal"
expect_in "$out" ' -/+ db postgres "orders-db-dev"  will be replaced: params.encoding: (none) -> LATIN1 (a database'"'"'s encoding is fixed when it is made); its data will be lost' "replace plan line"
expect_in "$err" "paved apply: refusing to replace 'orders-db-dev', which holds data, without confirmation: run again with --yes, or on a terminal to confirm by typing its name; nothing was changed" "refusal message"
expect_eq "$("$PGBIN/psql" -X -A -t -q "$url" -c "select count(*) from orders" 2>&1)" 1 "the data is still there"
t=$(on_tty "orders-db" "$PAVED" apply); rc=$?
expect_rc 1 "a wrong name is no confirmation"
expect_in "$t" "'orders-db-dev' was not confirmed (typed 'orders-db'); nothing was changed" "not confirmed message"
expect_eq "$("$PGBIN/psql" -X -A -t -q "$url" -c "select count(*) from orders" 2>&1)" 1 "still there"
t=$(on_tty "orders-db-dev" "$PAVED" apply); rc=$?
expect_rc 0 "replaced after typing its name"
expect_in "$t" "'orders-db-dev' holds data, which replacing it loses. Type its name to confirm: " "the question"
expect_in "$t" ' -/+ db postgres "orders-db-dev"  replaced:' "replaced line"
url=$(secret url orders-db-dev)
expect_eq "$("$PGBIN/psql" -X -A -t -q "$url" -c "select pg_encoding_to_char(encoding) from pg_database where datname = current_database()" 2>&1)" LATIN1 "the new database's encoding"
expect_eq "$(count "pg_roles where rolname = 'orders-db-dev'")" 1 "one role"

# --- gone from the file: listed, kept; destroyed with --prune ----------------
printf 'service: orders\nresources: {}\n' > platform.yaml
paved apply
expect_rc 0 "apply without the resource"
expect_in "$out" " -   db postgres \"orders-db-dev\"  no longer in platform.yaml: kept (run 'paved apply --prune' to destroy it)" "kept line with the hint"
expect_eq "$(count "pg_database where datname = 'orders-db-dev'")" 1 "kept"
"$PGBIN/psql" -X -q "$url" -c "create table t (x int)" >/dev/null
paved apply --prune < /dev/null
expect_rc 1 "prune of data refused without --yes"
expect_in "$err" "refusing to destroy 'orders-db-dev', which holds data" "prune refusal"
paved apply --prune --yes
expect_rc 0 "the hint with --yes"
expect_in "$out" ' -   db postgres "orders-db-dev"  destroyed' "destroyed line"
expect_eq "$(count "pg_database where datname = 'orders-db-dev'")$(count "pg_roles where rolname = 'orders-db-dev'")" 00 "database and role dropped"
[ ! -e "$sf" ] && pass "secret removed" || fail "secret left"
paved apply --prune
expect_in "$out" "No resources declared in $tmp/orders/platform.yaml." "nothing declared"

# --- one resource outside platform.yaml ---------------------------------------
paved provision postgres payment-api-dev --service payment-api --owner team-payments
expect_rc 0 "provision"
expect_in "$out" 'Provisioned postgres "payment-api-dev" (env dev, driver postgres-local, class small, $0.00/month)' "provision line"
expect_in "$out" "its DATABASE_URL is in $PAVED_HOME/secrets/payment-api-dev.json (print it with 'paved resources show payment-api-dev --show-secrets')" "where the secret is"
ppw=$(secret password payment-api-dev)
paved provision postgres payment-api-dev --service payment-api --owner team-payments
expect_in "$out" 'Already provisioned postgres "payment-api-dev"' "idempotent"
paved provision postgres payment-api-dev --class large
expect_rc 1 "same name, other class"
expect_in "$err" "paved provision: resource 'payment-api-dev' already exists with other settings (class: small -> large); destroy it first ('paved resources destroy payment-api-dev') or choose another name" "conflict message"
paved --json resources show payment-api-dev
expect_not_in "$out" "$ppw" "show without --show-secrets hides the password"
paved resources show payment-api-dev
expect_in "$out" "DATABASE_URL   (secret; add --show-secrets to print it)" "secret hidden"
paved resources show payment-api-dev --show-secrets
expect_in "$out" "$(secret url payment-api-dev)" "--show-secrets prints the URL"
: > "$tmp/all-output"

# --- names: one lowercase rule; drivers quote what they are given -----------
paved provision postgres Orders
expect_rc 1 "uppercase refused"
expect_in "$err" "invalid resource name 'Orders': use 1-63 lowercase letters and digits, with single '-' or '_' between them, starting with a letter" "name rule message"
evil="x'\"; drop role paved; --\$(touch pwned)\`touch pwned2\`"
res="{\"resource\": {\"name\": $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$evil"), \"type\": \"postgres\", \"env\": \"dev\", \"class\": \"small\", \"driver\": \"postgres-local\", \"params\": {}}}"
"$PAVED" call provision.create "$res" > "$tmp/evil.out" 2>&1
expect_eq "$?" 0 "the driver makes a name with metacharacters"
[ ! -e "$tmp/orders/pwned" ] && [ ! -e "$tmp/orders/pwned2" ] && pass "no shell ran the name" || fail "a shell ran"
expect_eq "$(count "pg_database where datname = \$\$$evil\$\$")" 1 "database with the exact name"
eurl=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$tmp/evil.out")
expect_eq "$("$PGBIN/psql" -X -A -t -q "$eurl" -c "select current_user" 2>&1)" "$evil" "its URL connects (percent-encoded)"
run "$PAVED" call provision.destroy "$res"
expect_rc 0 "the driver drops it (it carries paved's mark)"
expect_eq "$(count "pg_roles where rolname = \$\$$evil\$\$")" 0 "its role dropped"
expect_eq "$(count "pg_roles where rolname = 'paved'")" 1 "the superuser survived"

# --- a failure after the role was made drops the role again ---------------
su_psql 'create database "clash-db"'
paved provision postgres clash-db
expect_rc 1 "database exists already"
expect_in "$err" "cannot create database 'clash-db': it already exists and belongs to role 'paved' (the role 'clash-db' was dropped again)" "clash message"
expect_eq "$(count "pg_roles where rolname = 'clash-db'")" 0 "role dropped again"
[ ! -e "$PAVED_HOME/secrets/clash-db.json" ] && pass "no secret left" || fail "secret left"
paved --json resources list
expect_not_in "$out" "clash-db" "no record left"
# a role paved did not make is refused and kept
su_psql 'create role "taken-role"'
paved provision postgres taken-role
expect_rc 1 "role exists already"
expect_in "$err" "cannot create role 'taken-role': it already exists and paved did not make it; drop it or choose another name" "role clash message"
expect_eq "$(count "pg_roles where rolname = 'taken-role'")" 1 "a role paved did not make is kept"
paved --json call provision.status '{"resource": {"name": "taken-role", "type": "postgres", "env": "dev", "class": "small", "driver": "postgres-local"}}'
run "$PAVED" call provision.destroy '{"resource": {"name": "taken-role", "type": "postgres", "env": "dev", "class": "small", "driver": "postgres-local"}}'
expect_eq "$(count "pg_roles where rolname = 'taken-role'")" 1 "destroy without a record keeps a role paved did not make"

# --- unknown type, no driver, invalid class: refused before anything ------
paved provision mysql orders
expect_rc 1 "unknown type"
expect_in "$err" "unknown resource type 'mysql': known types are postgres and redis (an organisation adds one in drivers.provision, e.g. drivers.provision.mysql.default)" "unknown type message"
paved -c 'drivers.provision.postgres={"qa": "nothere", "default": "postgres-local"}' provision postgres orders --env qa
expect_rc 1 "driver not installed"
expect_in "$err" "driver 'nothere' of postgres 'orders' is not installed: no plugin provides provision.driver.nothere.create" "not installed message"
paved provision postgres orders --class huge
expect_rc 1 "invalid class"
expect_in "$err" "resource 'orders': class 'huge' is not a known class (small, medium, large)" "invalid class message"
paved provision postgres orders --size small
expect_rc 2 "the old --size is a usage error"
expect_in "$err" "unknown option '--size'" "names the option"
expect_eq "$(count "pg_roles where rolname = 'orders'")" 0 "nothing made for refused requests"

# --- destroy: asks when it holds data ---------------------------------------
"$PGBIN/psql" -X -q "$(secret url payment-api-dev)" -c "create table t (x int)" >/dev/null
paved resources destroy payment-api-dev < /dev/null
expect_rc 1 "destroy of data refused without a terminal"
expect_in "$err" "paved resources: refusing to destroy 'payment-api-dev', which holds data, without confirmation: run again with --yes, or on a terminal to confirm by typing its name; nothing was changed" "destroy refusal"
expect_eq "$(count "pg_database where datname = 'payment-api-dev'")" 1 "still there"
paved resources status payment-api-dev
expect_in "$out" "payment-api-dev: running - database on 127.0.0.1 (holds data)" "status says it holds data"
t=$(on_tty "payment-api-dev" "$PAVED" resources destroy payment-api-dev); rc=$?
expect_rc 0 "destroyed after typing its name"
expect_in "$t" ' ✓ Destroyed "payment-api-dev"' "destroy line"
expect_eq "$(count "pg_database where datname = 'payment-api-dev'")$(count "pg_roles where rolname = 'payment-api-dev'")" 00 "database and role dropped"
[ ! -e "$PAVED_HOME/secrets/payment-api-dev.json" ] && pass "secret removed" || fail "secret left"
paved resources destroy payment-api-dev
expect_rc 1 "destroy a missing resource"
expect_in "$err" "no resource 'payment-api-dev' (see 'paved resources list')" "missing message"
paved resources destroy --help
expect_rc 0 "destroy --help"
expect_in "$out" "Usage: paved resources" "help, nothing else"

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
paved --json resources stop
expect_in "$out" '"stopped": 1' "stop --json"

# --- the paved cluster cannot start: message, nothing recorded -----------
cp "$PAVED_HOME/provision/postgres/data/postgresql.conf" "$tmp/conf.bak"
echo "shared_buffers = lots" >> "$PAVED_HOME/provision/postgres/data/postgresql.conf"
paved provision postgres broken-db
expect_rc 1 "cluster not startable"
expect_in "$err" "PostgreSQL is not running and could not be started in $PAVED_HOME/provision/postgres/data:" "not startable message"
expect_in "$err" "(see $PAVED_HOME/provision/postgres/postgres.log)" "names the log"
[ ! -e "$PAVED_HOME/secrets/broken-db.json" ] && pass "no secret for broken-db" || fail "secret left"
paved --json resources list
expect_not_in "$out" "broken-db" "no record for broken-db"
cp "$tmp/conf.bak" "$PAVED_HOME/provision/postgres/data/postgresql.conf"

# --- an existing server that is not running ------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PAVED_HOME="$tmp/home2" run "$PAVED" -c "plugins.provision_postgres.server={\"host\": \"127.0.0.1\", \"port\": $port, \"user\": \"admin\"}" provision postgres other-db
expect_rc 1 "configured server down"
expect_in "$err" "cannot connect to the PostgreSQL server 127.0.0.1:$port named in plugins.provision_postgres.server:" "server down message"
expect_in "$err" "start it or fix the setting" "server down hint"

# --- a port that is already taken ----------------------------------------
python3 -c 'import socket,sys,os,signal
s=socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[2], "w").write(str(os.getpid()))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
signal.pause()' "$tmp/taken.port" "$tmp/listener.pid" &
wait_for "the listener" 10 test -s "$tmp/taken.port"
taken=$(cat "$tmp/taken.port")
PAVED_HOME="$tmp/home3" run "$PAVED" -c plugins.provision_postgres.port=$taken provision postgres p-db
expect_rc 1 "port taken"
expect_in "$err" "port 127.0.0.1:$taken is already in use; stop what listens there or set plugins.provision_postgres.port to another port (0 picks a free one)" "port taken message"
[ ! -e "$tmp/home3/provision/postgres/data" ] && pass "no cluster left behind" || fail "cluster dir left"

# --- PostgreSQL not installed where configured ---------------------------
PAVED_HOME="$tmp/home4" run "$PAVED" -c plugins.provision_postgres.bindir=/nonexistent/bin provision postgres q-db
expect_rc 1 "no initdb"
expect_in "$err" "cannot run initdb (/nonexistent/bin/initdb): cannot run /nonexistent/bin/initdb: No such file or directory; install PostgreSQL (scripts/bootstrap does) or set plugins.provision_postgres.bindir" "no initdb message"
[ ! -e "$tmp/home4/provision/postgres/data" ] && [ -z "$(ls "$tmp/home4/provision/postgres" | grep data.new)" ] &&
	pass "nothing left for a missing initdb" || fail "left"

# --- two paved apply at once on the same home: one waits, no duplicates ----
printf 'service: orders\nresources:\n  db: {type: postgres}\n  replica: {type: postgres}\n' > platform.yaml
"$PAVED" apply > "$tmp/a1.out" 2>&1 & p1=$!
"$PAVED" apply > "$tmp/a2.out" 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
cat "$tmp/a1.out" "$tmp/a2.out" >> "$tmp/all-output"
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && pass "both applies succeed" || fail "applies: $r1 $r2: $(cat "$tmp/a1.out" "$tmp/a2.out")"
expect_eq "$(cat "$tmp/a1.out" "$tmp/a2.out" | grep -c "Nothing to do: 2 resources up to date")" 1 "the second found everything made"
expect_eq "$(count "pg_database where datname like 'orders-%'")" 2 "two databases, not four"
paved apply
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
	expect_in "$out" 'Provisioned development database' "golden path step line"
	expect_in "$out" 'postgres "payment-api-db-dev"' "the golden path provisions SERVICE-KEY-ENV"
	# the skeleton's own platform.yaml: the golden path applied it, so the
	# database its replicas' DATABASE_URL (${resources.db.url}) names is the
	# one it made -- no second database (issue #11)
	paved apply "$tmp/svc"
	expect_rc 0 "apply of the golden path's platform.yaml"
	expect_in "$out" '"payment-api-db-dev"  unchanged (postgres-local, small)' "its db, made by the golden path"
	"$PAVED" call provision.outputs '{"service": "payment-api", "env": "dev"}' > "$tmp/outputs.json"
	gurl=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["db"]["url"])' "$tmp/outputs.json")
	expect_eq "$("$PGBIN/psql" -X -A -t -q "$gurl" -c "select current_database()" 2>&1)" payment-api-db-dev \
		"\${resources.db.url} is that database"
	paved apply "$tmp/svc"
	expect_in "$out" "Nothing to do: 1 resource up to date (env dev)." "applied again: nothing to do"
	gpw=$(secret password payment-api-db-dev)
	[ -n "$gpw" ] && expect_not_in "$(cat "$tmp/all-output")" "$gpw" "the golden path and apply print no password"
fi

# --- the password never appears in outputs, events or logs ---------------
paved --json events --tail 200
expect_in "$out" '"resource.provisioned"' "events recorded"
expect_in "$out" '"resource.updated"' "update events recorded"
for f in "$tmp/all-output" "$PAVED_HOME/logs/paved.log"; do
	[ -f "$f" ] || continue
	if grep -qF "$pw" "$f" || grep -qF "$ppw" "$f" || { [ -n "${gpw:-}" ] && grep -qF "$gpw" "$f"; }; then
		fail "a password in $f"
	else
		pass "no password in $(basename "$f")"
	fi
done
if grep -qE "PASSWORD '[0-9a-f]{48}'" "$PAVED_HOME/provision/postgres/postgres.log"; then
	fail "a plain password in the server log"
else
	pass "only SCRAM verifiers reach the server"
fi
finish
