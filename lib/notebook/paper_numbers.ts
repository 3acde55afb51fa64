/**
 * Numbers reported by the source documents (`/work/shared/seeds/`), each with
 * where it is printed, and the ablation of this kit that measures the same
 * contrast. Facts only: the values are copied from the documents, never
 * estimated; notebook 08 puts our measurements beside them.
 *
 * Sources: S-MAG = seed 000 (`000_1de39d9246b018e5.txt`), saliency poster =
 * seed 001 (Chin et al., WACV 2024), KDC-MAE = seed 002, MIM as occlusion
 * invariance = seed 003 (Kong & Zhang, CVPR 2023; the seed has the abstract
 * only, so its claim has no number).
 *
 * @module
 */

/** Which of our ablations and arms measure a claim: `diff = a - b` on `metric`. */
export interface OurContrast {
  ablation: string;
  a: string;
  b: string;
  metric: string;
}

/** One reported value with its label as printed (accuracies in %). */
export interface PaperValue {
  label: string;
  value: number;
}

/**
 * What kind of statement a claim is:
 * - `difference`: the paper reports `a` and `b`; we compare the sign of our a - b.
 * - `no-difference`: the paper says the contrast matters little (no numbers).
 * - `no-paper-number`: the paper proposes the component (arm `a`) but reports no separate
 *   number: it agrees when our a - b is positive with an interval excluding 0, disagrees when
 *   negative.
 * - `absolute`: a headline accuracy at the paper's scale (not comparable at ours).
 */
export type ClaimKind = "difference" | "no-difference" | "no-paper-number" | "absolute";

/** One row of the comparison table. */
export interface PaperClaim {
  id: string;
  /** A label of a few words for figure axes, e.g. "S-MAG: SAM vs GAP". */
  short: string;
  /** Short source name, e.g. "S-MAG". */
  source: string;
  /** Where the numbers are printed, e.g. "Table 4, CIFAR-10 (LP) column". */
  citation: string;
  /** The statement in words. */
  claim: string;
  kind: ClaimKind;
  /** The paper's two sides (difference) or the value (absolute; `b` absent). */
  paperA?: PaperValue;
  paperB?: PaperValue;
  /** Spread printed with an absolute value (e.g. ± 0.5), when given. */
  paperSpread?: number;
  /** The contrast we measure; for `absolute`, `a` is the arm reported and `b` is unused. */
  ours?: OurContrast;
}

const LP = "linearTop1";
/** KDC-MAE's Tables 1-4 are fine-tuning accuracies, so its entries read `kdc-masks`' fine-tuning. */
const FT = "finetuneTop1";

/** Every claim compared in notebook 08 (see module docs for the sources). */
export const PAPER_CLAIMS: readonly PaperClaim[] = [
  {
    id: "smag-fig3-masks",
    short: "S-MAG: masks vs none",
    source: "S-MAG",
    citation: "Sec. 4.5 text on Fig. 3 (CIFAR-10): with masks 'close to 93%, about 3% higher'",
    claim: "Random token masks raise CIFAR-10 accuracy by about 3 points",
    kind: "difference",
    paperA: { label: "with masks (approx.)", value: 93 },
    paperB: { label: "without masks (approx.)", value: 90 },
    ours: { ablation: "smag-mask", a: "token-mask", b: "no-mask", metric: LP },
  },
  {
    id: "smag-t4-sam",
    short: "S-MAG: SAM vs GAP",
    source: "S-MAG",
    citation: "Table 4, CIFAR-10 (LP): Baseline 90.1, Baseline + SAM 92.8",
    claim: "Self-attention pooling (SAM) beats global average pooling",
    kind: "difference",
    paperA: { label: "Baseline + SAM", value: 92.8 },
    paperB: { label: "Baseline", value: 90.1 },
    ours: { ablation: "smag-gating", a: "sam", b: "gap", metric: LP },
  },
  {
    id: "smag-t4-gam",
    short: "S-MAG: GAM vs GAP",
    source: "S-MAG",
    citation: "Table 4, CIFAR-10 (LP): Baseline 90.1, Baseline + GAM 95.1",
    claim: "Gated attention pooling (GAM) beats global average pooling",
    kind: "difference",
    paperA: { label: "Baseline + GAM", value: 95.1 },
    paperB: { label: "Baseline", value: 90.1 },
    ours: { ablation: "smag-gating", a: "gam", b: "gap", metric: LP },
  },
  {
    id: "smag-t4-gam-sam",
    short: "S-MAG: GAM vs SAM",
    source: "S-MAG",
    citation: "Table 4, CIFAR-10 (LP): SAM 92.8, GAM 95.1",
    claim: "Gated attention (GAM) beats plain attention (SAM)",
    kind: "difference",
    paperA: { label: "Baseline + GAM", value: 95.1 },
    paperB: { label: "Baseline + SAM", value: 92.8 },
    ours: { ablation: "smag-gating", a: "gam", b: "sam", metric: LP },
  },
  {
    id: "smag-t3-count-10",
    short: "S-MAG: 200 vs 100 tokens (10 px)",
    source: "S-MAG",
    citation: "Table 3, S-MAG rows, ImageNet 1% top-1, 10x10 tokens: 100 -> 64.5, 200 -> 68.9 " +
      "(rows read in order from the extracted table)",
    claim: "More tokens (200 vs 100) help at token size 10x10",
    kind: "difference",
    paperA: { label: "10x10, 200 tokens", value: 68.9 },
    paperB: { label: "10x10, 100 tokens", value: 64.5 },
    ours: { ablation: "smag-tokens", a: "size10-count200", b: "size10-count100", metric: LP },
  },
  {
    id: "smag-t3-count-20",
    short: "S-MAG: 200 vs 100 tokens (20 px)",
    source: "S-MAG",
    citation: "Table 3, S-MAG rows, ImageNet 1% top-1, 20x20 tokens: 100 -> 65.8, 200 -> 69.7",
    claim: "More tokens (200 vs 100) help at token size 20x20",
    kind: "difference",
    paperA: { label: "20x20, 200 tokens", value: 69.7 },
    paperB: { label: "20x20, 100 tokens", value: 65.8 },
    ours: { ablation: "smag-tokens", a: "size20-count200", b: "size20-count100", metric: LP },
  },
  {
    id: "smag-t1-cifar",
    short: "S-MAG: CIFAR-10 (4K labels)",
    source: "S-MAG",
    citation: "Table 1, CIFAR-10 (4K), self-supervised: S-MAG 92.7 ± 0.5 (a 4,000-label " +
      "protocol, compared with the kit's 4,000-label fine-tuning)",
    claim: "Headline CIFAR-10 accuracy of S-MAG (self-supervised, 4,000 labels)",
    kind: "absolute",
    paperA: { label: "S-MAG", value: 92.7 },
    paperSpread: 0.5,
    ours: { ablation: "smag-cifar4k", a: "smag", b: "", metric: "finetuneTop1" },
  },
  {
    id: "smag-f3-learned-mask",
    short: "S-MAG: F3 learned vs random mask",
    source: "S-MAG",
    citation:
      "Sec. 3.2, Eq. (3): a mask from an MLP on the attention map lets the model 'further " +
      "improve the performance' (no number printed)",
    claim: "A mask learned from the attention map (F3) beats a random mask of the same size",
    kind: "no-paper-number",
    ours: { ablation: "smag-learned-masks", a: "learned-mlp", b: "random-grid", metric: LP },
  },
  {
    id: "smag-f4-learned-mask",
    short: "S-MAG: F4 learned vs random mask",
    source: "S-MAG",
    citation: "Sec. 3.2, Eq. (4): masks generated by a deep CNN 'further enhance their " +
      "effectiveness' (no number printed); ours: the F4 arm that keeps to the 50 % budget " +
      "(weight 10)",
    claim: "A mask learned by a conv generator (F4) beats a random mask of the same size",
    kind: "no-paper-number",
    ours: {
      ablation: "smag-learned-masks",
      a: "learned-conv-budget10",
      b: "random-grid",
      metric: LP,
    },
  },
  {
    id: "sal-how-highpass",
    short: "Saliency: high-pass vs MoCo v2",
    source: "Saliency poster",
    citation:
      "Transfer classification table, ImageNet-100: MoCo v2 68.22, + ours (high-pass) 73.80",
    claim: "Saliency masking with high-pass + noise improves MoCo v2",
    kind: "difference",
    paperA: { label: "MoCo v2 + high-pass", value: 73.8 },
    paperB: { label: "MoCo v2", value: 68.22 },
    ours: { ablation: "saliency-how", a: "highpass", b: "mocov2", metric: LP },
  },
  {
    id: "sal-how-blur",
    short: "Saliency: blur vs MoCo v2",
    source: "Saliency poster",
    citation: "Transfer classification table, ImageNet-100: MoCo v2 68.22, + ours (blur) 72.50",
    claim: "Saliency masking with strong blur improves MoCo v2",
    kind: "difference",
    paperA: { label: "MoCo v2 + strong blur", value: 72.5 },
    paperB: { label: "MoCo v2", value: 68.22 },
    ours: { ablation: "saliency-how", a: "blur", b: "mocov2", metric: LP },
  },
  {
    id: "sal-how-mean",
    short: "Saliency: mean fill vs MoCo v2",
    source: "Saliency poster",
    citation: "Transfer classification table, ImageNet-100: MoCo v2 68.22, + ours (mean) 70.84",
    claim: "Saliency masking with mean filling improves MoCo v2",
    kind: "difference",
    paperA: { label: "MoCo v2 + mean fill", value: 70.84 },
    paperB: { label: "MoCo v2", value: 68.22 },
    ours: { ablation: "saliency-how", a: "mean", b: "mocov2", metric: LP },
  },
  {
    id: "sal-how-hp-vs-mean",
    short: "Saliency: high-pass vs mean fill",
    source: "Saliency poster",
    citation: "Transfer classification table, ImageNet-100: high-pass 73.80 vs mean 70.84",
    claim: "High-pass + noise is the best fill (beats mean filling)",
    kind: "difference",
    paperA: { label: "high-pass", value: 73.8 },
    paperB: { label: "mean fill", value: 70.84 },
    ours: { ablation: "saliency-how", a: "highpass", b: "mean", metric: LP },
  },
  {
    id: "sal-where",
    short: "Saliency: salient vs random cells",
    source: "Saliency poster",
    citation: "Transfer classification table, ImageNet-100: + MSCN 70.28 vs + ours (high-pass) " +
      "73.80 (the poster's rows also differ in hard negatives; ours isolate the mask location)",
    claim: "Saliency-guided cells beat random cells (MSCN) at the same fill",
    kind: "difference",
    paperA: { label: "saliency (ours, high-pass)", value: 73.8 },
    paperB: { label: "MSCN (random)", value: 70.28 },
    ours: { ablation: "saliency-where", a: "saliency", b: "random", metric: LP },
  },
  {
    id: "sal-branch",
    short: "Saliency: query vs key branch",
    source: "Saliency poster",
    citation: "'Manipulating variance' table, high-pass filtering: key 52.25, query 58.19 " +
      "(baseline MoCo v2 56.00)",
    claim: "Masking only the query branch beats masking the key branch",
    kind: "difference",
    paperA: { label: "mask query", value: 58.19 },
    paperB: { label: "mask key", value: 52.25 },
    ours: { ablation: "saliency-branch", a: "query", b: "key", metric: LP },
  },
  {
    id: "sal-hard-negatives",
    short: "Saliency: hard negatives",
    source: "Saliency poster",
    citation: "Conclusion: hard negatives 'further enhance' training (no separate number printed)",
    claim: "Foreground-masked hard negatives help",
    kind: "no-paper-number",
    ours: { ablation: "saliency-hard-negatives", a: "with", b: "without", metric: LP },
  },
  {
    id: "kdc-t2-vgg",
    short: "KDC-MAE: compl. vs overlap (VGG)",
    source: "KDC-MAE",
    citation: "Table 2, VGG FT AV: with overlap 63.85, no overlap 64.23 (lambda_kd 10)",
    claim: "Complementary (no-overlap) dual masks beat overlapping ones (VGGSound AV)",
    kind: "difference",
    paperA: { label: "no overlap", value: 64.23 },
    paperB: { label: "with overlap", value: 63.85 },
    ours: { ablation: "kdc-masks", a: "dual-compl", b: "dual-overlap", metric: FT },
  },
  {
    id: "kdc-t2-as20k",
    short: "KDC-MAE: compl. vs overlap (AS-20k)",
    source: "KDC-MAE",
    citation: "Table 2, AS-20k FT AV: with overlap 41.37, no overlap 41.03 (lambda_kd 10)",
    claim: "... but on AudioSet-20k AV overlapping masks are ahead (task-dependent sign)",
    kind: "difference",
    paperA: { label: "no overlap", value: 41.03 },
    paperB: { label: "with overlap", value: 41.37 },
    ours: { ablation: "kdc-masks", a: "dual-compl", b: "dual-overlap", metric: FT },
  },
  {
    id: "kdc-t4-triple",
    short: "KDC-MAE: three streams",
    source: "KDC-MAE",
    citation: "Table 4, VGG FT AV: triple no overlap 63.79, triple with overlap 64.18",
    claim: "With three streams, complementary masks are worse than overlapping ones",
    kind: "difference",
    paperA: { label: "triple, no overlap", value: 63.79 },
    paperB: { label: "triple, with overlap", value: 64.18 },
    ours: { ablation: "kdc-masks", a: "triple-compl", b: "triple-overlap", metric: FT },
  },
  {
    id: "kdc-t2-kd5",
    short: "KDC-MAE: lambda_kd 5 vs 10",
    source: "KDC-MAE",
    citation: "Table 2, VGG FT AV: no overlap lambda_kd 5 -> 64.01, lambda_kd 10 -> 64.23 " +
      "(the one column of Table 2 where 10 wins; the other five favour 5, e.g. AS-20k AV " +
      "41.62 vs 41.03, and the table's header marks 5 as 'Proposed' while the text argues for 10)",
    claim: "lambda_kd 10 is better than 5 (VGGSound AV)",
    kind: "difference",
    paperA: { label: "lambda_kd 5", value: 64.01 },
    paperB: { label: "lambda_kd 10", value: 64.23 },
    ours: { ablation: "kdc-masks", a: "dual-compl-kd5", b: "dual-compl", metric: FT },
  },
  {
    id: "kdc-t1-cavmae",
    short: "KDC-MAE: L_kd vs CAV-MAE",
    source: "KDC-MAE",
    citation: "Table 1, VGG FT AV: CAV-MAE 63.89, Proposed (lambda_kd 10) 64.23",
    claim: "Adding the distillation term L_kd to the CAV-MAE objective helps",
    kind: "difference",
    paperA: { label: "Proposed (lambda_kd 10)", value: 64.23 },
    paperB: { label: "CAV-MAE (lambda_kd 0)", value: 63.89 },
    ours: { ablation: "kdc-masks", a: "dual-compl", b: "dual-compl-kd0", metric: FT },
  },
  {
    id: "mim-similarity-cosine",
    short: "MIM: cosine vs pixel L2",
    source: "MIM as occlusion invariance",
    citation: "Abstract: success 'relates a little to the choice of similarity functions' " +
      "(no number in the seed)",
    claim: "Cosine similarity learns about as well as pixel L2 under the same occlusion",
    kind: "no-difference",
    ours: { ablation: "mim-similarity", a: "cosine", b: "pixel-l2", metric: LP },
  },
  {
    id: "mim-similarity-infonce",
    short: "MIM: InfoNCE vs pixel L2",
    source: "MIM as occlusion invariance",
    citation: "Abstract (as above)",
    claim: "InfoNCE learns about as well as pixel L2 under the same occlusion",
    kind: "no-difference",
    ours: { ablation: "mim-similarity", a: "infonce", b: "pixel-l2", metric: LP },
  },
];

/** S-MAG Table 4 FLOPs per image (224x224 inputs), in GFLOPs, by our arm name. */
export const SMAG_TABLE4_GFLOPS: Readonly<Record<"gap" | "sam" | "gam", number>> = {
  gap: 2.6,
  sam: 15.3,
  gam: 17.5,
};
