// The API documents as an integrator opens them: Swagger UI at /api/docs/ renders every operation
// of the committed OpenAPI document from the binary alone (no CDN, no CSP violation), and the
// document it loads is the committed one.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startShop, launch, openPage, shot, assertNoProblems, repo } from './support.js';

let shop;
let browser;
before(async () => { shop = await startShop(); browser = await launch(); });
after(async () => { await browser?.close(); await shop?.stop(); });

const committed = JSON.parse(readFileSync(join(repo, 'docs', 'api', 'openapi.json'), 'utf8'));
const operations = Object.values(committed.paths)
  .flatMap((item) => Object.keys(item).filter((k) => ['get', 'put', 'post', 'delete', 'patch'].includes(k)));

test('Swagger UI renders every operation of the committed document, offline and under its CSP', async () => {
  const page = await openPage(browser, shop.url);
  await page.goto(`${shop.url}/api/docs/`);
  await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('.opblock').count(), operations.length, 'one block per operation');
  await page.getByRole('heading', { name: new RegExp(committed.info.title) }).waitFor();

  const served = await (await fetch(`${shop.url}/api/openapi.json`)).json();
  assert.deepEqual(served, committed, 'the served document is the committed one');

  // Expanding an operation shows its documented answers.
  await page.locator('.opblock-summary').first().click();
  await page.locator('.responses-table').first().waitFor();
  await shot(page, 'api-docs');
  assertNoProblems(assert, page);
});
