/** Security levels as ID-porten names them (eIDAS substantial / high; NSIS for MitID). */
export type AuthLevel = 'substantial' | 'high';

export const acrValues = {
  substantial: 'idporten-loa-substantial',
  high: 'idporten-loa-high',
} as const satisfies Record<AuthLevel, string>;

const rank: Record<AuthLevel, number> = { substantial: 1, high: 2 };

/** Maps an `acr` claim to a level; unknown values give null (treated as not logged in). */
export function authLevelFromAcr(acr: unknown): AuthLevel | null {
  switch (acr) {
    case 'idporten-loa-substantial':
    case 'Level3':
    case 'https://data.gov.dk/concept/core/nsis/loa/Substantial':
      return 'substantial';
    case 'idporten-loa-high':
    case 'Level4':
    case 'https://data.gov.dk/concept/core/nsis/loa/High':
      return 'high';
    default:
      return null;
  }
}

export function satisfiesLevel(have: AuthLevel, need: AuthLevel): boolean {
  return rank[have] >= rank[need];
}
