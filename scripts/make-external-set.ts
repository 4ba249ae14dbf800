/**
 * Builds a labelled set of spoken digits from voices unlike FSDD's six adult men: Debian's
 * `espeak-ng` speaks "zero".."nine" with female, male and child-like pitches, eight English
 * accents and rates from 100 to 230 words per minute. Each clip is converted to FSDD's format
 * (8 kHz mono 16-bit WAV, silence trimmed to the word) with melbook's own resampler, and named
 * `<digit>_<voice>_<take>.wav` as config `data.pattern` expects (voice names are letters only).
 * Writes a README.txt describing the voices next to them. Deterministic for one espeak-ng
 * version. The audio is not committed: build it where you need it.
 *
 *   apt-get install espeak-ng
 *   node --import tsx scripts/make-external-set.ts OUT_DIR [--voices N] [--split]
 *
 * 20 voices x 10 digits x 3 takes = 600 clips by default; `--voices N` keeps the first N voices.
 * `--split` writes two halves instead, OUT_DIR/select/ and OUT_DIR/report/ (`splitVoices`): a
 * recipe is chosen on the select voices and reported on the report voices, so the figure
 * reported never comes from a voice that took part in the choice (docs/augmentation.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeWav } from '../src/audio/encode';
import { Resampler } from '../src/audio/resample';
import { trimSilence } from '../src/audio/silence';
import { decodeWav } from '../src/audio/wav';

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const RATE_HZ = 8000;

/** One voice: an espeak-ng language/accent, a variant (f = female, m = male), pitch 0..99 and words per minute. */
interface Voice { name: string; voice: string; pitch: number; speed: number; description: string }

/** Female and child-like voices first: the higher-pitched voices the models recognise worst. */
export const VOICES: readonly Voice[] = [
  { name: 'usfa', voice: 'en-us+f1', pitch: 60, speed: 150, description: 'American English, female 1' },
  { name: 'gbfa', voice: 'en-gb+f2', pitch: 65, speed: 140, description: 'British English, female 2' },
  { name: 'usfb', voice: 'en-us+f3', pitch: 75, speed: 170, description: 'American English, female 3' },
  { name: 'scfa', voice: 'en-gb-scotland+f3', pitch: 70, speed: 160, description: 'Scottish English, female 3' },
  { name: 'cbfa', voice: 'en-029+f2', pitch: 70, speed: 130, description: 'Caribbean English, female 2' },
  { name: 'rpfa', voice: 'en-gb-x-rp+f4', pitch: 80, speed: 150, description: 'Received Pronunciation, female 4' },
  { name: 'nyfa', voice: 'en-us-nyc+f4', pitch: 60, speed: 190, description: 'New York English, female 4' },
  { name: 'lafa', voice: 'en-gb-x-gbclan+f1', pitch: 70, speed: 125, description: 'Lancaster English, female 1' },
  { name: 'wmfa', voice: 'en-gb-x-gbcwmd+f5', pitch: 75, speed: 165, description: 'West Midlands English, female 5' },
  { name: 'usch', voice: 'en-us+f5', pitch: 95, speed: 150, description: 'American English, female 5 at a child-like pitch' },
  { name: 'gbch', voice: 'en-gb+f4', pitch: 92, speed: 135, description: 'British English, female 4 at a child-like pitch' },
  { name: 'usma', voice: 'en-us+m3', pitch: 40, speed: 160, description: 'American English, male 3' },
  { name: 'gbma', voice: 'en-gb+m2', pitch: 30, speed: 145, description: 'British English, male 2, low' },
  { name: 'scma', voice: 'en-gb-scotland+m1', pitch: 50, speed: 175, description: 'Scottish English, male 1' },
  { name: 'cbma', voice: 'en-029+m4', pitch: 45, speed: 135, description: 'Caribbean English, male 4' },
  { name: 'rpma', voice: 'en-gb-x-rp+m5', pitch: 35, speed: 155, description: 'Received Pronunciation, male 5' },
  { name: 'nyma', voice: 'en-us-nyc+m7', pitch: 50, speed: 200, description: 'New York English, male 7, fast' },
  { name: 'lama', voice: 'en-gb-x-gbclan+m6', pitch: 25, speed: 120, description: 'Lancaster English, male 6, slow and low' },
  { name: 'wmma', voice: 'en-gb-x-gbcwmd+m2', pitch: 55, speed: 180, description: 'West Midlands English, male 2' },
  { name: 'usmh', voice: 'en-us+m1', pitch: 70, speed: 150, description: 'American English, male 1 at a high pitch' },
];

/** Per take: a change of rate (words per minute) and pitch, so a voice's three takes differ as a speaker's do. */
const TAKES = [{ speed: 0, pitch: 0 }, { speed: 30, pitch: -8 }, { speed: -25, pitch: 8 }] as const;

/** One clip: espeak-ng's WAV (22050 Hz) decoded, trimmed to the word and resampled to 8 kHz. */
async function speak(word: string, voice: Voice, take: (typeof TAKES)[number], scratch: string, resampler: Resampler): Promise<Uint8Array> {
  const file = join(scratch, 'clip.wav');
  const pitch = Math.min(99, Math.max(0, voice.pitch + take.pitch));
  const args = ['-v', voice.voice, '-p', String(pitch), '-s', String(voice.speed + take.speed), '-w', file, word];
  const run = spawnSync('espeak-ng', args, { encoding: 'utf8' });
  if (run.error || run.status !== 0) throw new Error(`espeak-ng ${args.join(' ')} failed: ${run.error?.message ?? run.stderr}; install it with apt-get install espeak-ng`);
  const decoded = decodeWav(readFileSync(file), file);
  const speech = trimSilence(decoded.samples, { topDb: 40, frameLength: 512, hopLength: 128, margin: Math.round(0.02 * decoded.sampleRateHz) });
  const samples = await resampler.resample(speech, decoded.sampleRateHz, RATE_HZ, 'best');
  return encodeWav(samples, RATE_HZ);
}

/** The halves `--split` writes, and what each is for (first line of its README.txt). */
export const HALVES = {
  select: 'The select half (voices at even index in the script\'s VOICES): choose a recipe on these voices only.',
  report: 'The report half (voices at odd index in the script\'s VOICES): report the chosen recipe on these voices; never choose on them.',
} as const;
export type Half = keyof typeof HALVES;

/**
 * The split rule: voices at even index in `voices` go to `select`, odd to `report`. VOICES
 * lists each kind (female, child-like, male) in runs, so alternating gives both halves some of
 * every kind, and the split never depends on how a model scored a voice.
 */
export function splitVoices<V>(voices: readonly V[]): Record<Half, V[]> {
  return { select: voices.filter((_, i) => i % 2 === 0), report: voices.filter((_, i) => i % 2 === 1) };
}

function readme(voices: readonly Voice[], version: string, count: number, half?: Half): string {
  const lines = voices.map((v) => `  ${v.name}  espeak-ng -v ${v.voice} -p ${v.pitch} -s ${v.speed}   ${v.description}`);
  return [
    ...(half ? [HALVES[half]] : []),
    'Spoken digits from voices unlike FSDD\'s six adult men, for scoring models outside FSDD.',
    `Made by scripts/make-external-set.ts in melbook with ${version}.`,
    `${count} clips: <digit>_<voice>_<take>.wav, 8 kHz mono 16-bit, silence trimmed (40 dB, 20 ms margin),`,
    'resampled from espeak-ng\'s 22050 Hz with melbook\'s Resampler (libsamplerate, best).',
    'Take 0 is the voice as listed; take 1 is 30 words/min faster and 8 pitch steps lower; take 2 is 25 slower and 8 higher.',
    '',
    'Voices (-v language+variant, -p pitch 0..99, -s words per minute):',
    ...lines,
    '',
  ].join('\n');
}

/** Speak every digit in every take of `voices` into `dir`, with a README.txt naming them; returns the clip count. */
async function writeVoices(dir: string, voices: readonly Voice[], scratch: string, resampler: Resampler, half?: Half): Promise<number> {
  mkdirSync(dir, { recursive: true });
  let count = 0;
  for (const voice of voices) {
    for (const [t, take] of TAKES.entries()) {
      for (const [digit, word] of DIGITS.entries()) {
        writeFileSync(join(dir, `${digit}_${voice.name}_${t}.wav`), await speak(word, voice, take, scratch, resampler));
        count++;
      }
    }
  }
  const version = spawnSync('espeak-ng', ['--version'], { encoding: 'utf8' }).stdout.trim().split(/\s+Data at/)[0];
  writeFileSync(join(dir, 'README.txt'), readme(voices, version, count, half));
  return count;
}

/**
 * Build the set from the first `voiceCount` voices into `outDir`, or with `split` into
 * `outDir/select` and `outDir/report` (`splitVoices`). Returns the number of clips written.
 */
export async function makeExternalSet(outDir: string, voiceCount = VOICES.length, options: { split?: boolean } = {}): Promise<number> {
  const voices = VOICES.slice(0, voiceCount);
  const scratch = mkdtempSync(join(tmpdir(), 'melbook-espeak-'));
  const resampler = new Resampler();
  try {
    if (!options.split) return await writeVoices(outDir, voices, scratch, resampler);
    let count = 0;
    for (const [half, mine] of Object.entries(splitVoices(voices)) as [Half, Voice[]][]) count += await writeVoices(join(outDir, half), mine, scratch, resampler, half);
    return count;
  } finally {
    resampler.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** OUT_DIR [--voices N] [--split], or undefined when the arguments are not that. */
function parseArgs(argv: readonly string[]): { out: string; voiceCount: number; split: boolean } | undefined {
  const [out, ...rest] = argv;
  if (!out || out.startsWith('-')) return undefined;
  let voiceCount = VOICES.length;
  let split = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--split') split = true;
    else if (rest[i] === '--voices') voiceCount = Number(rest[++i]);
    else return undefined;
  }
  const enough = split ? 2 : 1;
  return Number.isInteger(voiceCount) && voiceCount >= enough && voiceCount <= VOICES.length ? { out, voiceCount, split } : undefined;
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  if (!args) {
    console.error(`usage: node --import tsx scripts/make-external-set.ts OUT_DIR [--voices 1..${VOICES.length}] [--split]  (--split needs at least 2 voices)`);
    process.exit(2);
  }
  const { out, voiceCount, split } = args;
  const count = await makeExternalSet(resolve(out), voiceCount, { split });
  const where = split ? `${join(resolve(out), 'select')} and ${join(resolve(out), 'report')}` : resolve(out);
  console.log(`${where}: ${count} clips from ${voiceCount} espeak-ng voices (README.txt describes them)`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
