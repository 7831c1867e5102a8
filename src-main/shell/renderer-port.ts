// The renderer talks to the core through one MessagePort, handed to the main window only, after each load
// (a reload gets a fresh channel). No ipcMain handlers exist, so there is no sender to validate.
import type { BrowserWindow, MessageChannelMain as MessageChannelMainType } from 'electron';
import { RPCHandler } from '@orpc/server/message-port';
import { rpcHandlerOptions } from '../api/handler-options';
import type { Router } from '../api/router';
import type { AuditTrail } from '../audit/audit-trail';
import type { Logger } from '../log';
import type { Session } from '../shared/auth';

export const PORT_CHANNEL = 'na64rc:port';

export function serveRendererPort(
  win: Pick<BrowserWindow, 'webContents'>,
  MessageChannelMain: typeof MessageChannelMainType,
  router: Router,
  session: Session,
  log: Logger,
  /** Where the window's control actions whose input the contract refused are recorded (src-main/audit). */
  audit?: AuditTrail,
): void {
  const rpc = new RPCHandler(router, rpcHandlerOptions(log, audit));
  let current: { close(): void } | null = null;
  win.webContents.on('did-finish-load', () => {
    current?.close();
    const { port1, port2 } = new MessageChannelMain();
    // The window's session is the local administrator's and no token opened it: nothing can revoke it or
    // change its role, so unlike a WebSocket's (src-main/server/session-sockets.ts) it is not re-checked.
    rpc.upgrade(port1, { context: { session } });
    port1.start();
    current = port1;
    win.webContents.postMessage(PORT_CHANNEL, null, [port2]);
  });
}
