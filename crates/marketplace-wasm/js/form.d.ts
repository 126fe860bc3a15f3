import type { ConfigSpec, ConfigValues, FieldError } from './marketplace_wasm.js';

/** Options of `renderConfigForm`. */
export interface ConfigFormOptions {
  /** Values to pre-fill (secrets masked as `{"set": true}` stay unchanged unless typed). */
  values?: ConfigValues;
  /** Called with a variable's key when its control changes. */
  onChange?: (key: string) => void;
}

/** A rendered form. */
export interface ConfigForm {
  /** The values typed, by key (empty fields left out). */
  read(): ConfigValues;
  /** Shows field errors inline and turns to the first page with one; returns their count. */
  showErrors(errors: FieldError[]): number;
  /** Shows page `index` (0-based). */
  showPage(index: number): void;
}

/** Renders a spec's pages into `container`, one page at a time, with labelled controls. */
export function renderConfigForm(container: HTMLElement, spec: ConfigSpec, options?: ConfigFormOptions): ConfigForm;
