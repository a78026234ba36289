//! NTLMv2 messages for HTTP authentication (`Authorization: NTLM <base64>`), built with the
//! `ntlmclient` crate.
//!
//! NTLM authenticates a TCP connection, not a request: NEGOTIATE, CHALLENGE and AUTHENTICATE
//! must travel on the same connection. The transport keeps that connection (see
//! `Transport::send`); this module only makes and reads the tokens.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ntlmclient::{Credentials, Flags, Message, NegotiateMessage};

/// Workstation name sent in the NTLM messages.
const WORKSTATION: &str = "EWS-CONFORMANCE";

/// Why an NTLM token could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum NtlmError {
    #[error("the server's NTLM challenge is not valid base64")]
    ChallengeBase64,
    #[error("the server's NTLM challenge is malformed ({0})")]
    ChallengeMalformed(String),
    #[error("could not encode an NTLM message ({0})")]
    Encode(String),
}

fn flags() -> Flags {
    Flags::NEGOTIATE_UNICODE
        | Flags::REQUEST_TARGET
        | Flags::NEGOTIATE_NTLM
        | Flags::NEGOTIATE_ALWAYS_SIGN
        | Flags::NEGOTIATE_NTLM2_KEY
        | Flags::NEGOTIATE_TARGET_INFO
        | Flags::NEGOTIATE_128BIT
        | Flags::NEGOTIATE_56BIT
}

/// The NEGOTIATE token, base64.
pub fn negotiate_token() -> Result<String, NtlmError> {
    let message = Message::Negotiate(NegotiateMessage {
        flags: flags(),
        supplied_domain: String::new(),
        supplied_workstation: String::new(),
        os_version: Default::default(),
    });
    let bytes = message
        .to_bytes()
        .map_err(|e| NtlmError::Encode(format!("{e:?}")))?;
    Ok(STANDARD.encode(bytes))
}

/// The challenge token of a `WWW-Authenticate: NTLM <base64>` header value, if it is one.
pub fn challenge_of(www_authenticate: &str) -> Option<&str> {
    let value = www_authenticate.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("NTLM") && !token.trim().is_empty()).then(|| token.trim())
}

/// The AUTHENTICATE token (base64) answering `challenge_b64` with NTLMv2.
pub fn authenticate_token(
    challenge_b64: &str,
    username: &str,
    password: &str,
    domain: Option<&str>,
) -> Result<String, NtlmError> {
    let bytes = STANDARD
        .decode(challenge_b64.as_bytes())
        .map_err(|_| NtlmError::ChallengeBase64)?;
    let credentials = Credentials {
        username: username.to_string(),
        password: password.to_string(),
        domain: domain.unwrap_or_default().to_string(),
    };
    // The parser is a third-party crate fed with server bytes: never let a panic in it escape.
    let built = std::panic::catch_unwind(move || -> Result<Vec<u8>, NtlmError> {
        let challenge = match Message::try_from(bytes.as_slice()) {
            Ok(Message::Challenge(challenge)) => challenge,
            Ok(other) => {
                return Err(NtlmError::ChallengeMalformed(format!(
                    "expected a CHALLENGE message, got message type {}",
                    other.message_number()
                )));
            }
            Err(e) => return Err(NtlmError::ChallengeMalformed(format!("{e:?}"))),
        };
        let target_info: Vec<u8> = challenge
            .target_information
            .iter()
            .flat_map(|entry| entry.to_bytes())
            .collect();
        let response = ntlmclient::respond_challenge_ntlm_v2(
            challenge.challenge,
            &target_info,
            ntlmclient::get_ntlm_time(),
            &credentials,
        );
        let message = response.to_message(&credentials, WORKSTATION, challenge.flags & flags());
        message
            .to_bytes()
            .map_err(|e| NtlmError::Encode(format!("{e:?}")))
    });
    match built {
        Ok(result) => Ok(STANDARD.encode(result?)),
        Err(_) => Err(NtlmError::ChallengeMalformed(
            "the NTLM library could not read it".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiate_token_is_an_ntlmssp_type_1_message() {
        let bytes = STANDARD.decode(negotiate_token().unwrap()).unwrap();
        assert_eq!(&bytes[..8], b"NTLMSSP\0");
        assert_eq!(&bytes[8..12], &[1, 0, 0, 0]);
    }

    #[test]
    fn challenge_is_read_from_the_header_value() {
        assert_eq!(challenge_of("NTLM TlRMTVNT"), Some("TlRMTVNT"));
        assert_eq!(challenge_of("ntlm  abc "), Some("abc"));
        assert_eq!(challenge_of("NTLM"), None);
        assert_eq!(challenge_of("Negotiate abc"), None);
    }

    #[test]
    fn hostile_challenges_are_errors_not_panics() {
        for token in [
            "!!!",
            "",
            "TlRMTVNTUAACAAAA",
            "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAA=",
        ] {
            assert!(
                authenticate_token(token, "u", "p", None).is_err(),
                "{token}"
            );
        }
        let mut bytes = b"NTLMSSP\0\x02\0\0\0".to_vec();
        bytes.extend_from_slice(&[0xff; 60]);
        assert!(authenticate_token(&STANDARD.encode(bytes), "u", "p", None).is_err());
    }
}
