/**
 * Methods selectable by name (`deno task train --method <name>`). Each
 * method file registers itself; `lib/methods/all.ts` imports them all.
 *
 * @module
 */
import type { ExperimentConfig } from "../config/experiment.ts";
import type { ChannelStats } from "../augment/normalize.ts";
import type { Method } from "./method.ts";

/** What a method needs to know about the data to build itself. */
export interface MethodContext {
  /** [H,W,C] of the training images. */
  imageShape: [number, number, number];
  /** Per-channel statistics of the training set, for input normalisation. */
  stats: ChannelStats;
  /** Number of classes (for methods with a supervised term). */
  numClasses: number;
}

/** A registered method. */
export interface MethodSpec {
  name: string;
  /** One line for `--list-methods --verbose` and docs. */
  description: string;
  /** Default `methodOptions` (documented per field in the method's file). */
  defaults: Record<string, unknown>;
  build(cfg: ExperimentConfig, ctx: MethodContext): Method;
}

const methods = new Map<string, MethodSpec>();

/** Adds a method to the registry (later registrations of a name replace earlier ones). */
export function registerMethod(spec: MethodSpec): void {
  methods.set(spec.name, spec);
}

/** Registered methods in registration order. */
export function listMethods(): MethodSpec[] {
  return [...methods.values()];
}

/** The spec of `name`; throws listing the known names when it is unknown. */
export function methodSpec(name: string): MethodSpec {
  const spec = methods.get(name);
  if (!spec) {
    throw new Error(
      `unknown method "${name}"; known methods: ${[...methods.keys()].join(", ")} ` +
        `(deno task train --list-methods)`,
    );
  }
  return spec;
}

/** Builds the method named in `cfg`, with its defaults under `cfg.methodOptions`. */
export function buildMethod(cfg: ExperimentConfig, ctx: MethodContext): Method {
  const spec = methodSpec(cfg.method);
  const options = { ...spec.defaults, ...cfg.methodOptions };
  const unknown = Object.keys(cfg.methodOptions).filter((k) => !(k in spec.defaults));
  if (unknown.length > 0) {
    throw new Error(
      `method "${spec.name}" has no option(s) ${unknown.join(", ")}; ` +
        `its options are: ${Object.keys(spec.defaults).join(", ") || "(none)"}`,
    );
  }
  return spec.build({ ...cfg, methodOptions: options }, ctx);
}
