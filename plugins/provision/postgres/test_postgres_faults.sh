#!/bin/sh
# kill -9 during `paved apply` with a real PostgreSQL, at several points
# (PAVED_TEST_FAULT makes paved kill itself exactly there; once, by polling
# for initdb and killing paved from outside), then a rerun: it converges,
# with nothing wedged and nothing orphaned -- one role, one database, one
# record, a working URL; or, when the resource left the file or was
# destroyed, no role, no database, no record, no journal entry.
. "$top_srcdir/plugins/provision/common/e2e-lib.sh"
need "$PGBIN/initdb" python3
mkdir -p "$tmp/shop"
cd "$tmp/shop" || exit 99
printf 'service: shop\nresources:\n  db: {type: postgres}\n' > platform.yaml

su_psql() {
	PGPASSWORD=$(cat "$PAVED_HOME/provision/postgres/superuser-password") "$PGBIN/psql" -X -A -t -q \
		-h 127.0.0.1 -p "$(cat "$PAVED_HOME/provision/postgres/port")" -U paved -d postgres -c "$1"
}
# what exists of shop-db-dev: "ROLES DATABASES RECORDS JOURNAL-ENTRIES"
state() {
	r=$(su_psql "select count(*) from pg_roles where rolname = 'shop-db-dev'")
	d=$(su_psql "select count(*) from pg_database where datname = 'shop-db-dev'")
	n=$("$PAVED" --json resources list | grep -c '"name": "shop-db-dev"')
	j=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from kv where ns = ? and key = ?", ("provision-journal", "shop-db-dev")).fetchone()[0])' "$PAVED_HOME/paved.db")
	echo "$r $d $n $j"
}
# killed POINT [ARGS...]: paved apply dies at POINT (exit 137: SIGKILL)
killed() {
	point=$1
	shift
	PAVED_TEST_FAULT=$point run "$PAVED" apply "$@"
	expect_rc 137 "killed at $point"
}
# converged: one role, database and record, no journal entry, the URL works
converged() {
	expect_eq "$(state)" "1 1 1 0" "$1: one role, one database, one record"
	url=$(secret url shop-db-dev)
	expect_eq "$("$PGBIN/psql" -X -A -t -q "$url" -c "select current_user" 2>&1)" shop-db-dev "$1: the URL connects"
}
gone() {
	expect_eq "$(state)" "0 0 0 0" "$1: no role, database, record or journal entry"
	[ ! -e "$PAVED_HOME/secrets/shop-db-dev.json" ] && pass "$1: no secret" || fail "$1: secret left"
}
reset() {
	run "$PAVED" resources destroy shop-db-dev --yes
	gone "reset"
}

# --- killed during the first cluster creation, after initdb ----------------
killed postgres.after_initdb
ls -d "$PAVED_HOME"/provision/postgres/data.new-* >/dev/null 2>&1 && pass "a half-made cluster was left" ||
	fail "no half-made cluster to rebuild"
[ ! -e "$PAVED_HOME/provision/postgres/data" ] && pass "no data directory yet" || fail "data directory"
paved apply
expect_rc 0 "the rerun rebuilds the cluster"
expect_in "$out" ' +   db postgres "shop-db-dev"  created' "and creates the database"
[ -z "$(ls -d "$PAVED_HOME"/provision/postgres/data.new-* 2>/dev/null)" ] && pass "the half-made cluster is gone" ||
	fail "left: $(ls "$PAVED_HOME/provision/postgres")"
converged "after initdb"
reset

# --- killed after the role, after the database, after the driver -----------
for point in postgres.after_role postgres.after_database provision.after_create; do
	killed $point
	s=$(state)
	expect_eq "${s#* * }" "0 1" "$point: no record yet, a journal entry"
	paved resources list
	expect_in "$out" "interrupted: create of shop-db-dev" "$point: the list shows it"
	paved apply
	expect_rc 0 "$point: the rerun finishes"
	converged "$point"
	reset
done

# --- killed after the role, then the resource leaves the file: rolled back ---
killed postgres.after_database
printf 'service: shop\nresources: {}\n' > platform.yaml
paved apply
expect_rc 0 "apply without the resource"
expect_in "$out" " !   shop-db-dev: rolled back the interrupted create" "says it rolled back"
gone "rolled back by apply"

# --- killed, then `resources destroy NAME`: the interrupted create is undone -
printf 'service: shop\nresources:\n  db: {type: postgres}\n' > platform.yaml
killed postgres.after_role
paved resources destroy shop-db-dev
expect_rc 0 "resources destroy of an interrupted create"
expect_in "$out" ' ✓ Destroyed "shop-db-dev" (an interrupted create, rolled back)' "destroy line"
gone "rolled back by destroy"

# --- killed after the driver dropped it during a prune: finished ----------
paved apply
converged "made again"
printf 'service: shop\nresources: {}\n' > platform.yaml
killed provision.after_destroy --prune --yes
expect_eq "$(state)" "0 0 1 1" "dropped, still recorded and journaled"
paved apply
expect_in "$out" " !   shop-db-dev: finished the interrupted destroy" "the rerun finishes the destroy"
gone "finished destroy"

# --- killed from outside while initdb runs (a new home) --------------------
export PAVED_HOME="$tmp/home2"
printf 'service: shop\nresources:\n  db: {type: postgres}\n' > platform.yaml
"$PAVED" apply > "$tmp/bg.out" 2>&1 &
bg=$!
initdb_runs() { pgrep -f "[i]nitdb -D $PAVED_HOME/provision/postgres/data.new-" >/dev/null; }
initdb_ended() { ! initdb_runs; }
if wait_for "initdb to start" 60 initdb_runs; then
	kill -9 $bg
	wait $bg
	expect_eq "$?" 137 "paved killed during initdb"
	wait_for "the orphaned initdb to end" 120 initdb_ended
fi
paved apply
expect_rc 0 "the rerun after a kill during initdb"
converged "killed during initdb"
[ -z "$(ls -d "$PAVED_HOME"/provision/postgres/data.new-* 2>/dev/null)" ] && pass "no half-made cluster left" ||
	fail "left: $(ls "$PAVED_HOME/provision/postgres")"
expect_eq "$(su_psql "select count(*) from pg_roles where rolname like 'shop-%'")" 1 "no orphaned role"
paved resources stop
finish
