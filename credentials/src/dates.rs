//! Calendar days (`yyyy-MM-dd`, UTC) as epoch seconds, for date filters (admin events, expiry);
//! no clock: the caller has the time.

/// Seconds since the epoch at the start (00:00:00 UTC) of a day, or at its last second when
/// `end`; `None` for anything but a valid `yyyy-MM-dd`.
pub fn day(value: &str, end: bool) -> Option<i64> {
    let mut parts = value.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month[(m - 1) as usize] {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + if end { 86_399 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::day;

    #[test]
    fn known_days() {
        assert_eq!(day("1970-01-01", false), Some(0));
        assert_eq!(day("1970-01-01", true), Some(86_399));
        // `date -u -d 2026-11-30 +%s`
        assert_eq!(day("2026-11-30", false), Some(1_795_996_800));
        assert_eq!(day("2000-02-29", false), Some(951_782_400));
        assert_eq!(day("1969-12-31", false), Some(-86_400));
    }

    #[test]
    fn refuses_what_is_not_a_day() {
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30",
            "2100-02-29",
            "2026-1-01",
            "x-01-01",
            "2026-01-01T00",
        ] {
            assert_eq!(day(bad, false), None, "{bad}");
        }
    }
}
