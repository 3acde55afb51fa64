/**
 * Minimal MATLAB level-5 MAT-file writer for numeric arrays (column-major
 * data, optional zlib compression per variable, either byte order). Used to
 * build test files and small exports; the reader lives in `matlab.ts`.
 *
 * @module
 */

import type { MatData } from "./matlab.ts";

/** A numeric variable to write; `data` is column-major and its type picks the MATLAB class. */
export interface MatWriteArray {
  name: string;
  dims: number[];
  data: MatData;
}

/** Options: compress each variable (miCOMPRESSED), byte order (default little-endian). */
export interface MatWriteOptions {
  compress?: boolean;
  littleEndian?: boolean;
}

function classOf(data: MatData): { mx: number; mi: number; size: number } {
  if (data instanceof Float64Array) return { mx: 6, mi: 9, size: 8 };
  if (data instanceof Float32Array) return { mx: 7, mi: 7, size: 4 };
  if (data instanceof Int8Array) return { mx: 8, mi: 1, size: 1 };
  if (data instanceof Uint8Array) return { mx: 9, mi: 2, size: 1 };
  if (data instanceof Int16Array) return { mx: 10, mi: 3, size: 2 };
  if (data instanceof Uint16Array) return { mx: 11, mi: 4, size: 2 };
  if (data instanceof Int32Array) return { mx: 12, mi: 5, size: 4 };
  return { mx: 13, mi: 6, size: 4 };
}

class Bytes {
  parts: Uint8Array[] = [];
  constructor(readonly le: boolean) {}
  u32(...values: number[]): void {
    const b = new Uint8Array(4 * values.length);
    const v = new DataView(b.buffer);
    values.forEach((x, i) => v.setUint32(4 * i, x, this.le));
    this.parts.push(b);
  }
  raw(b: Uint8Array): void {
    this.parts.push(b);
  }
  pad8(len: number): void {
    if (len % 8) this.parts.push(new Uint8Array(8 - (len % 8)));
  }
  concat(): Uint8Array {
    const total = this.parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(total);
    let pos = 0;
    for (const p of this.parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return out;
  }
}

function element(out: Bytes, type: number, payload: Uint8Array): void {
  if (payload.length <= 4) {
    // Small data element format.
    out.u32(((payload.length << 16) | type) >>> 0);
    const b = new Uint8Array(4);
    b.set(payload);
    out.raw(b);
    return;
  }
  out.u32(type, payload.length);
  out.raw(payload);
  out.pad8(payload.length);
}

function typedBytes(data: MatData, size: number, le: boolean): Uint8Array {
  const out = new Uint8Array(data.length * size);
  const v = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    const o = i * size;
    if (data instanceof Float64Array) v.setFloat64(o, x, le);
    else if (data instanceof Float32Array) v.setFloat32(o, x, le);
    else if (data instanceof Int8Array) v.setInt8(o, x);
    else if (data instanceof Uint8Array) v.setUint8(o, x);
    else if (data instanceof Int16Array) v.setInt16(o, x, le);
    else if (data instanceof Uint16Array) v.setUint16(o, x, le);
    else if (data instanceof Int32Array) v.setInt32(o, x, le);
    else v.setUint32(o, x, le);
  }
  return out;
}

function matrix(arr: MatWriteArray, le: boolean): Uint8Array {
  const { mx, mi, size } = classOf(arr.data);
  const body = new Bytes(le);
  const flags = new Bytes(le);
  flags.u32(mx, 0);
  element(body, 6, flags.concat());
  const dims = new Bytes(le);
  dims.u32(...arr.dims);
  element(body, 5, dims.concat());
  element(body, 1, new TextEncoder().encode(arr.name));
  element(body, mi, typedBytes(arr.data, size, le));
  const payload = body.concat();
  const out = new Bytes(le);
  out.u32(14, payload.length);
  out.raw(payload);
  return out.concat();
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("deflate") as TransformStream<Uint8Array, Uint8Array>,
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Serialises `arrays` as a level-5 MAT-file. */
export async function writeMat(
  arrays: MatWriteArray[],
  opts: MatWriteOptions = {},
): Promise<Uint8Array> {
  const le = opts.littleEndian ?? true;
  const out = new Bytes(le);
  const header = new Uint8Array(128).fill(32);
  header.set(new TextEncoder().encode("MATLAB 5.0 MAT-file, written by the kit's matlab_write.ts"));
  header.fill(0, 116, 124);
  const v = new DataView(header.buffer);
  v.setUint16(124, 0x0100, le);
  header.set(new TextEncoder().encode(le ? "IM" : "MI"), 126);
  out.raw(header);
  for (const arr of arrays) {
    const m = matrix(arr, le);
    if (opts.compress) {
      const z = await deflate(m);
      out.u32(15, z.length);
      out.raw(z);
    } else out.raw(m);
  }
  return out.concat();
}
