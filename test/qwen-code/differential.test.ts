/**
 * Our server against the real Qwen Code 0.24.4, scenario by scenario: the
 * table in scenarios.ts (issue 11's points) and the seeded combinations of
 * generated.ts. Each test checks that Qwen Code's run stayed on 127.0.0.1 and
 * ended the way a run ends; its subtest checks that the server says what Qwen
 * Code did (model, base URL, key, or that it refuses). Where the server
 * disagrees today, that subtest is a todo naming the difference.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeOutcome, runScenario, type Scenario } from './differential.js';
import { generatedScenarios } from './generated.js';
import { SCENARIOS } from './scenarios.js';
import { requireQwenCode } from '../support/qwen-code.js';

/** Two runs at a time fill this 2-core machine; QAS_QWEN_CONCURRENCY changes it. */
const concurrency = Number(process.env['QAS_QWEN_CONCURRENCY'] ?? 2) || 2;

function check(s: Scenario) {
  const label = s.points?.length ? ` [issue 11: ${s.points.join(', ')}]` : '';
  it(`${s.name}${label}`, async (t) => {
    requireQwenCode();
    const o = await runScenario(s);
    assert.deepEqual(o.egress, [], `Qwen Code tried to leave 127.0.0.1:\n${o.egress.join('\n')}`);
    assert.equal(o.run.timedOut, false, `Qwen Code did not finish; stderr: ${o.run.stderr.slice(-800)}`);
    assert.ok(o.run.code === 0 || o.run.code === 1, `Qwen Code exited ${o.run.code}; stderr: ${o.run.stderr.slice(-800)}`);
    if (o.qwen.runs) assert.equal(o.run.result?.result, 'ok', 'Qwen Code did not get the recording provider\'s answer');
    t.diagnostic(`${o.run.ms} ms: ${describeOutcome(o).replace(/\n/g, ' / ')}`);
    await t.test('the server says what Qwen Code does', s.todo ? { todo: s.todo } : {}, () => {
      assert.deepEqual(o.differences, [], describeOutcome(o));
    });
  });
}

describe('the server against Qwen Code 0.24.4: issue 11, point by point', { concurrency }, () => {
  for (const s of SCENARIOS) check(s);
});

describe('the server against Qwen Code 0.24.4: seeded combinations', { concurrency }, () => {
  for (const s of generatedScenarios()) check(s);
});
