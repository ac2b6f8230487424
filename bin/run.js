#!/usr/bin/env node
// The `task` command. Exit codes: 0 ok, 1 unexpected, 2 usage or validation, 3 configuration,
// 4 server or connection, 5 run failed, 6 precheck failed.
require('../dist/cli/main')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
