/**
 * The bench reads other tools' verdicts from their output; these are the readings, on output captured
 * from Debian's nmap 7.93 and swaks 20201014.0 against the lab servers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readNmapVerdict } from '../../bench/relay/nmapRelayScript';
import { rcptReplyCode } from '../../bench/relay/swaksLoop';
import { summarise } from '../../bench/samples';

const nmapOpenVerbose = `PORT      STATE SERVICE REASON         VERSION
46461/tcp open  smtp    syn-ack ttl 64
| smtp-open-relay: Server is an open relay (3/16 tests)
|  MAIL FROM:<antispam@[127.0.0.1]> -> RCPT TO:<relaytest%example.net@[127.0.0.1]>
|  MAIL FROM:<antispam@[127.0.0.1]> -> RCPT TO:<"relaytest@example.net">
|_ MAIL FROM:<antispam@[127.0.0.1]> -> RCPT TO:<example.net!relaytest@mail.corp.example>
`;

const nmapClosed = `PORT      STATE SERVICE VERSION
40775/tcp open  smtp    Postfix smtpd
|_smtp-open-relay: Server doesn't seem to be an open relay, all tests failed
Service Info: Host:  mail.corp.example
`;

const swaksRefused = `=== Trying 127.0.0.1:44699...
=== Connected to 127.0.0.1.
<-  220 mail.corp.example Microsoft ESMTP MAIL Service ready
 -> EHLO relay-lab.example.com
<-  250-mail.corp.example Hello [127.0.0.1]
<-  250 SIZE 10485760
 -> MAIL FROM:<>
<-  250 2.1.0 <>....Sender OK
 -> RCPT TO:<victim@example.net>
<** 550 5.7.1 Unable to relay for victim@example.net
 -> QUIT
<-  221 2.0.0 Bye
=== Connection closed with remote host.
`;

describe('reading nmap smtp-open-relay output', () => {
  test('"Server is an open relay (N/16 tests)" is open, with the address pairs -vv lists', () => {
    const verdict = readNmapVerdict(nmapOpenVerbose);
    assert.equal(verdict.verdict, 'open');
    assert.equal(verdict.detail, 'Server is an open relay (3/16 tests)');
    assert.deepEqual(verdict.counted, [
      'MAIL FROM:<antispam@[127.0.0.1]> -> RCPT TO:<relaytest%example.net@[127.0.0.1]>',
      'MAIL FROM:<antispam@[127.0.0.1]> -> RCPT TO:<"relaytest@example.net">',
      'MAIL FROM:<antispam@[127.0.0.1]> -> RCPT TO:<example.net!relaytest@mail.corp.example>',
    ]);
  });

  test('"Server doesn\'t seem to be an open relay" is closed', () => {
    const verdict = readNmapVerdict(nmapClosed);
    assert.equal(verdict.verdict, 'closed');
    assert.deepEqual(verdict.counted, []);
  });

  test('"authentication needed" is closed too, as nmap means it', () => {
    assert.equal(readNmapVerdict("|_smtp-open-relay: Server isn't an open relay, authentication needed\n").verdict, 'closed');
  });

  test('no script output (the port rule did not fire without -sV) is no verdict, and says why', () => {
    const verdict = readNmapVerdict('PORT      STATE SERVICE\n2525/tcp open  unknown\n');
    assert.equal(verdict.verdict, 'error');
    assert.match(verdict.detail, /port rule did not fire/);
  });
});

describe('reading swaks output', () => {
  test('a refused recipient (<**) gives its code', () => {
    assert.equal(rcptReplyCode(swaksRefused), 550);
  });

  test('an accepted recipient gives 250, and the MAIL reply before it is not taken for it', () => {
    const accepted = swaksRefused.replace('<** 550 5.7.1 Unable to relay for victim@example.net', '<-  250 2.1.5 victim%example.net@corp.example');
    assert.equal(rcptReplyCode(accepted), 250);
  });

  test('a multiline reply gives the code of its last line; inside TLS (<~) too', () => {
    const multiline = swaksRefused.replace('<** 550 5.7.1 Unable to relay for victim@example.net', '<** 554-5.7.1 first\n<** 554 5.7.1 Relay access denied').replace(/ -> RCPT/, ' ~> RCPT');
    assert.equal(rcptReplyCode(multiline), 554);
  });

  test('no RCPT at all (refused at MAIL, or no connection) is undefined', () => {
    assert.equal(rcptReplyCode('=== Trying 127.0.0.1:1...\n*** Error connecting to 127.0.0.1:1:\n***\tIO::Socket::INET6: connect: Connection refused\n'), undefined);
  });
});

describe('bench sample summaries', () => {
  test('the median of an odd count is the middle value, of an even count the mean of the two middle ones', () => {
    assert.deepEqual(summarise([3, 1, 2]), { median: 2, min: 1, max: 3, count: 3 });
    assert.deepEqual(summarise([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, count: 4 });
  });

  test('no samples is an error, not a NaN in the table', () => {
    assert.throws(() => summarise([]), /no samples/);
  });
});
