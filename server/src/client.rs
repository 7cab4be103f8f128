//! Who is asking: the client's address and the scheme and host it used, as seen through the
//! proxies the operator trusts (`[proxy] trusted`). The server speaks plain HTTP and expects TLS
//! at a load balancer; only a peer in a trusted network may say, in `Forwarded` or
//! `X-Forwarded-For`/`-Proto`/`-Host`, who the client is. Anyone else's headers are ignored, so a
//! client cannot pick its own rate-limit bucket or claim HTTPS.

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderMap};
use serde::Deserialize;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`), or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Why a network is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an address or network such as 10.0.0.0/8 or 2001:db8::/32")]
pub struct BadNetwork(String);

impl FromStr for Network {
    type Err = BadNetwork;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadNetwork(s.chars().take(64).collect());
        let (address, prefix) = s.split_once('/').unwrap_or((s, ""));
        let address = canonical(address.trim().parse().map_err(|_| bad())?);
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() {
            max
        } else {
            prefix.parse().ok().filter(|p| *p <= max).ok_or_else(bad)?
        };
        Ok(Self { address, prefix })
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

/// `[proxy]`: the networks of the load balancers in front of this server.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedProxies {
    #[serde(default)]
    pub trusted: Vec<Network>,
}

impl TrustedProxies {
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|n| n.contains(ip))
    }

    /// The client of a connection from `peer`: the peer itself unless it is a trusted proxy;
    /// then, walking the forwarding chain from the nearest hop, the first address that is not a
    /// trusted proxy. A hop that cannot be read ends the walk at the last trusted one, so a
    /// forged or broken header never yields an address the proxies did not see.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        for hop in forwarded_for(headers).into_iter().rev() {
            let Some(hop) = hop else {
                return client;
            };
            client = hop;
            if !self.trusts(hop) {
                return client;
            }
        }
        client
    }

    /// The scheme and host the client used: from a trusted proxy's headers, else this
    /// connection's (plain HTTP) and its `Host`.
    pub fn scheme_and_host(&self, request: &HttpRequest) -> (String, String) {
        let direct_host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let trusted = request
            .peer_addr()
            .is_some_and(|peer| self.trusts(canonical(peer.ip())));
        if !trusted {
            return ("http".to_owned(), direct_host);
        }
        let info = request.connection_info();
        (info.scheme().to_owned(), info.host().to_owned())
    }
}

/// The hops of `Forwarded` (`for=`), or else of `X-Forwarded-For`, nearest last; `None` for a
/// hop that is not an address (`unknown`, an obfuscated name, garbage).
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: header::HeaderName| -> Vec<String> {
        headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_owned())
            .collect()
    };
    let forwarded = values(header::FORWARDED);
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.eq_ignore_ascii_case("for").then(|| address(value))
                })
            })
            .collect();
    }
    values(header::HeaderName::from_static("x-forwarded-for"))
        .iter()
        .map(|hop| address(hop))
        .collect()
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]:4711`, optionally quoted.
fn address(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok().map(canonical);
    }
    let (host, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The rate-limit bucket of a client: its IPv4 address, or its IPv6 /64 (one subscriber's
/// network, which can hand out addresses at will).
pub fn bucket(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn proxies(networks: &[&str]) -> TrustedProxies {
        TrustedProxies {
            trusted: networks.iter().map(|n| n.parse().unwrap()).collect(),
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_contain_what_they_should() {
        let ten: Network = "10.0.0.0/8".parse().unwrap();
        assert!(ten.contains(ip("10.200.1.1")));
        assert!(ten.contains(ip("::ffff:10.1.2.3")));
        assert!(!ten.contains(ip("11.0.0.1")));
        let one: Network = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let doc: Network = "2001:db8::/32".parse().unwrap();
        assert!(doc.contains(ip("2001:db8:ffff::1")) && !doc.contains(ip("2001:db9::1")));
        let all: Network = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "proxy",
            "::/129",
            "10.0.0.0/x",
            "",
        ] {
            assert!(bad.parse::<Network>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client_and_the_first_untrusted_hop_is_it() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let lb = ip("10.0.0.2");
        let chain = headers(&[("x-forwarded-for", "198.51.100.1, 203.0.113.5, 10.0.0.9")]);
        // The nearest untrusted hop, not the leftmost one a client can write.
        assert_eq!(trusted.client(lb, &chain), ip("203.0.113.5"));
        // A client that is no proxy cannot choose its address.
        assert_eq!(
            trusted.client(ip("203.0.113.77"), &chain),
            ip("203.0.113.77")
        );
        // Without trusted proxies every header is ignored.
        assert_eq!(proxies(&[]).client(lb, &chain), lb);
        // Forwarded wins over X-Forwarded-For, with ports, brackets and quotes.
        let both = headers(&[
            (
                "forwarded",
                "for=192.0.2.60;proto=https, for=\"[2001:db8::7]:4711\"",
            ),
            ("x-forwarded-for", "198.51.100.1"),
        ]);
        assert_eq!(trusted.client(lb, &both), ip("2001:db8::7"));
        let with_port = headers(&[("x-forwarded-for", "192.0.2.60:5123")]);
        assert_eq!(trusted.client(lb, &with_port), ip("192.0.2.60"));
        // A hop that is not an address stops at the last trusted one.
        let broken = headers(&[("x-forwarded-for", "198.51.100.1, unknown, 10.0.0.9")]);
        assert_eq!(trusted.client(lb, &broken), ip("10.0.0.9"));
        // Only proxies all the way: the farthest of them.
        let inside = headers(&[("x-forwarded-for", "10.1.1.1")]);
        assert_eq!(trusted.client(lb, &inside), ip("10.1.1.1"));
        // No header from a trusted proxy: the proxy itself.
        assert_eq!(trusted.client(lb, &HeaderMap::new()), lb);
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64_and_ipv4_stays_whole() {
        assert_eq!(
            bucket(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            bucket(ip("2001:db8:1:2::1"))
        );
        assert_ne!(bucket(ip("2001:db8:1:2::1")), bucket(ip("2001:db8:1:3::1")));
        assert_ne!(bucket(ip("192.0.2.1")), bucket(ip("192.0.2.2")));
        assert_eq!(bucket(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }
}
