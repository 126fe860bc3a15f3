//! A customer's files: attachments (`/api/v1/customers/{id}/attachments[/{attachment_id}[/content]]`
//! and `/api/v1/embedded/attachments[...]`) and the avatar (`PUT|DELETE
//! /api/v1/customers/{id}/avatar`, served at `/avatars/{sha256}.png`).

use serde::{Deserialize, Serialize};

/// A stored attachment (its content is at `…/{id}/content`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AttachmentView {
    /// Id.
    pub id: String,
    /// The customer owning it.
    pub customer_id: String,
    /// File name (without any path, control characters removed, at most 255 characters).
    pub name: String,
    /// Content type, as declared and checked.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: UploadedBy,
    /// Upload time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
}

/// Who uploaded an attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct UploadedBy {
    /// `organization` (the vendor's API key) or `customer_user`.
    pub kind: UploaderKind,
    /// The customer user (`sub`); null for the organization.
    pub user_id: Option<String>,
}

wire_enum! {
    /// The kind of an attachment's uploader.
    pub enum UploaderKind {
        /// The vendor, with an API key.
        Organization = "organization",
        /// A customer user.
        CustomerUser = "customer_user",
    }
}

/// The multipart body of an upload (`multipart/form-data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AttachmentUpload {
    /// The file, with its name and content type in its part's headers (at most 10 MiB).
    #[cfg_attr(feature = "schema", schema(value_type = String, format = Binary))]
    pub file: Vec<u8>,
}

/// Raw file bytes: an avatar upload's body, an attachment's download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "schema", schema(value_type = String, format = Binary))]
pub struct FileBytes(pub Vec<u8>);

query! {
    /// Filter and paging of an attachment list.
    pub struct AttachmentQuery {
        /// Case-insensitive substring of the file name.
        pub q: Option<String>,
    }
    with paging
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    #[test]
    fn attachments_as_the_service_sends_them() {
        let page: Page<AttachmentView> = round_trip(json!({"items": [{"id": "att_1",
            "customer_id": "cus_1", "name": "invoice.pdf", "content_type": "application/pdf",
            "size": 1234, "sha256": "ab12", "uploaded_by": {"kind": "customer_user",
            "user_id": "ada@globex.example"}, "created_at": "2026-11-30T05:21:34.136Z"}],
            "next_cursor": null}));
        assert_eq!(page.items[0].uploaded_by.kind, UploaderKind::CustomerUser);
        let vendor: AttachmentView = round_trip(json!({"id": "att_2", "customer_id": "cus_1",
            "name": "a.txt", "content_type": "text/plain", "size": 1, "sha256": "cd",
            "uploaded_by": {"kind": "organization", "user_id": null},
            "created_at": "2026-11-30T05:21:34.136Z"}));
        assert_eq!(vendor.uploaded_by.user_id, None);
    }

    #[test]
    fn the_query_takes_q_and_paging() {
        round_trip::<AttachmentQuery>(json!({"q": "inv", "limit": 2, "cursor": "att_1"}));
    }

    #[test]
    fn uploader_kinds_are_open() {
        open_enum(UploaderKind::KNOWN, UploaderKind::Other("robot".into()));
    }
}
