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
  /** Shows field errors inline and turns to the first page with one; returns their count.
   * With `prefix` (`/config`), paths into a request body (a 422's) are read relative to it. */
  showErrors(errors: FieldError[], options?: { prefix?: string }): number;
  /** Shows page `index` (0-based). */
  showPage(index: number): void;
}

/** Renders a spec's pages into `container`, one page at a time, with labelled controls. The
 * connection inputs and the masked placeholder are core's (`rules()`): in a browser, initialise
 * the WebAssembly module (the default export) first. */
export function renderConfigForm(container: HTMLElement, spec: ConfigSpec, options?: ConfigFormOptions): ConfigForm;

/** Attributes of `h`: `on<event>` listeners, `text`, properties and attributes. */
export type ElementAttributes = { [name: string]: string | number | boolean | null | undefined | ((event: Event) => void) };

/** A child of `h`: a node, a string, nothing, or an array of them. */
export type ElementChild = Node | string | null | undefined | ElementChild[];

/** A DOM element with attributes, listeners and children (the form's own builder). */
export function h(tag: string, attributes?: ElementAttributes, ...children: ElementChild[]): HTMLElement;
