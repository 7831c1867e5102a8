// The Content-Security-Policy of the renderer, the same in the Electron window (custom protocol) and in
// the browser (served by `na64rc serve`): only our own scripts, styles and connections; no eval, no plugins,
// no framing.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
