"""Trains a logistic regression with one regularisation strength; writes the model and metrics."""
import argparse
import json
import os
import pickle

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--c", type=float, required=True)
parser.add_argument("--model", required=True)
parser.add_argument("--metrics", required=True)
args = parser.parse_args()

features = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
train = pd.read_csv(os.path.join(args.data, "train.csv"))
test = pd.read_csv(os.path.join(args.data, "test.csv"))
model = LogisticRegression(C=args.c, max_iter=1000, random_state=0)
model.fit(train[features], train["species"])
predicted = model.predict(test[features])
metrics = {
    "C": args.c,
    "accuracy": float(accuracy_score(test["species"], predicted)),
    "f1_macro": float(f1_score(test["species"], predicted, average="macro")),
}
with open(args.model, "wb") as out:
    pickle.dump(model, out, protocol=4)
with open(args.metrics, "w") as out:
    json.dump(metrics, out, sort_keys=True)

try:  # Canal's helper records the metrics with the run; the files above are the outputs either way.
    from canal_step import log

    for name, value in metrics.items():
        log(name, value)
except ImportError:
    pass
print(f"train: C={args.c} accuracy={metrics['accuracy']:.3f}")
