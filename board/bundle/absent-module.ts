/**
 * Stands in, in the board bundle only, for mqtt.js dependencies a board never uses: `ws`
 * (boards speak mqtt:// or mqtts://), `socks` (no proxies on a desk) and `worker-timers`
 * (browsers). Leaving them out saves start-up time and memory on a 512 MB board.
 */
export {};
