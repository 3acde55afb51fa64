/**
 * Registry of known ablations. Every file `lib/ablation/ablations/<name>.ts`
 * default-exports `defineAblation({ name: "<name>", ... })` and is found by
 * listing that folder, so adding an ablation is adding one file (no list to
 * edit). Notebooks and tests may also register specs in memory.
 *
 * @module
 */
import type { AblationSpec } from "./spec.ts";

const extra = new Map<string, AblationSpec>();

/** Adds an in-memory ablation (e.g. from a notebook); replaces one of the same name. */
export function registerAblation(spec: AblationSpec): void {
  extra.set(spec.name, spec);
}

const folder = new URL("./ablations/", import.meta.url);

async function discovered(): Promise<AblationSpec[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      files.push(entry.name);
    }
  }
  files.sort();
  const specs: AblationSpec[] = [];
  for (const file of files) {
    const url = new URL(file, folder);
    const mod = await import(url.href) as { default?: AblationSpec };
    const spec = mod.default;
    const expected = file.slice(0, -3);
    if (!spec || typeof spec !== "object" || !Array.isArray(spec.arms)) {
      throw new Error(
        `${url.pathname} must \`export default defineAblation({...})\` (found no ablation)`,
      );
    }
    if (spec.name !== expected) {
      throw new Error(
        `${url.pathname} declares the ablation "${spec.name}"; rename the file to ` +
          `${spec.name}.ts or the ablation to "${expected}" (one ablation per file, same name)`,
      );
    }
    specs.push(spec);
  }
  return specs;
}

/** All known ablations, sorted by name (files first; in-memory ones replace same names). */
export async function listAblations(): Promise<AblationSpec[]> {
  const byName = new Map((await discovered()).map((s) => [s.name, s]));
  for (const [name, spec] of extra) byName.set(name, spec);
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The ablation called `name`; throws listing the known names when there is none. */
export async function getAblation(name: string): Promise<AblationSpec> {
  const all = await listAblations();
  const spec = all.find((s) => s.name === name);
  if (!spec) {
    throw new Error(
      `unknown ablation "${name}"; known ablations: ${all.map((s) => s.name).join(", ")} ` +
        `(deno task ablate --list; add one as lib/ablation/ablations/<name>.ts)`,
    );
  }
  return spec;
}
