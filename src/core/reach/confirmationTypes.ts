/** What confirmation by delivery found for one test (reach/deliveryConfirmation.ts); no imports, so relayTypes.ts can name it. */
export type ConfirmationResult = 'relayed' | 'bounced' | 'none';

export interface DeliveryConfirmation {
  method: 'catcher' | 'imap' | 'lab-outbox';
  token: string;
  result: ConfirmationResult;
  /** The Received/Message-ID lines of the relayed copy, or the NDR's status lines; what was waited for when none. */
  evidence: string;
  /** When the copy or NDR arrived (ms since the epoch). */
  arrivedAt?: number;
  /** From the token's test to the arrival. */
  afterMs?: number;
}
