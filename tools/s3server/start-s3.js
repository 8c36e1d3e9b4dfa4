#!/usr/bin/env node
// Starts the S3-protocol test server (@20minutes/s3rver, which verifies SigV4)
// on 127.0.0.1 for Ferry's storage tests. Started by scripts/s3-test-server.sh
// or directly by the integration tests.
// Env: S3_PKG (module, default @20minutes/s3rver), S3_PORT (0 = pick a free one),
//      S3_DIR (data dir), S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKETS (comma list),
//      S3_PORT_FILE (the chosen port is written here once listening).
// Needs NODE_OPTIONS=--openssl-legacy-provider: s3rver encrypts ListObjectsV2
// continuation tokens with DES, which OpenSSL 3 refuses otherwise (500 on paging).
'use strict';
const path = require('path');
const fs = require('fs');
const pkg = process.env.S3_PKG || '@20minutes/s3rver';
const S3rver = require(pkg);
const AWSAccount = require(path.join(pkg, 'lib/models/account'));

const access = process.env.S3_ACCESS_KEY || 'test-access-key';
const secret = process.env.S3_SECRET_KEY || 'test-secret-key';
// Register the project's credentials and revoke the built-in S3RVER/S3RVER pair,
// so only the configured secret signs successfully.
AWSAccount.DUMMY_ACCOUNT.createKeyPair(access, secret);
if (access !== 'S3RVER') AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');

const directory = process.env.S3_DIR || '/tmp/s3-data';
fs.mkdirSync(directory, { recursive: true });
const buckets = (process.env.S3_BUCKETS || 'mlflow').split(',').filter(Boolean);

new S3rver({
  address: '127.0.0.1',
  port: Number(process.env.S3_PORT || 0),
  directory,
  silent: !process.env.S3_VERBOSE,
  vhostBuckets: false, // path-style only, like MinIO behind KServe
  configureBuckets: buckets.map((name) => ({ name })),
})
  .run()
  .then(({ address, port }) => {
    if (process.env.S3_PORT_FILE) {
      // Write-then-rename so a reader never sees a half-written port.
      const tmp = process.env.S3_PORT_FILE + '.tmp';
      fs.writeFileSync(tmp, String(port));
      fs.renameSync(tmp, process.env.S3_PORT_FILE);
    }
    console.log(`s3 listening on http://${address}:${port} (${pkg})`);
  })
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
