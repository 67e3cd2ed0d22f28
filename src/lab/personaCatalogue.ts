import type { Persona, PersonaName } from './persona';
import { exchangePersona } from './personas/exchange';
import { harvestPersona } from './personas/harvest';
import { openPersona } from './personas/open';
import { postfixPersona } from './personas/postfix';
import { createTarpitPersona, defaultTarpitTiming, type TarpitTiming } from './personas/tarpit';
import { trustedNetworkPersona } from './personas/trustedNetwork';

export const personaNames: readonly PersonaName[] = ['exchange', 'postfix', 'open', 'harvest', 'tarpit', 'trusted-network'];

export function isPersonaName(value: string): value is PersonaName {
  return (personaNames as readonly string[]).includes(value);
}

export function createPersona(name: PersonaName, tarpit: Partial<TarpitTiming> = {}): Persona {
  switch (name) {
    case 'exchange':
      return exchangePersona;
    case 'postfix':
      return postfixPersona;
    case 'open':
      return openPersona;
    case 'harvest':
      return harvestPersona;
    case 'tarpit':
      return createTarpitPersona({ ...defaultTarpitTiming, ...tarpit });
    case 'trusted-network':
      return trustedNetworkPersona;
  }
}
