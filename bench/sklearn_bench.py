#!/usr/bin/python3
"""Native scikit-learn predict (Ferry) vs scikit-learn's own predict called in
Python, on the same pickled models and rows, in the same run."""
import json
import os
import pickle
import subprocess
import sys
import tempfile
import timeit

import numpy as np
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

BENCH = sys.argv[1]  # path to sklearn_predict_bench


def python_ns(model, X, number):
    t = timeit.repeat(lambda: model.predict(X), number=number, repeat=5)
    return min(t) / number * 1e9


def native(path, X, iterations):
    out = subprocess.run([BENCH, path, str(X.shape[0]), str(iterations), "predict"],
                         input="\n".join(" ".join(repr(float(v)) for v in row) for row in X),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    iris = load_iris()
    X_train, _, y_train, _ = train_test_split(iris.data, iris.target, test_size=0.2,
                                              random_state=42)
    lr = LogisticRegression(solver="lbfgs", max_iter=1000, multi_class="auto",
                            random_state=8888).fit(X_train, y_train)
    rf = RandomForestClassifier(n_estimators=100, random_state=0).fit(X_train, y_train)
    rng = np.random.default_rng(0)
    big = X_train[rng.integers(0, len(X_train), 10000)] + rng.normal(0, 0.05, (10000, 4))
    tmp = tempfile.mkdtemp(prefix="ferry-skbench-")
    print("| model | rows | scikit-learn (Python) | Ferry native | speed-up |")
    print("|---|---|---|---|---|")
    loads = {}
    for name, model in (("LogisticRegression (seed)", lr), ("RandomForest, 100 trees", rf)):
        path = os.path.join(tmp, name.split()[0] + ".pkl")
        with open(path, "wb") as f:
            pickle.dump(model, f, protocol=5)
        for X, number, iters in ((big[:1], 200, 2001), (big, 3, 21)):
            py = python_ns(model, X, number)
            nat = native(path, X, iters)
            loads[name] = nat["load_ms"]
            print("| %s | %d | %.1f µs | %.2f µs | **%.0f×** |" % (
                name, X.shape[0], py / 1000, nat["predict_ns"] / 1000, py / nat["predict_ns"]))
    print()
    for name, ms in loads.items():
        print("- load (read pickle + build) %s: %.2f ms" % (name, ms))


if __name__ == "__main__":
    main()
