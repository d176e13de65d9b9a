/**
 * What a board does with a command: a function from request to reply. Every request gets a
 * reply; failures become error replies with a code the caller can act on.
 */
import type { Command, ErrorCode, Reply } from '../broker/contract/payloads.ts';
import { PAYLOAD_VERSION } from '../broker/contract/payloads.ts';
import { CommandError } from './ops/command-error.ts';

export type LedMode = 'heartbeat' | 'on' | 'off';

export interface CommandContext {
  info(): Record<string, unknown>;
  setLed(mode: LedMode): Promise<void>;
  now(): number;
  /** Changes how often telemetry goes out (an experiment's sampling period). */
  setTelemetryPeriod?(seconds: number): void;
  /** guests.* commands, where the board runs guests. */
  guests?(op: string, args: unknown): Promise<unknown>;
  /** images.* commands, where the board has an image store. */
  images?(op: string, args: unknown): Promise<unknown>;
  /** push.* commands: fetching a pushed file and serving it to peers (docs/push.md). */
  push?(op: string, args: unknown): Promise<unknown>;
  /** Resets the board soon after the reply has left; absent where nothing can reset it. */
  reboot?(): void;
  /** The exec command: runs a command on the board or in its guests (board/exec). */
  exec?(args: unknown): Promise<unknown>;
}

export function errorReply(id: string | null, code: ErrorCode, message: string): Reply {
  return { v: PAYLOAD_VERSION, id, ok: false, error: { code, message } };
}

function okReply(id: string, result: unknown): Reply {
  return { v: PAYLOAD_VERSION, id, ok: true, result };
}

const LED_MODES: readonly LedMode[] = ['heartbeat', 'on', 'off'];

/** Board and host clocks may disagree by this much before a command reads as expired. */
export const DEADLINE_GRACE_MS = 30_000;

export async function handleCommand(cmd: Command, ctx: CommandContext): Promise<Reply> {
  if (cmd.deadline !== undefined && ctx.now() > cmd.deadline + DEADLINE_GRACE_MS) {
    return errorReply(cmd.id, 'expired', `${cmd.op} arrived after its sender stopped waiting (deadline ${new Date(cmd.deadline).toISOString()}); not run`);
  }
  try {
    switch (cmd.op) {
      case 'ping':
        return okReply(cmd.id, { pong: true, at: ctx.now() });
      case 'info':
        return okReply(cmd.id, ctx.info());
      case 'led': {
        const mode = cmd.args?.mode;
        if (typeof mode !== 'string' || !LED_MODES.includes(mode as LedMode)) {
          return errorReply(cmd.id, 'bad-args', `led needs args.mode, one of ${LED_MODES.join(', ')}`);
        }
        await ctx.setLed(mode as LedMode);
        return okReply(cmd.id, { mode });
      }
      case 'telemetry.period': {
        const seconds = cmd.args?.seconds;
        if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
          return errorReply(cmd.id, 'bad-args', 'telemetry.period needs args.seconds, an integer from 1 to 3600');
        }
        if (!ctx.setTelemetryPeriod) return errorReply(cmd.id, 'failed', 'telemetry is not running yet');
        ctx.setTelemetryPeriod(seconds);
        return okReply(cmd.id, { seconds });
      }
      case 'exec':
        if (!ctx.exec) return errorReply(cmd.id, 'failed', 'this agent does not run commands');
        return okReply(cmd.id, await ctx.exec(cmd.args));
      case 'reboot':
        if (!ctx.reboot) return errorReply(cmd.id, 'failed', 'this agent was started without a way to reset its board');
        ctx.reboot();
        return okReply(cmd.id, { rebooting: true });
      default:
        if (cmd.op.startsWith('guests.')) {
          if (!ctx.guests) return errorReply(cmd.id, 'failed', 'this board runs no guests (no guests section in its config)');
          return okReply(cmd.id, await ctx.guests(cmd.op, cmd.args));
        }
        if (cmd.op.startsWith('images.')) {
          if (!ctx.images) return errorReply(cmd.id, 'failed', 'this board has no image store (no images section in its config)');
          return okReply(cmd.id, await ctx.images(cmd.op, cmd.args));
        }
        if (cmd.op.startsWith('push.')) {
          if (!ctx.push) return errorReply(cmd.id, 'failed', 'this agent cannot receive pushed files');
          return okReply(cmd.id, await ctx.push(cmd.op, cmd.args));
        }
        return errorReply(cmd.id, 'unknown-op', `unknown op "${cmd.op}"`);
    }
  } catch (err) {
    if (err instanceof CommandError) return errorReply(cmd.id, err.code, err.message);
    return errorReply(cmd.id, 'failed', `${cmd.op} failed: ${(err as Error).message}`);
  }
}

/** Best effort to find the id of a request that failed validation, so its sender hears back. */
export function salvageId(payload: Buffer): string | null {
  try {
    const json: unknown = JSON.parse(payload.toString());
    if (json && typeof json === 'object' && 'id' in json && typeof json.id === 'string') return json.id.slice(0, 128);
  } catch {
    // Not JSON at all: the reply goes out with a null id.
  }
  return null;
}
