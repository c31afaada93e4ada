export type { CheckStatus, DoctorCheck } from './check.js';
export { type DoctorOptions, type DoctorReport, doctor } from './doctor.js';
export { type DoctorLoadOptions, type DoctorModel, loadDoctorModel } from './doctor-model.js';
export { checkGradientFlow, type GradientFlowOptions } from './gradient-flow.js';
export { checkInitialLoss } from './initial-loss.js';
export { type LrRange, type LrRangeOptions, lrRangeTest } from './lr-range.js';
export { checkOverfitSmallSubset, type OverfitOptions } from './overfit.js';
