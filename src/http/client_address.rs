//! The client's network address as this server can know it: the TCP peer, unless that peer is a
//! trusted reverse proxy (`TRUSTED_PROXIES`), in which case the right-most `X-Forwarded-For`
//! entry that is not itself a trusted proxy. Entries to the left of it were written by the client
//! and prove nothing; a forwarded header from an untrusted peer is ignored entirely.

use std::future::{Ready, ready};
use std::net::{IpAddr, Ipv4Addr};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use ipnet::IpNet;

use crate::app::AppState;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl FromRequest for ClientAddress {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return ready(Err(AppError::internal("application state missing")));
        };
        // Without a socket peer (not a TCP listener) every such request shares one address.
        let peer = req
            .peer_addr()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        let address = client_address(peer, &forwarded, &state.config.trusted_proxies);
        ready(Ok(ClientAddress(address)))
    }
}

/// Walks the forwarding chain from the right while each hop is a trusted proxy. An entry that
/// does not parse stops the walk at the last trusted hop seen (a misconfigured proxy must not let
/// a client choose its address).
pub fn client_address(peer: IpAddr, forwarded: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut hop = peer.to_canonical();
    if !is_trusted(&hop) {
        return hop;
    }
    for entry in forwarded.iter().rev() {
        let Ok(ip) = entry.trim().parse::<IpAddr>() else {
            return hop;
        };
        hop = ip.to_canonical();
        if !is_trusted(&hop) {
            return hop;
        }
    }
    hop
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().filter_map(|n| n.parse().ok()).collect()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(
            client_address(ip("203.0.113.5"), &["198.51.100.1"], &trusted),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_address(ip("203.0.113.5"), &["198.51.100.1"], &[]),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.168.1.1/32"]);
        let chain = ["1.2.3.4", "203.0.113.9", " 10.1.1.1"];
        assert_eq!(
            client_address(ip("192.168.1.1"), &chain, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &["garbage", "10.2.2.2"], &trusted),
            ip("10.2.2.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.1"), &[], &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_address(ip("::ffff:10.0.0.1"), &["203.0.113.9"], &trusted),
            ip("203.0.113.9")
        );
    }
}
