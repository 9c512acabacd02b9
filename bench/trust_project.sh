#!/usr/bin/env bash
# Times `cardinal status` cold (no cache) on one project of 300 models x 5
# versions, each version with its card, a Production request and 2
# approvals, every file in its own commit by its own author (6,002 commits,
# one `git fast-import` stream; see gen_project.py), beside `git log
# --name-only` over the same history (the floor: reading every commit's
# changed paths) and `gto show` on the same registry kept as GTO tags
# (`m@v1.0.0` at each card commit, `m#production#N` at each second
# approval: 3,000 tags). Best of 3 for cardinal and git, once for GTO.
#
# Usage: bench/trust_project.sh [MODELS] [VERSIONS]   (needs python3, git;
# BIN=path/to/cardinal, default target/release/cardinal; GTO $GTO_VERSION,
# default 1.10.1, is installed into a virtualenv under $WORK when absent
# (GTO=path/to/gto uses another); SKIP_GTO=1 skips it, GTO_TIMEOUT=SECONDS
# caps `gto show`, default 3600; WORK=DIR keeps the repositories there)
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1  # gen_*.py import gen_history.py: no __pycache__ in bench/
MODELS=${1:-300}
VERSIONS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-$(mktemp -d)}
BIN=${BIN:-$HERE/../target/release/cardinal}
[ -x "$BIN" ] || (cd "$HERE/.." && cargo build --release -q)
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

secs() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
best3() { local a b c; a=$(secs "$@"); b=$(secs "$@"); c=$(secs "$@"); printf '%.3f\n' "$(printf '%s\n%s\n%s\n' "$a" "$b" "$c" | sort -g | head -1)"; }
ratio() { printf '%.1f' "$(echo "scale=3; $1 / $2" | bc)"; }

echo "== generating 1 project, $MODELS models x $VERSIONS versions in $WORK"
rm -rf "$WORK/project" "$WORK/project-gto"
git init -q -b main "$WORK/project"
python3 "$HERE/gen_project.py" "$MODELS" "$VERSIONS" | git -C "$WORK/project" fast-import --quiet
cd "$WORK/project"
git checkout -q main
echo "   $(git rev-list --count HEAD) commits, $(git count-objects -vH | sed -n 's/^size-pack: //p') packed"
"$BIN" validate -q > /dev/null && echo "   cardinal validate: ok" || echo "   cardinal validate: FAILED"

nocache() { rm -rf .git/cardinal; "$BIN" status --no-cache; }
cold=$(best3 nocache)
gitlog=$(best3 git log --name-only --format=%H)

gto="skipped"
gto_ratio="" gto_target=""
if [ "${SKIP_GTO:-}" != 1 ]; then
  git init -q -b main "$WORK/project-gto"
  python3 "$HERE/gen_project.py" --gto "$MODELS" "$VERSIONS" | git -C "$WORK/project-gto" fast-import --quiet
  git -C "$WORK/project-gto" checkout -q main
  GTO=${GTO:-$WORK/venv/bin/gto}
  if [ ! -x "$GTO" ]; then
    python3 -m venv "$WORK/venv" && "$WORK/venv/bin/pip" install -q "gto==${GTO_VERSION:-1.10.1}"
  fi
  echo "   $(git -C "$WORK/project-gto" tag | wc -l) GTO tags, gto $("$GTO" --version 2>/dev/null | sed -n 's/.*Version: *//p')"
  cd "$WORK/project-gto"
  # gto show can take very long on this registry; GTO_TIMEOUT caps it.
  limit=${GTO_TIMEOUT:-3600}
  s=$(date +%s.%N)
  if timeout "$limit" "$GTO" show > /dev/null; then
    gto=$(printf '%.3f' "$(echo "$(date +%s.%N) - $s" | bc)")
    gto_ratio="cardinal $(ratio "$gto" "$cold")x faster"
  else
    gto="> $limit (stopped)"
    gto_ratio="cardinal > $(ratio "$limit" "$cold")x faster"
  fi
  gto_target="cardinal >= 50x faster"
fi

printf '%-44s %12s  %-26s %s\n' "what" "seconds" "ratio" "target"
printf '%-44s %12s  %-26s %s\n' "cardinal status, cold (--no-cache)" "$cold" "" ""
printf '%-44s %12s  %-26s %s\n' "git log --name-only --format=%H" "$gitlog" \
  "cardinal $(ratio "$cold" "$gitlog")x git log" "cardinal <= 1.5x git log"
printf '%-44s %12s  %-26s %s\n' "gto show (same registry as tags)" "$gto" "$gto_ratio" "$gto_target"
