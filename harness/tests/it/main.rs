//! The one integration-test binary. Each module tests one area end to end, over real loopback
//! HTTP where a server is involved (127.0.0.1 only).

mod support;

// The embedded reference server over loopback HTTP.
mod server;
