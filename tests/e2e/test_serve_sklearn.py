"""`ferry serve` on KServe's plain scikit-learn layouts (model.joblib /
model.pkl), checked against scikit-learn itself (Debian's python3-sklearn):
a mixed-type Pipeline with string categories and missing values over V1, V2
and MLflow, a regressor over V2 with FP32 input, a TF-IDF text classifier
(documents as V1 strings and a V2 BYTES tensor) and an MLP / stacking /
log-target model."""
import os
import pickle
import sys
import tempfile
import unittest

import joblib
import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor, StackingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import Serve  # noqa: E402

ROWS = [[45.0, "Tokyo", "blue"], [19.5, None, "green"], [None, "Paris", "green"],
        [33.0, "Lima", "red"], [61.0, "Oslo", "purple"]]  # Oslo, purple: unseen


def mixed_model(d):
    rng = np.random.default_rng(7)
    cities, colors = ["Tokyo", "Paris", "Lima", "Seoul"], ["blue", "green", "red"]
    X = np.array([[float(rng.uniform(18, 70)), cities[rng.integers(4)], colors[rng.integers(3)]]
                  for _ in range(200)], dtype=object)
    y = np.array([int(float(r[0]) > 40 or r[1] == "Paris") for r in X])
    pipe = Pipeline([
        ("ct", ColumnTransformer([
            ("num", Pipeline([("imp", SimpleImputer()), ("sc", StandardScaler())]), [0]),
            ("cat", Pipeline([("imp", SimpleImputer(strategy="constant", fill_value="none")),
                              ("ohe", OneHotEncoder(handle_unknown="ignore"))]), [1, 2])])),
        ("lr", LogisticRegression(max_iter=500))])
    pipe.fit(X, y)
    joblib.dump(pipe, os.path.join(d, "model.joblib"))
    Xq = np.array([[np.nan if v is None and i == 0 else v for i, v in enumerate(r)] for r in ROWS],
                  dtype=object)
    Xq[:, 1:] = np.where(Xq[:, 1:] == None, np.nan, Xq[:, 1:])  # noqa: E711 (null = NaN)
    return pipe.predict(Xq).tolist(), pipe.predict_proba(Xq)


class PlainSklearnTest(unittest.TestCase):
    def test_mixed_pipeline_joblib(self):
        d = tempfile.mkdtemp(prefix="sk-mixed-")
        expected, proba = mixed_model(d)
        with Serve(d, name="mixed") as s:
            r = s.post("/v1/models/mixed:predict", json={"instances": ROWS})
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["predictions"], expected)
            r = s.post("/invocations", json={"instances": ROWS})
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["predictions"], expected)
            cols = list(zip(*ROWS))
            req = {"parameters": {"content_type": "pd"}, "inputs": [
                {"name": "age", "shape": [5], "datatype": "FP64", "data": list(cols[0])},
                {"name": "city", "shape": [5], "datatype": "BYTES", "data": list(cols[1])},
                {"name": "color", "shape": [5], "datatype": "BYTES", "data": list(cols[2])}],
                "outputs": [{"name": "predict_proba"}]}
            r = s.post("/v2/models/mixed/infer", json=req)
            self.assertEqual(r.status_code, 200, r.text)
            out = r.json()["outputs"][0]
            self.assertEqual(out["shape"], [5, 2])
            np.testing.assert_allclose(np.array(out["data"]).reshape(5, 2), proba, atol=1e-9)

    def test_regressor_pickle_fp32(self):
        d = tempfile.mkdtemp(prefix="sk-rfr-")
        rng = np.random.default_rng(3)
        X = rng.normal(size=(300, 4))
        y = X[:, 0] * 2 - X[:, 2] + rng.normal(scale=0.1, size=300)
        model = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
        with open(os.path.join(d, "model.pkl"), "wb") as f:
            pickle.dump(model, f, protocol=4)
        Xq = rng.normal(size=(3, 4)).astype(np.float32)
        expected = model.predict(Xq.astype(np.float64))
        with Serve(d, name="rfr") as s:
            req = {"inputs": [{"name": "input-0", "shape": [3, 4], "datatype": "FP32",
                               "data": Xq.flatten().tolist()}]}
            r = s.post("/v2/models/rfr/infer", json=req)
            self.assertEqual(r.status_code, 200, r.text)
            out = r.json()["outputs"][0]
            # KServe sklearnserver naming for plain layouts.
            self.assertEqual(out["name"], "output-0")
            self.assertEqual(out["shape"], [3])
            np.testing.assert_allclose(out["data"], expected, atol=1e-9)
            r = s.post("/v2/models/rfr/infer", json=dict(req, outputs=[{"name": "predict_proba"}]))
            self.assertEqual(r.status_code, 400)
            self.assertIn("predict_proba", r.json()["error"])

    def test_text_classifier(self):
        d = tempfile.mkdtemp(prefix="sk-text-")
        docs = ["free prize call now", "win cash now", "lunch at noon?", "see you at the meeting",
                "cheap pills free", "the report is attached", "Gewinnen Sie jetzt!", "réunion demain"]
        labels = ["spam", "spam", "ham", "ham", "spam", "ham", "spam", "ham"]
        model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression())
        model.fit(docs, labels)
        joblib.dump(model, os.path.join(d, "model.joblib"))
        query = ["FREE cash prize", "meeting at noon", "Réunion, jetzt!", ""]
        with Serve(d, name="text") as s:
            r = s.post("/v1/models/text:predict", json={"instances": query})
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["predictions"], model.predict(query).tolist())
            req = {"inputs": [{"name": "text", "shape": [4], "datatype": "BYTES", "data": query}],
                   "outputs": [{"name": "predict_proba"}]}
            r = s.post("/v2/models/text/infer", json=req)
            self.assertEqual(r.status_code, 200, r.text)
            out = r.json()["outputs"][0]
            np.testing.assert_allclose(np.array(out["data"]).reshape(4, 2),
                                       model.predict_proba(query), atol=1e-9)
            meta = s.get("/v2/models/text").json()
            self.assertEqual(meta["inputs"][0]["datatype"], "BYTES")
            # Numbers sent to a text model: 400 saying what it expects.
            r = s.post("/v1/models/text:predict", json={"instances": [[1.0, 2.0]]})
            self.assertEqual(r.status_code, 400, r.text)
            self.assertIn("text column", r.json()["error"])

    def test_mlp_stacking_and_log_target(self):
        X, y = load_wine(return_X_y=True)
        Xq = X[::17] + 0.01
        cases = {
            "mlp": make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,),
                                                                 max_iter=2000, random_state=0)),
            "stack": StackingClassifier([("rf", RandomForestClassifier(n_estimators=10,
                                                                        random_state=0)),
                                         ("lr", make_pipeline(StandardScaler(),
                                                              LogisticRegression()))]),
        }
        for name, model in cases.items():
            with self.subTest(name):
                d = tempfile.mkdtemp(prefix="sk-" + name + "-")
                joblib.dump(model.fit(X, y), os.path.join(d, "model.joblib"))
                with Serve(d, name=name) as s:
                    r = s.post("/v1/models/%s:predict" % name, json={"instances": Xq.tolist()})
                    self.assertEqual(r.status_code, 200, r.text)
                    self.assertEqual(r.json()["predictions"], model.predict(Xq).tolist())
        d = tempfile.mkdtemp(prefix="sk-ttr-")
        target = TransformedTargetRegressor(Ridge(), func=np.log1p, inverse_func=np.expm1)
        target.fit(X[:, 1:], X[:, 0])
        joblib.dump(target, os.path.join(d, "model.joblib"))
        with Serve(d, name="ttr") as s:
            r = s.post("/v1/models/ttr:predict", json={"instances": Xq[:, 1:].tolist()})
            self.assertEqual(r.status_code, 200, r.text)
            np.testing.assert_allclose(r.json()["predictions"], target.predict(Xq[:, 1:]),
                                       rtol=1e-9)


if __name__ == "__main__":
    unittest.main(verbosity=2)
