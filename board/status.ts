/**
 * What a board says about itself in its retained status, as the contract has it: a pure
 * builder over what the agent and its features know; the agent publishes it.
 */
import { PAYLOAD_VERSION, type BootPhase, type OnlineStatus } from '../broker/contract/payloads.ts';
import type { BootInfo } from './flash/boot-info.ts';

export interface StatusFacts {
  board: string;
  version: string;
  bootedAt: number;
  now: number;
  keepaliveS: number;
  phases: readonly BootPhase[];
  tags: readonly string[];
  hardware?: OnlineStatus['hardware'];
  guestRuntime?: OnlineStatus['guestRuntime'];
  bootInfo?: BootInfo;
}

export function onlineStatus(f: StatusFacts): OnlineStatus {
  return {
    v: PAYLOAD_VERSION,
    state: 'online',
    board: f.board,
    version: f.version,
    bootedAt: f.bootedAt,
    uptimeS: Math.max(0, (f.now - f.bootedAt) / 1000),
    keepaliveS: f.keepaliveS,
    phases: [...f.phases],
    ...(f.tags.length ? { tags: [...f.tags] } : {}),
    ...(f.hardware ? { hardware: f.hardware } : {}),
    ...(f.guestRuntime ? { guestRuntime: f.guestRuntime } : {}),
    ...(f.bootInfo ? { image: { slot: f.bootInfo.slot, ...f.bootInfo.image } } : {}),
  };
}
