import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSecretName, redact, scrub } from '../../src/protocol/index.js';

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
});
