import type { Browser } from 'playwright-core';
import { CodeServerHost } from '../host/codeServerHost';
import { launchHeadlessChromium } from '../host/headlessChromium';
import { assertExtensionBuilt, repoRoot } from '../host/repoPaths';
import { Workbench } from './workbench';

/**
 * User settings of the UI session. The terminal's GPU renderer draws on a canvas; the DOM renderer writes
 * rows of text that a test can read. The rest keeps the first screen free of pop-ups nobody asked for.
 */
const uiUserSettings = {
  'terminal.integrated.gpuAcceleration': 'off',
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  // code-server's notice that some keybindings skip the terminal would cover the screenshots.
  'terminal.integrated.showTerminalConfigPrompt': false,
  // Other listeners on this machine (test servers) would fill the Ports view and raise notifications.
  'remote.autoForwardPorts': false,
};

/**
 * code-server with the extension installed for this session only (the repository linked into a throwaway
 * extensions dir, as an installed extension, not a development one), and one browser page on it.
 */
export class UiSession {
  private constructor(
    private readonly host: CodeServerHost,
    private readonly browser: Browser,
    readonly workbench: Workbench,
  ) {}

  static async start(): Promise<UiSession> {
    assertExtensionBuilt();
    const host = await CodeServerHost.start({ extensionFolders: [repoRoot], userSettings: uiUserSettings });
    try {
      const browser = await launchHeadlessChromium();
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      const workbench = new Workbench(page);
      await workbench.open(host.workbenchUrl());
      return new UiSession(host, browser, workbench);
    } catch (error) {
      await host.stop();
      throw error;
    }
  }

  /** The folder the workbench has open; files written here show up in Quick Open and the Explorer. */
  get workspaceFolder(): string {
    return this.host.workspaceFolder;
  }

  async stop(): Promise<void> {
    await this.browser.close();
    await this.host.stop();
  }
}
