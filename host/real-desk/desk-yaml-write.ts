/**
 * Writing what `desk discover` found into the desk file: each board's console path, in the
 * document as the person wrote it (comments, order and other fields stay). The new text must
 * load as a desk file before it replaces the old one, and it replaces it whole (write, fsync,
 * rename): a failure anywhere leaves the file as it was.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { writeFileAtomic } from '../../platform/atomic-file.ts';
import { DeskYamlError, parseDeskYaml } from '../locations/desk-yaml.ts';

export async function writeConsolePaths(file: string, paths: Record<string, string>): Promise<void> {
  const doc = parseDocument(await readFile(file, 'utf8'));
  if (doc.errors.length > 0) throw new DeskYamlError(file, [`not valid YAML: ${doc.errors[0]!.message}`]);
  for (const [board, path] of Object.entries(paths)) {
    if (!doc.hasIn(['boards', board])) throw new DeskYamlError(file, [`no board ${board} to give a console`]);
    const console = ['boards', board, 'console'];
    if (doc.getIn(console) === undefined || doc.getIn(console) === null) doc.setIn(console, doc.createNode({}));
    doc.deleteIn([...console, 'serial']);
    doc.setIn([...console, 'path'], path);
  }
  const text = doc.toString();
  parseDeskYaml(text, file);
  await writeFileAtomic(file, text, { durable: true });
}
