/**
 * Writes server/schemas/<role>.schema.json from the runtime's built-in registry description,
 * for the extension manifest's `yamlValidation`. Run: `npx tsx server/scripts/generate-schemas.ts`
 * (`--check` exits 1 when the committed files are stale).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_TYPES, CONFIG_ROLES } from "../../runtime/src/contracts";
import { buildConfigSchemas } from "../src/json-schema";

export const SCHEMA_DIR = join(__dirname, "..", "schemas");

export function schemaTexts(): Record<string, string> {
  const schemas = buildConfigSchemas({ version: 1, types: [...BUILTIN_TYPES] });
  const out: Record<string, string> = {};
  for (const role of CONFIG_ROLES) out[`${role}.schema.json`] = `${JSON.stringify(schemas[role], null, 2)}\n`;
  return out;
}

if (require.main === module) {
  const check = process.argv.includes("--check");
  mkdirSync(SCHEMA_DIR, { recursive: true });
  let stale = false;
  for (const [name, text] of Object.entries(schemaTexts())) {
    const file = join(SCHEMA_DIR, name);
    let current = "";
    try {
      current = readFileSync(file, "utf8");
    } catch {
      // not generated yet
    }
    if (current === text) continue;
    stale = true;
    if (!check) writeFileSync(file, text);
    console.log(`${check ? "stale" : "wrote"} ${file}`);
  }
  if (check && stale) process.exit(1);
}
