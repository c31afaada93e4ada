export * from './arith.js';
export * from './from-spec.js';
export {
  type Base,
  isPlateauSchedule,
  PLATEAU_VARIABLE,
  type PlateauSchedule,
  schedules,
} from './library.js';
export * from './plateau.js';
export * from './schedule.js';
