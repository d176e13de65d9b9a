/**
 * Runs the aedes ecosystem's own persistence conformance suite, unchanged, against the SQLite
 * persistence: once in memory and once on WAL files, since pragmas and file I/O differ.
 *   node --import tsx --test test/conformance/persistence.conformance.ts
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type SqlitePersistence, openSqlitePersistence } from '../../broker/persistence/sqlite.ts';
import { tempDirSync } from '../support/temp-dir.ts';

interface AbstractSuiteOptions {
  test: typeof it;
  persistence: () => Promise<SqlitePersistence>;
  /** The instance speaks the promise interface aedes 1.x uses: setup(broker) is awaited. */
  testAsync: true;
}

// The suite ships as an untyped CommonJS module.
const abstractPersistence = createRequire(import.meta.url)('aedes-persistence/abstract') as (
  opts: AbstractSuiteOptions,
) => void;

describe('sqlite persistence in memory', () => {
  abstractPersistence({
    test: it,
    persistence: () => openSqlitePersistence({ path: ':memory:' }),
    testAsync: true,
  });
});

describe('sqlite persistence on a WAL file', () => {
  const { path: dir, remove: removeDir } = tempDirSync('deskbox-conformance-');
  after(() => removeDir());
  abstractPersistence({
    test: it,
    // A fresh file per case: the suite expects every instance to start empty.
    persistence: () => openSqlitePersistence({ path: join(dir, `${randomUUID()}.db`) }),
    testAsync: true,
  });
});
