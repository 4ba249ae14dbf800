/** Small generated corpora and FSDD subsets for tests. Nothing here is committed audio. */
import { mkdtempSync, writeFileSync, symlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../src/audio/encode';
import { FSDD_DIR } from './fsdd';

export { FSDD_DIR, FSDD_MISSING, hasFsdd } from './fsdd';

/** Tones whose pitch depends on the digit: `digits` x `speakers` x `takes` clips at 8 kHz. */
export function toneCorpus(options: { digits?: number; speakers?: string[]; takes?: number } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-corpus-'));
  const digits = options.digits ?? 3;
  const speakers = options.speakers ?? ['ann', 'bob'];
  const takes = options.takes ?? 8;
  for (let d = 0; d < digits; d++) for (const [k, s] of speakers.entries()) for (let t = 0; t < takes; t++) {
    const hz = 300 + 250 * d + 15 * k + 5 * t;
    const n = Math.round(8000 * (0.3 + 0.02 * t));
    const x = new Float32Array(n).map((_, i) => 0.5 * Math.sin((2 * Math.PI * hz * i) / 8000));
    writeFileSync(join(dir, `${d}_${s}_${t}.wav`), encodeWav(x, 8000));
  }
  return dir;
}

/** A folder of symlinks to the FSDD clips of some speakers (and takes below `maxTake`). */
export function fsddSubset(speakers: string[], maxTake = 50): string {
  const dir = mkdtempSync(join(tmpdir(), 'melbook-fsdd-'));
  for (const f of readdirSync(FSDD_DIR)) {
    const m = /^(\d)_([a-z]+)_(\d+)\.wav$/.exec(f);
    if (m && speakers.includes(m[2]) && Number(m[3]) < maxTake) symlinkSync(join(FSDD_DIR, f), join(dir, f));
  }
  return dir;
}
