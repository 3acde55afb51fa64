import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import {
  logGamma,
  mean,
  meanConfidenceInterval,
  regularizedIncompleteBeta,
  sampleStd,
  studentTCdf,
  studentTQuantile,
} from "./t_interval.ts";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

Deno.test("studentTQuantile matches published t-table values", () => {
  // Two-sided 95% (p = 0.975), 90% (0.95) and 99% (0.995) critical values.
  const table: [number, number, number][] = [
    [0.975, 1, 12.7062],
    [0.975, 2, 4.3027],
    [0.975, 3, 3.1824],
    [0.975, 4, 2.7764],
    [0.975, 9, 2.2622],
    [0.975, 10, 2.2281],
    [0.975, 30, 2.0423],
    [0.95, 5, 2.0150],
    [0.995, 2, 9.9248],
    [0.995, 20, 2.8453],
    [0.975, 1e7, 1.9600],
  ];
  for (const [p, df, t] of table) close(studentTQuantile(p, df), t, 1e-4, `t(${p}, ${df})`);
});

Deno.test("studentTQuantile inverts the CDF, is odd in p-1/2 and shrinks with df", () => {
  const rng = new Rng(11);
  for (let i = 0; i < 200; i++) {
    const p = rng.uniform(0.001, 0.999);
    const df = rng.uniform(0.5, 60);
    const t = studentTQuantile(p, df);
    close(studentTCdf(t, df), p, 1e-10, `cdf(quantile(${p}, ${df}))`);
    close(studentTQuantile(1 - p, df), -t, 1e-9 * Math.max(1, Math.abs(t)), "symmetry");
    if (p > 0.5) assert.ok(studentTQuantile(p, df + 1) < t, `monotone in df at p=${p}`);
  }
  assert.equal(studentTQuantile(0.5, 3), 0);
  assert.throws(() => studentTQuantile(1, 3), /p must be in \(0, 1\)/);
  assert.throws(() => studentTQuantile(0.9, 0), /degrees of freedom/);
});

Deno.test("studentTCdf: df 1 is the Cauchy CDF and df 2 has its closed form", () => {
  const rng = new Rng(3);
  for (let i = 0; i < 100; i++) {
    const t = rng.uniform(-50, 50);
    close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12, `cauchy(${t})`);
    close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12, `t2(${t})`);
  }
});

Deno.test("logGamma and incomplete beta agree with closed forms", () => {
  for (let n = 1; n < 30; n++) {
    let fact = 0;
    for (let k = 2; k < n; k++) fact += Math.log(k);
    close(logGamma(n), fact, 1e-11 * Math.max(1, fact), `lnGamma(${n})`);
  }
  close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13, "lnGamma(1/2)");
  const rng = new Rng(5);
  for (let i = 0; i < 100; i++) {
    const x = rng.next();
    const a = rng.uniform(0.2, 8);
    // I_x(a, 1) = x^a and I_x(1, b) = 1 - (1-x)^b.
    close(regularizedIncompleteBeta(x, a, 1), x ** a, 1e-12, `I(${x}; ${a}, 1)`);
    close(regularizedIncompleteBeta(x, 1, a), 1 - (1 - x) ** a, 1e-12, `I(${x}; 1, ${a})`);
  }
});

Deno.test("mean, sample std (n-1) and the 95% interval on random samples", () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 50; trial++) {
    const n = 2 + rng.int(10);
    const xs = Array.from({ length: n }, () => rng.uniform(-10, 90));
    const m = xs.reduce((s, x) => s + x, 0) / n;
    const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1);
    close(mean(xs), m, 1e-12, "mean");
    close(sampleStd(xs), Math.sqrt(v), 1e-12, "std");
    const ci = meanConfidenceInterval(xs);
    close(ci.high - ci.mean, studentTQuantile(0.975, n - 1) * Math.sqrt(v / n), 1e-9, "half");
    close(ci.mean - ci.low, ci.high - ci.mean, 1e-9, "symmetric");
    // Shifting the data shifts the interval and keeps its width.
    const shifted = meanConfidenceInterval(xs.map((x) => x + 5));
    close(shifted.low, ci.low + 5, 1e-9, "shift");
  }
  // Known example: [1, 2, 3] -> mean 2, s 1, half-width 4.3027 / sqrt(3).
  const ci = meanConfidenceInterval([1, 2, 3]);
  close(ci.halfWidth, 4.302653 / Math.sqrt(3), 1e-5, "[1,2,3]");
});

Deno.test("one value gives a mean with NaN std and interval", () => {
  const ci = meanConfidenceInterval([42]);
  assert.equal(ci.mean, 42);
  assert.ok(Number.isNaN(ci.std) && Number.isNaN(ci.low) && Number.isNaN(ci.high));
  assert.ok(Number.isNaN(mean([])));
});
