/**
 * What Tab completes in the session terminal: SMTP verbs (with the fixed words that follow them) and the
 * terminal's own /commands with their arguments.
 */
import { metaCommandNames } from './metaCommands';

/** The forms a person types in a telnet session, with the fixed part of their syntax (RFC 5321 §4.1). */
export const smtpCommandForms: readonly string[] = [
  'EHLO ',
  'HELO ',
  'MAIL FROM:',
  'RCPT TO:',
  'DATA',
  'RSET',
  'NOOP',
  'QUIT',
  'VRFY ',
  'EXPN ',
  'HELP',
  'STARTTLS',
  'AUTH PLAIN',
  'AUTH LOGIN',
];

export interface CompletionChoices {
  /** Relay test ids and group names, for /test. */
  testSelectors: readonly string[];
}

/** What /xclient <Tab> offers: documentation addresses (RFC 5737, RFC 3849), outside clients that are nobody's. */
const xclientExampleAddresses: readonly string[] = ['203.0.113.9', '2001:db8::9'];

/**
 * Every candidate that may replace the whole text before the cursor. SMTP verbs are matched without regard
 * to case (servers accept any case) and completed in capitals, the way the KB writes them.
 */
export function completeCommandLine(textBeforeCursor: string, choices: CompletionChoices): string[] {
  if (textBeforeCursor.startsWith('/')) {
    return completeMetaCommand(textBeforeCursor, choices);
  }
  if (textBeforeCursor.trim() === '') {
    return [];
  }
  const typed = textBeforeCursor.toUpperCase();
  return smtpCommandForms.filter((form) => form.startsWith(typed) && form !== typed);
}

function completeMetaCommand(text: string, choices: CompletionChoices): string[] {
  const space = text.indexOf(' ');
  if (space === -1) {
    const typed = text.slice(1).toLowerCase();
    return metaCommandNames.filter((name) => name.startsWith(typed)).map((name) => `/${name}`);
  }
  const name = text.slice(1, space).toLowerCase();
  // Only the last word is completed; the words before it stay as typed.
  const lastSpace = text.lastIndexOf(' ');
  const head = text.slice(0, lastSpace + 1);
  const word = text.slice(lastSpace + 1).toLowerCase();
  const firstArgument = head === text.slice(0, space + 1);
  const argumentChoices =
    name === 'test'
      ? choices.testSelectors
      : name === 'auth' && firstArgument
        ? ['plain', 'login']
        : name === 'xclient' && firstArgument
          ? xclientExampleAddresses
          : [];
  return argumentChoices.filter((choice) => choice.toLowerCase().startsWith(word)).map((choice) => head + choice);
}
