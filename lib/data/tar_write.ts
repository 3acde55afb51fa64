/**
 * Minimal tar writer (ustar headers; long names as GNU `L` records or pax `x`
 * headers) and gzip compression via `CompressionStream`. Used to build test
 * archives and small exports; the reader lives in `tar.ts`.
 *
 * @module
 */

const BLOCK = 512;
const encoder = new TextEncoder();

/** One member to write: a file (with data) or a directory (name ending in "/"). */
export interface TarWriteEntry {
  name: string;
  data?: Uint8Array;
}

/** How names longer than 100 bytes are stored. */
export type LongNameStyle = "gnu" | "pax";

function writeString(block: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = encoder.encode(text);
  block.set(bytes.subarray(0, length), offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  writeString(block, offset, length, value.toString(8).padStart(length - 1, "0") + "\0");
}

function header(name: string, size: number, typeflag: string): Uint8Array {
  const block = new Uint8Array(BLOCK);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, typeflag === "5" ? 0o755 : 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, 0);
  block[156] = typeflag.charCodeAt(0);
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  block.fill(32, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  writeString(block, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return block;
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / BLOCK) * BLOCK);
  out.set(data);
  return out;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + encoder.encode(body).length !== len) {
    len = String(len).length + encoder.encode(body).length;
  }
  return `${len}${body}`;
}

/** Serialises `entries` as an uncompressed tar archive (with the two zero end blocks). */
export function writeTar(entries: TarWriteEntry[], longNames: LongNameStyle = "gnu"): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const isDir = entry.name.endsWith("/");
    const data = entry.data ?? new Uint8Array(0);
    const nameBytes = encoder.encode(entry.name);
    let shortName = entry.name;
    if (nameBytes.length > 100) {
      if (longNames === "gnu") {
        const longData = new Uint8Array(nameBytes.length + 1);
        longData.set(nameBytes);
        parts.push(header("././@LongLink", longData.length, "L"), padded(longData));
      } else {
        const pax = encoder.encode(paxRecord("path", entry.name));
        parts.push(header("PaxHeader", pax.length, "x"), padded(pax));
      }
      shortName = entry.name.slice(0, 99);
    }
    parts.push(header(shortName, isDir ? 0 : data.length, isDir ? "5" : "0"));
    if (!isDir) parts.push(padded(data));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Gzip-compresses `bytes` with `CompressionStream("gzip")`. */
export async function gzipBytes(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>,
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
