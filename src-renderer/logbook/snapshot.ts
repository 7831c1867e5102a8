// One click on a plot or on the screen: a PNG of it goes into the logbook entry being written (a new one if
// none is), and the logbook opens on that entry. Plots come from ECharts' own renderer; the screen is drawn
// by html-to-image (SVG foreignObject onto a canvas: data: and blob: images only, no inline scripts or
// stylesheets, so it works under the app's strict CSP).
import { useLogbookStore } from '../stores/logbook';
import { dataUrlBase64 } from './files';

const stamp = () => new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');

export async function sendSnapshot(what: string, pngBase64: string): Promise<boolean> {
  const name = `${what.replace(/[^A-Za-z0-9_.-]+/g, '-')}-${stamp()}.png`;
  const ok = await useLogbookStore().attachSnapshot(name, pngBase64);
  if (!window.location.hash.startsWith('#/logbook')) window.location.hash = '#/logbook';
  return ok;
}

export async function snapshotScreen(element: HTMLElement, what: string): Promise<boolean> {
  const { toPng } = await import('html-to-image');
  const background = getComputedStyle(document.body).backgroundColor;
  const url = await toPng(element, { backgroundColor: background, pixelRatio: 1, cacheBust: false, skipFonts: true });
  return sendSnapshot(what, dataUrlBase64(url));
}
