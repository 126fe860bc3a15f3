//! `GET/PATCH /api/v1/organization`: the vendor's name, allowed embed origins and theme defaults.

use serde::{Deserialize, Serialize};

/// The organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct OrganizationView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Origins allowed to embed the marketplace and call the embedded API.
    pub allowed_origins: Vec<String>,
    /// Theme defaults.
    pub theme: Theme,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
}

/// `PATCH` body: any subset of the fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New allowed origins (`https://app.example.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// New theme defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<Theme>,
}

/// Theme defaults of the embedded marketplace (a field left out takes its default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// `light` (default) or `dark`.
    #[serde(default)]
    pub theme: ThemeName,
    /// Accent colour, `#rrggbb` (default `#4f46e5`).
    #[serde(default = "Theme::default_accent")]
    pub accent: String,
}

impl Theme {
    /// The default accent colour.
    pub const DEFAULT_ACCENT: &str = "#4f46e5";

    fn default_accent() -> String {
        Self::DEFAULT_ACCENT.to_owned()
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            theme: ThemeName::default(),
            accent: Self::default_accent(),
        }
    }
}

wire_enum! {
    /// The embedded marketplace's theme.
    pub enum ThemeName: Default {
        /// Light.
        #[default]
        Light = "light",
        /// Dark.
        Dark = "dark",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    #[test]
    fn the_organization_as_the_service_sends_it() {
        let org: OrganizationView = round_trip(json!({"id": "org_1", "name": "Demo Vendor",
            "allowed_origins": ["http://127.0.0.1:18081"], "theme": {"theme": "dark", "accent": "#112233"},
            "created_at": "2026-11-30T05:21:33.497Z"}));
        assert_eq!(org.theme.theme, ThemeName::Dark);
    }

    #[test]
    fn a_patch_refuses_unknown_fields_and_fills_theme_defaults() {
        let patch: OrganizationPatch = serde_json::from_value(json!({"theme": {}})).unwrap();
        assert_eq!(patch.theme, Some(Theme::default()));
        assert!(serde_json::from_value::<OrganizationPatch>(json!({"nom": "x"})).is_err());
        assert!(serde_json::from_value::<Theme>(json!({"font": "x"})).is_err());
        // A theme name the service does not know is decoded, for the service to report.
        let theme: Theme = serde_json::from_value(json!({"theme": "blue"})).unwrap();
        assert_eq!(theme.theme, ThemeName::Other("blue".into()));
    }

    #[test]
    fn theme_names_are_open() {
        open_enum(ThemeName::KNOWN, ThemeName::Other("sepia".into()));
    }
}
