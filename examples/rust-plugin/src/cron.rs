//! Standard five-field cron expressions (minute hour day-of-month month
//! day-of-week), numbers only.

/// The broken-down UTC time a schedule is matched against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CivilTime {
    pub minute: u32,
    pub hour: u32,
    /// 1..=31
    pub day: u32,
    /// 1..=12
    pub month: u32,
    /// 0 = Sunday .. 6 = Saturday
    pub weekday: u32,
}

impl CivilTime {
    /// The UTC time of `unix_secs`.
    pub fn utc(unix_secs: i64) -> CivilTime {
        let days = unix_secs.div_euclid(86_400);
        let secs = unix_secs.rem_euclid(86_400);
        // days since 1970-01-01 to y-m-d (Howard Hinnant's civil_from_days)
        let z = days + 719_468;
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        CivilTime {
            minute: (secs / 60 % 60) as u32,
            hour: (secs / 3600) as u32,
            day: day as u32,
            month: month as u32,
            weekday: (days + 4).rem_euclid(7) as u32, // 1970-01-01 was a Thursday
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CronSpec {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    /// The day field began with '*'. As in Vixie cron, when both day fields
    /// are restricted a time matches if EITHER matches; otherwise both must.
    dom_star: bool,
    dow_star: bool,
}

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
    },
    Field {
        name: "day-of-week",
        min: 0,
        max: 7,
    },
];

/// Parses "minute hour dom month dow". Each field is a comma separated list
/// of items; an item is `*`, `N` or `A-B`, each optionally followed by
/// `/STEP` (`N/STEP` means N-max/STEP). In day-of-week both 0 and 7 mean
/// Sunday. The error starts with "invalid cron".
pub fn parse_cron(expr: &str) -> Result<CronSpec, String> {
    let parts: Vec<&str> = expr.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(format!(
            "invalid cron {}: expected 5 fields (minute hour day-of-month month day-of-week), got {}",
            quote(expr),
            parts.len()
        ));
    }
    let mut masks = [0u64; 5];
    for (i, f) in FIELDS.iter().enumerate() {
        masks[i] = parse_field(parts[i], f).map_err(|e| {
            format!(
                "invalid cron {}: {} field {}: {}",
                quote(expr),
                f.name,
                quote(parts[i]),
                e
            )
        })?;
    }
    if masks[4] & (1 << 7) != 0 {
        masks[4] = (masks[4] & !(1 << 7)) | 1;
    }
    Ok(CronSpec {
        minute: masks[0],
        hour: masks[1],
        dom: masks[2],
        month: masks[3],
        dow: masks[4],
        dom_star: parts[2].starts_with('*'),
        dow_star: parts[4].starts_with('*'),
    })
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn parse_field(s: &str, f: &Field) -> Result<u64, String> {
    let mut mask = 0u64;
    for item in s.split(',') {
        if item.is_empty() {
            return Err("empty list item".into());
        }
        let (range, step) = match item.split_once('/') {
            Some((r, st)) => {
                let n = number(st).map_err(|e| format!("step {}: {}", quote(st), e))?;
                if n < 1 || n > f.max {
                    return Err(format!("step {} out of range 1-{}", n, f.max));
                }
                (r, Some(n))
            }
            None => (item, None),
        };
        let (lo, hi) = if range == "*" {
            (f.min, f.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (lo, hi) = (value(a, f)?, value(b, f)?);
            if lo > hi {
                return Err(format!("range {lo}-{hi} is backwards"));
            }
            (lo, hi)
        } else {
            let v = value(range, f)?;
            (v, if step.is_some() { f.max } else { v })
        };
        let step = step.unwrap_or(1);
        let mut v = lo;
        while v <= hi {
            mask |= 1 << v;
            v += step;
        }
    }
    Ok(mask)
}

fn number(s: &str) -> Result<u32, String> {
    if s.is_empty() {
        return Err("missing number".into());
    }
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("{} is not a number", quote(s)));
    }
    if s.len() > 4 {
        return Err(format!("{s} is too large"));
    }
    Ok(s.parse().unwrap())
}

fn value(s: &str, f: &Field) -> Result<u32, String> {
    let n = number(s)?;
    if n < f.min || n > f.max {
        return Err(format!("value {} out of range {}-{}", n, f.min, f.max));
    }
    Ok(n)
}

impl CronSpec {
    /// Whether the minute `t` is selected.
    pub fn matches(&self, t: &CivilTime) -> bool {
        let has = |mask: u64, v: u32| mask & (1 << v) != 0;
        if !has(self.minute, t.minute) || !has(self.hour, t.hour) || !has(self.month, t.month) {
            return false;
        }
        let (dom_ok, dow_ok) = (has(self.dom, t.day), has(self.dow, t.weekday));
        if self.dom_star || self.dow_star {
            dom_ok && dow_ok
        } else {
            dom_ok || dow_ok
        }
    }
}

#[cfg(test)]
pub(crate) fn at(s: &str) -> CivilTime {
    // "YYYY-MM-DD HH:MM" in UTC
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().unwrap();
    let (y, m, d, hh, mm) = (n(0, 4), n(5, 7), n(8, 10), n(11, 13), n(14, 16));
    // days_from_civil
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    CivilTime::utc(days * 86_400 + hh * 3600 + mm * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_breakdown() {
        assert_eq!(
            CivilTime::utc(0),
            CivilTime {
                minute: 0,
                hour: 0,
                day: 1,
                month: 1,
                weekday: 4
            }
        );
        // 2024-05-19 13:42 UTC, a Sunday
        assert_eq!(
            CivilTime::utc(1_716_126_120),
            CivilTime {
                minute: 42,
                hour: 13,
                day: 19,
                month: 5,
                weekday: 0
            }
        );
        assert_eq!(at("2024-05-19 13:42"), CivilTime::utc(1_716_126_120));
        assert_eq!(
            at("2024-02-29 23:59"),
            CivilTime {
                minute: 59,
                hour: 23,
                day: 29,
                month: 2,
                weekday: 4
            }
        );
    }

    #[test]
    fn utc_calendar_walk() {
        // every day from 1970 to 2100: the date advances by one day, months
        // have their lengths, the weekday cycles
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let (mut y, mut prev) = (1970i64, CivilTime::utc(0));
        for d in 1..(131 * 366) {
            let t = CivilTime::utc(d * 86_400 + 86_399);
            let len = [
                31,
                if leap(y) { 29 } else { 28 },
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
            ][prev.month as usize - 1];
            let want = if prev.day < len {
                (prev.day + 1, prev.month)
            } else if prev.month < 12 {
                (1, prev.month + 1)
            } else {
                y += 1;
                (1, 1)
            };
            assert_eq!((t.day, t.month), want, "day {d}");
            assert_eq!(t.weekday, (prev.weekday + 1) % 7);
            assert_eq!((t.hour, t.minute), (23, 59));
            prev = t;
        }
        assert!(y >= 2100);
    }

    #[test]
    fn parse_errors() {
        let bad = [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * 32 * *",
            "* * * 0 *",
            "* * * 13 *",
            "* * * * 8",
            "*/0 * * * *",
            "5-1 * * * *",
            "a * * * *",
            "1,,2 * * * *",
            "*/ * * * *",
            "1- * * * *",
            "-1 * * * *",
            "* * * jan *",
            "* * * * mon",
            "*/61 * * * *",
            "99999 * * * *",
        ];
        for expr in bad {
            let err = parse_cron(expr).expect_err(expr);
            assert!(err.starts_with("invalid cron"), "{expr}: {err}");
        }
        assert!(parse_cron("61 * * * *")
            .unwrap_err()
            .contains("minute field"));
    }

    #[test]
    fn matching() {
        let cases = [
            ("* * * * *", "2024-05-17 13:42", true),
            ("*/15 * * * *", "2024-05-17 13:45", true),
            ("*/15 * * * *", "2024-05-17 13:46", false),
            ("0 9-17 * * *", "2024-05-17 09:00", true),
            ("0 9-17 * * *", "2024-05-17 18:00", false),
            ("0 9-17/4 * * *", "2024-05-17 13:00", true),
            ("0 9-17/4 * * *", "2024-05-17 15:00", false),
            ("5/20 * * * *", "2024-05-17 10:45", true),
            ("5/20 * * * *", "2024-05-17 10:40", false),
            ("1,2,30-31 * * * *", "2024-05-17 10:31", true),
            ("1,2,30-31 * * * *", "2024-05-17 10:03", false),
            ("30 4 1 1 *", "2024-01-01 04:30", true),
            ("30 4 1 1 *", "2024-02-01 04:30", false),
            ("0 0 * * 0", "2024-05-19 00:00", true),
            ("0 0 * * 7", "2024-05-19 00:00", true),
            ("0 0 * * 6-7", "2024-05-19 00:00", true),
            ("0 0 * * 1-5", "2024-05-19 00:00", false),
            ("0 0 * * 1-5", "2024-05-17 00:00", true),
            ("0 0 13 * 5", "2024-05-17 00:00", true),
            ("0 0 13 * 5", "2024-05-13 00:00", true),
            ("0 0 13 * 5", "2024-05-14 00:00", false),
            ("0 0 */2 * 5", "2024-05-17 00:00", true),
            ("0 0 */2 * 5", "2024-05-10 00:00", false),
        ];
        for (expr, time, want) in cases {
            let spec = parse_cron(expr).unwrap();
            assert_eq!(spec.matches(&at(time)), want, "{expr} at {time}");
        }
    }
}
