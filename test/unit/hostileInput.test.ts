/**
 * Issue 8, item 5: every regular expression that reads server text (or a transcript file, which holds
 * server text) gets 1 MiB lines built to make a backtracking engine retry at every position, and must
 * come back. The reply cap and the pattern cap (replyText.matchedTextLimit) bound the input; this proves
 * the patterns themselves are not quadratic on what is left.
 *
 * The 2 s budget (CPU time of this process) is a hang detector, not a speed claim (speed figures come from `npm run bench`): the
 * quadratic `/[.,;:]+$/` this replaced took 34 s on 200,000 commas and minutes on a megabyte, and the
 * linear code takes milliseconds, so a loaded machine cannot make a correct run fail and a regression
 * cannot pass. A regex cannot be interrupted, so the only way to see a hang is to time the call.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { annotateTranscript } from '../../src/core/transcript/annotateTranscript';
import { parseEhloReply } from '../../src/core/protocol/capabilities';
import { classifyReply } from '../../src/core/relay/classifyReply';
import { displayJson, displayMarkdown, displayText } from '../../src/core/protocol/displayText';
import { describeEnhancedCode, describeEnhancedDetail } from '../../src/core/protocol/enhancedCodes';
import { inferLocalDomains, serverNameFromReply } from '../../src/core/relay/localDomains';
import { ReplyParser } from '../../src/core/protocol/replyParser';
import type { SmtpReply } from '../../src/core/protocol/reply';
import { addressesEchoedIn, enhancedCodeSentIn, textAsksForStartTls, textDeniesRelay, textSaysUnknownUser } from '../../src/core/protocol/replyText';
import { addressArgumentOf, commandKindOf } from '../../src/core/protocol/smtpCommand';
import { oneLine } from '../../src/core/protocol/socketFailure';
import { SwaksOutputReader } from '../../src/core/transcript/swaksOutputReader';
import { TelnetPasteReader } from '../../src/core/transcript/telnetPasteReader';
import { readEventLine } from '../../src/core/transcript/transcriptFormat';
import { parseAnyTranscript } from '../../src/core/transcript/transcriptImport';
import { escapeWireBytes, unescapeWireText } from '../../src/core/protocol/wireText';
import { renderReply } from '../../src/extension/terminal/replyRendering';
import { pathologicalLines } from '../support/pathologicalLines';

const hangBudgetMs = 2000;

/** Measured in CPU time of this process, so that other processes on a shared machine do not count. */
function assertCompletes(what: string, run: () => unknown): void {
  const started = process.cpuUsage();
  run();
  const used = process.cpuUsage(started);
  const elapsedMs = (used.user + used.system) / 1000;
  assert.ok(elapsedMs < hangBudgetMs, `${what} took ${Math.round(elapsedMs)} ms of CPU on a 1 MiB line (hang detector: ${hangBudgetMs} ms)`);
}

function replyOf(text: string): SmtpReply {
  return { code: 550, lines: [text], text };
}

describe('every pattern that reads server text completes on a 1 MiB pathological line (issue 8)', () => {
  for (const [shape, wire] of Object.entries(pathologicalLines)) {
    test(shape, () => {
      const text = wire.slice(4);
      const reply = replyOf(text);
      assertCompletes('replyText.addressesEchoedIn', () => addressesEchoedIn(text));
      assertCompletes('replyText.textDeniesRelay', () => textDeniesRelay(text));
      assertCompletes('replyText.textSaysUnknownUser', () => textSaysUnknownUser(text));
      assertCompletes('replyText.textAsksForStartTls', () => textAsksForStartTls(text));
      assertCompletes('replyText.enhancedCodeSentIn', () => enhancedCodeSentIn(reply));
      for (const command of ['RCPT TO:<a@example.net>', 'RCPT TO:<a>', 'MAIL FROM:<>', '.', 'STARTTLS', '']) {
        for (const code of [250, 454, 550]) {
          assertCompletes(`classifyReply (${code} to ${command})`, () =>
            classifyReply({ ...reply, code }, { command, recipient: 'a@example.net', acceptedRecipients: ['a@example.net'], localDomains: ['example.com'] }),
          );
        }
      }
      assertCompletes('capabilities.parseEhloReply', () => parseEhloReply({ code: 250, lines: [text, text], text: `${text}\n${text}` }));
      assertCompletes('localDomains.serverNameFromReply / inferLocalDomains', () => {
        serverNameFromReply({ code: 220, lines: [text], text });
        inferLocalDomains({ code: 220, lines: [text], text }, { code: 250, lines: [text], text });
      });
      assertCompletes('enhancedCodes', () => {
        describeEnhancedCode(text);
        describeEnhancedDetail(text);
      });
      assertCompletes('smtpCommand.commandKindOf / addressArgumentOf', () => {
        commandKindOf(wire);
        addressArgumentOf(wire);
      });
      assertCompletes('replyParser on the wire line', () => {
        const parser = new ReplyParser({ onLine: () => undefined, onReplyProblem: () => undefined, onReply: () => undefined, onOverflow: () => undefined });
        parser.feed(Buffer.from(`${wire}\r\n`, 'utf8'));
        parser.finish();
      });
      assertCompletes('wireText escape and unescape', () => unescapeWireText(escapeWireBytes(Buffer.from(wire, 'utf8'))));
      assertCompletes('telnetPasteReader', () => new TelnetPasteReader().read(wire, 1));
      assertCompletes('swaksOutputReader', () => new SwaksOutputReader().read(`<- ${wire}`, 1));
      assertCompletes('transcriptFormat.readEventLine', () => readEventLine(`+0.001 <-  ${wire}`, 1, 0));
      assertCompletes('transcriptImport (telnet paste, swaks, our format)', () => {
        parseAnyTranscript(`220 mail.example.com\nEHLO a\n${wire}\n`);
        parseAnyTranscript(`<- 220 mail.example.com\n -> EHLO a\n<- ${wire}\n`);
        parseAnyTranscript(`=== SMTP Relay Lab transcript v1\n=== tool: x\n=== started: 2026-01-01T00:00:00.000Z\n+0.001 <-  ${wire}\n`);
      });
      assertCompletes('annotateTranscript (pairing, local domains, classification)', () =>
        annotateTranscript(`${wire}\nEHLO a.example.com\n${wire}\nRCPT TO:<${text}>\n${wire}\n`),
      );
      assertCompletes('displayText / displayJson / displayMarkdown', () => {
        displayText(text);
        displayJson({ text });
        displayMarkdown(text);
      });
      assertCompletes('socketFailure.oneLine', () => oneLine(text));
      assertCompletes('the session terminal rendering', () =>
        renderReply([text], 550, classifyReply(reply, { command: 'RCPT TO:<a@example.net>', localDomains: ['example.com'] })),
      );
    });
  }
});
