# lib.sh - helpers for integration scripts (sourced, POSIX sh)
# SPDX-License-Identifier: MIT
#
# Each script: . "$TOP/tests/integration/lib.sh", then calls ok/not_ok (or
# check CMD...) once per case, and ends with `finish`, which exits 0 when
# every case passed and 99 otherwise.  Every script gets its own temporary
# directory $T, removed at exit.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${OSHIRASE:=$TOP/build/oshirase}"
T=$(mktemp -d "${TMPDIR:-/tmp}/oshirase-it.XXXXXX")
trap 'rm -rf "$T"' EXIT
_n=0 _failed=0

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }
# expect_status WANT DESC CMD... : run CMD, compare its exit status.
expect_status() {
	_want=$1 _desc=$2; shift 2
	"$@" >"$T/.out" 2>"$T/.err"
	_got=$?
	if [ "$_got" -eq "$_want" ]; then ok "$_desc"
	else not_ok "$_desc (exit $_got, want $_want)"; sed 's/^/#   /' "$T/.err" | head -20
	fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
finish() { echo "1..$_n"; [ "$_failed" -eq 0 ] && exit 0; exit 99; }
