/**
 * One error type for every hardware access, so callers (and logs) always learn which device,
 * which operation and which path failed, whatever binding sits underneath.
 */
export type HalDevice = 'power' | 'gpio' | 'serial';

export class HalError extends Error {
  override readonly name = 'HalError';
  /** errno code of the underlying failure (ENOENT, EACCES...), when there was one. */
  readonly code: string | undefined;

  constructor(
    readonly device: HalDevice,
    readonly op: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(`${device} ${op} ${path}: ${describe(cause)}`, { cause });
    this.code = errnoCode(cause);
  }
}

export function isHalError(e: unknown): e is HalError {
  return e instanceof HalError;
}

function describe(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

function errnoCode(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
