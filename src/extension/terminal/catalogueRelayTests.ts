/**
 * The real relay catalogue and runner behind the terminal's /tests and /test: the same definitions and
 * the same outcome rules as the CLI and the Test Explorer, run inside the user's own session.
 */
import { relayCatalogue, selectRelayTests, UnknownRelayTestError } from '../../core/relay/relayCatalogue';
import type { ControlState } from '../../core/relay/relayOutcome';
import { acceptedSenderOf, controlStateOf, runRelayTestInSession } from '../../core/relay/relayRunner';
import type { DeliveryEvidence, RelayTestResult } from '../../core/relay/relayTypes';
import type { SessionRelayTests } from './sessionTestRunner';

/** The selection words selectRelayTests understands besides test ids. */
const selectionGroups = ['kb', 'extended', 'all'] as const;

export interface CatalogueRelayTestsOptions {
  /** Read before each /test: only when the user turned it on is DATA sent to confirm NDR-pending results. */
  confirmByDelivery: () => boolean;
  /**
   * Asked before a /test run that would send DATA (confirmByDelivery on): the modal that names the server.
   * Without it, or when it says no, the run sends no DATA.
   */
  consentToData?: () => Promise<boolean>;
  /**
   * When the session is the practice server: what its outbox holds for a test's message. Delivery there is
   * safe, so what the replies cannot prove is confirmed by delivery, as in the CLI's `relay --lab`.
   */
  practiceDeliveryEvidence?: () => ((test: { id: string }) => DeliveryEvidence | undefined) | undefined;
}

/**
 * The control's result counts for the tests run after it in the same terminal, as it does in a suite run:
 * a refused control makes later refusals inconclusive.
 */
export class CatalogueRelayTests implements SessionRelayTests {
  readonly tests = relayCatalogue;
  readonly groups = selectionGroups;
  private control: ControlState = 'not-run';
  /** The first sender this terminal's tests got accepted (the control's): refused sender forms retry their recipient with it. */
  private acceptedSender: string | undefined;

  /** Settled by beforeRun for the /test run under way: DATA only when the setting is on and the user said yes. */
  private sendData = false;

  constructor(private readonly options: CatalogueRelayTestsOptions) {}

  async beforeRun(): Promise<string | undefined> {
    this.sendData = false;
    if (!this.options.confirmByDelivery()) {
      return undefined;
    }
    this.sendData = (await this.options.consentToData?.()) ?? false;
    return this.sendData ? undefined : 'relay.confirmByDelivery is on, but sending DATA was not confirmed: this run sends no DATA.';
  }

  select(selectors: readonly string[]): { tests: ReturnType<typeof selectRelayTests>; unknown: string[] } {
    try {
      return { tests: selectRelayTests(selectors.join(',')), unknown: [] };
    } catch (error) {
      if (error instanceof UnknownRelayTestError) {
        return { tests: [], unknown: error.unknownIds };
      }
      throw error;
    }
  }

  async run(...[session, test, parameters]: Parameters<SessionRelayTests['run']>): Promise<RelayTestResult> {
    const practiceEvidence = this.options.practiceDeliveryEvidence?.();
    const result = await runRelayTestInSession(session, test, parameters, {
      control: this.control,
      confirmByDelivery: this.sendData,
      ...(this.acceptedSender === undefined ? {} : { acceptedSender: this.acceptedSender }),
      ...(practiceEvidence ? { confirmUnprovenByDelivery: true, deliveryEvidence: practiceEvidence } : {}),
    });
    if (test.group === 'control') {
      this.control = controlStateOf(result);
    }
    this.acceptedSender ??= acceptedSenderOf(result.replies);
    return result;
  }
}
