/** xs:dateTime (with a required time zone) and xs:date checks, with real calendar dates. */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(Z|[+-](\d{2}):(\d{2}))?$/;

function validCalendar(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const last = new Date(0);
  last.setUTCFullYear(y, m, 0); // day 0 of the next month: the last day of month m (years < 100 too)
  return d <= last.getUTCDate();
}

function validOffset(h: string | undefined, m: string | undefined): boolean {
  return h === undefined || (Number(h) <= 14 && Number(m) <= 59);
}

export function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [, y, mo, d, h, mi, s, , , oh, om] = m;
  return (
    validCalendar(Number(y), Number(mo), Number(d)) &&
    Number(h) <= 23 &&
    Number(mi) <= 59 &&
    Number(s) <= 59 &&
    validOffset(oh, om)
  );
}

export function isDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const [, y, mo, d, , oh, om] = m;
  return validCalendar(Number(y), Number(mo), Number(d)) && validOffset(oh, om);
}
