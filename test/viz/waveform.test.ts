import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { ConfigError } from '../../src/errors';
import { THEME } from '../../src/viz/canvas';
import { renderWaveformPng } from '../../src/viz/waveform';

function lineRows(png: Uint8Array, x: number): number[] {
  const image = PNG.sync.read(Buffer.from(png));
  const rows: number[] = [];
  for (let y = 0; y < image.height; y++) {
    const i = (y * image.width + x) * 4;
    if (image.data[i] === THEME.line[0] && image.data[i + 1] === THEME.line[1] && image.data[i + 2] === THEME.line[2]) rows.push(y);
  }
  return rows;
}

const tone = (n: number, hz: number, amplitude: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / 8000));

describe('renderWaveformPng', () => {
  test('produces a PNG of the requested size for short and long signals', () => {
    for (const n of [1, 50, 8000, 80000]) {
      for (const [width, height] of [[640, 200], [320, 120]]) {
        const image = PNG.sync.read(Buffer.from(renderWaveformPng(tone(n, 440, 0.5), 8000, { width, height, title: 'tone' })));
        assert.deepEqual([image.width, image.height], [width, height], `${n} samples`);
      }
    }
  });

  test('a dense tone fills the same span above and below the zero line; silence stays on it', () => {
    const loud = lineRows(renderWaveformPng(tone(8000, 440, 0.5), 8000, { amplitude: 1 }), 320);
    const quiet = lineRows(renderWaveformPng(new Float32Array(8000), 8000, { amplitude: 1 }), 320);
    assert.ok(quiet.length >= 1 && quiet.length <= 2, `silence is ${quiet.length} rows tall`);
    const zero = quiet[0];
    const above = zero - loud[0];
    const below = loud[loud.length - 1] - zero;
    assert.ok(Math.abs(above - below) <= 1, `${above} rows above, ${below} below`);
    // Half the amplitude range: about a quarter of the plot height on each side.
    const full = lineRows(renderWaveformPng(tone(8000, 440, 1), 8000, { amplitude: 1 }), 320);
    assert.ok(Math.abs(full.length - 2 * loud.length) <= 3, `${full.length} vs ${loud.length}`);
  });

  test('is deterministic and rejects an empty signal or a bad sample rate', () => {
    const samples = tone(4000, 300, 0.3);
    assert.deepEqual(renderWaveformPng(samples, 8000), renderWaveformPng(Float32Array.from(samples), 8000));
    assert.throws(() => renderWaveformPng(new Float32Array(0), 8000), ConfigError);
    assert.throws(() => renderWaveformPng(samples, 0), /sampleRateHz/);
  });
});
