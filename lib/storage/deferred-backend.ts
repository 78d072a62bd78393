/**
 * Returns a stand-in for an object that does not exist yet. Each method call waits for
 * `resolve(method)`, then runs on the object it returns, and rejects when `resolve` rejects.
 * The storage uses it for its backend while it connects in the background. It is a Proxy so
 * that it forwards every method of the backend interface, including ones added later.
 * Every method of T must return a promise, because the stand-in's methods always do.
 */
export function deferMethods<T extends object>(resolve: (method: string) => Promise<T>): T {
  return new Proxy({} as T, {
    get(_target, name) {
      // A `then` method would make `await stand-in` treat it as a promise.
      if (name === 'then') return undefined;
      return async (...args: unknown[]) => {
        const target = await resolve(String(name));
        const method = (target as Record<PropertyKey, unknown>)[name];
        if (typeof method !== 'function') throw new TypeError(`The storage backend has no method ${String(name)}`);
        return method.apply(target, args);
      };
    },
  });
}
