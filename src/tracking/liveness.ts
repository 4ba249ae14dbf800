/**
 * Is a RUNNING run still being worked on? A pure judgement over the run's liveness tags
 * (heartbeat.ts) and what the caller observes: this host's name, whether a pid is alive, the
 * time. `melbook runs` shows a run judged dead as `DEAD?`: the question mark because a heartbeat
 * can also go stale when a process on another host is cut off or its event loop is blocked.
 */
import { hostname } from 'node:os';
import { LIVENESS_TAGS } from './heartbeat';
import type { Run } from './store';

/** What the caller observes. */
export interface LivenessProbe {
  /** Name of the host the caller runs on (`os.hostname()`). */
  host: string;
  /** Whether a process with this pid exists on this host. */
  pidAlive: (pid: number) => boolean;
  /** Current time, ms since the Unix epoch. */
  now: number;
  /** A heartbeat older than this, in seconds, makes a run dead. */
  staleAfterS: number;
}

export interface Liveness {
  dead: boolean;
  /** Why the run is judged dead (`pid 1234 on host x is gone`); null when it is not. */
  reason: string | null;
}

/** Default `staleAfterS`: five missed timer heartbeats. */
export const DEFAULT_STALE_AFTER_S = 300;

/** Status `melbook runs` shows for a RUNNING run judged dead. */
export const DEAD_STATUS = 'DEAD?';

const ALIVE: Liveness = { dead: false, reason: null };

/**
 * A RUNNING run is dead when it was started on this host by a pid that no longer exists, or
 * when its last heartbeat is older than `staleAfterS`. Runs in another status, and runs without
 * liveness tags (started by MLflow or an older melbook), are never judged dead.
 */
export function runLiveness(run: Run, probe: LivenessProbe): Liveness {
  if (run.info.status !== 'RUNNING') return ALIVE;
  const tags = run.data.tags;
  const host = tags[LIVENESS_TAGS.host];
  const pid = parsePid(tags[LIVENESS_TAGS.pid]);
  const sameHost = host !== undefined && host === probe.host;
  const pidAlive = sameHost && pid !== undefined ? probe.pidAlive(pid) : undefined;
  if (pidAlive === false) return { dead: true, reason: `pid ${pid} on host ${host} is gone` };
  const heartbeat = Number(tags[LIVENESS_TAGS.heartbeat] ?? NaN);
  if (!Number.isFinite(heartbeat)) return ALIVE;
  const silentMs = probe.now - heartbeat;
  if (silentMs <= probe.staleAfterS * 1000) return ALIVE;
  const why = `no heartbeat for ${ageText(silentMs)}`;
  // A live pid with a stale heartbeat: a reused pid, or a process whose event loop is stuck.
  return { dead: true, reason: pidAlive ? `${why} (pid ${pid} exists: a reused pid or a hung process)` : why };
}

/** Whether a process with `pid` exists on this host (signal 0 probes without sending anything). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** The probe of this process: its host, real pids and clock. */
export function localProbe(staleAfterS = DEFAULT_STALE_AFTER_S, now = Date.now()): LivenessProbe {
  return { host: hostname(), pidAlive, now, staleAfterS };
}

/** `45 s`, `12 min`, `3.5 h`, `2.0 days`: an age read at a glance. */
export function ageText(ms: number): string {
  const s = ms / 1000;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 120 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}

/** A positive integer pid, else undefined (0 and negatives would address process groups). */
function parsePid(text: string | undefined): number | undefined {
  if (text === undefined || !/^[1-9][0-9]*$/.test(text)) return undefined;
  const pid = Number(text);
  return Number.isSafeInteger(pid) ? pid : undefined;
}
