/**
 * Streaming reader for tar archives (POSIX ustar, GNU long names `L`/`K`,
 * pax extended headers `x`/`g`, GNU base-256 sizes), optionally gzip-compressed.
 *
 * The parser is push-based ({@link TarParser}) so that a 90 MB archive with
 * 60,000 members is read chunk by chunk without holding it all in memory.
 * Gzip is undone with the Web `DecompressionStream("gzip")`.
 *
 * @module
 */

const BLOCK = 512;

/** One member of a tar archive. */
export interface TarEntry {
  /** Full path inside the archive (pax `path` / GNU long name / ustar prefix+name). */
  name: string;
  /** Member kind; hard links, devices and FIFOs are reported as "other". */
  type: "file" | "directory" | "symlink" | "other";
  /** Size of `data` in bytes (0 for directories). */
  size: number;
  /** Member contents (a copy: safe to keep). Empty for non-files. */
  data: Uint8Array;
  /** Link target for symlinks and hard links, "" otherwise. */
  linkName: string;
}

const decoder = new TextDecoder();

function readString(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  const stop = offset + length;
  while (end < stop && block[end] !== 0) end++;
  return decoder.decode(block.subarray(offset, end));
}

/** Octal ASCII numeric field, or GNU base-256 when the high bit of the first byte is set. */
function readNumber(block: Uint8Array, offset: number, length: number): number {
  if (block[offset] & 0x80) {
    let value = block[offset] & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + block[offset + i];
    return value;
  }
  const text = readString(block, offset, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) return NaN;
  return parseInt(text, 8);
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function headerChecksumOk(block: Uint8Array): boolean {
  const stored = readNumber(block, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return sum === stored;
}

/** Parses pax records `"<len> <key>=<value>\n"`. */
function parsePax(data: Uint8Array, fileName: string): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    let sp = pos;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = parseInt(decoder.decode(data.subarray(pos, sp)), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > data.length) {
      throw new Error(
        `${fileName}: corrupt pax extended header at byte ${pos}; the archive is damaged, ` +
          `re-create or re-download it`,
      );
    }
    const record = decoder.decode(data.subarray(sp + 1, pos + len - 1));
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/**
 * Push parser: feed chunks with {@link TarParser.push}, which returns the
 * members completed so far, then call {@link TarParser.finish} at end of input
 * (throws if the archive is truncated).
 */
export class TarParser {
  readonly #fileName: string;
  #buf = new Uint8Array(1 << 20);
  #start = 0;
  #end = 0;
  #consumed = 0; // bytes of the archive already parsed (for error messages)
  #pending: { header: Uint8Array; size: number; typeflag: string } | null = null;
  #longName: string | null = null;
  #longLink: string | null = null;
  #pax = new Map<string, string>();
  #globalPax = new Map<string, string>();
  #zeroBlocks = 0;
  #ended = false;

  /** `fileName` is used in every error message. */
  constructor(fileName: string) {
    this.#fileName = fileName;
  }

  /** Appends `chunk` and returns every member completed by it. */
  push(chunk: Uint8Array): TarEntry[] {
    if (this.#ended) return [];
    this.#append(chunk);
    const out: TarEntry[] = [];
    this.#drain(out);
    return out;
  }

  /**
   * Path of the regular-file member whose header is read but whose data is
   * not complete yet (undefined between members): the name of a member is
   * known before its data, even when the data turns out to be damaged.
   */
  get pendingMember(): string | undefined {
    const p = this.#pending;
    if (!p || !["0", "7", "\0"].includes(p.typeflag)) return undefined;
    return this.#entryName(p.header);
  }

  /** Signals end of input; throws an error naming the file if the archive is incomplete. */
  finish(): void {
    if (this.#ended) return;
    const left = this.#end - this.#start;
    if (this.#pending) {
      const name = this.#entryName(this.#pending.header);
      throw new Error(
        `${this.#fileName}: truncated tar archive: member "${name}" needs ` +
          `${this.#pending.size} bytes of data but only ${left} remain; ` +
          `the file is incomplete, re-download or re-create it`,
      );
    }
    if (left > 0 && this.#zeroBlocks === 0) {
      throw new Error(
        `${this.#fileName}: truncated tar archive: ${left} stray bytes at offset ` +
          `${this.#consumed} where a 512-byte header was expected; the file is incomplete, ` +
          `re-download or re-create it`,
      );
    }
    if (this.#zeroBlocks === 0) {
      throw new Error(
        `${this.#fileName}: truncated tar archive: no end-of-archive marker after ` +
          `${this.#consumed} bytes; the file is incomplete, re-download or re-create it`,
      );
    }
    this.#ended = true;
  }

  #append(chunk: Uint8Array): void {
    const need = this.#end - this.#start + chunk.length;
    if (this.#end + chunk.length > this.#buf.length) {
      if (need <= this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const bigger = new Uint8Array(Math.max(need, this.#buf.length * 2));
        bigger.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = bigger;
      }
      this.#end -= this.#start;
      this.#start = 0;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  #take(n: number): Uint8Array {
    const view = this.#buf.subarray(this.#start, this.#start + n);
    this.#start += n;
    this.#consumed += n;
    return view;
  }

  #entryName(header: Uint8Array): string {
    const pax = this.#pax.get("path") ?? this.#globalPax.get("path");
    if (pax !== undefined) return pax;
    if (this.#longName !== null) return this.#longName;
    const name = readString(header, 0, 100);
    const magic = readString(header, 257, 6);
    const prefix = magic === "ustar" ? readString(header, 345, 155) : "";
    return prefix ? `${prefix}/${name}` : name;
  }

  #drain(out: TarEntry[]): void {
    while (!this.#ended) {
      if (this.#pending === null) {
        if (this.#end - this.#start < BLOCK) return;
        const header = this.#take(BLOCK).slice();
        if (isZeroBlock(header)) {
          this.#zeroBlocks++;
          if (this.#zeroBlocks >= 2) this.#ended = true;
          continue;
        }
        if (this.#zeroBlocks > 0) this.#zeroBlocks = 0;
        if (!headerChecksumOk(header)) {
          throw new Error(
            `${this.#fileName}: corrupt tar header at byte ${this.#consumed - BLOCK} ` +
              `(checksum mismatch); the archive is damaged or not a tar file, ` +
              `re-download or re-create it`,
          );
        }
        const typeflag = String.fromCharCode(header[156] || 0x30);
        const paxSize = this.#pax.get("size") ?? this.#globalPax.get("size");
        const size = paxSize !== undefined ? Number(paxSize) : readNumber(header, 124, 12);
        if (!Number.isFinite(size) || size < 0) {
          throw new Error(
            `${this.#fileName}: corrupt size field in tar header at byte ` +
              `${this.#consumed - BLOCK}; the archive is damaged, re-download or re-create it`,
          );
        }
        const hasData = typeflag !== "5" && typeflag !== "1" && typeflag !== "2" &&
          typeflag !== "3" && typeflag !== "4" && typeflag !== "6";
        this.#pending = { header, size: hasData ? size : 0, typeflag };
      }
      const { header, size, typeflag } = this.#pending;
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (this.#end - this.#start < padded) return;
      const data = this.#take(padded).slice(0, size);
      this.#pending = null;
      this.#emit(header, typeflag, data, out);
    }
  }

  #emit(header: Uint8Array, typeflag: string, data: Uint8Array, out: TarEntry[]): void {
    switch (typeflag) {
      case "L":
        this.#longName = readString(data, 0, data.length);
        return;
      case "K":
        this.#longLink = readString(data, 0, data.length);
        return;
      case "x":
        for (const [k, v] of parsePax(data, this.#fileName)) this.#pax.set(k, v);
        return;
      case "g":
        for (const [k, v] of parsePax(data, this.#fileName)) this.#globalPax.set(k, v);
        return;
    }
    const name = this.#entryName(header);
    const linkName = this.#pax.get("linkpath") ?? this.#longLink ?? readString(header, 157, 100);
    this.#pax = new Map();
    this.#longName = null;
    this.#longLink = null;
    let type: TarEntry["type"];
    if (typeflag === "0" || typeflag === "7" || typeflag === "\0") type = "file";
    else if (typeflag === "5") type = "directory";
    else if (typeflag === "2") type = "symlink";
    else type = "other";
    // Old-style archives mark directories only by a trailing slash.
    if (type === "file" && name.endsWith("/") && data.length === 0) type = "directory";
    out.push({ name, type, size: data.length, data, linkName });
  }
}

/** Undoes gzip with the Web `DecompressionStream`. */
export function gunzipStream(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return stream.pipeThrough(
    new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>,
  );
}

/** True when `bytes` starts with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Iterates the members of a (possibly gzip-compressed) tar stream.
 * Errors (truncation, corrupt headers, bad gzip data) name `fileName`.
 */
export async function* readTarStream(
  stream: ReadableStream<Uint8Array>,
  fileName: string,
  gzip: boolean,
): AsyncGenerator<TarEntry> {
  const parser = new TarParser(fileName);
  const source = gzip ? gunzipStream(stream) : stream;
  try {
    for await (const chunk of source) yield* parser.push(chunk);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(fileName)) throw err;
    throw new Error(
      `${fileName}: cannot read archive (${(err as Error).message}); the file is damaged or ` +
        `truncated, re-download or re-create it`,
      { cause: err },
    );
  }
  parser.finish();
}

/** Iterates the members of an in-memory tar (gzip detected from the magic number). */
export function readTarBytes(bytes: Uint8Array, fileName: string): AsyncGenerator<TarEntry> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream();
  return readTarStream(stream, fileName, isGzip(bytes));
}

/** Iterates the members of a tar or tar.gz file on disk (gzip detected from the magic number). */
export async function* readTarFile(path: string): AsyncGenerator<TarEntry> {
  const file = await Deno.open(path, { read: true });
  const head = new Uint8Array(2);
  const n = (await file.read(head)) ?? 0;
  await file.seek(0, Deno.SeekMode.Start);
  yield* readTarStream(file.readable, path, isGzip(head.subarray(0, n)));
}
