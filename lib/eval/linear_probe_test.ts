import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";
import { featureStatistics, trainLinearProbe } from "./linear_probe.ts";

/**
 * Linearly separable data with a margin: x ~ N(0, I), label = argmax of a
 * linear teacher, keeping only points whose two best teacher logits differ by
 * at least `margin`. Each dimension is then rescaled and shifted.
 */
function teacherData(rng: Rng, count: number, dim: number, teacher: number[][], margin = 2) {
  const data = new Float32Array(count * dim);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let x: number[];
    let logits: number[];
    do {
      x = Array.from({ length: dim }, () => rng.gaussian());
      const xs = x;
      logits = teacher.map((w) => w.reduce((s, v, d) => s + v * xs[d], 0));
      const sorted = [...logits].sort((a, b) => b - a);
      if (sorted[0] - sorted[1] >= margin) break;
    } while (true);
    labels[i] = logits.indexOf(Math.max(...logits));
    // Rescale and shift each dimension: the probe standardises, so this must not matter.
    x.forEach((v, d) => (data[i * dim + d] = v * (d + 1) + 3 * d));
  }
  return { m: { data, count, dim } as FeatureMatrix, labels };
}

Deno.test("linear probe: linearly separable data reaches ~100% train and test accuracy", () => {
  const rng = new Rng(7);
  const [dim, c] = [16, 5];
  const teacher = Array.from(
    { length: c },
    () => Array.from({ length: dim }, () => rng.gaussian()),
  );
  const train = teacherData(rng, 1500, dim, teacher);
  const test = teacherData(rng, 500, dim, teacher);
  const r = trainLinearProbe(train.m, train.labels, test.m, test.labels, { c: 100 });
  assert.ok(r.converged, `L-BFGS did not converge in ${r.iterations} iterations`);
  assert.ok(r.trainTop1 >= 0.99 && r.testTop1 >= 0.98, `${r.trainTop1} / ${r.testTop1}`);
  assert.equal(r.testTop5, 1);
});

Deno.test("linear probe: random labels give chance accuracy on the test set", () => {
  const rng = new Rng(8);
  const [dim, c] = [32, 10];
  const mk = (count: number) => ({
    m: { data: Float32Array.from({ length: count * dim }, () => rng.gaussian()), count, dim },
    labels: Int32Array.from({ length: count }, () => rng.int(c)),
  });
  const train = mk(1000);
  const test = mk(1000);
  const r = trainLinearProbe(train.m, train.labels, test.m, test.labels);
  assert.ok(Math.abs(r.testTop1 - 0.1) < 0.04, `test top1 ${r.testTop1}`);
  assert.ok(Math.abs(r.testTop5 - 0.5) < 0.06, `test top5 ${r.testTop5}`);
  assert.ok(r.trainTop1 > r.testTop1, "the probe fits some of the training noise");
});

Deno.test("linear probe: a stronger penalty shrinks the weights; standardises with train statistics", () => {
  const rng = new Rng(9);
  const [dim, c] = [8, 4];
  const teacher = Array.from(
    { length: c },
    () => Array.from({ length: dim }, () => rng.gaussian()),
  );
  const train = teacherData(rng, 300, dim, teacher);
  const test = teacherData(rng, 100, dim, teacher);
  const a = trainLinearProbe(train.m, train.labels, test.m, test.labels);
  const b = trainLinearProbe(train.m, train.labels, test.m, test.labels);
  const strong = trainLinearProbe(train.m, train.labels, test.m, test.labels, { c: 0.001 });
  assert.deepEqual(a.weights, b.weights, "deterministic");
  const norm = (w: Float32Array) => w.reduce((s, v) => s + v * v, 0);
  assert.ok(norm(strong.weights) < norm(a.weights) / 10, "C = 0.001 shrinks the weights");
  const stats = featureStatistics(train.m);
  assert.deepEqual(a.featureMean, stats.mean);
  for (let j = 0; j < dim; j++) {
    assert.ok(Math.abs(stats.mean[j] - 3 * j) < 0.4 * (j + 1));
    assert.ok(Math.abs(stats.std[j] - (j + 1)) < 0.15 * (j + 1));
  }
  assert.throws(
    () =>
      trainLinearProbe(
        train.m,
        train.labels,
        { data: new Float32Array(9), count: 3, dim: 3 },
        new Int32Array(3),
      ),
    /same encoder/,
  );
  assert.throws(
    () => trainLinearProbe(train.m, train.labels, test.m, test.labels, { c: 0 }),
    /C > 0/,
  );
});

/** Overlapping Gaussian classes (not separable): a fixed feature set where C matters. */
function overlappingClasses(rng: Rng, count: number, dim: number, centres: number[][]) {
  const data = new Float32Array(count * dim);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const y = rng.int(centres.length);
    labels[i] = y;
    for (let d = 0; d < dim; d++) data[i * dim + d] = centres[y][d] + 2.5 * rng.gaussian() + d;
  }
  return { m: { data, count, dim } as FeatureMatrix, labels };
}

const SKLEARN_SCRIPT = `
import json, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
meta = json.load(open(sys.argv[1] + "/meta.json"))
d = meta["dim"]
def load(name, count):
    x = np.fromfile(sys.argv[1] + "/" + name + ".f32", dtype=np.float32).reshape(count, d)
    y = np.fromfile(sys.argv[1] + "/" + name + ".i32", dtype=np.int32)
    return x.astype(np.float64), y
xtr, ytr = load("train", meta["train"])
xte, yte = load("test", meta["test"])
mu = xtr.mean(0)
sd = xtr.std(0)
sd[sd < 1e-6] = 1
clf = LogisticRegression(C=meta["c"], max_iter=1000, tol=1e-4)
clf.fit((xtr - mu) / sd, ytr)
p = clf.predict_proba((xtr - mu) / sd)
ce = -np.mean(np.log(p[np.arange(len(ytr)), ytr]))
obj = ce + 0.5 * np.sum(clf.coef_ ** 2) / (meta["c"] * len(ytr))
print(json.dumps({"test": float(clf.score((xte - mu) / sd, yte)),
                  "train": float(clf.score((xtr - mu) / sd, ytr)), "objective": float(obj)}))
`;

Deno.test("linear probe: matches scikit-learn's LogisticRegression on the same features", async () => {
  const python = Deno.env.get("KIT_TORCH_PYTHON") ?? "/usr/bin/python3";
  const rng = new Rng(11);
  const [dim, k] = [24, 10];
  const centres = Array.from(
    { length: k },
    () => Array.from({ length: dim }, () => rng.gaussian()),
  );
  const train = overlappingClasses(rng, 3000, dim, centres);
  const test = overlappingClasses(rng, 1000, dim, centres);
  const dir = await Deno.makeTempDir({ prefix: "probe-sklearn-" });
  try {
    for (const [name, s] of [["train", train], ["test", test]] as const) {
      await Deno.writeFile(`${dir}/${name}.f32`, new Uint8Array(s.m.data.buffer));
      await Deno.writeFile(`${dir}/${name}.i32`, new Uint8Array(s.labels.buffer));
    }
    for (const c of [1, 0.01]) {
      const meta = { dim, train: train.m.count, test: test.m.count, c };
      await Deno.writeTextFile(`${dir}/meta.json`, JSON.stringify(meta));
      const out = await new Deno.Command(python, { args: ["-c", SKLEARN_SCRIPT, dir] }).output()
        .catch((e) => {
          throw new Error(
            `${python} not found (${e}); install python3-sklearn (apt-get install ` +
              `python3-sklearn) or set KIT_TORCH_PYTHON to a python with scikit-learn`,
          );
        });
      assert.ok(
        out.success,
        `scikit-learn reference failed (apt-get install python3-sklearn, or KIT_TORCH_PYTHON): ` +
          new TextDecoder().decode(out.stderr),
      );
      const ref = JSON.parse(new TextDecoder().decode(out.stdout));
      const ours = trainLinearProbe(train.m, train.labels, test.m, test.labels, { c });
      assert.ok(ours.converged);
      assert.ok(
        Math.abs(ours.testTop1 - ref.test) <= 0.005,
        `C=${c}: test top-1 ${ours.testTop1} vs scikit-learn ${ref.test}`,
      );
      assert.ok(Math.abs(ours.trainTop1 - ref.train) <= 0.005, `C=${c}: train top-1`);
      assert.ok(
        Math.abs(ours.objective - ref.objective) <= 1e-4 * Math.abs(ref.objective),
        `C=${c}: objective ${ours.objective} vs scikit-learn ${ref.objective}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
