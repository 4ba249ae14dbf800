#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI lives in the compiled package (npm run build, run by `prepare` on install).
let main;
try {
  ({ main } = require('../dist/cli.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist[\\/]cli\.js/.test(String(err.message))) {
    console.error('melbook: dist/cli.js is missing. Build the package first: npm run build');
    process.exit(2);
  }
  throw err;
}
main(process.argv).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
