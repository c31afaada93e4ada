/** The messages between the page and the training worker. */

/** Where the training data comes from: the model's own `data = ...`, a built-in set, or a CSV. */
export type DataChoice = 'model' | 'spiral' | 'moons' | 'blobs' | 'iris' | 'csv';

/** What a run is started with: the model's text and the settings that override its `train { }` block. */
export interface RunSettings {
  readonly source: string;
  readonly data: DataChoice;
  /** The uploaded CSV's text, when `data` is `'csv'`. */
  readonly csv?: string;
  /** A catalogue call, as in a train block (`adam(lr = 0.01)`); empty: the model's. */
  readonly optimizer: string;
  readonly schedule: string;
  readonly batch?: number;
  readonly steps?: number;
  readonly seed?: number;
  /** The fraction of the data held out for validation (0: none). */
  readonly validation: number;
}

export type ToWorker =
  | {
      readonly type: 'start';
      readonly runId: number;
      readonly settings: RunSettings;
      readonly paused: boolean;
      /** Steps per second to train at, so that a run can be watched; 0: as fast as it goes. */
      readonly speed: number;
    }
  | { readonly type: 'speed'; readonly speed: number }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'step' }
  | { readonly type: 'stop' }
  | { readonly type: 'checkpoint'; readonly runId: number };

export interface StepRecord {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly lr?: number;
  readonly gradNorm?: number;
  readonly metrics: Readonly<Record<string, number>>;
}

export interface EvalRecord {
  readonly step: number;
  readonly epoch: number;
  readonly split: string;
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly endOfRun?: boolean;
}

/** A grid of values over a rectangle, row by row from the top (`y1`) down. */
export interface Grid {
  readonly width: number;
  readonly height: number;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly values: Float64Array;
}

export interface RunInfo {
  readonly model: string;
  /** `wasm` or `js`, and why. */
  readonly backend: string;
  readonly backendNote: string;
  readonly dtype: 'f32' | 'f64';
  readonly totalSteps: number;
  readonly params: number;
  readonly settings: Readonly<Record<string, string | number>>;
  readonly data: string;
  /** 2-D classification: the training points and their classes, for the decision regions. */
  readonly points?: { readonly x: Float64Array; readonly y: Float64Array; readonly classes: number };
  /** A model with two numbers to learn: their names, for the optimiser's path. */
  readonly coords?: readonly string[];
}

export type FromWorker =
  | { readonly type: 'ready'; readonly runId: number; readonly info: RunInfo }
  | {
      readonly type: 'progress';
      readonly runId: number;
      readonly steps: readonly StepRecord[];
      readonly evals: readonly EvalRecord[];
      /** With `coords`: the two numbers after each of `steps`. */
      readonly path?: readonly (readonly [number, number])[];
    }
  | { readonly type: 'regions'; readonly runId: number; readonly step: number; readonly grid: Grid }
  | {
      readonly type: 'surface';
      readonly runId: number;
      readonly grid: Grid;
      readonly start: readonly [number, number];
    }
  | { readonly type: 'paused'; readonly runId: number; readonly step: number }
  | { readonly type: 'done'; readonly runId: number; readonly step: number; readonly message: string }
  | { readonly type: 'checkpoint'; readonly runId: number; readonly json: string }
  | { readonly type: 'error'; readonly runId: number; readonly message: string };
