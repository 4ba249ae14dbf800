import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hzToMel, melToHz, MEL_SCALES } from '../../src/features/filterbank';
import { linearAxis, melAxis } from '../../src/viz/frequency-axis';
import { fitLinearTicks, formatHz, formatTickValue, niceStep, pickSpacedValues, roundFrequencyCandidates } from '../../src/viz/ticks';

describe('frequency axes', () => {
  test('the axes use the filterbank Hz/mel formulas: known values and round trips on both scales', () => {
    for (const scale of MEL_SCALES) {
      for (let hz = 0; hz <= 22050; hz += 137.5) {
        assert.ok(Math.abs(melToHz(hzToMel(hz, scale), scale) - hz) < 1e-6, `${scale} ${hz} Hz`);
      }
    }
    assert.ok(Math.abs(hzToMel(1000, 'slaney') - 15) < 1e-12);
    assert.ok(Math.abs(hzToMel(1000, 'htk') - 999.99) < 0.01);
  });

  test('mel band centres are the inner points of nMels + 2 mel-spaced edges and sit at b + 0.5', () => {
    for (const scale of MEL_SCALES) {
      for (const [n, fMin, fMax] of [[64, 0, 4000], [40, 20, 8000], [1, 0, 4000]]) {
        const axis = melAxis(n, fMin, fMax, scale);
        const step = (hzToMel(fMax, scale) - hzToMel(fMin, scale)) / (n + 1);
        for (let b = 0; b < n; b++) {
          const centre = axis.binCentreHz(b);
          assert.ok(Math.abs(centre - melToHz(hzToMel(fMin, scale) + step * (b + 1), scale)) < 1e-6);
          assert.ok(Math.abs(axis.binPosition(centre) - (b + 0.5)) < 1e-9);
          if (b > 0) assert.ok(centre > axis.binCentreHz(b - 1), 'centres rise with the bin');
        }
      }
    }
  });

  test('linear bins run from fMinHz at bin 0 to fMaxHz at the last bin', () => {
    const axis = linearAxis(129, 0, 4000);
    assert.equal(axis.binCentreHz(0), 0);
    assert.equal(axis.binCentreHz(128), 4000);
    assert.equal(axis.binPosition(2000), 64.5);
  });
});

describe('ticks', () => {
  test('niceStep returns 1, 2 or 5 times a power of ten', () => {
    for (const span of [0.003, 0.5, 1, 7, 42, 999, 4000, 123456]) {
      for (const target of [1, 3, 5, 10]) {
        const step = niceStep(span, target);
        const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
        assert.ok([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-9), `${span}/${target} -> ${step}`);
        assert.ok(span / step <= target * 3 && span / step >= target / 3, `${span}/${target} -> ${step}`);
      }
    }
  });

  test('fitLinearTicks keeps labels apart and inside the axis for many axis lengths', () => {
    for (const lengthPx of [40, 100, 250, 600, 1500]) {
      for (const [min, max] of [[0, 0.55], [-80, 0], [-0.31, 0.31], [0, 4000], [3, 1000]]) {
        const labelExtentPx = (label: string): number => label.length * 12 - 2;
        const ticks = fitLinearTicks({ min, max, lengthPx, labelExtentPx, gapPx: 8, at: (v) => (v - min) / (max - min) });
        assert.ok(ticks.length >= 1, `${min}..${max} on ${lengthPx} px`);
        for (let i = 0; i < ticks.length; i++) {
          assert.ok(ticks[i].at >= 0 && ticks[i].at <= 1);
          if (i === 0) continue;
          const apart = (ticks[i].at - ticks[i - 1].at) * lengthPx;
          const need = (labelExtentPx(ticks[i].label) + labelExtentPx(ticks[i - 1].label)) / 2 + 8;
          if (ticks.length > 1) assert.ok(apart >= need - 1e-9, `${ticks.map((t) => t.label)} on ${lengthPx} px`);
        }
      }
    }
  });

  test('labels print the step precision, Hz in k above 1000, and never "-0"', () => {
    assert.equal(formatTickValue(-0.0000001, 1), '0.0');
    assert.equal(formatTickValue(0.25, 2), '0.25');
    assert.deepEqual([250, 1000, 1500, 2000, 12000, 0].map(formatHz), ['250', '1k', '1.5k', '2k', '12k', '0']);
  });

  test('round frequencies are picked roundest first and kept apart', () => {
    const candidates = roundFrequencyCandidates(50, 4000);
    assert.equal(candidates[0], 1000);
    assert.ok(candidates.every((hz) => hz >= 50 && hz <= 4000));
    const order = (hz: number): number => candidates.indexOf(hz);
    assert.ok(order(1000) < order(500) && order(500) < order(2000) && order(2000) < order(3000) && order(3000) < order(1500));
    const picked = pickSpacedValues(candidates, (hz) => hzToMel(hz, 'htk') / 10, 20);
    for (let i = 1; i < picked.length; i++) assert.ok(hzToMel(picked[i], 'htk') / 10 - hzToMel(picked[i - 1], 'htk') / 10 >= 20);
    assert.ok(picked.includes(1000));
  });
});
