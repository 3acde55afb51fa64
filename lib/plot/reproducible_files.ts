/**
 * Byte-stable figure files: the same figure exported twice gives the same
 * SVG and PDF bytes, so re-exporting committed figures does not rewrite them.
 *
 * Three things vary between exports: plotly gives each SVG a random id (used
 * in `defs-<id>`, clip paths and gradients), writes an empty `style=""` on
 * the root element only for the first figure a page draws, and Chromium stamps
 * each PDF with its creation and modification dates. {@link stableSvgIds}
 * drops empty style attributes and replaces the id with a hash of the SVG's
 * content; {@link fixedPdfDates} overwrites the two
 * dates in place with the same number of bytes, so the PDF's cross-reference
 * offsets stay valid.
 *
 * @module
 */

/** 32-bit FNV-1a hash of `text` as 8 hex digits. */
function fnv1aHex(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * `svg` with plotly's random figure id (the `<id>` of `id="defs-<id>"`)
 * replaced everywhere by a hash of the SVG with that id removed: equal
 * figures get equal ids, different figures (almost surely) different ones.
 * Empty `style=""` attributes (no effect on rendering) are removed.
 */
export function stableSvgIds(input: string): string {
  const svg = input.replaceAll(' style=""', "");
  const m = svg.match(/id="defs-([0-9a-z]+)"/);
  if (!m) return svg;
  const parts = svg.split(m[1]);
  const id = `k${fnv1aHex(parts.join(""))}`;
  return parts.join(id);
}

const DATE_KEYS = ["/CreationDate (D:", "/ModDate (D:"];

/**
 * `pdf` with the digits of its `/CreationDate` and `/ModDate` entries
 * (`D:YYYYMMDDHHmmSS...`) set to `stamp` (14 digits, default the Unix epoch
 * `19700101000000`), in place, same length. Returns the same array.
 */
export function fixedPdfDates(pdf: Uint8Array, stamp = "19700101000000"): Uint8Array {
  if (!/^\d{14}$/.test(stamp)) {
    throw new Error(`PDF date stamp must be 14 digits (YYYYMMDDHHmmSS), got "${stamp}"`);
  }
  const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
  for (const key of DATE_KEYS) {
    const pattern = new TextEncoder().encode(key);
    for (let i = 0; i + pattern.length + 14 <= pdf.length; i++) {
      let hit = true;
      for (let j = 0; j < pattern.length && hit; j++) hit = pdf[i + j] === pattern[j];
      if (!hit) continue;
      const start = i + pattern.length;
      if (!pdf.subarray(start, start + 14).every(isDigit)) continue;
      for (let j = 0; j < 14; j++) pdf[start + j] = stamp.charCodeAt(j);
      i = start + 13;
    }
  }
  return pdf;
}
