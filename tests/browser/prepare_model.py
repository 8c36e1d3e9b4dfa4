"""Uploads the seed's MLflow iris model to the S3 test server (starting one
when S3_ENDPOINT is unset, like the e2e suite) and prints the endpoint and
credentials as JSON for dashboard.test.mjs. Run with /usr/bin/python3."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import ferrytest  # noqa: E402

RUN = "1/d9a3dd7164bd423b9482ab8a77316c33/artifacts/iris_model"

started = not os.environ.get("S3_ENDPOINT")
endpoint, access, secret = ferrytest.ensure_s3()
ferrytest.s3_upload(os.path.join(ferrytest.mlflow_models(), "iris_tensor"), "s3://mlflow/" + RUN + "/")
print(json.dumps({"endpoint": endpoint, "access": access, "secret": secret, "started": started}))
