/**
 * How the agent and the boot program tell their init (systemd on a board, the simulated
 * desk's board processes) what to do next.
 */
/** The agent asks for a reset: a flash was committed; the boot program starts over (EX_TEMPFAIL). */
export const REBOOT_EXIT_CODE = 75;
/** Nothing to boot (no bootable slot, a broken config): the board halts, no restart (EX_CONFIG). */
export const HALT_EXIT_CODE = 78;
