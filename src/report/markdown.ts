/**
 * Markdown cells to HTML for the report, with markdown-it (CommonMark).
 *
 * Policy: markdown renders (headings, lists, emphasis, code, tables, links, images), but raw HTML
 * written inside markdown does NOT: it is shown as text (markdown-it `html: false`). A notebook
 * author's markdown is text; only outputs a cell produced on purpose (`text/html`) render as
 * HTML, in a sandboxed frame. Links keep their target (markdown-it's `validateLink` refuses
 * `javascript:`, `vbscript:`, `file:` and non-image `data:` URLs however they are spelled, and
 * the report's policy would not run a script URL anyway) and open with `rel="noopener noreferrer"`. Images never load from the
 * network: `attachment:NAME` becomes a data URI from the cell's attachments, `data:image/...`
 * stays, and any other image becomes a plain link to it.
 */
import MarkdownIt = require('markdown-it');
import type { MimeBundle } from '../nbformat';

/** Image mime types an attachment may have, in order of preference. */
const IMAGE_MIMES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml'] as const;

type Attachments = Record<string, MimeBundle>;

type Parser = MarkdownIt.MarkdownIt;

let parser: Parser | undefined;

function markdownParser(): Parser {
  if (parser) return parser;
  const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
  const renderImage = md.renderer.rules.image!;
  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    const token = tokens[idx];
    const src = String(token.attrGet('src') ?? '');
    const inline = inlineImageSource(src, (env as { attachments?: Attachments } | undefined)?.attachments);
    if (inline) {
      token.attrSet('src', inline);
      return renderImage(tokens, idx, options, env, self);
    }
    // Not loaded: a link to the image, labelled with its alt text.
    const alt = self.renderInlineAsText(token.children ?? [], options, env) || src;
    return `<a class="remote-image" href="${md.utils.escapeHtml(src)}" rel="noopener noreferrer">[image: ${md.utils.escapeHtml(alt)}]</a>`;
  };
  md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
    tokens[idx].attrSet('rel', 'noopener noreferrer');
    return self.renderToken(tokens, idx, options);
  };
  parser = md;
  return md;
}

/** A data URI for an image source that needs no network, or undefined. */
function inlineImageSource(src: string, attachments: Attachments | undefined): string | undefined {
  if (/^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]*$/i.test(src)) return src;
  const m = /^attachment:(.+)$/.exec(src);
  if (!m || !attachments) return undefined;
  let name = m[1];
  try {
    name = decodeURIComponent(name);
  } catch {
    // keep the name as written
  }
  const bundle = attachments[name];
  if (!bundle) return undefined;
  for (const mime of IMAGE_MIMES) {
    const data = bundle[mime];
    if (typeof data !== 'string') continue;
    const base64 = mime === 'image/svg+xml' ? Buffer.from(data, 'utf8').toString('base64') : data.replace(/\s+/g, '');
    if (/^[A-Za-z0-9+/=]*$/.test(base64)) return `data:${mime};base64,${base64}`;
  }
  return undefined;
}

/** Markdown source to HTML under the policy above; `attachments` are the cell's (nbformat). */
export function renderMarkdown(source: string, attachments?: Attachments): string {
  return markdownParser().render(source, { attachments });
}
