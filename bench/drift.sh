#!/usr/bin/env bash
# Drift speed and memory: ROWS rows x 20 columns (baseline and current,
# generated), end to end from CSV, side by side with Evidently 0.7's default
# drift report, a plain scipy loop over the same columns, and the time to
# merely parse both files (cardinal's reader alone, and pandas.read_csv).
# Also times a bad row near the end of a ~2 GB file (error with its line).
#
# Usage: bench/drift.sh [ROWS] [--no-evidently] [--no-2gb]   (default 1000000)
# Makes a venv (numpy, scipy, pandas<3, evidently) in $BENCH_VENV
# (default /tmp/cardinal-bench-venv) and data in $BENCH_DIR (default a temp dir).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
evidently=1; big=1
for a in "$@"; do
  case $a in --no-evidently) evidently=0 ;; --no-2gb) big=0 ;; esac
done
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
venv=${BENCH_VENV:-/tmp/cardinal-bench-venv}

if [ ! -x "$venv/bin/python" ]; then
  echo "== making $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy scipy "pandas<3" evidently
fi
py=$venv/bin/python

echo "== building cardinal (release)"
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin=$here/target/release/cardinal

if [ ! -f "$work/baseline.csv" ]; then
  echo "== generating $rows rows x 20 columns in $work"
  "$py" "$here/bench/drift_gen.py" "$work" "$rows"
fi
b=$work/baseline.csv; c=$work/current.csv
cat "$b" "$c" > /dev/null
echo "   $(du -m "$b" | cut -f1) MB + $(du -m "$c" | cut -f1) MB"

run() { # label, command...: wall seconds, CPU seconds and peak RSS (MB), best of $reps
  local label=$1; shift
  local best=999999 mem=0 cpu=0 s m u y
  for _ in $(seq "$reps"); do
    /usr/bin/time -o "$work/time.out" -f "%e %M %U %S" "$@" > /dev/null 2> "$work/stderr.out" || true
    # GNU time adds "Command exited with non-zero status 1" (drift found drift).
    read -r s m u y < <(tail -1 "$work/time.out")
    if [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; mem=$m; cpu=$(echo "$u + $y" | bc); fi
  done
  printf '%-20s %8.2f s wall %8.2f s CPU %8d MB\n' "$label" "$best" "$cpu" "$((mem / 1024))"
  echo "$best" > "$work/t.$label"
  echo "$cpu" > "$work/c.$label"
}

echo "== end to end, $rows rows x 20 columns (best of 3; Evidently once)"
reps=3
run parse-cardinal "$bin" drift --baseline "$b" --current "$c" --parse-only
run drift-cardinal "$bin" drift --baseline "$b" --current "$c" --fail-on never
run profile-cardinal "$bin" profile "$b" -o "$work/baseline.profile.csv"
run drift-cardinal-ks "$bin" drift --baseline "$b" --current "$c" --method ks --columns f0,f1,f2,f3,f4,f5 --fail-on never
reps=1
run parse-pandas "$py" -c "import pandas as pd, sys; pd.read_csv(sys.argv[1]); pd.read_csv(sys.argv[2])" "$b" "$c"
run scipy-loop "$py" "$here/bench/drift_scipy.py" "$b" "$c"
if [ "$evidently" = 1 ]; then
  run evidently "$py" "$here/bench/drift_evidently.py" "$b" "$c"
fi

t() { cat "$work/t.$1"; }
ratio() { echo "scale=1; $(t "$1") / $(t "$2")" | bc; }
cratio() { echo "scale=1; $(cat "$work/c.$1") / $(cat "$work/c.$2")" | bc; }
echo "== ratios"
echo "drift / parse-only (cardinal):  $(ratio drift-cardinal parse-cardinal)x wall, $(cratio drift-cardinal parse-cardinal)x CPU"
echo "scipy loop / drift:             $(ratio scipy-loop drift-cardinal)x wall, $(cratio scipy-loop drift-cardinal)x CPU"
if [ "$evidently" = 1 ]; then
  echo "Evidently / drift:              $(ratio evidently drift-cardinal)x wall, $(cratio evidently drift-cardinal)x CPU"
fi

if [ "$big" = 1 ]; then
  echo "== bad row near the end of a ~2 GB file"
  "$py" - "$work/big.csv" <<'PY'
import sys
rows, bad = 130_000_000, 130_000_000 - 3
with open(sys.argv[1], "w") as f:
    f.write("x,y,label\n")
    chunk = []
    for i in range(rows):
        chunk.append(f"{i},not-a-number,a\n" if i == bad else f"{i},{i % 97}.5,{'abc'[i % 3]}\n")
        if len(chunk) == 1_000_000:
            f.write("".join(chunk)); chunk = []
    f.write("".join(chunk))
PY
  printf 'x,y,label\n1,2.5,a\n' > "$work/small.csv"
  echo "   $(du -m "$work/big.csv" | cut -f1) MB"
  for cmd in drift profile; do
    if [ $cmd = drift ]; then args=(drift --baseline "$work/small.csv" --current "$work/big.csv"); else args=(profile "$work/big.csv"); fi
    /usr/bin/time -o "$work/time.out" -f "%e %M" "$bin" "${args[@]}" > /dev/null 2> "$work/stderr.out" || true
    read -r s m < <(tail -1 "$work/time.out")
    printf '   %-8s %6.1f s %6d MB  %s\n' "$cmd" "$s" "$((m / 1024))" "$(head -c 90 "$work/stderr.out")"
  done
  rm -f "$work/big.csv"
fi
