//! The one outbound HTTP client of the service, guarded against server-side request forgery.
//!
//! Deliveries and token fetches go to URLs that customers and vendors choose, so unless the
//! service allows private targets, the client only connects to addresses on the public internet:
//! - host names are resolved by [`client`]'s own resolver, which drops every address for which
//!   [`is_private`] holds; the addresses it returns are the ones connected to, so no second lookup
//!   exists to race;
//! - literal IP hosts never reach a resolver, so [`check_url`] refuses them before the request
//!   ([`send`] does both);
//! - redirects are not followed, and proxies from the environment are not used (a proxy would
//!   resolve the host itself).
//!
//! Architecture invariant: every outbound request of the service goes through [`send`] (or calls
//! [`check_url`] before sending on the client built by [`client`]).

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Client, RequestBuilder, Response, Url};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// How long establishing a connection may take (callers set a whole-request timeout).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The guard's refusal: the target has no public address, or its URL is not http(s).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{host}` {reason}")]
pub struct Blocked {
    /// The host refused (empty when the URL has none).
    pub host: String,
    /// Why, as a lower-case phrase ("resolves to no public address", ...).
    pub reason: &'static str,
}

impl Blocked {
    fn private(host: impl Into<String>) -> Self {
        Blocked {
            host: host.into(),
            reason: "resolves to no public address",
        }
    }
}

/// Why [`send`] has no response.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The guard refused the target.
    #[error(transparent)]
    Blocked(#[from] Blocked),
    /// The request failed otherwise (connection, timeout, TLS, building the request); the error
    /// holds no URL (a URL may carry secrets in its query).
    #[error("{}", describe(.0))]
    Request(reqwest::Error),
}

impl SendError {
    /// Whether the guard refused the target.
    pub fn is_blocked(&self) -> bool {
        matches!(self, SendError::Blocked(_))
    }
}

/// A reqwest error and its causes on one line ("error sending request: ...: connection refused").
fn describe(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The one outbound HTTP client: no redirects, a connect timeout, no environment proxies, and
/// (unless `allow_private`) a DNS resolver that keeps only public addresses ([`is_private`]).
/// Literal IP hosts are checked by [`check_url`] before any request (reqwest does not consult
/// the resolver for them).
pub fn client(allow_private: bool) -> Client {
    let builder = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .no_proxy();
    let builder = if allow_private {
        builder
    } else {
        builder.dns_resolver(PublicResolver)
    };
    builder.build().expect("an HTTP client with default TLS")
}

/// Sends a request built on `client` after [`check_url`]; a refusal by the resolver is also
/// reported as [`SendError::Blocked`].
pub async fn send(
    client: &Client,
    request: RequestBuilder,
    allow_private: bool,
) -> Result<Response, SendError> {
    let request = request
        .build()
        .map_err(|error| SendError::Request(error.without_url()))?;
    check_url(request.url(), allow_private)?;
    let host = request.url().host_str().unwrap_or_default().to_owned();
    client.execute(request).await.map_err(|error| {
        if is_blocked(&error) {
            SendError::Blocked(Blocked::private(host))
        } else {
            SendError::Request(error.without_url())
        }
    })
}

/// Refuses a URL that is not http(s), has no host, or whose host is a literal private IP
/// (unless `allow_private`). Host names are left to the resolver of [`client`].
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), Blocked> {
    let host = url.host_str().unwrap_or_default();
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Blocked {
            host: host.to_owned(),
            reason: "is not reached over http or https",
        });
    }
    let ip = match url.host() {
        None => {
            return Err(Blocked {
                host: String::new(),
                reason: "is not a host",
            });
        }
        Some(url::Host::Domain(_)) => return Ok(()),
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    if !allow_private && is_private(ip) {
        return Err(Blocked::private(host));
    }
    Ok(())
}

/// Whether a reqwest error was caused by the guard's resolver (a [`Blocked`] in its sources).
pub fn is_blocked(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<Blocked>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// Whether an address is not on the public internet: private, loopback, link-local, shared
/// (CGNAT, 100.64/10), multicast, unspecified, broadcast, documentation, benchmarking, reserved,
/// IPv6 unique-local (fc00::/7), site-local and link-local, and IPv6 forms that embed one of
/// those IPv4 addresses (mapped, compatible, NAT64 64:ff9b::/96, 6to4 2002::/16).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn is_private_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0 // "this network"
        || a == 100 && (64..128).contains(&b) // shared address space (CGNAT)
        || a == 192 && b == 0 && c == 0 // IETF protocol assignments
        || a == 198 && (18..20).contains(&b) // benchmarking
        || a >= 240 // reserved
}

fn is_private_v6(v6: Ipv6Addr) -> bool {
    let segments = v6.segments();
    let embedded = |high: u16, low: u16| {
        let [h1, h2] = high.to_be_bytes();
        let [l1, l2] = low.to_be_bytes();
        is_private_v4(Ipv4Addr::new(h1, h2, l1, l2))
    };
    v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || segments[0] == 0x2001 && segments[1] == 0x0db8 // documentation
        || segments[0] == 0x0100 && segments[1..4] == [0, 0, 0] // discard-only
        // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d)
        || v6.to_ipv4().is_some_and(is_private_v4)
        // NAT64 (64:ff9b::a.b.c.d)
        || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] && embedded(segments[6], segments[7])
        // 6to4 (2002:aabb:ccdd::)
        || segments[0] == 0x2002 && embedded(segments[1], segments[2])
}

/// Resolves with the system resolver and keeps only public addresses.
struct PublicResolver;

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port (or the scheme's) on every address.
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| !is_private(address.ip()))
                .collect();
            if addresses.is_empty() {
                return Err(Box::new(Blocked::private(host)) as _);
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "100.127.255.254",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::",
            "::1",
            "fd00::1",
            "fc00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip} is private");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::",
        ] {
            assert!(!is_private(ip.parse().unwrap()), "{ip} is public");
        }
    }

    #[test]
    fn literal_private_hosts_and_other_schemes_are_refused() {
        let check = |url: &str, allow_private| check_url(&Url::parse(url).unwrap(), allow_private);
        assert_eq!(
            check("http://127.0.0.1:8080/x", false),
            Err(Blocked::private("127.0.0.1"))
        );
        // The URL parser normalises other spellings of an IPv4 address first.
        assert!(check("http://0x7f.1/", false).is_err());
        assert!(check("http://2130706433/", false).is_err());
        assert!(check("https://[::ffff:169.254.169.254]/", false).is_err());
        assert!(check("https://[fd00::1]/", false).is_err());
        assert_eq!(check("http://127.0.0.1/", true), Ok(()));
        assert_eq!(check("https://8.8.8.8/", false), Ok(()));
        assert_eq!(check("https://example.com/", false), Ok(()));
        assert_eq!(
            check("ftp://example.com/", true).unwrap_err().reason,
            "is not reached over http or https"
        );
        assert!(check("file:///etc/passwd", true).is_err());
    }
}
