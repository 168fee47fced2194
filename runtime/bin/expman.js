#!/usr/bin/env node
"use strict";
// The expman CLI. The runtime is one bundle, ../dist/index.js (npm run build).

// Ctrl-C and SIGTERM are caught from the first line until the process is gone, so an interrupt
// at any moment ends it with an exit code (130, 143), never by the signal. This listener stays
// for the whole life of the process: while it is there, Node keeps its own handler for the
// signal installed. A command that handles signals itself ('run', 'worker') adds its own
// listener; this one then leaves the signal to it. (A signal while Node itself is still
// starting, before this line runs, can only end the process by the signal.)
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 };
function onSignal(signal) {
  if (process.listenerCount(signal) === 1) process.exit(SIGNAL_EXIT[signal]);
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

// The process ends through process.exit once its event loop has drained. Left to end on its
// own, Node first closes its signal handles (the signals' default action is back) and only then
// closes native resources; a Ctrl-C in that gap, measured at up to 100 ms after a run stopped,
// ended the process by SIGINT. process.exit runs the same 'exit' listeners (the stores' last
// writes) without that gap.
process.on("beforeExit", () => process.exit());

// `expman export 1 | head`: the reader closing the pipe early ends the output, not the command
// (a run piped into `head` goes on) and is not an error worth a stack trace. Later writes are dropped.
process.stdout.on("error", (error) => {
  if (error.code !== "EPIPE") throw error;
});

require("../dist/index.js")
  .runCli(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
