import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSecretName, redact, scrub, scrubValue } from '../../src/protocol/index.js';

describe('redaction', () => {
  it('shows the first 3 and last 4 characters of a secret, and nothing of a short one', () => {
    assert.equal(redact('sk-0123456789abcdef00d'), 'sk-…f00d');
    assert.equal(redact('123456789012'), '…');
    assert.equal(redact('1234567890123'), '123…0123');
  });

  it('names ending in _KEY, _TOKEN or _SECRET are secrets', () => {
    assert.ok(isSecretName('OPENAI_API_KEY') && isSecretName('GH_TOKEN') && isSecretName('CLIENT_SECRET'));
    assert.ok(!isSecretName('OPENAI_BASE_URL'));
  });

  it('scrubs every occurrence of every known secret from a text', () => {
    const key = 'sk-live-000000000000XYZW';
    assert.equal(scrub(`401: Incorrect API key provided: ${key}. (${key})`, [key]), '401: Incorrect API key provided: sk-…XYZW. (sk-…XYZW)');
  });

  it('hides the password of every URL user-info, up to the last @ of the authority, and nothing else', () => {
    assert.equal(
      scrub('proxy http://me:hunter2secret@127.0.0.1:8080/v1?x=1 and https://u:p@ss:w0rd-long@host/a', []),
      'proxy http://me:hun…cret@127.0.0.1:8080/v1?x=1 and https://u:p@s…long@host/a',
    );
    const plain = 'http://someone@host:8080/v1?key=none#frag, mailto:a@b, host:port@x, http://h:1/p@q';
    assert.equal(scrub(plain, []), plain, 'no password, nothing changed');
    const once = scrub('http://u:hunter2secret@h/', []);
    assert.equal(scrub(once, []), once, 'scrubbing twice changes nothing more');
  });

  it('a secret that holds another known secret is hidden whole', () => {
    const inner = 'abcdefgh12345678';
    const outer = `sk-${inner}-tail9876`;
    assert.equal(scrub(`k=${outer}; t=${inner}`, [inner, outer]), `k=${redact(outer)}; t=${redact(inner)}`);
  });

  it('scrubValue reaches every string of a JSON value, keys included, and keeps the rest as it is', () => {
    const key = 'sk-live-000000000000XYZW';
    const clean = { n: 1, ok: true, none: null, list: ['plain'] };
    const value = { a: { b: [`x ${key}`, 'http://u:hunter2secret@h/'] }, [`by ${key}`]: 2, clean };
    const out = scrubValue(value, [key]);
    assert.deepEqual(out, { a: { b: ['x sk-…XYZW', 'http://u:hun…cret@h/'] }, 'by sk-…XYZW': 2, clean });
    assert.equal(out.clean, clean, 'a part with nothing to hide is not copied');
    assert.equal(value.a.b[0], `x ${key}`, 'the value given is not changed');
  });
});
