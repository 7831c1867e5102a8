// Attachment files, stored by content under <data>/attachments/<first two hex digits>/<sha256>: the same
// file attached twice is stored once, and a stored file is never overwritten (its name is its content).
// What a file is gets decided from its bytes and name, never from what the sender claims; formats a
// browser would execute (SVG, HTML, XML) are marked `active` and only ever handed out as downloads.
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../security/private-files';
import type { Attachment } from '../shared/api/logbook';

/** Thumbnails fit in this box (CSS pixels ×2 for sharp displays of a 160 × 120 tile). */
export const THUMBNAIL = { width: 320, height: 240 };
/** Images larger than this many pixels are not decoded (decompression bombs); they stay downloadable files. */
const MAX_DECODE_PIXELS = 50_000_000;

export type FileFacts = Omit<Attachment, 'name'>;

const RASTER: { mime: string; test: (b: Buffer) => boolean }[] = [
  { mime: 'image/png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { mime: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { mime: 'image/gif', test: (b) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
  { mime: 'image/webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
];

const ACTIVE_EXTENSIONS = /\.(svgz?|html?|xhtml|xht|xml|xsl|xslt|mht|mhtml|js|mjs|hta)$/i;
const ACTIVE_CONTENT = /<(svg|html|!doctype\s+html|script|\?xml|iframe|object|embed)\b/i;

const TEXT_TYPES: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  md: 'text/plain; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  pdf: 'application/pdf',
  root: 'application/octet-stream',
};

/** What a file is, from its bytes (and, for text, its name). */
export function sniff(name: string, bytes: Buffer): { mime: string; kind: Attachment['kind'] } {
  const raster = RASTER.find((r) => r.test(bytes));
  if (raster) return { mime: raster.mime, kind: 'image' };
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return { mime: 'application/pdf', kind: 'file' };
  const head = bytes.subarray(0, 4096).toString('utf8');
  if (ACTIVE_EXTENSIONS.test(name) || ACTIVE_CONTENT.test(head)) {
    return { mime: /svg/i.test(name) || /<svg\b/i.test(head) ? 'image/svg+xml' : 'text/html', kind: 'active' };
  }
  const ext = /\.([a-z0-9]{1,8})$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  return { mime: TEXT_TYPES[ext] ?? 'application/octet-stream', kind: 'file' };
}

/**
 * Write a file so that it is either complete on disk or absent: a temp file of its own (two uploads of the
 * same content may run at once), fsync, rename.
 */
function writeDurably(file: string, bytes: Buffer): void {
  const temp = `${file}.${randomUUID()}.tmp`;
  const fd = openSync(temp, 'w', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

export class AttachmentFiles {
  constructor(private readonly dir: string) {}

  private path(hash: string, thumbnail = false): string {
    return join(this.dir, hash.slice(0, 2), thumbnail ? `${hash}.thumb.png` : hash);
  }

  /** Store the bytes (once per content) and a thumbnail for raster images. */
  async store(name: string, bytes: Buffer): Promise<FileFacts> {
    const hash = createHash('sha256').update(bytes).digest('hex');
    const { mime, kind } = sniff(name, bytes);
    mkdirSync(join(this.dir, hash.slice(0, 2)), { recursive: true, mode: PRIVATE_DIR_MODE });
    const file = this.path(hash);
    if (!existsSync(file)) writeDurably(file, bytes);
    let thumbnail = false;
    let shownKind = kind;
    if (kind === 'image') {
      try {
        const thumb = await sharp(bytes, { limitInputPixels: MAX_DECODE_PIXELS, animated: false })
          .resize({ ...THUMBNAIL, fit: 'inside', withoutEnlargement: true })
          .png()
          .toBuffer();
        if (!existsSync(this.path(hash, true))) writeDurably(this.path(hash, true), thumb);
        thumbnail = true;
      } catch {
        // Claims to be an image but does not decode (truncated, corrupt or too large): keep it as a file.
        shownKind = 'file';
      }
    }
    return { hash, size: bytes.length, mime, kind: shownKind, thumbnail };
  }

  read(hash: string, thumbnail = false): Buffer | null {
    try {
      return readFileSync(this.path(hash, thumbnail));
    } catch {
      return null;
    }
  }
}
