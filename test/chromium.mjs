// Debian's Chromium as every browser test here starts it. Without the background-networking
// flags Chromium keeps trying hosts this machine cannot reach (see the machine notes).
export const CHROMIUM_PATH = process.env.EXPMAN_RIG_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
