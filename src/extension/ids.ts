/**
 * Every id the extension shares with package.json, in one place. test/unit/manifest.test.ts checks that
 * these constants and the manifest agree, so a renamed command cannot silently stop working.
 * This module imports nothing from `vscode`, so plain node tests can read it.
 */
import { smtpFileProblemCodes } from '../core/smtpFile/smtpSteps';

export const extensionId = 'smtp-relay-lab.smtp-relay-lab';

export const commandIds = {
  openSessionTerminal: 'smtpRelayLab.openSessionTerminal',
  chooseTarget: 'smtpRelayLab.chooseTarget',
  /** Writes a target to the user's `smtpRelayLab.targets` (argument: a target in the setting's shape). */
  addTarget: 'smtpRelayLab.addTarget',
  startPracticeServer: 'smtpRelayLab.startPracticeServer',
  stopPracticeServer: 'smtpRelayLab.stopPracticeServer',
  /** Argument: a relay test id such as "kb1". */
  runRelayTest: 'smtpRelayLab.runRelayTest',
  runRelaySuite: 'smtpRelayLab.runRelaySuite',
  showVerdict: 'smtpRelayLab.showVerdict',
  saveTranscript: 'smtpRelayLab.saveTranscript',
  openRecentTranscript: 'smtpRelayLab.openRecentTranscript',
  annotateAsTranscript: 'smtpRelayLab.annotateAsTranscript',
  /** Arguments: the document URI and the block's index; invoked by a CodeLens, hidden from the palette. */
  sendBlock: 'smtpRelayLab.sendBlock',
  runFile: 'smtpRelayLab.runFile',
  setPassword: 'smtpRelayLab.setPassword',
  /** Keeps the password of the IMAP catcher's mailbox (relay.catcher imap://…) in SecretStorage. */
  setImapCatcherPassword: 'smtpRelayLab.setImapCatcherPassword',
  /** Picks the environment of `smtpRelayLab.environments` .smtp files use (the status-bar item runs it). */
  chooseEnvironment: 'smtpRelayLab.chooseEnvironment',
  /** Opens the diff of the two latest stored transcripts of one target (argument: a stored transcript id, optional). */
  compareWithPreviousRun: 'smtpRelayLab.compareWithPreviousRun',
} as const;

/** The `category` every contributed command carries, so the palette groups them as "SMTP: …". */
export const commandCategory = 'SMTP';

/** Full setting keys, as written in settings.json. */
export const settingKeys = {
  targets: 'smtpRelayLab.targets',
  connectSeconds: 'smtpRelayLab.timeouts.connectSeconds',
  greetingSeconds: 'smtpRelayLab.timeouts.greetingSeconds',
  replySeconds: 'smtpRelayLab.timeouts.replySeconds',
  diagnosticsLevel: 'smtpRelayLab.diagnostics.level',
  keepRecentTranscripts: 'smtpRelayLab.transcripts.keepRecent',
  addressForm: 'smtpRelayLab.addressForm',
  practicePersona: 'smtpRelayLab.practiceServer.persona',
  relayTests: 'smtpRelayLab.relay.tests',
  confirmByDelivery: 'smtpRelayLab.relay.confirmByDelivery',
  /** Where delivery confirmation looks: the built-in catcher's HOST:PORT, or imap://user@host[:port]/MAILBOX. */
  catcher: 'smtpRelayLab.relay.catcher',
  /** Every relay test's envelope sender, so that NDRs reach the user. */
  mailFrom: 'smtpRelayLab.relay.mailFrom',
  /** How long a catcher run waits for copies and NDRs after the tests. */
  confirmTimeoutSeconds: 'smtpRelayLab.relay.confirmTimeoutSeconds',
  /** Named sets of variables for .smtp files, with `$shared` (as REST Client's rest-client.environmentVariables). */
  environments: 'smtpRelayLab.environments',
  /** Ask before a .smtp block without `# @confirm` sends DATA or names a remote recipient. */
  confirmRiskyBlocks: 'smtpRelayLab.smtpFiles.confirmRiskyBlocks',
  /** The DNS server ("host[:port]", as relay --resolver) for a domain typed in the target picker; empty: the system's. */
  dnsResolver: 'smtpRelayLab.dnsResolver',
} as const;

export type SettingKey = (typeof settingKeys)[keyof typeof settingKeys];

/**
 * Settings a cloned repository must not be able to set for the user: where we connect, and whether DATA is
 * sent. In an untrusted workspace only their user-level values count (capabilities.untrustedWorkspaces).
 */
export const restrictedSettingKeys: readonly SettingKey[] = [
  settingKeys.targets,
  settingKeys.confirmByDelivery,
  // A workspace environment could change a .smtp file's # @target, or turn the guard rails off.
  settingKeys.environments,
  settingKeys.confirmRiskyBlocks,
  // The catcher listens or logs in where it names, and the sender decides where NDRs go.
  settingKeys.catcher,
  settingKeys.mailFrom,
  settingKeys.confirmTimeoutSeconds,
  // It decides which addresses a domain typed in the target picker leads to.
  settingKeys.dnsResolver,
];

export const languageIds = {
  smtp: 'smtp',
  transcript: 'smtp-transcript',
} as const;

export const terminalProfileId = 'smtpRelayLab.sessionTerminal';

export const testControllerId = 'smtpRelayLab.relayTests';

/** URI scheme of the read-only relay verdict and suite report documents. */
export const relayReportScheme = 'smtp-relay-report';

export const diagnosticCollectionName = 'smtpRelayLab';

/** Stable `code` values of our diagnostics, one per kind of finding, so users can filter and we can test. */
export const diagnosticCodes = {
  relayed: 'relayed',
  relayDenied: 'relay-denied',
  ndrPending: 'ndr-pending',
  harvest: 'harvest',
  authRequired: 'auth-required',
  syntax: 'syntax',
  serviceClosing: 'service-closing',
  temporaryFailure: 'temporary-failure',
  rejected: 'rejected',
  /** A plain acceptance (greeting, EHLO, MAIL, a local RCPT): a Hint, only at diagnostics level "all". */
  accepted: 'accepted',
  /** A reply no command asked for (a second answer after a 550, a 250 before EHLO): kept, and flagged. */
  unsolicited: 'unsolicited',
  /** A relay test of a saved run whose replies prove nothing either way (the control refused, a double answer...). */
  inconclusive: 'inconclusive',
  /** Not a valid answer: a code outside 2yz-5yz, a 3yz to RCPT, or reply lines with different codes. */
  protocolViolation: 'protocol-violation',
  /** In .smtp files, what the parser finds in the text (unknown-directive, undefined-variable...): core/smtpFile/smtpSteps.ts. */
  ...smtpFileProblemCodes,
  /** In .smtp files, after a run: the reply did not meet the `# @expect` before its command (an Error). */
  expectationFailed: 'expectation-failed',
  /** In .smtp files, after a run: MAIL answered "503 nested MAIL": the earlier transaction is still open; insert RSET. */
  missingRset: 'missing-rset',
} as const;

/** Keys for `setContext`, usable in `when` clauses. */
export const contextKeys = {
  practiceServerRunning: 'smtpRelayLab.practiceServerRunning',
  sessionConnected: 'smtpRelayLab.sessionConnected',
  hasVerdict: 'smtpRelayLab.hasVerdict',
} as const;

/**
 * Set to true when a relay test's result arrives (from any face), one key per catalogue test: the
 * walkthrough's relay-test steps complete on `onContext:` of their own test's key.
 */
export function testResultContextKey(testId: string): string {
  return `smtpRelayLab.testResult.${testId}`;
}

export const walkthroughId = 'smtpRelayLab.relayWalkthrough';

/** Keys in ExtensionContext.globalState / SecretStorage. */
export const storageKeys = {
  recentTargets: 'smtpRelayLab.recentTargets',
  currentTarget: 'smtpRelayLab.currentTarget',
  authPasswordPrefix: 'smtpRelayLab.authPassword:',
  /** SecretStorage: the value of `{{$secret name}}` in .smtp files, after this prefix. */
  fileSecretPrefix: 'smtpRelayLab.fileSecret:',
  /** SecretStorage: the IMAP catcher's password, after this prefix and then user@host:port. */
  imapCatcherPasswordPrefix: 'smtpRelayLab.imapCatcherPassword:',
  /** workspaceState: the environment chosen in the status bar. */
  chosenEnvironment: 'smtpRelayLab.chosenEnvironment',
} as const;

export const outputChannelName = 'SMTP Relay Lab';
