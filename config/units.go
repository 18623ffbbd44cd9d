package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written in the file as a Go duration string,
// "30s", "5m", "1h30m", which may start with whole days: "14d", "1d12h".
type Duration struct{ time.Duration }

// UnmarshalText parses a duration string such as "30s" or "14d".
func (d *Duration) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	v, err := parseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (write it like \"30s\", \"5m\", \"1h\" or \"14d\")", s)
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	d.Duration = v
	return nil
}

// UnmarshalTOML accepts a duration string; a bare number is an error, since
// it does not say its unit.
func (d *Duration) UnmarshalTOML(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("invalid duration: want a string such as \"30s\", \"5m\" or \"1h\", got %s", typeOf(v))
	}
	return d.UnmarshalText([]byte(s))
}

// parseDuration is time.ParseDuration with an optional leading count of
// days ("14d", "1d12h"); a day is 24 hours.
func parseDuration(s string) (time.Duration, error) {
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		return time.ParseDuration(s)
	}
	n, err := strconv.ParseInt(days, 10, 32)
	if err != nil || n < 0 || days == "" || days[0] == '+' {
		return 0, fmt.Errorf("invalid day count %q", days)
	}
	v := time.Duration(n) * 24 * time.Hour
	if rest == "" {
		return v, nil
	}
	r, err := time.ParseDuration(rest)
	if err != nil || r < 0 {
		return 0, fmt.Errorf("invalid duration %q", rest)
	}
	return v + r, nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(d.Duration.String()), nil
}

// Size is a number of bytes, written in the file as an integer of bytes or as a
// string with a unit: "512KiB", "25MiB", "1GiB" (powers of 1024) or "10kB",
// "10MB", "1GB" (powers of 1000). Units are not case sensitive.
type Size int64

// Units of Size.
const (
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
)

var sizeUnits = map[string]Size{
	"": 1, "b": 1,
	"kb": 1000, "mb": 1000 * 1000, "gb": 1000 * 1000 * 1000,
	"kib": KiB, "mib": MiB, "gib": GiB,
}

// UnmarshalTOML accepts a TOML integer (bytes) or a string with a unit.
func (s *Size) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return fmt.Errorf("invalid size %d: must not be negative", v)
		}
		*s = Size(v)
		return nil
	case string:
		return s.UnmarshalText([]byte(v))
	default:
		return fmt.Errorf("invalid size: want a whole number of bytes or a string such as \"25MiB\", got %s", typeOf(v))
	}
}

// UnmarshalText parses "25MiB", "10MB", "512KiB" or a plain number of bytes.
func (s *Size) UnmarshalText(text []byte) error {
	str := strings.TrimSpace(string(text))
	i := 0
	for i < len(str) && str[i] >= '0' && str[i] <= '9' {
		i++
	}
	num, unit := str[:i], strings.ToLower(strings.TrimSpace(str[i:]))
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return fmt.Errorf("invalid size %q (write it like \"25MiB\", \"10MB\" or a number of bytes)", str)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/int64(mult) {
		return fmt.Errorf("invalid size %q: too large", str)
	}
	*s = Size(n) * mult
	return nil
}

// MarshalText writes the size with the largest binary unit that divides it
// exactly, or as a number of bytes.
func (s Size) MarshalText() ([]byte, error) {
	return []byte(s.String()), nil
}

// String returns the size as "25MiB", "512KiB" or "1234".
func (s Size) String() string {
	for _, u := range []struct {
		name string
		size Size
	}{{"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}} {
		if s != 0 && s%u.size == 0 {
			return strconv.FormatInt(int64(s/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// ParseDuration reads a duration as the file writes it: a Go duration
// with an optional leading count of days ("14d", "1d12h", "30m").
func ParseDuration(s string) (time.Duration, error) { return parseDuration(strings.TrimSpace(s)) }
