/**
 * One declarative schema per method for its `methodOptions`: each option's
 * name, type, default, range or choices, a one-line doc and when it applies.
 * From the schema come
 *
 * - the defaults ({@link schemaDefaults}, what the registry lists),
 * - the validation and its error messages ({@link readOptions}: a typed record,
 *   defaults filled in, every value type- and range-checked),
 * - `deno task train --method X --help` ({@link formatOptionHelp}),
 * - the option table of the method's README section ({@link optionTable}).
 *
 * Values may come from JSON configs or from `--option key=value` on the command
 * line (parsed as JSON when possible, else kept as strings), so every option is
 * type-checked as well as range-checked; an error names the method, the option,
 * the value received and how to set a valid one.
 *
 * ```ts
 * const SCHEMA = defineOptions({
 *   temperature: numberOption(0.2, "NT-Xent temperature tau", { above: 0 }),
 *   mask: choiceOption(["none", "token"] as const, "token", "how views are masked"),
 * });
 * const opts = readOptions("my-method", SCHEMA, cfg.methodOptions);
 * opts.mask; // "none" | "token"
 * ```
 *
 * @module
 */
import type { MaskFill } from "../masking/visual_mask.ts";

/** The fill names accepted by {@link fillOption}, each with the library defaults. */
export const FILL_NAMES = ["zero", "noise", "mean", "blur", "constant", "highpass-noise"] as const;

/** Bounds of a numeric option. */
export interface NumberBounds {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Exclusive upper bound. */
  below?: number;
  /** Require an integer. */
  integer?: boolean;
}

/** How an option's value is read. */
export type OptionKind =
  | { kind: "number"; bounds: NumberBounds }
  | { kind: "numberOrAuto"; bounds: NumberBounds }
  | { kind: "boolean" }
  | { kind: "choice"; choices: readonly (string | number)[] }
  | { kind: "fill" }
  | { kind: "unitRange" };

/**
 * One option. `T` is the type of the value after reading (phantom: it only
 * types {@link readOptions}' result).
 */
export interface OptionSpec<T = unknown> {
  /** How the value is read and checked. */
  readonly type: OptionKind;
  /** The JSON default (what `config.json` shows when the option is left out). */
  readonly default: unknown;
  /** One line for `--help` and the README table. */
  readonly doc: string;
  /** When the option has an effect, e.g. `mask = "grid"` (absent: always). */
  readonly appliesWhen?: string;
  /** Never set: carries `T` for the type checker. */
  readonly __value?: T;
}

/** A method's options by name, in the order they are documented. */
export type OptionSchema = Readonly<Record<string, OptionSpec>>;

/** The typed record {@link readOptions} returns for schema `S`. */
export type OptionValues<S extends OptionSchema> = {
  -readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

/** Extra fields of an option: when it applies. */
export interface OptionExtras {
  /** When the option has an effect (shown in help and the README table). */
  appliesWhen?: string;
}

/** Identity that keeps the literal types of a schema (use it to declare one). */
export function defineOptions<S extends OptionSchema>(schema: S): S {
  return schema;
}

/** A finite number within `bounds`. */
export function numberOption(
  def: number,
  doc: string,
  bounds: NumberBounds = {},
  extras: OptionExtras = {},
): OptionSpec<number> {
  return { type: { kind: "number", bounds }, default: def, doc, ...extras };
}

/** The string `"auto"` or a finite number within `bounds`. */
export function numberOrAutoOption(
  def: number | "auto",
  doc: string,
  bounds: NumberBounds = {},
  extras: OptionExtras = {},
): OptionSpec<number | "auto"> {
  return { type: { kind: "numberOrAuto", bounds }, default: def, doc, ...extras };
}

/** `true` or `false` (JSON booleans only; strings such as `"yes"` are refused). */
export function booleanOption(
  def: boolean,
  doc: string,
  extras: OptionExtras = {},
): OptionSpec<boolean> {
  return { type: { kind: "boolean" }, default: def, doc, ...extras };
}

/** One of `choices` (numbers are also matched by their string form, e.g. streams "2"). */
export function choiceOption<const C extends readonly (string | number)[]>(
  choices: C,
  def: C[number],
  doc: string,
  extras: OptionExtras = {},
): OptionSpec<C[number]> {
  return { type: { kind: "choice", choices }, default: def, doc, ...extras };
}

/**
 * A fill for masked pixels (S-MAG F2's N): a name from {@link FILL_NAMES} or a
 * {@link MaskFill} object such as `{"kind":"noise","std":0.5}`.
 */
export function fillOption(
  def: (typeof FILL_NAMES)[number],
  doc: string,
  extras: OptionExtras = {},
): OptionSpec<MaskFill> {
  return { type: { kind: "fill" }, default: def, doc, ...extras };
}

/** A range `[lo, hi]` with `0 <= lo <= hi <= 1` (e.g. a masking-ratio range). */
export function unitRangeOption(
  def: readonly [number, number],
  doc: string,
  extras: OptionExtras = {},
): OptionSpec<[number, number]> {
  return { type: { kind: "unitRange" }, default: def, doc, ...extras };
}

/** The defaults of a schema as JSON values (fresh copies of arrays). */
export function schemaDefaults(schema: OptionSchema): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(schema).map((
      [k, s],
    ) => [k, Array.isArray(s.default) ? [...s.default] : s.default]),
  );
}

function describeBounds(b: NumberBounds): string {
  const parts: string[] = [b.integer ? "an integer" : "a number"];
  if (b.min !== undefined) parts.push(`>= ${b.min}`);
  if (b.above !== undefined) parts.push(`> ${b.above}`);
  if (b.max !== undefined) parts.push(`<= ${b.max}`);
  if (b.below !== undefined) parts.push(`< ${b.below}`);
  return parts.join(" ");
}

/** What values an option accepts, in words (error messages, help, README). */
export function describeOption(type: OptionKind): string {
  switch (type.kind) {
    case "number":
      return describeBounds(type.bounds);
    case "numberOrAuto":
      return `"auto" or ${describeBounds(type.bounds)}`;
    case "boolean":
      return "true or false";
    case "choice":
      return `one of ${type.choices.map((c) => `"${c}"`).join(", ")}`;
    case "fill":
      return `one of ${FILL_NAMES.join(", ")} or an object such as {"kind":"noise","std":0.5}`;
    case "unitRange":
      return "[lo, hi] with 0 <= lo <= hi <= 1";
  }
}

/**
 * The error for an option value that cannot be used: names the method, the
 * option, the value received and how to set one. Methods use it for checks a
 * schema cannot state (bounds that depend on the image size or the batch).
 */
export function optionError(method: string, name: string, value: unknown, expected: string): Error {
  return new Error(
    `${method}: option "${name}" must be ${expected}, got ${JSON.stringify(value)}; set it ` +
      `with --option ${name}=<value> (or methodOptions.${name} in the config)`,
  );
}

function inBounds(v: unknown, b: NumberBounds): v is number {
  return typeof v === "number" && Number.isFinite(v) &&
    (!b.integer || Number.isInteger(v)) &&
    (b.min === undefined || v >= b.min) &&
    (b.above === undefined || v > b.above) &&
    (b.max === undefined || v <= b.max) &&
    (b.below === undefined || v < b.below);
}

function readFill(v: unknown, fail: (expected: string) => never): MaskFill {
  const kind = typeof v === "string"
    ? v
    : (v !== null && typeof v === "object" ? (v as { kind?: unknown }).kind : undefined);
  if (typeof kind !== "string" || !(FILL_NAMES as readonly string[]).includes(kind)) {
    fail(describeOption({ kind: "fill" }));
  }
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    for (const field of ["std", "value", "kernel", "sigma"]) {
      if (field in o && !(typeof o[field] === "number" && Number.isFinite(o[field]))) {
        fail(`a fill whose "${field}" is a finite number`);
      }
    }
    if (kind === "noise" && typeof o.std !== "number") {
      fail(`a noise fill with a "std" field, e.g. {"kind":"noise","std":1}`);
    }
    if (kind === "constant" && typeof o.value !== "number") {
      fail(`a constant fill with a "value" field, e.g. {"kind":"constant","value":0}`);
    }
    return v as MaskFill;
  }
  switch (kind) {
    case "noise":
      return { kind: "noise", std: 1 };
    case "constant":
      return { kind: "constant", value: 0 };
    default:
      return { kind } as MaskFill;
  }
}

/** Reads one value of `spec` (already defaulted); throws {@link optionError} when invalid. */
export function readOption(method: string, name: string, spec: OptionSpec, v: unknown): unknown {
  const fail = (expected: string): never => {
    throw optionError(method, name, v, expected);
  };
  const type = spec.type;
  switch (type.kind) {
    case "number":
      return inBounds(v, type.bounds) ? v : fail(describeOption(type));
    case "numberOrAuto":
      return v === "auto" || inBounds(v, type.bounds) ? v : fail(describeOption(type));
    case "boolean":
      return typeof v === "boolean" ? v : fail(describeOption(type));
    case "choice": {
      const hit = type.choices.find((c) => c === v || String(c) === String(v));
      return hit === undefined ? fail(describeOption(type)) : hit;
    }
    case "fill":
      return readFill(v, fail);
    case "unitRange": {
      const ok = Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number") &&
        0 <= v[0] && v[0] <= v[1] && v[1] <= 1;
      return ok ? [v[0], v[1]] : fail(describeOption(type));
    }
  }
}

/** Throws naming the unknown keys of `options` and the schema's options. */
export function checkOptionNames(
  method: string,
  schema: OptionSchema,
  options: Record<string, unknown>,
): void {
  const unknown = Object.keys(options).filter((k) => !(k in schema));
  if (unknown.length > 0) {
    throw new Error(
      `method "${method}" has no option(s) ${unknown.join(", ")}; its options are: ` +
        `${Object.keys(schema).join(", ") || "(none)"} (remove the --option or fix its name; ` +
        `deno task train --method ${method} --help lists them)`,
    );
  }
}

/**
 * Reads `options` against `schema`: unknown names are refused, missing options
 * take their defaults, and every value is checked (see module docs).
 *
 * @param method the method's registry name (used in error messages).
 */
export function readOptions<S extends OptionSchema>(
  method: string,
  schema: S,
  options: Record<string, unknown>,
): OptionValues<S> {
  checkOptionNames(method, schema, options);
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    const v = name in options && options[name] !== undefined ? options[name] : spec.default;
    out[name] = readOption(method, name, spec, v);
  }
  return out as OptionValues<S>;
}

/** `--help` text of a method's options: one entry per option with its values and default. */
export function formatOptionHelp(method: string, schema: OptionSchema): string {
  const lines = [`Options of ${method} (--option key=value, or methodOptions in a config):`, ""];
  for (const [name, spec] of Object.entries(schema)) {
    lines.push(`  ${name} = ${JSON.stringify(spec.default)}`);
    lines.push(`      ${spec.doc}`);
    lines.push(`      values: ${describeOption(spec.type)}`);
    if (spec.appliesWhen) lines.push(`      applies when: ${spec.appliesWhen}`);
  }
  return lines.join("\n");
}

/** The option table of a method as Markdown (for its README section or module doc). */
export function optionTable(schema: OptionSchema): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  const rows = Object.entries(schema).map(([name, s]) =>
    `| \`${name}\` | \`${esc(JSON.stringify(s.default))}\` | ${esc(describeOption(s.type))} | ` +
    `${esc(s.doc)}${s.appliesWhen ? ` (when ${esc(s.appliesWhen)})` : ""} |`
  );
  return ["| option | default | values | what |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
