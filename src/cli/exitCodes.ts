/**
 * The exit codes of smtp-relay-lab, so that scripts and CI can act on a verdict without parsing text.
 * 64 is EX_USAGE from sysexits.h; 130 is the shell's code for a run ended by Ctrl+C (128 + SIGINT).
 */
export const exitCodes = {
  closed: 0,
  ok: 0,
  open: 1,
  inconclusive: 2,
  error: 3,
  usage: 64,
  interrupted: 130,
} as const;

export const exitCodeHelp = [
  'Exit codes:',
  '  0   closed: no relay test was accepted for a remote recipient (or: command succeeded)',
  '  1   open: the server accepted a relay test for a remote recipient',
  '  2   inconclusive: the control was refused, or tests could not be completed',
  '  3   error: the server could not be reached, TLS failed, a file could not be read or written',
  '  64  usage error: unknown command or flag, bad flag value',
  '  130 interrupted with Ctrl+C',
].join('\n');
