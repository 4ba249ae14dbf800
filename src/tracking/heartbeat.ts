/**
 * Where a run's process lives and when it last showed life, kept as three run tags so that
 * `melbook runs` can tell a run that is still working from one whose process died (SIGKILL,
 * OOM killer, power cut) and left it RUNNING. The tags are plain MLflow tags: MLflow shows
 * them and ignores them. See liveness.ts for how they are judged.
 */
import { hostname } from 'node:os';
import type { RunTag } from './store';

/** Tag keys of a run's process and heartbeat. The heartbeat is ms since the Unix epoch, as MLflow's times. */
export const LIVENESS_TAGS = {
  host: 'melbook.host',
  pid: 'melbook.pid',
  heartbeat: 'melbook.heartbeat',
} as const;

export interface HeartbeatOptions {
  /** Seconds between heartbeats written by a timer while the run is open. Default 60. */
  intervalS?: number;
  /**
   * A metrics call refreshes the heartbeat when the last one is at least this old, in seconds,
   * so each epoch shows life without a tag write per batch. Default 5.
   */
  minGapS?: number;
}

export interface ResolvedHeartbeatOptions {
  intervalS: number;
  minGapS: number;
}

export function resolveHeartbeatOptions(options: HeartbeatOptions = {}): ResolvedHeartbeatOptions {
  return { intervalS: options.intervalS ?? 60, minGapS: options.minGapS ?? 5 };
}

/** The tags a run starts with: this host, this process and `now` (ms) as its first heartbeat. */
export function livenessTags(now: number): Record<string, string> {
  return { [LIVENESS_TAGS.host]: hostname(), [LIVENESS_TAGS.pid]: String(process.pid), [LIVENESS_TAGS.heartbeat]: String(now) };
}

/**
 * Refreshes the heartbeat tag of one run: on a timer (unref'd, so it never keeps the process
 * alive) and when `touch` is called after at least `minGapS`. Writes go one after another; a
 * failed write is reported once as a process warning (a lost heartbeat only makes the run look
 * stale, it must not fail the training).
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private last: number;
  private writes: Promise<void> = Promise.resolve();
  private stopped = false;
  private warned = false;

  constructor(
    private readonly runId: string,
    private readonly write: (tags: RunTag[]) => Promise<void>,
    private readonly now: () => number,
    private readonly options: ResolvedHeartbeatOptions,
    startedAt: number,
  ) {
    this.last = startedAt;
    this.timer = setInterval(() => void this.beat(), options.intervalS * 1000);
    this.timer.unref();
  }

  /** Writes a heartbeat if the last one is at least `minGapS` old; resolves once it is written. */
  touch(): Promise<void> {
    return this.now() - this.last >= this.options.minGapS * 1000 ? this.beat() : this.writes;
  }

  /** Stops the timer and waits for a write under way, so no heartbeat lands after the run ends. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.writes;
  }

  private beat(): Promise<void> {
    if (this.stopped) return this.writes;
    const at = this.now();
    this.last = at;
    this.writes = this.writes
      .then(() => this.write([{ key: LIVENESS_TAGS.heartbeat, value: String(at) }]))
      .catch((err: Error) => {
        if (this.warned) return;
        this.warned = true;
        process.emitWarning(`run ${this.runId}: could not write its heartbeat tag (${err.message}); melbook runs may show it as DEAD? while it still works`);
      });
    return this.writes;
  }
}
