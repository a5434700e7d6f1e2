//! Fuzz target: PEM uploads (certificate, SPKI, PKCS#1, bare base64).
#![no_main]

use keyward_credentials::keys::{self, ImportRequest, KeyFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let req = ImportRequest {
        format: Some(KeyFormat::PublicKeyPem),
        bytes: data,
        store_password: Some("storepass1"),
        alias: None,
    };
    if let Ok(found) = keys::import(&req) {
        for k in found {
            // Whatever was accepted must describe and export without failing.
            keys::facts(&k.spki_der, k.certificate_der.as_deref())
                .expect("facts of an accepted key");
            keys::public_jwk(
                &k.spki_der,
                "k",
                k.alg.as_deref(),
                k.certificate_der.as_deref(),
            )
            .expect("JWK of an accepted key");
        }
    }
});
