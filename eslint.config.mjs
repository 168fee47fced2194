// ESLint (flat config): `npm run lint`, part of `npm test`. The recommended rules of ESLint
// and typescript-eslint, without type information (fast; `npm run typecheck` checks types).
// Formatting is Prettier's job (.prettierrc.json), not ESLint's.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "**/out/**",
      "examples/workspace/**",
      "test/artifacts/**",
      ".rig/**",
      "**/*.d.ts",
      "**/*.d.mts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
    // Some files already carry disable comments for rules this set leaves off; they stay.
    linterOptions: { reportUnusedDisableDirectives: "off" },
    rules: {
      // A value from an untyped boundary (JSON, SQL rows, user pipelines) is `unknown` and
      // narrowed, or given its type where it is read. The rare true need (a test poking a
      // private) takes a commented eslint-disable-next-line.
      "@typescript-eslint/no-explicit-any": "error",
      // The runtime loads better-sqlite3, plugins and user code lazily with require(), so that
      // importing it stays native-free and fast; CommonJS entry points use require too.
      "@typescript-eslint/no-require-imports": "off",
      // `_name` marks a parameter kept for its position (Pipeline.runEpoch(epoch, model), ...).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/no-unused-expressions": ["error", { allowShortCircuit: true, allowTernary: true }],
      "no-empty": ["error", { allowEmptyCatch: true }],
      // A status or exit code starts at its failure value before a try, on purpose.
      "no-useless-assignment": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },
  {
    // Browser code: the webview, and the functions the UI checks evaluate in the page.
    files: [
      "media/src/**/*.ts",
      "test/webview/**/*.ts",
      "test/integration/ui/**/*.mjs",
      "test/rig/fixtures/ui/**/*.mjs",
      "test/bench/webview.ts",
    ],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
  {
    files: ["test/rig/host.ts", "test/rig/fixtures/suites/**", "test/integration/**/*.ts"],
    languageOptions: { globals: { ...globals.mocha, ...globals.node } },
  },
);
