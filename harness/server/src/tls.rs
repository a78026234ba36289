//! HTTPS: the server's certificate and key ([`TlsIdentity`]), read from PEM files or generated
//! (a self-signed certificate for `127.0.0.1`, `::1` and `localhost`), and the rustls acceptor
//! built from them. Some EWS clients only speak https; a client trusts the self-signed server by
//! loading the certificate PEM the server wrote (`ews-reference-server serve --tls-self-signed`
//! prints its path).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::ServerError;

/// A certificate chain (leaf first) and its private key, both PEM. `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsIdentity {
    cert_pem: String,
    key_pem: String,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cert_pem", &format!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &"***")
            .finish()
    }
}

fn tls_error(message: impl Into<String>) -> ServerError {
    ServerError::Tls(message.into())
}

impl TlsIdentity {
    /// From PEM text; checked now (at least one certificate, one private key) so that a bad file
    /// is an error at start-up, never at the first connection.
    pub fn from_pem(cert_pem: String, key_pem: String) -> Result<TlsIdentity, ServerError> {
        let identity = TlsIdentity { cert_pem, key_pem };
        identity.acceptor()?;
        Ok(identity)
    }

    /// Reads a certificate chain and a private key (PKCS#8, PKCS#1 or SEC1), both PEM files.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<TlsIdentity, ServerError> {
        let read = |path: &Path, what: &str| {
            std::fs::read_to_string(path)
                .map_err(|e| tls_error(format!("cannot read the {what} `{}`: {e}", path.display())))
        };
        let cert_pem = read(cert, "certificate")?;
        let key_pem = read(key, "private key")?;
        TlsIdentity::from_pem(cert_pem, key_pem).map_err(|e| match e {
            ServerError::Tls(message) => tls_error(format!(
                "{message} (certificate `{}`, key `{}`)",
                cert.display(),
                key.display()
            )),
            other => other,
        })
    }

    /// A fresh self-signed certificate for `127.0.0.1`, `::1` and `localhost`.
    pub fn self_signed() -> Result<TlsIdentity, ServerError> {
        let names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
        ];
        let certified = rcgen::generate_simple_self_signed(names)
            .map_err(|e| tls_error(format!("cannot generate a self-signed certificate: {e}")))?;
        Ok(TlsIdentity {
            cert_pem: certified.cert.pem(),
            key_pem: certified.signing_key.serialize_pem(),
        })
    }

    /// The certificate chain, PEM (what a client must trust).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The rustls acceptor serving this identity (HTTP/1.1 only).
    pub(crate) fn acceptor(&self) -> Result<tokio_rustls::TlsAcceptor, ServerError> {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(self.cert_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| tls_error(format!("the certificate is not valid PEM: {e}")))?;
        if certs.is_empty() {
            return Err(tls_error("the certificate file holds no certificate"));
        }
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| tls_error(format!("the private key is not a valid PEM key: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| tls_error(format!("the certificate and key do not fit: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_identity_builds_an_acceptor_and_hides_its_key() {
        let identity = TlsIdentity::self_signed().expect("generates");
        assert!(
            identity
                .cert_pem()
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        identity.acceptor().expect("acceptor");
        let shown = format!("{identity:?}");
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    }

    #[test]
    fn bad_pem_is_an_error_not_a_panic() {
        let good = TlsIdentity::self_signed().expect("generates");
        let err = TlsIdentity::from_pem("not pem".into(), good.key_pem.clone()).expect_err("bad");
        assert!(err.to_string().contains("no certificate"), "{err}");
        let err = TlsIdentity::from_pem(good.cert_pem.clone(), "junk".into()).expect_err("bad");
        assert!(err.to_string().contains("private key"), "{err}");
        let other = TlsIdentity::self_signed().expect("generates");
        let err = TlsIdentity::from_pem(good.cert_pem.clone(), other.key_pem).expect_err("pair");
        assert!(err.to_string().contains("do not fit"), "{err}");
    }
}
