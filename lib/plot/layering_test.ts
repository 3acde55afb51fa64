import assert from "node:assert/strict";

/** Relative imports of every .ts file in `dir` (a folder URL), as [file, specifier]. */
function importsOf(dir: URL): [string, string][] {
  const out: [string, string][] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isFile || !e.name.endsWith(".ts")) continue;
    const text = Deno.readTextFileSync(new URL(e.name, dir));
    for (const m of text.matchAll(/^\s*(?:import|export)[^;]*?from\s+"([^"]+)"/gm)) {
      out.push([e.name, m[1]]);
    }
  }
  return out;
}

Deno.test("lib/plot sits below lib/ablation: it imports only itself, lib/stats and lib/rng", () => {
  const bad = importsOf(new URL("./", import.meta.url)).filter(([, spec]) =>
    spec.startsWith("../") && !/^\.\.\/(stats\/|rng\.ts$)/.test(spec)
  );
  assert.deepEqual(bad, [], `lib/plot imports upper layers: ${JSON.stringify(bad)}`);
});

Deno.test("lib/stats is the bottom layer: no imports but its own files", () => {
  const bad = importsOf(new URL("../stats/", import.meta.url)).filter(([file, spec]) =>
    !file.endsWith("_test.ts") && (spec.startsWith("../") || !spec.startsWith("./"))
  );
  assert.deepEqual(bad, []);
});
