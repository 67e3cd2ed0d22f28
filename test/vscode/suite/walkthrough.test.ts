import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findRelayTest } from '../../../src/core/relay/relayCatalogue';
import { commandIds, extensionId, testResultContextKey, walkthroughId } from '../../../src/extension/ids';
import type { LabContext } from '../../../src/extension/labContext';
import type { SessionTerminal } from '../../../src/extension/terminal/sessionTerminal';
import { textOnceItMatches } from './documentText';

interface WalkthroughMedia {
  readonly svg?: string;
  readonly image?: string | { readonly light: string; readonly dark: string; readonly hc?: string };
  readonly markdown?: string;
  readonly altText?: string;
}

interface WalkthroughStep {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly media: WalkthroughMedia;
  readonly completionEvents?: readonly string[];
}

interface CommandLink {
  readonly step: string;
  readonly command: string;
  /** Decoded from the link's query: the arguments VS Code passes to the command. */
  readonly args: unknown[];
}

/**
 * The walkthrough as package.json contributes it, checked against what the extension really registers:
 * every `command:` link (in step descriptions and in the Markdown pages shown beside them), every
 * onCommand completion event, every media file. Then the steps' commands run against the practice server,
 * in the walkthrough's order, as a user clicking through it would run them.
 */
describe('walkthrough', () => {
  let extensionPath: string;
  let steps: readonly WalkthroughStep[];
  let lab: LabContext;

  before(async () => {
    const extension = vscode.extensions.getExtension(extensionId)!;
    lab = (await extension.activate()) as LabContext;
    extensionPath = extension.extensionPath;
    const manifest = JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8')) as {
      contributes?: { walkthroughs?: ReadonlyArray<{ id: string; steps: readonly WalkthroughStep[] }> };
    };
    const walkthrough = manifest.contributes?.walkthroughs?.find(({ id }) => id === walkthroughId);
    assert.ok(walkthrough, `package.json contributes the walkthrough ${walkthroughId}`);
    steps = walkthrough.steps;
  });

  function markdownOf(step: WalkthroughStep): string {
    return step.media.markdown ? fs.readFileSync(path.join(extensionPath, step.media.markdown), 'utf8') : '';
  }

  /** `[title](command:id?%5B...%5D)` links, as VS Code reads them in descriptions and Markdown media. */
  function commandLinks(): CommandLink[] {
    return steps.flatMap((step) =>
      [...`${step.description}\n${markdownOf(step)}`.matchAll(/\]\(command:([A-Za-z0-9_.-]+)(?:\?([^)\s]*))?\)/g)].map((match) => ({
        step: step.id,
        command: match[1]!,
        args: match[2] === undefined ? [] : toArgumentList(JSON.parse(decodeURIComponent(match[2]))),
      })),
    );
  }

  function toArgumentList(parsed: unknown): unknown[] {
    return Array.isArray(parsed) ? parsed : [parsed];
  }

  function linksOf(stepId: string): CommandLink[] {
    return commandLinks().filter((link) => link.step === stepId);
  }

  it('every command link in every step is a registered command', async () => {
    const links = commandLinks();
    assert.ok(links.length >= steps.length, 'each step links at least one command');
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      links.filter((link) => !registered.has(link.command)).map((link) => `${link.step}: ${link.command}`),
      [],
      'linked but not registered',
    );
  });

  it('every onCommand completion event names a registered command, and every step can be completed', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const step of steps) {
      const events = step.completionEvents ?? [];
      assert.ok(events.length > 0, `${step.id} has a completion event`);
      for (const event of events.filter((candidate) => candidate.startsWith('onCommand:'))) {
        assert.ok(registered.has(event.slice('onCommand:'.length)), `${step.id}: ${event} is not registered`);
      }
    }
  });

  it("a step is completed by the commands it links: clicking its button ticks it (relay-test steps: their own test's result)", () => {
    for (const step of steps) {
      if (step.id === 'control' || /^kb\d$/.test(step.id)) {
        // Not on any run of Run Relay Test, which ticked all seven at once: on this test's result arriving.
        assert.deepEqual(step.completionEvents, [`onContext:${testResultContextKey(step.id)}`], step.id);
        continue;
      }
      const completing = new Set((step.completionEvents ?? []).map((event) => event.replace(/^onCommand:/, '')));
      for (const link of linksOf(step.id)) {
        assert.ok(completing.has(link.command), `${step.id}: its link ${link.command} does not complete it`);
      }
    }
  });

  it('every media file exists, and pictures have alt text', () => {
    for (const step of steps) {
      const { svg, image, markdown, altText } = step.media;
      const files = [svg, markdown, ...(typeof image === 'string' ? [image] : image ? [image.light, image.dark, image.hc] : [])];
      const present = files.filter((file): file is string => file !== undefined);
      assert.ok(present.length > 0, `${step.id} has media`);
      for (const file of present) {
        assert.ok(fs.existsSync(path.join(extensionPath, file)), `${step.id}: ${file} is missing`);
      }
      if (svg !== undefined || image !== undefined) {
        assert.ok(altText && altText.trim().length > 0, `${step.id}: its picture has no alt text`);
      }
    }
  });

  it('the relay-test links name tests of the catalogue, and each KB step runs its own test', () => {
    for (const link of commandLinks().filter((candidate) => candidate.command === commandIds.runRelayTest)) {
      assert.equal(link.args.length, 1, `${link.step}: one argument`);
      const id = link.args[0];
      assert.ok(typeof id === 'string' && findRelayTest(id), `${link.step}: ${String(id)} is not a catalogue test`);
      if (/^kb\d$/.test(link.step) || link.step === 'control') {
        assert.equal(id, link.step, `${link.step} runs ${String(id)}`);
      }
    }
  });

  describe('its steps, run against the practice server', () => {
    let session: SessionTerminal | undefined;
    let stepsStartedAt = Number.POSITIVE_INFINITY;
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'smtp-relay-lab-walkthrough-'));

    before(() => {
      stepsStartedAt = Date.now();
    });

    after(async () => {
      if (session) {
        vscode.window.terminals.find((terminal) => 'pty' in terminal.creationOptions && terminal.creationOptions.pty === session)?.dispose();
      }
      await vscode.commands.executeCommand(commandIds.stopPracticeServer);
      fs.rmSync(scratch, { recursive: true, force: true });
    });

    it('"Start Practice Server" starts it and makes it the target (the persona the quick pick would offer first)', async () => {
      assert.ok(linksOf('chooseTarget').some((link) => link.command === commandIds.startPracticeServer));
      const practice = await vscode.commands.executeCommand<{ host: string; port: number; persona: string }>(
        commandIds.startPracticeServer,
        lab.settings.practicePersona.value,
      );
      assert.ok(practice, 'the practice server started');
      assert.equal(lab.targets.current?.practicePersona, lab.settings.practicePersona.value);
    });

    it('"Open Session Terminal" connects to it and shows the greeting', async () => {
      const [link] = linksOf('openSession');
      assert.equal(link?.command, commandIds.openSessionTerminal);
      session = await vscode.commands.executeCommand<SessionTerminal>(link.command, ...link.args);
      assert.ok(session, 'a session terminal opened on the current target, without a picker');
      await session.waitForText(/\r\n220 /);
    });

    it('"say EHLO": the EHLO the step tells the user to type gets the reply listing the extensions', async () => {
      const step = steps.find((candidate) => candidate.id === 'openSession')!;
      const typed = /`(EHLO [^`]+)`/.exec(step.description)?.[1];
      assert.ok(typed, 'the step says what to type');
      assert.doesNotMatch(step.description, /terminal[^.]*sends EHLO/, 'it does not claim the terminal sends EHLO itself');
      session!.handleInput(`${typed}\r`);
      await session!.waitForText(/\r\n250[ -]STARTTLS|\r\n250[ -]PIPELINING|\r\n250[ -]ENHANCEDSTATUSCODES/);
    });

    const relaySteps = ['control', 'kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7'];
    relaySteps.forEach((stepId, index) => {
      it(`step ${stepId}: its button runs ${stepId} in that terminal; the results so far complete the steps so far, no more`, async () => {
        const [link] = linksOf(stepId);
        assert.ok(link, `${stepId} has a button`);
        const used = await vscode.commands.executeCommand<SessionTerminal>(link.command, ...link.args);
        assert.equal(used, session, 'the open terminal is used');
        assert.match(session!.screenText, new RegExp(`\\r\\n${stepId} (PASSED|NEEDS CONFIRMATION): `));
        const shownSender = /^MAIL FROM:<[^@>]*>$/m.exec(markdownOf(steps.find((step) => step.id === stepId)!))?.[0];
        if (shownSender) {
          // A sender without a domain is the local user itself: the page shows what the session sends.
          assert.ok(session!.screenText.includes(`${shownSender}\r\n`), `${stepId}: the terminal sent ${shownSender}`);
        }
        // The published results set one context key each: these are the steps that are ticked now.
        assert.deepEqual(
          lab.relayVerdicts.last?.report.tests.map((test) => test.id),
          relaySteps.slice(0, index + 1),
        );
      });
    });

    it('"Show Relay Verdict" after the control and the seven KB steps shows the terminal\'s verdict: closed, over control and kb1..kb7', async () => {
      const link = linksOf('verdict').find((candidate) => candidate.command === commandIds.showVerdict);
      assert.ok(link);
      const record = lab.relayVerdicts.last;
      assert.ok(record, 'a verdict was published');
      assert.equal(record.source, 'session terminal', 'the terminal published the verdict of its /test runs');
      assert.equal(record.report.verdict, 'closed');
      assert.deepEqual(
        record.report.tests.map((test) => test.id),
        ['control', 'kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7'],
        'every step counts, not only the last one',
      );
      const uri = await vscode.commands.executeCommand<vscode.Uri>(link.command, ...link.args);
      assert.ok(uri, 'the command resolves with the document');
      // The document may still be open on an earlier suite's verdict: its new text arrives with a change event.
      const text = await textOnceItMatches(uri, / · 8 tests from the session terminal · /);
      assert.match(text, /^# Relay verdict: Closed: not an open relay\n/);
      for (const id of ['control', 'kb1', 'kb2', 'kb3', 'kb4', 'kb5', 'kb6', 'kb7']) {
        assert.match(text, new RegExp(`\\n\\| \\*\\*${id}\\*\\* `), `${id} has a row`);
      }
    });

    it('"Save Transcript" saves the session the steps ran, with every test\'s RCPT', async () => {
      const link = linksOf('verdict').find((candidate) => candidate.command === commandIds.saveTranscript);
      assert.ok(link);
      // The button passes no arguments; here the destination and the session are given, so no dialog opens.
      const destination = vscode.Uri.file(path.join(scratch, 'walkthrough.smtp-transcript'));
      // The recording the verdict names: "the most recent" could be another suite's (recordings with made-up times).
      const recordingId = lab.relayVerdicts.last?.recordingId;
      assert.ok(recordingId, "the terminal's verdict names its recording");
      const recording = lab.transcripts.recording(recordingId);
      assert.ok(recording && recording.lastActivityAt >= stepsStartedAt, 'the terminal session is recorded in the transcripts store');
      assert.equal(recording.label, `Session terminal: ${lab.targets.current?.label}`);
      const saved = await vscode.commands.executeCommand<vscode.Uri>(link.command, destination, recording.id);
      assert.equal(saved?.toString(), destination.toString());
      const text = fs.readFileSync(destination.fsPath, 'utf8');
      assert.match(text, /RCPT TO:<relay-test%example\.net>/, 'test 6 is in it');
      assert.match(text, /RCPT TO:<"relay-test@example\.net">/, 'test 7 is in it');
    });
  });
});
