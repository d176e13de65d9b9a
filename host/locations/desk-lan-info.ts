/**
 * What run.json, `desk up --json` and `desk status --json` say about a simulated desk's LAN
 * (host/desk/desk-lan.ts makes it; docs/networks.md).
 */
export interface DeskLanBoard {
  board: string;
  namespace: string;
  /** Its address on the desk LAN, without the prefix length. */
  address: string;
}

export type DeskLan =
  | { up: true; tag: string; namespace: string; bridge: string; subnet: string; boards: DeskLanBoard[] }
  | { up: false; tag: string; reason: string };
