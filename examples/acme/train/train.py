"""Trains the churn and default-risk models (gradient boosting)."""
import argparse

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from features import support_intensity, tenure_bucket


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--max-depth", type=int, default=6)
    args = parser.parse_args()
    frame = pd.read_csv(args.train)
    frame["support_intensity"] = [support_intensity(c, t) for c, t in zip(frame.support_calls, frame.tenure_months)]
    frame["tenure_bucket"] = frame.tenure_months.map(tenure_bucket)
    model = HistGradientBoostingClassifier(learning_rate=args.learning_rate, max_depth=args.max_depth)
    model.fit(frame.drop(columns=[args.target]).select_dtypes("number"), frame[args.target])


if __name__ == "__main__":
    main()
