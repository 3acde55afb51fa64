import assert from "node:assert/strict";
import {
  canonicalJson,
  configHash,
  defaultExperiment,
  peakLr,
  validateExperiment,
} from "./experiment.ts";

Deno.test("canonicalJson and configHash ignore key order and undefined fields, not values", async () => {
  const a = { b: 1, a: { y: [1, 2], x: "s" }, u: undefined };
  const b = { a: { x: "s", y: [1, 2] }, b: 1 };
  assert.equal(canonicalJson(a), canonicalJson(b));
  assert.equal(await configHash(a), await configHash(b));
  assert.notEqual(await configHash(a), await configHash({ ...b, b: 2 }));
  assert.notEqual(await configHash(a), await configHash({ ...b, a: { x: "s", y: [2, 1] } }));
});

Deno.test("peak lr follows 1e-3 x batch / 256 unless set explicitly", () => {
  const cfg = defaultExperiment();
  for (const batch of [64, 256, 1024]) {
    assert.equal(peakLr({ ...cfg.optim, batchSize: batch }), 1e-3 * batch / 256);
  }
  assert.equal(peakLr({ ...cfg.optim, lr: 0.1 }), 0.1);
});

Deno.test("validateExperiment names the field and the flag of every bad value", () => {
  const bad: Array<[(c: ReturnType<typeof defaultExperiment>) => void, RegExp]> = [
    [(c) => (c.optim.epochs = 0), /optim.epochs \(--epochs\)/],
    [(c) => (c.optim.batchSize = 2.5), /optim.batchSize/],
    [(c) => (c.data.trainSize = -1), /--train-size/],
    [(c) => (c.optim.lr = 0), /--lr/],
    [(c) => (c.optim.warmupEpochs = 99), /--warmup-epochs/],
    [(c) => (c.eval.finetuneFraction = 1.5), /finetuneFraction.*\(0, 1\]/],
    [(c) => {
      c.eval.finetuneFraction = 0.1;
      c.eval.finetuneLabels = 100;
    }, /count or as a fraction, not both/],
    [(c) => {
      c.data.trainSize = 64;
      c.optim.batchSize = 128;
    }, /--batch-size\) 128 is larger than data.trainSize \(--train-size\) 64.*at most 64/],
    [(c) => (c.method = ""), /config field method must be a method name/],
    [(c) => (c.methodOptions = [] as never), /methodOptions must be an object/],
    [(c) => (c.seed = 0.5), /seed \(--seed\) must be an integer/],
  ];
  for (const [mutate, message] of bad) {
    const cfg = defaultExperiment();
    mutate(cfg);
    assert.throws(() => validateExperiment(cfg), message);
  }
  validateExperiment(defaultExperiment());
});
