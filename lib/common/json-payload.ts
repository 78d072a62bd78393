import { InvalidPayloadError } from '../errors/invalid-payload.error.js';

/**
 * Encodes a payload as JSON text, refusing values that JSON would drop or alter silently:
 * BigInt, functions, symbols, NaN and infinities, undefined inside arrays, circular
 * references, and objects other than plain objects and arrays (Map, Set, class instances)
 * unless they define toJSON, as Date does. Object properties that are undefined are
 * omitted, as JSON.stringify does. Strings keep every character, NUL included, because the
 * JSON text escapes it, and the column holding the text is plain text on both dialects.
 */
export function encodeJson(field: string, value: unknown): string {
  const normalised = normalise(field, value, field, new Set());
  return JSON.stringify(normalised === undefined ? null : normalised);
}

/** Decodes JSON text written by encodeJson; null stays null. */
export function decodeJson<T = unknown>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

function normalise(field: string, value: unknown, path: string, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'undefined':
      return undefined;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidPayloadError(field, path, `${value} is not a finite number`);
      return value;
    case 'bigint':
      throw new InvalidPayloadError(field, path, `BigInt ${value}n has no JSON form; pass it as a string`);
    case 'function':
    case 'symbol':
      throw new InvalidPayloadError(field, path, `a ${typeof value} has no JSON form`);
  }
  if (value === null) return null;

  const object = value as Record<string, unknown> & { toJSON?: (key: string) => unknown };
  if (typeof object.toJSON === 'function') {
    return normalise(field, object.toJSON(path), path, ancestors);
  }
  if (ancestors.has(object)) throw new InvalidPayloadError(field, path, 'circular reference');

  ancestors.add(object);
  try {
    if (Array.isArray(object)) return normaliseArray(field, object, path, ancestors);
    const prototype = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null && !isPlainDto(object)) {
      const name = (prototype?.constructor?.name as string | undefined) ?? 'object';
      throw new InvalidPayloadError(field, path, `a ${name} has no JSON form; convert it to a plain object or array`);
    }
    const output: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      const entry = normalise(field, object[key], `${path}.${key}`, ancestors);
      if (entry !== undefined) output[key] = entry;
    }
    return output;
  } finally {
    ancestors.delete(object);
  }
}

function normaliseArray(field: string, array: unknown[], path: string, ancestors: Set<object>): unknown[] {
  return array.map((item, index) => {
    const entry = normalise(field, item, `${path}[${index}]`, ancestors);
    if (entry === undefined) {
      throw new InvalidPayloadError(field, `${path}[${index}]`, 'undefined inside an array would become null; use null');
    }
    return entry;
  });
}

/**
 * Instances of user classes (class-validator DTOs) are accepted when their own enumerable
 * properties are all they carry; Map, Set, typed arrays, RegExp and other built-ins are not.
 */
function isPlainDto(object: object): boolean {
  return !(
    object instanceof Map ||
    object instanceof Set ||
    object instanceof WeakMap ||
    object instanceof WeakSet ||
    object instanceof RegExp ||
    object instanceof Promise ||
    ArrayBuffer.isView(object) ||
    object instanceof ArrayBuffer ||
    object instanceof Error
  );
}
