//! Fuzz target: format recognition and import of any upload, then the exports of what was
//! accepted, which must import back to the same key.
#![no_main]

use keyward_credentials::keys::{self, ImportRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = keys::detect(data);
    let req = ImportRequest {
        format: None,
        bytes: data,
        store_password: Some("storepass1"),
        alias: None,
    };
    if let Ok(found) = keys::import(&req) {
        for k in found {
            keys::facts(&k.spki_der, k.certificate_der.as_deref())
                .expect("facts of an accepted key");
            let jwk = keys::public_jwk(
                &k.spki_der,
                "k",
                k.alg.as_deref(),
                k.certificate_der.as_deref(),
            )
            .expect("JWK of an accepted key")
            .to_string();
            let back = keys::import(&ImportRequest {
                format: None,
                bytes: jwk.as_bytes(),
                store_password: None,
                alias: None,
            })
            .expect("the exported JWK imports");
            assert_eq!(back.len(), 1);
            let pem = keys::public_key_pem(&k.spki_der);
            let again = keys::import(&ImportRequest {
                format: None,
                bytes: pem.as_bytes(),
                store_password: None,
                alias: None,
            })
            .expect("the exported PEM imports");
            assert_eq!(again[0].spki_der, k.spki_der);
        }
    }
});
