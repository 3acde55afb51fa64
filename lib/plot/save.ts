/**
 * Saving figures as JSON (`<dir>/<name>.json`) so that `deno task figures`
 * can export them later to SVG/PDF/PNG in the house style.
 *
 * @module
 */
import { join } from "node:path";
import { type Figure, validateFigure } from "./figure.ts";

/** Writes `fig` to `<dir>/<name>.json` (creating `dir`) and returns the path. */
export async function saveFigure(fig: Figure, dir: string, name: string): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(
      `saveFigure: name "${name}" must be a plain file name (letters, digits, . _ -), e.g. "loss_curve"`,
    );
  }
  validateFigure(fig, `saveFigure(${name})`);
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(fig));
  await Deno.rename(tmp, path);
  return path;
}

/** Reads and validates a figure written by {@link saveFigure}. */
export async function loadFigure(path: string): Promise<Figure> {
  let fig: Figure;
  try {
    fig = JSON.parse(await Deno.readTextFile(path)) as Figure;
  } catch (err) {
    throw new Error(
      `${path}: not a readable figure JSON (${(err as Error).message}); ` +
        `write figures with saveFigure from lib/plot/save.ts`,
    );
  }
  validateFigure(fig, path);
  return fig;
}
