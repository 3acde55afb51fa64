/**
 * Drives `bench/torch_step.py` (the PyTorch twin of the kit's training step) as a child
 * process, so `deno task bench` can interleave kit and PyTorch repetitions in one run.
 *
 * @module
 */

/** A running PyTorch step process. */
export interface TorchStepper {
  /** torch version, threads and device name it reported. */
  info: { torch: string; threads: number; device: string };
  /** Runs `k` steps; resolves to the wall seconds of each. */
  run(k: number): Promise<number[]>;
  /** Ends the process. */
  close(): Promise<void>;
}

/** Python interpreters tried, in order (env KIT_TORCH_PYTHON first). */
export function pythonCandidates(): string[] {
  const env = Deno.env.get("KIT_TORCH_PYTHON");
  return [...(env ? [env] : []), "/usr/bin/python3", "python3"];
}

/** True when `python` runs and can import every module of `modules` (default: torch). */
export async function hasTorch(python: string, modules: string[] = ["torch"]): Promise<boolean> {
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", `import ${modules.join(", ")}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * Starts the PyTorch stepper, or returns a string saying why it cannot (no python with torch:
 * `apt-get install python3-torch`, or set KIT_TORCH_PYTHON). `device` is torch's device
 * (default cpu; `cuda` needs a CUDA build of torch, e.g. from pip, via KIT_TORCH_PYTHON).
 */
export async function startTorchStepper(
  opts: { threads: number; batch: number; script: string; device?: string },
): Promise<TorchStepper | string> {
  let python: string | undefined;
  for (const p of pythonCandidates()) {
    if (await hasTorch(p)) {
      python = p;
      break;
    }
  }
  if (python === undefined) {
    return "no python3 with torch found; install it with `apt-get install python3-torch` " +
      "(or point KIT_TORCH_PYTHON at an interpreter that has torch)";
  }
  const child = new Deno.Command(python, {
    args: [
      opts.script,
      "--threads",
      String(opts.threads),
      "--batch",
      String(opts.batch),
      "--device",
      opts.device ?? "cpu",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    env: { OMP_NUM_THREADS: String(opts.threads) },
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const nextLine = async (): Promise<string> => {
    while (!buffered.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`${opts.script} exited early (see its error output above)`);
      buffered += value;
    }
    const i = buffered.indexOf("\n");
    const line = buffered.slice(0, i);
    buffered = buffered.slice(i + 1);
    return line;
  };
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const ready = JSON.parse(await nextLine()) as { torch: string; threads: number; device?: string };
  return {
    info: { torch: ready.torch, threads: ready.threads, device: ready.device ?? "cpu" },
    async run(k: number): Promise<number[]> {
      await writer.write(encoder.encode(`run ${k}\n`));
      return (JSON.parse(await nextLine()) as { seconds: number[] }).seconds;
    },
    async close(): Promise<void> {
      try {
        await writer.write(encoder.encode("quit\n"));
        await writer.close();
      } catch {
        // already gone
      }
      await lines.cancel().catch(() => {});
      await child.status;
    },
  };
}

/**
 * The first python3 of {@link pythonCandidates} that imports every module of `modules`, or an
 * error naming the fix (the Debian packages, or env KIT_TORCH_PYTHON).
 */
export async function findTorchPython(modules: string[]): Promise<string> {
  for (const p of pythonCandidates()) {
    if (await hasTorch(p, modules)) return p;
  }
  const debian = modules.includes("sklearn") ? "python3-torch python3-sklearn" : "python3-torch";
  throw new Error(
    `no python3 that imports ${modules.join(", ")} found (tried ${
      pythonCandidates().join(", ")
    }); install them with \`apt-get install ${debian}\`, or point KIT_TORCH_PYTHON at an ` +
      `interpreter that has them`,
  );
}

/** Runs a command with stderr shown live; returns the last non-empty stdout line parsed as JSON. */
export async function runForJson(
  what: string,
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "inherit" })
    .output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${what} failed (exit status ${out.code}); see its messages above`);
  }
  const last = stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`${what} did not end with a JSON line; its last stdout line was "${last}"`);
  }
}

/**
 * Runs the PyTorch twin (`bench/simclr_twin.py`) on a kit run's `config` and the images exported
 * to `dataDir`, with `threads` threads (OpenMP too) and the extra flags `args`; returns its JSON
 * line (see the script's docs).
 */
export async function runSimclrTwin(opts: {
  python: string;
  config: string;
  dataDir: string;
  threads: number;
  args: string[];
}): Promise<Record<string, unknown>> {
  const script = new URL("../bench/simclr_twin.py", import.meta.url).pathname;
  return await runForJson(
    `the PyTorch twin (bench/simclr_twin.py ${opts.args.join(" ")})`,
    opts.python,
    [
      script,
      "--config",
      opts.config,
      "--data",
      opts.dataDir,
      "--threads",
      String(opts.threads),
      ...opts.args,
    ],
    { OMP_NUM_THREADS: String(opts.threads) },
  );
}
