import { writes } from '../config/index.js';
import type { ParamsOf, ResultOf } from '../protocol/index.js';
import type { HandlerContext } from './context.js';

export async function trustWorkspace(ctx: HandlerContext, p: ParamsOf<'workspace/trust'>): Promise<ResultOf<'workspace/trust'>> {
  const g = ctx.state.graph;
  await (await writes()).editJsoncFile(g.paths.trustedFolders, [{ path: [g.cwd], value: p.level }]);
  const after = await ctx.state.recompute([g.paths.trustedFolders]);
  const trusted = after.trust.explicit === true;
  const warnings: string[] = [];
  if (!trusted && !after.trust.enabled) {
    warnings.push(
      'folder trust is off (security.folderTrust.enabled), so this folder’s settings still apply; the server still refuses to send your keys to hosts that only this folder’s settings name',
    );
  }
  if (p.level === 'TRUST_FOLDER' || p.level === 'TRUST_PARENT') {
    if (!trusted) warnings.push('a DO_NOT_TRUST entry or an unreadable trusted-folders file still keeps this folder untrusted');
  }
  return { trusted, ...(warnings.length > 0 ? { warnings } : {}) };
}
