/** Engine and connection status: fed by `engine:status` events, `app:status` and the bridge's carrier. */
import { create } from 'zustand';
import type { DecodeStats, EngineStatus } from '../../../common/models';
import type { ConnectionState } from '../bridge';

interface EngineStore {
  engine: EngineStatus | null;
  connection: ConnectionState;
  bridgeKind: 'electron' | 'websocket' | 'none';
  version: string | null;
  mode: 'electron' | 'browser' | null;
  /** Why app:status failed, when it did. */
  statusError: string | null;
  lastStats: DecodeStats | null;
  setEngine(e: EngineStatus): void;
  setConnection(c: ConnectionState): void;
  setApp(a: { engine: EngineStatus; version: string; mode: 'electron' | 'browser' }): void;
  setStatusError(message: string | null): void;
  setLastStats(s: DecodeStats): void;
  setBridgeKind(k: 'electron' | 'websocket' | 'none'): void;
}

export const useEngineStore = create<EngineStore>((set) => ({
  engine: null,
  connection: { state: 'connecting', attempt: 1 },
  bridgeKind: 'none',
  version: null,
  mode: null,
  statusError: null,
  lastStats: null,
  setEngine: (engine) => set({ engine }),
  setConnection: (connection) => set({ connection }),
  setApp: (a) => set({ engine: a.engine, version: a.version, mode: a.mode, statusError: null }),
  setStatusError: (statusError) => set({ statusError }),
  setLastStats: (lastStats) => set({ lastStats }),
  setBridgeKind: (bridgeKind) => set({ bridgeKind }),
}));

/** Whether the engine can be reached at all (for the big "cannot reach the engine" state). */
export function reachable(c: ConnectionState): boolean {
  return c.state === 'open';
}
