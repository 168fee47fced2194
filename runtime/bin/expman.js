#!/usr/bin/env node
"use strict";
// The expman CLI. Built JS lives in ../dist (npm run build).
require("../dist/cli/main")
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
