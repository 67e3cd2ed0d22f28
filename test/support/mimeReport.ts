/**
 * A small reader for the MIME messages the practice server produces (NDRs), written for the tests
 * only: headers (unfolded), the multipart boundary, and the parts of a multipart body. It is
 * independent of src/lab/ndr.ts so that a bug in the builder cannot hide in a shared parser.
 */
export interface MimeEntity {
  headers: Map<string, string>;
  body: string;
}

export function parseEntity(text: string): MimeEntity {
  const split = text.indexOf('\r\n\r\n');
  const headerText = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 4);
  const headers = new Map<string, string>();
  for (const line of headerText.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  return { headers, body };
}

/** The value of a Content-Type parameter such as boundary or report-type. */
export function contentTypeParameter(contentType: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}="?([^";]+)"?`, 'i').exec(contentType);
  return match?.[1];
}

export function multipartParts(entity: MimeEntity): MimeEntity[] {
  const boundary = contentTypeParameter(entity.headers.get('content-type') ?? '', 'boundary');
  if (!boundary) {
    throw new Error('not a multipart entity: no boundary');
  }
  const closing = entity.body.indexOf(`\r\n--${boundary}--`);
  if (closing < 0) {
    throw new Error('the closing boundary is missing');
  }
  return entity.body
    .slice(0, closing)
    .split(`--${boundary}\r\n`)
    .slice(1)
    .map((part) => parseEntity(part.replace(/\r\n$/, '')));
}

/** The field blocks of a message/delivery-status body: the per-message block, then one per recipient. */
export function deliveryStatusBlocks(body: string): Map<string, string>[] {
  return body
    .trim()
    .split(/\r\n\r\n/)
    .map((block) => {
      const fields = new Map<string, string>();
      for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
        const colon = line.indexOf(':');
        fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      return fields;
    });
}
