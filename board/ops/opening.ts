/**
 * A service a feature opens when the agent starts (an image store, the guests). A request
 * that arrives while it is still opening waits for it; one for a service that did not open
 * is refused (`failed`).
 */
import { CommandError } from './command-error.ts';

export function opening<T>(what: string) {
  let service: T | undefined;
  let tried!: () => void;
  const opened = new Promise<void>((resolve) => (tried = resolve));
  return {
    /** The service, once open. */
    get current(): T | undefined {
      return service;
    },
    /** Opens it with `open` (undefined: it could not); waiting requests go on either way. */
    async open(open: () => Promise<T | undefined>): Promise<void> {
      try {
        service = await open();
      } finally {
        tried();
      }
    },
    async ready(): Promise<T> {
      await opened;
      if (!service) throw new CommandError('failed', `the ${what} did not open on this board (see its log)`);
      return service;
    },
  };
}
