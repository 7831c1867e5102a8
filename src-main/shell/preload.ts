// The preload of the main window (sandboxed, context-isolated). It exposes nothing but a marker and
// forwards the one MessagePort the main process sends to the page.
import { contextBridge, ipcRenderer } from 'electron';

const PORT_CHANNEL = 'na64rc:port';

interface PageWindow {
  postMessage(message: unknown, targetOrigin: string, transfer?: unknown[]): void;
  location: { origin: string };
}

contextBridge.exposeInMainWorld('na64rcShell', { transport: 'message-port' });

ipcRenderer.on(PORT_CHANNEL, (event) => {
  const page = globalThis as unknown as PageWindow;
  page.postMessage(PORT_CHANNEL, page.location.origin, event.ports);
});
