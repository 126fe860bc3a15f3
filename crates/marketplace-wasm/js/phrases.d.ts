import type { FieldError } from './marketplace_wasm.js';

/** A phrase table: phrases by key, with `{name}` placeholders. */
export type Phrases = { readonly [key: string]: string };

/** The languages shipped (`en`, `de`), each a complete table. */
export const PHRASES: { readonly en: Phrases; readonly de: Phrases };

/** The shipped language a BCP 47 tag asks for (`de-CH`: `de`); `en` when none fits. */
export function pickLanguage(lang: string | null | undefined): 'en' | 'de';

/** Sets the language and the host's overrides (`{key: phrase}`, which win over the table);
 * returns the language chosen. */
export function setLanguage(lang: string | null | undefined, overrides?: { [key: string]: string }): 'en' | 'de';

/** The language in use. */
export function language(): 'en' | 'de';

/** Whether a key has a phrase (an override, the language's, or the English one). */
export function hasPhrase(key: string): boolean;

/** The phrase of `key` with its `{name}` placeholders filled (the override, the language's
 * phrase, the English one, else the key itself). */
export function t(key: string, params?: { [name: string]: string | number | null | undefined }): string;

/** The phrase of an enumerated wire value (`valueLabel('status', 'active')`), else the value as sent. */
export function valueLabel(prefix: string, value: string): string;

/** A timestamp as a date and time of the current language (text that is no date, as it is). */
export function formatDate(value: string | Date | null | undefined): string;

/** A number in the current language's notation. */
export function formatNumber(value: number): string;

/** An exact amount (decimal text, `"29.00"`) in an ISO 4217 currency, in the current language. */
export function formatMoney(amount: string, currency: string): string;

/** A field error phrased from its `code` and the bounds of its variable (the spec's), in the
 * current language; the service's message for a code the table lacks. */
export function fieldErrorText(error: FieldError, variable?: { type?: string; min?: number | string; max?: number | string;
  min_length?: number; max_length?: number; pattern?: string; options?: string[] } | null): string;

/** An API error's text: the phrase of its problem `code`, else its message. */
export function problemText(error: { code?: string; message?: string } | null | undefined): string;
