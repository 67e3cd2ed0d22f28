/**
 * A run of a .smtp file as data, and its two written forms for CI: JUnit XML (one testcase per block) and
 * JSON. The CLI's `run` writes them; no `vscode` here. Everything the server said is escaped on the way
 * out: XML's forbidden control characters become visible `\uXXXX` text, since XML 1.0 has no way to
 * carry them even as character references.
 */
import type { SmtpReply } from '../protocol/reply';
import type { ExpectationVerdict } from './blockVerdicts';
import { replyInOneLine } from './expectations';

export interface FileRunReport {
  /** The file as given on the command line. */
  file: string;
  /** "host:port". */
  target: string;
  blocks: BlockRunReport[];
}

export interface BlockRunReport {
  /** 0-based. */
  index: number;
  /** The `###` title, or "" for an unnamed block. */
  title: string;
  /** 1-based, as editors and CI logs show it. */
  line: number;
  replies: { command: string; line?: number; reply: SmtpReply }[];
  expectations: ExpectationVerdict[];
  /** What stopped the block early (the connection failed, timed out or closed). */
  error?: string;
  /** False when the block did not run because one before it stopped the run. */
  ran: boolean;
}

/** "kb1: ...", or "block 3 (line 12)" for a block without a title. */
export function blockName(block: Pick<BlockRunReport, 'index' | 'title' | 'line'>): string {
  return block.title !== '' ? block.title : `block ${block.index + 1} (line ${block.line})`;
}

export function blockPassed(block: BlockRunReport): boolean {
  return block.ran && block.error === undefined && block.expectations.every((verdict) => verdict.passed);
}

/** Characters XML 1.0 cannot hold at all (C0 controls but tab, LF, CR; lone surrogates; U+FFFE/FFFF). */
const forbiddenInXml = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text for XML element content or a double-quoted attribute. */
export function escapeXml(text: string): string {
  return text
    .replace(forbiddenInXml, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** Element content keeps its line breaks readable; only attributes need them as references. */
function escapeXmlContent(text: string): string {
  return escapeXml(text).replace(/&#10;/g, '\n').replace(/&#9;/g, '\t');
}

export function junitXml(report: FileRunReport): string {
  const failures = report.blocks.filter((block) => block.ran && block.error === undefined && !blockPassed(block)).length;
  const errors = report.blocks.filter((block) => block.error !== undefined).length;
  const skipped = report.blocks.filter((block) => !block.ran).length;
  const suiteName = `${report.file} against ${report.target}`;
  const cases = report.blocks.map((block) => {
    const open = `    <testcase name="${escapeXml(blockName(block))}" classname="${escapeXml(report.file)}">`;
    const body: string[] = [];
    if (!block.ran) {
      body.push(`      <skipped message="${escapeXml('not run: a block before it stopped the run')}"/>`);
    } else if (block.error !== undefined) {
      body.push(`      <error message="${escapeXml(block.error)}" type="connection">${escapeXmlContent(replyLog(block))}</error>`);
    }
    for (const verdict of block.expectations.filter((candidate) => !candidate.passed)) {
      const actual = verdict.actual ? replyInOneLine(verdict.actual) : 'no reply';
      const text = [
        `line ${verdict.line + 1}: # @expect ${verdict.expected}`,
        `command (line ${verdict.commandLine + 1}): ${verdict.command ?? '(not sent)'}`,
        `expected: ${verdict.expected}`,
        `actual:   ${actual}`,
        verdict.message,
      ].join('\n');
      body.push(`      <failure message="${escapeXml(`expected ${verdict.expected}, got ${actual}`)}" type="expectation">${escapeXmlContent(text)}</failure>`);
    }
    body.push(`      <system-out>${escapeXmlContent(replyLog(block))}</system-out>`);
    return [open, ...body, '    </testcase>'].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="smtp-relay-lab run" tests="${report.blocks.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">`,
    `  <testsuite name="${escapeXml(suiteName)}" tests="${report.blocks.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** The block's exchange as lines: "-> RCPT TO:<...>" and "<- 454 4.7.1 ...". */
function replyLog(block: BlockRunReport): string {
  return block.replies.flatMap(({ command, reply }) => [...(command === '' ? [] : [`-> ${command}`]), `<- ${replyInOneLine(reply, 500)}`]).join('\n');
}

/** One element of `run --json`'s `blocks`. */
export interface BlockRunJson {
  name: string;
  title: string;
  line: number;
  ran: boolean;
  passed: boolean;
  error: string | null;
  replies: { command: string; line: number | null; code: number; enhanced: string | null; text: string }[];
  expectations: { line: number; commandLine: number; expected: string; passed: boolean; command: string | null; actual: string | null; message: string }[];
}

export function reportJson(report: FileRunReport): { file: string; target: string; passed: boolean; blocks: BlockRunJson[] } {
  const blocks = report.blocks.map((block) => ({
    name: blockName(block),
    title: block.title,
    line: block.line,
    ran: block.ran,
    passed: blockPassed(block),
    error: block.error ?? null,
    replies: block.replies.map(({ command, line, reply }) => ({
      command,
      line: line === undefined ? null : line + 1,
      code: reply.code,
      enhanced: reply.enhanced ?? null,
      text: reply.text,
    })),
    expectations: block.expectations.map((verdict) => ({
      line: verdict.line + 1,
      commandLine: verdict.commandLine + 1,
      expected: verdict.expected,
      passed: verdict.passed,
      command: verdict.command ?? null,
      actual: verdict.actual ? replyInOneLine(verdict.actual, 1000) : null,
      message: verdict.message,
    })),
  }));
  return { file: report.file, target: report.target, passed: blocks.every((block) => block.passed), blocks };
}
