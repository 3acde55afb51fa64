/**
 * Reader for MATLAB level-5 MAT-files (`save -v6`/`-v7`, scipy.io.savemat):
 * 128-byte header, tagged data elements (incl. the small-element format),
 * `miCOMPRESSED` elements (zlib, undone with `DecompressionStream("deflate")`)
 * and `miMATRIX` numeric arrays (array flags, dimensions, name, real part).
 *
 * Arrays keep MATLAB's column-major order: element (i0, i1, ...) of an array
 * with dims [d0, d1, ...] is at `i0 + d0 * (i1 + d1 * (...))`.
 *
 * @module
 */

/** Typed array holding a numeric MATLAB array's real part. */
export type MatData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

/** One variable of a MAT-file. */
export interface MatArray {
  name: string;
  /** MATLAB class: "double", "single", "int8", "uint8", ..., or "cell"/"struct"/... (unsupported). */
  className: string;
  /** Dimensions, e.g. [32, 32, 3, N]. */
  dims: number[];
  /** Real part in column-major order (int64/uint64 become float64); null for unsupported classes. */
  data: MatData | null;
  /** True when the array has an imaginary part (which is not read). */
  complex: boolean;
}

const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
} as const;

const MI_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 2,
  5: 4,
  6: 4,
  7: 4,
  9: 8,
  12: 8,
  13: 8,
  16: 1,
};

const CLASS_NAMES: Record<number, string> = {
  1: "cell",
  2: "struct",
  3: "object",
  4: "char",
  5: "sparse",
  6: "double",
  7: "single",
  8: "int8",
  9: "uint8",
  10: "int16",
  11: "uint16",
  12: "int32",
  13: "uint32",
  14: "int64",
  15: "uint64",
  16: "function",
  17: "opaque",
};

function allocForClass(mxClass: number, n: number): MatData | null {
  switch (mxClass) {
    case 6:
    case 14:
    case 15:
      return new Float64Array(n);
    case 7:
      return new Float32Array(n);
    case 8:
      return new Int8Array(n);
    case 9:
      return new Uint8Array(n);
    case 10:
      return new Int16Array(n);
    case 11:
      return new Uint16Array(n);
    case 12:
      return new Int32Array(n);
    case 13:
      return new Uint32Array(n);
    default:
      return null;
  }
}

interface Element {
  type: number;
  /** Payload bytes (a view into the file or into inflated data). */
  data: Uint8Array;
  /** Offset of the next element. */
  next: number;
}

class MatReader {
  constructor(readonly fileName: string, readonly littleEndian: boolean) {}

  fail(what: string): never {
    throw new Error(
      `${this.fileName}: ${what}; the MAT-file is corrupt or truncated, re-download or re-save it`,
    );
  }

  readElement(bytes: Uint8Array, pos: number, padCompressed: boolean): Element {
    if (pos + 8 > bytes.length) this.fail(`data element tag at byte ${pos} runs past the end`);
    const view = new DataView(bytes.buffer, bytes.byteOffset + pos, 8);
    const first = view.getUint32(0, this.littleEndian);
    if (first >>> 16 !== 0) {
      // Small data element: type and size packed in the first 4 bytes.
      const nbytes = first >>> 16;
      if (nbytes > 4) this.fail(`small data element at byte ${pos} claims ${nbytes} bytes`);
      return {
        type: first & 0xffff,
        data: bytes.subarray(pos + 4, pos + 4 + nbytes),
        next: pos + 8,
      };
    }
    const nbytes = view.getUint32(4, this.littleEndian);
    const end = pos + 8 + nbytes;
    if (end > bytes.length) {
      this.fail(
        `data element at byte ${pos} needs ${nbytes} bytes, only ${bytes.length - pos - 8} remain`,
      );
    }
    const padded = first === MI.COMPRESSED && !padCompressed
      ? end
      : pos + 8 + Math.ceil(nbytes / 8) * 8;
    return {
      type: first,
      data: bytes.subarray(pos + 8, end),
      next: Math.min(padded, bytes.length),
    };
  }

  numeric(el: Element, what: string): Float64Array | Uint8Array | Int8Array | Int32Array {
    const size = MI_SIZE[el.type];
    if (!size || el.type === MI.UTF8) this.fail(`${what} has unsupported data type ${el.type}`);
    const n = Math.floor(el.data.length / size);
    if (el.type === MI.UINT8) return el.data;
    if (el.type === MI.INT8) return new Int8Array(el.data.buffer, el.data.byteOffset, n);
    const v = new DataView(el.data.buffer, el.data.byteOffset, el.data.length);
    const le = this.littleEndian;
    const out = el.type === MI.INT32 ? new Int32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * size;
      switch (el.type) {
        case MI.INT16:
          out[i] = v.getInt16(o, le);
          break;
        case MI.UINT16:
          out[i] = v.getUint16(o, le);
          break;
        case MI.INT32:
          out[i] = v.getInt32(o, le);
          break;
        case MI.UINT32:
          out[i] = v.getUint32(o, le);
          break;
        case MI.SINGLE:
          out[i] = v.getFloat32(o, le);
          break;
        case MI.DOUBLE:
          out[i] = v.getFloat64(o, le);
          break;
        case MI.INT64:
          out[i] = Number(v.getBigInt64(o, le));
          break;
        case MI.UINT64:
          out[i] = Number(v.getBigUint64(o, le));
          break;
      }
    }
    return out;
  }

  matrix(payload: Uint8Array): MatArray {
    let pos = 0;
    const flagsEl = this.readElement(payload, pos, true);
    pos = flagsEl.next;
    if (flagsEl.type !== MI.UINT32 || flagsEl.data.length < 8) {
      this.fail("miMATRIX without array flags");
    }
    const flags = new DataView(flagsEl.data.buffer, flagsEl.data.byteOffset, 8).getUint32(
      0,
      this.littleEndian,
    );
    const mxClass = flags & 0xff;
    const complex = (flags & 0x800) !== 0;
    const className = CLASS_NAMES[mxClass] ?? `class${mxClass}`;
    const dimsEl = this.readElement(payload, pos, true);
    pos = dimsEl.next;
    const dims = Array.from(this.numeric(dimsEl, "dimensions"));
    const nameEl = this.readElement(payload, pos, true);
    pos = nameEl.next;
    const name = new TextDecoder().decode(nameEl.data);
    const count = dims.reduce((a, b) => a * b, 1);
    const data = allocForClass(mxClass, count);
    if (data && count > 0) {
      const realEl = this.readElement(payload, pos, true);
      const values = this.numeric(realEl, `real part of "${name}"`);
      if (values.length !== count) {
        this.fail(
          `"${name}" has dims ${dims.join("x")} (${count} values) but ${values.length} stored`,
        );
      }
      if (data instanceof Uint8Array && values instanceof Uint8Array) data.set(values);
      else for (let i = 0; i < count; i++) data[i] = values[i];
    }
    return { name, className, dims, data, complex };
  }
}

async function inflate(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream("deflate") as TransformStream<Uint8Array, Uint8Array>,
    );
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new Error(
      `${fileName}: cannot inflate a compressed element (${(err as Error).message}); ` +
        `the MAT-file is corrupt or truncated, re-download or re-save it`,
      { cause: err },
    );
  }
}

/**
 * Reads every variable of a level-5 MAT-file into a map by name.
 * Errors name `fileName`; v7.3 (HDF5) and v4 files are rejected with advice.
 */
export async function readMat(bytes: Uint8Array, fileName: string): Promise<Map<string, MatArray>> {
  if (bytes.length < 128) {
    throw new Error(
      `${fileName}: ${bytes.length} bytes is too short for a MAT-file header; re-download it`,
    );
  }
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, 116));
  if (text.startsWith("MATLAB 7.3")) {
    throw new Error(
      `${fileName}: MATLAB v7.3 (HDF5) files are not supported; re-save it in MATLAB with ` +
        `save(..., '-v7') or with scipy.io.savemat`,
    );
  }
  const endian = String.fromCharCode(bytes[126], bytes[127]);
  if (!text.startsWith("MATLAB") || (endian !== "IM" && endian !== "MI")) {
    throw new Error(
      `${fileName}: not a MATLAB level-5 MAT-file (no "MATLAB 5.0" header); ` +
        `re-save it with save(..., '-v7') or scipy.io.savemat`,
    );
  }
  const reader = new MatReader(fileName, endian === "IM");
  const out = new Map<string, MatArray>();
  const walk = async (buf: Uint8Array, start: number, top: boolean): Promise<void> => {
    let pos = start;
    while (pos < buf.length) {
      if (top && buf.length - pos < 8) break; // trailing padding
      const el = reader.readElement(buf, pos, false);
      pos = el.next;
      if (el.type === MI.COMPRESSED) await walk(await inflate(el.data, fileName), 0, false);
      else if (el.type === MI.MATRIX && el.data.length > 0) {
        const arr = reader.matrix(el.data);
        out.set(arr.name, arr);
      }
    }
  };
  await walk(bytes, 128, true);
  return out;
}
