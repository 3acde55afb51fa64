import assert from "node:assert/strict";
import { OptionReader } from "./method_options.ts";

Deno.test("OptionReader: numbers are type- and range-checked with a fix in the message", () => {
  const r = new OptionReader("m", { a: 0.5, b: "0.5", c: 3, d: 2.5, e: "auto" });
  assert.equal(r.number("a", { min: 0, below: 1 }), 0.5);
  assert.throws(
    () => r.number("b"),
    /m: option "b" must be a number, got "0.5"; set it with --option b=/,
  );
  assert.throws(() => r.number("a", { above: 0.5 }), /must be a number > 0.5/);
  assert.equal(r.number("c", { integer: true, max: 3 }), 3);
  assert.throws(() => r.number("d", { integer: true }), /must be an integer/);
  assert.equal(r.numberOrAuto("e"), "auto");
  assert.equal(r.numberOrAuto("c"), 3);
  assert.throws(() => r.numberOrAuto("b"), /must be "auto" or a number/);
});

Deno.test("OptionReader: booleans must be JSON true or false, not look-alikes", () => {
  const r = new OptionReader("m", { t: true, f: false, s: "true", n: 1, z: null });
  assert.equal(r.boolean("t"), true);
  assert.equal(r.boolean("f"), false);
  for (const name of ["s", "n", "z", "missing"]) {
    assert.throws(
      () => r.boolean(name),
      new RegExp(`m: option "${name}" must be true or false, got .*--option ${name}=`),
    );
  }
});

Deno.test("OptionReader: choices match by value or string form", () => {
  const r = new OptionReader("m", { s: 3, t: "2", u: "x" });
  assert.equal(r.choice("s", [2, 3] as const), 3);
  assert.equal(r.choice("t", [2, 3] as const), 2);
  assert.throws(() => r.choice("u", ["a", "b"] as const), /option "u" must be one of "a", "b"/);
});

Deno.test("OptionReader: fills by name get defaults; objects are checked", () => {
  const r = new OptionReader("m", {
    z: "zero",
    n: "noise",
    o: { kind: "noise", std: 0.3 },
    bad: { kind: "noise" },
    worse: { kind: "constant", value: "1" },
    x: "paint",
  });
  assert.deepEqual(r.fill("z"), { kind: "zero" });
  assert.deepEqual(r.fill("n"), { kind: "noise", std: 1 });
  assert.deepEqual(r.fill("o"), { kind: "noise", std: 0.3 });
  assert.throws(() => r.fill("bad"), /noise fill with a "std" field/);
  assert.throws(() => r.fill("worse"), /"value" is a finite number/);
  assert.throws(() => r.fill("x"), /must be one of zero, noise, mean, blur, constant/);
});
