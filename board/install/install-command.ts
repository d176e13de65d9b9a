/**
 * `board-boot.mjs install`: puts deskbox on a Debian board, run there as root by the boot
 * program itself (from an unpacked payload), so a board needs nothing but Node and the image.
 * Options in install-options.ts, checks in install-inputs.ts, writes in install-files.ts.
 */
import { BOARD_PATHS, UNIT_NAME } from './board-paths.ts';
import { readInstallInputs } from './install-inputs.ts';
import { writeInstall, type Written } from './install-files.ts';
import { parseInstallOptions, USAGE, type InstallOptions } from './install-options.ts';

function report(opts: InstallOptions, { written, passwordMissing }: { written: Written[]; passwordMissing: boolean }): string {
  const width = Math.max(...written.map((w) => w.path.length));
  const lines = written.map((w) => `  ${w.action.padEnd(5)}  ${w.path.padEnd(width)}  ${w.note}`);
  const where = opts.root === '/' ? '' : ` under ${opts.root}`;
  const steps = [
    ...(passwordMissing ? [
      `On the desk computer, add this board's broker user (it prints the password once):\n     deskbox broker user add ${opts.username} --role board --desk ${opts.desk} --board ${opts.board} --users <the broker's users.json>`,
      `Put that password into ${opts.passwordFile} (paste it, then Ctrl-D):\n     cat > ${opts.passwordFile}`,
    ] : []),
    `Check ${BOARD_PATHS.config}: power sensor, GPIO lines, console.`,
    `Start it now and at every boot:\n     systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}`,
    `Watch it: journalctl -u ${UNIT_NAME} -f   (on the desk: deskbox boards)`,
  ];
  return `deskbox installed for board ${opts.board} of desk ${opts.desk}${where}:\n${lines.join('\n')}\n\nNext:\n${steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}\n`;
}

export async function runInstall(args: string[]): Promise<number> {
  try {
    const opts = parseInstallOptions(args);
    if (!opts) {
      process.stdout.write(USAGE);
      return 0;
    }
    const inputs = await readInstallInputs(opts, process.argv[1]!);
    process.stdout.write(report(opts, await writeInstall(opts, inputs)));
    return 0;
  } catch (e) {
    // One line: the options and checks say what was wrong and where; a stack helps nobody at a board.
    process.stderr.write(`deskbox install: ${(e as Error).message.split('\n')[0]}\n`);
    return 1;
  }
}
