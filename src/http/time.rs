//! How times are written on the wire.

use time::OffsetDateTime;

/// RFC 3339 in UTC, as every native time is written (and most faces' times).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
