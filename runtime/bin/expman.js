#!/usr/bin/env node
"use strict";
// The expman CLI. The runtime is one bundle, ../dist/index.js (npm run build).
require("../dist/index.js")
  .runCli(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
