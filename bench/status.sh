#!/usr/bin/env bash
# Times `cardinal status` on a generated registry with real history
# (1,000 models x 5 versions, each with a card, a Staging request and
# approval, a Production request and 2-3 approvals: 32,501 commits), cold
# (no cache), warm (cache at the tip) and after the repository grew by a
# few commits; then `gto show` on the same registry written as GTO tags.
#
# Usage: bench/status.sh [MODELS] [VERSIONS]   (needs python3, git; GTO is
# installed into a virtualenv under $WORK when absent; SKIP_GTO=1 skips it,
# GTO_TIMEOUT=SECONDS caps `gto show`, default 3600)
set -euo pipefail
MODELS=${1:-1000}
VERSIONS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-$(mktemp -d)}
BIN=${BIN:-$HERE/../target/release/cardinal}
[ -x "$BIN" ] || (cd "$HERE/.." && cargo build --release -q)

secs() { local s e; s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }

echo "== generating $MODELS models x $VERSIONS versions in $WORK"
rm -rf "$WORK/card" "$WORK/gto"
git init -q -b main "$WORK/card"
python3 "$HERE/gen_history.py" "$MODELS" "$VERSIONS" | git -C "$WORK/card" fast-import --quiet
git -C "$WORK/card" checkout -q main
echo "   $(git -C "$WORK/card" rev-list --count HEAD) commits"

cd "$WORK/card"
rm -rf .git/cardinal
cold=$(secs "$BIN" status)
warm=$(secs "$BIN" status)
nocache=$(secs "$BIN" status --no-cache)
# Grow by a few commits: a new version with its Staging review.
for i in 1 2 3; do
  v="projects/p00/m0000/9.$i.0"
  mkdir -p "$v"
  printf 'version = "9.%s.0"\n' "$i" > "$v/card.toml"
  git add -A && git -c user.name=erin -c user.email=erin@b.test commit -q -m "m0000 9.$i.0"
done
grown=$(secs "$BIN" status)
same=$(cmp <("$BIN" status --format json) <("$BIN" status --format json --no-cache) && echo identical || echo DIFFERENT)
echo "cardinal status cold (no cache):        ${cold}s"
echo "cardinal status warm (cache at tip):    ${warm}s"
echo "cardinal status after 3 new commits:    ${grown}s"
echo "cardinal status --no-cache:             ${nocache}s"
echo "cached and uncached JSON:               $same"

if [ "${SKIP_GTO:-}" != 1 ]; then
  git init -q -b main "$WORK/gto"
  python3 "$HERE/gen_history.py" --gto "$MODELS" "$VERSIONS" | git -C "$WORK/gto" fast-import --quiet
  git -C "$WORK/gto" checkout -q main
  GTO=${GTO:-$WORK/venv/bin/gto}
  if [ ! -x "$GTO" ]; then
    python3 -m venv "$WORK/venv" && "$WORK/venv/bin/pip" install -q gto
  fi
  cd "$WORK/gto"
  echo "   $(git tag | wc -l) GTO tags"
  # gto show can take very long on this registry; GTO_TIMEOUT caps it.
  limit=${GTO_TIMEOUT:-3600}
  s=$(date +%s.%N)
  if timeout "$limit" "$GTO" show > /dev/null; then
    gto=$(echo "$(date +%s.%N) - $s" | bc)
    echo "gto show:                               ${gto}s"
    echo "cold speed-up over gto show:            $(echo "$gto / $cold" | bc)x"
  else
    echo "gto show:                               did not finish within ${limit}s"
    echo "cold speed-up over gto show:            more than $(echo "$limit / $cold" | bc)x"
  fi
fi
