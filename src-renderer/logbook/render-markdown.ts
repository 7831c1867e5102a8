// Logbook text to HTML for the screen: the shared Markdown dialect (raw HTML escaped, only http(s) and
// mailto links), then DOMPurify as the second, independent line of defence. Whatever an entry holds, what
// reaches the page has no scripts, no event handlers, no styles, no forms and no links that run code;
// every link opens outside the app without opener or referrer (in Electron via the shell's allow-list).
import DOMPurify from 'dompurify';
import { createMarkdown } from '@shared/markdown';

const md = createMarkdown();
const purify = DOMPurify(window);

purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('rel', 'noopener noreferrer');
    node.setAttribute('target', '_blank');
  }
});

const CONFIG = {
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
  ADD_ATTR: ['target'],
  FORBID_TAGS: ['style', 'img', 'svg', 'math', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'video', 'audio'],
  FORBID_ATTR: ['style', 'id', 'name', 'class'],
};

export function renderMarkdown(text: string): string {
  return purify.sanitize(md.render(text), CONFIG);
}
