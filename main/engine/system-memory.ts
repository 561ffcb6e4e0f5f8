/**
 * How much memory this machine (and the container it may run in) can still give, and what the
 * NVIDIA GPUs have free. Read before loading a model so that a model that cannot fit is refused
 * with numbers instead of being killed by the OOM killer half-way through loading.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { dirname, join } from 'node:path';

export interface SystemMemory {
  totalBytes: number;
  /** MemAvailable: free memory plus what the kernel can reclaim (page cache) without swapping. */
  availableBytes: number;
  /** The tightest cgroup memory limit above this process, or null when there is none. */
  cgroupLimitBytes: number | null;
  /** What that cgroup holds, less its inactive file cache (reclaimable, like MemAvailable counts it). */
  cgroupUsageBytes: number | null;
  /** min(available, limit - usage), capped by DIFFCODER_MEMORY_LIMIT_BYTES. */
  effectiveAvailableBytes: number;
}

export interface GpuMemory {
  name: string;
  totalBytes: number;
  freeBytes: number;
}

/**
 * Caps effectiveAvailableBytes at this many bytes: lets tests refuse a tiny model for real, and a
 * user keep headroom for other programs. Ignored unless it is a whole number.
 */
export const MEMORY_LIMIT_ENV = 'DIFFCODER_MEMORY_LIMIT_BYTES';

/** cgroup v1 writes "no limit" as a huge page-rounded number near 2^63. */
const NO_LIMIT_V1 = 2 ** 62;

export interface SystemMemoryPaths {
  meminfo?: string;
  cgroupRoot?: string;
  procSelfCgroup?: string;
}

export function systemMemory(paths: SystemMemoryPaths = {}, env: NodeJS.ProcessEnv = process.env): SystemMemory {
  const info = readMeminfo(paths.meminfo ?? '/proc/meminfo');
  const totalBytes = info?.totalBytes ?? totalmem();
  const availableBytes = info?.availableBytes ?? freemem();
  const cgroup = cgroupMemory(paths.cgroupRoot ?? '/sys/fs/cgroup', paths.procSelfCgroup ?? '/proc/self/cgroup');
  let effective = cgroup
    ? Math.min(availableBytes, Math.max(0, cgroup.limitBytes - cgroup.usageBytes))
    : availableBytes;
  const cap = env[MEMORY_LIMIT_ENV];
  if (cap !== undefined && /^\d+$/.test(cap)) effective = Math.min(effective, Number(cap));
  return {
    totalBytes,
    availableBytes,
    cgroupLimitBytes: cgroup?.limitBytes ?? null,
    cgroupUsageBytes: cgroup?.usageBytes ?? null,
    effectiveAvailableBytes: effective,
  };
}

/** MemTotal and MemAvailable from /proc/meminfo text; null when either is missing (kernels before 3.14). */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } | null {
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const totalBytes = field('MemTotal');
  const availableBytes = field('MemAvailable');
  return totalBytes === null || availableBytes === null ? null : { totalBytes, availableBytes };
}

function readMeminfo(file: string): ReturnType<typeof parseMeminfo> {
  const text = readText(file);
  return text === null ? null : parseMeminfo(text);
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function readNumber(file: string): number | null {
  const text = readText(file)?.trim();
  return text && /^\d+$/.test(text) ? Number(text) : null;
}

function statField(file: string, names: string[]): number {
  const text = readText(file) ?? '';
  for (const name of names) {
    const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
    if (m) return Number(m[1]);
  }
  return 0;
}

/**
 * The memory cgroup level with the least headroom, walking from this process's cgroup up to the
 * root: a parent's limit binds its children too. cgroup v2 (memory.max, "max" = none) when the
 * unified hierarchy has the memory controller, else v1 (memory.limit_in_bytes). Null without limits.
 */
export function cgroupMemory(root: string, procSelfCgroup: string): { limitBytes: number; usageBytes: number } | null {
  const lines = (readText(procSelfCgroup) ?? '').split('\n');
  const v2Path = lines.find((l) => l.startsWith('0::'))?.slice(3);
  const v1Path = lines
    .map((l) => l.split(':'))
    .find((parts) => parts.length >= 3 && parts[1].split(',').includes('memory'))?.[2];

  const controllers = readText(join(root, 'cgroup.controllers'));
  const v2 = controllers !== null && controllers.split(/\s+/).includes('memory');
  const base = v2 ? root : join(root, 'memory');
  if (!existsSync(base)) return null;
  const files = v2
    ? { limit: 'memory.max', usage: 'memory.current', inactive: ['inactive_file'] }
    : {
        limit: 'memory.limit_in_bytes',
        usage: 'memory.usage_in_bytes',
        inactive: ['total_inactive_file', 'inactive_file'],
      };

  // Inside a container with its own cgroup namespace the path is "/" and the mount is our cgroup;
  // without one the path names our cgroup below the mount. Walk up from there to the mount.
  const own = join(base, (v2 ? v2Path : v1Path) ?? '/');
  let dir = existsSync(own) ? own : base;
  let best: { limitBytes: number; usageBytes: number } | null = null;
  for (;;) {
    const limit = readNumber(join(dir, files.limit));
    const usage = readNumber(join(dir, files.usage));
    if (limit !== null && usage !== null && limit < NO_LIMIT_V1) {
      const usageBytes = Math.max(0, usage - statField(join(dir, 'memory.stat'), files.inactive));
      if (!best || limit - usageBytes < best.limitBytes - best.usageBytes) best = { limitBytes: limit, usageBytes };
    }
    if (dir === base || !dir.startsWith(base)) break;
    dir = dirname(dir);
  }
  return best;
}

/**
 * Parses `nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits`
 * (MiB). Rows whose numbers are "[N/A]" (some vGPU and MIG setups) are skipped.
 */
export function parseNvidiaSmi(csv: string): GpuMemory[] {
  const gpus: GpuMemory[] = [];
  for (const line of csv.split(/\r?\n/)) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 3) continue;
    // The name may itself hold commas: the two numbers are always the last cells.
    const free = cells.pop()!;
    const total = cells.pop()!;
    if (!/^\d+$/.test(total) || !/^\d+$/.test(free)) continue;
    gpus.push({ name: cells.join(', '), totalBytes: Number(total) * 2 ** 20, freeBytes: Number(free) * 2 ** 20 });
  }
  return gpus;
}

/**
 * NVIDIA GPUs and their free memory, or null when nvidia-smi is missing, fails or takes longer than
 * `timeoutMs` (a wedged driver can hang it). Other GPUs (DirectML, WebGPU) have no such query here.
 */
export function gpuMemory(opts: { command?: string; timeoutMs?: number } = {}): Promise<GpuMemory[] | null> {
  return new Promise((resolve) => {
    execFile(
      opts.command ?? 'nvidia-smi',
      ['--query-gpu=name,memory.total,memory.free', '--format=csv,noheader,nounits'],
      { timeout: opts.timeoutMs ?? 3000, windowsHide: true },
      (err, stdout) => resolve(err ? null : parseNvidiaSmi(stdout)),
    );
  });
}
