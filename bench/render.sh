#!/usr/bin/env bash
# Times `cardinal render` on the validate benchmark's generated repository
# (5,000 versions by default, committed in one commit, with a drift result
# for one version in ten), and `render --watch` after one card is edited,
# beside `cardinal validate` on the same files. Targets on 2 cores: the
# render under 5 s, a watched edit under 200 ms.
#
# Usage: bench/render.sh [VERSIONS]   (default 5000)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
versions=${1:-5000}
work=${BENCH_DIR:-$(mktemp -d)}
repo=$work/repo

echo "== building cardinal (release)"
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin=$here/target/release/cardinal

echo "== generating $versions versions in $repo"
rm -rf "$repo"
python3 "$here/bench/gen_registry.py" "$repo" "$versions"
python3 - "$repo" <<'PY'
# A drift result, with histograms, for one version in ten.
import os, sys, glob
root = sys.argv[1]
cards = sorted(glob.glob(os.path.join(root, "projects/*/*/1.9.0/card.toml")))
for card in cards:
    d = os.path.dirname(card)
    rel = os.path.relpath(d, root).split(os.sep)
    version = f"{rel[1]}/{rel[2]}@{rel[3]}"
    os.makedirs(os.path.join(d, "monitoring"), exist_ok=True)
    feats = "".join(f'''
[[features]]
name = "f{i}"
kind = "numeric"
method = "ks"
statistic = 0.{i + 1}
p_value = 0.0{i + 1}
threshold = 0.05
drifted = {"true" if i < 2 else "false"}
baseline_count = 1000
current_count = 800
baseline_missing = 0
current_missing = 0

[features.histogram]
edges = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
baseline = [100, 200, 400, 200, 100]
current = [80, 160, 300, 160, 100]
''' for i in range(6))
    open(os.path.join(d, "monitoring", "20240601T000000Z-drift.toml"), "w").write(f'''kind = "drift"
created = "2024-06-01T00:00:00Z"
version = "{version}"
baseline = "data/train.csv"
current = "data/current.csv"
baseline_rows = 1000
current_rows = 800
dataset_drift = false
drift_share = 0.333
drift_share_threshold = 0.5
drifted_features = 2
{feats}''')
print(f"{len(cards)} drift results")
PY
(
  cd "$repo"
  git init -q -b main
  git -c user.name="Member 0" -c user.email=m0@bench.test add -A
  git -c user.name="Member 0" -c user.email=m0@bench.test commit -q -m "registry"
)
files=$(cd "$repo" && find cardinal.toml projects -type f | wc -l)
echo "$files governed files"

time_best() { # label, command...
  local label=$1; shift
  local best=999
  for i in 1 2 3; do
    local s e t
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc); echo "  $label run $i: ${t}s" >&2
    best=$(echo "if ($t < $best) $t else $best" | bc)
  done
  echo "$best"
}

echo "== cardinal render into a new folder (3 runs, best)"
# A new name each run: ext4 is slow to reuse 10,000 inodes just deleted,
# which would time the file system, not the render.
rm -rf "$work"/site "$work"/site-*
fresh() { "$bin" -C "$repo" render --out "$(mktemp -u "$work/site-XXXXXX")" --now 2024-07-01T00:00:00Z; }
render=$(time_best render fresh)
mv "$(ls -dt "$work"/site-* | head -1)" "$work/site"
rm -rf "$work"/site-*
pages=$(find "$work/site" -name '*.html' | wc -l)
bytes=$(du -sb "$work/site" | cut -f1)
echo "== cardinal render again, nothing changed (3 runs, best)"
again=$(time_best again "$bin" -C "$repo" render --out "$work/site" --now 2024-07-01T00:00:00Z)
echo "== cardinal render --watch: one card edited (3 edits, best)"
log=$work/watch.log
"$bin" -C "$repo" render --watch --out "$work/site" --now 2024-07-01T00:00:00Z >/dev/null 2>"$log" &
watcher=$!
trap 'kill "$watcher" 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do grep -q '^watching' "$log" && break; sleep 0.25; done
card=$repo/projects/p0/model-0/1.0.0/card.toml
for i in 1 2 3; do
  sed -i "s/^summary = \"\(.*\)\"/summary = \"\1 (edit $i)\"/" "$card"
  for _ in $(seq 1 80); do [ "$(grep -c ' ms$' "$log" || true)" -ge "$i" ] && break; sleep 0.25; done
done
kill "$watcher"; wait "$watcher" 2>/dev/null || true
grep ' ms$' "$log" | sed 's/^/  /' >&2 || true
watch=$(grep -o 'in [0-9]* ms$' "$log" | tr -dc '0-9\n' | sort -n | head -1 || true)
watch=$(echo "scale=3; ${watch:-0} / 1000" | bc)

echo "== cardinal validate on the same repository (3 runs, best)"
validate=$(time_best validate "$bin" -C "$repo" validate -q)
echo
printf '%-40s %10s\n' "run" "seconds"
printf '%-40s %10s\n' "cardinal render ($pages pages, $((bytes / 1000000)) MB)" "$render"
printf '%-40s %10s\n' "cardinal render, unchanged" "$again"
printf '%-40s %10s\n' "cardinal render --watch, one card edited" "$watch"
printf '%-40s %10s\n' "cardinal validate (reference)" "$validate"
printf 'targets: render under 5 s, a watched edit under 0.2 s; render is %.1fx validate\n' "$(echo "$render / $validate" | bc -l)"
