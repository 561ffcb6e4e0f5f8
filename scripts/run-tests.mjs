#!/usr/bin/env node
// Runs every suite and prints their totals as the last line: "N passed, N failed".
// vitest: engine, handlers, store. Playwright: the renderer in Chromium (when present).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

mkdirSync('test-output', { recursive: true });
let passed = 0;
let failed = 0;
let ok = true;

function run(label, cmd, args, reportFile, count) {
  console.log(`\n=== ${label} ===`);
  rmSync(reportFile, { force: true });
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  if (!existsSync(reportFile)) {
    console.log(`${label}: no report written (exit ${r.status})`);
    failed += 1;
    ok = false;
    return;
  }
  const [p, f] = count(JSON.parse(readFileSync(reportFile, 'utf8')));
  passed += p;
  failed += f;
  if (r.status !== 0) ok = false;
}

const extra = process.argv.slice(2);
run(
  'vitest',
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile=test-output/vitest.json', ...extra],
  'test-output/vitest.json',
  (j) => [j.numPassedTests, j.numFailedTests],
);

// Playwright needs the built app (serve + renderer) and a Chromium binary.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.log(`\nplaywright: skipped, no Chromium at ${chromium} (apt-get install chromium)`);
  // CI installs Chromium; there a missing browser is a failure, not a skip.
  if (process.env.REQUIRE_E2E) {
    failed += 1;
    ok = false;
  }
} else {
  console.log('\n=== build (for the end-to-end tests) ===');
  const b = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  if (b.status !== 0) {
    failed += 1;
    ok = false;
  } else {
    run('playwright', 'npx', ['playwright', 'test'], 'test-output/playwright.json', (j) => [
      j.stats.expected + j.stats.flaky,
      j.stats.unexpected,
    ]);
  }
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = ok && failed === 0 ? 0 : 1;
