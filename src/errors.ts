// Argument checks at the TypeScript boundary: every kernel trusts what passes these.

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length ?? value.byteLength})`;
  }
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  if (typeof value === 'number') return `number ${value}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value;
}

export function isDetached(array: ArrayBufferView | ArrayBuffer): boolean {
  const buffer = (array instanceof ArrayBuffer ? array : array.buffer) as ArrayBuffer & { detached?: boolean };
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer); // throws on a detached buffer where `detached` is missing (Node 20)
    return false;
  } catch {
    return true;
  }
}

export function checkFloat32Array(where: string, name: string, value: unknown): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) {
    throw new TypeError(`${where}: ${name} must be a Tensor or a Float32Array, got ${describe(value)}`);
  }
  if (isDetached(value)) {
    throw new TypeError(`${where}: ${name} is a Float32Array whose ArrayBuffer is detached`);
  }
}

export function checkLength(where: string, name: string, actual: number, expected: number, of: string): void {
  if (actual !== expected) {
    throw new RangeError(`${where}: ${name} has length ${actual}, expected ${expected} (${of})`);
  }
}

export function checkNumber(where: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${where}: ${name} must be a number, got ${describe(value)}`);
  }
}

export function checkInteger(where: string, name: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${where}: ${name} must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${where}: ${name} must be between ${min} and ${max}, got ${value}`);
  }
}
