/**
 * Preloaded into a child the bench measures (`node --require maxRssProbe.js dist/cli.js ...`): on exit,
 * writes the child's own peak resident set size (process.resourceUsage().maxRSS, in kB) to the file named
 * by SMTP_RELAY_LAB_BENCH_MAXRSS_FILE. The CLI itself is not changed and its output is left alone.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.SMTP_RELAY_LAB_BENCH_MAXRSS_FILE;
if (file) {
  process.on('exit', () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS));
  });
}
