export * from './adadelta.js';
export * from './adagrad.js';
export * from './adam.js';
export * from './chain.js';
export * from './clip.js';
export * from './delta-bar-delta.js';
export * from './rms.js';
export * from './scale.js';
export * from './trace.js';
export {
  DEFAULT_SCOPE,
  declareSlot,
  describeTransform,
  type GradientTransformation,
  hyper,
  type Param,
  perParameter,
  type StateTree,
  stateLeaves,
  stateless,
  stateName,
  type UpdateContext,
  type UpdateResult,
} from './types.js';
export * from './weight-decay.js';
