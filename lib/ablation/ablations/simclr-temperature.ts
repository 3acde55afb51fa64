/**
 * `simclr-temperature`: how much does the NT-Xent temperature matter for
 * SimCLR, the contrastive core (F1) that every masked variant builds on?
 * Arms tau 0.1 / 0.2 / 0.5 (0.5 is the SimCLR CIFAR-10 setting, hence the
 * baseline; the kit's default is 0.2, chosen in `simclr-recipe` at 5 epochs and one
 * seed, so the tables also compare 0.1 with 0.2); the `paper` profile uses SimCLR's
 * CIFAR-10 batch of 512.
 *
 * @module
 */
import { defineAblation } from "../spec.ts";
import { paperProfile } from "../profiles.ts";

export default defineAblation({
  name: "simclr-temperature",
  title: "SimCLR temperature",
  question: "Does the NT-Xent temperature (0.1, 0.2, 0.5) change the linear-probe and kNN " +
    "accuracy of SimCLR, and by how much relative to the seed-to-seed spread?",
  arms: [0.1, 0.2, 0.5].map((tau) => ({
    name: `tau${tau}`,
    label: `tau = ${tau}`,
    patch: { method: "simclr", methodOptions: { temperature: tau } },
  })),
  seeds: 3,
  metrics: ["linearTop1", "knnTop1"],
  baseline: "tau0.5",
  alsoCompare: [["tau0.1", "tau0.2"]],
  profiles: { paper: paperProfile({ batchSize: 512 }) },
});
