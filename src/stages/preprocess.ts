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
import type { AudioSettings } from '../audio/settings';
import { compiledWorker } from '../worker-file';
import { recoverInterruptedRun } from './preprocess-recovery';
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
  return { ...features, sampleRateHz: data.sampleRateHz };
}

/** `preprocess.augment` as keyed and stored in the metadata: the voice changes only when on. */
export type StoredAugment = Omit<PreprocessConfig['augment'], 'pitch' | 'formant'> & Partial<Pick<PreprocessConfig['augment'], 'pitch' | 'formant'>>;

/** The feature folder's key: extractor parameters plus the audio loading that precedes them. */
export function featureKeyFor(features: FeaturesConfig, data: DataConfig, augment?: StoredAugment): string {
  const extractor = createExtractor(extractorSpecFromConfig(features, data));
  return cacheKey(extractor, keyExtras(data, augment));
}

/** How audio is loaded before extraction, as recorded in the metadata and the feature key. */
export function audioSettings(data: DataConfig): AudioSettings {
  const audio: AudioSettings = { sampleRateHz: data.sampleRateHz, durationS: data.durationS, pad: data.pad, trim: data.trim };
  // Only present when on, so the keys of existing feature folders do not change.
  if (data.trimSilence) {
    const { margin, ...rest } = data.trimSilence;
    audio.trimSilence = margin > 0 ? { ...rest, margin } : rest;
  }
  return audio;
}

/** The feature key's inputs besides the extractor: audio loading and, when on, waveform augmentation. */
function keyExtras(data: DataConfig, augment?: StoredAugment): Record<string, unknown> {
  const active = activeAugment(augment);
  return active ? { audio: audioSettings(data), augment: active } : { audio: audioSettings(data) };
}

/**
 * The waveform augmentation that makes copies, or undefined. The voice changes (`pitch`,
 * `formant`) are left out while off, so the feature keys and metadata of configs that predate
 * them do not change.
 */
function activeAugment(augment?: StoredAugment): StoredAugment | undefined {
  if (!augment || augment.copies === 0) return undefined;
  const { pitch, formant, ...rest } = augment;
  return { ...rest, ...(pitch && pitch.probability > 0 ? { pitch } : {}), ...(formant && formant.probability > 0 ? { formant } : {}) };
}

export async function preprocess(options: PreprocessOptions): Promise<PreprocessResult> {
  const started = performance.now();
  const plan = planFeatures(options);
  const scan = scanRecordings(options.data);
  const tasks = clipTasks(plan, scan.clips);
  const results = await extractClips(plan, tasks, options, { started, rejected: scan.rejected.length });
  const { kept, skipped } = keptClips(scan, results);
  if (kept.length === 0) throw new MelbookError(`${options.data.recordings}: no clip could be preprocessed; first error: ${skipped[0]?.file}: ${skipped[0]?.reason}`);
  const { manifest, metadata } = describeDataset(plan, kept, tasks, { data: options.data, split: options.split, skipped });
  return writeOutputs(plan, { manifest, metadata, kept, skipped, total: scan.files.length, started, recordings: options.data.recordings });
}

/** The waveform augmentation as the worker task carries it: the seed and the perturbations, not the copy count. */
function workerAugment(a: StoredAugment): NonNullable<PreprocessTask['augment']> {
  return { seed: a.seed, speed: a.speed, noise: a.noise, ...(a.pitch ? { pitch: a.pitch } : {}), ...(a.formant ? { formant: a.formant } : {}) };
}

/** What every clip is turned into, and where: the extractor, audio loading, augmentation and the feature folder. */
interface FeaturePlan {
  spec: ExtractorSpec;
  extractor: ReturnType<typeof createExtractor>;
  audio: PreprocessTask['audio'];
  /** Waveform augmentation, when it makes copies. */
  augment?: StoredAugment;
  copies: number;
  featureKey: string;
  featureDir: string;
  clipsDir: string;
  /** Worker threads; 1 runs in-process. */
  workers: number;
}

/** Resolve the extractor and the feature folder (created here), so every later step reads them from one place. */
function planFeatures(options: PreprocessOptions): FeaturePlan {
  const { data, features, preprocess: pre } = options;
  const spec = extractorSpecFromConfig(features, data);
  const extractor = createExtractor(spec);
  const copies = pre.augment?.copies ?? 0;
  const augment = activeAugment(pre.augment);
  if (augment) resolveAugmentOptions({ speed: augment.speed, noise: augment.noise, pitch: augment.pitch, formant: augment.formant }, 'preprocess.augment'); // throws ConfigError with the YAML path
  const featureKey = cacheKey(extractor, keyExtras(data, augment));
  const featureDir = join(pre.dir, featureKey);
  const clipsDir = join(featureDir, 'clips');
  mkdirSync(clipsDir, { recursive: true });
  const workers = pre.workers > 0 ? pre.workers : availableParallelism();
  return { spec, extractor, audio: audioSettings(data), augment, copies, featureKey, featureDir, clipsDir, workers };
}

/** The recordings folder's .wav files, split into clips with a parsable name and rejected ones. */
function scanRecordings(data: DataConfig): { files: string[] } & ReturnType<typeof parseClips> {
  const files = listWavFiles(data.recordings, data.layout);
  if (files.length === 0) throw new MelbookError(`${data.recordings}: no .wav files found; get FSDD with \`npx melbook data fsdd\` or set data.recordings`);
  return { files, ...parseClips(data.recordings, files, data) };
}

type Clip = ReturnType<typeof parseClips>['clips'][number];
type ClipTask = PreprocessTask['clips'][number];

/**
 * One task per clip: where its features (and augmented copies) go, and the source hash the
 * journal recorded when it was last written, so the worker can reuse an unchanged clip.
 */
function clipTasks(plan: FeaturePlan, clips: readonly Clip[]): ClipTask[] {
  const journalPath = join(plan.featureDir, JOURNAL_FILE);
  // A run killed mid-write leaves temporary files and maybe a cut journal line: clear them first.
  recoverInterruptedRun(plan.featureDir, journalPath);
  const known = readJournal(journalPath);
  const outPath = (id: string) => join(plan.clipsDir, `${id.replace(/\.wav$/i, '').replace(/[\\/]/g, '__')}.npy`);
  const copyPath = (id: string, j: number) => outPath(id).replace(/\.npy$/, `.aug${j + 1}.npy`);
  return clips.map((c) => ({ id: c.id, source: c.file, out: outPath(c.id), copies: Array.from({ length: plan.copies }, (_, j) => copyPath(c.id, j)), knownSha256: known.get(c.id) }));
}

/**
 * Extract every clip in chunks, in-process or on a worker pool, journaling each newly written
 * clip as its chunk finishes so an interrupted run resumes where it stopped.
 */
async function extractClips(plan: FeaturePlan, tasks: readonly ClipTask[], options: PreprocessOptions, progress: { started: number; rejected: number }): Promise<ClipResult[]> {
  const journalPath = join(plan.featureDir, JOURNAL_FILE);
  const chunkSize = options.chunkSize ?? 64;
  const results: ClipResult[] = new Array(tasks.length);
  let done = 0;
  let failed = 0;
  const runChunk = async (start: number, run: (t: PreprocessTask) => Promise<ClipResult[]>) => {
    const task: PreprocessTask = { extractor: plan.spec, audio: plan.audio, clips: tasks.slice(start, start + chunkSize), ...(plan.augment ? { augment: workerAugment(plan.augment) } : {}) };
    const out = await run(task);
    const lines: string[] = [];
    out.forEach((r, k) => {
      results[start + k] = r;
      if (r.ok && !r.reused) lines.push(JSON.stringify({ id: tasks[start + k].id, sha256: r.sha256 }));
      if (!r.ok) failed++;
    });
    if (lines.length > 0) appendFileSync(journalPath, lines.join('\n') + '\n');
    done += out.length;
    options.onProgress?.({ done, total: tasks.length, skipped: failed + progress.rejected, elapsedS: (performance.now() - progress.started) / 1000 });
  };
  const starts = Array.from({ length: Math.ceil(tasks.length / chunkSize) }, (_, i) => i * chunkSize);
  if (plan.workers <= 1 || tasks.length <= chunkSize) {
    for (const s of starts) await runChunk(s, processChunk);
    return results;
  }
  const pool = new Piscina({ filename: compiledWorker('stages/preprocess-worker'), minThreads: plan.workers, maxThreads: plan.workers, idleTimeout: 1000 });
  try {
    await Promise.all(starts.map((s) => runChunk(s, (t) => pool.run(t) as Promise<ClipResult[]>)));
  } finally {
    await pool.destroy();
  }
  return results;
}

type KeptClip = { index: number; clip: Clip; result: Extract<ClipResult, { ok: true }> };

/** The clips that made it, and every skipped file with its reason (rejected names first). */
function keptClips(scan: ReturnType<typeof scanRecordings>, results: readonly ClipResult[]): { kept: KeptClip[]; skipped: SkippedClip[] } {
  const skipped: SkippedClip[] = scan.rejected.map((e) => ({ file: e.file, reason: e.reason }));
  const kept: KeptClip[] = [];
  results.forEach((r, i) => (r.ok ? kept.push({ index: i, clip: scan.clips[i], result: r }) : skipped.push({ file: scan.clips[i].file, reason: r.reason })));
  return { kept, skipped };
}

/** The manifest (one entry per kept clip, with its split) and the metadata (shapes, classes, counts, train-split statistics). */
function describeDataset(
  plan: FeaturePlan,
  kept: readonly KeptClip[],
  tasks: readonly ClipTask[],
  ctx: { data: DataConfig; split: SplitConfig; skipped: SkippedClip[] },
): { manifest: Manifest; metadata: DatasetMetadata } {
  const splits = assignSplits(kept.map((k) => k.clip), ctx.split);
  const names = classNames(kept.map((k) => k.clip.label));
  const featureShape = kept[0].result.shape;
  const stats = new StatsAccumulator(featureShape[0] ?? 1);
  const cols = featureShape.slice(1).reduce((a, b) => a * b, 1);
  const relative = (file: string) => `clips/${file.slice(plan.clipsDir.length + 1)}`;
  const entries: ManifestEntry[] = kept.map(({ index, clip, result }, k) => {
    if (splits[k] === 'train') stats.addSums(result.sum, result.sumSq, cols);
    return {
      id: clip.id, source: clip.file, label: clip.label, labelIndex: names.indexOf(clip.label), speaker: clip.speaker, take: clip.take,
      split: splits[k], feature: relative(tasks[index].out), shape: result.shape,
      ...(plan.copies > 0 ? { copies: tasks[index].copies.map(relative) } : {}),
      sourceSha256: result.sha256, sourceRateHz: result.sourceRateHz, sourceDurationS: round(result.sourceDurationS, 6),
    };
  });
  const byClass = countBySplit(entries.map((e) => e.label), splits, names);
  const bySplit = Object.fromEntries(SPLITS.map((s) => [s, entries.filter((e) => e.split === s).length])) as Record<SplitName, number>;
  const metadata: DatasetMetadata = {
    version: 1,
    createdAt: new Date().toISOString(),
    featureKey: plan.featureKey,
    features: plan.extractor.describe(),
    audio: plan.audio,
    recordingsDir: resolve(ctx.data.recordings),
    ...(plan.augment ? { augment: { ...plan.augment } } : {}),
    featureShape,
    inputShape: [...featureShape, 1],
    classNames: names,
    speakers: [...new Set(entries.map((e) => e.speaker))].sort(),
    counts: { total: entries.length, bySplit, byClass },
    split: { ...ctx.split },
    normalization: stats.result(),
    skipped: ctx.skipped,
  };
  return { manifest: { version: 1, featureKey: plan.featureKey, entries }, metadata };
}

/** Write manifest.json, metadata.json and the report atomically, and say what this call did. */
function writeOutputs(
  plan: FeaturePlan,
  out: { manifest: Manifest; metadata: DatasetMetadata; kept: readonly KeptClip[]; skipped: SkippedClip[]; total: number; started: number; recordings: string },
): PreprocessResult {
  const { featureKey, featureDir, workers } = plan;
  const manifestPath = join(featureDir, MANIFEST_FILE);
  const metadataPath = join(featureDir, METADATA_FILE);
  const reportPath = join(featureDir, REPORT_FILE);
  writeJsonAtomic(manifestPath, out.manifest);
  writeJsonAtomic(metadataPath, out.metadata);
  const seconds = (performance.now() - out.started) / 1000;
  const reused = out.kept.filter((k) => k.result.reused).length;
  const written = out.kept.length - reused;
  const { skipped, total } = out;
  writeJsonAtomic(reportPath, { featureKey, recordings: out.recordings, total, written, reused, skipped, seconds: round(seconds, 3), workers });
  return {
    featureKey, featureDir, manifestPath, metadataPath, reportPath, total, written, reused,
    skipped, seconds, filesPerSecond: total / seconds, workers, metadata: out.metadata, manifest: out.manifest,
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
