import assert from "node:assert/strict";
import { Rng } from "../lib/rng.ts";
import {
  BACKEND_REQUESTS,
  backendFlag,
  choiceFlag,
  integerFlag,
  numberFlag,
  parseCommandLine,
  positiveIntegerFlag,
  UsageError,
} from "./args.ts";

/** Asserts that `fn` throws a UsageError naming `--flag`, the value and an example fix. */
function assertUsage(fn: () => unknown, flag: string, value: string) {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof UsageError, `${err}`);
    assert.ok(err.message.startsWith(`--${flag} expects `), err.message);
    assert.ok(err.message.includes(`got "${value}"`), err.message);
    assert.match(err.message, new RegExp(`; give .*, e\\.g\\. --${flag} \\S+$`));
    return true;
  });
}

Deno.test("number flags: a value reads back as the number it writes, absent stays undefined", () => {
  const rng = new Rng(31);
  for (let t = 0; t < 200; t++) {
    const x = rng.uniform(-1e6, 1e6) * 10 ** (rng.int(9) - 6);
    assert.equal(numberFlag("lr", String(x)), x);
    const k = rng.int(1e6) - 5e5;
    assert.equal(integerFlag("seed", String(k)), k);
    assert.equal(numberFlag("lr", String(k)), k);
    if (k >= 1) assert.equal(positiveIntegerFlag("seeds", String(k)), k);
    else assertUsage(() => positiveIntegerFlag("seeds", String(k)), "seeds", String(k));
    const frac = k + 0.5;
    assertUsage(() => integerFlag("epochs", String(frac)), "epochs", String(frac));
    assertUsage(() => positiveIntegerFlag("threads", String(frac)), "threads", String(frac));
  }
  for (const f of [numberFlag, integerFlag, positiveIntegerFlag]) {
    assert.equal(f("x", undefined), undefined);
  }
});

Deno.test("number flags reject text, empty values and infinities, naming the flag and the fix", () => {
  for (const bad of ["two", "", " ", "NaN", "Infinity", "-Infinity", "1e999", "3x"]) {
    assertUsage(() => numberFlag("lr", bad), "lr", bad);
    assertUsage(() => integerFlag("epochs", bad), "epochs", bad);
    assertUsage(() => positiveIntegerFlag("seeds", bad), "seeds", bad);
  }
  assert.throws(() => integerFlag("epochs", "two"), /--epochs expects an integer, got "two"/);
  assert.throws(
    () => positiveIntegerFlag("seeds", "0"),
    /--seeds expects a positive integer, got "0"; give a whole number of 1 or more/,
  );
});

Deno.test("choiceFlag accepts exactly the choices and lists them on anything else", () => {
  const rng = new Rng(32);
  for (let t = 0; t < 30; t++) {
    const choices = Array.from({ length: 1 + rng.int(5) }, (_, i) => `c${i}-${rng.int(100)}`);
    for (const c of choices) assert.equal(choiceFlag("profile", c, choices), c);
    const other = `z${rng.int(1000)}`;
    assert.throws(
      () => choiceFlag("profile", other, choices),
      (err: Error) =>
        err instanceof UsageError &&
        err.message === `unknown --profile "${other}"; choose one of ${choices.join(", ")}`,
    );
  }
  assert.equal(choiceFlag("profile", undefined, ["a"]), undefined);
  for (const b of BACKEND_REQUESTS) assert.equal(backendFlag(b), b);
  assert.ok(BACKEND_REQUESTS.includes("auto"));
  assert.throws(() => backendFlag("tpu"), /unknown --backend "tpu"; choose one of auto, /);
});

Deno.test("parseCommandLine parses good flags, prints the usage on --help, ends errors with it", () => {
  const config = {
    options: { seeds: { type: "string" }, quiet: { type: "boolean" } },
    allowPositionals: true,
  } as const;
  const printed: string[] = [];
  const print = (t: string) => printed.push(t);
  const cli = parseCommandLine({ ...config, args: ["x", "--seeds", "3", "--quiet"] }, "U", print);
  assert.ok(cli);
  assert.deepEqual({ ...cli.values }, { seeds: "3", quiet: true });
  assert.deepEqual(cli.positionals, ["x"]);
  assert.deepEqual(printed, []);
  for (const help of ["--help", "-h"]) {
    assert.equal(
      parseCommandLine({ ...config, args: ["--seeds", "3", help] }, "U", print),
      undefined,
    );
  }
  assert.deepEqual(printed, ["U", "U"]);
  for (const args of [["--nope"], ["--seeds"]]) {
    assert.throws(
      () => parseCommandLine({ ...config, args }, "usage: tool [--seeds N]", print),
      (err: Error) =>
        err instanceof UsageError && err.message.endsWith("\n\nusage: tool [--seeds N]"),
    );
  }
});

Deno.test("parseCommandLine: a negative number after a value flag reaches the flag's own check", () => {
  const config = {
    options: { epochs: { type: "string" }, lr: { type: "string" }, quiet: { type: "boolean" } },
    allowPositionals: true,
  } as const;
  const cli = parseCommandLine(
    { ...config, args: ["--epochs", "-1", "--lr", "-.5", "--quiet"] },
    "U",
    () => {},
  );
  assert.ok(cli);
  assert.equal(cli.values.epochs, "-1");
  assert.equal(cli.values.lr, "-.5");
  assert.equal(cli.values.quiet, true);
  // A boolean flag takes no value: "-2" after it is still an unknown option.
  assert.throws(
    () => parseCommandLine({ ...config, args: ["--quiet", "-2"] }, "U", () => {}),
    UsageError,
  );
  assert.throws(
    () => positiveIntegerFlag("epochs", cli.values.epochs),
    /--epochs expects a positive integer, got "-1"/,
  );
});
