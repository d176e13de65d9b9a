/**
 * Runs every benchmark in turn (`npm run bench`), or the ones named on the command line
 * (`npm run bench -- desk-up`). Each prints its own figures beside its baseline.
 */
const all = ['agent-startup', 'armv7-agent', 'desk-up', 'guests', 'images', 'serial', 'uboot-real', 'qemu-desk', 'ingest', 'desk490', 'push', 'networks', 'seedscale', 'broker', 'broker-store'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : all;
for (const name of chosen) {
  if (!all.includes(name)) throw new Error(`no benchmark "${name}"; there are: ${all.join(', ')}`);
  process.stdout.write(`\n== ${name} ==\n`);
  await import(`./${name}.ts`);
}
