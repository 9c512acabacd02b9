"""A plain scipy loop over the benchmark columns, end to end from CSV: the
methods Evidently's preset picks for large samples (normed Wasserstein for
numeric columns, Jensen-Shannon distance on value shares for categorical)."""
import sys

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

base, cur = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
drifted = 0
for col in base.columns:
    r, c = base[col].dropna(), cur[col].dropna()
    if r.dtype == object:
        keys = sorted(set(r.unique()) | set(c.unique()))
        rp = r.value_counts().reindex(keys, fill_value=0).to_numpy() / len(r)
        cp = c.value_counts().reindex(keys, fill_value=0).to_numpy() / len(c)
        d = distance.jensenshannon(rp, cp)
    else:
        d = stats.wasserstein_distance(r, c) / max(float(np.std(r)), 0.001)
    drifted += d >= 0.1
print(drifted)
