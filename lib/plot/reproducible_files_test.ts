import assert from "node:assert/strict";
import { fixedPdfDates, stableSvgIds } from "./reproducible_files.ts";
import { Rng } from "../rng.ts";

/** A plotly-like SVG whose figure id is `id` and whose content varies with `label`. */
function svgWith(id: string, label: string): string {
  return `<svg><defs id="defs-${id}"><clipPath id="clip${id}xyplot" class="plotclip">` +
    `<rect/></clipPath></defs><g clip-path="url(#clip${id}xyplot)"><text>${label}</text></g></svg>`;
}

Deno.test("stableSvgIds: random ids of the same figure become one id; other figures differ", () => {
  const rng = new Rng(5);
  const randomId = () => Array.from({ length: 6 }, () => "0123456789abcdef"[rng.int(16)]).join("");
  for (let t = 0; t < 20; t++) {
    const label = `figure ${rng.int(1000)}`;
    const [a, b] = [
      stableSvgIds(svgWith(randomId(), label)),
      stableSvgIds(svgWith(randomId(), label)),
    ];
    assert.equal(a, b);
    const id = a.match(/id="defs-([0-9a-z]+)"/)![1];
    assert.ok(a.includes(`url(#clip${id}xyplot)`), "every use of the id is replaced");
    assert.notEqual(stableSvgIds(svgWith(randomId(), `${label}!`)), a);
  }
  assert.equal(stableSvgIds("<svg><g/></svg>"), "<svg><g/></svg>");
  assert.equal(
    stableSvgIds('<svg style="" width="2"><g style=""/></svg>'),
    '<svg width="2"><g/></svg>',
  );
});

Deno.test("fixedPdfDates: both dates overwritten in place, length and other bytes kept", () => {
  const text = "%PDF-1.4\n1 0 obj <</Producer (Skia)\n/CreationDate (D:20261122130911+00'00')\n" +
    "/ModDate (D:20261122145307+00'00')>> endobj\nxref 0 12345\n%%EOF";
  const bytes = new TextEncoder().encode(text);
  const out = new TextDecoder().decode(fixedPdfDates(bytes.slice()));
  assert.equal(out.length, text.length);
  assert.equal(
    out,
    text.replace("20261122130911", "19700101000000").replace("20261122145307", "19700101000000"),
  );
  assert.throws(() => fixedPdfDates(bytes.slice(), "2026"), /14 digits/);
});
