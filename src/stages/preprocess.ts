/**
 * The preprocess stage: recordings folder -> one .npy per clip under `<dir>/<featureKey>/`,
 * plus manifest.json, metadata.json and preprocess-report.json. Uses every core through a
 * worker pool; reruns reuse finished clips; changed parameters get a new feature folder.
 */
import { existsSync, mkdirSync, appendFileSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import Piscina from 'piscina';
import { createExtractor, cacheKey, type ExtractorSpec } from '../features/extractor';
import { listWavFiles, parseClips, classNames } from '../data/labels';
import { assignSplits, countBySplit, SPLITS, type SplitName } from '../data/split';
import {
  MANIFEST_FILE, METADATA_FILE, REPORT_FILE, StatsAccumulator, writeJsonAtomic,
  type DatasetMetadata, type Manifest, type ManifestEntry, type SkippedClip,
} from '../data/manifest';
import { MelbookError } from '../errors';
import { resolveAugmentOptions } from '../data/augment';
import type { DataConfig, FeaturesConfig, PreprocessConfig, SplitConfig } from '../config/schema';
import { compiledWorker } from './worker-file';
import processChunk, { type ClipResult, type PreprocessTask } from './preprocess-worker';

/** What the stage needs from the configuration. */
export interface PreprocessOptions {
  data: DataConfig;
  features: FeaturesConfig;
  split: SplitConfig;
  preprocess: PreprocessConfig;
  /** Called after each chunk with files done so far. */
  onProgress?: (p: { done: number; total: number; skipped: number; elapsedS: number }) => void;
  /** Clips per worker task. Default 64. */
  chunkSize?: number;
}

export interface PreprocessResult {
  featureKey: string;
  /** Folder holding clips/*.npy, manifest.json and metadata.json. */
  featureDir: string;
  manifestPath: string;
  metadataPath: string;
  reportPath: string;
  total: number;
  written: number;
  reused: number;
  skipped: SkippedClip[];
  seconds: number;
  filesPerSecond: number;
  workers: number;
  metadata: DatasetMetadata;
  /**
   * The manifest as this call wrote it. Use it (AudioDataset.fromPreprocess) rather than reading
   * manifest.json back: another process working on the same feature folder with another split
   * may have replaced the file since.
   */
  manifest: Manifest;
}

const JOURNAL_FILE = '.journal.jsonl';

/** Map the YAML feature section to the extractor spec (sample rate comes from `data`). */
export function extractorSpecFromConfig(features: FeaturesConfig, data: DataConfig): ExtractorSpec {
  return { ...features, sampleRateHz: data.sampleRateHz } as ExtractorSpec;
}

/** The feature folder's key: extractor parameters plus the audio loading that precedes them. */
export function featureKeyFor(features: FeaturesConfig, data: DataConfig, augment?: PreprocessConfig['augment']): string {
  const extractor = createExtractor(extractorSpecFromConfig(features, data));
  return cacheKey(extractor, keyExtras(data, augment));
}

/** How audio is loaded before extraction, as recorded in the metadata and the feature key. */
export function audioSettings(data: DataConfig): PreprocessTask['audio'] {
  const audio: PreprocessTask['audio'] = { sampleRateHz: data.sampleRateHz, durationS: data.durationS, pad: data.pad, trim: data.trim };
  // Only present when on, so the keys of existing feature folders do not change.
  if (data.trimSilence) {
    const { margin, ...rest } = data.trimSilence;
    audio.trimSilence = margin > 0 ? { ...rest, margin } : rest;
  }
  return audio;
}

/** The feature key's inputs besides the extractor: audio loading and, when on, waveform augmentation. */
function keyExtras(data: DataConfig, augment?: PreprocessConfig['augment']): Record<string, unknown> {
  return augment && augment.copies > 0 ? { audio: audioSettings(data), augment } : { audio: audioSettings(data) };
}

export async function preprocess(options: PreprocessOptions): Promise<PreprocessResult> {
  const started = performance.now();
  const { data, features, split, preprocess: pre } = options;
  const spec = extractorSpecFromConfig(features, data);
  const extractor = createExtractor(spec);
  const audio = audioSettings(data);
  const copies = pre.augment?.copies ?? 0;
  const augment = copies > 0 ? pre.augment : undefined;
  if (augment) resolveAugmentOptions({ speed: augment.speed, noise: augment.noise }, 'preprocess.augment'); // throws ConfigError with the YAML path
  const featureKey = cacheKey(extractor, keyExtras(data, augment));
  const featureDir = join(pre.dir, featureKey);
  const clipsDir = join(featureDir, 'clips');
  mkdirSync(clipsDir, { recursive: true });

  const files = listWavFiles(data.recordings, data.layout);
  if (files.length === 0) throw new MelbookError(`${data.recordings}: no .wav files found; get FSDD with \`npx melbook data fsdd\` or set data.recordings`);
  const { clips, rejected } = parseClips(data.recordings, files, data);
  const skipped: SkippedClip[] = rejected.map((e) => ({ file: e.file, reason: e.reason }));

  const journalPath = join(featureDir, JOURNAL_FILE);
  const known = readJournal(journalPath);
  const outPath = (id: string) => join(clipsDir, `${id.replace(/\.wav$/i, '').replace(/[\\/]/g, '__')}.npy`);
  const copyPath = (id: string, j: number) => outPath(id).replace(/\.npy$/, `.aug${j + 1}.npy`);
  const jobs = clips.map((c) => ({ id: c.id, source: c.file, out: outPath(c.id), copies: Array.from({ length: copies }, (_, j) => copyPath(c.id, j)), knownSha256: known.get(c.id) }));

  const workers = pre.workers > 0 ? pre.workers : availableParallelism();
  const chunkSize = options.chunkSize ?? 64;
  const results: ClipResult[] = new Array(clips.length);
  let done = 0;
  let failed = 0;
  const runChunk = async (start: number, run: (t: PreprocessTask) => Promise<ClipResult[]>) => {
    const task: PreprocessTask = { extractor: spec, audio, clips: jobs.slice(start, start + chunkSize), ...(augment ? { augment: { seed: augment.seed, speed: augment.speed, noise: augment.noise } } : {}) };
    const out = await run(task);
    const lines: string[] = [];
    out.forEach((r, k) => {
      results[start + k] = r;
      if (r.ok && !r.reused) lines.push(JSON.stringify({ id: clips[start + k].id, sha256: r.sha256 }));
      if (!r.ok) failed++;
    });
    if (lines.length > 0) appendFileSync(journalPath, lines.join('\n') + '\n');
    done += out.length;
    options.onProgress?.({ done, total: clips.length, skipped: failed + rejected.length, elapsedS: (performance.now() - started) / 1000 });
  };
  const starts = Array.from({ length: Math.ceil(clips.length / chunkSize) }, (_, i) => i * chunkSize);
  if (workers <= 1 || clips.length <= chunkSize) {
    for (const s of starts) await runChunk(s, processChunk);
  } else {
    const pool = new Piscina({ filename: compiledWorker('stages/preprocess-worker'), minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
    try {
      await Promise.all(starts.map((s) => runChunk(s, (t) => pool.run(t) as Promise<ClipResult[]>)));
    } finally {
      await pool.destroy();
    }
  }

  // Keep the clips that made it; list the others with their reason.
  const good: { index: number; result: Extract<ClipResult, { ok: true }> }[] = [];
  results.forEach((r, i) => (r.ok ? good.push({ index: i, result: r }) : skipped.push({ file: clips[i].file, reason: r.reason })));
  if (good.length === 0) throw new MelbookError(`${data.recordings}: no clip could be preprocessed; first error: ${skipped[0]?.file}: ${skipped[0]?.reason}`);
  const kept = good.map((g) => clips[g.index]);
  const splits = assignSplits(kept, split);
  const names = classNames(kept.map((c) => c.label));
  const featureShape = good[0].result.shape;
  const stats = new StatsAccumulator(featureShape[0] ?? 1);
  const cols = featureShape.slice(1).reduce((a, b) => a * b, 1);
  const entries: ManifestEntry[] = good.map(({ index, result }, k) => {
    const clip = clips[index];
    if (splits[k] === 'train') stats.addSums(result.sum, result.sumSq, cols);
    return {
      id: clip.id, source: clip.file, label: clip.label, labelIndex: names.indexOf(clip.label), speaker: clip.speaker, take: clip.take,
      split: splits[k], feature: `clips/${outPath(clip.id).slice(clipsDir.length + 1)}`, shape: result.shape,
      ...(copies > 0 ? { copies: jobs[index].copies.map((c) => `clips/${c.slice(clipsDir.length + 1)}`) } : {}),
      sourceSha256: result.sha256, sourceRateHz: result.sourceRateHz, sourceDurationS: round(result.sourceDurationS, 6),
    };
  });
  const byClass = countBySplit(entries.map((e) => e.label), splits, names);
  const bySplit = Object.fromEntries(SPLITS.map((s) => [s, entries.filter((e) => e.split === s).length])) as Record<SplitName, number>;
  const metadata: DatasetMetadata = {
    version: 1,
    createdAt: new Date().toISOString(),
    featureKey,
    features: extractor.describe(),
    audio,
    recordingsDir: resolve(data.recordings),
    ...(augment ? { augment: { ...augment } } : {}),
    featureShape,
    inputShape: [...featureShape, 1],
    classNames: names,
    speakers: [...new Set(entries.map((e) => e.speaker))].sort(),
    counts: { total: entries.length, bySplit, byClass },
    split: { ...split },
    normalization: stats.result(),
    skipped,
  };
  const manifest: Manifest = { version: 1, featureKey, entries };
  const manifestPath = join(featureDir, MANIFEST_FILE);
  const metadataPath = join(featureDir, METADATA_FILE);
  const reportPath = join(featureDir, REPORT_FILE);
  writeJsonAtomic(manifestPath, manifest);
  writeJsonAtomic(metadataPath, metadata);
  const seconds = (performance.now() - started) / 1000;
  const reused = good.filter((g) => g.result.reused).length;
  const report = { featureKey, recordings: data.recordings, total: files.length, written: good.length - reused, reused, skipped, seconds: round(seconds, 3), workers };
  writeJsonAtomic(reportPath, report);
  return {
    featureKey, featureDir, manifestPath, metadataPath, reportPath, total: files.length, written: good.length - reused, reused,
    skipped, seconds, filesPerSecond: files.length / seconds, workers, metadata, manifest,
  };
}

function readJournal(path: string): Map<string, string> {
  const map = new Map<string, string>();
  if (!existsSync(path)) return map;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      const { id, sha256 } = JSON.parse(line) as { id: string; sha256: string };
      map.set(id, sha256);
    } catch {
      // a line cut short by an interrupted run: that clip is simply redone
    }
  }
  return map;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
