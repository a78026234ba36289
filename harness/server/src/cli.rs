//! The `serve` command, shared by `ews-reference-server serve` and `ews-conformance serve`: its
//! flags ([`ServeArgs`]), turning them into a [`ServerConfig`] ([`ServeArgs::config`]), and
//! running the server until Ctrl-C while printing its URL, credentials and, for
//! `--tls-self-signed`, the path of the certificate a client must trust ([`serve`]).

use std::io::Write;
use std::path::PathBuf;

use super::{Quirk, RunningServer, ServerConfig, ServerError, TlsIdentity};

/// Flags of `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Server configuration (YAML: users, impersonation rights, distribution groups, limits);
    /// see harness/reference-server.example.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// ServerVersionInfo/@Version to announce, e.g. Exchange2013.
    #[arg(long, value_name = "VERSION")]
    pub server_version: Option<String>,
    /// Misbehave in a named way (self-testing); repeatable. Names: wrong-response-code,
    /// missing-element, extra-element, https-namespace, wrong-child-order, wrong-message-text,
    /// soap12-fault, drop-server-version-info, http-200-for-fault, frozen-change-key,
    /// html-content-type, schema-invalid-response, wrong-folder-counts, paging-off-by-one,
    /// includes-last-item-wrong, restriction-ignored, folder-class-first, stale-change-key-accepted,
    /// public-dl-as-mailbox, merged-freebusy-shifted, delegate-write-allowed.
    #[arg(long = "quirk", value_name = "NAME")]
    pub quirks: Vec<String>,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a fresh self-signed certificate for 127.0.0.1, ::1 and localhost; its
    /// PEM is written to --tls-cert-out and the path printed, for clients to trust.
    #[arg(long)]
    pub tls_self_signed: bool,
    /// Where --tls-self-signed writes the certificate [default: a file in the temp directory].
    #[arg(long, value_name = "FILE", requires = "tls_self_signed")]
    pub tls_cert_out: Option<PathBuf>,
}

/// A configuration ready to start, and where a generated certificate was written.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub config: ServerConfig,
    /// The PEM file of a `--tls-self-signed` certificate.
    pub self_signed_cert: Option<PathBuf>,
}

impl ServeArgs {
    /// The server configuration these flags describe (config file, then flags). Writes the
    /// self-signed certificate, when asked for one.
    pub fn config(&self) -> Result<Prepared, ServerError> {
        let mut config = match &self.config {
            Some(path) => ServerConfig::from_file(path)?,
            None => ServerConfig::default(),
        };
        config.listen = self.listen;
        if let Some(version) = &self.server_version {
            config.server_version = version.clone();
        }
        for name in &self.quirks {
            let quirk = name.parse::<Quirk>().map_err(ServerError::Config)?;
            if !config.quirks.contains(&quirk) {
                config.quirks.push(quirk);
            }
        }
        let mut self_signed_cert = None;
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            config.tls = Some(TlsIdentity::from_pem_files(cert, key)?);
        } else if self.tls_self_signed {
            let identity = TlsIdentity::self_signed()?;
            let path = self.tls_cert_out.clone().unwrap_or_else(|| {
                std::env::temp_dir()
                    .join(format!("ews-reference-server-{}.crt", std::process::id()))
            });
            std::fs::write(&path, identity.cert_pem()).map_err(|e| {
                ServerError::Tls(format!(
                    "cannot write the certificate to `{}`: {e}",
                    path.display()
                ))
            })?;
            config.tls = Some(identity);
            self_signed_cert = Some(path);
        }
        Ok(Prepared {
            config,
            self_signed_cert,
        })
    }
}

/// What `serve` prints once listening: URL, version, quirks, TLS certificate, credentials.
pub fn print_banner(
    out: &mut dyn Write,
    server: &RunningServer,
    prepared: &Prepared,
) -> std::io::Result<()> {
    let config = &prepared.config;
    writeln!(out, "EWS reference server listening on {}", server.url())?;
    writeln!(out, "server version: {}", config.server_version)?;
    if !config.quirks.is_empty() {
        let names: Vec<&str> = config.quirks.iter().map(|q| q.name()).collect();
        writeln!(out, "quirks: {}", names.join(", "))?;
    }
    if let Some(path) = &prepared.self_signed_cert {
        writeln!(
            out,
            "self-signed certificate (trust it in clients): {}",
            path.display()
        )?;
    }
    writeln!(
        out,
        "accepted credentials (Basic auth; user name or SMTP address):"
    )?;
    for (user, smtp, password) in config.credentials() {
        writeln!(out, "  {user:<8} {smtp:<28} password: {password}")?;
    }
    writeln!(out, "press Ctrl-C to stop")?;
    out.flush()
}

/// Runs `serve` until Ctrl-C, printing the banner to stdout.
pub fn serve(args: &ServeArgs) -> Result<(), ServerError> {
    let prepared = args.config()?;
    super::serve_blocking(prepared.config.clone(), |server, _| {
        let stdout = std::io::stdout();
        let _ = print_banner(&mut stdout.lock(), server, &prepared);
    })?;
    println!("stopped");
    Ok(())
}
