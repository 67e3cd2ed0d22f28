// Reads what the lab Postfix's pipe services received: one file per delivery, written by the recorder
// script of postfixConfig.ts (a header block of "name: value" lines, a blank line, then the message).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PipeServiceName } from './postfixConfig';

export interface PostfixDelivery {
  /** failpipe: mail for a remote domain, which the instance can never send. localpipe: local mail. */
  service: PipeServiceName;
  /** The envelope sender as pipe(8) quoted it; empty for the null sender. */
  sender: string;
  recipient: string;
  nexthop: string;
  /** The exit status the pipe returned: 75 (deferred) for failpipe, 0 (delivered) for localpipe. */
  exitStatus: number;
  /** The message as Postfix handed it over, with its Received: headers. */
  message: string;
}

const DELIVERY_SUFFIX = '.delivery';

export async function readDeliveries(deliveriesDirectory: string): Promise<PostfixDelivery[]> {
  let names: string[];
  try {
    names = await fs.readdir(deliveriesDirectory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  // File names start with the recording time in nanoseconds, so name order is arrival order.
  const files = names.filter((name) => name.endsWith(DELIVERY_SUFFIX)).sort();
  const deliveries: PostfixDelivery[] = [];
  for (const name of files) {
    deliveries.push(parseDelivery(await fs.readFile(path.join(deliveriesDirectory, name), 'utf8')));
  }
  return deliveries;
}

export function parseDelivery(text: string): PostfixDelivery {
  const blank = text.indexOf('\n\n');
  if (blank < 0) throw new Error(`delivery record without a header block: ${JSON.stringify(text.slice(0, 80))}`);
  const fields = new Map<string, string>();
  for (const line of text.slice(0, blank).split('\n')) {
    const colon = line.indexOf(': ');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
    else if (line.endsWith(':')) fields.set(line.slice(0, -1), '');
  }
  const service = fields.get('service');
  if (service !== 'failpipe' && service !== 'localpipe') {
    throw new Error(`delivery record from an unknown service: ${String(service)}`);
  }
  return {
    service,
    sender: fields.get('sender') ?? '',
    recipient: fields.get('recipient') ?? '',
    nexthop: fields.get('nexthop') ?? '',
    exitStatus: Number(fields.get('exit-status')),
    message: text.slice(blank + 2),
  };
}
