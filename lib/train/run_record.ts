/**
 * What every run writes next to its checkpoint so that a reader can trust
 * and reproduce it: `config.json` (the experiment), `run.json` (backend,
 * dataset, code version, timings, status), `metrics.jsonl` (one line per
 * epoch) and `result.json` (final evaluation). All JSON files are written
 * atomically (temporary file + rename): a kill never leaves a half file.
 *
 * @module
 */
import { dirname, join } from "node:path";

/** Writes `value` as pretty JSON to `path` atomically. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify(value, null, 2) + "\n");
  await Deno.rename(tmp, path);
}

/** Reads JSON from `path`, or `undefined` when the file does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    if (err instanceof SyntaxError) {
      throw new Error(
        `${path} is not valid JSON (${err.message}); delete it or restore it from a backup`,
      );
    }
    throw err;
  }
}

/** Appends one JSON line to `path` (creating it). */
export async function appendJsonLine(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(value) + "\n", { append: true });
}

/** The code that produced a run: git commit and whether the tree had local changes. */
export interface CodeVersion {
  commit: string;
  dirty: boolean;
  deno: string;
  v8: string;
}

/** Reads the git commit of the kit's checkout (`unknown` outside a git checkout). */
export async function codeVersion(): Promise<CodeVersion> {
  const root = join(dirname(new URL(import.meta.url).pathname), "..", "..");
  const git = async (...args: string[]) => {
    try {
      const out = await new Deno.Command("git", {
        args,
        cwd: root,
        stdout: "piped",
        stderr: "null",
      })
        .output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
    } catch {
      return undefined;
    }
  };
  const commit = (await git("rev-parse", "HEAD")) ?? "unknown";
  const status = await git("status", "--porcelain", "--untracked-files=no");
  return {
    commit,
    dirty: status === undefined ? false : status.length > 0,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

/** Lifecycle of a run as recorded in `run.json`. */
export type RunStatus = "running" | "finished" | "failed" | "interrupted";

/** The content of `run.json`. */
export interface RunRecord {
  status: RunStatus;
  method: string;
  configHash: string;
  backend: Record<string, unknown>;
  dataset: {
    name: string;
    displayName: string;
    synthetic: boolean;
    source: string;
    train: number;
    test: number;
    imageShape: [number, number, number];
  };
  code: CodeVersion;
  host: { os: string; arch: string; cpus: number };
  startedAt: string;
  updatedAt: string;
  timings: Record<string, number>;
  error?: string;
}
