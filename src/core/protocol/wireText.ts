/**
 * The escaped text form of wire bytes, used by every transcript event.
 *
 * Printable UTF-8 stays as it is, a backslash becomes `\\`, and every other byte (C0 controls, DEL,
 * NUL, bytes of invalid UTF-8) becomes `\xNN`. C1 controls (U+0080..U+009F) are escaped byte by byte too,
 * because a terminal would act on them. The mapping is exact both ways: unescape(escape(b)) === b.
 */

const backslash = 0x5c;

export function escapeWireBytes(bytes: Uint8Array): string {
  // The escaped text is built as UTF-8 bytes and decoded once: valid sequences are copied as they are,
  // every other byte becomes the four ASCII bytes of `\xNN`. One flat string, with no per-byte pieces
  // (a `+=` per byte builds a rope 32-56 times the input; issue 8).
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let index = 0;
  while (index < input.length && input[index] >= 0x20 && input[index] < 0x7f && input[index] !== backslash) {
    index += 1;
  }
  if (index === input.length) {
    return input.toString('latin1');
  }
  const output = Buffer.allocUnsafe(index + (input.length - index) * 4);
  input.copy(output, 0, 0, index);
  let written = index;
  while (index < input.length) {
    const byte = input[index];
    if (byte >= 0x20 && byte < 0x7f && byte !== backslash) {
      output[written++] = byte;
      index += 1;
      continue;
    }
    if (byte >= 0x80) {
      const length = validUtf8SequenceLength(input, index);
      if (length > 1 && !isC1Control(decodeUtf8Sequence(input, index, length))) {
        input.copy(output, written, index, index + length);
        written += length;
        index += length;
        continue;
      }
    }
    output[written++] = backslash;
    if (byte === backslash) {
      output[written++] = backslash;
    } else {
      output[written++] = 0x78; // x
      output[written++] = hexDigits.charCodeAt(byte >> 4);
      output[written++] = hexDigits.charCodeAt(byte & 0x0f);
    }
    index += 1;
  }
  return output.toString('utf8', 0, written);
}

const hexDigits = '0123456789ABCDEF';

/** The inverse of escapeWireBytes. An escape it does not know (`\q`, a lone `\`) is kept literally. */
export function unescapeWireText(text: string): Uint8Array {
  if (!text.includes('\\')) {
    return asPlainBytes(Buffer.from(text, 'utf8'));
  }
  // Written into one buffer (at most 3 UTF-8 bytes per UTF-16 unit), without a piece per escape.
  const output = Buffer.allocUnsafe(text.length * 3);
  let written = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === backslash) {
      if (text.charCodeAt(index + 1) === backslash) {
        output[written++] = backslash;
        index += 2;
        continue;
      }
      const high = hexValue(text.charCodeAt(index + 2));
      const low = hexValue(text.charCodeAt(index + 3));
      if (text.charCodeAt(index + 1) === 0x78 && high >= 0 && low >= 0) {
        output[written++] = (high << 4) | low;
        index += 4;
        continue;
      }
      output[written++] = backslash;
      index += 1;
      continue;
    }
    if (code < 0x80) {
      output[written++] = code;
      index += 1;
      continue;
    }
    let end = index + 1;
    while (end < text.length && text.charCodeAt(end) >= 0x80) {
      end += 1;
    }
    written += output.write(text.slice(index, end), written, 'utf8');
    index = end;
  }
  // A copy, so that the caller does not keep the whole worst-case buffer alive.
  return asPlainBytes(output.subarray(0, written)).slice();
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) {
    return code - 0x30;
  }
  if (code >= 0x41 && code <= 0x46) {
    return code - 0x37;
  }
  if (code >= 0x61 && code <= 0x66) {
    return code - 0x57;
  }
  return -1;
}

/** A Uint8Array view (not a Buffer), as callers compare results with plain byte arrays. */
function asPlainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
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

