import { ReplyParser } from '../../src/core/protocol/replyParser';
import type { SmtpReply } from '../../src/core/protocol/reply';

/** A reply exactly as the engine would deliver it for these wire lines ("550 5.7.1 Unable to relay"). */
export function wireReply(...lines: string[]): SmtpReply {
  const replies: SmtpReply[] = [];
  const parser = new ReplyParser({ onLine: () => undefined, onReplyProblem: () => undefined, onReply: (reply) => replies.push(reply), onOverflow: () => undefined });
  parser.feed(Buffer.from(lines.map((line) => line + '\r\n').join(''), 'utf8'));
  if (replies.length !== 1) {
    throw new Error(`expected one reply from ${JSON.stringify(lines)}, got ${replies.length}`);
  }
  return replies[0];
}
