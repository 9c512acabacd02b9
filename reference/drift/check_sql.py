"""Checks that `cardinal profile --sql` computes in DuckDB the profile that
`cardinal profile` computes itself (not run in CI; needs `pip install duckdb`).

    python reference/drift/check_sql.py target/debug/cardinal tests/data/drift/medium-drift
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

cardinal, case = sys.argv[1], sys.argv[2]
tmp = Path(tempfile.mkdtemp())
base, cur = f"{case}-baseline.csv", f"{case}-current.csv"
subprocess.run([cardinal, "profile", base, "-o", tmp / "b.csv"], check=True)
subprocess.run([cardinal, "profile", cur, "--edges", tmp / "b.csv", "-o", tmp / "c.csv"], check=True)
sql = subprocess.run(
    [cardinal, "profile", "--sql", "cur", "--edges", tmp / "b.csv"], check=True, capture_output=True, text=True
).stdout
con = duckdb.connect()
con.execute(f"CREATE TABLE cur AS SELECT * FROM read_csv_auto('{cur}')")
con.execute(f"COPY ({sql.strip().rstrip(';')}) TO '{tmp / 'duck.csv'}' (HEADER, DELIMITER ',')")


def drift(current):
    out = subprocess.run(
        [cardinal, "--format", "json", "drift", "--fail-on", "never", "--baseline", tmp / "b.csv", "--current", current],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {f["name"]: f for f in json.loads(out)["features"]}


ours, duck = drift(tmp / "c.csv"), drift(tmp / "duck.csv")
worst = 0.0
for name, f in ours.items():
    g = duck[name]
    assert f["method"] == g["method"] and f["drifted"] == g["drifted"], name
    if f["statistic"] is not None:
        worst = max(worst, abs(f["statistic"] - g["statistic"]) / max(abs(f["statistic"]), 1e-12))
print(f"DuckDB profile agrees; largest relative statistic difference {worst:.2e}")
