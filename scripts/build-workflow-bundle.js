#!/usr/bin/env node
// Prebuilt workflow bundles for production workers (as Temporal's production sample does): after
// `tsc`, bundle dist/workflows once with webpack and write dist/workflow-bundle.js (and the
// variant with tracing's workflow interceptors, dist/workflow-bundle-tracing.js) beside a
// manifest, dist/workflow-bundle.json, naming the compiled files and package versions it was
// built from. A worker uses a bundle only while its manifest matches (src/worker/bundle.ts);
// otherwise it bundles in process as before. Run by `npm run build`.
'use strict';
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
const { writePrebuiltBundles, MANIFEST_FILE } = require(join(dist, 'worker', 'bundle.js'));

const started = Date.now();
writePrebuiltBundles().then(
  (manifest) => {
    process.stderr.write(
      `workflow bundles: ${manifest.variants.map((v) => `dist/${v.file}`).join(', ')} ` +
        `(${manifest.files.length} compiled files, dist/${MANIFEST_FILE}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  },
  (err) => {
    process.stderr.write(`cannot build the workflow bundle: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
