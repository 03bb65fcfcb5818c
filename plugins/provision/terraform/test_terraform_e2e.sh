#!/bin/sh
# End to end: the terraform driver writes main.tf.json under the service;
# the generated JSON is compared with expected files and, when a terraform
# binary exists, parsed by it (`terraform providers` reads the
# configuration without downloading providers, so this works offline).
. "$top_srcdir/plugins/provision/common/e2e-lib.sh"
td="$top_srcdir/plugins/provision/terraform/testdata"
mkdir -p "$tmp/payment-api"
cp "$td/platform.yaml" "$tmp/payment-api/platform.yaml"
chmod u+w "$tmp/payment-api/platform.yaml"
cd "$tmp/payment-api"

same_json() {
	python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])) else 1)' "$1" "$2"
}

paved apply --env production
expect_rc 0 "apply production"
expect_in "$out" ' ✓ database   postgres "payment-api-database-production"  created (terraform, medium, $99.28/month)' "database line"
expect_in "$out" ' ✓ cache      redis "payment-api-cache-production"  created (terraform, small, $24.82/month)' "cache line"
expect_in "$out" 'Applied' "applied"
mod="$tmp/payment-api/terraform/production/main.tf.json"
if same_json "$mod" "$td/production.tf.json"; then pass "main.tf.json as expected"; else
	fail "main.tf.json differs:"; diff "$td/production.tf.json" "$mod"; fi
paved apply --env production
expect_in "$out" "Nothing to do: 2 resources up to date (env production)." "second apply changes nothing"

if command -v terraform >/dev/null 2>&1; then
	if TF_CLI_CONFIG_FILE=/dev/null terraform -chdir="$tmp/payment-api/terraform/production" providers >"$tmp/tf.out" 2>&1 &&
		grep -q "hashicorp/aws" "$tmp/tf.out"; then
		pass "terraform parses the module"
	else
		fail "terraform: $(cat "$tmp/tf.out")"
	fi
else
	echo "terraform not installed: parse check skipped"
fi

# the cost flows into the catalog (when the catalog plugin is installed)
if "$PAVED" hooks 2>/dev/null | grep -q "catalog.put"; then
	paved catalog show resource:default/payment-api-cache-production
	expect_in "$out" '$24.82/month' "the cache's cost is in the catalog"
	expect_in "$out" "component:default/payment-api" "as a dependency of the service"
fi

# staging, one database, weekly backups: its own module
mkdir -p "$tmp/orders"
printf 'service: orders\ndb:\n  type: postgres\n  size: small\n  backups: weekly\n' > "$tmp/orders/platform.yaml"
paved apply "$tmp/orders/platform.yaml" --env staging
expect_rc 0 "apply staging"
if same_json "$tmp/orders/terraform/staging/main.tf.json" "$td/staging-db-only.tf.json"; then
	pass "staging module as expected"
else
	fail "staging module differs:"; diff "$td/staging-db-only.tf.json" "$tmp/orders/terraform/staging/main.tf.json"
fi

# destroy removes the resource from the module
paved resources destroy payment-api-cache-production
expect_rc 0 "destroy the cache"
expect_not_in "$(cat "$mod")" "aws_elasticache" "cache gone from the module"
expect_in "$(cat "$mod")" "aws_db_instance" "database still there"

# bad input: message, nothing written
paved provision postgres billing-db --env production --set backups=hourly
expect_rc 1 "bad backups"
expect_in "$err" "invalid backups 'hourly': use daily, weekly, none or a number of days (0-35)" "bad backups message"
paved provision postgres Billing_DB --env production
expect_rc 1 "not an AWS identifier"
expect_in "$err" "name 'Billing_DB' cannot be an AWS identifier: use lowercase letters, digits and single '-', starting with a letter (at most 63 characters)" "AWS identifier message"
[ ! -e "$PAVED_HOME/provision/terraform/Billing_DB" ] && [ ! -e "$PAVED_HOME/provision/terraform/billing-db" ] &&
	pass "nothing written for refused requests" || fail "module written"
paved -c plugins.provision_terraform.run=true -c plugins.provision_terraform.terraform=/nonexistent/terraform provision redis sessions --env production
expect_rc 1 "terraform missing"
expect_in "$err" "cannot run terraform: cannot run /nonexistent/terraform: No such file or directory; install it or set plugins.provision_terraform.terraform" "terraform missing message"
[ ! -e "$PAVED_HOME/provision/terraform/sessions/production/main.tf.json" ] && pass "module removed again" || fail "module left"
paved --json resources list
expect_not_in "$out" "sessions" "no record for the failure"
finish
