//! The three tasks. Each task validates its JSON input into a [`Prepared`]
//! value first, so that a schedule is checked when it is made and every
//! scheduled run uses the same, already validated, input.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// One task of the catalogue.
pub struct Task {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

/// The catalogue, in the order `GET /tasks` lists it.
pub const TASKS: &[Task] = &[
    Task {
        id: "word-count",
        name: "Word count",
        description: "Counts the words (whitespace-separated tokens), lines (\\n-separated, 0 for empty text) and characters (Unicode code points) of input.text.",
    },
    Task {
        id: "sha256",
        name: "SHA-256",
        description: "Lowercase hex SHA-256 digest of the UTF-8 bytes of input.text.",
    },
    Task {
        id: "fib",
        name: "Fibonacci",
        description: "The Fibonacci number F(n) for an integer input.n in 0..90, with F(0)=0 and F(1)=1.",
    },
];

impl Task {
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "description": self.description})
    }
}

pub fn find_task(id: &str) -> Option<&'static Task> {
    TASKS.iter().find(|t| t.id == id)
}

/// A validated task input, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub enum Prepared {
    WordCount(String),
    Sha256(String),
    Fib(u32),
}

impl Prepared {
    /// Runs the task and returns its JSON result.
    pub fn run(&self) -> Value {
        match self {
            Prepared::WordCount(text) => {
                let (words, lines, chars) = word_count(text);
                json!({"words": words, "lines": lines, "chars": chars})
            }
            Prepared::Sha256(text) => json!({"hex": sha256_hex(text)}),
            Prepared::Fib(n) => json!({"n": n, "value": fib(*n)}),
        }
    }
}

/// Validates `input` for the task `task_id`. The error is the 400 message.
pub fn prepare(task_id: &str, input: Option<&Value>) -> Result<Prepared, String> {
    let empty = Map::new();
    let obj = match input {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => return Err("input must be a JSON object".into()),
    };
    match task_id {
        "word-count" => Ok(Prepared::WordCount(string_field(obj, "text")?)),
        "sha256" => Ok(Prepared::Sha256(string_field(obj, "text")?)),
        "fib" => Ok(Prepared::Fib(fib_input(obj)?)),
        other => Err(format!("unknown task: {other}")),
    }
}

fn string_field(obj: &Map<String, Value>, name: &str) -> Result<String, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Err(format!("input.{name} is required (a string)")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("input.{name} must be a string")),
    }
}

/// input.n: a JSON number with an integral value (5 and 5.0 alike) in 0..=90.
fn fib_input(obj: &Map<String, Value>) -> Result<u32, String> {
    match obj.get("n") {
        None | Some(Value::Null) => Err("input.n is required (an integer from 0 to 90)".into()),
        Some(Value::Number(num)) => {
            let f = num.as_f64().unwrap_or(f64::NAN);
            if f.fract() != 0.0 {
                Err("input.n must be an integer".into())
            } else if !(0.0..=90.0).contains(&f) {
                Err("input.n must be between 0 and 90".into())
            } else {
                Ok(f as u32)
            }
        }
        Some(_) => Err("input.n must be an integer".into()),
    }
}

/// (words, lines, chars): words are whitespace-separated tokens (Unicode
/// White_Space), lines the number of '\n'-separated pieces (0 for ""), chars
/// the Unicode code points.
pub fn word_count(text: &str) -> (usize, usize, usize) {
    let lines = if text.is_empty() {
        0
    } else {
        text.matches('\n').count() + 1
    };
    (text.split_whitespace().count(), lines, text.chars().count())
}

pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn fib(n: u32) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        let next = a + b;
        a = b;
        b = next;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_count_cases() {
        let cases: &[(&str, (usize, usize, usize))] = &[
            ("", (0, 0, 0)),
            ("hello", (1, 1, 5)),
            ("hello world\nfoo", (3, 2, 15)),
            ("a\n", (1, 2, 2)),
            ("\n\n", (0, 3, 2)),
            ("  spaced\tout \r\n words  ", (3, 2, 23)),
            ("héllo wörld ✓", (3, 1, 13)),
            ("a\u{a0}b\u{3000}c", (3, 1, 5)),
        ];
        for (text, want) in cases {
            assert_eq!(word_count(text), *want, "word_count({text:?})");
        }
    }

    #[test]
    fn sha256_vectors() {
        assert_eq!(
            sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex("héllo ✓"),
            "5657cdef8a85a584e0e961e6f8247cf5d3f8ed21496ed6fdbcfd43a761e94245"
        );
    }

    #[test]
    fn fib_values() {
        for (n, v) in [
            (0, 0u64),
            (1, 1),
            (2, 1),
            (10, 55),
            (50, 12586269025),
            (78, 8944394323791464),
            (90, 2880067194370816120),
        ] {
            assert_eq!(fib(n), v, "fib({n})");
        }
    }

    #[test]
    fn input_validation() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("word-count", None, "input.text is required (a string)"),
            (
                "word-count",
                Some("null"),
                "input.text is required (a string)",
            ),
            (
                "word-count",
                Some("{}"),
                "input.text is required (a string)",
            ),
            (
                "word-count",
                Some(r#"{"text":5}"#),
                "input.text must be a string",
            ),
            (
                "word-count",
                Some(r#""text""#),
                "input must be a JSON object",
            ),
            ("word-count", Some("[1]"), "input must be a JSON object"),
            (
                "sha256",
                Some(r#"{"text":null}"#),
                "input.text is required (a string)",
            ),
            (
                "sha256",
                Some(r#"{"text":["a"]}"#),
                "input.text must be a string",
            ),
            (
                "fib",
                Some("{}"),
                "input.n is required (an integer from 0 to 90)",
            ),
            ("fib", Some(r#"{"n":"5"}"#), "input.n must be an integer"),
            ("fib", Some(r#"{"n":true}"#), "input.n must be an integer"),
            ("fib", Some(r#"{"n":2.5}"#), "input.n must be an integer"),
            (
                "fib",
                Some(r#"{"n":-1}"#),
                "input.n must be between 0 and 90",
            ),
            (
                "fib",
                Some(r#"{"n":91}"#),
                "input.n must be between 0 and 90",
            ),
            (
                "fib",
                Some(r#"{"n":1e3}"#),
                "input.n must be between 0 and 90",
            ),
            (
                "fib",
                Some(r#"{"n":100000000000000000000}"#),
                "input.n must be between 0 and 90",
            ),
        ];
        for (task, input, want) in cases {
            let v: Option<Value> = input.map(|s| serde_json::from_str(s).unwrap());
            assert_eq!(
                prepare(task, v.as_ref()).unwrap_err(),
                *want,
                "{task} {input:?}"
            );
        }
        let ten: Value = serde_json::from_str(r#"{"n":10.0}"#).unwrap();
        assert_eq!(
            prepare("fib", Some(&ten)).unwrap().run(),
            json!({"n": 10, "value": 55})
        );
        let extra: Value = serde_json::from_str(r#"{"text":"a b","extra":1}"#).unwrap();
        assert_eq!(
            prepare("word-count", Some(&extra)).unwrap().run(),
            json!({"words": 2, "lines": 1, "chars": 3})
        );
    }
}
