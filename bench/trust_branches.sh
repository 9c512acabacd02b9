#!/usr/bin/env bash
# Times `cardinal status` cold on a registry whose versions arrive through
# side branches: 5,000 versions (1,000 models x 5, 20 projects), each on
# its own branch forked from main with its card, Staging request and
# approval, Production request and 2-3 approvals, merged back by a real
# merge commit, with 1,000 branches open at once at the peak (about
# 40,000 commits; see gen_branches.py). Prints wall time and peak memory
# (`/usr/bin/time -v`) beside the target, the repository's size and
# commit count, and the most branches open at once read back from the
# history.
#
# Usage: bench/trust_branches.sh [VERSIONS] [BRANCHES]   (needs python3,
# git, /usr/bin/time (installed with apt when absent); BIN=path/to/cardinal,
# default target/release/cardinal; WORK=DIR keeps the repository there)
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # gen_*.py import gen_history.py: no __pycache__ in bench/
VERSIONS=${1:-5000}
BRANCHES=${2:-1000}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-$(mktemp -d)}
BIN=${BIN:-$HERE/../target/release/cardinal}
[ -x "$BIN" ] || (cd "$HERE/.." && cargo build --release -q)
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time > /dev/null; }

echo "== generating $VERSIONS versions through side branches, $BRANCHES open at once, in $WORK"
rm -rf "$WORK/branches"
git init -q -b main "$WORK/branches"
python3 "$HERE/gen_branches.py" "$VERSIONS" "$BRANCHES" | git -C "$WORK/branches" fast-import --quiet
cd "$WORK/branches"
git checkout -q main
read -r open merges < <(git rev-list --parents main | python3 "$HERE/gen_branches.py" --peak)
commits=$(git rev-list --count main)
size=$(git count-objects -vH | sed -n 's/^size-pack: //p')
loose=$(git count-objects -vH | sed -n 's/^size: //p')
"$BIN" validate -q > /dev/null && valid=ok || valid=FAILED

# Runs "$@" under /usr/bin/time -v; sets wall (s), rss (MB) and rc.
measure() {
  local log; log=$(mktemp)
  rc=0
  /usr/bin/time -v "$@" > /dev/null 2> "$log" || rc=$?
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$log")
  [ "$rc" = 0 ] || { echo "   $* exited $rc:"; grep -v '^\s' "$log" | head -5 | sed 's/^/   /'; }
  rm -f "$log"
}

rm -rf .git/cardinal
measure "$BIN" status
s_wall=$wall s_rss=$rss s_rc=$rc
measure "$BIN" status --no-cache
n_wall=$wall n_rss=$rss n_rc=$rc
rm -rf .git/cardinal
measure "$BIN" audit
a_wall=$wall a_rss=$rss a_rc=$rc

echo "repository: $commits commits reachable from main ($merges merges), most branches open at once: $open"
echo "            git count-objects -vH: size-pack $size, loose $loose; cardinal validate: $valid"
printf '%-40s %9s %14s  %s\n' "" "wall (s)" "peak RSS (MB)" "target"
printf '%-40s %9s %14s  %s\n' "cardinal status, cold (no .git/cardinal)" "$s_wall" "$s_rss" "peak memory < 300 MB (exit $s_rc)"
printf '%-40s %9s %14s  %s\n' "cardinal status --no-cache" "$n_wall" "$n_rss" "peak memory < 300 MB (exit $n_rc)"
printf '%-40s %9s %14s  %s\n' "cardinal audit, cold" "$a_wall" "$a_rss" "(exit $a_rc)"
