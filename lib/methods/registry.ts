/**
 * Methods selectable by name (`deno task train --method <name>`). Each
 * method file registers itself with its option schema; `lib/methods/all.ts`
 * imports them all.
 *
 * @module
 */
import type { ExperimentConfig } from "../config/experiment.ts";
import type { ChannelStats } from "../augment/normalize.ts";
import type { Method } from "./method.ts";
import { checkOptionNames, type OptionSchema, schemaDefaults } from "./option_schema.ts";

/** What a method needs to know about the data to build itself. */
export interface MethodContext {
  /** [H,W,C] of the training images. */
  imageShape: [number, number, number];
  /** Per-channel statistics of the training set, for input normalisation. */
  stats: ChannelStats;
  /** Number of classes (for methods with a supervised term). */
  numClasses: number;
}

/** What a method file registers. */
export interface MethodRegistration {
  name: string;
  /** One line for `--list-methods --verbose` and docs. */
  description: string;
  /** The method's options: defaults, validation, `--help` and the README table come from it. */
  options: OptionSchema;
  /** Builds the method; it reads `cfg.methodOptions` against `options` (defaults filled there). */
  build(cfg: ExperimentConfig, ctx: MethodContext): Method;
}

/** A registered method. */
export interface MethodSpec extends MethodRegistration {
  /** Default `methodOptions`, derived from {@link MethodRegistration.options}. */
  readonly defaults: Record<string, unknown>;
}

const methods = new Map<string, MethodSpec>();

/** Adds a method to the registry (later registrations of a name replace earlier ones). */
export function registerMethod(reg: MethodRegistration): void {
  methods.set(reg.name, { ...reg, defaults: schemaDefaults(reg.options) });
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

/**
 * Builds the method named in `cfg`. Unknown option names are refused here;
 * the method fills in its defaults and checks the values (once, from its schema).
 */
export function buildMethod(cfg: ExperimentConfig, ctx: MethodContext): Method {
  const spec = methodSpec(cfg.method);
  checkOptionNames(spec.name, spec.options, cfg.methodOptions);
  return spec.build(cfg, ctx);
}

/**
 * `cfg` with every option of its method written out: the schema's defaults under the given
 * values. Runs are keyed by the hash of this complete config, so changing a method's default
 * changes the key of every run that relied on it (instead of returning a cached result trained
 * with the old default), and each run's config.json states every option it trained with.
 * Unknown option names are refused, as in {@link buildMethod}.
 */
export function withDefaultOptions(cfg: ExperimentConfig): ExperimentConfig {
  const spec = methodSpec(cfg.method);
  checkOptionNames(spec.name, spec.options, cfg.methodOptions);
  return { ...cfg, methodOptions: { ...spec.defaults, ...cfg.methodOptions } };
}
