/**
 * UI tests: the extension installed in code-server, driven through headless Chromium as a user would,
 * with screenshots in test-results/screenshots/. Builds nothing itself: run `npm run build` and
 * `npm run compile-tests` first. Node's test runner gives the exit code (non-zero when a test fails).
 */
import { after, before, describe, test } from 'node:test';
import { runRelaySuiteWithCatcherAsksThenProves } from './ui/catcherModal.ui';
import { riskyBlockAsksBeforeSending } from './ui/guardRail.ui';
import { problemsPanelListsTranscriptReplies } from './ui/problemsPanel.ui';
import { promptInTargetIsAskedOnRun } from './ui/promptVariable.ui';
import { ehloInSessionTerminalOnPracticeServer } from './ui/sessionTerminal.ui';
import { failingExpectationShowsInEditorAndProblems } from './ui/smtpExpectation.ui';
import { testExplorerMarksChangedOutcomes } from './ui/testExplorerChanges.ui';
import { typedAddressConnectsOnEnter } from './ui/typedTarget.ui';
import { UiSession } from './ui/uiSession';
import { walkthroughOpensFromWelcome } from './ui/walkthrough.ui';

/** A ceiling per test on a cold 2-core machine; a test that passes takes a few seconds. */
const testTimeoutMs = 90_000;

describe('SMTP Relay Lab in the VS Code workbench, driven as a user', { timeout: 5 * 60_000 }, () => {
  let session: UiSession | undefined;
  before(async () => {
    session = await UiSession.start();
  });
  after(async () => {
    await session?.stop();
  });

  /** Runs one scenario; when it fails, the screen at that moment is saved next to the other screenshots. */
  function scenario(name: string, screenshotOnFailure: string, run: (session: UiSession) => Promise<void>): void {
    test(name, { timeout: testTimeoutMs }, async () => {
      try {
        await run(session!);
      } catch (error) {
        await session?.workbench.screenshot(`failed-${screenshotOnFailure}`).catch(() => undefined);
        // Leave no quick pick or half-typed state behind for the next scenario.
        await session?.workbench.page.keyboard.press('Escape').catch(() => undefined);
        throw error;
      }
    });
  }

  scenario(
    'SMTP: Open Session Terminal: 127.0.0.1:<port> typed into the target picker and Enter connects',
    'target-picker-typed',
    typedAddressConnectsOnEnter,
  );
  scenario(
    'SMTP: Open Session Terminal on the practice server answers EHLO client.example.com with 250',
    'session-terminal',
    ehloInSessionTerminalOnPracticeServer,
  );
  scenario(
    'a .smtp-transcript of KB 304897 against Exchange lists its 550 5.7.1 refusals in the Problems panel',
    'problems-transcript',
    problemsPanelListsTranscriptReplies,
  );
  scenario('Welcome: Open Walkthrough… shows our walkthrough and its first step', 'walkthrough', walkthroughOpensFromWelcome);
  scenario(
    'a .smtp file with one failing # @expect, its server typed into the target picker: Run File shows a ✗ CodeLens and an Error in the Problems panel',
    'smtp-expect',
    failingExpectationShowsInEditorAndProblems,
  );
  scenario(
    'a .smtp block that sends DATA to a remote recipient without # @confirm: a modal names the server and what will be sent; Cancel sends nothing, Send runs it',
    'guard-rail',
    riskyBlockAsksBeforeSending,
  );
  scenario(
    'Run All Tests twice against one address whose server changed: the Test Explorer marks the tests that changed outcome, and the output lists them',
    'test-explorer-changed',
    testExplorerMarksChangedOutcomes,
  );
  scenario(
    'SMTP: Run Relay Suite with relay.catcher asks in a modal naming the server and the catcher; after Send DATA kb6 is confirmed relayed',
    'catcher-modal',
    runRelaySuiteWithCatcherAsksThenProves,
  );
  scenario(
    'a .smtp file whose # @target is 127.0.0.1:{{$prompt port}}: Run File asks for the port, the typed port is where the block runs (✓ CodeLens), and the status bar names that server',
    'smtp-prompt-target',
    promptInTargetIsAskedOnRun,
  );
});
