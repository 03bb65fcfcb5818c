# metrics-lib.sh -- sourced by the tests of the metrics backend (this
# folder's test_*.sh and plugins/sink/prometheus/test_sink_e2e.sh), after
# tests/e2e/lib.sh:
#
#   metrics_need CMD...   skip (exit 77) naming the Debian package of the
#                         first CMD that is missing; under CI=true, fail
#   metrics_procs [HOME]  how many processes of HOME's metrics backend run
#                         (paved-metricsd and Prometheus; HOME: $PAVED_HOME)
#   metrics_stop [HOME]   `paved metrics down` there, then, as root, remove
#                         its directory in /var/lib/paved

metrics_need() {
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 && continue
		case $_c in prometheus|promtool) _pkg=prometheus ;; node) _pkg=nodejs ;; *) _pkg=$_c ;; esac
		if [ "${CI:-}" = true ]; then
			echo "FAIL: $_c is not installed (Debian package '$_pkg'; scripts/bootstrap installs it)"
			exit 1
		fi
		echo "SKIP: $_c is not installed (Debian package '$_pkg'; scripts/bootstrap installs it)"
		exit 77
	done
}

metrics_procs() {
	_real=$(readlink -f "${1:-$PAVED_HOME}/prometheus" 2>/dev/null) || { echo 0; return; }
	_n=0
	for _f in /proc/[0-9]*/cmdline; do
		{ tr '\0' '\n' <"$_f"; } 2>/dev/null |
			grep -qx -e "$_real" -e "--config.file=$_real/etc/prometheus.yml" && _n=$((_n + 1))
	done
	echo $_n
}

metrics_stop() {
	_h=${1:-$PAVED_HOME}
	[ -d "$_h" ] && PAVED_HOME="$_h" timeout 60 "$PAVED" metrics down >/dev/null 2>&1
	_real=$(readlink -f "$_h/prometheus" 2>/dev/null)
	case $_real in /var/lib/paved/prometheus-*) rm -rf "$_real" ;; esac
}
