"""Evidently 0.7's default data drift report on the benchmark files, end to
end from CSV (pandas read_csv, then Report([DataDriftPreset()]).run)."""
import sys

import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

base, cur = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(cur, base)
result = snapshot.dict()
drifted = [m for m in result["metrics"] if "DriftedColumnsCount" in str(m.get("metric_name", ""))]
print(drifted[0]["value"] if drifted else "done")
