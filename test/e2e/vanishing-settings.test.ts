import assert from 'node:assert/strict';
import { rename, rm, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { sandboxPerTest } from '../support/per-test.js';

const ctx = sandboxPerTest();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SETTINGS = JSON.stringify({
  security: { auth: { selectedType: 'openai' } },
  modelProviders: { openai: [{ id: 'mine-a' }, { id: 'mine-b' }] },
});

// Issue 10: Qwen Code saves settings.json by renaming the old file away and the new one in.
describe('a settings file renamed away for a moment', () => {
  it('an edit in place after the file was renamed away and back is seen (the watch must not follow the old file)', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const srv = await ctx.start({ env: { OPENAI_API_KEY: 'sk-vanishing-0123456789' } });
    await srv.request('config/resolve');
    await sleep(300);
    await rename(path, `${path}.orig`);
    await sleep(40);
    await rename(`${path}.orig`, path);
    await sleep(500);
    const mark = srv.notifications.length;
    await writeFile(path, JSON.stringify({ model: { name: 'after' }, security: { auth: { selectedType: 'openai' } } }));
    await srv.waitFor('model/didChange', (p) => p.selected?.id === 'after', 1000, mark);
  });

  it('a file deleted while a second look at it is already due is gone once its grace has passed', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const srv = await ctx.start({ env: { OPENAI_API_KEY: 'sk-vanishing-0123456789' } });
    await srv.request('config/resolve');
    await sleep(300);
    // Half written: the server looks again 250 ms later. The file goes before that look, which then falls in its grace.
    await writeFile(path, '{ "modelProviders": ');
    await sleep(120);
    await rm(path);
    const t0 = Date.now();
    for (;;) {
      const list = await srv.request('model/list');
      const ids = list.groups.flatMap((g: { models: { id: string }[] }) => g.models.map((m) => m.id));
      if (!ids.includes('mine-a')) break;
      assert.ok(Date.now() - t0 < 2000, 'the deleted file still counts after two seconds');
      await sleep(50);
    }
  });

  it('its models stay selectable while another program saves it by renames, and a file deleted for good is gone within two seconds', async () => {
    const path = await ctx.sb.write('home/.qwen/settings.json', SETTINGS);
    const srv = await ctx.start({ env: { OPENAI_API_KEY: 'sk-vanishing-0123456789' } });
    await srv.request('config/resolve');
    await sleep(300); // the watcher starts after `initialized`

    let saving = true;
    const saver = (async () => {
      for (let i = 0; i < 40 && saving; i++) {
        await rename(path, `${path}.orig`);
        await sleep(40);
        await rename(`${path}.orig`, path);
        await sleep(20);
      }
    })();
    const failures: string[] = [];
    let selects = 0;
    const deadline = Date.now() + 2500;
    while (Date.now() < deadline) {
      try {
        await srv.request('model/select', { authType: 'openai', id: selects % 2 ? 'mine-a' : 'mine-b', scope: 'session' });
      } catch (err) {
        failures.push((err as Error).message);
      }
      selects++;
      await sleep(5);
    }
    saving = false;
    await saver;
    assert.ok(selects > 50, `only ${selects} selects made`);
    assert.deepEqual(failures, [], `${failures.length} of ${selects} selects failed`);

    // A file that stays gone is gone: its models leave the list (a session choice would keep its model listed).
    await srv.request('model/select', { authType: 'qwen-oauth', id: 'coder-model', scope: 'session' });
    await rm(path);
    const t0 = Date.now();
    for (;;) {
      const list = await srv.request('model/list');
      const ids = list.groups.flatMap((g: { models: { id: string }[] }) => g.models.map((m) => m.id));
      if (!ids.includes('mine-a') && !ids.includes('mine-b')) break;
      assert.ok(Date.now() - t0 < 2000, 'the deleted file still counts after two seconds');
      await sleep(50);
    }
  });
});
