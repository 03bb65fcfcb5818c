#!/bin/sh
# End to end: the terraform driver writes main.tf.json under the service;
# the generated JSON is compared with expected files and, when a terraform
# binary exists, parsed by it (`terraform providers` reads the
# configuration without downloading providers, so this works offline).
# A change of class or params updates the module in place; less storage is
# refused; a missing terraform leaves the module as it was.
. "$top_srcdir/plugins/provision/common/e2e-lib.sh"
td="$top_srcdir/plugins/provision/terraform/testdata"
mkdir -p "$tmp/payment-api"
cp "$td/platform.yaml" "$tmp/payment-api/platform.yaml"
chmod u+w "$tmp/payment-api/platform.yaml"
cd "$tmp/payment-api" || exit 99

same_json() {
	python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])) else 1)' "$1" "$2"
}

paved apply --env production
expect_rc 0 "apply production"
expect_in "$out" ' +   database postgres "payment-api-database-production"  created (terraform, medium, $99.28/month)' "database line"
expect_in "$out" ' +   cache    redis "payment-api-cache-production"  created (terraform, small, $24.82/month)' "cache line"
expect_in "$out" 'Applied' "applied"
mod="$tmp/payment-api/terraform/production/main.tf.json"
if same_json "$mod" "$td/production.tf.json"; then pass "main.tf.json as expected"; else
	fail "main.tf.json differs:"; diff "$td/production.tf.json" "$mod"; fi
paved apply --env production
expect_in "$out" "Nothing to do: 2 resources up to date (env production)." "second apply changes nothing"
[ ! -e "$PAVED_HOME/secrets/payment-api-database-production.json" ] && pass "no secret: the endpoint exists only after terraform apply" || fail "a secret file"

if command -v terraform >/dev/null 2>&1; then
	if TF_CLI_CONFIG_FILE=/dev/null terraform -chdir="$tmp/payment-api/terraform/production" providers >"$tmp/tf.out" 2>&1 &&
		grep -q "hashicorp/aws" "$tmp/tf.out"; then
		pass "terraform parses the module"
	else
		fail "terraform: $(cat "$tmp/tf.out")"
	fi
else
	echo "terraform not installed: parse check skipped"
	[ "${CI:-}" = true ] && fail "terraform is missing under CI"
fi

# the cost flows into the catalog (when the catalog plugin is installed)
if "$PAVED" hooks 2>/dev/null | grep -q "catalog.put"; then
	paved apply --env production --owner team-payments
	paved catalog show resource:default/payment-api-cache-production
	expect_rc 1 "no owner at the first apply: not registered"
	sed -i 's/      database: {class: medium}/      database: {class: large}/' platform.yaml
	paved apply --env production --owner team-payments
	expect_in "$out" ' ~   database postgres "payment-api-database-production"  updated in place: class: medium -> large' "a class change is an update in place"
	expect_in "$(cat "$mod")" '"instance_class": "db.r6g.large"' "the module follows"
	paved catalog show resource:default/payment-api-database-production
	expect_rc 0 "registered with its owner"
	expect_in "$out" '$397.12/month' "the database's cost is in the catalog"
	expect_in "$out" "team-payments" "owned by the team"
	expect_in "$out" "component:default/payment-api" "as a dependency of the service"
fi

# less storage is refused, naming both values
printf 'service: payment-api\nresources:\n  database: {type: postgres, class: large, params: {backups: daily, storage_gb: 100}}\n' > "$tmp/grow.yaml"
paved apply "$tmp/grow.yaml" --env production
expect_rc 0 "more storage: in place"
expect_in "$out" "params.storage_gb: (none) -> 100" "the change"
expect_in "$out" " -   cache    redis \"payment-api-cache-production\"  no longer in platform.yaml: kept (run 'paved apply $tmp/grow.yaml --env production --prune' to destroy it)" "the cache is listed, kept"
sed -i 's/storage_gb: 100/storage_gb: 50/' "$tmp/grow.yaml"
cp "$mod" "$tmp/before.json"
paved apply "$tmp/grow.yaml" --env production
expect_rc 1 "less storage refused"
expect_in "$err" "resource 'payment-api-database-production': params.storage_gb: 100 -> 50 cannot shrink (RDS storage only grows)" "shrink message"
same_json "$mod" "$tmp/before.json" && pass "module unchanged" || fail "module changed"

# staging, one database, weekly backups: its own module
mkdir -p "$tmp/orders"
printf 'service: orders\nresources:\n  db: {type: postgres, class: small, params: {backups: weekly}}\n' > "$tmp/orders/platform.yaml"
paved apply "$tmp/orders" --env staging
expect_rc 0 "apply staging"
if same_json "$tmp/orders/terraform/staging/main.tf.json" "$td/staging-db-only.tf.json"; then
	pass "staging module as expected"
else
	fail "staging module differs:"; diff "$td/staging-db-only.tf.json" "$tmp/orders/terraform/staging/main.tf.json"
fi

# the hint: prune the cache from the module
paved apply "$tmp/grow.yaml" --env production --prune
expect_rc 1 "still refused while the file asks to shrink"
sed -i 's/storage_gb: 50/storage_gb: 100/' "$tmp/grow.yaml"
paved apply "$tmp/grow.yaml" --env production --prune
expect_rc 0 "prune (not applied: holds no data yet)"
expect_in "$out" ' -   cache    redis "payment-api-cache-production"  destroyed' "destroyed line"
expect_not_in "$(cat "$mod")" "aws_elasticache" "cache gone from the module"
expect_in "$(cat "$mod")" "aws_db_instance" "database still there"

# bad input: message, nothing written
paved provision postgres billing-db --env production --param backups=hourly
expect_rc 1 "bad backups"
expect_in "$err" "resource 'billing-db': params.backups 'hourly' is not a backups setting (daily, weekly, none or a number of days 0-35)" "bad backups message"
paved provision postgres billing_db --env production
expect_rc 1 "not an AWS identifier"
expect_in "$err" "name 'billing_db' cannot be an AWS identifier: use lowercase letters, digits and single '-', starting with a letter (at most 63 characters)" "AWS identifier message"
[ ! -e "$PAVED_HOME/provision/terraform/billing_db" ] && [ ! -e "$PAVED_HOME/provision/terraform/billing-db" ] &&
	pass "nothing written for refused requests" || fail "module written"
paved -c plugins.provision_terraform.run=true -c plugins.provision_terraform.terraform=/nonexistent/terraform provision redis sessions --env production
expect_rc 1 "terraform missing"
expect_in "$err" "cannot run terraform: cannot run /nonexistent/terraform: No such file or directory; install it or set plugins.provision_terraform.terraform" "terraform missing message"
[ ! -e "$PAVED_HOME/provision/terraform/sessions/production/main.tf.json" ] && pass "module removed again" || fail "module left"
paved --json resources list
expect_not_in "$out" "sessions" "no record for the failure"
finish
