/**
 * The shared report of the ablation notebooks (01-04): everything they have
 * in common, so that each notebook holds only what is specific to its
 * question.
 *
 * ```ts
 * // first code cell: the visible profile switch
 * const PROFILE = Deno.env.get("KIT_PROFILE") ?? "10k-15ep";
 * const nb = await ablationNotebook("smag-mask", PROFILE); // prints one line
 * // next cell: train or read back every arm x seed, with one progress display
 * const r = await nb.run();
 * await r.showSummary();
 * await r.showComparisons([r.compare("token-mask", "no-mask")], "With minus without masks");
 * await r.show(fig, "knn_vs_progress");
 * await showMarkdown(r.caveat() + r.verdict(r.compare("token-mask", "no-mask")));
 * ```
 *
 * The opening line reads e.g. `smag-mask · profile 10k-15ep · CIFAR-10 (JPEG
 * copy), 10,000 train / 10,000 test · 2 arms x 3 seeds · backend native (2
 * threads)`. Tables and figures state what their intervals are (mean and 95%
 * Student-t interval over seeds), and every verdict says whether the interval
 * of a difference excludes zero; conclusions are computed, never typed in.
 *
 * @module
 */
import { join } from "node:path";
import { getAblation } from "../ablation/ablations.ts";
import { type ArmComparison, compareArms } from "../ablation/compare.ts";
import { type AblationOutcome, armConfig, runAblation } from "../ablation/runner.ts";
import type { AblationRow } from "../ablation/row.ts";
import { type AblationSpec, EVIDENCE_PROFILE } from "../ablation/spec.ts";
import { DATASET_LABELS } from "../ablation/figures.ts";
import { initBackend } from "../backend/select.ts";
import type { ExperimentConfig } from "../config/experiment.ts";
import type { Figure } from "../plot/figure.ts";
import { meanConfidenceInterval, type MeanInterval } from "../stats/t_interval.ts";
import { ablationOutDir } from "./ablation_results.ts";
import { ablationProgress, partialFromEnv } from "./ablation_runs.ts";
import { show, showTable, showText } from "./display.ts";
import { chooseProfile, type Profile } from "./profile.ts";
import type { TableRow } from "./table.ts";
import { metricHeading } from "../ablation/metric_labels.ts";

/** What the interval columns and error marks of every table and figure are. */
export const INTERVAL_MEANING = "mean and 95% Student-t interval over seeds";

/** `1234` -> "1,234". */
function thousands(n: number): string {
  return n.toLocaleString("en-US");
}

/** "- (1 seed)" or "[low, high]" with 2 decimals. */
export function intervalText(low: number | null, high: number | null): string {
  return low === null || high === null || !Number.isFinite(low) || !Number.isFinite(high)
    ? "- (1 seed)"
    : `[${low.toFixed(2)}, ${high.toFixed(2)}]`;
}

/** What {@link randomInitGain} returns: the paired gain over random init and its sentence. */
export interface RandomInitGain {
  /** Mean and 95% Student-t interval of the per-seed gains (points). */
  gain: MeanInterval;
  /** True when the interval lies above zero. */
  learns: boolean;
  /** "+9.76 points [+8.03, +11.48] over 3 seeds -> learns (interval above 0)". */
  text: string;
}

/**
 * Linear top-1 of arm `arm` minus the same encoder's at random initialisation
 * (`randomInitLinearTop1`, same seed), over the arm's runs in `rows`: does the arm learn?
 */
export function randomInitGain(rows: readonly AblationRow[], arm: string): RandomInitGain {
  const gains = rows.filter((r) => r.arm === arm)
    .map((r) => r.metrics.linearTop1! - r.metrics.randomInitLinearTop1!);
  const gain = meanConfidenceInterval(gains);
  const sign = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(2)}`;
  const hasInterval = Number.isFinite(gain.low);
  const learns = hasInterval && gain.low > 0;
  const interval = hasInterval ? ` [${sign(gain.low)}, ${sign(gain.high)}]` : " (no interval)";
  return {
    gain,
    learns,
    text: `${sign(gain.mean)} points${interval} over ${gains.length} seeds -> ${
      learns ? "learns (interval above 0)" : "no gain over random init shown"
    }`,
  };
}

/** A readable name of dataset `name` (e.g. "CIFAR-10 (JPEG copy)"). */
export function datasetLabel(name: string): string {
  return DATASET_LABELS[name] ?? name;
}

/**
 * The one-line opening of a notebook: profile, data, backend (and `extra`
 * parts), joined with " · ". Initialises the compute backend to name it.
 */
export async function openingLine(
  profile: Profile,
  data: { dataset: string; trainSize?: number; testSize?: number },
  extra: readonly string[] = [],
): Promise<string> {
  const backend = await initBackend({});
  const sizes = data.trainSize
    ? `, ${thousands(data.trainSize)} train / ${thousands(data.testSize ?? 0)} test`
    : "";
  const threads = backend.threads > 0 ? ` (${backend.threads} threads)` : "";
  return [
    `profile ${profile}`,
    `${datasetLabel(data.dataset)}${sizes}`,
    ...extra,
    `backend ${backend.name}${threads}`,
  ].join(" · ");
}

/** An ablation notebook before its runs: what {@link ablationNotebook} returns. */
export interface AblationNotebook {
  profile: Profile;
  spec: AblationSpec;
  /** Seeds per arm (2 on `tiny`, the spec's own otherwise). */
  seeds: number;
  /** Where tables, runs and figures go ({@link ablationOutDir}). */
  outDir: string;
  figureDir: string;
  /** The config of the first arm's seed 0 on this profile (sizes, schedule). */
  config: ExperimentConfig;
  /**
   * Trains what is missing (cached by config hash) under one progress display;
   * with env `KIT_NOTEBOOK_PARTIAL=1` (`deno task notebooks --partial`) trains
   * nothing and reports the runs finished so far, labelled PARTIAL.
   */
  run(): Promise<AblationReport>;
}

/**
 * Opens ablation `name` on the profile chosen in the notebook (`choice`,
 * checked by `chooseProfile`) and shows the one-line opening.
 */
export async function ablationNotebook(name: string, choice: string): Promise<AblationNotebook> {
  const profile = chooseProfile(choice);
  const spec = await getAblation(name);
  const seeds = profile === "tiny" ? 2 : spec.seeds;
  const outDir = ablationOutDir(spec.name, profile);
  const config = armConfig(spec, spec.arms[0].name, 0, profile);
  const line = await openingLine(profile, config.data, [
    `${spec.name}: ${spec.arms.length} arms x ${seeds} seeds`,
  ]);
  await showText(line);
  return {
    profile,
    spec,
    seeds,
    outDir,
    figureDir: join(outDir, "figures"),
    config,
    run: async () => {
      const bar = ablationProgress(`${spec.name} (${profile})`, spec.arms.length * seeds);
      const partial = partialFromEnv();
      const out = await runAblation(spec, {
        profile,
        seeds,
        outDir,
        partial,
        log: bar.log,
        runLog: bar.runLog,
        progress: bar.progress,
      });
      await bar.finish();
      const report = new AblationReport(profile, spec, seeds, out);
      await showText(
        `${out.trained.length} runs trained, ${out.cached.length} read from the cache ` +
          `(${out.seconds.toFixed(1)} s); results in ${outDir}`,
      );
      return report;
    },
  };
}

/** The finished runs of an ablation and the tables, figures and sentences built from them. */
export class AblationReport {
  /** Figures are saved here as JSON for `deno task figures`. */
  readonly figureDir: string;
  /** True when any run trained on synthetic data. */
  readonly synthetic: boolean;

  /** A report of outcome `out` of `spec` on `profile` with `seeds` seeds. */
  constructor(
    readonly profile: Profile,
    readonly spec: AblationSpec,
    readonly seeds: number,
    readonly out: AblationOutcome,
  ) {
    this.figureDir = join(out.outDir, "figures");
    this.synthetic = out.rows.some((r) => r.synthetic);
  }

  /** The readable label of an arm. */
  labelOf(arm: string): string {
    const a = this.spec.arms.find((x) => x.name === arm);
    if (!a) {
      throw new Error(
        `${this.spec.name} has no arm "${arm}"; arms: ${this.spec.arms.map((x) => x.name)}`,
      );
    }
    return a.label;
  }

  /** Finite values of `metric` of arm `arm`, one per seed. */
  valuesOf(arm: string, metric: string): number[] {
    return this.out.rows.filter((r) => r.arm === arm)
      .map((r) => r.metrics[metric])
      .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  }

  /** Mean and 95% t-interval of `metric` over the seeds of `arm`. */
  stats(arm: string, metric: string): MeanInterval {
    return meanConfidenceInterval(this.valuesOf(arm, metric));
  }

  /** Arm `a` minus arm `b` on `metric` (paired by seed), with its 95% interval. */
  compare(a: string, b: string, metric = "linearTop1"): ArmComparison {
    return compareArms(this.out.rows, a, b, metric);
  }

  /** The data the runs trained on, readable ("CIFAR-10 (JPEG copy)", synthetic marked). */
  dataText(): string {
    const name = this.out.rows[0]?.dataset ?? this.out.runs[0].config.data.dataset;
    return `${datasetLabel(name)}${this.synthetic ? ", SYNTHETIC data" : ""}`;
  }

  /** Shows the summary table: per arm and metric, n, mean, std and 95% interval. */
  async showSummary(metrics: readonly string[] = this.spec.metrics): Promise<void> {
    await showTable(
      this.out.summary.filter((s) => metrics.includes(s.metric)).map((s) => ({
        arm: s.label,
        metric: metricHeading(s.metric),
        n: s.seeds,
        mean: s.mean,
        std: s.std,
        "95% CI": intervalText(s.ci_low, s.ci_high),
      })),
      {
        caption: `${this.spec.title} (${this.profile} profile, ${this.dataText()}): ` +
          `${INTERVAL_MEANING} (std: sample standard deviation)`,
      },
    );
  }

  /**
   * Table rows of comparisons: difference, 95% interval, test, whether it excludes 0, and the
   * minimal detectable difference (80% power; "-" with fewer than 2 seeds or no spread).
   */
  comparisonRows(cs: readonly ArmComparison[]): TableRow[] {
    return cs.map((c) => ({
      comparison: `${this.labelOf(c.a)} minus ${this.labelOf(c.b)}`,
      metric: metricHeading(c.metric),
      difference: c.diff,
      "95% CI": intervalText(c.low, c.high),
      test: c.method === "paired" ? `paired t, ${c.nA} seeds` : `Welch t, ${c.nA} vs ${c.nB}`,
      "excludes 0": c.evidence === "no-spread" ? "no spread" : c.excludesZero ? "yes" : "no",
      "MDE (80% power)": Number.isFinite(c.mde) ? c.mde : "-",
    }));
  }

  /** Shows comparisons as a table under `caption` (the interval meaning is appended). */
  async showComparisons(
    cs: readonly ArmComparison[],
    caption: string,
    extra: (c: ArmComparison, i: number) => TableRow = () => ({}),
  ): Promise<void> {
    const rows = this.comparisonRows(cs).map((r, i) => ({ ...extra(cs[i], i), ...r }));
    await showTable(rows, {
      caption: `${caption}: difference of means in points, 95% Student-t interval of the ` +
        `difference (paired by seed), and the smallest true difference these seeds detect ` +
        `with 80% power (MDE)`,
    });
  }

  /** Shows `fig` and saves it as `<figureDir>/<name>.json` for `deno task figures`. */
  async show(fig: Figure, name: string): Promise<void> {
    await show(fig, { save: { dir: this.figureDir, name } });
  }

  /** The sentence every conclusion starts with: what these numbers can and cannot say. */
  caveat(): string {
    const p = this.out.partial;
    const partial = p
      ? `**PARTIAL: ${p.finished} of ${p.planned} planned runs finished (seeds per arm: ${
        Object.entries(p.seedsPerArm).map(([a, n]) => `${a} ${n}`).join(", ")
      }); arms with one seed have no interval, so no claim can be made from them yet.** `
      : "";
    return partial + this.scaleCaveat();
  }

  /** The caveat of the profile and data alone (see {@link caveat}). */
  private scaleCaveat(): string {
    const cfg = this.out.runs[0].config;
    if (this.synthetic) {
      return "**These numbers come from the synthetic dataset on the `" + this.profile +
        "` profile: they are meaningless for the question (a check that the pipeline runs end " +
        "to end, accuracies near chance); run the `10k-15ep` or `paper` profile for evidence.** ";
    }
    const scale = `${datasetLabel(cfg.data.dataset)}, ` +
      `${thousands(cfg.data.trainSize ?? 0)} training images, ${cfg.optim.epochs} epochs, ` +
      `${this.seeds} seeds`;
    if (this.profile === "quick") {
      return `**Quick profile** (${scale}): a smoke test with barely trained encoders, far ` +
        "from the paper's 500-epoch regime; not evidence either way. ";
    }
    if (this.profile === EVIDENCE_PROFILE) {
      return `**${this.profile} profile** (${scale}): encoders trained for about 1/50 of the ` +
        "paper's budget, so an effect that needs the paper's scale may not show here; the " +
        "`mde` column says how large a difference these seeds could detect. ";
    }
    return `**${this.profile} profile**, ${this.seeds} seeds. `;
  }

  /** "A is higher than B by d points (means; 95% CI of the difference; what it says)". */
  verdict(c: ArmComparison, unit = "points"): string {
    const dir = c.diff > 0 ? "higher" : c.diff < 0 ? "lower" : "equal";
    const ci = Number.isFinite(c.low)
      ? `95% CI of the difference [${c.low.toFixed(2)}, ${c.high.toFixed(2)}], ${c.method} t`
      : "no interval: fewer than 2 seeds";
    const sig = !Number.isFinite(c.low)
      ? "so no claim can be made"
      : c.evidence === "no-spread"
      ? "every seed gave the same difference, so the zero-width interval cannot tell"
      : c.excludesZero
      ? "the interval excludes zero"
      : Number.isFinite(c.mde)
      ? `the interval includes zero: no difference larger than ${c.mde.toFixed(2)} ${unit} ` +
        `is detectable with these ${c.nA === c.nB ? c.nA : `${c.nA} vs ${c.nB}`} seeds ` +
        "(MDE at 80% power)"
      : "the interval includes zero, so the difference is not detectable with these seeds";
    const how = dir === "equal" ? "equals" : `is ${dir} than`;
    const by = dir === "equal" ? "" : ` by ${Math.abs(c.diff).toFixed(2)} ${unit}`;
    return `${this.labelOf(c.a)} ${how} ${this.labelOf(c.b)}${by} ` +
      `(${c.meanA.toFixed(2)} vs ${c.meanB.toFixed(2)}; ${ci}; ${sig})`;
  }

  /** The arm with the highest mean of `metric`, with that mean. */
  best(metric = "linearTop1"): { arm: string; mean: number } {
    return this.spec.arms
      .map((a) => ({ arm: a.name, mean: this.stats(a.name, metric).mean }))
      .sort((x, y) => y.mean - x.mean)[0];
  }
}
