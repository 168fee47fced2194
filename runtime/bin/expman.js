#!/usr/bin/env node
"use strict";
// The expman CLI. The runtime is one bundle, ../dist/runtime.js (npm run build).
require("../dist/runtime.js")
  .runCli(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
