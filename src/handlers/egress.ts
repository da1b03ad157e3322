import { join } from 'node:path';
import type { CatalogueModel, ConfigGraph } from '../config/index.js';
import { ServerError, type Source } from '../protocol/index.js';

/** Whether a value was put there by the workspace (its settings or a project-level `.env`). */
export function fromWorkspace(g: ConfigGraph, s: Source | undefined): boolean {
  if (!s) return false;
  if (s.layer === 'settings') return s.scope === 'workspace';
  if (s.layer === 'dotenv') {
    const home = new Set([join(g.paths.qwenDir, '.env'), join(g.paths.home, '.env')]);
    return !!s.path && !home.has(s.path);
  }
  return false;
}

/**
 * DESIGN.md "Trust": a credential from outside the workspace is never sent
 * to a base URL that the workspace chose, unless the folder is explicitly
 * trusted. Checked before any request; nothing is sent when it refuses.
 */
export function assertEgressAllowed(g: ConfigGraph, m: Pick<CatalogueModel, 'id' | 'baseUrl' | 'baseUrlSource'>, keySource: Source | undefined): void {
  if (!fromWorkspace(g, m.baseUrlSource) || fromWorkspace(g, keySource)) return;
  if (g.trust.explicit === true) return;
  throw new ServerError(
    'WorkspaceUntrusted',
    `refused: this folder's settings point ${m.id} at ${m.baseUrl ?? 'another host'}, which would receive your own key`,
    { hint: 'if you trust this folder, trust it (workspace/trust with TRUST_FOLDER, or :Qwen trust / M-x qwen-agent-trust-folder), then try again' },
  );
}
