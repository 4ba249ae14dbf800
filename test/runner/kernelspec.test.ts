import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { installKernelSpec, jupyterDataDir } from '../../src/runner/kernelspec';
import { parseNotebook } from '../../src/runner/notebook-io';
import { requireDeno, requireOrSkip } from '../helpers/skip';

const tslabBin = path.resolve(__dirname, '../../node_modules/tslab/bin/tslab');
const jupyterEnv = (dataDir: string) => ({ ...process.env, JUPYTER_DATA_DIR: dataDir, PYDEVD_DISABLE_FILE_VALIDATION: '1' });

function hasPythonModule(name: string): boolean {
  return spawnSync('/usr/bin/python3', ['-c', `import ${name}`], { stdio: 'ignore' }).status === 0;
}

test('the per-user Jupyter data dir follows JUPYTER_DATA_DIR, then XDG_DATA_HOME, then ~/.local/share', () => {
  assert.equal(jupyterDataDir({ JUPYTER_DATA_DIR: '/x/jd', XDG_DATA_HOME: '/x/xdg' }, 'linux'), '/x/jd');
  assert.equal(jupyterDataDir({ XDG_DATA_HOME: '/x/xdg' }, 'linux'), '/x/xdg/jupyter');
  assert.equal(jupyterDataDir({}, 'linux'), path.join(os.homedir(), '.local/share/jupyter'));
  assert.equal(jupyterDataDir({}, 'darwin'), path.join(os.homedir(), 'Library/Jupyter'));
});

test('installing writes tslab (and jslab) kernel.json launching this project\'s tslab with node', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'melbook-jupyter-'));
  const installed = await installKernelSpec({ js: true, env: { JUPYTER_DATA_DIR: dataDir } });
  assert.deepEqual(installed.map((k) => k.file), ['tslab', 'jslab'].map((n) => path.join(dataDir, 'kernels', n, 'kernel.json')));
  const tslab = JSON.parse(readFileSync(installed[0].file, 'utf8'));
  assert.deepEqual(tslab, {
    argv: [process.execPath, tslabBin, 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript',
    language: 'typescript',
    interrupt_mode: 'signal',
  });
  assert.deepEqual(JSON.parse(readFileSync(installed[1].file, 'utf8')).argv.slice(-1), ['--js']);
});

test('with a prefix the spec goes under <prefix>/share/jupyter/kernels', async () => {
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'melbook-prefix-'));
  const [spec] = await installKernelSpec({ prefix });
  assert.equal(spec.file, path.join(prefix, 'share/jupyter/kernels/tslab/kernel.json'));
});

test('Jupyter finds the installed spec and nbconvert executes a fixture notebook with it', async (t) => {
  if (!requireOrSkip(t, hasPythonModule('nbconvert'), '/usr/bin/python3 cannot import nbconvert (apt install python3-nbconvert)')) return;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'melbook-jupyter-'));
  await installKernelSpec({ env: { JUPYTER_DATA_DIR: dataDir } });
  const listed = JSON.parse(execFileSync('/usr/bin/python3', ['-m', 'jupyter_client.kernelspecapp', 'list', '--json'], { env: jupyterEnv(dataDir) }).toString());
  assert.equal(listed.kernelspecs.tslab.resource_dir, path.join(dataDir, 'kernels/tslab'));

  const work = mkdtempSync(path.join(os.tmpdir(), 'melbook-nbconvert-'));
  copyFileSync(path.resolve(__dirname, '../fixtures/notebooks/outputs.ipynb'), path.join(work, 'outputs.ipynb'));
  execFileSync('/usr/bin/python3', ['-m', 'nbconvert', '--to', 'notebook', '--execute', 'outputs.ipynb', '--output', 'executed.ipynb'],
    { cwd: work, env: jupyterEnv(dataDir), stdio: 'pipe', timeout: 60_000 });
  const executed = parseNotebook(JSON.parse(readFileSync(path.join(work, 'executed.ipynb'), 'utf8')));
  const texts = executed.cells.flatMap((c) => (c.cell_type === 'code' ? c.outputs : []))
    .map((o) => (o.output_type === 'stream' ? o.text : o.output_type === 'display_data' ? Object.keys(o.data).join() : ''));
  assert.deepEqual(texts, ['hello hello\n', 'note on stderr\n', 'text/html', 'image/png', '42\n']);
});

test('--deno installs melbook-deno, launching this project\'s deno binary, and Jupyter lists it', async (t) => {
  const deno = requireDeno(t);
  if (!deno) return;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'melbook-jupyter-'));
  const installed = await installKernelSpec({ deno: true, env: { JUPYTER_DATA_DIR: dataDir } });
  assert.deepEqual(installed.map((k) => k.file), [path.join(dataDir, 'kernels', 'melbook-deno', 'kernel.json')], 'only the Deno spec');
  assert.deepEqual(JSON.parse(readFileSync(installed[0].file, 'utf8')), {
    argv: [deno, 'jupyter', '--kernel', '--conn', '{connection_file}'],
    display_name: 'TypeScript (Deno)',
    language: 'typescript',
    interrupt_mode: 'message',
    env: { NO_COLOR: '1' },
  });
  if (!hasPythonModule('jupyter_client')) return;
  const listed = JSON.parse(execFileSync('/usr/bin/python3', ['-m', 'jupyter_client.kernelspecapp', 'list', '--json'], { env: jupyterEnv(dataDir) }).toString());
  assert.equal(listed.kernelspecs['melbook-deno'].spec.display_name, 'TypeScript (Deno)');
});
