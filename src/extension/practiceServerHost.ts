import * as vscode from 'vscode';
import { describeError } from '../core/protocol/errors';
import { describeTarget } from '../core/protocol/sessionOptions';
import { practiceServerTlsMode } from '../core/relay/target';
import { labDeliveryEvidence } from '../lab/deliveryEvidence';
import { forwardOutbox } from '../lab/outboxForwarding';
import { startPracticeServer, type PracticeServer } from '../lab/practiceServer';
import { DisposableStore, toDisposable } from './disposableStore';
import { commandIds, contextKeys } from './ids';
import type { LabContext, PracticeDeliveryEvidence } from './labContext';
import { pickPracticePersona } from './practicePersonaPick';
import { newTarget, targetDefaults, type PracticePersona, type Target } from './target';

/**
 * Owns the one practice server of this window: started on demand (a practice target, or the command),
 * replaced when another persona is asked for, stopped by the command or when the extension goes away.
 * It listens on loopback only, on a port the system picks.
 */
export class PracticeServerHost implements vscode.Disposable {
  private running: PracticeServer | undefined;
  /** A start in progress, so that two terminals opening at once share one server. */
  private starting: Promise<PracticeServer> | undefined;
  private readonly changeEmitter = new vscode.EventEmitter<PracticeServer | undefined>();

  /** Fires with the server when one starts, with undefined when it stops. */
  readonly onDidChange = this.changeEmitter.event;

  get server(): PracticeServer | undefined {
    return this.running;
  }

  /** The running server if it has this persona, else a new one (the old one is stopped first). */
  async ensure(persona: PracticePersona): Promise<PracticeServer> {
    const pending = this.starting;
    if (pending) {
      const server = await pending.catch(() => undefined);
      if (server?.persona === persona) {
        return server;
      }
    }
    if (this.running?.persona === persona) {
      return this.running;
    }
    const start = (async () => {
      await this.stop();
      const server = await startPracticeServer({ persona });
      this.running = server;
      this.changeEmitter.fire(server);
      return server;
    })();
    this.starting = start;
    try {
      return await start;
    } finally {
      if (this.starting === start) {
        this.starting = undefined;
      }
    }
  }

  /** Connected clients get a 421 (the practice server says goodbye like a real one shutting down). */
  async stop(): Promise<void> {
    const server = this.running;
    if (!server) {
      return;
    }
    this.running = undefined;
    this.changeEmitter.fire(undefined);
    await server.close();
  }

  dispose(): void {
    void this.stop();
    this.changeEmitter.dispose();
  }
}

/**
 * What a practice target carries: the server's own local domains and users make the KB tests meaningful.
 * The local user is the one the CLI's `relay --lab` and the walkthrough pages use (postmaster) whenever the
 * server has that mailbox, so that the editor sends what the pages show.
 */
export function practiceTargetFields(server: Pick<PracticeServer, 'host' | 'port' | 'localDomains' | 'localUsers'>): Pick<Target, 'host' | 'port' | 'localDomains' | 'localUser'> {
  const preferred = server.localUsers.find((user) => user.toLowerCase() === targetDefaults.localUser.toLowerCase());
  return {
    host: server.host,
    port: server.port,
    localDomains: [...server.localDomains],
    localUser: preferred ?? server.localUsers[0] ?? targetDefaults.localUser,
  };
}

/** The practice server behind practice targets, and the Start/Stop Practice Server commands. */
export function registerPracticeServer(lab: LabContext): vscode.Disposable {
  const store = new DisposableStore();
  const host = store.add(new PracticeServerHost());
  store.add(lab.targets.usePracticeServer(async (persona) => practiceTargetFields(await host.ensure(persona))));
  const evidence: PracticeDeliveryEvidence = (target) => {
    const server = host.server;
    return server && server.host === target.host && server.port === target.port ? labDeliveryEvidence(server) : undefined;
  };
  lab.practiceDeliveryEvidence = evidence;
  const forwarding: NonNullable<LabContext['practiceForwarding']> = (target, to) => {
    const server = host.server;
    return server && server.host === target.host && server.port === target.port
      ? forwardOutbox(server, to, (problem) => lab.log.warn(`Practice server: could not hand a message to the catcher: ${problem}`))
      : undefined;
  };
  lab.practiceForwarding = forwarding;
  store.add(
    toDisposable(() => {
      if (lab.practiceDeliveryEvidence === evidence) {
        lab.practiceDeliveryEvidence = undefined;
      }
      if (lab.practiceForwarding === forwarding) {
        lab.practiceForwarding = undefined;
      }
    }),
  );
  host.onDidChange(
    (server) => {
      void vscode.commands.executeCommand('setContext', contextKeys.practiceServerRunning, server !== undefined);
      lab.log.info(server ? `Practice server (${server.persona}) listening on ${describeTarget(server)}` : 'Practice server stopped');
    },
    undefined,
    store.listenerArray,
  );

  store.add(
    vscode.commands.registerCommand(commandIds.startPracticeServer, async (persona?: PracticePersona) => {
      const chosen = persona ?? (await pickPracticePersona(lab.settings.practicePersona.value, 'Start Practice Server'));
      if (!chosen) {
        return undefined;
      }
      try {
        const server = await host.ensure(chosen);
        // The walkthrough goes on with "Open Session Terminal": make the practice server the target it uses.
        await lab.targets.setCurrent({
          ...newTarget(server.host, server.port, practiceServerTlsMode),
          label: `Practice server (${chosen})`,
          // Its certificate is self-signed: checking it would only ever fail.
          rejectUnauthorized: false,
          ...practiceTargetFields(server),
          practicePersona: chosen,
        });
        void vscode.window.showInformationMessage(
          `Practice server (${chosen}) listening on ${describeTarget(server)}: ${server.summary}`,
        );
        return { host: server.host, port: server.port, persona: server.persona };
      } catch (error) {
        void vscode.window.showErrorMessage(`Could not start the practice server: ${describeError(error)}`);
        return undefined;
      }
    }),
  );
  store.add(
    vscode.commands.registerCommand(commandIds.stopPracticeServer, async () => {
      const server = host.server;
      if (!server) {
        void vscode.window.showInformationMessage('The practice server is not running.');
        return false;
      }
      await host.stop();
      void vscode.window.showInformationMessage(
        `Practice server (${server.persona}) on ${describeTarget(server)} stopped (clients still connected were told 421).`,
      );
      return true;
    }),
  );
  store.add(toDisposable(() => void vscode.commands.executeCommand('setContext', contextKeys.practiceServerRunning, false)));
  return store;
}
