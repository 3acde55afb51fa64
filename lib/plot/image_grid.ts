/**
 * A grid of uint8 images as one plotly figure (plotly `image` traces with PNG
 * sources), e.g. originals, masks and masked views side by side. Images keep
 * their pixel aspect; axes are hidden (pixel axes carry no unit).
 *
 * @module
 */
import { encode } from "fast-png";
import { encodeBase64 } from "./base64.ts";
import type { Figure, Layout, Trace } from "./figure.ts";
import { FIGURE_SIZES, type FigureOptions, STYLE, styledLayout } from "./style.ts";

/** One 8-bit image, HWC row-major: `data.length = height * width * channels`. */
export interface Uint8Image {
  data: Uint8Array;
  height: number;
  width: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA); default 3. */
  channels?: number;
}

/** Options of {@link imageGrid}. */
export interface ImageGridOptions extends FigureOptions {
  /** Images per row (default: all in one row, at most 8). */
  columns?: number;
  /** Caption above each image (same order as the images). */
  titles?: readonly string[];
  /**
   * Wanted size of one image cell in px (default 96): picks the print size (one
   * column when the grid fits, else two); the cells then fill that width.
   */
  cellSize?: number;
}

/** Splits an NHWC uint8 batch (`pixels.length = N*H*W*C`) into {@link Uint8Image}s. */
export function imagesFromBatch(
  pixels: Uint8Array,
  shape: readonly [number, number, number, number],
  indices?: readonly number[],
): Uint8Image[] {
  const [n, h, w, c] = shape;
  if (pixels.length !== n * h * w * c) {
    throw new Error(
      `imagesFromBatch: ${pixels.length} bytes do not match shape [${shape}] (${n * h * w * c})`,
    );
  }
  const size = h * w * c;
  return (indices ?? Array.from({ length: n }, (_, i) => i)).map((i) => {
    if (i < 0 || i >= n) throw new Error(`imagesFromBatch: index ${i} outside 0..${n - 1}`);
    return { data: pixels.subarray(i * size, (i + 1) * size), height: h, width: w, channels: c };
  });
}

/** PNG data URI of one image. */
export function imageDataUri(img: Uint8Image): string {
  const channels = img.channels ?? 3;
  if (![1, 3, 4].includes(channels)) {
    throw new Error(`imageGrid: channels must be 1, 3 or 4, got ${channels}`);
  }
  if (img.data.length !== img.height * img.width * channels) {
    throw new Error(
      `imageGrid: ${img.data.length} bytes do not make a ${img.height}x${img.width}x${channels} ` +
        `image; data must be HWC uint8`,
    );
  }
  const png = encode({
    width: img.width,
    height: img.height,
    data: img.data,
    channels,
    depth: 8,
  });
  return `data:image/png;base64,${encodeBase64(png)}`;
}

/** Grid of images, row-major, with optional per-image titles. */
export function imageGrid(images: readonly Uint8Image[], opts: ImageGridOptions = {}): Figure {
  const n = images.length;
  if (n === 0) throw new Error("imageGrid: no images given");
  if (opts.titles && opts.titles.length !== n) {
    throw new Error(`imageGrid: ${opts.titles.length} titles for ${n} images; give one per image`);
  }
  const cols = Math.max(1, Math.min(opts.columns ?? Math.min(n, 8), n));
  const rows = Math.ceil(n / cols);
  // Print width: one column when the grid fits at cellSize, else two columns; cells fill it.
  const wanted = cols * (opts.cellSize ?? 96) + 20;
  const size = opts.size ?? (wanted <= FIGURE_SIZES.column.width ? "column" : "page");
  const width = opts.width ?? FIGURE_SIZES[size].width;
  const cell = (width - 20) / cols;
  const titleSpace = opts.titles ? 22 : 4;
  const data: Trace[] = [];
  const axes: Layout = {};
  const annotations: Layout[] = [];
  images.forEach((img, i) => {
    const k = i === 0 ? "" : String(i + 1);
    const r = Math.floor(i / cols);
    const c = i % cols;
    const gap = 0.04;
    const x0 = c / cols + gap / cols;
    const x1 = (c + 1) / cols - gap / cols;
    const y1 = 1 - r / rows - (titleSpace / (rows * (cell + titleSpace)));
    const y0 = 1 - (r + 1) / rows + gap / rows;
    data.push({
      type: "image",
      source: imageDataUri(img),
      xaxis: `x${k}`,
      yaxis: `y${k}`,
      hoverinfo: "skip",
      name: opts.titles?.[i] ?? `image ${i}`,
    });
    const hidden = { visible: false, showgrid: false, zeroline: false, fixedrange: true };
    axes[`xaxis${k}`] = { ...hidden, domain: [x0, x1], anchor: `y${k}` };
    axes[`yaxis${k}`] = {
      ...hidden,
      domain: [y0, y1],
      anchor: `x${k}`,
      scaleanchor: `x${k}`,
      autorange: "reversed",
    };
    if (opts.titles) {
      annotations.push({
        text: opts.titles[i],
        xref: `x${k} domain`,
        yref: `y${k} domain`,
        x: 0.5,
        y: 1,
        yanchor: "bottom",
        showarrow: false,
        font: { size: STYLE.tickSize },
      });
    }
  });
  const layout = styledLayout(
    {
      ...opts,
      width,
      height: opts.height ?? Math.round(rows * (cell + titleSpace) + (opts.title ? 50 : 10)),
    },
    {
      showlegend: false,
      margin: { l: 10, r: 10, t: opts.title ? 50 : 10, b: 0 },
      annotations,
      ...axes,
    },
  );
  return { data, layout };
}
