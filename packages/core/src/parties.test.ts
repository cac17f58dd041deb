import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isDanishCpr,
  isDanishCvr,
  isNorwegianNationalId,
  isNorwegianOrgNumber,
  maskNationalId,
  maskNationalIdsInText,
  parseNationalId,
} from './parties.js';

const W1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const W2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
const control = (ds: number[], ws: number[]) => {
  const k = 11 - (ds.reduce((s, d, i) => s + d * (ws[i] ?? 0), 0) % 11);
  return k === 11 ? 0 : k;
};
/** Builds an id with correct control digits, or null when the remainder makes it impossible. */
function withControls(nine: string): string | null {
  const ds = Array.from(nine, Number);
  const k1 = control(ds, W1);
  if (k1 === 10) return null;
  const k2 = control([...ds, k1], W2);
  if (k2 === 10) return null;
  return `${nine}${k1}${k2}`;
}

const pad = (n: number) => String(n).padStart(2, '0');
const nineDigits = fc
  .record({
    day: fc.integer({ min: 1, max: 28 }),
    month: fc.integer({ min: 1, max: 12 }),
    year: fc.integer({ min: 0, max: 99 }),
    individual: fc.integer({ min: 0, max: 999 }),
    dNumber: fc.boolean(),
    synthetic: fc.constantFrom(0, 40, 80),
  })
  .map(
    (r) =>
      `${pad(r.day + (r.dNumber ? 40 : 0))}${pad(r.month + r.synthetic)}${pad(r.year)}${String(r.individual).padStart(3, '0')}`,
  );

describe('Norwegian national ids', () => {
  it('accepts the synthetic fixture persons', () => {
    for (const id of ['12858510129', '03917210194', '21826010301', '09899910173']) {
      expect(isNorwegianNationalId(id)).toBe(true);
      expect(parseNationalId(id)).toEqual({ kind: 'person', nationalId: id, country: 'NO' });
    }
  });

  it('accepts every id with correct control digits (fødselsnummer, D-number, synthetic)', () => {
    fc.assert(
      fc.property(nineDigits, (nine) => {
        const id = withControls(nine);
        if (id) expect(isNorwegianNationalId(id)).toBe(true);
      }),
    );
  });

  it('refuses any single-digit change of a valid id', () => {
    fc.assert(
      fc.property(nineDigits, fc.integer({ min: 9, max: 10 }), fc.integer({ min: 1, max: 9 }), (nine, pos, delta) => {
        const id = withControls(nine);
        if (!id) return;
        const changed = id.slice(0, pos) + ((Number(id[pos]) + delta) % 10) + id.slice(pos + 1);
        expect(isNorwegianNationalId(changed)).toBe(false);
      }),
    );
  });

  it('refuses impossible dates, wrong lengths and non-digits', () => {
    expect(isNorwegianNationalId('32018512345')).toBe(false);
    expect(isNorwegianNationalId('1285851012')).toBe(false);
    expect(isNorwegianNationalId('128585101290')).toBe(false);
    expect(isNorwegianNationalId('1285851012a')).toBe(false);
    expect(isNorwegianNationalId('')).toBe(false);
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^\d{11}$/.test(s)),
        (s) => {
          expect(isNorwegianNationalId(s)).toBe(false);
        },
      ),
    );
  });
});

describe('Danish CPR numbers', () => {
  it('accepts CPRs that fail modulus 11 (issued since 2007)', () => {
    expect(isDanishCpr('2211771212')).toBe(true);
    expect(isDanishCpr('0101454321')).toBe(true);
    expect(parseNationalId('2211771212')?.country).toBe('DK');
  });
  it('refuses impossible dates and wrong lengths', () => {
    expect(isDanishCpr('3213771212')).toBe(false);
    expect(isDanishCpr('0000771212')).toBe(false);
    expect(isDanishCpr('221177121')).toBe(false);
  });
});

describe('organization numbers', () => {
  it('checks Norwegian organization numbers by modulus 11', () => {
    for (const org of ['974000008', '958300018', '915000002']) expect(isNorwegianOrgNumber(org)).toBe(true);
    expect(isNorwegianOrgNumber('974000009')).toBe(false);
    expect(isNorwegianOrgNumber('074000008')).toBe(false);
  });
  it('accepts 8-digit CVR numbers', () => {
    expect(isDanishCvr('12345678')).toBe(true);
    expect(isDanishCvr('02345678')).toBe(false);
    expect(isDanishCvr('1234567')).toBe(false);
  });
});

describe('masking', () => {
  it('keeps the date part only', () => {
    expect(maskNationalId('12858510129')).toBe('128585*****');
    expect(maskNationalId('2211771212')).toBe('221177****');
  });
  it('masks every national id in free text but leaves organization numbers', () => {
    const text = 'person 12858510129 and 2211771212 at org 974000008';
    const masked = maskNationalIdsInText(text);
    expect(masked).toBe('person 128585***** and 221177**** at org 974000008');
    expect(maskNationalIdsInText('/api/v1/consents/221177-1212?x=1')).toBe('/api/v1/consents/221177-****?x=1');
    // A date and a year, or a phone number with a dash, are not ids.
    expect(maskNationalIdsInText('2026-12-04 and +47 912-34567')).toBe('2026-12-04 and +47 912-34567');
    const uuid = 'ab123456-1234-4abc-8def-123456789012';
    expect(maskNationalIdsInText(`letter ${uuid}`)).toBe(`letter ${uuid}`);
    fc.assert(
      fc.property(nineDigits, fc.string(), (nine, around) => {
        const id = withControls(nine);
        if (!id) return;
        expect(maskNationalIdsInText(`${around} ${id} ${around}`)).not.toContain(id);
      }),
    );
  });
});
