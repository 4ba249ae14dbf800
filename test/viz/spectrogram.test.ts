import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { ConfigError } from '../../src/errors';
import { COLORMAP_SIZE, colormapTable, type ColormapName } from '../../src/viz/colormap';
import { renderSpectrogramPng, type SpectrogramImageOptions } from '../../src/viz/spectrogram';
import { pngDataUri } from '../../src/viz/canvas';

interface Image {
  width: number;
  height: number;
  rgb(x: number, y: number): [number, number, number];
}

function decode(png: Uint8Array): Image {
  const image = PNG.sync.read(Buffer.from(png));
  return {
    width: image.width,
    height: image.height,
    rgb: (x, y) => {
      const i = (y * image.width + x) * 4;
      return [image.data[i], image.data[i + 1], image.data[i + 2]];
    },
  };
}

function tableColor(name: ColormapName, index: number): [number, number, number] {
  const t = colormapTable(name);
  return [t[3 * index], t[3 * index + 1], t[3 * index + 2]];
}

const same = (a: readonly number[], b: readonly number[]): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/** Energy only in bin 0 of an [nBins, nFrames] array: 1 there, 0 elsewhere. */
function lowBinOnly(nBins: number, nFrames: number): Float32Array {
  const data = new Float32Array(nBins * nFrames);
  data.fill(1, 0, nFrames);
  return data;
}

const BASE: SpectrogramImageOptions = { hopLength: 128, sampleRateHz: 8000, yAxis: 'mel', title: 'test' };

describe('renderSpectrogramPng', () => {
  test('produces a PNG of the requested size for every axis kind, colour map and a range of sizes', () => {
    for (const yAxis of ['mel', 'linear', 'index'] as const) {
      for (const colormap of ['viridis', 'magma'] as const) {
        for (const [width, height] of [[640, 320], [300, 160], [1000, 500], [480, 480]]) {
          const png = renderSpectrogramPng(lowBinOnly(40, 25), [40, 25], { ...BASE, yAxis, colormap, width, height });
          const image = decode(png);
          assert.deepEqual([image.width, image.height], [width, height], `${yAxis} ${colormap} ${width}x${height}`);
        }
      }
    }
    const image = decode(renderSpectrogramPng(lowBinOnly(64, 34), [64, 34], BASE));
    assert.deepEqual([image.width, image.height], [640, 320]);
  });

  test('draws bin 0 at the bottom of the plot, with the top colour of the map for the largest value', () => {
    for (const colormap of ['viridis', 'magma'] as const) {
      const nBins = 8;
      const image = decode(renderSpectrogramPng(lowBinOnly(nBins, 30), [nBins, 30], { ...BASE, colormap, colorbarLabel: 'dB' }));
      const high = tableColor(colormap, COLORMAP_SIZE - 1);
      const low = tableColor(colormap, 0);
      // The plot sits left of the colour bar: look at the middle column of the image.
      const x = Math.floor(image.width * 0.4);
      const highRows: number[] = [];
      const lowRows: number[] = [];
      for (let y = 0; y < image.height; y++) {
        if (same(image.rgb(x, y), high)) highRows.push(y);
        if (same(image.rgb(x, y), low)) lowRows.push(y);
      }
      assert.ok(highRows.length > 0 && lowRows.length > 0, `${colormap}: both ends of the map appear in the plot`);
      assert.ok(Math.max(...lowRows) < Math.min(...highRows), `${colormap}: the high-energy rows lie below all the others`);
      // Bin 0 is one row band of eight: about an eighth of the painted height.
      const plotHeight = highRows.length + lowRows.length;
      assert.ok(Math.abs(highRows.length - plotHeight / nBins) <= 1, `${highRows.length} rows of ${plotHeight}`);
      assert.equal(highRows[highRows.length - 1] - highRows[0] + 1, highRows.length, 'bin 0 is one contiguous band');
    }
  });

  test('draws a colour bar running through the whole map from low (bottom) to high (top)', () => {
    const image = decode(renderSpectrogramPng(lowBinOnly(8, 30), [8, 30], { ...BASE, colorbarLabel: 'dB' }));
    const high = tableColor('viridis', COLORMAP_SIZE - 1);
    const low = tableColor('viridis', 0);
    let found = false;
    for (let x = Math.floor(image.width * 0.75); x < image.width && !found; x++) {
      const colours = new Set<string>();
      let topOfHigh = -1;
      let bottomOfLow = -1;
      for (let y = 0; y < image.height; y++) {
        const c = image.rgb(x, y);
        colours.add(c.join(','));
        if (same(c, high) && topOfHigh < 0) topOfHigh = y;
        if (same(c, low)) bottomOfLow = y;
      }
      found = colours.size > 100 && topOfHigh >= 0 && bottomOfLow > topOfHigh;
    }
    assert.ok(found, 'a column right of the plot shows a gradient of more than 100 colours, high at the top');
  });

  test('renders the same bytes for the same input and different bytes for different data', () => {
    const data = Float32Array.from({ length: 32 * 20 }, (_, i) => Math.sin(i / 7) * 30 - 40);
    const a = renderSpectrogramPng(data, [32, 20], { ...BASE, colorbarLabel: 'dB' });
    const b = renderSpectrogramPng(Float32Array.from(data), [32, 20], { ...BASE, colorbarLabel: 'dB' });
    assert.deepEqual(a, b);
    const changed = Float32Array.from(data);
    changed[5] += 10;
    assert.notDeepEqual(renderSpectrogramPng(changed, [32, 20], { ...BASE, colorbarLabel: 'dB' }), a);
  });

  test('clamps values outside vmin..vmax to the ends of the map', () => {
    const nBins = 4;
    const data = new Float32Array(nBins * 10).fill(-1000);
    data.fill(1000, 0, 10);
    const image = decode(renderSpectrogramPng(data, [nBins, 10], { ...BASE, yAxis: 'index', vmin: -80, vmax: 0 }));
    const x = Math.floor(image.width * 0.4);
    const column = Array.from({ length: image.height }, (_, y) => image.rgb(x, y));
    assert.ok(column.some((c) => same(c, tableColor('viridis', COLORMAP_SIZE - 1))));
    assert.ok(column.some((c) => same(c, tableColor('viridis', 0))));
  });

  test('rejects data whose length does not match the shape, naming both', () => {
    assert.throws(
      () => renderSpectrogramPng(new Float32Array(10), [4, 3], BASE),
      (error: Error) => error instanceof ConfigError && /10 values/.test(error.message) && /4 \* 3 = 12/.test(error.message),
    );
    assert.throws(() => renderSpectrogramPng(new Float32Array(12), [4, 3], { ...BASE, hopLength: 0 }), ConfigError);
    assert.throws(() => renderSpectrogramPng(new Float32Array(12), [4, 3], { ...BASE, vmin: 1, vmax: 1 }), ConfigError);
    assert.throws(() => renderSpectrogramPng(new Float32Array(12), [4, 3], { ...BASE, width: 60, height: 40 }), /plot area/);
  });
});

describe('pngDataUri', () => {
  test('wraps the PNG bytes in a base64 data URI that decodes back to them', () => {
    const png = renderSpectrogramPng(lowBinOnly(4, 4), [4, 4], { ...BASE, width: 200, height: 120 });
    const uri = pngDataUri(png);
    assert.match(uri, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(new Uint8Array(Buffer.from(uri.split(',')[1], 'base64')), png);
  });
});
