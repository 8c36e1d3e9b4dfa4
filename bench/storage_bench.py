#!/usr/bin/python3
"""Storage benchmark against the local S3 test server (s3rver, SigV4):
- one 200 MB object: `ferry storage-initializer` vs curl --aws-sigv4 writing the
  same object to disk, same server, same run (median of 3);
- a 1,000-object model directory: Ferry's default concurrency vs serial
  (S3_MAX_FILE_CONCURRENCY=1), same run (median of 3).
Usage: storage_bench.py FERRY_BIN   (S3_* env from scripts/s3-test-server.sh)."""
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

FERRY = sys.argv[1]
ENDPOINT = os.environ["S3_ENDPOINT"]
AK = os.environ["AWS_ACCESS_KEY_ID"]
SK = os.environ["AWS_SECRET_ACCESS_KEY"]
ENV = dict(os.environ, AWS_DEFAULT_REGION="us-east-1", S3_USE_HTTPS="0")


def aws(*args):
    subprocess.run(["/usr/bin/aws", "--endpoint-url", ENDPOINT, "s3"] + list(args) +
                   ["--only-show-errors"], check=True, env=ENV)


def timed(cmd, env=None):
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, env=env or ENV, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.monotonic() - t0


def main():
    tmp = tempfile.mkdtemp(prefix="ferry-storage-bench-")
    big = os.path.join(tmp, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(200 * 1000 * 1000))
    aws("cp", big, "s3://mlflow/bench/big/model.bin")
    small = os.path.join(tmp, "small")
    os.makedirs(small)
    for i in range(1000):
        with open(os.path.join(small, "part-%04d.bin" % i), "wb") as f:
            f.write(os.urandom(2048))
    aws("cp", "--recursive", small, "s3://mlflow/bench/many/")

    url = "%s/mlflow/bench/big/model.bin" % ENDPOINT
    sha = hashlib.sha256(b"").hexdigest()
    curl_s, ferry_s, par_s, ser_s = [], [], [], []
    for i in range(3):
        out = os.path.join(tmp, "curl.bin")
        curl_s.append(timed(["curl", "-sSf", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
                             "%s:%s" % (AK, SK), "-H", "x-amz-content-sha256: " + sha, "-o", out,
                             url]))
        os.unlink(out)
        dest = os.path.join(tmp, "ferry-big-%d" % i)
        ferry_s.append(timed([FERRY, "storage-initializer", "s3://mlflow/bench/big", dest]))
        shutil.rmtree(dest)
        dest = os.path.join(tmp, "ferry-many-%d" % i)
        par_s.append(timed([FERRY, "storage-initializer", "s3://mlflow/bench/many", dest]))
        shutil.rmtree(dest)
        dest = os.path.join(tmp, "ferry-serial-%d" % i)
        ser_s.append(timed([FERRY, "storage-initializer", "s3://mlflow/bench/many", dest],
                           env=dict(ENV, S3_MAX_FILE_CONCURRENCY="1")))
        shutil.rmtree(dest)
    c, f, p, s = (statistics.median(x) for x in (curl_s, ferry_s, par_s, ser_s))
    print("| download | baseline | Ferry | ratio |")
    print("|---|---|---|---|")
    print("| 200 MB object to disk | curl --aws-sigv4: %.0f MB/s | %.0f MB/s | **%.2f×** throughput |"
          % (200 / c, 200 / f, c / f))
    print("| 1,000 objects × 2 KB | serial (S3_MAX_FILE_CONCURRENCY=1): %.2f s | %.2f s | **%.2f×** faster |"
          % (s, p, s / p))
    print()
    print("Medians of 3; curl %s s, ferry %s s, parallel %s s, serial %s s." % (
        ["%.2f" % x for x in curl_s], ["%.2f" % x for x in ferry_s], ["%.2f" % x for x in par_s],
        ["%.2f" % x for x in ser_s]))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
