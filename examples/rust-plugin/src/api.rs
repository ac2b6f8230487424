//! The Cronyx v1 HTTP API as a plain function of (method, url, body), so
//! that it can be tested without a socket.

use crate::cron::parse_cron;
use crate::store::{new_id, Job, Store};
use crate::tasks::{find_task, prepare, TASKS};
use serde_json::{json, Map, Value};
use std::io::Read;

/// Largest request body read.
pub const MAX_BODY: usize = 1 << 20;

#[derive(Debug, PartialEq)]
pub struct Reply {
    pub status: u16,
    /// None: no body (204).
    pub body: Option<Value>,
    /// The Allow header of a 405.
    pub allow: Option<&'static str>,
}

fn ok(status: u16, body: Value) -> Reply {
    Reply {
        status,
        body: Some(body),
        allow: None,
    }
}

fn error(status: u16, msg: impl Into<String>) -> Reply {
    ok(status, json!({"error": msg.into()}))
}

fn method_not_allowed(method: &str, path: &str, allow: &'static str) -> Reply {
    Reply {
        allow: Some(allow),
        ..error(
            405,
            format!("method {method} not allowed on {path} (allowed: {allow})"),
        )
    }
}

/// %XX-decodes a URL path (a bad escape is kept as it is).
fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The id after `prefix` if the path is exactly prefix + one non-empty segment.
fn segment<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    (!rest.is_empty() && !rest.contains('/')).then_some(rest)
}

/// Routes by path first, then method: a known path with another method is
/// 405, any other path 404.
pub fn handle(store: &Store, method: &str, url: &str, body: &mut dyn Read) -> Reply {
    let raw_path = url.split(['?', '#']).next().unwrap_or("");
    let path = percent_decode(raw_path);
    let path = path.as_str();
    if path == "/health" {
        if method != "GET" {
            return method_not_allowed(method, path, "GET");
        }
        return ok(200, json!({"status": "ok"}));
    }
    if path == "/tasks" {
        if method != "GET" {
            return method_not_allowed(method, path, "GET");
        }
        return ok(
            200,
            Value::Array(TASKS.iter().map(|t| t.to_json()).collect()),
        );
    }
    if let Some(id) = segment(path, "/tasks/") {
        if method != "GET" {
            return method_not_allowed(method, path, "GET");
        }
        return match find_task(id) {
            Some(t) => ok(200, t.to_json()),
            None => error(404, format!("unknown task: {id}")),
        };
    }
    if path == "/jobs" {
        return match method {
            "GET" => ok(200, store.list()),
            "POST" => post_job(store, body),
            _ => method_not_allowed(method, path, "GET, POST"),
        };
    }
    if let Some(id) = segment(path, "/jobs/") {
        if method != "DELETE" {
            return method_not_allowed(method, path, "DELETE");
        }
        if !store.delete(id) {
            return error(404, format!("unknown job: {id}"));
        }
        return Reply {
            status: 204,
            body: None,
            allow: None,
        };
    }
    error(404, format!("not found: {method} {path}"))
}

/// The body of POST /jobs after validation.
#[derive(Debug, PartialEq)]
pub struct JobRequest {
    pub task: String,
    pub cron: Option<String>,
    pub user_id: Option<String>,
    pub group_id: Option<String>,
    pub input: Option<Value>,
}

/// Checks the shape of a POST /jobs body (not the task, cron or input
/// themselves). The error is the 400 message.
pub fn parse_job_request(body: &[u8]) -> Result<JobRequest, String> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("request body must be a JSON object; got an empty body".into());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("malformed JSON body: {e}"))?;
    let mut obj: Map<String, Value> = match value {
        Value::Object(m) => m,
        _ => return Err("request body must be a JSON object".into()),
    };
    let mut string = |name: &str, required: bool| -> Result<Option<String>, String> {
        match obj.remove(name) {
            None | Some(Value::Null) if required => {
                Err(format!("field \"{name}\" is required (a non-empty string)"))
            }
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if required && s.is_empty() => {
                Err(format!("field \"{name}\" is required (a non-empty string)"))
            }
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("field \"{name}\" must be a string")),
        }
    };
    let task = string("task", true)?.unwrap_or_default();
    let cron = string("cron", false)?;
    let user_id = string("user_id", false)?;
    let group_id = string("group_id", false)?;
    let input = obj.remove("input");
    Ok(JobRequest {
        task,
        cron,
        user_id,
        group_id,
        input,
    })
}

fn post_job(store: &Store, body: &mut dyn Read) -> Reply {
    let mut buf = Vec::new();
    if let Err(e) = body.take(MAX_BODY as u64 + 1).read_to_end(&mut buf) {
        return error(400, format!("cannot read request body: {e}"));
    }
    if buf.len() > MAX_BODY {
        return error(413, format!("request body larger than {MAX_BODY} bytes"));
    }
    let req = match parse_job_request(&buf) {
        Ok(r) => r,
        Err(e) => return error(400, e),
    };
    let Some(task) = find_task(&req.task) else {
        return error(404, format!("unknown task: {}", req.task));
    };
    let spec = match req.cron.as_deref().map(parse_cron).transpose() {
        Ok(s) => s,
        Err(e) => return error(400, e),
    };
    let work = match prepare(task.id, req.input.as_ref()) {
        Ok(w) => w,
        Err(e) => return error(400, e),
    };
    match (spec, req.cron) {
        (Some(spec), Some(cron)) => {
            let job_id = store.schedule(Job::new(
                task.id,
                &cron,
                req.user_id,
                req.group_id,
                spec,
                work,
            ));
            ok(
                201,
                json!({"job_id": job_id, "task": task.id, "cron": cron}),
            )
        }
        _ => ok(
            200,
            json!({"job_id": new_id("run-"), "task": task.id, "status": "completed", "result": work.run()}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cron::at;

    fn call(s: &Store, method: &str, url: &str, body: &str) -> Reply {
        handle(s, method, url, &mut body.as_bytes())
    }

    fn check(r: Reply, status: u16, has: &str) {
        let text = r.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
        assert!(
            r.status == status && text.contains(has),
            "got {} {text}; want {status} containing {has}",
            r.status
        );
    }

    #[test]
    fn read_only_endpoints() {
        let s = Store::new();
        assert_eq!(
            call(&s, "GET", "/health", ""),
            ok(200, json!({"status": "ok"}))
        );
        let tasks = call(&s, "GET", "/tasks", "").body.unwrap();
        let ids: Vec<&str> = tasks
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["word-count", "sha256", "fib"]);
        for t in tasks.as_array().unwrap() {
            assert!(
                t["name"].is_string()
                    && t["description"].is_string()
                    && t.as_object().unwrap().len() == 3
            );
        }
        check(call(&s, "GET", "/tasks/fib", ""), 200, r#""id":"fib""#);
        check(call(&s, "GET", "/tasks/fib?x=1", ""), 200, r#""id":"fib""#);
        check(call(&s, "GET", "/tasks/%66ib", ""), 200, r#""id":"fib""#);
        assert_eq!(
            call(&s, "GET", "/tasks/nope", ""),
            error(404, "unknown task: nope")
        );
        assert_eq!(call(&s, "GET", "/jobs", ""), ok(200, json!([])));
    }

    #[test]
    fn run_now() {
        let s = Store::new();
        let r = call(
            &s,
            "POST",
            "/jobs",
            r#"{"task":"word-count","user_id":"9f86d0","group_id":"abc","input":{"text":"hello world\nfoo"}}"#,
        );
        assert_eq!(r.status, 200);
        let b = r.body.unwrap();
        assert!(b["job_id"].as_str().unwrap().starts_with("run-"));
        assert_eq!(b.as_object().unwrap().len(), 4);
        assert_eq!(b["status"], "completed");
        assert_eq!(b["result"], json!({"words": 3, "lines": 2, "chars": 15}));
        // field order follows the Go plugin
        let keys: Vec<&String> = b.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["job_id", "task", "status", "result"]);
        check(
            call(
                &s,
                "POST",
                "/jobs",
                r#"{"task":"sha256","input":{"text":"abc"}}"#,
            ),
            200,
            r#""result":{"hex":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}"#,
        );
        check(
            call(&s, "POST", "/jobs", r#"{"task":"fib","input":{"n":90}}"#),
            200,
            r#""result":{"n":90,"value":2880067194370816120}"#,
        );
    }

    #[test]
    fn post_errors() {
        let s = Store::new();
        assert_eq!(
            call(&s, "POST", "/jobs", r#"{"task":"nope"}"#),
            error(404, "unknown task: nope")
        );
        let cases = [
            (
                r#"{"task":"fib","input":{"n":91}}"#,
                400,
                "input.n must be between 0 and 90",
            ),
            (
                r#"{"task":"sha256","input":{}}"#,
                400,
                "input.text is required",
            ),
            (r#"{"task":"#, 400, "malformed JSON body"),
            ("", 400, "must be a JSON object"),
            ("[1,2]", 400, "must be a JSON object"),
            (r#"{"input":{}}"#, 400, r#"field \"task\" is required"#),
            (r#"{"task":""}"#, 400, r#"field \"task\" is required"#),
            (r#"{"task":7}"#, 400, r#"field \"task\" must be a string"#),
            (
                r#"{"task":"fib","user_id":7,"input":{"n":1}}"#,
                400,
                r#"field \"user_id\" must be a string"#,
            ),
            (
                r#"{"task":"fib","cron":"61 * * * *","input":{"n":1}}"#,
                400,
                r#"{"error":"invalid cron"#,
            ),
            (
                r#"{"task":"fib","cron":5,"input":{"n":1}}"#,
                400,
                r#"field \"cron\" must be a string"#,
            ),
            (
                r#"{"task":"fib","cron":"* * * * *","input":{"n":"x"}}"#,
                400,
                "input.n must be an integer",
            ),
        ];
        for (body, status, has) in cases {
            check(call(&s, "POST", "/jobs", body), status, has);
        }
        check(
            call(&s, "POST", "/jobs", &" ".repeat(MAX_BODY + 1)),
            413,
            "request body larger than",
        );
        assert_eq!(
            call(&s, "GET", "/jobs", ""),
            ok(200, json!([])),
            "a failed POST schedules nothing"
        );
    }

    #[test]
    fn schedule_replace_list_delete() {
        let s = Store::new();
        let r = call(
            &s,
            "POST",
            "/jobs",
            r#"{"task":"fib","cron":"*/5 * * * *","user_id":"u","input":{"n":10}}"#,
        );
        assert_eq!(r.status, 201);
        let b = r.body.unwrap();
        let id = b["job_id"].as_str().unwrap().to_string();
        assert!(id.starts_with("job-"));
        assert_eq!(
            b,
            json!({"job_id": id, "task": "fib", "cron": "*/5 * * * *"})
        );

        let r = call(
            &s,
            "POST",
            "/jobs",
            r#"{"task":"fib","cron":"* * * * *","group_id":"g","input":{"n":12}}"#,
        );
        assert_eq!(
            r,
            ok(
                201,
                json!({"job_id": id, "task": "fib", "cron": "* * * * *"})
            )
        );
        check(
            call(
                &s,
                "POST",
                "/jobs",
                r#"{"task":"sha256","cron":"0 0 * * 7","input":{"text":"x"}}"#,
            ),
            201,
            r#""task":"sha256""#,
        );
        s.tick(&at("2024-05-17 10:00"));
        let jobs = call(&s, "GET", "/jobs", "").body.unwrap();
        assert_eq!(
            jobs[0],
            json!({"job_id": id, "task": "fib", "cron": "* * * * *", "group_id": "g", "runs": 1, "last_result": {"n": 12, "value": 144}})
        );
        assert_eq!(jobs[1]["runs"], 0);
        assert!(jobs[1].get("last_result").is_none());

        assert_eq!(
            call(&s, "DELETE", &format!("/jobs/{id}"), ""),
            Reply {
                status: 204,
                body: None,
                allow: None
            }
        );
        assert_eq!(
            call(&s, "DELETE", &format!("/jobs/{id}"), ""),
            error(404, format!("unknown job: {id}"))
        );
        assert_eq!(
            call(&s, "GET", "/jobs", "")
                .body
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn other_paths_and_methods() {
        let s = Store::new();
        for (m, p) in [
            ("GET", "/nope"),
            ("GET", "/tasks/fib/x"),
            ("GET", "/"),
            ("GET", "/tasks/"),
            ("DELETE", "/jobs/"),
        ] {
            check(call(&s, m, p, ""), 404, r#""error""#);
        }
        for (m, p, allow) in [
            ("POST", "/health", "GET"),
            ("DELETE", "/tasks", "GET"),
            ("PUT", "/jobs", "GET, POST"),
            ("GET", "/jobs/x", "DELETE"),
        ] {
            let r = call(&s, m, p, "");
            assert_eq!((r.status, r.allow), (405, Some(allow)), "{m} {p}");
            assert!(r.body.unwrap()["error"].is_string());
        }
    }

    #[test]
    fn decode() {
        assert_eq!(percent_decode("/a%20b%2"), "/a b%2");
        assert_eq!(percent_decode("%41%zz%"), "A%zz%");
        assert_eq!(percent_decode("/é%C3%A9%é"), "/éé%é");
    }
}
