package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CronSpec is a parsed standard five-field cron expression
// (minute hour day-of-month month day-of-week). Each field is a set of
// allowed values kept as a bit mask.
type CronSpec struct {
	minute, hour, dom, month, dow uint64
	// domStar/dowStar: the field began with '*'. As in Vixie cron, when both
	// day fields are restricted a time matches if EITHER of them matches;
	// otherwise both must match.
	domStar, dowStar bool
}

type cronField struct {
	name     string
	min, max int
}

var cronFields = [5]cronField{
	{"minute", 0, 59},
	{"hour", 0, 23},
	{"day-of-month", 1, 31},
	{"month", 1, 12},
	{"day-of-week", 0, 7},
}

// ParseCron parses "minute hour dom month dow". Each field is a comma
// separated list of items; an item is `*`, `N`, `A-B`, each optionally
// followed by `/STEP` (`N/STEP` means N-max/STEP). Numbers only; in the
// day-of-week field both 0 and 7 mean Sunday.
func ParseCron(expr string) (*CronSpec, error) {
	parts := strings.Fields(expr)
	if len(parts) != 5 {
		return nil, fmt.Errorf("invalid cron %q: expected 5 fields (minute hour day-of-month month day-of-week), got %d", expr, len(parts))
	}
	var masks [5]uint64
	for i, f := range cronFields {
		m, err := parseCronField(parts[i], f)
		if err != nil {
			return nil, fmt.Errorf("invalid cron %q: %s field %q: %s", expr, f.name, parts[i], err)
		}
		masks[i] = m
	}
	if masks[4]&(1<<7) != 0 { // 7 is Sunday too
		masks[4] = masks[4]&^(1<<7) | 1
	}
	return &CronSpec{
		minute: masks[0], hour: masks[1], dom: masks[2], month: masks[3], dow: masks[4],
		domStar: strings.HasPrefix(parts[2], "*"),
		dowStar: strings.HasPrefix(parts[4], "*"),
	}, nil
}

func parseCronField(s string, f cronField) (uint64, error) {
	var mask uint64
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			return 0, fmt.Errorf("empty list item")
		}
		rng, stepStr, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := cronNumber(stepStr)
			if err != nil {
				return 0, fmt.Errorf("step %q: %s", stepStr, err)
			}
			if n < 1 || n > f.max {
				return 0, fmt.Errorf("step %d out of range 1-%d", n, f.max)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = cronValue(a, f); err != nil {
				return 0, err
			}
			if hi, err = cronValue(b, f); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("range %d-%d is backwards", lo, hi)
			}
		default:
			v, err := cronValue(rng, f)
			if err != nil {
				return 0, err
			}
			lo = v
			if !hasStep {
				hi = v
			}
		}
		for v := lo; v <= hi; v += step {
			mask |= 1 << uint(v)
		}
	}
	return mask, nil
}

func cronNumber(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("missing number")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	if len(s) > 4 {
		return 0, fmt.Errorf("%s is too large", s)
	}
	n, _ := strconv.Atoi(s)
	return n, nil
}

func cronValue(s string, f cronField) (int, error) {
	n, err := cronNumber(s)
	if err != nil {
		return 0, err
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("value %d out of range %d-%d", n, f.min, f.max)
	}
	return n, nil
}

// Matches reports whether the minute that t falls in is selected.
func (c *CronSpec) Matches(t time.Time) bool {
	has := func(mask uint64, v int) bool { return mask&(1<<uint(v)) != 0 }
	if !has(c.minute, t.Minute()) || !has(c.hour, t.Hour()) || !has(c.month, int(t.Month())) {
		return false
	}
	domOK, dowOK := has(c.dom, t.Day()), has(c.dow, int(t.Weekday()))
	if c.domStar || c.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}
