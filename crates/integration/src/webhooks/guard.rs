//! The address guard against server-side request forgery: an endpoint URL must be `https`
//! (or `http` outside production) and every address its host resolves to must be public.
//! Refused: loopback, private (RFC 1918), link-local (with the cloud metadata address
//! 169.254.169.254), CGNAT (100.64/10, with Alibaba's metadata 100.100.100.200), unspecified,
//! broadcast, reserved, multicast, documentation and benchmarking ranges; on IPv6 loopback,
//! unspecified, unique-local (fc00::/7, with AWS's fd00:ec2::254), link-local, site-local,
//! multicast, documentation, and the IPv4-mapped, -compatible, NAT64 and 6to4 forms of a
//! refused IPv4 address. The check runs at creation and again before every send, on the
//! address then connected to (so a name re-pointed at an internal address is caught).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use url::{Host, Url};

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2000;

/// Why an IPv4 address is refused, if it is.
fn refused_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match () {
        () if ip.is_loopback() => "a loopback address",
        () if ip.is_unspecified() || a == 0 => "an unspecified address",
        () if ip.is_private() => "a private address",
        () if ip == Ipv4Addr::new(169, 254, 169, 254) => "the cloud metadata address",
        () if ip.is_link_local() => "a link-local address",
        () if a == 100 && (64..128).contains(&b) => "a shared (CGNAT) address",
        () if ip.is_broadcast() || a >= 240 => "a reserved address",
        () if ip.is_multicast() => "a multicast address",
        () if a == 192 && b == 0 && c == 0 => "a reserved (IETF) address",
        () if a == 198 && (18..20).contains(&b) => "a benchmarking address",
        () if ip.is_documentation() => "a documentation address",
        () => return None,
    })
}

/// Why an address is refused, if it is.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4),
        IpAddr::V6(v6) => refused_v6(v6),
    }
}

fn refused_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return refused_v4(v4);
    }
    let s = ip.segments();
    // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4
    // address a gateway may route to.
    let embedded = |hi: u16, lo: u16| {
        Ipv4Addr::new(
            (hi >> 8) as u8,
            (hi & 0xff) as u8,
            (lo >> 8) as u8,
            (lo & 0xff) as u8,
        )
    };
    if s[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified() {
        return refused_v4(embedded(s[6], s[7])).or(Some("an IPv4-compatible address"));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return refused_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return refused_v4(embedded(s[1], s[2]));
    }
    Some(match () {
        () if ip.is_loopback() => "a loopback address",
        () if ip.is_unspecified() => "an unspecified address",
        () if (s[0] & 0xfe00) == 0xfc00 => "a unique-local address",
        () if (s[0] & 0xffc0) == 0xfe80 => "a link-local address",
        () if (s[0] & 0xffc0) == 0xfec0 => "a site-local address",
        () if ip.is_multicast() => "a multicast address",
        () if s[0] == 0x2001 && s[1] == 0x0db8 => "a documentation address",
        () => return None,
    })
}

/// Checks the form of an endpoint URL: absolute, `https` (or `http` unless `require_https`),
/// with a host, without credentials or a fragment. The message says what is wrong.
pub fn parse_url(text: &str, require_https: bool) -> Result<Url, String> {
    if text.chars().count() > MAX_URL_LEN {
        return Err(format!("must be at most {MAX_URL_LEN} characters"));
    }
    let url = Url::parse(text).map_err(|e| format!("is not an absolute URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if !require_https => {}
        "http" => return Err("must use https in production".to_owned()),
        other => return Err(format!("must be an https URL, not {other}")),
    }
    if url.host().is_none() {
        return Err("must name a host".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials (use the signature to authenticate)".to_owned());
    }
    if url.fragment().is_some() {
        return Err("must not have a fragment".to_owned());
    }
    Ok(url)
}

/// Resolves the URL's host once and answers the address to connect to: every address the
/// name has must pass the guard (unless `allow_private`), so a name with one internal
/// address is refused as a whole. The error says why, as a clause (`it resolves to ...`).
pub async fn resolve(url: &Url, allow_private: bool) -> Result<SocketAddr, String> {
    let port = url
        .port_or_known_default()
        .ok_or_else(|| "it has no port".to_owned())?;
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(name)) => {
            let lookup = tokio::net::lookup_host((name, port));
            match tokio::time::timeout(Duration::from_secs(5), lookup).await {
                Ok(Ok(found)) => found.collect(),
                Ok(Err(e)) => return Err(format!("its host `{name}` does not resolve ({e})")),
                Err(_) => return Err(format!("its host `{name}` did not resolve within 5 s")),
            }
        }
        None => return Err("it names no host".to_owned()),
    };
    let first = *addrs
        .first()
        .ok_or_else(|| "its host has no address".to_owned())?;
    if !allow_private {
        for addr in &addrs {
            if let Some(why) = refused(addr.ip()) {
                return Err(format!(
                    "it resolves to {} ({why}); webhooks are only sent to public addresses",
                    addr.ip()
                ));
            }
        }
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.100.100.200",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
        ] {
            let ip: IpAddr = bad.parse().unwrap();
            assert!(refused(ip).is_some(), "{bad}");
        }
        for good in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = good.parse().unwrap();
            assert!(refused(ip).is_none(), "{good}");
        }
    }

    #[test]
    fn urls() {
        assert!(parse_url("https://example.com/hook", true).is_ok());
        assert!(parse_url("http://example.com/hook", false).is_ok());
        assert!(parse_url("http://example.com/hook", true).is_err());
        assert!(parse_url("ftp://example.com", false).is_err());
        assert!(parse_url("https://u:p@example.com", false).is_err());
        assert!(parse_url("not a url", false).is_err());
    }
}
