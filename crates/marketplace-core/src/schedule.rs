//! Ticks of scheduled flows: when a 5-field cron expression fires in an IANA time zone.
//!
//! Behind the `schedule` feature (croner and chrono-tz, whose zone database is large): the
//! service enables it, the WebAssembly build leaves it off. Daylight-saving transitions follow
//! one rule: a local time that a transition skips does not fire, and a local time that a
//! transition repeats fires once, at its first occurrence.

use chrono::{LocalResult, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// At most this many local candidates are tried (skipped or repeated ones) before giving up;
/// a DST transition skips or repeats at most an hour, which is 60 minute candidates.
const MAX_CANDIDATES: usize = 1_000;

/// The first tick of `cron` in `zone` strictly after `after` (Unix milliseconds), in Unix
/// milliseconds; `None` when the expression or the zone does not parse, or it never fires.
pub fn next_tick(cron: &str, zone: &str, after: i64) -> Option<i64> {
    let zone: Tz = zone.parse().ok()?;
    let cron = parse(cron)?;
    let mut local = Utc
        .timestamp_millis_opt(after)
        .single()?
        .with_timezone(&zone)
        .naive_local();
    for _ in 0..MAX_CANDIDATES {
        local = cron.find_next_occurrence(&local, false).ok()?;
        let instant = match zone.from_local_datetime(&local) {
            // Skipped by a transition: this local time does not exist today.
            LocalResult::None => continue,
            LocalResult::Single(at) => at,
            // Repeated by a transition: only its first occurrence fires.
            LocalResult::Ambiguous(first, _) => first,
        };
        let ms = instant.timestamp_millis();
        if ms > after {
            return Some(ms);
        }
    }
    None
}

/// Whether `cron` is an expression [`next_tick`] reads (5 fields, no seconds, no year).
pub fn is_schedulable(cron: &str) -> bool {
    parse(cron).is_some()
}

fn parse(cron: &str) -> Option<Cron> {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(cron)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix milliseconds of a `YYYY-MM-DDTHH:MM:SSZ` time.
    fn ms(utc: &str) -> i64 {
        let n = |range: std::ops::Range<usize>| utc[range].parse::<u32>().unwrap();
        Utc.with_ymd_and_hms(
            n(0..4) as i32,
            n(5..7),
            n(8..10),
            n(11..13),
            n(14..16),
            n(17..19),
        )
        .single()
        .unwrap()
        .timestamp_millis()
    }

    #[test]
    fn ticks_across_dst_transitions() {
        // (cron, zone, after, the next tick), all in UTC.
        let cases = [
            // Ordinary: every minute, every day at 09:00 local.
            (
                "* * * * *",
                "UTC",
                "2024-05-01T10:00:30Z",
                "2024-05-01T10:01:00Z",
            ),
            (
                "* * * * *",
                "UTC",
                "2024-05-01T10:00:00Z",
                "2024-05-01T10:01:00Z",
            ),
            (
                "0 9 * * *",
                "Europe/Paris",
                "2024-05-01T00:00:00Z",
                "2024-05-01T07:00:00Z",
            ),
            // Paris springs forward on 2024-03-31 at 02:00 CET to 03:00 CEST: 02:30 is skipped
            // (the next one is the day after), 03:00 happens.
            (
                "30 2 * * *",
                "Europe/Paris",
                "2024-03-30T23:00:00Z",
                "2024-04-01T00:30:00Z",
            ),
            (
                "0 3 * * *",
                "Europe/Paris",
                "2024-03-30T23:00:00Z",
                "2024-03-31T01:00:00Z",
            ),
            (
                "*/15 * * * *",
                "Europe/Paris",
                "2024-03-31T00:50:00Z",
                "2024-03-31T01:00:00Z",
            ),
            // Paris falls back on 2024-10-27 at 03:00 CEST to 02:00 CET: 02:30 fires once, at
            // its first occurrence (00:30 UTC), not again at 01:30 UTC.
            (
                "30 2 * * *",
                "Europe/Paris",
                "2024-10-26T23:00:00Z",
                "2024-10-27T00:30:00Z",
            ),
            (
                "30 2 * * *",
                "Europe/Paris",
                "2024-10-27T00:30:00Z",
                "2024-10-28T01:30:00Z",
            ),
            (
                "*/30 * * * *",
                "Europe/Paris",
                "2024-10-27T00:30:00Z",
                "2024-10-27T02:00:00Z",
            ),
            // From inside the repeated hour's second pass: the next new local time.
            (
                "*/30 * * * *",
                "Europe/Paris",
                "2024-10-27T01:10:00Z",
                "2024-10-27T02:00:00Z",
            ),
            // New York springs forward on 2024-03-10 at 02:00 EST to 03:00 EDT and falls back
            // on 2024-11-03 at 02:00 EDT to 01:00 EST.
            (
                "30 2 * * *",
                "America/New_York",
                "2024-03-10T05:00:00Z",
                "2024-03-11T06:30:00Z",
            ),
            (
                "59 1 * * *",
                "America/New_York",
                "2024-03-10T05:00:00Z",
                "2024-03-10T06:59:00Z",
            ),
            (
                "30 1 * * *",
                "America/New_York",
                "2024-11-03T04:00:00Z",
                "2024-11-03T05:30:00Z",
            ),
            (
                "30 1 * * *",
                "America/New_York",
                "2024-11-03T05:30:00Z",
                "2024-11-04T06:30:00Z",
            ),
            (
                "0 * * * *",
                "America/New_York",
                "2024-11-03T05:00:00Z",
                "2024-11-03T07:00:00Z",
            ),
        ];
        for (cron, zone, after, expected) in cases {
            let got = next_tick(cron, zone, ms(after));
            assert_eq!(
                got,
                Some(ms(expected)),
                "{cron} in {zone} after {after}: {expected}"
            );
        }
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(next_tick("* * * * *", "Mars/Olympus", 0), None);
        assert_eq!(next_tick("61 * * * *", "UTC", 0), None);
        assert_eq!(next_tick("* * * * * *", "UTC", 0), None, "no seconds");
        assert_eq!(next_tick("0 0 30 2 *", "UTC", 0), None, "never fires");
        assert!(is_schedulable("0 9-17 * JAN-MAR MON-FRI"));
        assert!(!is_schedulable("* * * *"));
    }
}
