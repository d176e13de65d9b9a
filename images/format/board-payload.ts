/**
 * Where things sit in a board image's payload (docs/images.md, "Board payload"): the builder
 * puts them there, the board's boot program looks for them there.
 */
export const AGENT_PATH = 'agent/board.mjs';
export const CONFIG_PATH = 'agent/config.json';
/** The board-side boot and install program, carried so a new board can be installed from the payload. */
export const BOOT_PROGRAM_PATH = 'agent/board-boot.mjs';
/** Beside the agent, so Node's module lookup from agent/board.mjs finds them. */
export const AGENT_MODULES_DIR = 'agent/node_modules';
/** A Node runtime for boards without one (`--with-node`). */
export const NODE_RUNTIME_PATH = 'runtime/node';
