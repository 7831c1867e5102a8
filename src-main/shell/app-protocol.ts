// The renderer loads from app://na64rc/, a privileged custom scheme, instead of file:// (Electron security
// checklist item 18): only files inside the renderer build are served, each with the CSP.
import { readFile } from 'node:fs/promises';
import type { Protocol } from 'electron';
import { contentType, resolveInside, SECURITY_HEADERS } from '../server/static-files';

export const APP_SCHEME = 'app';
export const APP_HOST = 'na64rc';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Must run before the app is ready. */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export async function appProtocolResponse(rendererDir: string, requestUrl: string): Promise<Response> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return new Response('bad request', { status: 400 });
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return new Response('not found', { status: 404 });
  const file = resolveInside(rendererDir, url.pathname);
  if (!file) return new Response('not found', { status: 404 });
  try {
    const body = await readFile(file);
    return new Response(body, {
      status: 200,
      headers: { 'Content-Type': contentType(file), ...SECURITY_HEADERS },
    });
  } catch {
    return new Response('not found', { status: 404 });
  }
}

export function handleAppProtocol(protocol: Pick<Protocol, 'handle'>, rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => appProtocolResponse(rendererDir, request.url));
}
