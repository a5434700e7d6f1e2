//! Fuzz target: JWKS uploads and JWKS fetched from a jwks_uri (the lenient parser).
#![no_main]

use keyward_credentials::keys::{self, ImportRequest, KeyFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let req = ImportRequest {
        format: Some(KeyFormat::Jwks),
        bytes: data,
        store_password: None,
        alias: None,
    };
    let strict = keys::import(&req);
    if let Ok(fetched) = keys::parse_fetched_jwks(data) {
        // An upload accepted in full is accepted in full when fetched.
        if let Ok(strict) = strict {
            assert_eq!(fetched.keys.len(), strict.len());
            assert!(fetched.skipped.is_empty());
        }
        for k in fetched.keys {
            keys::facts(&k.spki_der, k.certificate_der.as_deref()).expect("facts of a fetched key");
        }
    }
});
