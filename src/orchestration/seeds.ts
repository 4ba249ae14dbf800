/**
 * Seed ensembles: the same training (or leave-one-speaker-out run) once per RNG seed, then the
 * runs scored as one model. `ensembleSeeds` is the list (config `evaluation.seeds`, `--seeds`);
 * `rngSeed` is one training's seed (config `training.seed`).
 */
import { applyConfigOverrides, type ConfigOverrides } from './job';
import { leaveOneSpeakerOut, type LosoResult } from './loso';
import { trainStage, type TrainStageResult } from '../stages/train';
import { evaluateEnsemble, type EnsembleResult } from '../stages/evaluate-ensemble';
import type { PipelineConfig } from '../config/pipeline';
import { MelbookError } from '../errors';

/**
 * What seed `rngSeed` changes: weights, shuffling and the waveform copies; the run is named
 * `<runName or prefix>-seed<rngSeed>`.
 */
export function seedOverrides(base: PipelineConfig, rngSeed: number, prefix = 'loso'): ConfigOverrides {
  return { 'training.seed': rngSeed, 'preprocess.augment.seed': rngSeed, 'tracking.runName': `${base.tracking.runName ?? prefix}-seed${rngSeed}` };
}

/** The config of seed `rngSeed` (`seedOverrides` applied). */
export function seedConfig(base: PipelineConfig, rngSeed: number, prefix = 'loso'): PipelineConfig {
  return applyConfigOverrides(base, seedOverrides(base, rngSeed, prefix));
}

function checkEnsembleSeeds(ensembleSeeds: readonly number[]): void {
  if (ensembleSeeds.length === 0 || ensembleSeeds.some((s) => !Number.isInteger(s) || s < 0) || new Set(ensembleSeeds).size !== ensembleSeeds.length) {
    throw new MelbookError(`seeds (--seeds or evaluation.seeds) must be distinct whole numbers >= 0, e.g. 0,1; got [${ensembleSeeds.join(', ')}]`);
  }
}

export interface SeedEnsembleOptions {
  config: PipelineConfig;
  configFile?: string;
  /** The RNG seeds of the ensemble's members, one run each. */
  seeds: number[];
  /** Test-time speed factors of the ensemble. Default `config.evaluation.speedFactors`. */
  speedFactors?: number[];
  log?: (line: string) => void;
}

/** Train `runOne` once per seed (`seedConfig`), then score the runs `idOf` names as one ensemble. */
async function seedsThenEnsemble<R>(
  options: SeedEnsembleOptions,
  kind: { prefix: 'train' | 'loso'; what: string; runOne: (config: PipelineConfig, log: (line: string) => void) => Promise<R>; idOf: (r: R) => string },
): Promise<{ seeds: R[]; ensemble: EnsembleResult }> {
  const log = options.log ?? ((l: string) => console.log(l));
  const ensembleSeeds = options.seeds;
  checkEnsembleSeeds(ensembleSeeds);
  const members: R[] = [];
  for (const [i, rngSeed] of ensembleSeeds.entries()) {
    log(`seed ${rngSeed} (${i + 1}/${ensembleSeeds.length}): ${kind.what}`);
    members.push(await kind.runOne(seedConfig(options.config, rngSeed, kind.prefix), log));
  }
  const runName = `${options.config.tracking.runName ?? kind.prefix}-ensemble`;
  const ensemble = await evaluateEnsemble({
    config: { ...options.config, tracking: { ...options.config.tracking, runName } },
    configFile: options.configFile, runIds: members.map(kind.idOf), speedFactors: options.speedFactors, loso: kind.prefix === 'loso', log,
  });
  return { seeds: members, ensemble };
}

/**
 * `melbook train --seeds 0,1` (or `evaluation.seeds`): one training run per seed (`seedConfig`), then their ensemble on
 * the test split (`evaluateEnsemble`). Returns every run.
 */
export function trainSeedEnsemble(options: SeedEnsembleOptions): Promise<{ seeds: TrainStageResult[]; ensemble: EnsembleResult }> {
  return seedsThenEnsemble(options, {
    prefix: 'train', what: 'training', idOf: (r) => r.runId,
    runOne: (config, log) => trainStage({ config, configFile: options.configFile, log }),
  });
}

/**
 * `melbook evaluate --loso --seeds 0,1` (or `evaluation.seeds`): one leave-one-speaker-out run per seed (`seedConfig`),
 * then the ensemble of their folds (`evaluateEnsemble` with `loso`). Returns every run.
 */
export function losoSeedEnsemble(options: SeedEnsembleOptions & { jobs?: number; speakers?: string[] }): Promise<{ seeds: LosoResult[]; ensemble: EnsembleResult }> {
  return seedsThenEnsemble(options, {
    prefix: 'loso', what: 'leave-one-speaker-out', idOf: (r) => r.parentRunId,
    runOne: (config, log) => leaveOneSpeakerOut({ config, configFile: options.configFile, jobs: options.jobs, speakers: options.speakers, log }),
  });
}
