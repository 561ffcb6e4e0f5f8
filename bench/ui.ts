/**
 * Streaming cost of the UI: the same prompt decoded (a) through the app in Chromium and (b) by a bare
 * WebSocket client speaking the same contract, against one `serve` process with the built-in model.
 * One warm-up, then `--runs` measured runs each; medians of the engine's own tokens/s (the done
 * event's stats). During the UI runs it also records the page's long tasks, its frame rate, and the CPU
 * seconds of the engine, the server and the browser (process trees, from /proc).
 *
 *   npm run -s build && npm run bench:ui -- [--gen-length 1024] [--runs 3] [--root DIR] [--prompt TEXT]
 *
 * `--root`: the checkout whose `out/main/serve.js` is measured (another build, e.g. a baseline).
 * Needs Linux (/proc) and Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 * Prints readable lines, then, last, one JSON line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import WebSocket from 'ws';
import type { Conversation } from '../common/models.js';
import type { DecodeStats } from '../common/decode-events.js';

const { values } = parseArgs({
  options: {
    'gen-length': { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    root: { type: 'string', default: '.' },
    prompt: { type: 'string', default: 'Write a Python function that parses a CSV file' },
  },
});
const genLength = Number(values['gen-length']);
const runs = Number(values.runs);
const root = resolve(values.root!);
const prompt = values.prompt!;
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// ---------------------------------------------------------------------------------------------
// CPU time of process trees (/proc)

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

interface Proc {
  ppid: number;
  /** utime + stime, seconds. */
  cpu: number;
}

function procTable(): Map<number, Proc> {
  const table = new Map<number, Proc>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK });
    } catch {
      // exited meanwhile
    }
  }
  return table;
}

function descendants(table: Map<number, Proc>, pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.pop()!;
    for (const [child, info] of table) {
      if (info.ppid !== p) continue;
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

interface CpuSample {
  engine: number;
  server: number;
  browser: number;
}

/**
 * The server is serve.js itself; the engine is everything under it; the browser is every other process
 * under this one (playwright-core drives Chromium from this process, so Chromium's tree is our child).
 */
function cpuSample(serverPid: number): CpuSample {
  const t = procTable();
  const sum = (pids: number[]) => pids.reduce((a, p) => a + (t.get(p)?.cpu ?? 0), 0);
  const serverTree = new Set([serverPid, ...descendants(t, serverPid)]);
  return {
    engine: sum(descendants(t, serverPid)),
    server: sum([serverPid]),
    browser: sum(descendants(t, process.pid).filter((p) => !serverTree.has(p))),
  };
}

const cpuDelta = (a: CpuSample, b: CpuSample): CpuSample => ({
  engine: round(b.engine - a.engine, 2),
  server: round(b.server - a.server, 2),
  browser: round(b.browser - a.browser, 2),
});

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---------------------------------------------------------------------------------------------
// The server and a bare client of its WebSocket contract (common/wire.ts)

async function startServe(userData: string): Promise<{ child: ChildProcess; url: string }> {
  const entry = join(root, 'out', 'main', 'serve.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run -s build\` first`);
  const child = spawn(process.execPath, [entry, '--user-data', userData], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`serve printed no URL: ${out}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      ok(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`serve exited (${code}): ${out}`)));
  });
  return { child, url };
}

type Listener = (channel: string, payload: unknown) => void;

class BareClient {
  private nextId = 1;
  private pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  private listeners = new Set<Listener>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as
        | { kind: 'result'; id: number; result: { ok: true; value: unknown } | { ok: false; error: string } }
        | { kind: 'event'; channel: string; payload: unknown }
        | { kind: 'events'; events: { channel: string; payload: unknown }[] };
      if (frame.kind === 'event') for (const l of this.listeners) l(frame.channel, frame.payload);
      else if (frame.kind === 'events')
        for (const e of frame.events) for (const l of this.listeners) l(e.channel, e.payload);
      else {
        const p = this.pending.get(frame.id);
        this.pending.delete(frame.id);
        if (frame.result.ok) p?.ok(frame.result.value);
        else p?.fail(new Error(frame.result.error));
      }
    });
  }

  static open(pageUrl: string): Promise<BareClient> {
    const u = new URL(pageUrl);
    // The server wants the session token and a same-origin, loopback Origin (main/server/http-server.ts).
    const ws = new WebSocket(`ws://${u.host}/ws?token=${u.searchParams.get('token')}`, { origin: u.origin });
    return new Promise((ok, fail) => {
      ws.once('open', () => ok(new BareClient(ws)));
      ws.once('error', fail);
    });
  }

  invoke<T>(channel: string, request: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((ok, fail) => {
      this.pending.set(id, { ok: ok as (v: unknown) => void, fail });
      this.ws.send(JSON.stringify({ kind: 'invoke', id, channel, request }));
    });
  }

  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  close(): void {
    this.ws.close();
  }
}

async function waitForEngine(client: BareClient): Promise<void> {
  const until = Date.now() + 120_000;
  for (;;) {
    const s = await client.invoke<{ engine: { state: string; message?: string } }>('app:status', {});
    if (s.engine.state === 'ready') return;
    if (s.engine.state === 'error' || s.engine.state === 'crashed') throw new Error(`engine ${s.engine.message}`);
    if (Date.now() > until) throw new Error(`engine not ready: ${s.engine.state}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One run through the bare client; the engine's stats from its done event. */
async function bareRun(client: BareClient, settings: unknown, n: number): Promise<DecodeStats> {
  const requestId = `bench${Date.now()}x${n}`;
  const done = new Promise<DecodeStats>((ok, fail) => {
    const off = client.on((channel, payload) => {
      const p = payload as { requestId: string; event: { type: string; stats?: DecodeStats; message?: string } };
      if (channel !== 'generate:event' || p.requestId !== requestId) return;
      if (p.event.type !== 'done' && p.event.type !== 'error') return;
      off();
      if (p.event.type === 'done') ok(p.event.stats!);
      else fail(new Error(p.event.message));
    });
  });
  await client.invoke('generate:start', {
    requestId,
    prompt: { kind: 'chat', messages: [{ role: 'user', content: prompt }] },
    settings,
  });
  return done;
}

// ---------------------------------------------------------------------------------------------
// The page: long tasks and frames, counted only while a measured run streams

interface PagePerf {
  /** [start, duration] in ms, start from the send. */
  longTasks: [number, number][];
  frames: number;
  /** From the send to the message's done status. */
  ms: number;
}

// A string, not a function: tsx may wrap named inner functions in helpers the page does not have.
// Counts from the send to the assistant message's done status (seen by a MutationObserver, no polling).
const PERF_SCRIPT = `{
  const perf = { counting: false, longTasks: [], frames: 0, t0: 0, doneAt: 0, failed: false };
  window.__bench = perf;
  new PerformanceObserver((list) => {
    if (perf.t0 > 0) for (const e of list.getEntries()) perf.longTasks.push([e.startTime - perf.t0, e.duration]);
  }).observe({ type: 'longtask' });
  const frame = () => {
    if (perf.counting) perf.frames += 1;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  new MutationObserver((records) => {
    if (!perf.counting) return;
    for (const r of records) {
      const el = r.target;
      if (el.getAttribute('data-role') !== 'assistant') continue;
      const status = el.getAttribute('data-status');
      if (status === 'done' || status === 'error') {
        perf.counting = false;
        perf.doneAt = performance.now();
        perf.failed = status === 'error';
      }
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
}`;

interface BenchState {
  counting: boolean;
  longTasks: [number, number][];
  frames: number;
  t0: number;
  doneAt: number;
  failed: boolean;
}

async function uiRun(page: Page): Promise<PagePerf> {
  await page.getByTestId('new-chat').click();
  await page.getByTestId('composer').fill(prompt);
  await page.evaluate(() => {
    const b = (window as unknown as { __bench: BenchState }).__bench;
    Object.assign(b, { counting: true, longTasks: [], frames: 0, t0: performance.now(), doneAt: 0, failed: false });
  });
  await page.getByTestId('composer').press('Enter');
  // Polled every 250 ms, not per frame: the check itself should not load the page.
  await page.waitForFunction(() => (window as unknown as { __bench: BenchState }).__bench.doneAt > 0, undefined, {
    polling: 250,
    timeout: 600_000,
  });
  // Long tasks are reported a little after they end: the one that draws the answer included.
  await page.waitForTimeout(300);
  const b = await page.evaluate(() => {
    const b = (window as unknown as { __bench: BenchState }).__bench;
    const out = { ...b };
    b.t0 = 0;
    return out;
  });
  if (b.failed) throw new Error('the run failed in the page');
  return { longTasks: b.longTasks, frames: b.frames, ms: b.doneAt - b.t0 };
}

/** The engine's stats of the page's latest answer, as main saved them (the page saves the done event's stats). */
async function lastSavedStats(url: string, before: Set<string>): Promise<DecodeStats> {
  const until = Date.now() + 10_000;
  for (;;) {
    const client = await BareClient.open(url);
    const { conversations } = await client.invoke<{ conversations: Conversation[] }>('conversations:list', {});
    client.close();
    const fresh = conversations.find((c) => !before.has(c.id) && c.messages.some((m) => m.stats));
    const stats = fresh?.messages.find((m) => m.role === 'assistant' && m.stats)?.stats;
    if (fresh) before.add(fresh.id);
    if (stats) return stats as DecodeStats;
    if (Date.now() > until) throw new Error('the UI run was not saved with its stats');
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const userData = mkdtempSync(join(tmpdir(), 'bench-ui-'));
  const { child: server, url } = await startServe(userData);
  let browser: Awaited<ReturnType<typeof chromium.launch>> | null = null;
  const cleanup = () => {
    server.kill('SIGTERM');
    rmSync(userData, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const client = await BareClient.open(url);
    await waitForEngine(client);
    const { settings } = await client.invoke<{ settings: { decoding: Record<string, unknown> } }>('settings:get', {});
    const decoding = { ...settings.decoding, genLength, steps: genLength, stopAtEos: false };
    await client.invoke('settings:set', { settings: { ...settings, decoding } });
    console.log(`root ${root}; gen_length ${genLength}, steps ${genLength}, stop-at-EOS off; ${runs} runs + 1 warm-up`);
    console.log(`prompt: ${JSON.stringify(prompt)}`);

    // (b) The bare client first, with no page open: every generate:event is broadcast to every socket.
    await bareRun(client, decoding, 0);
    const bare: number[] = [];
    const bareCpu0 = cpuSample(server.pid!);
    for (let i = 1; i <= runs; i++) {
      const s = await bareRun(client, decoding, i);
      bare.push(s.tokensPerSecond);
      console.log(`bare run ${i}: ${s.tokens} tokens, ${s.forwards} forwards, ${s.tokensPerSecond.toFixed(1)} tok/s`);
    }
    const bareCpu = cpuDelta(bareCpu0, cpuSample(server.pid!));
    client.close();

    // (a) The app in Chromium.
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.addInitScript({ content: PERF_SCRIPT });
    await page.goto(url);
    await page.getByTestId('status-bar').filter({ hasText: /cpu/i }).waitFor({ timeout: 60_000 });
    const seen = new Set<string>();
    await uiRun(page);
    await lastSavedStats(url, seen);
    const ui: number[] = [];
    const longTasks: number[] = [];
    const fps: number[] = [];
    const uiCpu0 = cpuSample(server.pid!);
    let uiCpu = cpuDelta(uiCpu0, uiCpu0);
    for (let i = 1; i <= runs; i++) {
      const t0 = cpuSample(server.pid!);
      const perf = await uiRun(page);
      const t1 = cpuSample(server.pid!);
      const d = cpuDelta(t0, t1);
      uiCpu = { engine: uiCpu.engine + d.engine, server: uiCpu.server + d.server, browser: uiCpu.browser + d.browser };
      const s = await lastSavedStats(url, seen);
      ui.push(s.tokensPerSecond);
      longTasks.push(...perf.longTasks.map(([, ms]) => ms));
      fps.push((perf.frames * 1000) / perf.ms);
      console.log(
        `ui run ${i}: ${s.tokens} tokens, ${s.tokensPerSecond.toFixed(1)} tok/s in ${round(perf.ms)} ms; long tasks` +
          ` [${perf.longTasks.map(([at, ms]) => `${round(ms)} ms at ${round(at)}`).join(', ')}],` +
          ` ${round((perf.frames * 1000) / perf.ms)} fps;` +
          ` cpu s engine ${d.engine.toFixed(2)} server ${d.server.toFixed(2)} browser ${d.browser.toFixed(2)}`,
      );
    }
    const uiTps = median(ui);
    const bareTps = median(bare);
    console.log(
      `bare: median ${bareTps.toFixed(1)} tok/s; cpu s over ${runs} runs: engine ${bareCpu.engine} server ${bareCpu.server}`,
    );
    console.log(
      `ui:   median ${uiTps.toFixed(1)} tok/s (ratio ${(uiTps / bareTps).toFixed(2)}); cpu s over ${runs} runs: engine` +
        ` ${round(uiCpu.engine, 2)} server ${round(uiCpu.server, 2)} browser ${round(uiCpu.browser, 2)}`,
    );
    console.log(
      JSON.stringify({
        uiTokensPerSecond: round(uiTps),
        bareTokensPerSecond: round(bareTps),
        ratio: round(uiTps / bareTps, 3),
        longTasks: longTasks.length,
        maxLongTaskMs: round(Math.max(0, ...longTasks)),
        fps: round(median(fps)),
        cpuSeconds: {
          engine: round(uiCpu.engine, 2),
          server: round(uiCpu.server, 2),
          browser: round(uiCpu.browser, 2),
        },
      }),
    );
  } finally {
    await browser?.close();
    cleanup();
  }
}

await main();
