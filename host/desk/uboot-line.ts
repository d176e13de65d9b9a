/**
 * One command line typed at the simulated U-Boot prompt, echoed as typed, with backspace;
 * control bytes (line noise) are dropped and an overlong line is cut, as U-Boot's CONFIG_SYS_CBSIZE does.
 */
import type { SerialLink } from '../../platform/hal/serial.ts';

const MAX_LINE = 256;

export function readLine(link: SerialLink): Promise<string> {
  return new Promise((resolve) => {
    let line = '';
    const off = link.onData((chunk) => {
      let echo = '';
      for (const byte of chunk) {
        if (byte === 0x0d || byte === 0x0a) {
          off();
          void link.write(`${echo}\r\n`);
          resolve(line);
          return;
        }
        if ((byte === 0x08 || byte === 0x7f) && line.length > 0) {
          line = line.slice(0, -1);
          echo += '\b \b';
        } else if (byte >= 0x20 && byte < 0x7f && line.length < MAX_LINE) {
          line += String.fromCharCode(byte);
          echo += String.fromCharCode(byte);
        }
      }
      if (echo) void link.write(echo);
    });
  });
}
