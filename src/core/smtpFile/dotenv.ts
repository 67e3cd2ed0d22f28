/**
 * A `.env` file as dotenv reads it, for `{{$dotenv NAME}}`: `NAME=value` lines, `export` allowed, `#` comments,
 * values in single or double quotes (double quotes understand \n). No `vscode` here.
 */
export function parseDotenv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split(/\r\n|\r|\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) {
      continue;
    }
    let value = match[2];
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') {
        value = value.replace(/\\n/g, '\n');
      }
    } else {
      value = value.replace(/\s+#.*$/, '');
    }
    values.set(match[1], value);
  }
  return values;
}
