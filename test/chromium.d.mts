/** Types of test/chromium.mjs (shared by the rig and the webview harness). */
export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: string[];
