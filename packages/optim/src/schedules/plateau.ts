/**
 * Reduce-on-plateau (PyTorch's ReduceLROnPlateau, mode 'min', relative threshold): a pure host
 * rule. Feed it a validation metric after each evaluation; when the metric has not improved on
 * the best seen by more than `threshold` (relatively) for more than `patience` evaluations in a
 * row, the multiplier is multiplied by `factor` and the count restarts.
 */
export interface PlateauState {
  readonly best: number;
  /** Evaluations in a row without improvement. */
  readonly bad: number;
  /** The current multiplier of the scheduled value (1 at the start). */
  readonly multiplier: number;
  readonly reductions: number;
}

export interface PlateauRule {
  init(): PlateauState;
  update(state: PlateauState, metric: number): PlateauState;
}

export interface PlateauOptions {
  readonly factor: number;
  readonly patience: number;
  /** Relative improvement that counts (PyTorch's default 1e-4). */
  readonly threshold?: number;
  /** Lower bound of the multiplier (PyTorch's `min_lr`, relative here); default 0. */
  readonly min?: number;
}

export function reduceOnPlateau(opts: PlateauOptions): PlateauRule {
  const threshold = opts.threshold ?? 1e-4;
  const floor = opts.min ?? 0;
  return {
    init: () => ({ best: Number.POSITIVE_INFINITY, bad: 0, multiplier: 1, reductions: 0 }),
    update: (s, metric) => {
      const improved = metric < s.best * (1 - threshold);
      const best = improved ? metric : s.best;
      const bad = improved ? 0 : s.bad + 1;
      if (bad > opts.patience) {
        const multiplier = Math.max(s.multiplier * opts.factor, floor);
        return { best, bad: 0, multiplier, reductions: s.reductions + (multiplier < s.multiplier ? 1 : 0) };
      }
      return { best, bad, multiplier: s.multiplier, reductions: s.reductions };
    },
  };
}
