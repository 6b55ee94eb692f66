/**
 * @module Cron expressions and IANA time zones of schedules: validation with a message that says
 * what is wrong and how to write it, and the next fire time in the schedule's time zone
 * (cron-parser, which follows the zone's DST rules).
 */
import { CronExpressionParser } from 'cron-parser';

/** Standard macros, rewritten to their five-field form. */
const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Month and weekday names, removed before looking for `H`. */
const NAMES = /\b(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|MON|TUE|WED|THU|FRI|SAT|SUN)\b/gi;

const FORMAT_HINT =
  'Use five fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5" (09:00 on weekdays), or @hourly, @daily, @weekly, @monthly, @yearly';

/** The five-field form of an expression (macros expanded, whitespace normalised). */
function normalise(expr: string): string {
  const trimmed = expr.trim();
  return MACROS[trimmed.toLowerCase()] ?? trimmed.split(/\s+/).join(' ');
}

/**
 * Checks a cron expression.
 * @returns null when valid, else a message for a 422 answer
 * @example cronError('61 * * * *') // 'Invalid cron expression: 61 * * * * (…). Use five fields: …'
 */
export function cronError(expr: string): string | null {
  const normalised = normalise(expr);
  const fields = normalised.length === 0 ? [] : normalised.split(' ');
  let reason: string | null = null;
  if (fields.length !== 5) reason = `${fields.length} field${fields.length === 1 ? '' : 's'} instead of 5`;
  // `H` picks a random value per parse: two instances would disagree on the fire time.
  else if (fields.some((f) => /H/i.test(f.replace(NAMES, ''))))
    reason = 'the random "H" value is not supported';
  else {
    try {
      CronExpressionParser.parse(`0 ${normalised}`, { tz: 'UTC', strict: false }).next();
    } catch (e) {
      reason = (e as Error).message;
    }
  }
  return reason === null ? null : `Invalid cron expression: ${expr} (${reason}). ${FORMAT_HINT}`;
}

/**
 * Checks an IANA time zone name.
 * @returns null when valid, else a message for a 422 answer
 */
export function timezoneError(timezone: string): string | null {
  let ok = timezone.length > 0 && timezone.trim() === timezone;
  if (ok) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
      CronExpressionParser.parse('0 0 0 * * *', { tz: timezone }).next();
    } catch {
      ok = false;
    }
  }
  return ok
    ? null
    : `Invalid timezone: ${timezone}. Use an IANA time zone name such as "UTC", "Europe/Berlin" or "America/New_York"`;
}

/**
 * The first fire time strictly after `after`, in the schedule's time zone.
 * @throws {Error} when the expression or zone is invalid (validate first)
 * @example nextRunAt('0 9 * * *', 'Europe/Berlin', new Date('2027-01-15T08:00:00Z')) // 2027-01-16T08:00:00Z
 */
export function nextRunAt(expr: string, timezone: string, after: Date): Date {
  // A leading seconds field of 0, so that fire times are whole minutes.
  const interval = CronExpressionParser.parse(`0 ${normalise(expr)}`, {
    tz: timezone,
    currentDate: after,
    strict: false,
  });
  return interval.next().toDate();
}
