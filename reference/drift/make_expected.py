"""Makes the drift reference datasets and the expected values tests/cli/drift.rs
checks against: scipy for ks / chisquare / wasserstein / jensenshannon,
Evidently's own stattest functions for psi, kl, js, hellinger, z and chi2,
Evidently's default drift preset (legacy DataDriftPreset) for the `auto`
choice and the drift decisions, sklearn for quality metrics.

Not run in CI (CI has no Python): its output is committed.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scipy scikit-learn "pandas<3" evidently
    /tmp/venv/bin/python reference/drift/make_expected.py tests/data/drift
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm

from evidently.legacy.calculations.stattests import registry
from evidently.legacy.calculations.stattests.chisquare_stattest import _chi_stat_test
from evidently.legacy.calculations.stattests.hellinger_distance import _hellinger_distance
from evidently.legacy.calculations.stattests.jensenshannon import _jensenshannon
from evidently.legacy.calculations.stattests.kl_div import _kl_div
from evidently.legacy.calculations.stattests.psi import _psi
from evidently.legacy.calculations.stattests.utils import get_binned_data
from evidently.legacy.calculations.stattests.z_stattest import _z_stat_test, proportions_diff_z_stat_ind
from evidently.legacy.core import ColumnType
from evidently.legacy.metric_preset import DataDriftPreset
from evidently.legacy.pipeline.column_mapping import ColumnMapping
from evidently.legacy.report import Report
from scipy.spatial import distance

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/drift")
OUT.mkdir(parents=True, exist_ok=True)
EVIDENTLY_NAMES = {
    "ks": "ks",
    "chisquare": "chi2",
    "z": "z",
    "wasserstein": "wasserstein",
    "jensenshannon": "js",
    "psi": "psi",
    "kl_div": "kl",
    "hellinger": "hellinger",
}


DISPLAY_NAMES = {
    "K-S p_value": "ks",
    "chi-square p_value": "chi2",
    "Z-test p_value": "z",
    "Wasserstein distance (normed)": "wasserstein",
    "Jensen-Shannon distance": "js",
}


def kind_of(ref: pd.Series, cur: pd.Series) -> str:
    """Evidently's inference (floats numeric; ints categorical at <= 10
    distinct values; strings categorical) on both samples together."""
    if ref.dtype == object or cur.dtype == object:
        return "categorical"
    if ref.dtype.kind == "i" and cur.dtype.kind == "i":
        return "categorical" if pd.concat([ref, cur]).nunique() <= 10 else "numeric"
    return "numeric"


def fnum(x):
    x = float(x)
    return x if math.isfinite(x) else None


def methods_for(ref: pd.Series, cur: pd.Series, kind: str) -> dict:
    ft = ColumnType.Numerical if kind == "numeric" else ColumnType.Categorical
    r = ref.replace([np.inf, -np.inf], np.nan).dropna()
    c = cur.replace([np.inf, -np.inf], np.nan).dropna()
    out = {}
    if kind == "numeric":
        ks = stats.ks_2samp(r, c)
        out["ks"] = {"statistic": float(ks.statistic), "p_value": float(ks.pvalue)}
        wd = stats.wasserstein_distance(r, c) / max(float(np.std(r)), 0.001)
        out["wasserstein"] = {"statistic": float(wd), "p_value": None}
    # chi2: Evidently's application of scipy.stats.chisquare
    keys = list(set(r.unique()) | set(c.unique()))
    rd = {**dict.fromkeys(keys, 0), **dict(r.value_counts())}
    cd = {**dict.fromkeys(keys, 0), **dict(c.value_counts())}
    k_norm = c.shape[0] / r.shape[0]
    f_exp = [rd[k] * k_norm for k in keys]
    f_obs = [cd[k] for k in keys]
    with np.errstate(divide="ignore", invalid="ignore"):
        chi = stats.chisquare(f_obs, f_exp)
        p_ev, _ = _chi_stat_test(r.copy(), c.copy(), ft, 0.05)
    assert (math.isnan(p_ev) and math.isnan(chi.pvalue)) or p_ev == chi.pvalue
    out["chi2"] = {"statistic": fnum(chi.statistic), "p_value": fnum(chi.pvalue)}
    # z
    p_z, _ = _z_stat_test(r.copy(), c.copy(), ft, 0.05)
    ks_sorted = sorted(keys)
    if r.nunique() == 1 and c.nunique() == 1 and r.unique()[0] == c.unique()[0]:
        z = 0.0
    else:
        z = proportions_diff_z_stat_ind(
            r.apply(lambda x: 0 if x == ks_sorted[0] else 1), c.apply(lambda x: 0 if x == ks_sorted[0] else 1)
        )
    out["z"] = {"statistic": fnum(z), "p_value": fnum(p_z)}
    with np.errstate(divide="ignore", invalid="ignore"):
        out["psi"] = {"statistic": fnum(_psi(r.copy(), c.copy(), ft, 0.1)[0]), "p_value": None}
        out["kl"] = {"statistic": fnum(_kl_div(r.copy(), c.copy(), ft, 0.1)[0]), "p_value": None}
        js_ev = _jensenshannon(r.copy(), c.copy(), ft, 0.1)[0]
        rp, cp = get_binned_data(r, c, ft, 30, False)
        js_sp = distance.jensenshannon(rp, cp)
        assert js_ev == js_sp
        out["js"] = {"statistic": fnum(js_sp), "p_value": None}
        out["hellinger"] = {"statistic": fnum(_hellinger_distance(r.copy(), c.copy(), ft, 0.1)[0]), "p_value": None}
    auto = registry._get_default_stattest(r, c, ft).name
    return out, EVIDENTLY_NAMES[auto]


def preset(ref: pd.DataFrame, cur: pd.DataFrame, kinds: dict) -> dict:
    mapping = ColumnMapping(
        numerical_features=[k for k, v in kinds.items() if v == "numeric"],
        categorical_features=[k for k, v in kinds.items() if v == "categorical"],
        target=None,
        prediction=None,
    )
    report = Report(metrics=[DataDriftPreset()])
    report.run(reference_data=ref, current_data=cur, column_mapping=mapping)
    d = report.as_dict()
    table = next(m for m in d["metrics"] if m["metric"] == "DataDriftTable")["result"]
    return {
        "dataset_drift": bool(table["dataset_drift"]),
        "share": float(table["share_of_drifted_columns"]),
        "features": {
            name: {
                "method": DISPLAY_NAMES[col["stattest_name"]],
                "drifted": bool(col["drift_detected"]),
                "score": fnum(col["drift_score"]),
            }
            for name, col in table["drift_by_columns"].items()
        },
    }


def write_case(name: str, ref: pd.DataFrame, cur: pd.DataFrame, expected: dict):
    ref.to_csv(OUT / f"{name}-baseline.csv", index=False)
    cur.to_csv(OUT / f"{name}-current.csv", index=False)
    # Read back exactly as a user's file would be read.
    ref = pd.read_csv(OUT / f"{name}-baseline.csv")
    cur = pd.read_csv(OUT / f"{name}-current.csv")
    kinds = {c: kind_of(ref[c], cur[c]) for c in ref.columns}
    feats = {}
    for c in ref.columns:
        m, auto = methods_for(ref[c], cur[c], kinds[c])
        feats[c] = {
            "kind": kinds[c],
            "auto": auto,
            "baseline_missing": int(ref[c].isna().sum()),
            "current_missing": int(cur[c].isna().sum()),
            "methods": m,
        }
    expected[name] = {"features": feats, "preset": preset(ref, cur, kinds)}


def frame(rng, n, shift=0.0, scale=1.0, new_category=False, missing=0.0):
    df = pd.DataFrame(
        {
            "num": rng.normal(50 + shift * 10, 10 * scale, n).round(3),
            "num_stable": rng.normal(0, 1, n).round(4),
            "int_many": rng.integers(0, 60 + int(shift * 20), n),
            "int_few": rng.integers(0, 4, n),
            "binary": (rng.random(n) < 0.3 + 0.2 * shift).astype(int),
            "cat": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1] if shift == 0 else [0.25, 0.25, 0.25, 0.25]),
            "cat_new": rng.choice(["x", "y", "z"] if new_category else ["x", "y"], n),
            "sparse_int": rng.integers(0, 3, n).astype(float),
        }
    )
    if missing:
        for col in ["num", "cat", "sparse_int"]:
            mask = rng.random(n) < missing
            df.loc[mask, col] = np.nan
    return df


def main():
    rng = np.random.default_rng(20240501)
    expected = {}
    # small: exact KS, auto picks ks / chi2 / z
    write_case("small-same", frame(rng, 400), frame(rng, 300), expected)
    write_case("small-drift", frame(rng, 400), frame(rng, 300, shift=1.0, new_category=True, missing=0.05), expected)
    # equal sizes: the square lattice path of the exact KS
    write_case("equal", frame(rng, 250).iloc[:, :3], frame(rng, 250, shift=0.2).iloc[:, :3], expected)
    # medium: exact KS (<= 10,000), auto picks wasserstein / js
    write_case("medium-drift", frame(rng, 5000), frame(rng, 4000, shift=0.3, missing=0.02), expected)
    # asymptotic KS: more than 10,000 values
    big_ref = frame(rng, 12000).iloc[:, :2]
    big_cur = frame(rng, 10500, shift=0.02).iloc[:, :2]
    big_ref["moved"] = rng.normal(0, 1, len(big_ref)).round(4)
    big_cur["moved"] = rng.normal(0.08, 1, len(big_cur)).round(4)
    write_case("large", big_ref, big_cur, expected)
    # a tiny sample against a large one: asymptotic with en <= 140 (Pomeranz)
    write_case("lopsided", frame(rng, 11000).iloc[:, :2], frame(rng, 60, shift=0.3).iloc[:, :2], expected)

    # quality: scores with ties
    n = 500
    y = (rng.random(n) < 0.35).astype(int)
    score = np.clip(0.35 + 0.3 * (y - 0.35) + rng.normal(0, 0.2, n), 0, 1).round(2)
    q = pd.DataFrame({"label": y, "score": score})
    q.to_csv(OUT / "quality.csv", index=False)
    pred = (score >= 0.5).astype(int)
    expected["quality"] = {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "auc": skm.roc_auc_score(y, score),
        "log_loss": skm.log_loss(y, score),
    }
    yr = rng.normal(10, 3, n).round(3)
    pr = (yr + rng.normal(0, 1, n)).round(3)
    pd.DataFrame({"y": yr, "yhat": pr}).to_csv(OUT / "regression.csv", index=False)
    expected["regression"] = {
        "mae": skm.mean_absolute_error(yr, pr),
        "rmse": math.sqrt(skm.mean_squared_error(yr, pr)),
        "r2": skm.r2_score(yr, pr),
    }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
