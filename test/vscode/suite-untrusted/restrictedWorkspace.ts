/**
 * What the Restricted Mode run starts with, shared by the runner (which writes it before code-server starts)
 * and the suite (which checks what the extension made of it). No `vscode` here: the runner imports it.
 */

/** The user-level `smtpRelayLab.targets`: the only list an untrusted workspace may offer. */
export const userLevelTarget = { name: 'User-level server', host: 'user-target.example.net', port: 2525, tls: 'none' } as const;

/** The workspace-level `smtpRelayLab.targets`, from the untrusted folder's .vscode/settings.json: ignored. */
export const workspaceLevelTarget = { name: 'Workspace-level server', host: 'workspace-target.example.com', port: 25 } as const;

/** The workspace-level `smtpRelayLab.dnsResolver`: ignored (a workspace must not choose where a domain leads). */
export const workspaceDnsResolver = '192.0.2.53';

/** A setting the untrusted workspace may change: its value shows the workspace settings were read. */
export const workspaceReplySeconds = 42;

export const restrictedWorkspaceHost = {
  workspaceTrust: 'restricted',
  userSettings: { 'smtpRelayLab.targets': [userLevelTarget] },
  workspaceFiles: {
    '.vscode/settings.json': JSON.stringify(
      {
        'smtpRelayLab.targets': [workspaceLevelTarget],
        // Restricted too: a workspace must not turn on sending DATA through a server that may relay it.
        'smtpRelayLab.relay.confirmByDelivery': true,
        // Restricted too: the DNS server decides which addresses a domain typed in the target picker leads to.
        'smtpRelayLab.dnsResolver': workspaceDnsResolver,
        // Restricted: a workspace must not make the extension listen, log in somewhere or choose where NDRs go.
        'smtpRelayLab.relay.catcher': '0.0.0.0:2526',
        'smtpRelayLab.relay.mailFrom': 'ndr-collector@example.com',
        'smtpRelayLab.relay.confirmTimeoutSeconds': 3600,
        // Not restricted: proof that this file was read, and that the workspace still configures the rest.
        'smtpRelayLab.timeouts.replySeconds': workspaceReplySeconds,
      },
      null,
      2,
    ),
  },
} as const;
