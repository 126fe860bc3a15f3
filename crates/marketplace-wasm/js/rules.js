// `rules()` for the package's form (`form.js`): core's data (connection inputs, the masked
// placeholder, theme names, accent pattern) from the WebAssembly module, read once. The
// service's iframe page has its own `rules.js`, which reads the same data from the page.
import { rules as fromModule } from './marketplace_wasm.js';

let data = null;

/** Core's data for forms and pages (the WebAssembly module must be initialised). */
export const rules = () => (data ??= fromModule());
