/*
 * validate_cases.h -- the cases of Backstage's own unit tests for the
 * validators paved ports, as tables: test_validate.c asserts paved's
 * verdict on each, and valid_verdicts -p prints them for the differential
 * test, which asks Backstage's library for its verdict on the same JSON.
 *
 * Ported from backstage/backstage packages/catalog-model/src:
 *   validation/KubernetesValidatorFunctions.test.ts,
 *   validation/CommonValidatorFunctions.test.ts  (format tables below, each
 *       also put into an entity at the field the format governs);
 *   entity/policies/SchemaValidEntityPolicy.test.ts,
 *   entity/policies/FieldFormatEntityPolicy.test.ts,
 *   entity/policies/NoForeignRootFieldsEntityPolicy.test.ts;
 *   kinds/{Component,Api,Resource,System,Domain,Group,User,Location}
 *       EntityV1alpha1.test.ts.
 * Expected verdicts are those of the version paved pins (1.10.3) running
 * the whole ingestion pipeline; where that differs from the test file the
 * row says why.  The policy cases use kind "Thing", registered with no
 * spec rules, so that only the policy under test can refuse them.
 */
#ifndef CATALOG_VALIDATE_CASES_H
#define CATALOG_VALIDATE_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

/* ---- entity cases: a base entity, one change, the verdict ------------------ */

enum {
	VB_THING_SCHEMA, VB_THING_FORMAT, VB_THING_FOREIGN, VB_COMPONENT, VB_API, VB_API_MCP,
	VB_RESOURCE, VB_SYSTEM, VB_DOMAIN, VB_GROUP, VB_USER, VB_LOCATION
};

static const char *const vc_bases[] = {
	[VB_THING_SCHEMA] = "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Thing\", \"metadata\": "
		"{\"uid\": \"e01199ab-08cc-44c2-8e19-5c29ded82521\", \"etag\": \"lsndfkjsndfkjnsdfkjnsd==\", "
		"\"name\": \"my-component-yay\", \"namespace\": \"the-namespace\", \"labels\": "
		"{\"backstage.io/custom\": \"ValueStuff\"}, \"annotations\": {\"example.com/bindings\": "
		"\"are-secret\"}, \"tags\": [\"java\", \"data\"], \"links\": [{\"url\": "
		"\"https://example.com\", \"title\": \"Website\", \"icon\": \"website\"}]}, "
		"\"spec\": {\"custom\": \"stuff\"}}",
	[VB_THING_FORMAT] = "{\"apiVersion\": \"backstage.io/v1beta1\", \"kind\": \"Thing\", \"metadata\": "
		"{\"uid\": \"e01199ab-08cc-44c2-8e19-5c29ded82521\", \"etag\": \"lsndfkjsndfkjnsdfkjnsd==\", "
		"\"generation\": 13, \"name\": \"my-component-yay\", \"namespace\": \"the-namespace\", "
		"\"labels\": {\"backstage.io/custom\": \"ValueStuff\"}, \"annotations\": "
		"{\"example.com/bindings\": \"are-secret\"}}, \"spec\": {\"custom\": \"stuff\"}}",
	[VB_THING_FOREIGN] = "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Thing\", \"metadata\": "
		"{\"name\": \"my-component-yay\", \"namespace\": \"the-namespace\"}, \"spec\": "
		"{\"custom\": \"stuff\"}}",
	[VB_COMPONENT] = "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Component\", "
		"\"metadata\": {\"name\": \"test\"}, \"spec\": {\"type\": \"service\", \"lifecycle\": "
		"\"production\", \"owner\": \"me\", \"subcomponentOf\": \"monolith\", \"providesApis\": "
		"[\"api-0\"], \"consumesApis\": [\"api-0\"], \"dependsOn\": [\"resource:resource-0\", "
		"\"component:component-0\"], \"system\": \"system\", \"environmentOverrides\": "
		"{\"prod\": {}}, \"deploysToEnvironments\": [\"prod\"]}}",
	[VB_API] = "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"API\", \"metadata\": "
		"{\"name\": \"test\"}, \"spec\": {\"type\": \"openapi\", \"lifecycle\": \"production\", "
		"\"owner\": \"me\", \"definition\": \"openapi: \\\"3.0.0\\\"\\ninfo:\\n  version: 1.0.0\\n\", "
		"\"system\": \"system\"}}",
	[VB_API_MCP] = "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"API\", \"metadata\": "
		"{\"name\": \"test-mcp\"}, \"spec\": {\"type\": \"mcp-server\", \"lifecycle\": "
		"\"experimental\", \"owner\": \"me\", \"remotes\": [{\"type\": \"streamable-http\", "
		"\"url\": \"http://localhost:7007/api/mcp\"}]}}",
	[VB_RESOURCE] = "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Resource\", \"metadata\": "
		"{\"name\": \"test\"}, \"spec\": {\"type\": \"database\", \"owner\": \"me\", \"system\": "
		"\"system\"}}",
	[VB_SYSTEM] = "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"System\", \"metadata\": "
		"{\"name\": \"test\"}, \"spec\": {\"owner\": \"me\", \"domain\": \"domain\"}}",
	[VB_DOMAIN] = "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Domain\", \"metadata\": "
		"{\"name\": \"test\"}, \"spec\": {\"owner\": \"me\", \"subdomainOf\": \"parent-domain\", "
		"\"type\": \"domain-type\"}}",
	[VB_GROUP] = "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Group\", \"metadata\": "
		"{\"name\": \"doe-squad\", \"description\": \"A squad for John and Jane\"}, \"spec\": "
		"{\"type\": \"squad\", \"profile\": {\"displayName\": \"Doe Squad\", \"email\": "
		"\"doe@doe.org\", \"picture\": \"https://doe.org/doe\"}, \"parent\": \"group-a\", "
		"\"children\": [\"child-a\", \"child-b\"], \"members\": [\"jdoe\"]}}",
	[VB_USER] = "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"User\", \"metadata\": "
		"{\"name\": \"doe\"}, \"spec\": {\"profile\": {\"displayName\": \"John Doe\", \"email\": "
		"\"john@doe.org\", \"picture\": \"https://doe.org/john.jpeg\"}, \"memberOf\": "
		"[\"team-a\", \"developers\"]}}",
	[VB_LOCATION] = "{\"apiVersion\": \"backstage.io/v1alpha1\", \"kind\": \"Location\", "
		"\"metadata\": {\"name\": \"test\"}, \"spec\": {\"type\": \"github\"}}",
};

/* PATH is dotted ("spec.profile.email", "spec.memberOf.0"); VALUE is JSON
 * text, or VC_DEL to delete, or NULL to leave the base as it is.  FIELD
 * must appear in paved's message when the verdict is a refusal. */
struct vc_entity_case {
	int         base;
	const char *path, *value;
	int         valid;
	const char *field;
	const char *name;   /* the Backstage test */
};
#define VC_DEL "\x01"
#define L63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG_NAME L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63 L63

static const struct vc_entity_case vc_entity_cases[] = {
	/* SchemaValidEntityPolicy.test.ts */
	{ VB_THING_SCHEMA, NULL, NULL, 1, NULL, "works for the happy path" },
	{ VB_THING_SCHEMA, "apiVersion", VC_DEL, 0, "apiVersion", "rejects missing apiVersion" },
	{ VB_THING_SCHEMA, "apiVersion", "7", 0, "apiVersion", "rejects bad apiVersion type" },
	{ VB_THING_SCHEMA, "kind", VC_DEL, 0, "kind", "rejects missing kind" },
	{ VB_THING_SCHEMA, "kind", "7", 0, "kind", "rejects bad kind type" },
	{ VB_THING_SCHEMA, "metadata", VC_DEL, 0, "metadata", "rejects missing metadata" },
	{ VB_THING_SCHEMA, "metadata", "7", 0, "metadata", "rejects bad metadata type" },
	{ VB_THING_SCHEMA, "metadata.uid", VC_DEL, 1, NULL, "accepts missing uid" },
	{ VB_THING_SCHEMA, "metadata.uid", "7", 0, "metadata.uid", "rejects bad uid type" },
	{ VB_THING_SCHEMA, "metadata.uid", "\"\"", 0, "metadata.uid", "rejects empty uid" },
	{ VB_THING_SCHEMA, "metadata.etag", VC_DEL, 1, NULL, "accepts missing etag" },
	{ VB_THING_SCHEMA, "metadata.etag", "7", 0, "metadata.etag", "rejects bad etag type" },
	{ VB_THING_SCHEMA, "metadata.etag", "\"\"", 0, "metadata.etag", "rejects empty etag" },
	{ VB_THING_SCHEMA, "metadata.name", VC_DEL, 0, "metadata.name", "rejects missing name" },
	{ VB_THING_SCHEMA, "metadata.name", "7", 0, "metadata.name", "rejects bad name type" },
	{ VB_THING_SCHEMA, "metadata.namespace", VC_DEL, 1, NULL, "accepts missing namespace" },
	{ VB_THING_SCHEMA, "metadata.namespace", "7", 0, "metadata.namespace",
	  "rejects bad namespace type" },
	{ VB_THING_SCHEMA, "metadata.description", VC_DEL, 1, NULL, "accepts missing description" },
	{ VB_THING_SCHEMA, "metadata.description", "7", 0, "metadata.description",
	  "rejects bad description type" },
	{ VB_THING_SCHEMA, "metadata.labels", VC_DEL, 1, NULL, "accepts missing labels" },
	{ VB_THING_SCHEMA, "metadata.labels", "7", 0, "metadata.labels", "rejects bad labels type" },
	{ VB_THING_SCHEMA, "metadata.annotations", VC_DEL, 1, NULL, "accepts missing annotations" },
	{ VB_THING_SCHEMA, "metadata.annotations", "7", 0, "metadata.annotations",
	  "rejects bad annotations type" },
	{ VB_THING_SCHEMA, "metadata.tags", "7", 0, "metadata.tags", "rejects bad tags type" },
	{ VB_THING_SCHEMA, "metadata.links", VC_DEL, 1, NULL, "accepts missing links" },
	{ VB_THING_SCHEMA, "metadata.links", "[]", 1, NULL, "accepts empty links array" },
	{ VB_THING_SCHEMA, "metadata.links", "\"invalid type\"", 0, "metadata.links",
	  "rejects bad links type 'invalid type'" },
	{ VB_THING_SCHEMA, "metadata.links", "123", 0, "metadata.links", "rejects bad links type 123" },
	{ VB_THING_SCHEMA, "metadata.links", "{}", 0, "metadata.links", "rejects bad links type {}" },
	{ VB_THING_SCHEMA, "metadata.links", "{\"url\": \"https://foo\"}", 0, "metadata.links",
	  "rejects bad links type {url}" },
	{ VB_THING_SCHEMA, "spec", VC_DEL, 1, NULL, "accepts missing spec" },
	{ VB_THING_SCHEMA, "spec", "7", 0, "spec", "rejects non-object spec" },
	{ VB_THING_SCHEMA, "metadata.annotations", "null", 1, NULL,
	  "(paved) a null annotations is replaced by {} on ingestion" },
	{ VB_THING_SCHEMA, "metadata.annotations", "[]", 0, "metadata.annotations",
	  "(paved) annotations as a list" },
	/* FieldFormatEntityPolicy.test.ts */
	{ VB_THING_FORMAT, NULL, NULL, 1, NULL, "works for the happy path" },
	{ VB_THING_FORMAT, "apiVersion", "7", 0, "apiVersion", "rejects bad apiVersion (7)" },
	{ VB_THING_FORMAT, "apiVersion", "\"a#b\"", 0, "apiVersion", "rejects bad apiVersion (a#b)" },
	{ VB_THING_FORMAT, "kind", "7", 0, "kind", "rejects bad kind (7)" },
	{ VB_THING_FORMAT, "kind", "\"a#b\"", 0, "kind", "rejects bad kind (a#b)" },
	{ VB_THING_FORMAT, "spec", VC_DEL, 1, NULL, "handles missing spec gracefully" },
	{ VB_THING_FORMAT, "metadata.name", "7", 0, "metadata.name", "rejects bad name (7)" },
	{ VB_THING_FORMAT, "metadata.name", "\"" LONG_NAME "\"", 0, "metadata.name",
	  "rejects bad name (1000 a)" },
	{ VB_THING_FORMAT, "metadata.namespace", "7", 0, "metadata.namespace",
	  "rejects bad namespace (7)" },
	{ VB_THING_FORMAT, "metadata.namespace", "\"" LONG_NAME "\"", 0, "metadata.namespace",
	  "rejects bad namespace (1000 a)" },
	{ VB_THING_FORMAT, "metadata.labels.a#b", "\"value\"", 0, "metadata.labels key \"a#b\"",
	  "rejects bad label key" },
	{ VB_THING_FORMAT, "metadata.labels.a", "\"a#b\"", 0, "metadata.labels.a",
	  "rejects bad label value" },
	{ VB_THING_FORMAT, "metadata.annotations.a#b", "\"value\"", 0,
	  "metadata.annotations key \"a#b\"", "rejects bad annotation key" },
	{ VB_THING_FORMAT, "metadata.annotations.a", "7", 0, "metadata.annotations.a",
	  "rejects bad annotation value" },
	/* NoForeignRootFieldsEntityPolicy.test.ts (its base also has a status,
	 * which the policy itself refuses: see the second row) */
	{ VB_THING_FOREIGN, NULL, NULL, 1, NULL, "works for the happy path (without status)" },
	{ VB_THING_FOREIGN, "status", "{\"items\": [{\"type\": \"backstage.io/catalog-processing\", "
	  "\"level\": \"error\", \"message\": \"NotFoundError: File not found\"}]}", 0, "status",
	  "(the test's base) a status root field" },
	{ VB_THING_FOREIGN, "spec2", "{}", 0, "spec2", "rejects unknown root fields" },
	{ VB_THING_FOREIGN, "relations", "[]", 0, "relations", "(paved) relations as a root field" },
	/* ComponentEntityV1alpha1.test.ts */
	{ VB_COMPONENT, NULL, NULL, 1, NULL, "happy path: accepts valid data" },
	{ VB_COMPONENT, "apiVersion", "\"backstage.io/v1beta1\"", 1, NULL, "silently accepts v1beta1" },
	{ VB_COMPONENT, "apiVersion", "\"backstage.io/v1beta0\"", 0, "apiVersion",
	  "ignores unknown apiVersion (no other processor: refused)" },
	{ VB_COMPONENT, "kind", "\"Wizard\"", 0, "kind", "ignores unknown kind (refused)" },
	{ VB_COMPONENT, "spec.type", VC_DEL, 0, "spec.type", "rejects missing type" },
	{ VB_COMPONENT, "spec.type", "7", 0, "spec.type", "rejects wrong type" },
	{ VB_COMPONENT, "spec.type", "\"\"", 0, "spec.type", "rejects empty type" },
	{ VB_COMPONENT, "spec.lifecycle", VC_DEL, 0, "spec.lifecycle", "rejects missing lifecycle" },
	{ VB_COMPONENT, "spec.lifecycle", "7", 0, "spec.lifecycle", "rejects wrong lifecycle" },
	{ VB_COMPONENT, "spec.lifecycle", "\"\"", 0, "spec.lifecycle", "rejects empty lifecycle" },
	{ VB_COMPONENT, "spec.owner", VC_DEL, 0, "spec.owner", "rejects missing owner" },
	{ VB_COMPONENT, "spec.owner", "7", 0, "spec.owner", "rejects wrong owner" },
	{ VB_COMPONENT, "spec.owner", "\"\"", 0, "spec.owner", "rejects empty owner" },
	{ VB_COMPONENT, "spec.subcomponentOf", VC_DEL, 1, NULL, "accepts missing subcomponentOf" },
	{ VB_COMPONENT, "spec.subcomponentOf", "7", 0, "spec.subcomponentOf",
	  "rejects wrong subcomponentOf" },
	{ VB_COMPONENT, "spec.subcomponentOf", "\"\"", 0, "spec.subcomponentOf",
	  "rejects empty subcomponentOf" },
	{ VB_COMPONENT, "spec.providesApis", VC_DEL, 1, NULL, "accepts missing providesApis" },
	{ VB_COMPONENT, "spec.providesApis", "[\"\"]", 0, "spec.providesApis",
	  "rejects empty providesApis" },
	{ VB_COMPONENT, "spec.providesApis", "[null]", 0, "spec.providesApis",
	  "rejects undefined providesApis" },
	{ VB_COMPONENT, "spec.providesApis", "[]", 1, NULL, "accepts no providesApis" },
	{ VB_COMPONENT, "spec.consumesApis", VC_DEL, 1, NULL, "accepts missing consumesApis" },
	{ VB_COMPONENT, "spec.consumesApis", "[\"\"]", 0, "spec.consumesApis",
	  "rejects empty consumesApis" },
	{ VB_COMPONENT, "spec.consumesApis", "[null]", 0, "spec.consumesApis",
	  "rejects undefined consumesApis" },
	{ VB_COMPONENT, "spec.consumesApis", "[]", 1, NULL, "accepts no consumesApis" },
	{ VB_COMPONENT, "spec.dependsOn", VC_DEL, 1, NULL, "accepts missing dependsOn" },
	{ VB_COMPONENT, "spec.dependsOn", "[\"\"]", 0, "spec.dependsOn", "rejects empty dependsOn" },
	{ VB_COMPONENT, "spec.dependsOn", "[null]", 0, "spec.dependsOn",
	  "rejects undefined dependsOn" },
	{ VB_COMPONENT, "spec.dependsOn", "[]", 1, NULL, "accepts no dependsOn" },
	{ VB_COMPONENT, "spec.system", VC_DEL, 1, NULL, "accepts missing system" },
	{ VB_COMPONENT, "spec.system", "7", 0, "spec.system", "rejects wrong system" },
	{ VB_COMPONENT, "spec.system", "\"\"", 0, "spec.system", "rejects empty system" },
	{ VB_COMPONENT, "spec.environmentOverrides", VC_DEL, 1, NULL,
	  "accepts missing environmentOverrides" },
	{ VB_COMPONENT, "spec.environmentOverrides", "7", 1, NULL,
	  "rejects wrong environmentOverrides (newer sources; 1.10.3's schema has no such field)" },
	{ VB_COMPONENT, "spec.environmentOverrides", "{}", 1, NULL,
	  "accepts empty environmentOverrides" },
	{ VB_COMPONENT, "spec.deploysToEnvironments", VC_DEL, 1, NULL,
	  "accepts missing deploysToEnvironments" },
	{ VB_COMPONENT, "spec.deploysToEnvironments", "7", 1, NULL,
	  "rejects wrong deploysToEnvironments (newer sources; not in 1.10.3's schema)" },
	{ VB_COMPONENT, "spec.dependsOn", "[\"resource-0\"]", 0, "spec.dependsOn[0]",
	  "(catalog-backend) dependsOn needs a kind" },
	/* ApiEntityV1alpha1.test.ts */
	{ VB_API, NULL, NULL, 1, NULL, "happy path: accepts valid data" },
	{ VB_API, "apiVersion", "\"backstage.io/v1beta1\"", 1, NULL, "silently accepts v1beta1" },
	{ VB_API, "apiVersion", "\"backstage.io/v1beta0\"", 0, "apiVersion", "ignores unknown apiVersion" },
	{ VB_API, "kind", "\"Wizard\"", 0, "kind", "ignores unknown kind" },
	{ VB_API, "spec.type", VC_DEL, 0, "spec.type", "rejects missing type" },
	{ VB_API, "spec.type", "7", 0, "spec.type", "rejects wrong type" },
	{ VB_API, "spec.type", "\"\"", 0, "spec.type", "rejects empty type" },
	{ VB_API, "spec.lifecycle", VC_DEL, 0, "spec.lifecycle", "rejects missing lifecycle" },
	{ VB_API, "spec.lifecycle", "7", 0, "spec.lifecycle", "rejects wrong lifecycle" },
	{ VB_API, "spec.lifecycle", "\"\"", 0, "spec.lifecycle", "rejects empty lifecycle" },
	{ VB_API, "spec.owner", VC_DEL, 0, "spec.owner", "rejects missing owner" },
	{ VB_API, "spec.owner", "7", 0, "spec.owner", "rejects wrong owner" },
	{ VB_API, "spec.owner", "\"\"", 0, "spec.owner", "rejects empty owner" },
	{ VB_API, "spec.definition", VC_DEL, 0, "spec.definition", "rejects missing definition" },
	{ VB_API, "spec.definition", "7", 0, "spec.definition", "rejects wrong definition" },
	{ VB_API, "spec.definition", "\"\"", 0, "spec.definition", "rejects empty definition" },
	{ VB_API, "spec.system", VC_DEL, 1, NULL, "accepts missing system" },
	{ VB_API, "spec.system", "7", 0, "spec.system", "rejects wrong system" },
	{ VB_API, "spec.system", "\"\"", 0, "spec.system", "rejects empty system" },
	{ VB_API, "annotations", "\"Test\"", 0, "annotations", "rejects additional properties" },
	{ VB_API, "spec.definition", "{\"$text\": \"./openapi.yaml\"}", 1, NULL,
	  "(paved) a $text placeholder stands for the text Backstage reads" },
	/* its mcp-server cases: newer sources accept an mcp-server API
	 * without a definition; 1.10.3's catalog-backend runs the plain API
	 * schema, which requires one */
	{ VB_API_MCP, NULL, NULL, 0, "spec.definition", "accepts valid mcp-server entity (not in 1.10.3)" },
	{ VB_API_MCP, "spec.remotes", VC_DEL, 0, "spec.definition",
	  "rejects mcp-server entity without remotes" },
	{ VB_API_MCP, "spec.definition", "\"x\"", 1, NULL, "(1.10.3) an mcp-server API with a definition" },
	/* ResourceEntityV1alpha1.test.ts */
	{ VB_RESOURCE, NULL, NULL, 1, NULL, "happy path: accepts valid data" },
	{ VB_RESOURCE, "apiVersion", "\"backstage.io/v1beta1\"", 1, NULL, "silently accepts v1beta1" },
	{ VB_RESOURCE, "apiVersion", "\"backstage.io/v1beta0\"", 0, "apiVersion", "ignores unknown apiVersion" },
	{ VB_RESOURCE, "kind", "\"Wizard\"", 0, "kind", "ignores unknown kind" },
	{ VB_RESOURCE, "spec.type", VC_DEL, 0, "spec.type", "rejects missing type" },
	{ VB_RESOURCE, "spec.type", "7", 0, "spec.type", "rejects wrong type" },
	{ VB_RESOURCE, "spec.type", "\"\"", 0, "spec.type", "rejects empty type" },
	{ VB_RESOURCE, "spec.owner", VC_DEL, 0, "spec.owner", "rejects missing owner" },
	{ VB_RESOURCE, "spec.owner", "7", 0, "spec.owner", "rejects wrong owner" },
	{ VB_RESOURCE, "spec.owner", "\"\"", 0, "spec.owner", "rejects empty owner" },
	{ VB_RESOURCE, "spec.system", VC_DEL, 1, NULL, "accepts missing system" },
	{ VB_RESOURCE, "spec.system", "7", 0, "spec.system", "rejects wrong system" },
	{ VB_RESOURCE, "spec.system", "\"\"", 0, "spec.system", "rejects empty system" },
	/* SystemEntityV1alpha1.test.ts */
	{ VB_SYSTEM, NULL, NULL, 1, NULL, "happy path: accepts valid data" },
	{ VB_SYSTEM, "apiVersion", "\"backstage.io/v1beta1\"", 1, NULL, "silently accepts v1beta1" },
	{ VB_SYSTEM, "apiVersion", "\"backstage.io/v1beta0\"", 0, "apiVersion", "ignores unknown apiVersion" },
	{ VB_SYSTEM, "kind", "\"Wizard\"", 0, "kind", "ignores unknown kind" },
	{ VB_SYSTEM, "spec.owner", VC_DEL, 0, "spec.owner", "rejects missing owner" },
	{ VB_SYSTEM, "spec.owner", "7", 0, "spec.owner", "rejects wrong owner" },
	{ VB_SYSTEM, "spec.owner", "\"\"", 0, "spec.owner", "rejects empty owner" },
	{ VB_SYSTEM, "spec.domain", VC_DEL, 1, NULL, "accepts missing domain" },
	{ VB_SYSTEM, "spec.domain", "7", 0, "spec.domain", "rejects wrong domain" },
	{ VB_SYSTEM, "spec.domain", "\"\"", 0, "spec.domain", "rejects empty domain" },
	/* DomainEntityV1alpha1.test.ts */
	{ VB_DOMAIN, NULL, NULL, 1, NULL, "happy path: accepts valid data" },
	{ VB_DOMAIN, "apiVersion", "\"backstage.io/v1beta1\"", 1, NULL, "silently accepts v1beta1" },
	{ VB_DOMAIN, "apiVersion", "\"backstage.io/v1beta0\"", 0, "apiVersion", "ignores unknown apiVersion" },
	{ VB_DOMAIN, "kind", "\"Wizard\"", 0, "kind", "ignores unknown kind" },
	{ VB_DOMAIN, "spec.owner", VC_DEL, 0, "spec.owner", "rejects missing owner" },
	{ VB_DOMAIN, "spec.owner", "7", 0, "spec.owner", "rejects wrong owner" },
	{ VB_DOMAIN, "spec.owner", "\"\"", 0, "spec.owner", "rejects empty owner" },
	{ VB_DOMAIN, "spec.subdomainOf", VC_DEL, 1, NULL, "accepts missing subdomainOf" },
	{ VB_DOMAIN, "spec.subdomainOf", "7", 0, "spec.subdomainOf", "rejects wrong subdomainOf" },
	{ VB_DOMAIN, "spec.subdomainOf", "\"\"", 0, "spec.subdomainOf", "rejects empty subdomainOf" },
	{ VB_DOMAIN, "spec.type", VC_DEL, 1, NULL, "accepts missing type" },
	{ VB_DOMAIN, "spec.type", "\"\"", 0, "spec.type", "rejects empty type" },
	{ VB_DOMAIN, "spec.type", "7", 0, "spec.type", "rejects wrong type" },
	/* GroupEntityV1alpha1.test.ts */
	{ VB_GROUP, NULL, NULL, 1, NULL, "happy path: accepts valid data" },
	{ VB_GROUP, "apiVersion", "\"backstage.io/v1beta1\"", 1, NULL, "silently accepts v1beta1" },
	{ VB_GROUP, "apiVersion", "\"backstage.io/v1beta0\"", 0, "apiVersion", "ignores unknown apiVersion" },
	{ VB_GROUP, "kind", "\"Wizard\"", 0, "kind", "ignores unknown kind" },
	{ VB_GROUP, "spec.type", VC_DEL, 0, "spec.type", "rejects missing type" },
	{ VB_GROUP, "spec.type", "7", 0, "spec.type", "rejects wrong type" },
	{ VB_GROUP, "spec.type", "\"\"", 0, "spec.type", "rejects empty type" },
	{ VB_GROUP, "spec.profile", VC_DEL, 1, NULL, "accepts missing profile" },
	{ VB_GROUP, "spec.profile", "7", 0, "spec.profile", "rejects wrong profile" },
	{ VB_GROUP, "spec.profile.displayName", VC_DEL, 1, NULL, "profile accepts missing displayName" },
	{ VB_GROUP, "spec.profile.displayName", "7", 0, "spec.profile.displayName",
	  "profile rejects wrong displayName" },
	{ VB_GROUP, "spec.profile.displayName", "\"\"", 0, "spec.profile.displayName",
	  "profile rejects empty displayName" },
	{ VB_GROUP, "spec.profile.email", VC_DEL, 1, NULL, "profile accepts missing email" },
	{ VB_GROUP, "spec.profile.email", "7", 0, "spec.profile.email", "profile rejects wrong email" },
	{ VB_GROUP, "spec.profile.email", "\"\"", 0, "spec.profile.email", "profile rejects empty email" },
	{ VB_GROUP, "spec.profile.picture", VC_DEL, 1, NULL, "profile accepts missing picture" },
	{ VB_GROUP, "spec.profile.picture", "7", 0, "spec.profile.picture",
	  "profile rejects wrong picture" },
	{ VB_GROUP, "spec.profile.picture", "\"\"", 0, "spec.profile.picture",
	  "profile rejects empty picture" },
	{ VB_GROUP, "spec.profile.foo", "\"data\"", 1, NULL, "profile accepts unknown additional fields" },
	{ VB_GROUP, "spec.parent", VC_DEL, 1, NULL, "accepts missing parent" },
	{ VB_GROUP, "spec.parent", "\"\"", 0, "spec.parent", "rejects empty parent" },
	{ VB_GROUP, "spec.children", VC_DEL, 0, "spec.children", "rejects missing children" },
	{ VB_GROUP, "spec.children", "[\"\"]", 0, "spec.children", "rejects empty children" },
	{ VB_GROUP, "spec.children", "[null]", 0, "spec.children", "rejects undefined children" },
	{ VB_GROUP, "spec.children", "[]", 1, NULL, "accepts no children" },
	{ VB_GROUP, "spec.members", VC_DEL, 1, NULL, "accepts missing members" },
	{ VB_GROUP, "spec.members", "[\"\"]", 0, "spec.members", "rejects empty members" },
	{ VB_GROUP, "spec.members", "[null]", 0, "spec.members", "rejects undefined members" },
	{ VB_GROUP, "spec.members", "[]", 1, NULL, "accepts no members" },
	/* UserEntityV1alpha1.test.ts */
	{ VB_USER, NULL, NULL, 1, NULL, "happy path: accepts valid data" },
	{ VB_USER, "apiVersion", "\"backstage.io/v1beta1\"", 1, NULL, "silently accepts v1beta1" },
	{ VB_USER, "apiVersion", "\"backstage.io/v1beta0\"", 0, "apiVersion", "ignores unknown apiVersion" },
	{ VB_USER, "kind", "\"Wizard\"", 0, "kind", "ignores unknown kind" },
	{ VB_USER, "spec.foo", "\"data\"", 1, NULL, "spec accepts unknown additional fields" },
	{ VB_USER, "spec.profile", VC_DEL, 1, NULL, "accepts missing profile" },
	{ VB_USER, "spec.profile", "7", 0, "spec.profile", "rejects wrong profile" },
	{ VB_USER, "spec.profile.displayName", VC_DEL, 1, NULL, "profile accepts missing displayName" },
	{ VB_USER, "spec.profile.displayName", "7", 0, "spec.profile.displayName",
	  "profile rejects wrong displayName" },
	{ VB_USER, "spec.profile.displayName", "\"\"", 0, "spec.profile.displayName",
	  "profile rejects empty displayName" },
	{ VB_USER, "spec.profile.email", VC_DEL, 1, NULL, "profile accepts missing email" },
	{ VB_USER, "spec.profile.email", "7", 0, "spec.profile.email", "profile rejects wrong email" },
	{ VB_USER, "spec.profile.email", "\"\"", 0, "spec.profile.email", "profile rejects empty email" },
	{ VB_USER, "spec.profile.picture", VC_DEL, 1, NULL, "profile accepts missing picture" },
	{ VB_USER, "spec.profile.picture", "7", 0, "spec.profile.picture", "profile rejects wrong picture" },
	{ VB_USER, "spec.profile.picture", "\"\"", 0, "spec.profile.picture",
	  "profile rejects empty picture" },
	{ VB_USER, "spec.profile.foo", "\"data\"", 1, NULL, "profile accepts unknown additional fields" },
	{ VB_USER, "spec.memberOf", VC_DEL, 0, "spec.memberOf", "rejects missing memberOf" },
	{ VB_USER, "spec.memberOf", "7", 0, "spec.memberOf", "rejects wrong memberOf" },
	{ VB_USER, "spec.memberOf.0", "7", 0, "spec.memberOf[0]", "rejects wrong memberOf item" },
	{ VB_USER, "spec.memberOf", "[]", 1, NULL, "accepts empty memberOf" },
	{ VB_USER, "spec.memberOf", "null", 0, "spec.memberOf", "rejects null memberOf" },
	/* LocationEntityV1alpha1.test.ts */
	{ VB_LOCATION, NULL, NULL, 1, NULL, "happy path: accepts valid data" },
	{ VB_LOCATION, "apiVersion", "\"backstage.io/v1beta1\"", 1, NULL, "silently accepts v1beta1" },
	{ VB_LOCATION, "apiVersion", "\"backstage.io/v1beta0\"", 0, "apiVersion", "ignores unknown apiVersion" },
	{ VB_LOCATION, "kind", "\"Wizard\"", 0, "kind", "ignores unknown kind" },
	{ VB_LOCATION, "spec.type", VC_DEL, 1, NULL, "accepts missing type" },
	{ VB_LOCATION, "spec.type", "7", 0, "spec.type", "rejects wrong type" },
	{ VB_LOCATION, "spec.type", "\"\"", 0, "spec.type", "rejects empty type" },
	{ VB_LOCATION, "spec.target", "\"https://github.com/backstage/backstage/blob/master/plugins/"
	  "catalog-backend/examples/artist-lookup-component.yaml\"", 1, NULL, "accepts good target" },
	{ VB_LOCATION, "spec.target", "7", 0, "spec.target", "rejects wrong target" },
	{ VB_LOCATION, "spec.target", "\"\"", 0, "spec.target", "rejects empty target" },
	{ VB_LOCATION, "spec.targets", "[\"https://github.com/backstage/backstage/blob/master/a.yaml\", "
	  "\"https://github.com/backstage/backstage/blob/master/b.yaml\"]", 1, NULL, "accepts good targets" },
	{ VB_LOCATION, "spec.targets", "[]", 1, NULL, "accepts empty targets" },
	{ VB_LOCATION, "spec.targets", "7", 0, "spec.targets", "rejects wrong targets" },
	{ VB_LOCATION, "spec.presence", "\"sometimes\"", 0, "spec.presence",
	  "(schema) presence is required or optional" },
};
#define VC_NENTITY (sizeof vc_entity_cases / sizeof vc_entity_cases[0])

/* ---- format cases: a string, which format, the verdict ------------------------ */

enum { VF_API_VERSION, VF_KIND, VF_OBJECT_NAME, VF_NAMESPACE, VF_LABEL_KEY, VF_LABEL_VALUE,
       VF_ANNOTATION_KEY, VF_DNS_SUBDOMAIN, VF_DNS_LABEL, VF_URL, VF_NONEMPTY, VF_TAG };

/* TEXT may hold {c*N}: N copies of c. */
struct vc_format_case {
	int         format;
	const char *text;
	int         valid;
};

#define A61 "{a*61}"
#define FOUR_LABELS(last) "{a*63}.{a*63}.{a*63}.{a*" last "}"

static const struct vc_format_case vc_format_cases[] = {
	/* KubernetesValidatorFunctions.test.ts: isValidApiVersion */
	{ VF_API_VERSION, "", 0 }, { VF_API_VERSION, "a", 1 }, { VF_API_VERSION, "AZ09", 1 },
	{ VF_API_VERSION, "{a*63}", 1 }, { VF_API_VERSION, "{a*64}", 0 },
	{ VF_API_VERSION, "a-b", 0 }, { VF_API_VERSION, "a_b", 0 }, { VF_API_VERSION, "a.b", 0 },
	{ VF_API_VERSION, "a/a", 1 }, { VF_API_VERSION, "a/aAb5C", 1 },
	{ VF_API_VERSION, "a-b.c/v1", 1 },
	{ VF_API_VERSION, "a--b.c/v1", 1 },   /* the test says false: 1.10.3's DNS label allows "--" */
	{ VF_API_VERSION, FOUR_LABELS("61") "/v1", 1 }, { VF_API_VERSION, FOUR_LABELS("62") "/v1", 0 },
	{ VF_API_VERSION, "a/{a*63}", 1 }, { VF_API_VERSION, "a/{a*64}", 0 },
	/* isValidKind */
	{ VF_KIND, "", 0 }, { VF_KIND, "a", 1 }, { VF_KIND, "AZ09", 1 }, { VF_KIND, "9AZ", 0 },
	{ VF_KIND, "{a*63}", 1 }, { VF_KIND, "{a*64}", 0 }, { VF_KIND, "a-b", 0 },
	/* isValidObjectName */
	{ VF_OBJECT_NAME, "", 0 }, { VF_OBJECT_NAME, "a", 1 }, { VF_OBJECT_NAME, "AZ09", 1 },
	{ VF_OBJECT_NAME, "{a*63}", 1 }, { VF_OBJECT_NAME, "{a*64}", 0 },
	{ VF_OBJECT_NAME, "a/b", 0 }, { VF_OBJECT_NAME, "a-b", 1 }, { VF_OBJECT_NAME, "-a-b", 0 },
	{ VF_OBJECT_NAME, "a-b-", 0 }, { VF_OBJECT_NAME, "a--b", 1 }, { VF_OBJECT_NAME, "a_b", 1 },
	{ VF_OBJECT_NAME, "a.b", 1 }, { VF_OBJECT_NAME, "a..b", 1 },
	/* isValidNamespace */
	{ VF_NAMESPACE, "", 0 }, { VF_NAMESPACE, "a", 1 }, { VF_NAMESPACE, "AZ09", 0 },
	{ VF_NAMESPACE, "{a*63}", 1 }, { VF_NAMESPACE, "{a*64}", 0 }, { VF_NAMESPACE, "a/b", 0 },
	{ VF_NAMESPACE, "a-b", 1 }, { VF_NAMESPACE, "-a-b", 0 }, { VF_NAMESPACE, "a-b-", 0 },
	{ VF_NAMESPACE, "a--b", 1 },   /* the test says false: 1.10.3 allows runs of '-' */
	{ VF_NAMESPACE, "a_b", 0 }, { VF_NAMESPACE, "a.b", 0 },
	/* isValidLabelKey */
	{ VF_LABEL_KEY, "", 0 }, { VF_LABEL_KEY, "a", 1 }, { VF_LABEL_KEY, "AZ09", 1 },
	{ VF_LABEL_KEY, "{a*63}", 1 }, { VF_LABEL_KEY, "{a*64}", 0 }, { VF_LABEL_KEY, "a/b", 1 },
	{ VF_LABEL_KEY, "a-b", 1 }, { VF_LABEL_KEY, "-a-b", 0 }, { VF_LABEL_KEY, "a-b-", 0 },
	{ VF_LABEL_KEY, "a--b", 1 }, { VF_LABEL_KEY, "a_b", 1 }, { VF_LABEL_KEY, "a.b", 1 },
	{ VF_LABEL_KEY, "a..b", 1 }, { VF_LABEL_KEY, "a/a", 1 }, { VF_LABEL_KEY, "a-b.c/a", 1 },
	{ VF_LABEL_KEY, "a--b.c/a", 1 },   /* the test says false: see a--b.c/v1 */
	{ VF_LABEL_KEY, FOUR_LABELS("61") "/a", 1 }, { VF_LABEL_KEY, FOUR_LABELS("62") "/a", 0 },
	{ VF_LABEL_KEY, "a/{a*63}", 1 }, { VF_LABEL_KEY, "a/{a*64}", 0 },
	{ VF_LABEL_KEY, "a/b/c", 0 }, { VF_LABEL_KEY, "Backstage.io/x", 0 },
	/* isValidLabelValue */
	{ VF_LABEL_VALUE, "", 1 }, { VF_LABEL_VALUE, "a", 1 }, { VF_LABEL_VALUE, "AZ09", 1 },
	{ VF_LABEL_VALUE, "{a*63}", 1 }, { VF_LABEL_VALUE, "{a*64}", 0 },
	{ VF_LABEL_VALUE, "a/b", 0 }, { VF_LABEL_VALUE, "a-b", 1 }, { VF_LABEL_VALUE, "-a-b", 0 },
	{ VF_LABEL_VALUE, "a-b-", 0 }, { VF_LABEL_VALUE, "a--b", 1 }, { VF_LABEL_VALUE, "a_b", 1 },
	{ VF_LABEL_VALUE, "a.b", 1 }, { VF_LABEL_VALUE, "a..b", 1 }, { VF_LABEL_VALUE, "two words", 0 },
	/* isValidAnnotationKey */
	{ VF_ANNOTATION_KEY, "", 0 }, { VF_ANNOTATION_KEY, "a", 1 }, { VF_ANNOTATION_KEY, "AZ09", 1 },
	{ VF_ANNOTATION_KEY, "{a*63}", 1 }, { VF_ANNOTATION_KEY, "{a*64}", 0 },
	{ VF_ANNOTATION_KEY, "a/b", 1 }, { VF_ANNOTATION_KEY, "a-b", 1 },
	{ VF_ANNOTATION_KEY, "-a-b", 0 }, { VF_ANNOTATION_KEY, "a-b-", 0 },
	{ VF_ANNOTATION_KEY, "a--b", 1 }, { VF_ANNOTATION_KEY, "a_b", 1 },
	{ VF_ANNOTATION_KEY, "a.b", 1 }, { VF_ANNOTATION_KEY, "a..b", 1 },
	{ VF_ANNOTATION_KEY, "a/a", 1 }, { VF_ANNOTATION_KEY, "a-b.c/a", 1 },
	{ VF_ANNOTATION_KEY, "a--b.c/a", 1 },   /* the test says false: see a--b.c/v1 */
	{ VF_ANNOTATION_KEY, FOUR_LABELS("61") "/a", 1 },
	{ VF_ANNOTATION_KEY, FOUR_LABELS("62") "/a", 0 },
	{ VF_ANNOTATION_KEY, "a/{a*63}", 1 }, { VF_ANNOTATION_KEY, "a/{a*64}", 0 },
	/* CommonValidatorFunctions.test.ts: isValidDnsSubdomain (as a key's prefix) */
	{ VF_DNS_SUBDOMAIN, "", 0 }, { VF_DNS_SUBDOMAIN, "a", 1 }, { VF_DNS_SUBDOMAIN, "a-b", 1 },
	{ VF_DNS_SUBDOMAIN, "-a-b", 0 }, { VF_DNS_SUBDOMAIN, "a-b-", 0 },
	{ VF_DNS_SUBDOMAIN, "a--b", 1 },   /* the test says false: 1.10.3 allows runs of '-' */
	{ VF_DNS_SUBDOMAIN, "a_b", 0 }, { VF_DNS_SUBDOMAIN, "adam.bertil.caesar", 1 },
	{ VF_DNS_SUBDOMAIN, "adam.ber-til.caesar", 1 }, { VF_DNS_SUBDOMAIN, "adam.-bertil.caesar", 0 },
	{ VF_DNS_SUBDOMAIN, "adam.bertil-.caesar", 0 }, { VF_DNS_SUBDOMAIN, "adam/bertil.caesar", 0 },
	{ VF_DNS_SUBDOMAIN, "a.{b*63}.c", 1 }, { VF_DNS_SUBDOMAIN, "a.{b*64}.c", 0 },
	{ VF_DNS_SUBDOMAIN, FOUR_LABELS("61"), 1 }, { VF_DNS_SUBDOMAIN, FOUR_LABELS("62"), 0 },
	/* isValidDnsLabel (as a namespace) */
	{ VF_DNS_LABEL, "", 0 }, { VF_DNS_LABEL, "a", 1 }, { VF_DNS_LABEL, "a-b", 1 },
	{ VF_DNS_LABEL, "-a-b", 0 }, { VF_DNS_LABEL, "a-b-", 0 }, { VF_DNS_LABEL, "a--b", 1 },
	{ VF_DNS_LABEL, "a_b", 0 }, { VF_DNS_LABEL, "{a*63}", 1 }, { VF_DNS_LABEL, "{a*64}", 0 },
	/* isValidUrl */
	{ VF_URL, "", 0 }, { VF_URL, "abc", 0 }, { VF_URL, "   abc", 0 },
	{ VF_URL, "http://foo", 1 }, { VF_URL, "https://www.foo.com/", 1 },
	{ VF_URL, "https://foo.com:8080", 1 }, { VF_URL, "https://foo:8080/page", 1 },
	{ VF_URL, "https://foo:8080/sub/page", 1 }, { VF_URL, "https://foo:8080/sub/page?query", 1 },
	{ VF_URL, "https://foo:8080/sub/page/?query=value", 1 },
	{ VF_URL, "https://foo:8080/sub/page/?query=value&", 1 },
	{ VF_URL, "https://foo:8080/sub/page/?query=value&another=val", 1 },
	{ VF_URL, "https://foo.com/page#fragment", 1 }, { VF_URL, "ftp://ftp.some.domain.com/path", 1 },
	{ VF_URL, "xyz://custom-protocol:4444/path", 1 },
	/* isValidString / isNonEmptyString (as a link title) */
	{ VF_NONEMPTY, "", 0 }, { VF_NONEMPTY, " ", 0 }, { VF_NONEMPTY, "    ", 0 },
	{ VF_NONEMPTY, "abc", 1 }, { VF_NONEMPTY, " abc ", 1 }, { VF_NONEMPTY, "abc xyz", 1 },
	{ VF_NONEMPTY, "abc xyz abc.", 1 },
	/* makeValidator's isValidTag (FieldFormatEntityPolicy's) */
	{ VF_TAG, "java", 1 }, { VF_TAG, "Java", 0 }, { VF_TAG, "a_b", 0 }, { VF_TAG, "c++", 1 },
	{ VF_TAG, "c#", 1 }, { VF_TAG, "a:b", 1 }, { VF_TAG, "a-b", 1 }, { VF_TAG, "a--b", 0 },
	{ VF_TAG, "-a", 0 }, { VF_TAG, "{a*63}", 1 }, { VF_TAG, "{a*64}", 0 }, { VF_TAG, "", 0 },
};
#define VC_NFORMAT (sizeof vc_format_cases / sizeof vc_format_cases[0])

/* TEXT with its {c*N} expanded, malloc()ed. */
static char *vc_expand(const char *text)
{
	size_t cap = strlen(text) + 1;
	for (const char *p = text; (p = strchr(p, '{')); p++)
		cap += (size_t)atoi(strchr(p, '*') + 1);
	char *out = malloc(cap), *o = out;
	for (const char *p = text; out && *p;) {
		if (*p == '{') {
			int n = atoi(p + 3);
			memset(o, p[1], (size_t)n);
			o += n;
			p = strchr(p, '}') + 1;
		} else {
			*o++ = *p++;
		}
	}
	if (out)
		*o = '\0';
	return out;
}

/* Set (or with VC_DEL delete) the dotted PATH of E to the JSON VALUE. */
static void vc_apply(json_t *e, const char *path, const char *value)
{
	char buf[200], *seg, *save = NULL;
	json_t *parent = e;
	snprintf(buf, sizeof buf, "%s", path);
	char *last = strrchr(buf, '.');   /* (no case's last key has a dot) */
	if (last) {
		*last++ = '\0';
		for (seg = strtok_r(buf, ".", &save); seg && parent; seg = strtok_r(NULL, ".", &save))
			parent = json_is_array(parent) ? json_array_get(parent, (size_t)atoi(seg))
			                               : json_object_get(parent, seg);
	} else {
		last = buf;
	}
	json_t *v = strcmp(value, VC_DEL) ? json_loads(value, JSON_DECODE_ANY, NULL) : NULL;
	if (json_is_array(parent)) {
		if (v)
			json_array_set_new(parent, (size_t)atoi(last), v);
		else
			json_array_remove(parent, (size_t)atoi(last));
	} else if (v) {
		json_object_set_new(parent, last, v);
	} else {
		json_object_del(parent, last);
	}
}

/* Entity case I as JSON (new reference). */
static json_t *vc_entity(size_t i)
{
	const struct vc_entity_case *c = &vc_entity_cases[i];
	json_t *e = json_loads(vc_bases[c->base], 0, NULL);
	if (e && c->path)
		vc_apply(e, c->path, c->value);
	return e;
}

/* Format case I put into a Component where its format governs (new
 * reference); the rest of the entity is valid. */
static json_t *vc_format_entity(size_t i)
{
	const struct vc_format_case *c = &vc_format_cases[i];
	char *s = vc_expand(c->text);
	json_t *e = json_pack("{ss ss s{ss} s{ss ss ss}}", "apiVersion", "backstage.io/v1alpha1",
	                      "kind", "Component", "metadata", "name", "x", "spec", "type", "service",
	                      "lifecycle", "production", "owner", "team");
	json_t *m = json_object_get(e, "metadata"), *str = json_string(s);
	char key[400];
	switch (c->format) {
	case VF_API_VERSION: json_object_set(e, "apiVersion", str); break;
	case VF_KIND: json_object_set(e, "kind", str); break;
	case VF_OBJECT_NAME: json_object_set(m, "name", str); break;
	case VF_NAMESPACE:
	case VF_DNS_LABEL: json_object_set(m, "namespace", str); break;
	case VF_LABEL_KEY: json_object_set_new(m, "labels", json_pack("{ss}", s, "v")); break;
	case VF_LABEL_VALUE: json_object_set_new(m, "labels", json_pack("{sO}", "k", str)); break;
	case VF_ANNOTATION_KEY:
		json_object_set_new(m, "annotations", json_pack("{ss}", s, "v"));
		break;
	case VF_DNS_SUBDOMAIN:
		snprintf(key, sizeof key, "%s/k", s);
		json_object_set_new(m, "annotations", json_pack("{ss}", key, "v"));
		break;
	case VF_URL: json_object_set_new(m, "links", json_pack("[{sO}]", "url", str)); break;
	case VF_NONEMPTY:
		json_object_set_new(m, "links", json_pack("[{sssO}]", "url", "https://x.io",
		                                          "title", str));
		break;
	case VF_TAG: json_object_set_new(m, "tags", json_pack("[O]", str)); break;
	}
	json_decref(str);
	free(s);
	return e;
}

#endif /* CATALOG_VALIDATE_CASES_H */
