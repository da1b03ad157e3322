/**
 * Starts the test authorization server for the editor-client tests and prints
 * ONE JSON line on stdout: { issuer, deviceAuthorizationUrl, tokenUrl, clientId, approveUrl }.
 * Everything oidc-provider prints goes to stderr. Stops on SIGTERM or when stdin ends.
 *   node --import tsx test/peers/oidc-server-cli.ts [--access-token-ttl S] [--device-code-ttl S] [--interval S]
 */
import { parseArgs } from 'node:util';
import { startOidcServer } from './oidc-server.js';

const toStderr = (...a: unknown[]) => process.stderr.write(`${a.map(String).join(' ')}\n`);
console.log = console.info = console.warn = console.debug = toStderr;

const { values } = parseArgs({
  options: {
    'access-token-ttl': { type: 'string' },
    'device-code-ttl': { type: 'string' },
    interval: { type: 'string' },
  },
});
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const server = await startOidcServer({
  ...(values['access-token-ttl'] ? { accessTokenTtl: num(values['access-token-ttl'])! } : {}),
  ...(values['device-code-ttl'] ? { deviceCodeTtl: num(values['device-code-ttl'])! } : {}),
  ...(values.interval ? { interval: num(values.interval)! } : {}),
});
const { issuer, deviceAuthorizationUrl, tokenUrl, clientId, approveUrl } = server;
process.stdout.write(`${JSON.stringify({ issuer, deviceAuthorizationUrl, tokenUrl, clientId, approveUrl })}\n`);

const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
