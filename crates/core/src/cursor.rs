//! Opaque cursors for keyset pagination: the sort key values of the last row returned, as
//! base64url-encoded JSON. Clients must treat them as opaque strings.

use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Serialize, de::DeserializeOwned};

/// Encodes the key of the last row of a page.
pub fn encode<T: Serialize>(key: &T) -> String {
    // Serialising plain data to JSON cannot fail; fall back to an empty cursor just in case.
    let json = serde_json::to_vec(key).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Decodes a cursor; a cursor that was not produced by [`encode`] for `T` is a 422 on `/cursor`.
pub fn decode<T: DeserializeOwned>(cursor: &str) -> Result<T> {
    let bad = || Error::invalid_field("/cursor", "invalid_cursor", "is not a valid cursor");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let key = ("2026-01-01T00:00:00Z".to_string(), uuid::Uuid::nil());
        let c = encode(&key);
        let back: (String, uuid::Uuid) = decode(&c).unwrap();
        assert_eq!(back, key);
        let err = decode::<(String, uuid::Uuid)>("!!!").unwrap_err();
        assert_eq!(err.fields[0].pointer, "/cursor");
    }
}
