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
