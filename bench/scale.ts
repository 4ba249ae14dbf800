/**
 * `npm run bench:scale`: the same small leave-one-speaker-out (4 FSDD speakers, takes 0-19 of
 * each digit, the seed network, 2 epochs) run four ways, wall time from dispatch to the parent's
 * aggregate, features cached beforehand so only training is timed:
 *   local executor, 1 fold at a time (`--jobs 1`) | local, 2 threads (`--jobs 2`)
 *   queue, 1 `melbook worker` process | queue, 2 worker processes
 * Workers are started (and have connected) before the clock starts, as long-running workers are.
 * Each way runs REPEATS times (env BENCH_SCALE_REPEATS, default 3), interleaved; medians with min
 * and max. Needs Debian's redis-server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FSDD, REPO, median, table } from './peers';
import { fsddSubset } from '../test/helpers/corpus';
import { startRedis } from '../test/helpers/redis-server';

const BIN = resolve(REPO, 'bin/melbook.js');
const REPEATS = Number(process.env.BENCH_SCALE_REPEATS ?? 3);
const SPEAKERS = ['george', 'jackson', 'lucas', 'nicolas'];

function melbook(args: string[], cwd: string): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

function lines(child: ChildProcess): string[] {
  const out: string[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(...d.toString().split('\n')));
  child.stderr!.on('data', (d: Buffer) => out.push(...d.toString().split('\n')));
  return out;
}

async function exitOf(child: ChildProcess, out: string[]): Promise<void> {
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`melbook exited ${code}:\n${out.slice(-20).join('\n')}`);
}

async function timed(args: string[], cwd: string): Promise<number> {
  const started = performance.now();
  const child = melbook(args, cwd);
  await exitOf(child, lines(child));
  return (performance.now() - started) / 1000;
}

async function withWorkers<T>(n: number, url: string, cwd: string, recordings: string, fn: () => Promise<T>): Promise<T> {
  const workers = Array.from({ length: n }, (_, i) => {
    const child = melbook(['worker', '--queue', url, '--name', `bench-${i}`, '--root', cwd, '--root', recordings, '--root', FSDD], cwd);
    return { child, out: lines(child) };
  });
  const deadline = Date.now() + 30_000;
  while (!workers.every((w) => w.out.some((l) => /waiting for jobs/.test(l)))) {
    if (Date.now() > deadline) throw new Error('workers did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    return await fn();
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.child.exitCode !== null ? r(null) : w.child.once('exit', r)))));
  }
}

async function main(): Promise<void> {
  if (spawnSync('/usr/bin/redis-server', ['--version']).status !== 0) throw new Error('bench:scale needs redis-server (apt-get install redis-server)');
  const work = mkdtempSync(join(tmpdir(), 'melbook-bench-scale-'));
  const recordings = fsddSubset(SPEAKERS, 20);
  writeFileSync(join(work, 'config.yaml'), [
    'data: { recordings: ' + JSON.stringify(recordings) + ' }',
    'preprocess: { dir: features }',
    'training: { epochs: 2, earlyStopping: null, backend: wasm }',
    'tracking: { root: runs, experiment: bench-scale }',
  ].join('\n'));
  const redis = await startRedis();
  const base = ['evaluate', '--loso', '-c', 'config.yaml'];
  const ways: [string, string, () => Promise<number>][] = [
    ['local, --jobs 1', '1 thread', () => timed([...base, '--jobs', '1'], work)],
    ['local, --jobs 2', '2 threads', () => timed([...base, '--jobs', '2'], work)],
    ['queue, 1 worker', '1 process', () => withWorkers(1, redis.url, work, recordings, () => timed([...base, '--queue', redis.url], work))],
    ['queue, 2 workers', '2 processes', () => withWorkers(2, redis.url, work, recordings, () => timed([...base, '--queue', redis.url], work))],
  ];
  try {
    await exitOf(melbook(['preprocess', '-c', 'config.yaml'], work), []);
    const seconds = new Map<string, number[]>(ways.map(([name]) => [name, []]));
    for (let r = 0; r < REPEATS; r++) {
      for (const [name, , run] of ways) {
        const s = await run();
        seconds.get(name)!.push(s);
        console.error(`repeat ${r + 1}/${REPEATS}: ${name} ${s.toFixed(1)} s`);
      }
    }
    const reference = median(seconds.get('queue, 1 worker')!);
    console.log(`LOSO of ${SPEAKERS.length} FSDD speakers (takes 0-19, ${SPEAKERS.length} folds), seed network, 2 epochs, wasm backend; ${REPEATS} repeats, median (min-max)`);
    console.log(table([
      ['how', 'cores used', 'wall s', 'vs 1 worker'],
      ...ways.map(([name, cores]) => {
        const xs = seconds.get(name)!;
        return [name, cores, `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`, `${(reference / median(xs)).toFixed(2)}x`];
      }),
    ]));
  } finally {
    await redis.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(recordings, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
