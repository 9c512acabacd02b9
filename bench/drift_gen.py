"""Writes the drift benchmark's baseline and current CSVs: ROWS rows of 20
columns (12 floats, 3 wide integers, 5 categorical), some drifted, ~1% missing."""
import sys

import numpy as np
import pandas as pd

out, rows = sys.argv[1], int(sys.argv[2])


def frame(rng, n, shift):
    cols = {}
    for i in range(12):
        cols[f"f{i}"] = rng.normal(i + (shift if i % 3 == 0 else 0.0), 1.0 + i / 10, n).round(5)
    for i in range(3):
        cols[f"i{i}"] = rng.integers(0, 1000 + int(shift * 100) * i, n)
    levels = [f"level_{k}" for k in range(8)]
    for i in range(5):
        p = np.full(8, 1 / 8) if shift == 0 or i % 2 else np.linspace(1, 2, 8) / np.linspace(1, 2, 8).sum()
        cols[f"c{i}"] = rng.choice(levels, n, p=p)
    df = pd.DataFrame(cols)
    for c in ["f1", "f4", "c1"]:
        df.loc[rng.random(n) < 0.01, c] = np.nan
    return df


rng = np.random.default_rng(7)
frame(rng, rows, 0.0).to_csv(f"{out}/baseline.csv", index=False)
frame(rng, rows, 0.05).to_csv(f"{out}/current.csv", index=False)
