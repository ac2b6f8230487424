package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"unicode/utf8"
)

// inputError is an invalid task input; the handlers answer it with 400.
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func badInput(msg string) error { return &inputError{msg} }

// Task is one task the plugin offers. Prepare validates the raw JSON input
// and returns the work to do, so that a schedule is checked when it is made
// and every scheduled run uses the same, already validated, input.
type Task struct {
	ID          string                                          `json:"id"`
	Name        string                                          `json:"name"`
	Description string                                          `json:"description"`
	Prepare     func(input json.RawMessage) (func() any, error) `json:"-"`
}

// Tasks is the catalogue, in the order GET /tasks lists it.
var Tasks = []*Task{
	{
		ID:          "word-count",
		Name:        "Word count",
		Description: "Counts the words (whitespace-separated tokens), lines (\\n-separated, 0 for empty text) and characters (Unicode code points) of input.text.",
		Prepare: func(in json.RawMessage) (func() any, error) {
			text, err := stringField(in, "text")
			if err != nil {
				return nil, err
			}
			return func() any { return wordCount(text) }, nil
		},
	},
	{
		ID:          "sha256",
		Name:        "SHA-256",
		Description: "Lowercase hex SHA-256 digest of the UTF-8 bytes of input.text.",
		Prepare: func(in json.RawMessage) (func() any, error) {
			text, err := stringField(in, "text")
			if err != nil {
				return nil, err
			}
			return func() any { return map[string]string{"hex": sha256Hex(text)} }, nil
		},
	},
	{
		ID:          "fib",
		Name:        "Fibonacci",
		Description: "The Fibonacci number F(n) for an integer input.n in 0..90, with F(0)=0 and F(1)=1.",
		Prepare: func(in json.RawMessage) (func() any, error) {
			n, err := fibInput(in)
			if err != nil {
				return nil, err
			}
			return func() any { return FibResult{N: n, Value: fib(n)} }, nil
		},
	},
}

// FindTask returns the task with that id, or nil.
func FindTask(id string) *Task {
	for _, t := range Tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// WordCountResult is the result of word-count.
type WordCountResult struct {
	Words int `json:"words"`
	Lines int `json:"lines"`
	Chars int `json:"chars"`
}

func wordCount(text string) WordCountResult {
	lines := 0
	if text != "" {
		lines = strings.Count(text, "\n") + 1
	}
	return WordCountResult{
		Words: len(strings.Fields(text)),
		Lines: lines,
		Chars: utf8.RuneCountInString(text),
	}
}

func sha256Hex(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// FibResult is the result of fib.
type FibResult struct {
	N     int    `json:"n"`
	Value uint64 `json:"value"`
}

func fib(n int) uint64 {
	var a, b uint64 = 0, 1
	for i := 0; i < n; i++ {
		a, b = b, a+b
	}
	return a
}

// inputObject decodes the task input, which must be a JSON object; an absent
// or null input counts as an empty object (so the error names the field).
func inputObject(in json.RawMessage) (map[string]json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	trimmed := strings.TrimSpace(string(in))
	if trimmed == "" || trimmed == "null" {
		return obj, nil
	}
	if trimmed[0] != '{' {
		return nil, badInput("input must be a JSON object")
	}
	if err := json.Unmarshal(in, &obj); err != nil {
		return nil, badInput("input must be a JSON object")
	}
	return obj, nil
}

func stringField(in json.RawMessage, name string) (string, error) {
	obj, err := inputObject(in)
	if err != nil {
		return "", err
	}
	raw, ok := obj[name]
	if !ok || string(raw) == "null" {
		return "", badInput("input." + name + " is required (a string)")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", badInput("input." + name + " must be a string")
	}
	return s, nil
}

// fibInput reads input.n: a JSON number with an integral value (5 and 5.0
// alike) between 0 and 90.
func fibInput(in json.RawMessage) (int, error) {
	obj, err := inputObject(in)
	if err != nil {
		return 0, err
	}
	raw, ok := obj["n"]
	if !ok || string(raw) == "null" {
		return 0, badInput("input.n is required (an integer from 0 to 90)")
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		// A JSON number that does not fit a float64 (1e400) is out of
		// range; anything else (string, bool, object...) is not a number.
		if c := raw[0]; c == '-' || (c >= '0' && c <= '9') {
			return 0, badInput("input.n must be between 0 and 90")
		}
		return 0, badInput("input.n must be an integer")
	}
	if f != math.Trunc(f) {
		return 0, badInput("input.n must be an integer")
	}
	if f < 0 || f > 90 {
		return 0, badInput("input.n must be between 0 and 90")
	}
	return int(f), nil
}
