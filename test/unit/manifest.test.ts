import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  commandCategory,
  commandIds,
  contextKeys,
  languageIds,
  restrictedSettingKeys,
  settingKeys,
  terminalProfileId,
  testResultContextKey,
  walkthroughId,
} from '../../src/extension/ids';
import type { PersonaName } from '../../src/lab/persona';
import { createPersona, personaNames } from '../../src/lab/personaCatalogue';
import {
  addressForms,
  diagnosticsLevels,
  keepRecentRange,
  relayTestSelections,
  settingDefaults,
  timeoutSecondsRange,
} from '../../src/extension/settingValues';
import { practicePersonas, tlsModes } from '../../src/extension/target';

// Compiled to out/test/unit: the repository root is three levels up.
const root = path.resolve(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const contributes = manifest.contributes;

interface CommandContribution {
  command: string;
  title: string;
  category?: string;
}
interface WalkthroughStep {
  id: string;
  description: string;
  media: { markdown?: string; svg?: string; image?: string | Record<string, string> };
  completionEvents?: string[];
}

const contributedCommands: CommandContribution[] = contributes.commands;
const contributedCommandIds = new Set(contributedCommands.map((command) => command.command));
const walkthrough = contributes.walkthroughs.find((candidate: { id: string }) => candidate.id === walkthroughId);
const steps: WalkthroughStep[] = walkthrough?.steps ?? [];
const properties: Record<string, { default?: unknown; enum?: unknown[]; enumDescriptions?: string[]; minimum?: number; maximum?: number; scope?: string }> =
  contributes.configuration.properties;

/** Every `command:` link in a walkthrough step, with its decoded arguments. */
function commandLinks(markdown: string): { id: string; args: unknown }[] {
  return [...markdown.matchAll(/\(command:([\w.]+)(?:\?([^)\s]*))?\)/g)].map((match) => ({
    id: match[1],
    args: match[2] === undefined ? undefined : JSON.parse(decodeURIComponent(match[2])),
  }));
}

function whenClauses(): string[] {
  const menus: Record<string, { when?: string }[]> = contributes.menus ?? {};
  return Object.values(menus).flatMap((items) => items.map((item) => item.when ?? ''));
}

describe('package.json commands', () => {
  test('every command carries the "SMTP" category', () => {
    const uncategorised = contributedCommands.filter((command) => command.category !== commandCategory);
    assert.deepEqual(uncategorised.map((command) => command.command), []);
  });

  test('the contributed commands are exactly the ids in ids.ts', () => {
    assert.deepEqual([...contributedCommandIds].sort(), Object.values(commandIds).sort());
  });

  test('every menu entry names a contributed command', () => {
    const menus: Record<string, { command: string }[]> = contributes.menus;
    for (const [menu, items] of Object.entries(menus)) {
      for (const item of items) {
        assert.ok(contributedCommandIds.has(item.command), `${menu} names unknown command ${item.command}`);
      }
    }
  });

  test('Send Block, which needs the block it is invoked on, is hidden from the command palette', () => {
    const entry = contributes.menus.commandPalette.find((item: { command: string }) => item.command === commandIds.sendBlock);
    assert.equal(entry?.when, 'false');
  });

  test('every context key used in a when clause is declared in ids.ts', () => {
    const declared = new Set<string>(Object.values(contextKeys));
    const used = whenClauses().flatMap((when) => when.match(/smtpRelayLab\.[\w.]+/g) ?? []);
    assert.deepEqual(used.filter((key) => !declared.has(key)), []);
  });
});

describe('package.json settings', () => {
  test('targets and confirmByDelivery are window-scoped: the Settings UI shows them in the User tab, also in a remote window', () => {
    for (const key of [settingKeys.targets, settingKeys.confirmByDelivery]) {
      assert.equal(properties[key]?.scope, 'window', key);
    }
  });

  test('the targets description names SMTP: Add Target, which writes the list the Settings UI cannot edit', () => {
    const description = (properties[settingKeys.targets] as { markdownDescription?: string }).markdownDescription ?? '';
    assert.match(description, /SMTP: Add Target/);
  });
});

describe('package.json walkthrough', () => {
  test('the walkthrough id matches ids.ts', () => {
    assert.ok(walkthrough, `no walkthrough with id ${walkthroughId}`);
  });

  test('every command linked from a step exists', () => {
    const links = steps.flatMap((step) => commandLinks(step.description));
    assert.ok(links.length >= 10, 'expected at least one button per step');
    assert.deepEqual(links.map((link) => link.id).filter((id) => !contributedCommandIds.has(id)), []);
  });

  test('every onCommand completion event names a contributed command', () => {
    const events = steps.flatMap((step) => step.completionEvents ?? []);
    const unknown = events
      .filter((event) => event.startsWith('onCommand:'))
      .map((event) => event.slice('onCommand:'.length))
      .filter((id) => !contributedCommandIds.has(id));
    assert.deepEqual(unknown, []);
  });

  test('there is one step per KB test, whose button runs that test with its id as a URL-encoded JSON argument', () => {
    const relayButtons = steps
      .flatMap((step) => commandLinks(step.description))
      .filter((link) => link.id === commandIds.runRelayTest)
      .map((link) => link.args);
    assert.deepEqual(relayButtons, [['control'], ['kb1'], ['kb2'], ['kb3'], ['kb4'], ['kb5'], ['kb6'], ['kb7']]);
  });

  test('the control step comes before test 1, and the verdict step after test 7', () => {
    const ids = steps.map((step) => step.id);
    assert.ok(ids.indexOf('control') >= 0 && ids.indexOf('control') < ids.indexOf('kb1'), ids.join(', '));
    assert.ok(ids.indexOf('verdict') > ids.indexOf('kb7'), ids.join(', '));
  });

  test('each relay-test step completes on its own test\'s result, not on any run of Run Relay Test', () => {
    for (const step of steps.filter((candidate) => candidate.id === 'control' || /^kb\d$/.test(candidate.id))) {
      assert.deepEqual(step.completionEvents, [`onContext:${testResultContextKey(step.id)}`], step.id);
    }
  });

  test('the pages show the sender the session really sends: the local user postmaster, as the practice target uses', () => {
    for (const step of steps.filter((candidate) => candidate.media.markdown)) {
      const page = readFileSync(path.join(root, step.media.markdown ?? ''), 'utf8');
      assert.doesNotMatch(page, /<admin[@>]/, step.id);
    }
  });

  test('each KB step page says what the test sends', () => {
    for (const step of steps.filter((candidate) => /^kb\d$/.test(candidate.id))) {
      const page = readFileSync(path.join(root, step.media.markdown ?? ''), 'utf8');
      assert.match(page, /MAIL FROM:/, step.id);
      assert.match(page, /RCPT TO:/, step.id);
    }
  });

  test('the pages of tests 6 and 7 explain NDR-pending', () => {
    for (const id of ['kb6', 'kb7']) {
      const step = steps.find((candidate) => candidate.id === id);
      const page = readFileSync(path.join(root, step?.media.markdown ?? ''), 'utf8');
      assert.match(page, /NDR-pending/, id);
    }
  });

  test('walkthrough SVGs take their colours from the theme, through attributes the webview CSP lets through', () => {
    for (const step of steps.filter((candidate) => candidate.media.svg)) {
      const svg = readFileSync(path.join(root, step.media.svg!), 'utf8');
      assert.match(svg, /fill="var\(--vscode-/, step.media.svg);
      // The walkthrough renders SVGs in a webview whose CSP only admits nonce'd styles: <style> and style="" are dropped.
      assert.doesNotMatch(svg, /<style|style="/, step.media.svg);
    }
  });
});

describe('package.json files', () => {
  test('every file the manifest points to exists', () => {
    const paths: string[] = [manifest.icon];
    for (const step of steps) {
      paths.push(...[step.media.markdown, step.media.svg].filter((file): file is string => file !== undefined));
      if (typeof step.media.image === 'string') {
        paths.push(step.media.image);
      }
    }
    for (const language of contributes.languages) {
      if (language.configuration) {
        paths.push(language.configuration);
      }
    }
    for (const grammar of contributes.grammars) {
      paths.push(grammar.path);
    }
    assert.deepEqual(paths.filter((file) => !existsSync(path.join(root, file))), []);
  });

  test('the icon is a 128x128 PNG', () => {
    const png = readFileSync(path.join(root, manifest.icon));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(png.readUInt32BE(16), 128);
    assert.equal(png.readUInt32BE(20), 128);
  });

  test('every grammar is valid JSON and declares the scopeName the manifest gives it', () => {
    for (const grammar of contributes.grammars) {
      const parsed = JSON.parse(readFileSync(path.join(root, grammar.path), 'utf8'));
      assert.equal(parsed.scopeName, grammar.scopeName, grammar.path);
      assert.ok(Array.isArray(parsed.patterns) && parsed.patterns.length > 0, grammar.path);
    }
  });

  test('every grammar rule a pattern includes is defined in its repository', () => {
    for (const grammar of contributes.grammars) {
      const text = readFileSync(path.join(root, grammar.path), 'utf8');
      const repository = Object.keys(JSON.parse(text).repository ?? {});
      const included = [...text.matchAll(/"include": "#([\w-]+)"/g)].map((match) => match[1]);
      assert.deepEqual(included.filter((name) => !repository.includes(name)), [], grammar.path);
    }
  });

  test('the .smtp language configuration declares # line comments', () => {
    const smtp = contributes.languages.find((language: { id: string }) => language.id === languageIds.smtp);
    const configuration = JSON.parse(readFileSync(path.join(root, smtp.configuration), 'utf8'));
    assert.equal(configuration.comments.lineComment, '#');
  });
});

describe('package.json languages, terminal profile and trust', () => {
  test('the languages and their grammars use the ids of ids.ts', () => {
    const ids = Object.values(languageIds).sort();
    assert.deepEqual(contributes.languages.map((language: { id: string }) => language.id).sort(), ids);
    assert.deepEqual(contributes.grammars.map((grammar: { language: string }) => grammar.language).sort(), ids);
  });

  test('the session terminal profile uses the id of ids.ts', () => {
    assert.deepEqual(contributes.terminal.profiles.map((profile: { id: string }) => profile.id), [terminalProfileId]);
  });

  test('activation comes from the contributions, plus the Testing view (a TestController exists only once activated)', () => {
    assert.deepEqual(manifest.activationEvents ?? [], ['onView:workbench.view.testing']);
  });

  test('untrusted workspaces are supported in a limited way, with the restricted settings of ids.ts', () => {
    const trust = manifest.capabilities.untrustedWorkspaces;
    assert.equal(trust.supported, 'limited');
    assert.ok(trust.description.length > 0);
    assert.deepEqual([...trust.restrictedConfigurations].sort(), [...restrictedSettingKeys].sort());
  });
});

describe('package.json settings', () => {
  test('the declared settings are exactly the keys of ids.ts', () => {
    assert.deepEqual(Object.keys(properties).sort(), Object.values(settingKeys).sort());
  });

  test('every default matches the one the code falls back to', () => {
    for (const [shortKey, expected] of Object.entries(settingDefaults)) {
      assert.deepEqual(properties[`smtpRelayLab.${shortKey}`]?.default, expected, shortKey);
    }
  });

  test('enumerations match the values the code accepts', () => {
    assert.deepEqual(properties[settingKeys.diagnosticsLevel].enum, [...diagnosticsLevels]);
    assert.deepEqual(properties[settingKeys.relayTests].enum, [...relayTestSelections]);
    assert.deepEqual(properties[settingKeys.addressForm].enum, [...addressForms]);
    assert.deepEqual(properties[settingKeys.practicePersona].enum, [...practicePersonas]);
    const targetProperties = (contributes.configuration.properties[settingKeys.targets] as { items: { properties: Record<string, { enum?: string[] }> } }).items.properties;
    assert.deepEqual(targetProperties.tls.enum, [...tlsModes]);
  });

  test('number ranges match the ones the code clamps to', () => {
    for (const key of [settingKeys.connectSeconds, settingKeys.greetingSeconds, settingKeys.replySeconds]) {
      assert.equal(properties[key].minimum, timeoutSecondsRange.min, key);
      assert.equal(properties[key].maximum, timeoutSecondsRange.max, key);
    }
    assert.equal(properties[settingKeys.keepRecentTranscripts].minimum, keepRecentRange.min);
    assert.equal(properties[settingKeys.keepRecentTranscripts].maximum, keepRecentRange.max);
  });

  test('confirmByDelivery is off by default and warns that it sends DATA', () => {
    const setting = contributes.configuration.properties[settingKeys.confirmByDelivery];
    assert.equal(setting.default, false);
    assert.match(setting.markdownDescription, /DATA/);
  });
});

describe('practice personas in the manifest', () => {
  test('the persona setting offers exactly the lab personas, each described as the lab describes it', () => {
    const setting = properties['smtpRelayLab.practiceServer.persona'];
    assert.deepEqual(setting.enum, [...personaNames]);
    personaNames.forEach((name: PersonaName, index: number) => {
      const lab = createPersona(name).summary;
      const described = setting.enumDescriptions?.[index] ?? '';
      // The lab's tarpit summary ends with its configurable timing; the manifest keeps the sentence before it.
      assert.ok(lab.startsWith(described.replace(/\.$/, '')), `${name}: "${described}" vs "${lab}"`);
    });
  });
});

describe('the asClient field of smtpRelayLab.targets', () => {
  test('its pattern lets IP literals through and flags host names, as the settings editor shows it', () => {
    const targets = properties['smtpRelayLab.targets'] as unknown as { items: { properties: Record<string, { pattern: string; markdownDescription: string }> } };
    const asClient = targets.items.properties.asClient;
    const pattern = new RegExp(asClient.pattern);
    for (const address of ['203.0.113.9', '2001:db8::9', '[2001:db8::9]', '::1']) {
      assert.ok(pattern.test(address), address);
    }
    for (const text of ['mail.example.com', '203.0.113.9 NAME=x', '', 'localhost']) {
      assert.ok(!pattern.test(text), text);
    }
    assert.match(asClient.markdownDescription, /XCLIENT/);
    assert.match(asClient.markdownDescription, /smtpd_authorized_xclient_hosts/);
  });
});
