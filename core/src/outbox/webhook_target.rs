//! Where a webhook may be sent, decided on the address actually connected to.
//!
//! A URL checked only when the endpoint is registered can still reach the
//! inside of the network: its name may resolve to `127.0.0.1` or to the cloud
//! metadata service (`169.254.169.254`) later, or on every second lookup. So
//! the transport resolves the host itself, asks [`WebhookTargets::check`]
//! about every address the name resolved to, and connects only to addresses
//! that passed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::outbox::HostAllowlist;

/// Which webhook targets a dispatcher sends to: the hosts of an allowlist, and
/// (unless [`WebhookTargets::allow_private`] is set, for tests and closed
/// networks) only public addresses.
///
/// ```
/// use std::net::IpAddr;
/// use shopcore::{HostAllowlist, WebhookTargets};
/// let public = WebhookTargets::default();
/// let ip = |text: &str| text.parse::<IpAddr>().unwrap();
/// assert!(public.check("hooks.example.com", &[ip("93.184.215.14")]).is_ok());
/// let refused = public.check("hooks.example.com", &[ip("169.254.169.254")]).unwrap_err();
/// assert!(refused.contains("link-local"), "{refused}");
/// assert!(public.check("localhost", &[ip("::1")]).is_err());
///
/// let tests = WebhookTargets { allow_private: true, ..WebhookTargets::default() };
/// assert!(tests.check("localhost", &[ip("127.0.0.1")]).is_ok());
///
/// let listed = WebhookTargets::new(HostAllowlist::parse("hooks.example.com").unwrap());
/// assert!(listed.check("other.example.com", &[ip("93.184.215.14")]).is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookTargets {
    /// The hosts webhooks may go to (checked again at send time).
    pub hosts: HostAllowlist,
    /// Whether loopback, private, link-local and other non-public addresses
    /// may be connected to. Off by default; on only by an explicit setting.
    pub allow_private: bool,
}

impl WebhookTargets {
    /// The hosts of `hosts`, public addresses only.
    pub fn new(hosts: HostAllowlist) -> Self {
        WebhookTargets {
            hosts,
            allow_private: false,
        }
    }

    /// Whether a webhook for `host` may be sent to `addresses` (what `host`
    /// resolved to): the host must be allowed and, unless private targets are
    /// allowed, every address public. The error says which rule refused.
    pub fn check(&self, host: &str, addresses: &[IpAddr]) -> Result<(), String> {
        if !self.hosts.allows(host) {
            return Err(format!("host {host:?} is not in the webhook allowlist"));
        }
        if addresses.is_empty() {
            return Err(format!("host {host:?} resolved to no address"));
        }
        if self.allow_private {
            return Ok(());
        }
        for address in addresses {
            if let Some(kind) = non_public_address(*address) {
                return Err(format!(
                    "host {host:?} resolved to {address}, a {kind} address: webhooks go to public addresses only"
                ));
            }
        }
        Ok(())
    }
}

/// What kind of non-public address `address` is, or `None` for a public one.
///
/// Refused: unspecified, loopback, private (RFC 1918, IPv6 unique local),
/// shared (100.64.0.0/10, carrier NAT), link-local (which holds the cloud
/// metadata service, 169.254.169.254), site-local, benchmarking,
/// documentation, multicast, broadcast, local-use NAT64, the IETF protocol
/// assignments (Teredo and others in 2001::/23) and reserved ranges, and
/// every IPv6 address outside 2000::/3; an IPv4 address embedded in IPv6
/// (`::ffff:127.0.0.1`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is judged as
/// that IPv4 address.
///
/// ```
/// use shopcore::non_public_address;
/// assert_eq!(non_public_address("10.1.2.3".parse().unwrap()), Some("private"));
/// assert_eq!(non_public_address("::ffff:127.0.0.1".parse().unwrap()), Some("loopback"));
/// assert_eq!(non_public_address("fd00:ec2::254".parse().unwrap()), Some("private"));
/// assert_eq!(non_public_address("2606:4700::1111".parse().unwrap()), None);
/// ```
pub fn non_public_address(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let kind = if ip.is_unspecified() || a == 0 {
        "unspecified"
    } else if ip.is_loopback() {
        "loopback"
    } else if ip.is_private() {
        "private"
    } else if a == 100 && (64..128).contains(&b) {
        "shared (carrier NAT)"
    } else if ip.is_link_local() {
        "link-local"
    } else if a == 192 && b == 0 && c == 0 {
        "reserved (IETF protocol assignments)"
    } else if a == 198 && (b == 18 || b == 19) {
        "benchmarking"
    } else if a == 192 && b == 88 && c == 99 {
        "reserved (6to4 relay anycast)"
    } else if ip.is_documentation() {
        "documentation"
    } else if ip.is_multicast() {
        "multicast"
    } else if ip.is_broadcast() || a >= 240 {
        "reserved"
    } else {
        return None;
    };
    Some(kind)
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_public_v4(v4);
    }
    let segments = ip.segments();
    let embedded = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return non_public_v4(embedded(segments[6], segments[7]));
    }
    // 6to4 (2002::/16) reaches the IPv4 address in its bits 16–47.
    if segments[0] == 0x2002 {
        return non_public_v4(embedded(segments[1], segments[2]));
    }
    let kind = if ip.is_unspecified() {
        "unspecified"
    } else if ip.is_loopback() {
        "loopback"
    } else if segments[0] & 0xfe00 == 0xfc00 {
        "private"
    } else if segments[0] & 0xffc0 == 0xfe80 {
        "link-local"
    } else if segments[0] & 0xffc0 == 0xfec0 {
        "site-local"
    } else if ip.is_multicast() {
        "multicast"
    } else if segments[0] == 0x2001 && segments[1] == 0x0db8
        || segments[0] == 0x3fff && segments[1] < 0x1000
    {
        "documentation"
    } else if segments[0] == 0x2001 && segments[1] < 0x0200 {
        // IETF protocol assignments (2001::/23): Teredo, ORCHID, benchmarking.
        "reserved (IETF protocol assignments)"
    } else if segments[..3] == [0x64, 0xff9b, 1] {
        // Local-use NAT64 (RFC 8215): may translate to any private IPv4 address.
        "local-use NAT64"
    } else if segments[..4] == [0x100, 0, 0, 0] {
        "discard-only"
    } else if segments[..6] == [0; 6] || segments[..5] == [0; 5] || segments[0] & 0xe000 != 0x2000 {
        // ::/96 (IPv4-compatible), ::ffff:0:0:0/96 (SIIT) and everything
        // outside 2000::/3, the only global unicast space allocated.
        "reserved"
    } else {
        return None;
    };
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> Option<&'static str> {
        non_public_address(text.parse().unwrap())
    }

    #[test]
    fn every_non_public_range_is_refused_and_public_addresses_pass() {
        for (address, expected) in [
            ("0.0.0.0", "unspecified"),
            ("0.1.2.3", "unspecified"),
            ("127.0.0.1", "loopback"),
            ("127.255.255.254", "loopback"),
            ("10.0.0.1", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "shared (carrier NAT)"),
            ("100.127.255.255", "shared (carrier NAT)"),
            ("169.254.169.254", "link-local"),
            ("192.0.0.8", "reserved (IETF protocol assignments)"),
            ("198.18.0.1", "benchmarking"),
            ("192.0.2.1", "documentation"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "reserved"),
            ("240.0.0.1", "reserved"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:169.254.169.254", "link-local"),
            ("64:ff9b::a9fe:a9fe", "link-local"),
            ("64:ff9b::7f00:1", "loopback"),
            ("::127.0.0.1", "reserved"),
            ("fc00::1", "private"),
            ("fd00:ec2::254", "private"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("192.88.99.1", "reserved (6to4 relay anycast)"),
            ("fec0::1", "site-local"),
            ("64:ff9b:1::7f00:1", "local-use NAT64"),
            ("2002:7f00:1::", "loopback"),
            ("2002:a9fe:a9fe::1", "link-local"),
            (
                "2001:0:4136:e378:8000:63bf:80ff:fffe",
                "reserved (IETF protocol assignments)",
            ),
            ("100::1", "discard-only"),
            ("::ffff:0:7f00:1", "reserved"),
            ("4000::1", "reserved"),
        ] {
            assert_eq!(kind(address), Some(expected), "{address}");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "169.253.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "64:ff9b::808:808",
            "::ffff:8.8.8.8",
            "2002:808:808::1",
        ] {
            assert_eq!(kind(public), None, "{public}");
        }
    }

    #[test]
    fn one_non_public_address_among_public_ones_refuses_the_name() {
        let targets = WebhookTargets::default();
        let addresses = [
            "93.184.215.14".parse().unwrap(),
            "10.0.0.7".parse().unwrap(),
        ];
        let refused = targets.check("hooks.example.com", &addresses).unwrap_err();
        assert!(
            refused.contains("10.0.0.7") && refused.contains("private"),
            "{refused}"
        );
        assert!(targets.check("hooks.example.com", &[]).is_err());
    }

    #[test]
    fn the_allowlist_holds_even_when_private_targets_are_allowed() {
        let targets = WebhookTargets {
            hosts: HostAllowlist::parse("127.0.0.1").unwrap(),
            allow_private: true,
        };
        let loopback = ["127.0.0.1".parse().unwrap()];
        assert!(targets.check("127.0.0.1", &loopback).is_ok());
        assert!(targets.check("localhost", &loopback).is_err());
    }
}
