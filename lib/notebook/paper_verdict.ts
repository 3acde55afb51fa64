/**
 * What our measurement of a contrast can say about a paper's claim, computed
 * from the numbers (notebook 08). Rules, for `diff = ours a - b` with its 95%
 * confidence interval over seeds:
 *
 * | claim kind        | CI excludes 0, same sign as paper | CI excludes 0, opposite sign | CI includes 0 |
 * | ----------------- | --------------------------------- | ---------------------------- | ------------- |
 * | `difference`      | "direction agrees"                | "direction disagrees"        | "CI includes 0" (sign of the mean noted) |
 * | `no-difference`   | "disagrees: difference detected"  | (same)                       | "agrees" when the interval lies within +-{@link EQUIVALENCE_MARGIN}, else "CI includes 0" |
 * | `no-paper-number` | reports our sign only             |                              | "CI includes 0" |
 *
 * Without an interval (fewer than 2 seeds) or with a zero-width one (no
 * spread over seeds; `ArmComparison.evidence` says which, the one definition
 * shared with the ablation tables) the verdict says so; without a run,
 * "not run yet". Synthetic data or the tiny profile add "meaningless" to
 * every verdict.
 *
 * @module
 */
import type { ArmComparison } from "../ablation/compare.ts";
import type { ClaimKind } from "./paper_numbers.ts";

/**
 * A "no difference" claim agrees only when the whole 95% interval of our
 * difference lies within this many points of zero (the resolution the
 * ablations are sized for); a wider interval that includes zero is no
 * evidence of equivalence.
 */
export const EQUIVALENCE_MARGIN = 1.5;

/** Machine-readable outcome of {@link judgeClaim}. */
export type VerdictStatus =
  | "agrees"
  | "disagrees"
  | "ci-includes-0"
  | "no-interval"
  | "not-run"
  | "not-comparable";

/** A verdict: a status and one sentence. */
export interface Verdict {
  status: VerdictStatus;
  text: string;
}

/** Context of a measurement: whether its numbers can mean anything. */
export interface MeasurementContext {
  profile: string;
  synthetic: boolean;
}

const f = (v: number) => (v >= 0 ? "+" : "") + v.toFixed(2);

function caveat(ctx?: MeasurementContext): string {
  if (!ctx) return "";
  if (ctx.synthetic || ctx.profile === "tiny") {
    return ` [${ctx.profile}${
      ctx.synthetic ? ", synthetic data" : ""
    }: the numbers are meaningless; they only show the pipeline runs]`;
  }
  return "";
}

/**
 * Judges our comparison `cmp` (a - b) against a claim of `kind` whose paper
 * difference is `paperDiff` (a - b as printed; ignored unless `difference`).
 * `cmp` undefined means the ablation has not been run.
 */
export function judgeClaim(
  kind: ClaimKind,
  paperDiff: number | undefined,
  cmp: ArmComparison | undefined,
  ctx?: MeasurementContext,
  notRunHint = "",
): Verdict {
  if (kind === "difference" && (paperDiff === undefined || !Number.isFinite(paperDiff))) {
    throw new Error(
      "judgeClaim: a 'difference' claim needs the paper's a - b; add paperA and paperB to it",
    );
  }
  if (!cmp) {
    return { status: "not-run", text: `not run yet${notRunHint ? `: ${notRunHint}` : ""}` };
  }
  const tail = caveat(ctx);
  const mde = Number.isFinite(cmp.mde) ? `, MDE ${cmp.mde.toFixed(2)}` : "";
  const ci = `ours ${f(cmp.diff)} [${f(cmp.low)}, ${f(cmp.high)}]${mde}`;
  if (kind === "absolute") {
    return { status: "not-comparable", text: `not comparable at this scale${tail}` };
  }
  if (cmp.evidence === "no-spread") {
    return {
      status: "no-interval",
      text: `ours ${f(cmp.diff)}, every seed gave the same difference (zero-width interval, ` +
        `no evidence either way)${tail}`,
    };
  }
  if (cmp.evidence === "too-few-seeds") {
    return {
      status: "no-interval",
      text: `ours ${f(cmp.diff)}, too few seeds for an interval (need 2 per arm)${tail}`,
    };
  }
  if (kind === "no-difference") {
    if (cmp.excludesZero) {
      return { status: "disagrees", text: `disagrees: difference detected, ${ci}${tail}` };
    }
    const widest = Math.max(Math.abs(cmp.low), Math.abs(cmp.high));
    return widest <= EQUIVALENCE_MARGIN
      ? {
        status: "agrees",
        text: `agrees: no difference beyond ${EQUIVALENCE_MARGIN} points, ${ci}${tail}`,
      }
      : {
        status: "ci-includes-0",
        text: `no difference detected, but the interval allows differences up to ` +
          `${widest.toFixed(2)} points (equivalence needs it within +-${EQUIVALENCE_MARGIN}), ` +
          `${ci}${tail}`,
      };
  }
  if (kind === "no-paper-number") {
    // The paper proposes arm a (it helps, by implication): agreement needs a - b > 0.
    if (!cmp.excludesZero) {
      return { status: "ci-includes-0", text: `no paper number; CI includes 0, ${ci}${tail}` };
    }
    return cmp.diff > 0
      ? { status: "agrees", text: `no paper number; ours helps as proposed, ${ci}${tail}` }
      : {
        status: "disagrees",
        text: `no paper number; proposed as a gain, ours hurts, ${ci}${tail}`,
      };
  }
  const sameSign = Math.sign(cmp.diff) === Math.sign(paperDiff!) && cmp.diff !== 0;
  if (cmp.excludesZero) {
    return sameSign
      ? { status: "agrees", text: `direction agrees (CI excludes 0), ${ci}${tail}` }
      : { status: "disagrees", text: `direction disagrees (CI excludes 0), ${ci}${tail}` };
  }
  // What the seeds rule out: a true difference of the paper's size would have been detected
  // (80% power) when it is at least the MDE.
  const reach = !Number.isFinite(cmp.mde)
    ? ""
    : Math.abs(paperDiff!) >= cmp.mde
    ? `; an effect of the paper's size (${f(paperDiff!)}) would likely have shown`
    : `; the paper's ${f(paperDiff!)} is below what these seeds can detect`;
  return {
    status: "ci-includes-0",
    text: `CI includes 0 (mean ${sameSign ? "in" : "against"} the paper's direction), ${ci}` +
      `${reach}${tail}`,
  };
}
