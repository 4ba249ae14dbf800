import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderMarkdown } from '../../src/report/markdown';

describe('renderMarkdown', () => {
  test('renders markdown but shows raw HTML written in it as text', () => {
    const html = renderMarkdown('# Title\n\n*em* <b onclick="x()">bold</b>\n\n<script>alert(1)</script>\n\n| a | b |\n| - | - |\n| 1 | 2 |');
    assert.ok(html.includes('<h1>Title</h1>'));
    assert.ok(html.includes('<em>em</em> &lt;b onclick=&quot;x()&quot;&gt;bold&lt;/b&gt;'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.doesNotMatch(html, /<script|<b /);
    assert.ok(html.includes('<td>1</td>'), 'tables');
  });

  test('keeps ordinary links, with rel noopener, and drops script URLs', () => {
    const html = renderMarkdown('[ok](https://example.org/a?b=1&c=2) [bad](javascript:alert(1)) [worse](vbscript:x)');
    assert.ok(html.includes('<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer">ok</a>'));
    assert.doesNotMatch(html, /href="(javascript|vbscript):/);
  });

  test('neutralises script URLs however they are spelled: case, entities, autolinks, references, images', () => {
    const sources = [
      '[a](JaVaScRiPt:alert(1))', '[a](javascript&#58;alert(1))', '[a](&#106;avascript:alert(1))', '<javascript:alert(1)>',
      '![i](javascript:alert(1))', '[a]( javascript:alert(1))', '[a]: javascript:alert(1)\n\n[a]', '[x](data:text/html,<script>alert(1)</script>)',
      '<a href="javascript:alert(1)">x</a>', '[s](data:image/svg+xml;base64,PHN2Zz4=)',
    ];
    for (const source of sources) {
      const html = renderMarkdown(source);
      assert.doesNotMatch(html, /<a |<img |<script/i, `${source} -> ${html}`);
    }
  });

  test('inlines attachment and data images, and turns other images into links that load nothing', () => {
    const png = 'iVBORw0KGgo=';
    const html = renderMarkdown('![a](attachment:my%20plot.png) ![b](data:image/png;base64,AAAA) ![c](https://example.org/c.png "t") ![d](attachment:missing.png)', {
      'my plot.png': { 'image/png': `${png}\n` },
    });
    assert.ok(html.includes(`<img src="data:image/png;base64,${png}" alt="a">`));
    assert.ok(html.includes('<img src="data:image/png;base64,AAAA" alt="b">'));
    assert.ok(html.includes('<a class="remote-image" href="https://example.org/c.png" rel="noopener noreferrer">[image: c]</a>'));
    assert.ok(html.includes('<a class="remote-image" href="attachment:missing.png" rel="noopener noreferrer">[image: d]</a>'));
    assert.equal((html.match(/<img /g) ?? []).length, 2);
  });

  test('an SVG attachment becomes an image data URI, never inline markup', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
    const html = renderMarkdown('![s](attachment:s.svg)', { 's.svg': { 'image/svg+xml': svg } });
    assert.ok(html.includes(`<img src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}" alt="s">`));
    assert.doesNotMatch(html, /<svg|<script/);
  });
});
