-- Integration icons: a PNG (raster uploads fitted into 256x256) or a sanitised SVG, served at
-- /icons/{sha256}.{png|svg}; the integration's icon_url points at it.
CREATE TABLE integration_icons (
    integration_id TEXT PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX integration_icons_sha256 ON integration_icons (sha256);
