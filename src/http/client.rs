//! The client's address: the peer, or — only when the peer is a trusted proxy — the first
//! untrusted hop of `X-Forwarded-For`, read from the right (the left part is the client's own
//! claim and can be forged).

use super::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The address rate limits are keyed by; `None` when the server has no peer information.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let trusted = &state.config.trusted_proxies;
        Ok(Self::of(&parts.extensions, &parts.headers, trusted))
    }
}

impl ClientAddress {
    /// The client address of a request (for middleware, which sees the request whole).
    pub fn of(extensions: &axum::http::Extensions, headers: &HeaderMap, trusted: &[IpNet]) -> Self {
        // An IPv4 client of a dual-stack listener arrives as `::ffff:a.b.c.d`: it is IPv4.
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical());
        Self(peer.map(|peer| resolve(peer, headers, trusted)))
    }
}

/// Whether the client reached a trusted proxy over HTTPS (`X-Forwarded-Proto: https` from a
/// peer in `trusted_proxies`); Doorward itself speaks plain HTTP behind that proxy.
#[derive(Debug, Clone, Copy)]
pub struct ForwardedHttps(pub bool);

impl FromRequestParts<AppState> for ForwardedHttps {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let trusted = &state.config.trusted_proxies;
        let from_proxy = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .is_some_and(|ConnectInfo(addr)| trusted.iter().any(|net| net.contains(&addr.ip())));
        let https = parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
        Ok(Self(from_proxy && https))
    }
}

fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn an_ipv4_mapped_peer_is_ipv4() {
        let mut extensions = axum::http::Extensions::new();
        let mapped = std::net::Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0xcb00, 0x7109);
        extensions.insert(ConnectInfo(SocketAddr::from((mapped, 8080))));
        let ClientAddress(ip) = ClientAddress::of(&extensions, &HeaderMap::new(), &[]);
        assert_eq!(ip, Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn forwarded_for_is_ignored_from_an_untrusted_peer() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(resolve(peer, &headers("1.2.3.4"), &[]), peer);
    }

    #[test]
    fn first_untrusted_hop_from_the_right_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let got = resolve(peer, &headers("6.6.6.6, 198.51.100.7, 10.0.0.5"), &trusted);
        assert_eq!(
            got,
            "198.51.100.7".parse::<IpAddr>().unwrap(),
            "the forged left part is ignored"
        );
    }
}
