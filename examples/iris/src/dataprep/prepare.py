"""Splits the raw iris table into a stratified train/test pair of CSV files."""
import argparse
import os

import pandas as pd
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--raw", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--test-fraction", type=float, default=0.3)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

table = pd.read_csv(args.raw)
missing = {"sepal_length", "sepal_width", "petal_length", "petal_width", "species"} - set(table.columns)
if missing:
    raise SystemExit(f"prepare: {args.raw} lacks the columns {sorted(missing)}")
table = table.dropna()
train, test = train_test_split(
    table, test_size=args.test_fraction, random_state=args.seed, stratify=table["species"]
)
os.makedirs(args.out, exist_ok=True)
train.sort_index().to_csv(os.path.join(args.out, "train.csv"), index=False)
test.sort_index().to_csv(os.path.join(args.out, "test.csv"), index=False)
print(f"prepare: {len(train)} training rows, {len(test)} test rows")
