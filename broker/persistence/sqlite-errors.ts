/**
 * Errors of the SQLite persistence. Each carries the operation and keys it was working on, so a
 * rejection that surfaces through aedes' 'error' event can be traced without a debugger.
 */
export type ErrorContext = Readonly<Record<string, string | number | undefined>>;

export class SqlitePersistenceError extends Error {
  override readonly name: string = 'SqlitePersistenceError';

  constructor(
    message: string,
    readonly context: ErrorContext,
    options?: ErrorOptions,
  ) {
    super(`${message} (${describe(context)})`, options);
  }
}

/** The spec requires a rejection when a packet to update, fetch or delete is not stored. */
export class NoSuchPacketError extends SqlitePersistenceError {
  override readonly name = 'NoSuchPacketError';
}

/** Raised for work requested after destroy(): aedes fires some writes during its own shutdown. */
export class PersistenceClosedError extends SqlitePersistenceError {
  override readonly name = 'PersistenceClosedError';
}

/** A database written by a newer layout must not be silently reinterpreted. */
export class SchemaVersionError extends SqlitePersistenceError {
  override readonly name = 'SchemaVersionError';
}

/** The batch transaction itself failed (disk full, I/O error): none of its writes happened. */
export class CommitError extends SqlitePersistenceError {
  override readonly name = 'CommitError';
}

function describe(context: ErrorContext): string {
  return Object.entries(context)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(', ');
}
