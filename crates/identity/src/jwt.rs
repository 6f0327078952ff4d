//! Access tokens: HS256 JWTs with `sub`, `org`, `sid`, `iat`, `nbf`, `exp`, `iss`, `aud` and `jti`,
//! all required on verification (jsonwebtoken checks `iss`/`aud` only when listed as required,
//! and `nbf` only when asked). `sid` names the session, which authentication checks is live.

use crate::error::{IdentityError, Result};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Settings of authentication, from the server configuration.
#[derive(Clone)]
pub struct AuthSettings {
    /// HMAC secret signing access tokens.
    pub jwt_secret: Vec<u8>,
    /// `iss` of issued tokens, required on verification.
    pub issuer: String,
    /// `aud` of issued tokens, required on verification.
    pub audience: String,
    /// Lifetime of an access token, in seconds.
    pub access_ttl_secs: i64,
    /// Lifetime of a refresh token, in seconds.
    pub refresh_ttl_secs: i64,
    /// Whether `POST /auth/signup` may create organizations.
    pub signup_enabled: bool,
    /// Failed-or-not login attempts allowed per email per minute.
    pub login_attempts_per_minute: u32,
    /// Login attempts allowed per client address per minute.
    pub login_attempts_per_ip_per_minute: u32,
    /// Sign-ups allowed per client address per hour.
    pub signups_per_ip_per_hour: u32,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_secret", &"[redacted]")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl_secs", &self.access_ttl_secs)
            .field("refresh_ttl_secs", &self.refresh_ttl_secs)
            .field("signup_enabled", &self.signup_enabled)
            .field("login_attempts_per_minute", &self.login_attempts_per_minute)
            .field(
                "login_attempts_per_ip_per_minute",
                &self.login_attempts_per_ip_per_minute,
            )
            .field("signups_per_ip_per_hour", &self.signups_per_ip_per_hour)
            .finish()
    }
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: Uuid,
    /// The user's organization.
    pub org: Uuid,
    /// The session (sign-in) the token belongs to; it must still be live.
    pub sid: Uuid,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Not valid before (seconds since the epoch; the issue time).
    pub nbf: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Unique id of the token.
    pub jti: Uuid,
}

/// Authentication settings with the keys derived from them.
pub struct Auth {
    /// The settings.
    pub settings: AuthSettings,
    /// This server's cache of authenticated users (see [`crate::principal_cache`]).
    pub principals: std::sync::Arc<crate::principal_cache::PrincipalCache>,
    /// This server's uses of API keys not yet written (see [`crate::key_usage`]).
    pub key_usage: std::sync::Arc<crate::key_usage::KeyUsage>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("settings", &self.settings)
            .finish()
    }
}

impl Auth {
    /// Derives the keys and the verification rules from `settings`.
    pub fn new(settings: AuthSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(&settings.jwt_secret),
            decoding: DecodingKey::from_secret(&settings.jwt_secret),
            validation,
            settings,
            principals: crate::principal_cache::PrincipalCache::new(),
            key_usage: crate::key_usage::KeyUsage::new(),
        }
    }

    /// Issues an access token for `user_id` of `org_id` in session `session_id`.
    pub fn issue_access(
        &self,
        user_id: Uuid,
        org_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let iat = now.timestamp();
        let claims = Claims {
            sub: user_id,
            org: org_id,
            sid: session_id,
            iat,
            nbf: iat,
            exp: iat + self.settings.access_ttl_secs,
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            jti: crm_core::new_id(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| IdentityError::Core(crm_core::Error::internal(e)))
    }

    /// Verifies signature, algorithm, expiry, issuer and audience of an access token.
    pub fn verify_access(&self, token: &str) -> Result<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                IdentityError::InvalidToken(match e.kind() {
                    ErrorKind::ExpiredSignature => "the access token has expired",
                    ErrorKind::ImmatureSignature => "the access token is not valid yet",
                    ErrorKind::InvalidSignature => "the access token signature is invalid",
                    ErrorKind::InvalidAudience | ErrorKind::InvalidIssuer => {
                        "the access token was not issued for this server"
                    }
                    ErrorKind::MissingRequiredClaim(_) => "the access token lacks a required claim",
                    ErrorKind::InvalidAlgorithm => "the access token uses a refused algorithm",
                    _ => "the access token is malformed",
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(AuthSettings {
            jwt_secret: b"0123456789abcdef0123456789abcdef".to_vec(),
            issuer: "crm".into(),
            audience: "crm-api".into(),
            access_ttl_secs: 900,
            refresh_ttl_secs: 86400,
            signup_enabled: true,
            login_attempts_per_minute: 10,
            login_attempts_per_ip_per_minute: 60,
            signups_per_ip_per_hour: 20,
        })
    }

    #[test]
    fn issue_then_verify() {
        let a = auth();
        let (u, o) = (Uuid::now_v7(), Uuid::now_v7());
        let sid = Uuid::now_v7();
        let t = a.issue_access(u, o, sid, Utc::now()).unwrap();
        let c = a.verify_access(&t).unwrap();
        assert_eq!((c.sub, c.org, c.sid), (u, o, sid));
    }

    #[test]
    fn expired_is_refused() {
        let a = auth();
        let t = a
            .issue_access(
                Uuid::now_v7(),
                Uuid::now_v7(),
                Uuid::now_v7(),
                Utc::now() - chrono::Duration::hours(2),
            )
            .unwrap();
        assert!(matches!(
            a.verify_access(&t),
            Err(IdentityError::InvalidToken("the access token has expired"))
        ));
    }

    #[test]
    fn not_before_is_checked() {
        let a = auth();
        let t = a
            .issue_access(
                Uuid::now_v7(),
                Uuid::now_v7(),
                Uuid::now_v7(),
                Utc::now() + chrono::Duration::minutes(5),
            )
            .unwrap();
        assert!(matches!(
            a.verify_access(&t),
            Err(IdentityError::InvalidToken(
                "the access token is not valid yet"
            ))
        ));
    }
}
