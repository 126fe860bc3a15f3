// `rules()` for the iframe page and its form (`form.js`): core's data (connection inputs, the
// masked placeholder, theme names, accent pattern), which the service writes into the page as
// JSON (`<script type="application/json" id="marketplace-rules">`), since the page cannot load
// the WebAssembly module. The npm package has its own `rules.js`, reading the module.

let data = null;

/** Core's data for forms and pages, as the service wrote it into the page. */
export const rules = () => (data ??= JSON.parse(document.getElementById('marketplace-rules').textContent));
