/**
 * What the dashboard page takes from the wire contract, bundled for the browser by build.mjs
 * (dist/page-contract.js, served as /contract.js): the page folds board messages and checks
 * the experiment and broker statistics with the very code `boards`, `monitor` and /metrics
 * run, so a payload one of them refuses the page refuses too.
 */
export { createBoardFold } from '../client/board-fold.ts';
export { createRejectionTally } from '../client/rejection-tally.ts';
export { decodeExperimentProgress, experimentIsStale } from '../../broker/contract/experiment.ts';
export { createStatsFold, decodeStats } from '../../broker/contract/stats.ts';
export { decodeBoardVerdict } from '../../broker/contract/messages.ts';
export { isOutOfService } from '../../broker/contract/health.ts';
