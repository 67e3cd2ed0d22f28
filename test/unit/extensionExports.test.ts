/**
 * activate() hands out the LabContext, which reaches SecretStorage, only in test mode: in production (and
 * in development) the extension's exports are empty, so another extension cannot read the SMTP passwords
 * through them. Plain node: the real activate() runs against a stand-in `vscode` module that answers every
 * call with another stand-in, and a context whose only real fields are the mode and the subscriptions.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';

const extensionMode = { Production: 1, Development: 2, Test: 3 } as const;

/** Anything: callable, constructible, every property another stand-in; never a promise, iterates as empty. */
function standIn(): unknown {
  const properties = new Map<PropertyKey, unknown>();
  return new Proxy(function standInFunction() {}, {
    get(target, property) {
      if (property === 'then') {
        return undefined;
      }
      if (property === Symbol.iterator) {
        return function* () {};
      }
      if (property === Symbol.toPrimitive) {
        return () => '';
      }
      if (property === 'prototype') {
        return target.prototype;
      }
      if (!properties.has(property)) {
        properties.set(property, standIn());
      }
      return properties.get(property);
    },
    set(_target, property, value) {
      properties.set(property, value);
      return true;
    },
    apply: () => standIn(),
    construct: () => standIn() as object,
  });
}

/** What activate() reported it could not start ("SMTP Relay Lab could not start …"). */
const errorsShown: string[] = [];
const fakeWindow = new Proxy({} as Record<PropertyKey, unknown>, {
  get(known, property) {
    if (property === 'showErrorMessage') {
      return async (message: string) => {
        errorsShown.push(message);
        return undefined;
      };
    }
    if (!(property in known)) {
      known[property] = standIn();
    }
    return known[property];
  },
});

const fakeVscode = new Proxy({ ExtensionMode: extensionMode, window: fakeWindow } as Record<PropertyKey, unknown>, {
  get(known, property) {
    if (!(property in known)) {
      known[property] = standIn();
    }
    return known[property];
  },
});

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: Loader };
const realLoad = moduleInternals._load;
moduleInternals._load = (request, parent, isMain) => (request === 'vscode' ? fakeVscode : realLoad(request, parent, isMain));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const extension = require('../../src/extension/extension') as typeof import('../../src/extension/extension');

function contextIn(mode: number): { extensionMode: number; subscriptions: Array<{ dispose(): unknown }> } {
  const fields: Record<PropertyKey, unknown> = { extensionMode: mode, subscriptions: [] };
  return new Proxy(fields, {
    get: (known, property) => (property in known ? known[property] : ((known[property] = standIn()), known[property])),
  }) as { extensionMode: number; subscriptions: Array<{ dispose(): unknown }> };
}

describe('what activate() exports', () => {
  after(() => {
    moduleInternals._load = realLoad;
  });

  for (const [mode, value] of [
    ['production', extensionMode.Production],
    ['development', extensionMode.Development],
  ] as const) {
    test(`in ${mode} mode: nothing, so no other extension reaches SecretStorage through the exports`, () => {
      const context = contextIn(value);
      const exported = extension.activate(context as never);
      assert.equal(exported, undefined);
      assert.deepEqual(errorsShown.splice(0), [], 'every feature started, so the undefined is the mode\'s doing');
      assert.ok(context.subscriptions.length > 0, 'activate() did run: it registered its resources');
    });
  }

  test('in test mode: the LabContext, the in-VS-Code suite\'s handle', () => {
    const exported = extension.activate(contextIn(extensionMode.Test) as never);
    assert.deepEqual(errorsShown.splice(0), []);
    assert.ok(exported, 'the suite gets its handle');
    assert.equal(typeof exported.register, 'function');
    assert.ok('passwords' in exported, 'and through it the passwords, which is why only tests get it');
  });
});
