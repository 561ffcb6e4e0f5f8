#!/usr/bin/env node
// Electronegativity (Doyensec's Electron security scanner) on the app's sources, offline, as a CI gate.
//
// Scans main/, preload/, common/, renderer/index.html (the CSP) and renderer/src with the Electron version installed.
// Fails (exit 1) on any MEDIUM or HIGH finding that is not reviewed, and on any source file it cannot parse (an
// unparsed file is an unchecked file). A finding is reviewed in place, the way electronegativity supports: an
// `// eng-disable CHECK_ID` comment on the flagged line, with the reason beside it (see main/app/index.ts).
// LOW and INFORMATIONAL findings are printed, not gated.
//
// Offline: electronegativity makes two kinds of network request, both through the `got` package: translations for
// the current locale (best effort, 1 s timeout) and Electron's release list for AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK.
// That check is excluded (the Electron version is kept current through package.json instead), and `got` is replaced
// by a stub that answers without touching the network, so the result never depends on connectivity.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// `--root DIR` scans another tree laid out like this repository (the gate's own test uses a fixture).
const rootArg = process.argv.indexOf('--root');
const root = rootArg > 0 ? resolve(process.argv[rootArg + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const GATED = new Set(['MEDIUM', 'HIGH', 'CRITICAL']);
// Needs the network (Electron's release list from GitHub); see above.
const EXCLUDED = ['AvailableSecurityFixesGlobalCheck'];
const SOURCES = ['main', 'preload', 'common', 'renderer/index.html', 'renderer/src', 'package.json'];

// 1. No network: answer electronegativity's `got` requests locally, before it is loaded.
const engDir = dirname(require.resolve('@doyensec/electronegativity/package.json'));
const gotPath = createRequire(join(engDir, 'dist', 'locales', 'i18n.js')).resolve('got');
let networkCalls = 0;
const offlineGot = (url) => {
  networkCalls += 1;
  return Promise.resolve({ statusCode: 503, headers: {}, body: '', url: String(url) }); // translations: keep the bundled en-US
};
offlineGot.head = () => {
  networkCalls += 1;
  return Promise.reject(new Error('offline'));
};
offlineGot.default = offlineGot;
const stub = new Module(gotPath);
stub.filename = gotPath;
stub.loaded = true;
stub.exports = offlineGot;
require.cache[gotPath] = stub;
process.env.LANG = 'en-US';
const run = require('@doyensec/electronegativity');

// 2. Stage the sources (node_modules and build output stay out), so paths in the report read as in the repository.
const stage = mkdtempSync(join(tmpdir(), 'electronegativity-'));
let failed = false;
try {
  for (const rel of SOURCES) {
    if (existsSync(join(root, rel)))
      cpSync(join(root, rel), join(stage, rel), { recursive: true, filter: (src) => !src.includes('node_modules') });
    else console.log(`  (no ${rel} to scan)`);
  }
  const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
  const result = await run({
    input: stage,
    isRelative: true,
    electronVersion,
    electronVersionOverride: electronVersion,
    excludeFromScan: EXCLUDED,
    customScan: [],
  });

  // 3. Report and gate.
  const issues = result.issues.map((i) => ({
    id: i.id,
    severity: i.severity.name,
    confidence: i.confidence.name,
    file: i.file,
    line: i.location.line,
    column: i.location.column,
    sample: String(i.sample ?? '').trim(),
    description: i.description,
  }));
  issues.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  const gated = issues.filter((i) => GATED.has(i.severity));
  const parseErrors = result.errors.filter((e) => !e.tolerable);
  console.log(
    `electronegativity ${require('@doyensec/electronegativity/package.json').version}: ${result.globalChecks + result.atomicChecks} checks (excluded: ${EXCLUDED.join(', ')}), Electron ${electronVersion}, network requests answered offline: ${networkCalls}`,
  );
  for (const i of issues) {
    const mark = GATED.has(i.severity) ? 'UNREVIEWED' : 'info';
    console.log(
      `  ${mark} ${i.severity}/${i.confidence} ${i.id} ${i.file}:${i.line}:${i.column} ${i.description}${i.sample ? `\n      ${i.sample.slice(0, 200)}` : ''}`,
    );
  }
  for (const e of result.errors)
    console.log(`  ${e.tolerable ? 'parse warning' : 'PARSE ERROR'} ${e.file.replace(stage + '/', '')}: ${e.message}`);
  if (gated.length > 0) {
    failed = true;
    console.log(
      `electronegativity: ${gated.length} unreviewed medium/high finding(s): fix them, or review each and mark its line with "// eng-disable CHECK_ID" and the reason`,
    );
  }
  if (parseErrors.length > 0) {
    failed = true;
    console.log(`electronegativity: ${parseErrors.length} file(s) could not be parsed, so were not checked`);
  }
  if (!failed)
    console.log(`electronegativity: ok (${issues.length} low/informational finding(s), no unreviewed medium/high)`);
} catch (e) {
  failed = true;
  console.log(`electronegativity: did not run: ${e instanceof Error ? e.message : String(e)}`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
