//! The React host example (`examples/react-host`): its npm packages (React, esbuild) pinned by its
//! own `package-lock.json` and installed with `npm ci` into `target/react-host`, and its bundle
//! built with esbuild into `examples/react-host/dist/` (ignored by git), which the demo host
//! serves at `/react-host/`. The npm package of the marketplace stays outside the bundle
//! (`marketplace-wasm`, mapped to the demo host's `/pkg/` by the page's import map), as does
//! `/demo/config.js`.

use std::process::Command;

use crate::cmd::{self, Result};
use crate::npm;

/// The example's npm packages.
const TOOLS: npm::Tools = npm::Tools {
    source: "examples/react-host",
    target: "target/react-host",
    programs: &["esbuild"],
};

/// The example's folder, relative to the workspace root.
const DIR: &str = "examples/react-host";

/// Installs the example's packages when needed and bundles `src/main.jsx` into `dist/app.js`.
pub(crate) fn build() -> Result {
    let root = cmd::workspace_root();
    let bin = npm::ensure_tools(&root, &TOOLS)?;
    let dir = root.join(DIR);
    cmd::run(
        Command::new(bin.join("esbuild"))
            .arg(dir.join("src").join("main.jsx"))
            .args([
                "--bundle",
                "--format=esm",
                "--target=es2022",
                "--jsx=automatic",
                "--minify",
                "--sourcemap",
                "--define:process.env.NODE_ENV=\"production\"",
                "--external:marketplace-wasm",
                "--external:/demo/*",
                "--log-level=warning",
            ])
            .arg(format!(
                "--outfile={}",
                dir.join("dist").join("app.js").display()
            ))
            // The packages are installed under `target/`, not beside the sources.
            .env("NODE_PATH", root.join(TOOLS.target).join("node_modules")),
    )
}
