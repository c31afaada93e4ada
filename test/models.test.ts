import { MODELS_DIR } from './helpers.js';
import { describePromises } from './promises.js';

describePromises(MODELS_DIR, "the repository's lecture models (models/)");
