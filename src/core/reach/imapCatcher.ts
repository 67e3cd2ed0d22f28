import { ImapFlow } from 'imapflow';
import type { CaughtMessage, MessageSource } from './catcher';
import { pause } from './runDeadline';

/**
 * `--catcher imap://user@host[:port]/MAILBOX` (issue 10 §1): instead of receiving mail itself, the tool
 * polls a mailbox the user owns (the remote test domain's, or the one --mail-from names) over IMAP with
 * imapflow, and looks for the test tokens there. imap:// uses STARTTLS when the server offers it
 * (port 143), imaps:// TLS from the first byte (port 993). The password comes from the environment
 * (SMTP_RELAY_LAB_IMAP_PASSWORD) or, in the editor, SecretStorage; it never appears in a URL or a log.
 */

export const imapPasswordVariable = 'SMTP_RELAY_LAB_IMAP_PASSWORD';

export interface ImapCatcherAddress {
  secure: boolean;
  user: string;
  host: string;
  port: number;
  mailbox: string;
}

export class ImapCatcherError extends Error {
  override name = 'ImapCatcherError';
}

/** imap://user@host[:port]/MAILBOX or imaps://…; the mailbox defaults to INBOX. A password in the URL is refused. */
export function parseImapCatcherUrl(text: string): ImapCatcherAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ImapCatcherError(`--catcher: "${text}" is not an imap://user@host[:port]/MAILBOX address`);
  }
  if (url.protocol !== 'imap:' && url.protocol !== 'imaps:') {
    throw new ImapCatcherError(`--catcher: only imap:// and imaps:// mailboxes, not ${url.protocol}`);
  }
  if (url.password !== '') {
    throw new ImapCatcherError(`--catcher: put the password in ${imapPasswordVariable}, not in the address (it would end up in shell history)`);
  }
  if (url.username === '' || url.hostname === '') {
    throw new ImapCatcherError('--catcher: an IMAP catcher needs imap://user@host/MAILBOX');
  }
  const secure = url.protocol === 'imaps:';
  const mailbox = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX';
  return {
    secure,
    user: decodeURIComponent(url.username),
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 993 : 143,
    mailbox,
  };
}

export interface ImapCatcherOptions extends ImapCatcherAddress {
  password: string;
  /** Between two looks at the mailbox. Default 2 s. */
  pollMs?: number;
  /** Certificate checking stays on unless turned off for a lab server. */
  rejectUnauthorized?: boolean;
  /** Bytes kept of each message. Default 1 MiB. */
  maxMessageBytes?: number;
}

function headerValue(content: string, name: string): string | undefined {
  const headerEnd = content.search(/\r?\n\r?\n/);
  const headers = (headerEnd < 0 ? content : content.slice(0, headerEnd)).replace(/\r?\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(headers);
  return match?.[1]?.trim();
}

function addressesIn(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/<?([^\s<>,;"]+@[^\s<>,;"]+)>?/g)].map((match) => match[1]);
}

/** A message from the mailbox in the catcher's terms: the envelope comes from Return-Path and Delivered-To. */
export function caughtFromMailbox(source: string, receivedAt: number): CaughtMessage {
  const returnPath = headerValue(source, 'Return-Path');
  const mailFrom = returnPath === undefined ? '?' : (addressesIn(returnPath)[0] ?? '');
  return {
    receivedAt,
    mailFrom,
    rcptTo: addressesIn(headerValue(source, 'Delivered-To') ?? headerValue(source, 'X-Original-To')),
    remoteAddress: '',
    content: source,
    truncated: false,
  };
}

/** Connects and logs in now (so a wrong password fails before any test runs); polls on waitFor. */
export async function openImapCatcher(options: ImapCatcherOptions): Promise<MessageSource> {
  const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
  const pollMs = options.pollMs ?? 2000;
  const client = new ImapFlow({
    host: options.host,
    port: options.port,
    secure: options.secure,
    auth: { user: options.user, pass: options.password },
    logger: false,
    tls: { rejectUnauthorized: options.rejectUnauthorized ?? true },
  });
  client.on('error', () => undefined);
  const hostText = options.host.includes(':') ? `[${options.host}]` : options.host;
  const description = `IMAP mailbox ${options.user}@${hostText}:${options.port}/${options.mailbox}`;
  try {
    await client.connect();
    await client.mailboxOpen(options.mailbox, { readOnly: true });
  } catch (error) {
    await client.logout().catch(() => undefined);
    const reason = (error as { responseText?: string; message?: string }).responseText ?? (error as Error).message;
    throw new ImapCatcherError(`cannot open the ${description}: ${String(reason).split('\n')[0].slice(0, 200)}`);
  }
  const seen: CaughtMessage[] = [];
  let lastUid = 0;
  let closing: Promise<void> | undefined;
  /** One look at a time: the confirmations of several tests wait in parallel on one connection. */
  let looking: Promise<void> | undefined;

  const look = async (): Promise<void> => {
    // NOOP makes the server tell the selected mailbox's news (EXISTS); a FETCH sees only what it announced.
    await client.noop();
    const exists = client.mailbox === false ? 0 : client.mailbox.exists;
    if (!exists) {
      return;
    }
    for await (const message of client.fetch(`${lastUid + 1}:*`, { uid: true, source: true, internalDate: true }, { uid: true })) {
      if (message.uid <= lastUid) {
        continue;
      }
      lastUid = message.uid;
      const source = (message.source ?? Buffer.alloc(0)).subarray(0, maxMessageBytes).toString('latin1');
      const internal = message.internalDate instanceof Date ? message.internalDate.getTime() : Date.now();
      seen.push(caughtFromMailbox(source, internal));
    }
  };

  return {
    method: 'imap',
    description,
    async waitFor(matches, timeoutMs, signal) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find(matches);
        if (found) {
          return found;
        }
        try {
          looking ??= look().finally(() => {
            looking = undefined;
          });
          await looking;
        } catch {
          // A failed look (the server dropped us) is retried at the next poll until the time is up.
        }
        const after = seen.find(matches);
        if (after || Date.now() >= until || signal?.aborted) {
          return after;
        }
        if (!(await pause(Math.min(pollMs, Math.max(0, until - Date.now())), signal))) {
          return seen.find(matches);
        }
      }
    },
    close() {
      closing ??= client.logout().catch(() => client.close());
      return closing;
    },
  };
}
