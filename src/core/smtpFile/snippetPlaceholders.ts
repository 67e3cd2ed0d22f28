/**
 * The placeholders of the relay-test snippets (src/core/relay/relayCatalogue.ts names them) and the variable each
 * is prefilled with, so that accepting a snippet as offered sends the file's own values: `# @local-domain`,
 * the target's settings, what the server said. A placeholder left in a line is an error (smtpDocument.ts).
 * No `vscode` here.
 */
export const snippetPlaceholderValues = {
  local_user: '{{$target.localUser}}',
  local_domain: '{{$target.localDomain}}',
  remote_user: '{{$target.remoteUser}}',
  remote_domain: '{{$target.remoteDomain}}',
  server_ip: '{{$server.address}}',
  server_name: '{{$server.name}}',
} as const;

export type SnippetPlaceholderName = keyof typeof snippetPlaceholderValues;

export const snippetPlaceholderNames = Object.keys(snippetPlaceholderValues) as SnippetPlaceholderName[];
