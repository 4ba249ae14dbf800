/** Shared test helpers for test/tracking: temp stores and tree snapshots. */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

/** A fresh folder under os.tmpdir(), removed when the test file ends. */
export async function tempDir(prefix = 'melbook-tracking-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every path under `root`, sorted byte-wise, folders with a trailing `/` (like the .paths fixture). */
export async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        await walk(path.join(dir, e.name), r);
      } else out.push(r);
    }
  };
  await walk(root, '');
  return out.sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
}

/** Whether `/usr/bin/python3` can import the module (PyYAML for the parity tests). */
export function pythonHas(module: string): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A clock the test moves by hand. */
export function manualClock(start: number): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => (t = v) };
}
