/**
 * A minimal RGB raster for static plots: solid rectangles and lines on integer pixel
 * coordinates, encoded to PNG with pngjs. No anti-aliasing, so output is exactly
 * reproducible from the same input.
 */
import { PNG } from 'pngjs';

/** An sRGB colour, each channel 0-255. */
export type Rgb = readonly [number, number, number];

/** Colours shared by every plot, so the figures of one report look alike. */
export const THEME = {
  background: [255, 255, 255] as Rgb,
  text: [34, 34, 34] as Rgb,
  axis: [68, 68, 68] as Rgb,
  grid: [225, 225, 225] as Rgb,
  line: [31, 119, 180] as Rgb,
};

export class Raster {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major from the top-left pixel, 4 bytes a pixel; alpha is always 255. */
  readonly data: Uint8Array;

  constructor(width: number, height: number, background: Rgb = THEME.background) {
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel; coordinates outside the raster are ignored. */
  setPixel(x: number, y: number, color: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.data[i] = color[0];
    this.data[i + 1] = color[1];
    this.data[i + 2] = color[2];
    this.data[i + 3] = 255;
  }

  /** Fills the rectangle with top-left (x, y), clipped to the raster. */
  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    const [r, g, b] = color;
    for (let py = y0; py < y1; py++) {
      for (let i = (py * this.width + x0) * 4, end = (py * this.width + x1) * 4; i < end; i += 4) {
        this.data[i] = r;
        this.data[i + 1] = g;
        this.data[i + 2] = b;
        this.data[i + 3] = 255;
      }
    }
  }

  /** Draws a straight segment between two pixel centres (Bresenham). */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
    let x = Math.round(x0);
    let y = Math.round(y0);
    const xe = Math.round(x1);
    const ye = Math.round(y1);
    const dx = Math.abs(xe - x);
    const dy = -Math.abs(ye - y);
    const sx = x < xe ? 1 : -1;
    const sy = y < ye ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      this.setPixel(x, y, color);
      if (x === xe && y === ye) return;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  /** Draws the 1-pixel outline of a rectangle. */
  strokeRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    this.fillRect(x, y, w, 1, color);
    this.fillRect(x, y + h - 1, w, 1, color);
    this.fillRect(x, y, 1, h, color);
    this.fillRect(x + w - 1, y, 1, h, color);
  }

  /** Encodes as an 8-bit RGB PNG (no alpha channel, fixed compression, so bytes are reproducible). */
  toPng(): Uint8Array {
    const png = new PNG({ width: this.width, height: this.height, colorType: 2, inputColorType: 6, inputHasAlpha: true });
    Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength).copy(png.data);
    return new Uint8Array(PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true, deflateLevel: 6 }));
  }
}

/** `data:image/png;base64,...` for embedding PNG bytes in HTML, Markdown or notebook outputs. */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}
