import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Raster } from '../../src/viz/canvas';
import { COLORMAPS, COLORMAP_SIZE, colorAt, colormapTable } from '../../src/viz/colormap';
import { GLYPH_HEIGHT, drawText, hasGlyph, textHeight, textWidth } from '../../src/viz/font';

const INK = [0, 0, 0] as const;

/** Bounding box of non-white pixels, or undefined when there are none. */
function inkBox(raster: Raster): { x0: number; y0: number; x1: number; y1: number } | undefined {
  let box: { x0: number; y0: number; x1: number; y1: number } | undefined;
  for (let y = 0; y < raster.height; y++) {
    for (let x = 0; x < raster.width; x++) {
      if (raster.data[(y * raster.width + x) * 4] === 255) continue;
      box = box ? { x0: Math.min(box.x0, x), y0: Math.min(box.y0, y), x1: Math.max(box.x1, x), y1: Math.max(box.y1, y) } : { x0: x, y0: y, x1: x, y1: y };
    }
  }
  return box;
}

describe('bitmap font', () => {
  test('has glyphs for digits, letters and the punctuation of axis labels', () => {
    const needed = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:, ()_/%+=';
    for (const char of needed) assert.ok(hasGlyph(char), JSON.stringify(char));
  });

  test('every glyph is drawn inside its 5x7 cell at every scale, and distinct characters look different', () => {
    const seen = new Map<string, string>();
    for (const char of new Set('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:kHzs')) {
      for (const scale of [1, 2, 3]) {
        const raster = new Raster(20, 30);
        drawText(raster, char, 4, 5, { scale, color: INK });
        const box = inkBox(raster);
        assert.ok(box, `${char} has ink`);
        assert.ok(box.x0 >= 4 && box.x1 < 4 + 5 * scale && box.y0 >= 5 && box.y1 < 5 + GLYPH_HEIGHT * scale, `${char} x${scale}`);
        if (scale === 1) {
          const key = Array.from(raster.data.filter((_, i) => i % 4 === 0)).join(',');
          assert.ok(!seen.has(key), `${char} looks like ${seen.get(key)}`);
          seen.set(key, char);
        }
      }
    }
  });

  test('text fills the measured width, and rotated text the transposed box', () => {
    const text = 'kHz 0.5'; // 'k' inks its first column and '5' its last
    for (const scale of [1, 2]) {
      const flat = new Raster(120, 40);
      drawText(flat, text, 3, 2, { scale, color: INK });
      const box = inkBox(flat)!;
      assert.equal(box.x0, 3);
      assert.equal(box.x1, 3 + textWidth(text, scale) - 1);
      assert.ok(box.y1 - box.y0 + 1 <= textHeight(scale));

      const up = new Raster(40, 120);
      drawText(up, text, 2, 3, { scale, color: INK, rotate: 90 });
      const upBox = inkBox(up)!;
      assert.equal(upBox.y1 - upBox.y0 + 1, textWidth(text, scale));
      assert.ok(upBox.x1 - upBox.x0 + 1 <= textHeight(scale));
      assert.equal(upBox.y1, 3 + textWidth(text, scale) - 1);
      // Reading upwards: the bottom cell holds the first character, 'k', drawn the same way alone.
      const alone = new Raster(40, 120);
      drawText(alone, 'k', 2, 3 + textWidth(text, scale) - textWidth('k', scale), { scale, color: INK, rotate: 90 });
      const bottomCell = (r: Raster): number[] => Array.from(r.data.subarray((upBox.y1 + 1 - 5 * scale) * 4 * r.width, (upBox.y1 + 1) * 4 * r.width));
      assert.deepEqual(bottomCell(up), bottomCell(alone));
    }
  });
});

describe('colour maps', () => {
  test('each map has 256 colours whose lightness rises from the first entry to the last', () => {
    for (const name of COLORMAPS) {
      const table = colormapTable(name);
      assert.equal(table.length, 3 * COLORMAP_SIZE);
      const luma = (i: number): number => 0.2126 * table[3 * i] + 0.7152 * table[3 * i + 1] + 0.0722 * table[3 * i + 2];
      for (let i = 8; i < COLORMAP_SIZE; i += 8) assert.ok(luma(i) > luma(i - 8), `${name} lightness at ${i}`);
    }
  });

  test('matches the published matplotlib end points', () => {
    // matplotlib _viridis_data[0] = (0.267004, 0.004874, 0.329415), [255] = (0.993248, 0.906157, 0.143936);
    // _magma_data[0] = (0.001462, 0.000466, 0.013866), [255] = (0.987053, 0.991438, 0.749504).
    const published = {
      viridis: [[0.267004, 0.004874, 0.329415], [0.993248, 0.906157, 0.143936]],
      magma: [[0.001462, 0.000466, 0.013866], [0.987053, 0.991438, 0.749504]],
    };
    for (const name of COLORMAPS) {
      const table = colormapTable(name);
      assert.deepEqual(colorAt(table, 0), published[name][0].map((v) => Math.round(v * 255)));
      assert.deepEqual(colorAt(table, 1), published[name][1].map((v) => Math.round(v * 255)));
      assert.deepEqual(colorAt(table, Number.NaN), colorAt(table, -5));
    }
  });
});
