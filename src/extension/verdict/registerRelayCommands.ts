import * as vscode from 'vscode';
import { describeError } from '../../core/protocol/errors';
import { selectRelayTests, UnknownRelayTestError } from '../../core/relay/relayCatalogue';
import { renderRelayReport, verdictSummary } from '../../core/relay/relayReport';
import type { RelayVerdict } from '../../core/relay/relayTypes';
import { DisposableStore } from '../disposableStore';
import { commandIds } from '../ids';
import type { LabContext } from '../labContext';
import { readTarget, type Target } from '../target';
import { prepareDelivery, runRelayTestsInWindow } from './relayRun';
import { renderDomainReport } from '../../core/reach/domainRun';
import { resolveMailDomain } from '../../core/reach/mxResolution';
import { runDomainInWindow } from './domainRunInWindow';
import { RelayReportDocuments } from './relayReportDocuments';
import { saveDomainTranscripts, saveRelayTranscript } from './relayTranscriptSaving';
import { isDomainVerdict, type DomainVerdictRecord, type RelayVerdictRecord, type ShownVerdictRecord } from './relayVerdictRecord';
import { renderDomainVerdictMarkdown, renderNoVerdictMarkdown, renderVerdictMarkdown } from './verdictMarkdown';

/**
 * What `smtpRelayLab.runRelaySuite` accepts, so a test or another command can skip the pickers: a target in
 * the shape of the `smtpRelayLab.targets` setting, and a selection as the `relay.tests` setting or the CLI's
 * --tests take it ("kb", "all", "control,kb6").
 */
export interface RunRelaySuiteArguments {
  target?: unknown;
  tests?: string;
}

/**
 * "Run Relay Suite" (the whole selection against one target, with cancellable progress, the text report in
 * a document and the verdict in a notification) and "Show Relay Verdict" (the last verdict of any face as
 * a readable Markdown report, with "Save Transcript").
 */
export function registerRelayCommands(lab: LabContext): vscode.Disposable {
  const store = new DisposableStore();
  const documents = store.add(new RelayReportDocuments());

  // An open verdict preview follows the newest run, whichever face ran it.
  lab.relayVerdicts.onDidChangeLatest(
    (record) => documents.update(RelayReportDocuments.verdictUri, renderShownVerdict(record)),
    undefined,
    store.listenerArray,
  );

  store.add(
    vscode.commands.registerCommand(commandIds.runRelaySuite, async (argument?: RunRelaySuiteArguments) => {
      const target = await targetFrom(lab, argument);
      if (!target) {
        return undefined;
      }
      let testIds: string[];
      try {
        testIds = selectRelayTests(argument?.tests ?? lab.settings.relayTests.value).map((test) => test.id);
      } catch (error) {
        if (error instanceof UnknownRelayTestError) {
          void vscode.window.showErrorMessage(`Run Relay Suite: ${error.message}`);
          return undefined;
        }
        throw error;
      }
      if (target.mailDomain) {
        // A mail domain: every address of its MX hosts, as relay --domain; the verdict is the worst one's.
        const domainRun = await runDomainSuiteWithProgress(lab, target, testIds);
        if (!domainRun) {
          return undefined;
        }
        await documents.updateAndSettle(RelayReportDocuments.suiteReportUri, renderDomainReport(domainRun.report, (host) => renderRelayReport(host)));
        await vscode.window.showTextDocument(RelayReportDocuments.suiteReportUri, { preview: true });
        void announceDomainVerdict(lab, domainRun);
        return domainRun.report;
      }
      const record = await runSuiteWithProgress(lab, target, testIds);
      if (!record) {
        return undefined;
      }
      await documents.updateAndSettle(RelayReportDocuments.suiteReportUri, renderRelayReport(record.report));
      await vscode.window.showTextDocument(RelayReportDocuments.suiteReportUri, { preview: true });
      void announceVerdict(lab, record);
      return record.report;
    }),
  );

  store.add(
    vscode.commands.registerCommand(commandIds.showVerdict, async () => {
      const record = lab.relayVerdicts.latest;
      documents.update(RelayReportDocuments.verdictUri, record ? renderShownVerdict(record) : renderNoVerdictMarkdown());
      await showMarkdown(RelayReportDocuments.verdictUri);
      // Not awaited: the command is done once the report shows; the offer stays until the user answers.
      void (record ? offerToSave(lab, record) : offerToRun());
      return RelayReportDocuments.verdictUri;
    }),
  );
  return store;
}

async function targetFrom(lab: LabContext, argument: RunRelaySuiteArguments | undefined): Promise<Target | undefined> {
  if (argument?.target === undefined) {
    // Never probes at once: the target it will use is shown first (Enter keeps it), with the others below.
    return lab.targets.confirmTarget('Run Relay Suite');
  }
  const target = readTarget(argument.target);
  if (!target) {
    void vscode.window.showErrorMessage('Run Relay Suite: the target given has no usable host.');
  }
  return target;
}

/** Resolves with the run's record, or undefined when the user cancelled (a partial run is no verdict). */
async function runSuiteWithProgress(lab: LabContext, target: Target, testIds: string[]): Promise<RelayVerdictRecord | undefined> {
  const confirmByDelivery = lab.settings.confirmByDelivery.value;
  // With a catcher configured, the modal that names the server comes before any connection.
  const delivery = await prepareDelivery(lab, target, confirmByDelivery);
  if (!delivery) {
    return undefined;
  }
  return withCancellableSuiteProgress(lab, `Relay suite on ${target.label}`, async (progress, signal) => {
    const record = await runRelayTestsInWindow(lab, {
      target,
      testIds,
      confirmByDelivery,
      source: 'Run Relay Suite',
      delivery,
      hooks: {
        signal,
        onTestStarted: (test) => progress.report({ message: `${test.id}: ${test.title}`, increment: 100 / testIds.length }),
      },
    });
    return { record, publish: () => lab.relayVerdicts.publish(record) };
  });
}

/**
 * A mail-domain target's suite: its MX hosts resolved (with the target's resolver), then every address tested
 * by the CLI's domain run. Undefined when the lookup failed (said in an error) or the user cancelled.
 */
async function runDomainSuiteWithProgress(lab: LabContext, target: Target, testIds: string[]): Promise<DomainVerdictRecord | undefined> {
  const domain = target.mailDomain!;
  const confirmByDelivery = lab.settings.confirmByDelivery.value;
  // As for a host: the modal that names the target comes before any connection when DATA may be sent.
  const delivery = await prepareDelivery(lab, target, confirmByDelivery);
  if (!delivery) {
    return undefined;
  }
  if (delivery.plan.spec) {
    void vscode.window.showWarningMessage(
      `Run Relay Suite: the catcher (relay.catcher) is not used for the mail domain ${domain.domain}, whose addresses are tested side by side; choose one address as the target to confirm with it.`,
    );
  }
  return withCancellableSuiteProgress(lab, `Relay suite on the mail servers of ${domain.domain}`, async (progress, signal) => {
    progress.report({ message: 'looking up its MX hosts' });
    let resolution;
    try {
      resolution = await resolveMailDomain(domain.domain, domain.resolver ? { resolver: domain.resolver } : {});
    } catch (error) {
      void vscode.window.showErrorMessage(`Run Relay Suite: the mail servers of ${domain.domain} could not be looked up: ${describeError(error)}`);
      return undefined;
    }
    progress.report({ message: `${resolution.addresses.length} address${resolution.addresses.length === 1 ? '' : 'es'}` });
    const record = await runDomainInWindow(lab, {
      target,
      resolution,
      testIdsFor: () => testIds,
      confirmByDelivery,
      // runDomainInWindow applies the sender setting only: one catcher cannot serve addresses tested side by side.
      delivery,
      source: 'Run Relay Suite',
      signal,
    });
    return { record, publish: () => lab.relayVerdicts.publishDomain(record) };
  });
}

/**
 * The notification both suites run in: cancellable (the run's connections are aborted), a cancelled run
 * publishes nothing (a partial run is no verdict), and a failure is logged and said. `run` resolves
 * undefined when it has already said why there is nothing to publish.
 */
function withCancellableSuiteProgress<R>(
  lab: LabContext,
  title: string,
  run: (progress: vscode.Progress<{ message?: string; increment?: number }>, signal: AbortSignal) => Promise<{ record: R; publish: () => void } | undefined>,
): Thenable<R | undefined> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const cancellation = token.onCancellationRequested(() => abort.abort());
    try {
      const outcome = await run(progress, abort.signal);
      if (!outcome) {
        return undefined;
      }
      if (token.isCancellationRequested) {
        void vscode.window.showInformationMessage('Relay suite cancelled: no verdict was recorded.');
        return undefined;
      }
      outcome.publish();
      return outcome.record;
    } catch (error) {
      lab.log.error('Run Relay Suite failed', error);
      void vscode.window.showErrorMessage(`Run Relay Suite failed: ${describeError(error)}`);
      return undefined;
    } finally {
      cancellation.dispose();
    }
  });
}

const showVerdictChoice = 'Show Verdict';
const saveTranscriptChoice = 'Save Transcript';
const saveTranscriptsChoice = 'Save Transcripts';

async function announceVerdict(lab: LabContext, record: RelayVerdictRecord): Promise<void> {
  const message = `${record.target.label}: ${verdictSummary(record.report)}`;
  const choice = await announcerFor(record.report.verdict)(message, showVerdictChoice, saveTranscriptChoice);
  if (choice === showVerdictChoice) {
    await vscode.commands.executeCommand(commandIds.showVerdict);
  } else if (choice === saveTranscriptChoice) {
    await saveRunTranscript(lab, record);
  }
}

/** An open relay is an error-level finding; an inconclusive run needs attention; closed is good news. */
function announcerFor(verdict: RelayVerdict): (message: string, ...choices: string[]) => Thenable<string | undefined> {
  switch (verdict) {
    case 'open':
      return (message, ...choices) => vscode.window.showErrorMessage(message, ...choices);
    case 'inconclusive':
      return (message, ...choices) => vscode.window.showWarningMessage(message, ...choices);
    case 'closed':
      return (message, ...choices) => vscode.window.showInformationMessage(message, ...choices);
  }
}

async function announceDomainVerdict(lab: LabContext, record: DomainVerdictRecord): Promise<void> {
  const { report } = record;
  const message = `${record.target.label}: ${report.verdict.toUpperCase()} (worst of ${report.hosts.length} host${report.hosts.length === 1 ? '' : 's'})`;
  const choice = await announcerFor(report.verdict)(message, showVerdictChoice, saveTranscriptsChoice);
  if (choice === showVerdictChoice) {
    await vscode.commands.executeCommand(commandIds.showVerdict);
  } else if (choice === saveTranscriptsChoice) {
    await saveDomainTranscriptsAndSay(record);
  }
}

async function offerToSave(lab: LabContext, record: ShownVerdictRecord): Promise<void> {
  if (isDomainVerdict(record)) {
    const choice = await vscode.window.showInformationMessage(
      `Keep the transcripts of this run (${record.records.size} address${record.records.size === 1 ? '' : 'es'} of ${record.report.domain}, one file each) with the ticket?`,
      saveTranscriptsChoice,
    );
    if (choice === saveTranscriptsChoice) {
      await saveDomainTranscriptsAndSay(record);
    }
    return;
  }
  const choice = await vscode.window.showInformationMessage(
    `Keep the transcript of this run (${record.report.tests.length} tests on ${record.target.label}) with the ticket?`,
    saveTranscriptChoice,
  );
  if (choice === saveTranscriptChoice) {
    await saveRunTranscript(lab, record);
  }
}

async function offerToRun(): Promise<void> {
  const run = 'Run Relay Suite';
  const choice = await vscode.window.showInformationMessage('No relay verdict yet in this window.', run);
  if (choice === run) {
    await vscode.commands.executeCommand(commandIds.runRelaySuite);
  }
}

/**
 * Through the transcripts store's Save Transcript while it still holds the run (one save path for every
 * face, with the local domains in the header); from the verdict's own copy once it has moved on.
 */
async function saveRunTranscript(lab: LabContext, record: RelayVerdictRecord): Promise<vscode.Uri | undefined> {
  if (record.recordingId !== undefined && lab.transcripts.recording(record.recordingId)) {
    return vscode.commands.executeCommand<vscode.Uri | undefined>(commandIds.saveTranscript, undefined, record.recordingId);
  }
  return saveRelayTranscript(record);
}

async function saveDomainTranscriptsAndSay(record: DomainVerdictRecord): Promise<void> {
  const written = await saveDomainTranscripts(record);
  if (written && written.length > 0) {
    const folder = vscode.Uri.joinPath(written[0]!, '..');
    void vscode.window.showInformationMessage(
      `Saved ${written.length} transcript${written.length === 1 ? '' : 's'} of ${record.report.domain} (one per address) in ${folder.scheme === 'file' ? folder.fsPath : folder.toString()}.`,
    );
  }
}

function renderShownVerdict(record: ShownVerdictRecord): string {
  return isDomainVerdict(record) ? renderDomainVerdictMarkdown(record) : renderVerdictMarkdown(record);
}

/** The rendered preview when the built-in Markdown extension is there, the source otherwise. */
async function showMarkdown(uri: vscode.Uri): Promise<void> {
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch {
    await vscode.window.showTextDocument(uri, { preview: true });
  }
}
