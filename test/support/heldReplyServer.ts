import { startScriptedServer, type ScriptedServer } from './scriptedServer';

/**
 * A server for "each block is judged as it finishes": it answers EHLO and block 1's NOOP at once, and holds
 * the reply to block 2's RSET until `release()`. While it holds it, block 1 is certainly done and block 2
 * certainly not, so a test can look at what was shown in between without depending on timing.
 */
export async function startServerHoldingSecondBlock(): Promise<{ server: ScriptedServer; release: () => void }> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = await startScriptedServer(async (peer) => {
    await peer.send('220 slow.example.com ESMTP\r\n');
    await peer.expect(/^EHLO /);
    await peer.send('250 slow.example.com\r\n');
    await peer.expect(/^NOOP/);
    await peer.send('250 2.0.0 Ok\r\n');
    await peer.expect(/^RSET/);
    await released;
    await peer.send('250 2.0.0 Flushed\r\n');
    await peer.converse([[/^QUIT/, '221 2.0.0 Bye\r\n']]);
  });
  return { server, release };
}

/** The two blocks that server expects: NOOP, then RSET, each with its `# @expect`. */
export function twoBlockFile(port: number, firstExpectation: string): string {
  return [`# @target 127.0.0.1:${port}`, '# @tls none', '### one', `# @expect ${firstExpectation}`, 'NOOP', '### two', '# @expect 250', 'RSET'].join('\n');
}
