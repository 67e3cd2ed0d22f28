/**
 * The escaped text form of wire bytes, used by every transcript event.
 *
 * Printable UTF-8 stays as it is, a backslash becomes `\\`, and every other byte (C0 controls, DEL,
 * NUL, bytes of invalid UTF-8) becomes `\xNN`. C1 controls (U+0080..U+009F) are escaped byte by byte too,
 * because a terminal would act on them. The mapping is exact both ways: unescape(escape(b)) === b.
 */

const backslash = 0x5c;

export function escapeWireBytes(bytes: Uint8Array): string {
  let out = '';
  let index = 0;
  while (index < bytes.length) {
    const byte = bytes[index];
    if (byte === backslash) {
      out += '\\\\';
      index += 1;
      continue;
    }
    if (byte >= 0x20 && byte < 0x7f) {
      out += String.fromCharCode(byte);
      index += 1;
      continue;
    }
    const length = validUtf8SequenceLength(bytes, index);
    if (length > 1) {
      const codePoint = decodeUtf8Sequence(bytes, index, length);
      if (!isC1Control(codePoint)) {
        out += String.fromCodePoint(codePoint);
        index += length;
        continue;
      }
    }
    out += hexEscape(byte);
    index += 1;
  }
  return out;
}

/** The inverse of escapeWireBytes. An escape it does not know (`\q`, a lone `\`) is kept literally. */
export function unescapeWireText(text: string): Uint8Array {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  let literalStart = 0;
  const flushLiteral = (end: number) => {
    if (end > literalStart) {
      for (const byte of encoder.encode(text.slice(literalStart, end))) {
        bytes.push(byte);
      }
    }
  };
  let index = 0;
  while (index < text.length) {
    if (text.charCodeAt(index) !== backslash) {
      index += 1;
      continue;
    }
    if (text[index + 1] === '\\') {
      flushLiteral(index);
      bytes.push(backslash);
      index += 2;
      literalStart = index;
      continue;
    }
    const hex = text.slice(index + 2, index + 4);
    if (text[index + 1] === 'x' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      flushLiteral(index);
      bytes.push(parseInt(hex, 16));
      index += 4;
      literalStart = index;
      continue;
    }
    index += 1;
  }
  flushLiteral(text.length);
  return Uint8Array.from(bytes);
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

