//! The client's address, behind an edge or not: for cookieless visitor ids (hashed there, never stored
//! or logged) and the sign-in limiter.

use std::net::{IpAddr, SocketAddr};

/// How an edge writes the address in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `ip`, `[ipv6]:port`, `ipv4:port` or a list whose first is the client (`X-Forwarded-For`).
    Plain,
    /// Always `ip:port`, IPv6 without brackets (CloudFront-Viewer-Address): `2001:db8::7:443` is
    /// 2001:db8::7 port 443, not an address ending in 7:443.
    WithPort,
}

impl Form {
    pub fn of_header(name: &str) -> Self {
        if name.eq_ignore_ascii_case("cloudfront-viewer-address") {
            Form::WithPort
        } else {
            Form::Plain
        }
    }
}

/// The address from the configured header when there is one (an edge such as CloudFront, whose own
/// address API Gateway would see, sets it; clients cannot), else API Gateway's `sourceIp`. Anything
/// that is not an address gives None.
///
/// `header`: None when no header is configured, Some((None, _)) when it is but the request lacks it.
pub fn client(header: Option<(Option<&str>, Form)>, source_ip: Option<&str>) -> Option<String> {
    let (raw, form) = match header {
        Some((value, form)) => (value?, form),
        None => (source_ip?, Form::Plain),
    };
    let first = raw.split(',').next()?.trim();
    let ip = match form {
        Form::WithPort => {
            let (ip, port) = first.rsplit_once(':')?;
            port.parse::<u16>().ok()?;
            ip.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .ok()?
        }
        Form::Plain => first
            .parse::<IpAddr>()
            .ok()
            .or_else(|| first.parse::<SocketAddr>().ok().map(|a| a.ip()))?,
    };
    // An IPv4 client written as an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is that IPv4 address.
    Some(ip.to_canonical().to_string())
}

#[cfg(test)]
mod tests {
    use super::{client, Form};

    #[test]
    fn addresses_in_the_forms_edges_write_them() {
        let plain = |h: &str| client(Some((Some(h), Form::Plain)), Some("10.0.0.1"));
        assert_eq!(plain("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(plain("203.0.113.7:46532").as_deref(), Some("203.0.113.7"));
        assert_eq!(plain("[2001:db8::7]:443").as_deref(), Some("2001:db8::7"));
        assert_eq!(plain("2001:db8::7").as_deref(), Some("2001:db8::7"));
        assert_eq!(
            plain("198.51.100.2, 10.1.1.1").as_deref(),
            Some("198.51.100.2")
        );
        assert_eq!(plain("not an address"), None);
        assert_eq!(plain("::ffff:203.0.113.7").as_deref(), Some("203.0.113.7"));

        let form = Form::of_header("CloudFront-Viewer-Address");
        let cloudfront = |h: &str| client(Some((Some(h), form)), None);
        assert_eq!(
            cloudfront("203.0.113.7:46532").as_deref(),
            Some("203.0.113.7")
        );
        // The port goes even where the rest would read as an address of its own.
        assert_eq!(
            cloudfront("2001:db8::7:443").as_deref(),
            Some("2001:db8::7")
        );
        assert_eq!(cloudfront("203.0.113.7"), None);
    }

    #[test]
    fn a_configured_header_is_the_only_source() {
        // Without the header, API Gateway's address (the edge's own) must not stand in for it.
        assert_eq!(client(Some((None, Form::Plain)), Some("10.0.0.1")), None);
        assert_eq!(
            client(None, Some("192.0.2.1")).as_deref(),
            Some("192.0.2.1")
        );
        assert_eq!(client(None, None), None);
    }
}
