// The one Markdown dialect of the logbook, for the renderer (then sanitised by DOMPurify) and for the
// exported HTML page. Raw HTML is escaped (html: false); links go only to http(s) and mailto and open in
// a new window without referrer or opener; images from elsewhere are shown as links (the app loads nothing
// from outside, and attachments are shown by the logbook itself).
import MarkdownIt, { type MarkdownIt as Markdown } from 'markdown-it';

const SAFE_LINK = /^(https?:|mailto:)/i;

export function createMarkdown(): Markdown {
  const md = new MarkdownIt({ html: false, linkify: true, breaks: true });
  md.validateLink = (url) => SAFE_LINK.test(url.trim());
  md.renderer.rules.image = (tokens, idx) => {
    const token = tokens[idx]!;
    const src = String(token.attrGet('src') ?? '');
    const text = String(token.content || src);
    return `<a href="${md.utils.escapeHtml(src)}" rel="noopener noreferrer" target="_blank">${md.utils.escapeHtml(text)}</a>`;
  };
  md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
    tokens[idx]!.attrSet('rel', 'noopener noreferrer');
    tokens[idx]!.attrSet('target', '_blank');
    return self.renderToken(tokens, idx, options);
  };
  return md;
}

// Writing Markdown that other renderers read (the exported logbook.md: GitHub, GitLab, pandoc, editors' previews
// render raw HTML and links as they find them). What a person typed must come out as the same text, never as markup.

/** The characters that start inline markup, HTML, entities, autolinks, tables or headings. */
const INLINE_MARKUP = /[\\`*_[\]()<>!&|~#]/g;

/** One line of literal text: line breaks become spaces (no heading or list injected), markup characters are escaped. */
export function escapeMarkdownInline(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- control characters and line breaks are what is being removed
      .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
      .replace(INLINE_MARKUP, (c) => `\\${c}`)
  );
}

/**
 * Text shown verbatim as a fenced code block: nothing inside is markup, and the fence is longer than any
 * run of backticks in the text, so the text cannot close it.
 */
export function fencedBlock(text: string, info = ''): string {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text.replace(/\r\n?/g, '\n')}\n${fence}`;
}
