/**
 * Checks for raw settings.json values. Each returns undefined for a value of the wrong shape, so the
 * setting falls back to its default instead of crashing a feature. No `vscode` here: tested with plain node.
 */
export function readBoolean(raw: unknown): boolean | undefined {
  return typeof raw === 'boolean' ? raw : undefined;
}

/** A finite number, clamped to [min, max] (the manifest's own min/max are only advisory in settings.json). */
export function readNumberInRange(min: number, max: number): (raw: unknown) => number | undefined {
  return (raw) => (typeof raw === 'number' && Number.isFinite(raw) ? Math.min(max, Math.max(min, raw)) : undefined);
}

export function readOneOf<T extends string>(allowed: readonly T[]): (raw: unknown) => T | undefined {
  return (raw) => (typeof raw === 'string' && (allowed as readonly string[]).includes(raw) ? (raw as T) : undefined);
}

/** Any string, trimmed (empty means "not set" to the reader's user). */
export function readString(raw: unknown): string | undefined {
  return typeof raw === 'string' ? raw.trim() : undefined;
}

export function readNonEmptyString(raw: unknown): string | undefined {
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
}

export function readStringList(raw: unknown): string[] | undefined {
  if (typeof raw === 'string') {
    return readNonEmptyString(raw) === undefined ? [] : [raw.trim()];
  }
  if (!Array.isArray(raw)) {
    return undefined;
  }
  return raw.map(readNonEmptyString).filter((item): item is string => item !== undefined);
}
