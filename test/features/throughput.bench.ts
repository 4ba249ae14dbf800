/**
 * Single-thread throughput of the default mel extractor (the PyTorch yardstick's log-mel, 64 x 63)
 * on all FSDD clips padded to 1 s, and of writing the results as .npy.
 * Run: node --import tsx test/features/throughput.bench.ts
 * Reports wall-clock and CPU-time rates (CPU time is the fairer figure on a shared machine).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MelSpectrogram, writeNpySync } from '../../src/features';
import { FSDD_DIR, fitToLength, hasFsdd, readPcm16Mono } from './parity-helpers';

if (!hasFsdd()) {
  console.log(`skipped: FSDD recordings not found at ${FSDD_DIR}`);
  process.exit(0);
}
const files = readdirSync(FSDD_DIR).filter((f) => f.endsWith('.wav')).sort();
const clips = files.map((f) => fitToLength(readPcm16Mono(path.join(FSDD_DIR, f)).samples, 8000));
const extractor = new MelSpectrogram();
for (let i = 0; i < 500; i++) extractor.extract(clips[i % clips.length], 8000); // JIT warm-up

function time<T>(fn: () => T): { value: T; wallS: number; cpuS: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = fn();
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { value, wallS, cpuS: (c.user + c.system) / 1e6 };
}

for (let rep = 0; rep < 3; rep++) {
  const ex = time(() => clips.map((c) => extractor.extract(c, 8000)));
  const dir = mkdtempSync(path.join(tmpdir(), 'melbook-bench-'));
  const wr = time(() => ex.value.forEach((o, i) => writeNpySync(path.join(dir, `${i}.npy`), o.data, o.shape)));
  rmSync(dir, { recursive: true, force: true });
  const rate = (s: number) => (clips.length / s).toFixed(0);
  console.log(
    `extract ${clips.length} clips: ${rate(ex.wallS)} files/s wall, ${rate(ex.cpuS)} files/s CPU; ` +
      `writeNpySync: ${rate(wr.wallS)} files/s wall, ${rate(wr.cpuS)} CPU; ` +
      `extract + write: ${rate(ex.wallS + wr.wallS)} wall, ${rate(ex.cpuS + wr.cpuS)} CPU`,
  );
}
