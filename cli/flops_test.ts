import assert from "node:assert/strict";
import { type FlopsOptions, flopsTable, formatTable } from "./flops.ts";

Deno.test("flops table: parts add up and the neck counts follow the layer shapes", () => {
  for (const [arch, width, imageSize] of [["resnet6", 8, 16], ["resnet8", 4, 12]] as const) {
    const opts: FlopsOptions = {
      arch,
      width,
      imageSize,
      attnHidden: 5,
      head: { hidden: 6, out: 3 },
    };
    const rows = flopsTable(opts);
    assert.deepEqual(rows.map((r) => r.neck), ["gap", "sam", "gam", "hsagm"]);
    const stages = arch === "resnet6" ? 2 : 3;
    const c = width * 2 ** (stages - 1);
    const side = Math.ceil(imageSize / 2 ** (stages - 1));
    const t = side * side;
    for (const r of rows) {
      assert.equal(r.flops.total, r.flops.backbone + r.flops.neck + r.flops.head);
      assert.equal(r.params.total, r.params.backbone + r.params.neck + r.params.head);
      assert.equal(r.flops.backbone, rows[0].flops.backbone);
      assert.equal(r.params.backbone, rows[0].params.backbone);
    }
    assert.equal(rows[0].flops.neck, 2 * t * c);
    assert.equal(rows[1].flops.neck, 2 * t * (c * 5 + 5 + c));
    assert.equal(rows[2].flops.neck, 2 * t * (2 * c * 5 + 5 + c));
    // params: sam = V (c*5 + 5) + w (5); gam adds U (c*5 + 5)
    assert.equal(rows[1].params.neck, c * 5 + 5 + 5);
    assert.equal(rows[2].params.neck, 2 * (c * 5 + 5) + 5);
    assert.match(formatTable(rows, opts), /hsagm/);
  }
  assert.throws(
    () => flopsTable({ arch: "resnet99", width: 8, imageSize: 8, attnHidden: 4 }),
    /unknown --arch "resnet99"/,
  );
});
