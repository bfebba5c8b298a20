"""Batch scoring: predicts a species for every row of a table with the chosen model."""
import argparse
import pickle

import pandas as pd

parser = argparse.ArgumentParser()
parser.add_argument("--model", required=True)
parser.add_argument("--table", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

with open(args.model, "rb") as f:
    model = pickle.load(f)
table = pd.read_csv(args.table)
features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
table["predicted"] = model.predict(table[features])
table.to_csv(args.out, index=False)
print(f"score: {len(table)} rows scored")
