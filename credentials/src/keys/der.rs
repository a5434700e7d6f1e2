//! A tiny DER writer: canonical SubjectPublicKeyInfo for keys given by their parameters (JWK,
//! PKCS#1), the same bytes Java's `PublicKey.getEncoded()` gives (so Keycloak's kid matches).

use crate::authenticator::client_jwt::Curve;

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// A DER TLV with a definite length.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A non-negative INTEGER from big-endian magnitude bytes (minimal encoding).
fn uint(magnitude: &[u8]) -> Vec<u8> {
    let mut m = magnitude;
    while let [0, rest @ ..] = m {
        m = rest;
    }
    let mut content = Vec::with_capacity(m.len() + 1);
    if m.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(m);
    tlv(0x02, &content)
}

fn spki(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
    let bits = tlv(0x03, &[&[0u8][..], key].concat());
    tlv(0x30, &[tlv(0x30, algorithm), bits].concat())
}

/// RSA SPKI from the modulus and exponent (big-endian, leading zeros allowed).
pub(crate) fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    let algorithm = [tlv(0x06, OID_RSA), vec![0x05, 0x00]].concat();
    let key = tlv(0x30, &[uint(n), uint(e)].concat());
    spki(&algorithm, &key)
}

/// EC SPKI from the coordinates (each exactly the curve's coordinate length).
pub(crate) fn ec_spki(curve: Curve, x: &[u8], y: &[u8]) -> Vec<u8> {
    let curve_oid = match curve {
        Curve::P256 => OID_P256,
        Curve::P384 => OID_P384,
        Curve::P521 => OID_P521,
    };
    let algorithm = [tlv(0x06, OID_EC), tlv(0x06, curve_oid)].concat();
    spki(&algorithm, &[&[4u8][..], x, y].concat())
}

/// Ed25519 SPKI from the 32-byte public key.
pub(crate) fn ed25519_spki(x: &[u8]) -> Vec<u8> {
    spki(&tlv(0x06, OID_ED25519), x)
}

/// An RSA SPKI wrapping a PKCS#1 RSAPublicKey as it is (to be analysed, then re-encoded).
pub(crate) fn wrap_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    let algorithm = [tlv(0x06, OID_RSA), vec![0x05, 0x00]].concat();
    spki(&algorithm, pkcs1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_integers() {
        assert_eq!(tlv(0x04, &[]), [0x04, 0x00]);
        assert_eq!(tlv(0x04, &[7; 0x7f])[..2], [0x04, 0x7f]);
        assert_eq!(tlv(0x04, &[7; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[7; 0x1234])[..4], [0x04, 0x82, 0x12, 0x34]);
        assert_eq!(uint(&[0, 0, 1]), [0x02, 0x01, 0x01]);
        assert_eq!(uint(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[]), [0x02, 0x01, 0x00]);
    }

    #[test]
    fn canonical_like_openssl() {
        // The SPKI OpenSSL wrote for the Ed25519 fixture is rebuilt byte for byte.
        let pem = include_bytes!("../../tests/fixtures/keys/ed25519-pub.pem");
        let der = ::pem::parse(pem).unwrap().into_contents();
        assert_eq!(ed25519_spki(&der[12..]), der);
        let pem = include_bytes!("../../tests/fixtures/keys/p384-pub.pem");
        let der = ::pem::parse(pem).unwrap().into_contents();
        let point = &der[der.len() - 96..];
        assert_eq!(ec_spki(Curve::P384, &point[..48], &point[48..]), der);
    }
}
