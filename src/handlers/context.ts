import type { Logger } from '../connection/logger.js';
import type { Notifier, WorkspaceState } from '../session/workspace.js';

/** What every request handler may use. */
export interface HandlerContext {
  state: WorkspaceState;
  log: Logger;
  notifier: Notifier;
  /** The client announced `window.showDocument` support. */
  canShowDocument: boolean;
  showDocument(uri: string): void;
}
