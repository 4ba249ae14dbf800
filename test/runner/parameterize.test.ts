import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../src/errors';
import { KernelSession, tslabEngine } from '../../src/runner/engine';
import { INJECTED_PARAMETERS_TAG, type Cell, type CodeCell, type Notebook } from '../../src/nbformat';
import { injectedSource, parameterizeNotebook, reassignableNames } from '../../src/runner/parameterize';
import { toTsLiteral } from '../../src/runner/ts-literal';

const code = (source: string, tags?: string[]): CodeCell =>
  ({ cell_type: 'code', source, metadata: tags ? { tags } : {}, execution_count: null, outputs: [] });
const notebook = (cells: Cell[], minor = 5): Notebook => ({ nbformat: 4, nbformat_minor: minor, metadata: {}, cells });
const tagsOf = (nb: Notebook) => nb.cells.map((c) => c.metadata.tags?.[0] ?? c.source);

describe('injecting parameters into a notebook', () => {
  test('the injected cell goes right after the cell tagged parameters', () => {
    const nb = notebook([code('first'), code('let n = 1;', ['parameters']), code('last')]);
    const out = parameterizeNotebook(nb, { n: 2 });
    assert.deepEqual(tagsOf(out), ['first', 'parameters', INJECTED_PARAMETERS_TAG, 'last']);
    assert.equal(out.cells[2].source, '// Parameters injected by melbook\n{\n  n = 2;\n  void 0;\n}');
    assert.match(out.cells[2].id ?? '', /^[0-9a-f]{16}$/, 'nbformat 4.5 cells get an id');
  });

  test('an injected cell left by an earlier run is replaced, not repeated', () => {
    const first = parameterizeNotebook(notebook([code('let n = 1;', ['parameters']), code('use(n)')]), { n: 2 });
    const second = parameterizeNotebook(first, { n: 3 });
    assert.deepEqual(tagsOf(second), ['parameters', INJECTED_PARAMETERS_TAG, 'use(n)']);
    assert.match(second.cells[1].source, /n = 3;/);
  });

  test('without a parameters cell the injected cell goes first, as papermill does', () => {
    const out = parameterizeNotebook(notebook([code('a'), code('b')], 4), { x: 'y' });
    assert.deepEqual(tagsOf(out), [INJECTED_PARAMETERS_TAG, 'a', 'b']);
    assert.equal(out.cells[0].id, undefined, 'nbformat 4.4 cells have no id');
    assert.match(out.cells[0].source, /^let x = "y";$/m);
  });

  test('no parameters removes a stale injected cell and adds none', () => {
    const stale = parameterizeNotebook(notebook([code('let n = 1;', ['parameters'])]), { n: 2 });
    assert.deepEqual(tagsOf(parameterizeNotebook(stale, {})), ['parameters']);
  });

  test('the input notebook is left untouched', () => {
    const nb = notebook([code('let n = 1;', ['parameters'])]);
    const copy = structuredClone(nb);
    parameterizeNotebook(nb, { n: 2 });
    assert.deepEqual(nb, copy);
  });

  test('names declared with let or var are reassigned, others declared', () => {
    assert.deepEqual([...reassignableNames('let a = 1;\n  var b = 2\nconst c = 3;\nexport let d: number = 4;\n// let e = 5')], ['a', 'b', 'd']);
    assert.equal(injectedSource({ a: 1, c: 2 }, new Set(['a'])), '// Parameters injected by melbook\n{\n  a = 1;\n  void 0;\n}\nlet c = 2;');
  });

  test('a parameter name that is not a variable name is refused', () => {
    for (const name of ['my-param', '1st', 'class', 'let', '']) {
      assert.throws(() => parameterizeNotebook(notebook([]), { [name]: 1 }), (e: unknown) =>
        e instanceof ConfigError && e.message.includes('TypeScript identifier'), name);
    }
  });
});

describe('translating values into TypeScript literals', () => {
  test('special numbers keep their identity', () => {
    assert.equal(toTsLiteral([NaN, Infinity, -Infinity, -0, 0, 1e21, 12n]), '[NaN, Infinity, -Infinity, -0, 0, 1e+21, 12n]');
  });

  test('keys that are not identifiers are quoted and __proto__ stays an own property', () => {
    const value = JSON.parse('{"plain": 1, "with-dash": 2, "0": 3, "__proto__": 4, "class": 5}');
    assert.equal(toTsLiteral(value), '{ 0: 3, plain: 1, "with-dash": 2, ["__proto__"]: 4, class: 5 }'.replace('0: 3', '"0": 3'));
  });

  test('long values break one element per line', () => {
    const text = toTsLiteral({ list: Array.from({ length: 30 }, (_, i) => i) }, { width: 40 });
    assert.ok(text.split('\n').every((line) => line.length <= 40), text);
  });

  test('values a literal cannot express are refused with their path', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => toTsLiteral(cyclic, {}, 'p'), /p\.self: got "\(circular reference\)"/);
    assert.throws(() => toTsLiteral({ f: () => 1 }, {}, 'p'), /p\.f: .*not a function/);
    assert.throws(() => toTsLiteral({ m: new Map() }, {}, 'p'), /p\.m: .*not a Map/);
  });
});

/** Encodes what JSON would lose (NaN, ±Infinity, -0, undefined) so kernel and test compare exactly. */
const ENCODE = `(value) => JSON.stringify(value, function (key, v) {
  const raw = this[key];
  if (raw === undefined) return { undefined: true };
  if (typeof raw === 'number' && (!Number.isFinite(raw) || Object.is(raw, -0))) return { number: Object.is(raw, -0) ? '-0' : String(raw) };
  return v;
})`;
// eslint-disable-next-line no-new-func
const encode = new Function(`return ${ENCODE}`)() as (value: unknown) => string;

describe('injected parameters evaluated by a real tslab kernel', () => {
  let session: KernelSession;
  before(async () => { session = await tslabEngine().start(); });
  after(async () => { await session?.shutdown(); });
  const settle = () => new Promise((r) => setTimeout(r, 300)); // tslab aborts requests within 200 ms of an error

  test('strings, numbers, unicode and nested objects come back equal', async () => {
    const parameters: Record<string, unknown> = {
      quote: 'say "hi", \'bye\', `tick` and ${notTemplate}',
      backslash: 'C:\\temp\\new \\u0041 not an escape',
      lines: 'a\nb\r\nc\td\u0000e\u2028f\u2029g\u007f',
      unicode: 'é 漢字 😀',
      lone: '\ud800x\udc00',
      nums: [0, -0, 1.5e-300, -42, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER],
      flags: [true, false, null, undefined],
      nested: JSON.parse('{"not-an-identifier": {"with space": [1, {"deep": "x"}]}, "class": "reserved", "__proto__": "own", "": "empty", "0": "zero"}'),
      constParam: 'declared const in the parameters cell',
      newParam: { added: true },
    };
    const names = Object.keys(parameters);
    const declare = 'let quote = ""; \nlet backslash = "";\nlet lines = "";\nlet unicode = "";\nlet lone = "";\n' +
      'let nums: number[] = [];\nlet flags: (boolean | null | undefined)[] = [];\nlet nested: unknown = {};\nconst constParam = "default";';
    assert.equal((await session.execute(declare)).status, 'ok');
    const injected = injectedSource(parameters, reassignableNames(declare));
    const run = await session.execute(injected);
    assert.equal(run.status, 'ok', run.errorText);
    assert.deepEqual(run.outputs, [], 'the injected cell prints nothing');
    // `{ name: name }`, not `{ name }`: tslab 1.0.22 loses shorthand properties naming earlier cells' variables.
    const shown = await session.execute(`console.log((${ENCODE})({ ${names.map((n) => `${n}: ${n}`).join(', ')} }))`);
    assert.equal(shown.status, 'ok', shown.errorText);
    const printed = shown.outputs.map((o) => (o.output_type === 'stream' ? o.text : '')).join('').trim();
    assert.equal(printed, encode(parameters));
  });

  test('a reassigned parameter is type-checked against the declared type', async () => {
    assert.equal((await session.execute('let epochs = 10;')).status, 'ok');
    const run = await session.execute(injectedSource({ epochs: 'ten' }, new Set(['epochs'])));
    assert.equal(run.status, 'error');
    assert.match(run.errorText, /Type 'string' is not assignable to type 'number'/);
    await settle();
  });
});
