import assert from "node:assert/strict";
import {
  booleanOption,
  choiceOption,
  defineOptions,
  fillOption,
  formatOptionHelp,
  numberOption,
  numberOrAutoOption,
  optionTable,
  readOptions,
  schemaDefaults,
  unitRangeOption,
} from "./option_schema.ts";
import { listMethods } from "./all.ts";

const SCHEMA = defineOptions({
  tau: numberOption(0.5, "temperature", { above: 0 }),
  n: numberOption(3, "count", { integer: true, min: 1, max: 8 }),
  size: numberOrAutoOption("auto", "side", { integer: true, min: 1 }, { appliesWhen: "m = a" }),
  on: booleanOption(true, "switch"),
  m: choiceOption(["a", "b"] as const, "a", "mode"),
  s: choiceOption([2, 3] as const, 2, "streams"),
  fill: fillOption("zero", "fill"),
  r: unitRangeOption([0.1, 0.2], "range"),
});

Deno.test("readOptions: defaults fill missing options, values keep their type", () => {
  const o = readOptions("m", SCHEMA, {});
  assert.deepEqual(o, {
    tau: 0.5,
    n: 3,
    size: "auto",
    on: true,
    m: "a",
    s: 2,
    fill: { kind: "zero" },
    r: [0.1, 0.2],
  });
  assert.deepEqual(schemaDefaults(SCHEMA).fill, "zero");
  const p = readOptions("m", SCHEMA, { size: 4, s: "3", fill: "noise", m: "b", r: [0, 1] });
  assert.equal(p.size, 4);
  assert.equal(p.s, 3); // numbers are matched by their string form too
  assert.deepEqual(p.fill, { kind: "noise", std: 1 });
  assert.equal(p.m, "b");
  assert.deepEqual(p.r, [0, 1]);
});

Deno.test("readOptions: numbers are type- and range-checked with the fix in the message", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ tau: 0 }, /^Error: m: option "tau" must be a number > 0, got 0; set it with --option tau=/],
    [{ tau: "0.5" }, /"tau" must be a number > 0, got "0.5"/],
    [{ tau: Infinity }, /"tau" must be a number > 0/],
    [{ n: 2.5 }, /"n" must be an integer >= 1 <= 8, got 2.5/],
    [{ n: 9 }, /"n" must be an integer >= 1 <= 8/],
    [{ size: "big" }, /"size" must be "auto" or an integer >= 1/],
    [{ on: "true" }, /"on" must be true or false/],
    [{ on: 1 }, /"on" must be true or false/],
    [{ m: "c" }, /"m" must be one of "a", "b", got "c"/],
    [{ s: 4 }, /"s" must be one of "2", "3"/],
    [{ r: [0.3, 0.1] }, /"r" must be \[lo, hi\] with 0 <= lo <= hi <= 1/],
    [{ r: 0.5 }, /"r" must be \[lo, hi\]/],
    [{ fill: "x" }, /"fill" must be one of zero, noise, mean, blur, constant/],
    [{ fill: { kind: "noise" } }, /noise fill with a "std" field/],
    [{ fill: { kind: "constant", value: "1" } }, /"value" is a finite number/],
    [{ other: 1 }, /method "m" has no option\(s\) other; its options are: tau, n, size/],
  ];
  for (const [opts, re] of cases) assert.throws(() => readOptions("m", SCHEMA, opts), re);
  assert.deepEqual(readOptions("m", SCHEMA, { fill: { kind: "noise", std: 0.5 } }).fill, {
    kind: "noise",
    std: 0.5,
  });
});

Deno.test("help and README table list every option with its default, values and scope", () => {
  const help = formatOptionHelp("m", SCHEMA);
  for (const name of Object.keys(SCHEMA)) assert.match(help, new RegExp(`^  ${name} = `, "m"));
  assert.match(
    help,
    /size = "auto"\n {6}side\n {6}values: "auto" or an integer >= 1\n {6}applies when: m = a/,
  );
  const table = optionTable(SCHEMA).split("\n");
  assert.equal(table.length, 2 + Object.keys(SCHEMA).length);
  assert.equal(table[2], "| `tau` | `0.5` | a number > 0 | temperature |");
  assert.match(table[4], /\| side \(when m = a\) \|$/);
});

Deno.test("every registered method's defaults pass its own schema", () => {
  for (const spec of listMethods()) {
    assert.ok(Object.keys(spec.options).length > 0, spec.name);
    const read = readOptions(spec.name, spec.options, spec.defaults);
    assert.deepEqual(Object.keys(read), Object.keys(spec.defaults), spec.name);
    for (const [k, s] of Object.entries(spec.options)) {
      assert.ok(s.doc.length > 0, `${spec.name}.${k}`);
    }
  }
});
