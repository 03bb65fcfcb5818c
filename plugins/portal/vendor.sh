#!/bin/sh
# vendor.sh PORTAL_SRCDIR OUTDIR: the portal's static assets, as the build
# makes them: its own portal.css and portal.js, and the browser libraries
# it uses, copied from the npm packages in PORTAL_SRCDIR/node/node_modules
# (installed by scripts/bootstrap from node/package-lock.json) with their
# licences beside them, under OUTDIR/vendor/NAME/.
#
# A missing package does not stop the build: its file is replaced by a
# stub that says so in the page and in the browser console, and a warning
# is printed here (the browser tests then fail under CI=true).
set -eu
src=$1 out=$2
nm="$src/node/node_modules"
mkdir -p "$out/vendor"
cp "$src/assets/portal.css" "$src/assets/portal.js" "$out/"

# name  package  files (from the package)  -- each copied to vendor/name/
copy() {
	name=$1 pkg=$2
	shift 2
	mkdir -p "$out/vendor/$name"
	if [ ! -f "$nm/$pkg/package.json" ]; then
		echo "vendor.sh: warning: npm package $pkg is missing (run scripts/bootstrap); the pages will lack it" >&2
		for f in "$@"; do
			base=$(basename "$f")
			case $base in
			*.js) echo "console.error('paved: $pkg is not installed (run scripts/bootstrap)');" > "$out/vendor/$name/$base";;
			*) : > "$out/vendor/$name/$base";;
			esac
		done
		echo "$pkg missing" > "$out/vendor/$name/VERSION"
		return 0
	fi
	for f in "$@"; do
		cp "$nm/$pkg/$f" "$out/vendor/$name/"
	done
	version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$nm/$pkg/package.json" | head -1)
	echo "$pkg $version" > "$out/vendor/$name/VERSION"
}

copy cytoscape cytoscape dist/cytoscape.min.js LICENSE
copy swagger-ui swagger-ui-dist swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE \
	swagger-ui-bundle.js.LICENSE.txt
copy uplot uplot dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE
