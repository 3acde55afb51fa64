/**
 * Reading and validating a method's `methodOptions` (after the registry has
 * merged in the method's defaults). Values may come from JSON configs or from
 * `--option key=value` on the command line (parsed as JSON when possible,
 * else kept as strings), so every reader checks the type as well as the range
 * and throws an Error naming the method, the option, the value received and
 * how to set a valid one.
 *
 * @module
 */
import type { MaskFill } from "../masking/visual_mask.ts";

/** The fill names accepted by {@link OptionReader.fill} and their defaults. */
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

function describeBounds(b: NumberBounds): string {
  const parts: string[] = [b.integer ? "an integer" : "a number"];
  if (b.min !== undefined) parts.push(`>= ${b.min}`);
  if (b.above !== undefined) parts.push(`> ${b.above}`);
  if (b.max !== undefined) parts.push(`<= ${b.max}`);
  if (b.below !== undefined) parts.push(`< ${b.below}`);
  return parts.join(" ");
}

/** Typed, validated access to one method's options. */
export class OptionReader {
  /**
   * @param method the method's registry name (used in error messages).
   * @param options the merged options (`cfg.methodOptions` inside `build`).
   */
  constructor(readonly method: string, readonly options: Record<string, unknown>) {}

  #fail(name: string, expected: string): never {
    throw new Error(
      `${this.method}: option "${name}" must be ${expected}, got ` +
        `${JSON.stringify(this.options[name])}; set it with --option ${name}=<value> ` +
        `(or methodOptions.${name} in the config)`,
    );
  }

  /** A finite number within `bounds`. */
  number(name: string, bounds: NumberBounds = {}): number {
    const v = this.options[name];
    const ok = typeof v === "number" && Number.isFinite(v) &&
      (!bounds.integer || Number.isInteger(v)) &&
      (bounds.min === undefined || v >= bounds.min) &&
      (bounds.above === undefined || v > bounds.above) &&
      (bounds.max === undefined || v <= bounds.max) &&
      (bounds.below === undefined || v < bounds.below);
    if (!ok) this.#fail(name, describeBounds(bounds));
    return v as number;
  }

  /** The string `"auto"` or a number within `bounds`. */
  numberOrAuto(name: string, bounds: NumberBounds = {}): number | "auto" {
    if (this.options[name] === "auto") return "auto";
    const v = this.options[name];
    if (typeof v !== "number") this.#fail(name, `"auto" or ${describeBounds(bounds)}`);
    return this.number(name, bounds);
  }

  /** `true` or `false` (JSON booleans only; strings such as `"yes"` are refused). */
  boolean(name: string): boolean {
    const v = this.options[name];
    if (typeof v !== "boolean") this.#fail(name, "true or false");
    return v;
  }

  /** One of `choices` (strings; numbers are matched by their string form, e.g. streams 2). */
  choice<T extends string | number>(name: string, choices: readonly T[]): T {
    const v = this.options[name];
    const hit = choices.find((c) => c === v || String(c) === String(v));
    if (hit === undefined) this.#fail(name, `one of ${choices.map((c) => `"${c}"`).join(", ")}`);
    return hit;
  }

  /**
   * A fill for the masked pixels (S-MAG F2's N): either a name from
   * {@link FILL_NAMES} with the library defaults (noise std 1 in normalised
   * units, constant 0, blur kernel 31 sigma 10, high-pass 11/5 with noise 0.18),
   * or a full {@link MaskFill} object, e.g. `{"kind":"noise","std":0.5}`.
   */
  fill(name: string): MaskFill {
    const v = this.options[name];
    const kind = typeof v === "string"
      ? v
      : (v !== null && typeof v === "object" ? (v as { kind?: unknown }).kind : undefined);
    if (typeof kind !== "string" || !(FILL_NAMES as readonly string[]).includes(kind)) {
      this.#fail(
        name,
        `one of ${FILL_NAMES.join(", ")} or an object such as {"kind":"noise","std":0.5}`,
      );
    }
    if (typeof v === "object") {
      const o = v as Record<string, unknown>;
      for (const field of ["std", "value", "kernel", "sigma"]) {
        if (field in o && !(typeof o[field] === "number" && Number.isFinite(o[field]))) {
          this.#fail(name, `a fill whose "${field}" is a finite number`);
        }
      }
      if (kind === "noise" && typeof o.std !== "number") {
        this.#fail(name, `a noise fill with a "std" field, e.g. {"kind":"noise","std":1}`);
      }
      if (kind === "constant" && typeof o.value !== "number") {
        this.#fail(
          name,
          `a constant fill with a "value" field, e.g. {"kind":"constant","value":0}`,
        );
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
}
