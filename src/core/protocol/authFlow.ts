/**
 * AUTH as a person starts it, the same steps in every face (the session terminal's /auth, a .smtp file's
 * `AUTH PLAIN` / `AUTH LOGIN` alone): say when the server did not advertise the mechanism, find the user
 * name, get the password from the face's prompts, check the connection is still there, warn when there is
 * no TLS, then let the engine send the exchange (which redacts every form of the secret). The prompts are
 * the face's; the password is used once and kept nowhere. No `vscode` here.
 */
import type { AuthMechanism } from './authentication';
import type { SmtpReply } from './reply';
import type { SmtpSession } from './session';

export type { AuthMechanism } from './authentication';

/** What AUTH asks a person. Undefined means the user cancelled. */
export interface AuthPrompts {
  /** Only when neither the command, the file nor the target names a user. */
  askForUsername(mechanism: AuthMechanism): Promise<string | undefined>;
  /** The stored password, or one asked for masked; it is used once and never kept. */
  passwordFor(username: string, mechanism: AuthMechanism): Promise<string | undefined>;
}

export interface AuthFlowRequest {
  mechanism: AuthMechanism;
  /** The user the face already knows (typed, `# @user`, the target's); asked for when undefined. */
  username?: string;
  prompts: AuthPrompts;
  /**
   * A warning for the user before the exchange, as a lower-case clause without a final stop ("the server
   * advertised no AUTH; trying anyway"): the terminal shows it, a .smtp file notes it in its transcript.
   */
  notice(text: string): void;
  /** How this face starts TLS, named in the notice about a server that offers AUTH only inside TLS: "/starttls". */
  startTlsHint: string;
}

export type AuthFlowResult =
  | { kind: 'replied'; reply: SmtpReply }
  /** Nothing was sent: the user gave no user name or no password. */
  | { kind: 'cancelled'; missing: 'user name' | 'password' }
  /** Nothing was sent: the connection closed while the password was asked for. */
  | { kind: 'closed' };

/** Runs the steps; a failure on the wire rejects as session.authenticate does. */
export async function authenticateWithPrompts(session: SmtpSession, request: AuthFlowRequest): Promise<AuthFlowResult> {
  const { mechanism, prompts, notice } = request;
  const advertised = session.capabilities?.authMechanisms;
  if (advertised && !advertised.includes(mechanism)) {
    notice(
      advertised.length > 0
        ? `the server advertised AUTH ${advertised.join(' ')}, not ${mechanism}; trying anyway`
        : `the server advertised no AUTH${session.tlsActive ? '' : ` (many offer it only inside TLS: ${request.startTlsHint})`}; trying anyway`,
    );
  }
  const username = request.username ?? (await prompts.askForUsername(mechanism));
  if (!username) {
    return { kind: 'cancelled', missing: 'user name' };
  }
  const password = await prompts.passwordFor(username, mechanism);
  if (password === undefined) {
    return { kind: 'cancelled', missing: 'password' };
  }
  if (session.state !== 'ready') {
    return { kind: 'closed' };
  }
  if (!session.tlsActive) {
    notice('no TLS: this password crosses the network in clear text (base64 is not encryption)');
  }
  return { kind: 'replied', reply: await session.authenticate(mechanism, username, password) };
}
