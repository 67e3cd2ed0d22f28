/**
 * Where a .smtp file connects: its `# @target`, or the target the user picked for it, with the file's
 * other directives applied on top. No `vscode` here.
 */
import { describeTarget } from '../protocol/sessionOptions';
import { newTarget, type Target } from '../relay/target';
import type { SmtpDirectives } from './smtpDocument';

/**
 * The target the file's directives describe. A `# @target` that names a server the user already knows
 * (settings, recent) keeps what is known about it (local domains, users); a file without one uses `picked`.
 * Undefined when the file names no target and none was picked yet.
 */
export function targetOfFile(directives: SmtpDirectives, known: readonly Target[], picked?: Target): Target | undefined {
  let base: Target | undefined;
  if (directives.target) {
    const { host, port } = directives.target;
    const same = known.find((target) => target.host.toLowerCase() === host.toLowerCase() && target.port === port && !target.practicePersona);
    base = same ? { ...same } : { ...newTarget(host, port), label: `${describeTarget({ host, port })} (from the file)` };
  } else {
    base = picked ? { ...picked } : undefined;
  }
  if (!base) {
    return undefined;
  }
  const target: Target = { ...base, localDomains: [...base.localDomains] };
  if (directives.tls) {
    target.tls = directives.tls;
  }
  if (directives.localDomains.length > 0) {
    target.localDomains = [...directives.localDomains];
  }
  if (directives.insecure) {
    target.rejectUnauthorized = false;
  }
  if (directives.helo) {
    target.heloName = directives.helo;
  }
  if (directives.user) {
    target.username = directives.user;
  }
  return target;
}

/**
 * Two targets with the same key can share a connection: same address, same TLS mode, same certificate check,
 * same AUTH user (a server takes one AUTH per connection, RFC 4954 §4, so another user needs a new one).
 * By address, not by name: a practice server started again listens on another port.
 */
export function connectionKeyOf(target: Target): string {
  const user = target.username === undefined ? '' : `/as ${target.username}`;
  return `${describeTarget(target)}/${target.tls}/${target.rejectUnauthorized ? 'verified' : 'insecure'}${user}`;
}
