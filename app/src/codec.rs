//! `StrJson`: how every server function sends its result, JSON that the browser decodes from a
//! string.
//!
//! Leptos decodes a hydrated resource with `serde_json::from_str`, and its stock `Json` output
//! decodes a server function's result with `serde_json::from_slice`. serde_json compiles each
//! type's deserializer once per reader, so the wasm carried two copies of every result type's
//! deserializer. With this encoding both paths read strings: one copy. On the wire it is the
//! stock `application/json`.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// JSON, decoded from a `&str` (see the module documentation).
pub struct StrJsonEncoding;

impl ContentType for StrJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for StrJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for StrJsonEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for StrJsonEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde::de::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// A server function's result as JSON in the body of its `POST` answer.
pub type StrJson = Post<StrJsonEncoding>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_utf8_json() {
        let bytes = <StrJsonEncoding as Encodes<Vec<String>>>::encode(&vec!["ä".into()]).unwrap();
        assert_eq!(&bytes[..], "[\"ä\"]".as_bytes());
        let back: Vec<String> = StrJsonEncoding::decode(bytes).unwrap();
        assert_eq!(back, vec!["ä".to_string()]);
        let bad = <StrJsonEncoding as Decodes<String>>::decode(Bytes::from_static(b"\"\xff\""));
        assert!(bad.is_err());
        let bad = <StrJsonEncoding as Decodes<String>>::decode(Bytes::from_static(b"{"));
        assert!(bad.is_err());
    }
}
