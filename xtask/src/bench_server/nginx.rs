//! The yardstick: Debian's nginx serving a static file, with its own minimal configuration in
//! the benchmark's folder (in the foreground, workers = cores, no access log), so that it
//! touches nothing of the system's nginx.

use std::path::Path;
use std::process::Command;

use crate::cmd::Result;

use super::process::Process;

/// Debian's nginx.
const NGINX: &str = "/usr/sbin/nginx";

/// The configuration: `path` (a URL path) is answered with the file `www/<path>` of `dir` as
/// `application/json`, on 127.0.0.1:`port`.
pub(crate) fn config(dir: &Path, port: u16, root_user: bool) -> String {
    let dir = dir.display();
    // As root, nginx's workers run as `nobody`: the folder is world-readable (mode 0755).
    let user = if root_user {
        "user nobody nogroup;\n"
    } else {
        ""
    };
    format!(
        "# Written by `cargo xtask bench-server`.
{user}daemon off;
master_process on;
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    client_body_temp_path {dir}/nginx-temp/body;
    proxy_temp_path {dir}/nginx-temp/proxy;
    fastcgi_temp_path {dir}/nginx-temp/fastcgi;
    uwsgi_temp_path {dir}/nginx-temp/uwsgi;
    scgi_temp_path {dir}/nginx-temp/scgi;
    default_type application/json;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
    }}
}}
"
    )
}

/// Writes the configuration and the file `body` served at `path`, then starts nginx and waits
/// for its port.
pub(crate) fn start(dir: &Path, port: u16, path: &str, body: &[u8]) -> Result<Process> {
    let file = dir.join("www").join(path.trim_start_matches('/'));
    let write = |file: &Path, contents: &[u8]| -> Result {
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(file, contents).map_err(|e| format!("{}: {e}", file.display()))
    };
    write(&file, body)?;
    std::fs::create_dir_all(dir.join("nginx-temp"))
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let conf = dir.join("nginx.conf");
    write(&conf, config(dir, port, crate::apt::is_root()).as_bytes())?;
    let mut command = Command::new(NGINX);
    command
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("nginx-error.log"))
        .arg("-c")
        .arg(&conf);
    Process::start("nginx", &mut command, &dir.join("nginx.log"), port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_listens_on_loopback_in_the_foreground() {
        let text = config(Path::new("/tmp/bench"), 4321, true);
        assert!(text.contains("listen 127.0.0.1:4321;"));
        assert!(text.contains("daemon off;"));
        assert!(text.contains("root /tmp/bench/www;"));
        assert!(text.starts_with("# Written") && text.contains("user nobody nogroup;"));
        assert!(!config(Path::new("/tmp/bench"), 4321, false).contains("user "));
    }
}
