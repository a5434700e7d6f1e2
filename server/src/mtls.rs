//! RFC 8705 on the server: where a request's client certificate comes from, and the TLS
//! verifier of the mTLS listener (`KEYWARD_MTLS_BIND`).
//!
//! Invariants:
//! - A certificate reaches the authenticators from exactly two places: the TLS handshake of the
//!   mTLS listener ([`PeerCertificates`], put in the request by [`crate::tls::serve`]), or the
//!   configured header (`KEYWARD_MTLS_CERT_HEADER`) sent by a peer listed in
//!   `KEYWARD_TRUSTED_PROXIES`. The same header from any other peer is ignored, logged, and kept
//!   as the refusal, so the client's recent authentications say why it had no certificate.
//! - The mTLS listener asks for a certificate but does not require one, and accepts any
//!   certificate that parses: which certificates authenticate is the client's method's decision
//!   (a CA for `client-x509`, a registered key for `self-signed-tls-client-auth`). The
//!   handshake signatures are always verified (rustls' own `verify_tls12_signature` /
//!   `verify_tls13_signature`): that is the proof that the client holds the certificate's key.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderName;
use keyward_credentials::mtls::{
    forwarded_certificate, CertificateRefusal, ForwardedFormat, PresentedCertificate,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

use crate::config::ConfigError;
use crate::AppState;

/// The deployment's RFC 8705 settings.
#[derive(Debug, Default)]
pub struct MtlsSettings {
    /// `KEYWARD_MTLS_CA`: the CAs `client-x509` certificates must chain to (DER).
    pub trust_anchors: Vec<Vec<u8>>,
    /// `KEYWARD_MTLS_CERT_HEADER` and its format.
    pub header: Option<(HeaderName, ForwardedFormat)>,
    /// The mTLS listener's base URL (discovery's `mtls_endpoint_aliases`), when it runs.
    pub base_url: Option<String>,
}

/// The certificate chain a client presented in the handshake of the mTLS listener (leaf
/// first, DER).
#[derive(Clone, Debug)]
pub struct PeerCertificates(pub Arc<Vec<Vec<u8>>>);

/// Reads `KEYWARD_MTLS_CA`: every PEM certificate in the file, each usable as a trust anchor.
pub fn load_trust_anchors(path: &Path) -> Result<Vec<Vec<u8>>, ConfigError> {
    use rustls::pki_types::pem::PemObject;
    const SETTING: &str = "KEYWARD_MTLS_CA";
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| ConfigError::new(SETTING, format!("{}: {e}", path.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| ConfigError::new(SETTING, format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(ConfigError::new(
            SETTING,
            format!("{} holds no PEM certificate", path.display()),
        ));
    }
    for (i, c) in certs.iter().enumerate() {
        keyward_credentials::mtls::check_trust_anchor(c).map_err(|e| {
            ConfigError::new(
                SETTING,
                format!(
                    "certificate {} of {} is not a usable CA: {e}",
                    i + 1,
                    path.display()
                ),
            )
        })?;
    }
    Ok(certs.into_iter().map(|c| c.to_vec()).collect())
}

/// The client certificate that came with a request (see the module's invariants).
pub struct ClientCertificate(pub PresentedCertificate);

impl FromRequestParts<AppState> for ClientCertificate {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientCertificate(presented(parts, state)))
    }
}

fn presented(parts: &Parts, state: &AppState) -> PresentedCertificate {
    if let Some(PeerCertificates(chain)) = parts.extensions.get::<PeerCertificates>() {
        if !chain.is_empty() {
            return PresentedCertificate::Chain(chain.to_vec());
        }
    }
    let Some((name, format)) = &state.mtls.header else {
        return PresentedCertificate::None;
    };
    let values: Vec<_> = parts.headers.get_all(name).iter().collect();
    if values.is_empty() {
        return PresentedCertificate::None;
    }
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let trusted = peer.is_some_and(|ip| state.trusted_proxies.contains(ip));
    if !trusted {
        let shown = peer.map_or_else(|| "an unknown peer".to_string(), |ip| ip.to_string());
        tracing::warn!(peer = %shown, header = %name, "a client certificate header from a peer that is not a trusted proxy was ignored");
        return PresentedCertificate::Refused(CertificateRefusal::UntrustedForwarder(shown));
    }
    let [value] = values.as_slice() else {
        return PresentedCertificate::Refused(CertificateRefusal::Malformed(format!(
            "the {name} header was sent {} times",
            values.len()
        )));
    };
    let Ok(value) = value.to_str() else {
        return PresentedCertificate::Refused(CertificateRefusal::Malformed(format!(
            "the {name} header is not ASCII"
        )));
    };
    // A proxy that forwards the header when the client sent no certificate sends it empty
    // (nginx's $ssl_client_escaped_cert) or "(null)".
    if value.trim().is_empty() || value.trim() == "(null)" {
        return PresentedCertificate::None;
    }
    match forwarded_certificate(*format, value) {
        Ok(der) => PresentedCertificate::Chain(vec![der]),
        Err(e) => PresentedCertificate::Refused(CertificateRefusal::BadForwardedHeader(e)),
    }
}

/// Asks for a client certificate, never requires one, accepts any certificate that parses as
/// X.509, and verifies the handshake signatures with the provider's algorithms.
#[derive(Debug)]
pub struct AnyClientCertificate {
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl AnyClientCertificate {
    pub fn new(provider: Arc<rustls::crypto::CryptoProvider>) -> Self {
        AnyClientCertificate { provider }
    }
}

impl ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: a client then offers whatever certificate it has (a self-signed one for
        // self_signed_tls_client_auth included); the method decides afterwards.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        keyward_credentials::mtls::leaf_spki(end_entity).map_err(|_| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
        })?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
