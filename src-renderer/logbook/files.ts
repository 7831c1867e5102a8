// Files between the logbook API (base64) and the page: blob URLs for pictures, downloads for everything.
// A file the API marks `active` (SVG, HTML) is handed out only as opaque bytes to save, never shown.
import type { Attachment } from '@shared/api/logbook';

export function base64ToBytes(data: string): Uint8Array<ArrayBuffer> {
  const raw = atob(data);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

export async function blobToBase64(blob: Blob): Promise<string> {
  const url = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(blob);
  });
  return url.slice(url.indexOf(',') + 1);
}

/** The base64 part of a data: URL (what ECharts and html-to-image give). */
export function dataUrlBase64(url: string): string {
  return url.slice(url.indexOf(',') + 1);
}

/** The type a blob of this attachment gets: raster images as themselves, everything else as bytes. */
export function safeBlobType(a: Pick<Attachment, 'kind' | 'mime'>): string {
  return a.kind === 'image' ? a.mime : 'application/octet-stream';
}

export function saveBytes(bytes: Uint8Array<ArrayBuffer>, name: string, type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.rel = 'noopener';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
