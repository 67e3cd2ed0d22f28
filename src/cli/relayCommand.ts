import { writeFile } from 'node:fs/promises';
import { displayJson, displayText } from '../core/protocol/displayText';
import net from 'node:net';
import { assertSingleLine } from '../core/protocol/commandLine';
import { describeError } from '../core/protocol/errors';
import { selectRelayTests, UnknownRelayTestError } from '../core/relay/relayCatalogue';
import { CatcherSpecError, imapPasswordFromEnvironment, openCatcherSession, planCatcher, type CatcherSession, type CatcherSpec } from '../core/reach/catcherSpec';
import { domainReportToJson, renderDomainReport, runDomain, unreachableReason, defaultDomainParallel } from '../core/reach/domainRun';
import { MailDomainError, resolveMailDomain, resolverServer } from '../core/reach/mxResolution';
import { imapPasswordVariable } from '../core/reach/imapCatcher';
import { relayReportToJson } from '../core/relay/relayJson';
import { defaultRelayTestSelection, relayParameterDefaults, remoteDomainConflict } from '../core/relay/relayParameters';
import { renderRelayReport } from '../core/relay/relayReport';
import { runRelaySuite } from '../core/relay/relayRunner';
import type { RelayReport, RelayTestDefinition, RelayTestParameters } from '../core/relay/relayTypes';
import { describeTarget, type SessionOptions, type TlsMode } from '../core/protocol/sessionOptions';
import { practiceServerTlsMode, suggestedTlsMode } from '../core/relay/target';
import { writeTranscript } from '../core/transcript/transcriptFormat';
import { personaNames } from '../lab/personaCatalogue';
import type { PersonaName } from '../lab/persona';
import { startPracticeServer, type PracticeServer } from '../lab/practiceServer';
import { CliRuntimeError, type CliContext } from './cliContext';
import { checkSavePath, choiceValue, hostValue, listValues, parseCommandArguments, portValue, secondsValue, UsageError } from './commandLineArguments';
import { exitCodeHelp, exitCodes } from './exitCodes';
import { labDeliveryEvidence } from '../lab/deliveryEvidence';
import { labOutboxSummary, labReportSection } from './labReportSection';
import { toolLabel } from './toolVersion';

/** The defaults of `relay`, the editor's too: TLS from the port (core's suggestedTlsMode), every test. */
export const relayDefaults = {
  port: 25,
  localUser: relayParameterDefaults.localUser,
  remoteDomain: relayParameterDefaults.remoteDomain,
  remoteUser: relayParameterDefaults.remoteUser,
  helo: relayParameterDefaults.heloName,
  tests: defaultRelayTestSelection,
};

/**
 * Without --tls, the mode the port suggests, as the editor's target picker does: STARTTLS offered (clear
 * text, with a warning, when the server does not advertise it), implicit TLS on 465; the practice server of
 * --lab in clear text, as the editor's. An explicit --tls starttls is strict: no STARTTLS, no test.
 */
export function tlsChoiceOf(given: TlsMode | undefined, port: number, lab: boolean): { tls: TlsMode; requireStartTls: boolean } {
  if (given !== undefined) {
    return { tls: given, requireStartTls: given === 'starttls' };
  }
  return { tls: lab ? practiceServerTlsMode : suggestedTlsMode(port), requireStartTls: false };
}

export const relayHelp = `Usage: smtp-relay-lab relay --host HOST [options]
       smtp-relay-lab relay --lab PERSONA [options]

Runs the open-relay tests of Microsoft KB 304897 (and the wider nmap/Metasploit variants) against an
SMTP server: one connection, EHLO, then per test RSET, MAIL FROM, RCPT TO. No DATA is sent unless
--confirm-by-delivery is given, so nothing is ever relayed through the server by default.

Target:
  --host HOST               server name or IP address (required unless --lab)
  --port PORT               default ${relayDefaults.port}
  --tls MODE                starttls, implicit or none. Default: from the port, as in the editor: implicit TLS on
                            465, else STARTTLS offered, and the tests go on in clear text (with a warning) when
                            the server does not advertise it; with --lab, none. An explicit --tls starttls
                            requires it: a server that does not advertise STARTTLS is exit 3, no test sent
  --insecure                do not check the server certificate (lab servers with self-signed certificates)
  --as-client IP            test as this client address: after EHLO send XCLIENT ADDR=IP (Postfix offers it to
                            smtpd_authorized_xclient_hosts), then EHLO again. Tests from inside mynetworks
                            show what an outside client gets; exit 3 when the server offers or allows no XCLIENT
  --domain DOMAIN           test a mail domain: every address of its MX hosts (or of the domain itself when
                            it has no MX), each distinct address once; the verdict is the worst host's
  --parallel N              with --domain: addresses tested at a time (default 4)
  --resolver HOST[:PORT]    with --domain: the DNS server to ask instead of the system's
  --lab PERSONA             start a practice server on 127.0.0.1 (a free port) and test it instead:
                            ${personaNames.join(', ')}; its certificate is never checked

Test parameters:
  --local-domain DOMAIN     a domain the server receives mail for; repeatable or a comma list.
                            Default: inferred from the banner and EHLO name (with --lab: the lab's domain)
  --local-user USER         a mailbox that exists on the server (default ${relayDefaults.localUser})
  --remote-domain DOMAIN    a domain the server must not relay to (default ${relayDefaults.remoteDomain})
  --remote-user USER        local part of the remote recipient (default ${relayDefaults.remoteUser})
  --helo NAME               the name sent with EHLO (default ${relayDefaults.helo})
  --tests WHICH             all (default: the control, KB tests 1-7 and the extended variants),
                            kb (the control and KB tests 1-7), extended, or ids: control,kb1,kb6
  --bare-addresses          send addresses without <> as the KB types them (MAIL FROM:user@domain)
  --confirm-by-delivery     send DATA for tests the server accepted for local delivery, to confirm
                            by the NDR. Only do this against a server you own. With --lab, DATA is
                            sent to the practice server for tests its replies cannot prove, and its
                            outbox (NDR or would-relay copy) decides them
  --catcher HOST:PORT       with --confirm-by-delivery: receive here (a built-in receive-only SMTP server)
                            what the server relays or bounces. Each test message carries a unique token;
                            a relayed copy makes the test failed (relayed), an NDR quoting it passed
                            (bounced). DATA is then also sent for tests accepted for remote recipients
  --catcher imap://USER@HOST[:PORT]/MAILBOX
                            look for the tokens in a mailbox you own instead (imaps:// for TLS on 993);
                            the password comes from ${imapPasswordVariable}
  --confirm-timeout SECONDS how long to wait for copies and NDRs after the tests (default 60)
  --mail-from ADDR          the envelope sender of every test, so that NDRs reach you (with --catcher and
                            no --mail-from: relay-lab-ndr@ the remote domain, which the catcher receives)

Time:
  --timeout SECONDS         connect, greeting and reply timeouts together (default 10 s connect, 30 s replies)
  --deadline SECONDS        bound the whole run: tests not done by then are errors, the verdict inconclusive
  --no-greylist-retry       do not retry a greylisted test (450/451 "Greylisted", "try again later", a 421
                            greeting). By default it is retried with the same sender and recipient after the
                            delay the server names, else 5 s, 15 s, 60 s, 5 min, within the deadline

Output:
  --json                    print the report as JSON (verdict, tests, replies, transcript)
  --save FILE               also write the transcript to FILE (readable by "smtp-relay-lab annotate")
  -h, --help                show this help

${exitCodeHelp}
`;

const relayOptions = {
  host: { type: 'string' },
  port: { type: 'string' },
  tls: { type: 'string' },
  insecure: { type: 'boolean' },
  'as-client': { type: 'string' },
  domain: { type: 'string' },
  parallel: { type: 'string' },
  resolver: { type: 'string' },
  lab: { type: 'string' },
  'local-domain': { type: 'string', multiple: true },
  'local-user': { type: 'string' },
  'remote-domain': { type: 'string' },
  'remote-user': { type: 'string' },
  helo: { type: 'string' },
  tests: { type: 'string' },
  'bare-addresses': { type: 'boolean' },
  'confirm-by-delivery': { type: 'boolean' },
  timeout: { type: 'string' },
  deadline: { type: 'string' },
  'no-greylist-retry': { type: 'boolean' },
  catcher: { type: 'string' },
  'confirm-timeout': { type: 'string' },
  'mail-from': { type: 'string' },
  json: { type: 'boolean' },
  save: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface RelayInvocation {
  host?: string;
  port: number;
  tls: TlsMode;
  /** --tls starttls given: a server that does not advertise STARTTLS is a TLS failure, not a clear-text run. */
  requireStartTls: boolean;
  insecure: boolean;
  asClient?: string;
  domain?: string;
  parallel: number;
  resolver?: string;
  lab?: PersonaName;
  localDomains: string[];
  localUser: string;
  remoteDomain: string;
  remoteUser: string;
  helo: string;
  tests: RelayTestDefinition[];
  addressForm: RelayTestParameters['addressForm'];
  confirmByDelivery: boolean;
  timeoutMs?: number;
  deadlineMs?: number;
  greylistRetry: boolean;
  catcher?: CatcherSpec;
  /** For an IMAP catcher: from SMTP_RELAY_LAB_IMAP_PASSWORD, read when the flags are. */
  imapPassword?: string;
  confirmTimeoutMs: number;
  mailFrom?: string;
  json: boolean;
  save?: string;
}

export async function runRelayCommand(args: string[], context: CliContext): Promise<number> {
  const { values } = parseCommandArguments('relay', args, relayOptions, false);
  if (values.help) {
    context.out(relayHelp);
    return exitCodes.ok;
  }
  const invocation = readInvocation(values);
  if (invocation.save) {
    // Before connecting: a run whose transcript cannot be kept is a usage mistake, not a lost verdict.
    await checkSavePath(invocation.save);
  }
  if (invocation.domain !== undefined) {
    return runDomainCommand(invocation, invocation.domain, context);
  }
  const lab = invocation.lab ? await startLab(invocation) : undefined;
  let catcher: CatcherSession | undefined;
  if (invocation.catcher) {
    try {
      catcher = await openCatcherSession(invocation.catcher, {
        ...(invocation.imapPassword === undefined ? {} : { imapPassword: invocation.imapPassword }),
        rejectUnauthorized: !invocation.insecure,
      });
    } catch (error) {
      await lab?.close();
      if (error instanceof CatcherSpecError) {
        throw new CliRuntimeError(error.message);
      }
      throw error;
    }
  }
  let report: RelayReport;
  try {
    report = await runRelaySuite({
      session: sessionOptions(invocation, lab),
      parameters: relayParametersOf(invocation, lab?.localDomains ?? []),
      testIds: invocation.tests.map((test) => test.id),
      confirmByDelivery: invocation.confirmByDelivery,
      ...(catcher ? catcher.runOptions(invocation.remoteDomain, invocation.mailFrom) : invocation.mailFrom === undefined ? {} : { mailFrom: invocation.mailFrom }),
      ...(invocation.deadlineMs === undefined ? {} : { deadlineMs: invocation.deadlineMs }),
      greylistRetry: invocation.greylistRetry,
      // Our own practice server: delivery is safe, so what the replies cannot prove its outbox does.
      ...(lab ? { confirmUnprovenByDelivery: true, deliveryEvidence: labDeliveryEvidence(lab) } : {}),
      signal: context.signal,
      onTestFinished: (result) => {
        if (context.errIsTerminal && !invocation.json) {
          context.err(`  ${result.id.padEnd(28)}${result.outcome}\n`);
        }
      },
    });
    if (catcher && !context.signal.aborted) {
      if (context.errIsTerminal && !invocation.json) {
        context.err(`  waiting up to ${invocation.confirmTimeoutMs / 1000} s for copies and NDRs at the ${catcher.source.description}\n`);
      }
      report = await catcher.confirm(report, {
        timeoutMs: invocation.confirmTimeoutMs,
        signal: context.signal,
        parameters: { addressForm: invocation.addressForm },
      });
    }
  } finally {
    await lab?.close();
    await catcher?.close();
  }

  const unreachable = unreachableReason(report);
  if (invocation.json) {
    const json = { ...relayReportToJson(report, toolLabel), ...(lab ? { lab: labOutboxSummary(lab) } : {}) };
    context.out(`${displayJson(json, 2)}\n`);
  } else if (!unreachable) {
    context.out(displayText(renderRelayReport(report), { keepLineFeeds: true }));
    if (lab) {
      context.out(`\n${displayText(labReportSection(lab), { keepLineFeeds: true })}`);
    }
  }
  if (invocation.save) {
    // The report is out already; a transcript that still cannot be written is said on stderr, and the
    // exit code stays the verdict's.
    try {
      await saveTranscript(invocation.save, report, invocation, lab);
    } catch (error) {
      context.err(`smtp-relay-lab relay: ${describeError(error)}; the verdict above stands\n`);
    }
  }
  if (context.signal.aborted) {
    return exitCodes.interrupted;
  }
  if (unreachable) {
    const hint =
      /certificate/i.test(unreachable) && !invocation.insecure
        ? ' (--insecure turns the check off)'
        : /did not advertise STARTTLS/.test(unreachable)
          ? ' (without --tls, the tests go on in clear text when STARTTLS is not offered)'
          : '';
    throw new CliRuntimeError(`${unreachable}${hint}`);
  }
  return exitCodes[report.verdict];
}

function readInvocation(values: ReturnType<typeof parseCommandArguments<typeof relayOptions>>['values']): RelayInvocation {
  refuseLineBreaks(values);
  const lab = values.lab === undefined ? undefined : choiceValue('--lab', values.lab, personaNames, 'exchange');
  if (lab && (values.host !== undefined || values.port !== undefined)) {
    throw new UsageError('--lab starts its own server on 127.0.0.1: leave out --host and --port');
  }
  if (values.domain !== undefined && (values.host !== undefined || lab)) {
    throw new UsageError('--domain tests the MX hosts of a domain: leave out --host and --lab');
  }
  if (values.domain === undefined && (values.parallel !== undefined || values.resolver !== undefined)) {
    throw new UsageError('--parallel and --resolver go with --domain');
  }
  if (values.domain !== undefined) {
    // Accepted and then ignored would be worse than refused: a domain's addresses run side by side, each with
    // its own transcript in --json, and one catcher cannot tell their messages' runs apart.
    const ignored = (['save', 'catcher', 'confirm-timeout'] as const).filter((name) => values[name] !== undefined);
    if (ignored.length > 0) {
      throw new UsageError(`${ignored.map((name) => `--${name}`).join(', ')} cannot go with --domain: test one address with --host for that`);
    }
  }
  if (values.resolver !== undefined) {
    try {
      resolverServer(values.resolver);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if (!lab && !values.host && !values.domain) {
    throw new UsageError('relay needs --host HOST (or --domain DOMAIN, or --lab PERSONA to test a practice server)');
  }
  let tests: RelayTestDefinition[];
  try {
    tests = selectRelayTests(values.tests ?? relayDefaults.tests);
  } catch (error) {
    if (error instanceof UnknownRelayTestError) {
      throw new UsageError(`--tests: ${error.message}`);
    }
    throw error;
  }
  if (tests.length === 0) {
    throw new UsageError('--tests selects no test');
  }
  const conflict = remoteDomainConflict({
    localDomains: listValues(values['local-domain']),
    remoteDomain: values['remote-domain']?.trim() || relayDefaults.remoteDomain,
  });
  if (conflict) {
    throw new UsageError(conflict);
  }
  const port = portValue('--port', values.port, relayDefaults.port);
  const givenTls = values.tls === undefined ? undefined : choiceValue('--tls', values.tls, ['none', 'starttls', 'implicit'] as const, 'none');
  return {
    host: values.host === undefined ? undefined : hostValue('--host', values.host.trim()),
    port,
    ...tlsChoiceOf(givenTls, port, lab !== undefined),
    insecure: values.insecure === true,
    asClient: ipValue('--as-client', values['as-client']),
    domain: nonEmpty('--domain', values.domain)?.replace(/\.$/, ''),
    parallel: parallelValue(values.parallel),
    resolver: nonEmpty('--resolver', values.resolver),
    lab,
    localDomains: listValues(values['local-domain']),
    localUser: nonEmpty('--local-user', values['local-user']) ?? relayDefaults.localUser,
    remoteDomain: nonEmpty('--remote-domain', values['remote-domain']) ?? relayDefaults.remoteDomain,
    remoteUser: nonEmpty('--remote-user', values['remote-user']) ?? relayDefaults.remoteUser,
    helo: nonEmpty('--helo', values.helo) ?? relayDefaults.helo,
    tests,
    addressForm: values['bare-addresses'] ? 'bare' : 'bracketed',
    confirmByDelivery: values['confirm-by-delivery'] === true,
    timeoutMs: secondsValue('--timeout', values.timeout),
    deadlineMs: secondsValue('--deadline', values.deadline),
    greylistRetry: values['no-greylist-retry'] !== true,
    ...catcherValues(values),
    json: values.json === true,
    save: nonEmpty('--save', values.save),
  };
}

/** A value with CR or LF would become a second SMTP command: a usage mistake, refused before connecting. */
function refuseLineBreaks(values: Record<string, unknown>): void {
  for (const [flag, value] of Object.entries(values)) {
    for (const text of [value].flat()) {
      if (typeof text !== 'string') {
        continue;
      }
      try {
        assertSingleLine(text, `--${flag}`);
      } catch (error) {
        throw new UsageError(describeError(error));
      }
    }
  }
}

/** The same reading as the editor's relay.catcher / relay.mailFrom / relay.confirmTimeoutSeconds (core/reach/catcherSpec.ts). */
function catcherValues(
  values: ReturnType<typeof parseCommandArguments<typeof relayOptions>>['values'],
): Pick<RelayInvocation, 'catcher' | 'imapPassword' | 'confirmTimeoutMs' | 'mailFrom'> {
  let plan;
  try {
    plan = planCatcher({
      ...(values.catcher === undefined ? {} : { catcher: values.catcher }),
      ...(values['mail-from'] === undefined ? {} : { mailFrom: nonEmpty('--mail-from', values['mail-from']) }),
      ...(values['confirm-timeout'] === undefined ? {} : { confirmTimeoutMs: secondsValue('--confirm-timeout', values['confirm-timeout']) }),
      confirmByDelivery: values['confirm-by-delivery'] === true,
    });
  } catch (error) {
    if (error instanceof CatcherSpecError) {
      throw new UsageError(error.message);
    }
    throw error;
  }
  if (values.catcher !== undefined && plan.spec === undefined) {
    throw new UsageError('--catcher needs a non-empty value');
  }
  const imapPassword = plan.spec?.kind === 'imap' ? imapPasswordFromEnvironment() : undefined;
  if (plan.spec?.kind === 'imap' && !imapPassword) {
    throw new UsageError(`--catcher ${values.catcher!.trim()}: set ${imapPasswordVariable} to the mailbox password`);
  }
  return {
    confirmTimeoutMs: plan.confirmTimeoutMs,
    ...(plan.spec === undefined ? {} : { catcher: plan.spec }),
    ...(imapPassword === undefined ? {} : { imapPassword }),
    ...(plan.mailFrom === undefined ? {} : { mailFrom: plan.mailFrom }),
  };
}

function parallelValue(value: string | undefined): number {
  if (value === undefined) {
    return defaultDomainParallel;
  }
  const parallel = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) {
    throw new UsageError(`--parallel must be a number from 1 to 64, not "${value}"`);
  }
  return parallel;
}

function ipValue(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  const ip = value.trim().replace(/^\[|\]$/g, '');
  if (net.isIP(ip) === 0) {
    throw new UsageError(`${flag} needs an IPv4 or IPv6 address, not "${value}"`);
  }
  return ip;
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') {
    throw new UsageError(`${flag} needs a non-empty value`);
  }
  return value?.trim();
}

function startLab(invocation: RelayInvocation): Promise<PracticeServer> {
  return startPracticeServer({
    persona: invocation.lab,
    host: '127.0.0.1',
    port: 0,
    secure: invocation.tls === 'implicit',
    ...(invocation.localDomains.length > 0 ? { localDomains: invocation.localDomains } : {}),
    // The control needs the local user to exist on the lab server.
    localUsers: ['admin', 'postmaster', invocation.localUser],
  });
}

/** What the runner needs to know about the server, from the flags; `inferredDomains` when no --local-domain was given. */
function relayParametersOf(invocation: RelayInvocation, inferredDomains: string[]): RelayTestParameters {
  return {
    localDomains: invocation.localDomains.length > 0 ? invocation.localDomains : inferredDomains,
    localUser: invocation.localUser,
    remoteDomain: invocation.remoteDomain,
    remoteUser: invocation.remoteUser,
    // Empty: the runner takes the address it actually connected to, which IP-literal tests need.
    serverAddress: '',
    heloName: invocation.helo,
    addressForm: invocation.addressForm,
  };
}

function sessionOptions(invocation: RelayInvocation, lab: PracticeServer | undefined): SessionOptions {
  return {
    host: lab?.host ?? invocation.host ?? '',
    port: lab?.port ?? invocation.port,
    tls: invocation.tls,
    ...(invocation.requireStartTls ? { requireStartTls: true } : {}),
    // A lab server presents a certificate it made itself: no CA vouches for it.
    rejectUnauthorized: !(invocation.insecure || lab !== undefined),
    ...(invocation.asClient === undefined ? {} : { asClient: invocation.asClient }),
    ...(invocation.timeoutMs === undefined
      ? {}
      : { timeouts: { connectMs: invocation.timeoutMs, greetingMs: invocation.timeoutMs, replyMs: invocation.timeoutMs } }),
  };
}

async function saveTranscript(file: string, report: RelayReport, invocation: RelayInvocation, lab: PracticeServer | undefined): Promise<void> {
  const extra: Record<string, string> = { tls: invocation.tls, verdict: report.verdict };
  if (lab) {
    extra.persona = lab.persona;
  }
  if (invocation.asClient !== undefined) {
    extra['as-client'] = invocation.asClient;
  }
  const text = writeTranscript({
    header: { target: describeTarget(report.target), startedAt: report.startedAt, tool: toolLabel, extra },
    events: report.transcript,
  });
  try {
    await writeFile(file, text, 'utf8');
  } catch (error) {
    throw new CliRuntimeError(`cannot write the transcript to ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** relay --domain: resolve the MX hosts, test each distinct address once, judge by the worst. */
async function runDomainCommand(invocation: RelayInvocation, domain: string, context: CliContext): Promise<number> {
  let resolution;
  try {
    resolution = await resolveMailDomain(domain, invocation.resolver === undefined ? {} : { resolver: invocation.resolver });
  } catch (error) {
    if (error instanceof MailDomainError) {
      throw new CliRuntimeError(error.message);
    }
    throw error;
  }
  const report = await runDomain(resolution, invocation.port, invocation.parallel, (host) =>
    runRelaySuite({
      session: { ...sessionOptions({ ...invocation, host: host.address }, undefined), servername: host.names[0] },
      parameters: relayParametersOf(invocation, [domain]),
      testIds: invocation.tests.map((test) => test.id),
      confirmByDelivery: invocation.confirmByDelivery,
      ...(invocation.mailFrom === undefined ? {} : { mailFrom: invocation.mailFrom }),
      ...(invocation.deadlineMs === undefined ? {} : { deadlineMs: invocation.deadlineMs }),
      greylistRetry: invocation.greylistRetry,
      signal: context.signal,
    }),
  );
  if (invocation.json) {
    context.out(`${displayJson(domainReportToJson(report, (host) => relayReportToJson(host, toolLabel)), 2)}\n`);
  } else {
    context.out(displayText(renderDomainReport(report, (host) => renderRelayReport(host)), { keepLineFeeds: true }));
  }
  if (context.signal.aborted) {
    return exitCodes.interrupted;
  }
  return exitCodes[report.verdict];
}
