/**
 * Decodes JPEG (npm `jpeg-js`) and PNG (npm `fast-png`) files into uint8 HWC
 * pixels with 1 (gray) or 3 (RGB) channels.
 *
 * PNG: bit depths 1/2/4/8/16, gray, gray+alpha, RGB, RGBA and palette images.
 * 16-bit samples are rounded to 8 bits, alpha is dropped (as PIL's
 * `convert("RGB")` does), palettes are expanded.
 *
 * @module
 */

import jpeg from "jpeg-js";
import { decode as decodePngRaw } from "fast-png";
import { convertChannels } from "./resize.ts";

/** Uint8 pixels in HWC order: `data.length === height * width * channels`. */
export interface DecodedImage {
  data: Uint8Array;
  height: number;
  width: number;
  channels: 1 | 3;
}

/** True for the JPEG SOI marker FF D8 FF. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** True for the 8-byte PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Number of colour components in a JPEG's start-of-frame segment (1 gray, 3 YCbCr, 4 CMYK). */
function jpegComponentCount(bytes: Uint8Array): number {
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) return 0;
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    const len = (bytes[pos + 2] << 8) | bytes[pos + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 &&
      marker !== 0xcc;
    if (isSof) return bytes[pos + 9] ?? 0;
    pos += 2 + len;
  }
  return 0;
}

/**
 * Decodes a JPEG. Gray JPEGs give 1 channel, colour JPEGs 3, unless
 * `channels` forces a conversion. Throws an error naming `fileName` on corrupt data.
 */
export function decodeJpeg(bytes: Uint8Array, fileName: string, channels?: 1 | 3): DecodedImage {
  let raw: { width: number; height: number; data: Uint8Array };
  try {
    raw = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
  } catch (err) {
    throw new Error(
      `${fileName}: cannot decode JPEG (${(err as Error).message}); the file is corrupt, ` +
        `re-export it or remove it from the dataset`,
      { cause: err },
    );
  }
  if (!raw.width || !raw.height || raw.data.length !== raw.width * raw.height * 3) {
    throw new Error(
      `${fileName}: JPEG decoded to an empty or inconsistent image; the file is corrupt, ` +
        `re-export it or remove it from the dataset`,
    );
  }
  let image: DecodedImage = { data: raw.data, height: raw.height, width: raw.width, channels: 3 };
  if (jpegComponentCount(bytes) === 1) image = toChannels(image, 1);
  return channels ? toChannels(image, channels) : image;
}

function scaleTo8(value: number, depth: number): number {
  if (depth === 8) return value;
  if (depth === 16) return Math.round(value / 257);
  return Math.round((value * 255) / ((1 << depth) - 1));
}

/**
 * Decodes a PNG (any standard colour type and bit depth). Gray and gray+alpha
 * give 1 channel, RGB/RGBA/palette 3, unless `channels` forces a conversion.
 */
export function decodePng(bytes: Uint8Array, fileName: string, channels?: 1 | 3): DecodedImage {
  let png: ReturnType<typeof decodePngRaw>;
  try {
    png = decodePngRaw(bytes, { checkCrc: true });
  } catch (err) {
    throw new Error(
      `${fileName}: cannot decode PNG (${(err as Error).message}); the file is corrupt, ` +
        `re-export it or remove it from the dataset`,
      { cause: err },
    );
  }
  const { width, height, depth, data } = png;
  const inC = png.channels;
  const n = width * height;
  const isPalette = png.palette !== undefined && inC === 1;
  const outC: 1 | 3 = isPalette || inC >= 3 ? 3 : 1;
  const out = new Uint8Array(n * outC);
  const rowBytes = depth < 8 ? Math.ceil((width * depth) / 8) : 0;
  const expected = depth < 8 ? rowBytes * height : n * inC;
  if (data.length < expected) {
    throw new Error(
      `${fileName}: PNG pixel data is shorter than ${width}x${height}x${inC} at ${depth} bits; ` +
        `the file is corrupt, re-export it`,
    );
  }
  const sample = (pixel: number, channel: number): number => {
    if (depth >= 8) return data[pixel * inC + channel];
    const y = Math.floor(pixel / width);
    const x = pixel - y * width;
    const bit = x * depth;
    const byte = data[y * rowBytes + (bit >> 3)];
    return (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  if (isPalette) {
    const palette = png.palette!;
    for (let p = 0; p < n; p++) {
      const idx = sample(p, 0);
      const color = palette[idx];
      if (!color) {
        throw new Error(
          `${fileName}: PNG palette index ${idx} is outside the ${palette.length}-entry palette; ` +
            `the file is corrupt, re-export it`,
        );
      }
      out[p * 3] = color[0];
      out[p * 3 + 1] = color[1];
      out[p * 3 + 2] = color[2];
    }
  } else {
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < outC; c++) out[p * outC + c] = scaleTo8(sample(p, c), depth);
    }
  }
  const image: DecodedImage = { data: out, height, width, channels: outC };
  return channels ? toChannels(image, channels) : image;
}

function toChannels(image: DecodedImage, channels: 1 | 3): DecodedImage {
  if (image.channels === channels) return image;
  const data = convertChannels(image.data, image.height, image.width, image.channels, channels);
  return { data, height: image.height, width: image.width, channels };
}

/**
 * Decodes a JPEG or PNG, recognised by its signature (not its extension).
 * Throws an error naming `fileName` for other formats or corrupt data.
 */
export function decodeImage(bytes: Uint8Array, fileName: string, channels?: 1 | 3): DecodedImage {
  if (isJpeg(bytes)) return decodeJpeg(bytes, fileName, channels);
  if (isPng(bytes)) return decodePng(bytes, fileName, channels);
  throw new Error(
    `${fileName}: not a JPEG or PNG file (unknown signature); convert it to .jpg or .png ` +
      `or remove it from the dataset`,
  );
}
