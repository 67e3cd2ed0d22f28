/**
 * The escaped text form of wire bytes, used by every transcript event.
 *
 * Printable UTF-8 stays as it is, a backslash becomes `\\`, and every other byte (C0 controls, DEL,
 * NUL, bytes of invalid UTF-8) becomes `\xNN`. C1 controls (U+0080..U+009F) are escaped byte by byte too,
 * because a terminal would act on them. The mapping is exact both ways: unescape(escape(b)) === b.
 */

const backslash = 0x5c;

export function escapeWireBytes(bytes: Uint8Array): string {
  // Runs of bytes that stand for themselves are decoded in one go and the pieces joined once: a `+=` per
  // byte builds a rope of one-character strings, 32-56 times the input in memory (issue 8).
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: string[] = [];
  let runStart = 0;
  let index = 0;
  while (index < buffer.length) {
    const byte = buffer[index];
    if (byte >= 0x20 && byte < 0x7f && byte !== backslash) {
      index += 1;
      continue;
    }
    if (byte >= 0x80) {
      const length = validUtf8SequenceLength(buffer, index);
      if (length > 1 && !isC1Control(decodeUtf8Sequence(buffer, index, length))) {
        index += length;
        continue;
      }
    }
    if (index > runStart) {
      parts.push(buffer.toString('utf8', runStart, index));
    }
    parts.push(byte === backslash ? '\\\\' : hexEscape(byte));
    index += 1;
    runStart = index;
  }
  if (runStart === 0) {
    return buffer.toString('utf8');
  }
  if (runStart < buffer.length) {
    parts.push(buffer.toString('utf8', runStart));
  }
  return parts.join('');
}

/** The inverse of escapeWireBytes. An escape it does not know (`\q`, a lone `\`) is kept literally. */
export function unescapeWireText(text: string): Uint8Array {
  if (!text.includes('\\')) {
    return asPlainBytes(Buffer.from(text, 'utf8'));
  }
  const parts: Buffer[] = [];
  let literalStart = 0;
  const flushLiteral = (end: number) => {
    if (end > literalStart) {
      parts.push(Buffer.from(text.slice(literalStart, end), 'utf8'));
    }
  };
  // Escaped bytes in a row are collected here and pushed as one Buffer.
  let escaped: number[] = [];
  const flushEscaped = () => {
    if (escaped.length > 0) {
      parts.push(Buffer.from(escaped));
      escaped = [];
    }
  };
  let index = 0;
  while (index < text.length) {
    if (text.charCodeAt(index) !== backslash) {
      index += 1;
      continue;
    }
    let byte: number | undefined;
    let length = 0;
    if (text[index + 1] === '\\') {
      byte = backslash;
      length = 2;
    } else if (text[index + 1] === 'x' && isHexDigit(text.charCodeAt(index + 2)) && isHexDigit(text.charCodeAt(index + 3))) {
      byte = parseInt(text.slice(index + 2, index + 4), 16);
      length = 4;
    }
    if (byte === undefined) {
      index += 1;
      continue;
    }
    if (index > literalStart) {
      flushEscaped();
      flushLiteral(index);
    }
    escaped.push(byte);
    index += length;
    literalStart = index;
  }
  flushEscaped();
  flushLiteral(text.length);
  return asPlainBytes(parts.length === 1 ? parts[0] : Buffer.concat(parts));
}

/** A Uint8Array view (not a Buffer), as callers compare results with plain byte arrays. */
function asPlainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function isHexDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

function hexEscape(byte: number): string {
  return '\\x' + byte.toString(16).toUpperCase().padStart(2, '0');
}

function isC1Control(codePoint: number): boolean {
  return codePoint >= 0x80 && codePoint <= 0x9f;
}

/**
 * Length of the well-formed UTF-8 sequence starting at `index` (RFC 3629 table 3-7: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0 when the bytes there are not one.
 */
function validUtf8SequenceLength(bytes: Uint8Array, index: number): number {
  const first = bytes[index];
  const continuation = (offset: number, low = 0x80, high = 0xbf) => {
    const byte = bytes[index + offset];
    return byte !== undefined && byte >= low && byte <= high;
  };
  if (first >= 0xc2 && first <= 0xdf) {
    return continuation(1) ? 2 : 0;
  }
  if (first >= 0xe0 && first <= 0xef) {
    const low = first === 0xe0 ? 0xa0 : 0x80;
    const high = first === 0xed ? 0x9f : 0xbf;
    return continuation(1, low, high) && continuation(2) ? 3 : 0;
  }
  if (first >= 0xf0 && first <= 0xf4) {
    const low = first === 0xf0 ? 0x90 : 0x80;
    const high = first === 0xf4 ? 0x8f : 0xbf;
    return continuation(1, low, high) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

function decodeUtf8Sequence(bytes: Uint8Array, index: number, length: number): number {
  const leadMask = length === 2 ? 0x1f : length === 3 ? 0x0f : 0x07;
  let codePoint = bytes[index] & leadMask;
  for (let offset = 1; offset < length; offset += 1) {
    codePoint = (codePoint << 6) | (bytes[index + offset] & 0x3f);
  }
  return codePoint;
}

