//! The customer portal's sign-in rules: passwords, invitation and session lifetimes, lockout,
//! email normalisation and pinned roles.
//!
//! Times are Unix milliseconds, passed in; nothing here reads a clock.

use crate::customer::Role;
use crate::error::{FieldError, FieldErrorCode as Code};
use crate::formats::is_email;

/// Fewest characters (Unicode scalar values) a password may have.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Most characters (Unicode scalar values) a password may have.
pub const MAX_PASSWORD_CHARS: usize = 128;
/// How long an invitation or a password-reset link stays usable: 7 days.
pub const INVITATION_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;
/// How long a portal session lasts: 12 hours.
pub const SESSION_LIFETIME_MS: i64 = 12 * 3600 * 1000;
/// Consecutive failed sign-ins that lock an email.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 5;
/// How long a lock lasts: 15 minutes.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;

/// Checks a new password's length, counted in characters: `/password` `min_length` or
/// `max_length`. The message never echoes the password.
pub fn check_password(password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldError::new(
            "/password",
            Code::MinLength,
            format!("must be at least {MIN_PASSWORD_CHARS} characters long"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(FieldError::new(
            "/password",
            Code::MaxLength,
            format!("must be at most {MAX_PASSWORD_CHARS} characters long"),
        ));
    }
    Ok(())
}

/// The form of an email used for lookups (trimmed, lower-cased), or a `/email` `format` error
/// when it is not an email address.
pub fn normalize_email(email: &str) -> Result<String, FieldError> {
    let normalized = email.trim().to_lowercase();
    if is_email(&normalized) {
        Ok(normalized)
    } else {
        Err(FieldError::new(
            "/email",
            Code::Format,
            "must be an email address (name@example.com)",
        ))
    }
}

/// The role a user acts with: the lower of the token's (or invitation's) role and the role the
/// vendor pinned, if any (`viewer` < `admin`).
pub fn effective_role(token_role: Role, pinned: Option<Role>) -> Role {
    match (token_role, pinned) {
        (Role::Viewer, _) | (_, Some(Role::Viewer)) => Role::Viewer,
        (Role::Admin, _) => Role::Admin,
    }
}

/// What an invitation or a password-reset link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvitationPurpose {
    /// A new user (or an existing user without a password) sets a first password.
    Invite,
    /// A known user chooses a new password; accepting ends the user's other sessions.
    Reset,
}

impl InvitationPurpose {
    /// The stored name (`invite`, `reset`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invite => "invite",
            Self::Reset => "reset",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invite" => Some(Self::Invite),
            "reset" => Some(Self::Reset),
            _ => None,
        }
    }
}

/// When an invitation created at `now_ms` expires.
pub fn invitation_expires_at(now_ms: i64) -> i64 {
    now_ms.saturating_add(INVITATION_LIFETIME_MS)
}

/// Whether an invitation may be accepted at `now_ms`: not used yet and not expired. A used
/// invitation is deleted, so the service passes `used = false` for every row it still finds.
pub fn invitation_is_open(expires_at_ms: i64, used: bool, now_ms: i64) -> bool {
    !used && now_ms < expires_at_ms
}

/// When a session opened at `now_ms` ends.
pub fn session_expires_at(now_ms: i64) -> i64 {
    now_ms.saturating_add(SESSION_LIFETIME_MS)
}

/// Whether a session ending at `expires_at_ms` is still live at `now_ms`.
pub fn session_is_live(expires_at_ms: i64, now_ms: i64) -> bool {
    now_ms < expires_at_ms
}

/// The lockout state of one (organization, normalised email), known email or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    /// Consecutive failures since the last success or the last lock.
    pub failures: u32,
    /// Until when sign-in is refused (Unix ms), if locked.
    pub locked_until: Option<i64>,
}

impl LoginFailures {
    /// Seconds to wait (rounded up, at least 1) when sign-in is locked at `now_ms`, else `None`.
    /// While locked, even the right password is refused.
    pub fn retry_after_s(&self, now_ms: i64) -> Option<u64> {
        let until = self.locked_until?;
        let left = until.checked_sub(now_ms).filter(|&ms| ms > 0)?;
        Some(u64::try_from(left).unwrap_or(0).div_ceil(1000).max(1))
    }

    /// The state after a wrong password (or an unknown email) at `now_ms`: one more failure;
    /// the fifth in a row locks for [`LOCKOUT_MS`] and starts the count again. A failure while
    /// locked is not counted (the attempt is refused before any check).
    #[must_use]
    pub fn after_failure(self, now_ms: i64) -> Self {
        if self.retry_after_s(now_ms).is_some() {
            return self;
        }
        let failures = self.failures.saturating_add(1);
        if failures >= MAX_CONSECUTIVE_FAILURES {
            Self {
                failures: 0,
                locked_until: Some(now_ms.saturating_add(LOCKOUT_MS)),
            }
        } else {
            Self {
                failures,
                locked_until: None,
            }
        }
    }

    /// The state after a successful sign-in: no failures, no lock.
    #[must_use]
    pub fn after_success(self) -> Self {
        Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_counted_in_characters() {
        let table: [(String, Option<Code>); 6] = [
            ("a".repeat(11), Some(Code::MinLength)),
            ("a".repeat(12), None),
            ("é".repeat(12), None), // 24 bytes, 12 characters
            ("é".repeat(11), Some(Code::MinLength)),
            ("a".repeat(128), None),
            ("🙂".repeat(129), Some(Code::MaxLength)),
        ];
        for (password, expected) in table {
            let got = check_password(&password).err();
            assert_eq!(got.as_ref().map(|e| e.code), expected, "{password}");
            if let Some(e) = got {
                assert_eq!(e.path, "/password");
                assert!(!e.message.contains(&password));
            }
        }
    }

    #[test]
    fn emails_are_trimmed_lower_cased_and_checked() {
        let table = [
            (" Ann@Example.COM ", Some("ann@example.com")),
            ("bob@example.org", Some("bob@example.org")),
            ("no-at-sign", None),
            ("x@localhost", None),
            ("", None),
        ];
        for (input, expected) in table {
            let got = normalize_email(input);
            assert_eq!(got.as_deref().ok(), expected, "{input:?}");
            if let Err(e) = got {
                assert_eq!((e.path.as_str(), e.code), ("/email", Code::Format));
            }
        }
    }

    #[test]
    fn the_effective_role_is_the_lower() {
        let table = [
            (Role::Admin, None, Role::Admin),
            (Role::Admin, Some(Role::Admin), Role::Admin),
            (Role::Admin, Some(Role::Viewer), Role::Viewer),
            (Role::Viewer, None, Role::Viewer),
            (Role::Viewer, Some(Role::Admin), Role::Viewer),
            (Role::Viewer, Some(Role::Viewer), Role::Viewer),
        ];
        for (token, pinned, expected) in table {
            assert_eq!(
                effective_role(token, pinned),
                expected,
                "{token:?} {pinned:?}"
            );
        }
    }

    #[test]
    fn invitations_last_seven_days_and_serve_once() {
        let now = 1_000_000;
        let expires = invitation_expires_at(now);
        assert_eq!(expires - now, 604_800_000);
        let table = [
            (now, false, true),
            (expires - 1, false, true),
            (expires, false, false),
            (now, true, false),
        ];
        for (at, used, open) in table {
            assert_eq!(invitation_is_open(expires, used, at), open, "{at} {used}");
        }
        for purpose in [InvitationPurpose::Invite, InvitationPurpose::Reset] {
            assert_eq!(InvitationPurpose::parse(purpose.as_str()), Some(purpose));
        }
        assert_eq!(InvitationPurpose::parse("other"), None);
    }

    #[test]
    fn sessions_last_twelve_hours() {
        let expires = session_expires_at(0);
        assert_eq!(expires, 43_200_000);
        assert!(session_is_live(expires, expires - 1));
        assert!(!session_is_live(expires, expires));
    }

    #[test]
    fn five_failures_in_a_row_lock_for_fifteen_minutes() {
        let mut state = LoginFailures::default();
        for i in 1..5 {
            state = state.after_failure(i);
            assert_eq!(state.failures, u32::try_from(i).unwrap());
            assert_eq!(state.retry_after_s(i), None);
        }
        state = state.after_failure(10_000);
        assert_eq!(state.locked_until, Some(10_000 + LOCKOUT_MS));
        assert_eq!(state.retry_after_s(10_000), Some(900));
        assert_eq!(state.retry_after_s(10_001), Some(900)); // rounded up
        assert_eq!(state.retry_after_s(10_000 + LOCKOUT_MS - 1), Some(1));
        assert_eq!(state.retry_after_s(10_000 + LOCKOUT_MS), None);
        // A failure while locked changes nothing; after the lock, counting starts again.
        assert_eq!(state.after_failure(20_000), state);
        let after = state.after_failure(10_000 + LOCKOUT_MS);
        assert_eq!(
            after,
            LoginFailures {
                failures: 1,
                locked_until: None
            }
        );
    }

    #[test]
    fn a_success_clears_the_count() {
        let state = LoginFailures::default().after_failure(0).after_failure(1);
        assert_eq!(state.failures, 2);
        assert_eq!(state.after_success(), LoginFailures::default());
    }
}
