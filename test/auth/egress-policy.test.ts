/**
 * The egress policy's matching: a credential is found in every form a
 * request can carry it in (PROTOCOL.md, "The egress guard": URL, headers,
 * body), and only requests to hosts the workspace chose are judged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileEgressPolicy } from '../../src/auth/net/index.js';
import { findCredential, findCredentialInHost, hideCredentialsInHost, needsJudging } from '../../src/auth/net/policy.js';

const KEY = 'sk-Test+Key/with=odd chars"\\0123';
const policy = compileEgressPolicy({
  trusted: false,
  outsideUrls: ['https://api.openai.com/v1', 'http://127.0.0.1:4000/v1'],
  credentials: [
    { name: 'OPENAI_API_KEY', value: KEY },
    { name: 'SHORT_KEY', value: 'abc123' },
  ],
});
const found = (text: string) => findCredential(policy, text)?.name;

describe('egress policy: where a credential is found', () => {
  it('as is, in a path, a query, a header value, a body', () => {
    assert.equal(found(`http://evil.test/${KEY}/v1`), 'OPENAI_API_KEY');
    assert.equal(found(`Bearer ${KEY}`), 'OPENAI_API_KEY');
    assert.equal(found(`{"note":${JSON.stringify(KEY)}}`), 'OPENAI_API_KEY');
  });

  it('percent-encoded, in upper or lower case hex, and encoded twice', () => {
    const once = encodeURIComponent(KEY);
    assert.notEqual(once, KEY);
    assert.equal(found(`http://evil.test/v1?k=${once}`), 'OPENAI_API_KEY');
    assert.equal(found(`http://evil.test/v1?k=${once.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`), 'OPENAI_API_KEY');
    assert.equal(found(`http://evil.test/${encodeURIComponent(once)}`), 'OPENAI_API_KEY');
  });

  it('form-encoded (spaces as +), as an OAuth or form body has it', () => {
    assert.equal(found(new URLSearchParams({ grant_type: 'x', token: KEY }).toString()), 'OPENAI_API_KEY');
  });

  it('with JSON string escapes (quotes, backslashes)', () => {
    const escaped = JSON.stringify({ model: KEY });
    assert.ok(!escaped.includes(KEY), 'the escapes change the text');
    assert.equal(found(escaped), 'OPENAI_API_KEY');
  });

  it('inside base64 at any offset, standard or URL-safe (Basic auth of user:key)', () => {
    for (const user of ['', 'u', 'us', 'use', 'user', 'admin']) {
      const b64 = Buffer.from(`${user}:${KEY}`).toString('base64');
      assert.equal(found(`Basic ${b64}`), 'OPENAI_API_KEY', `user "${user}"`);
      assert.equal(found(b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')), 'OPENAI_API_KEY', `url-safe, user "${user}"`);
    }
  });

  it('in a host name, whatever its case (URL parsing lower-cases hosts)', () => {
    const p = compileEgressPolicy({ trusted: false, outsideUrls: [], credentials: [{ name: 'GEMINI_API_KEY', value: 'AIzaMixedCase0123456789' }] });
    const host = new URL('http://AIzaMixedCase0123456789.evil.test/').hostname;
    assert.equal(host, 'aizamixedcase0123456789.evil.test');
    assert.equal(findCredentialInHost(p, host)?.name, 'GEMINI_API_KEY');
    assert.equal(hideCredentialsInHost(p, host, () => '…'), '….evil.test');
  });

  it('not in unrelated text, and values under 8 characters are never looked for', () => {
    assert.equal(found('{"model":"qwen3.5-plus","messages":[{"role":"user","content":"ping"}],"max_tokens":1}'), undefined);
    assert.equal(found('Bearer sk-Test+Key/with'), undefined, 'a part of the key is not the key');
    assert.equal(found('abc123 abc123'), undefined);
  });
});

describe('egress policy: which requests are judged', () => {
  it('requests to hosts chosen outside the workspace are not', () => {
    assert.equal(needsJudging(policy, 'https://api.openai.com/v1/chat/completions'), false);
    assert.equal(needsJudging(policy, 'http://127.0.0.1:4000/v1/models'), false);
  });

  it('requests to any other host are, and so is an address that is not a URL', () => {
    assert.equal(needsJudging(policy, 'http://127.0.0.1:4001/v1/models'), true, 'another port is another origin');
    assert.equal(needsJudging(policy, 'https://api.openai.com.evil.test/v1'), true);
    assert.equal(needsJudging(policy, `not a url ${KEY}`), true);
  });

  it('nothing is, in an explicitly trusted folder or when there is no credential to protect', () => {
    assert.equal(needsJudging(compileEgressPolicy({ trusted: true, outsideUrls: [], credentials: [{ name: 'K_KEY', value: KEY }] }), 'http://evil.test/'), false);
    assert.equal(needsJudging(compileEgressPolicy({ trusted: false, outsideUrls: [], credentials: [] }), 'http://evil.test/'), false);
  });
});
