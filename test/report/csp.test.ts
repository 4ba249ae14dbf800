import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { frameCsp, parsedText, reportCsp, scriptHash, scriptTexts } from '../../src/report/csp';
import { FRAME_MAX_HEIGHT, FRAME_MIN_HEIGHT, estimateFrameHeight, sandboxedFrame } from '../../src/report/frame';
import { PageContext, htmlPage } from '../../src/report/page';

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', amp: '&', '#39': "'", '#96': '`' };
const unescapeAttr = (s: string) => s.replace(/&(lt|gt|quot|amp|#39|#96);/g, (_e, k: string) => ENTITIES[k]);
const srcdocOf = (iframe: string) => unescapeAttr(/ srcdoc="([^"]*)"/.exec(iframe)![1]);

describe('scriptHash', () => {
  test('is the CSP hash source of the UTF-8 bytes: sha256 of the empty script is the well-known value', () => {
    assert.equal(scriptHash(''), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
    assert.equal(scriptHash('é'), `'sha256-${createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('base64')}'`);
  });

  test('is taken over the text as the HTML parser passes it on: CR LF and CR become LF, NUL becomes U+FFFD', () => {
    assert.equal(parsedText('a\r\nb\rc\0'), 'a\nb\nc\uFFFD');
  });
});

describe('scriptTexts', () => {
  test('returns the text of each script element as the parser splits it', () => {
    const html = '<p>x</p><script>a()</script><SCRIPT type="module">b("</scrip")</SCRIPT ><script src="y.js"></script/>';
    assert.deepEqual(scriptTexts(html), ['a()', 'b("</scrip")', '']);
  });
});

describe('policies', () => {
  test('the report allows scripts only by hash, sorted and once each, or none at all', () => {
    const a = scriptHash('a');
    const b = scriptHash('b');
    const policy = reportCsp([b, a, b]);
    assert.ok(policy.includes(`script-src ${[a, b].sort().join(' ')};`));
    assert.match(reportCsp([]), /script-src 'none';/);
    for (const p of [policy, frameCsp([a])]) {
      assert.match(p, /^default-src 'none'; /);
      assert.doesNotMatch(/script-src [^;]*/.exec(p)![0], /unsafe|nonce|\*|https?:|data:/);
      assert.match(p, /connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'$/);
    }
    assert.match(frameCsp([]), /script-src 'none'; style-src 'unsafe-inline'; img-src data:; media-src data:; font-src data:;/);
  });
});

describe('sandboxedFrame', () => {
  const html = '<div id="d">"quoted" & <b>bold</b></div>\r\n<script>document.getElementById("d").textContent = "ran";</script>';
  const frame = sandboxedFrame(html);

  test('is an iframe with scripts allowed but no same origin, its document in an escaped srcdoc', () => {
    assert.match(frame.html, /^<iframe class="html-output" sandbox="allow-scripts" title="HTML output" height="\d+" srcdoc="[^"<>]*"><\/iframe>$/);
    assert.doesNotMatch(frame.html, /allow-same-origin|allow-top-navigation|allow-popups|allow-modals|allow-forms/);
    assert.ok(srcdocOf(frame.html).includes('<body>\n<div id="d">"quoted" & <b>bold</b></div>\n<script>'), 'the output as written, CR LF read as LF');
  });

  test('gives its document a policy of its own, allowing its scripts by the same hashes it reports to the page', () => {
    const doc = srcdocOf(frame.html);
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(doc)![1];
    const texts = scriptTexts(doc);
    assert.deepEqual(texts, ['document.getElementById("d").textContent = "ran";']);
    assert.deepEqual(frame.scriptHashes, texts.map(scriptHash));
    assert.equal(policy, frameCsp(frame.scriptHashes));
    assert.ok(doc.indexOf('Content-Security-Policy') < doc.indexOf('<body>'), 'the policy comes before any content');
    assert.equal(sandboxedFrame('<p>no script</p>').scriptHashes.length, 0);
  });

  test('a frame cannot end its srcdoc attribute early, whatever the output holds', () => {
    const hostile = sandboxedFrame('"><script>alert(1)</script><img src=x onerror=alert(2)>` \'');
    assert.equal((hostile.html.match(/"/g) ?? []).length, 10, 'only the quotes of the five attributes');
    assert.doesNotMatch(hostile.html, /<(script|img)/);
  });
});

describe('estimateFrameHeight', () => {
  test('adds declared figure heights and a line per row or block, within bounds', () => {
    assert.equal(estimateFrameHeight(''), FRAME_MIN_HEIGHT);
    assert.equal(estimateFrameHeight('<div style="width:100%;line-height:3px;height:450px"></div><script>var height = 9000;</script>'), 8 + 450);
    assert.equal(estimateFrameHeight('<img height="120" src="data:,"><svg height="30"></svg>'), 8 + 150);
    const rows = `<table>${'<tr><td>1</td></tr>'.repeat(10)}</table>`;
    assert.equal(estimateFrameHeight(rows), 8 + 26 * 10);
    assert.equal(estimateFrameHeight(`<table>${'<tr><td>1</td></tr>'.repeat(500)}</table>`), FRAME_MAX_HEIGHT);
  });
});

describe('PageContext', () => {
  test('records the hash of each script it places, as the page has it, and the page policy lists exactly those', () => {
    const ctx = new PageContext();
    const element = ctx.script('var a = "</script><!--";\r\nrun(a);');
    const text = /^<script>([\s\S]*)<\/script>$/.exec(element)![1];
    assert.equal(text, 'var a = "<\\/script><\\!--";\nrun(a);');
    ctx.htmlFrame('<script>framed()</script>');
    assert.deepEqual(ctx.scriptHashes, [scriptHash(text), scriptHash('framed()')]);
    const page = htmlPage({ title: 't', body: element, context: ctx });
    assert.ok(page.includes(`<meta http-equiv="Content-Security-Policy" content="${reportCsp(ctx.scriptHashes)}">`));
  });
});
