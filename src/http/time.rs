//! How times are written on the wire.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;

/// RFC 3339, as every native time is written (and most faces' times). RFC 3339 has no year
/// before 0000: an earlier time (only a corrupt record could give one) is written as the first
/// instant it can express, never as an empty string.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.max(datetime!(0000-01-01 0:00 UTC));
    match t.format(&Rfc3339) {
        Ok(text) => text,
        // Only an offset with seconds is left to refuse; write the time in UTC by hand.
        Err(_) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_and_never_empty() {
        assert_eq!(
            rfc3339(datetime!(2026-12-01 12:30:05 UTC)),
            "2026-12-01T12:30:05Z"
        );
        assert_eq!(
            rfc3339(datetime!(-0001-06-01 0:00 UTC)),
            "0000-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339(datetime!(2026-12-01 12:00 +01:00:30)),
            "2026-12-01T10:59:30Z"
        );
    }
}
