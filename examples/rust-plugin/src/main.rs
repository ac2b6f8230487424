//! cronyx-rust-plugin: an example Cronyx v1 plugin server. It offers three
//! small tasks over HTTP+JSON, runs them on demand and on cron schedules.
//! Cascadence's `cronyx` backend is its client.

mod api;
mod cron;
mod store;
mod tasks;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use store::Store;
use tiny_http::{Header, ListenAddr, Response, Server};

const DEFAULT_ADDR: &str = "127.0.0.1:8787";
const WORKERS: usize = 4;
const USAGE: &str = "usage: cronyx-rust-plugin [--addr HOST:PORT]   (default 127.0.0.1:8787; port 0 picks a free port)";

fn parse_args() -> Result<String, String> {
    let mut addr = DEFAULT_ADDR.to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" | "-help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--addr" | "-addr" => addr = args.next().ok_or("--addr needs a value")?,
            _ => match arg
                .strip_prefix("--addr=")
                .or_else(|| arg.strip_prefix("-addr="))
            {
                Some(v) => addr = v.to_string(),
                None => return Err(format!("unexpected argument {arg:?}\n{USAGE}")),
            },
        }
    }
    Ok(addr)
}

fn respond(rq: tiny_http::Request, reply: api::Reply) {
    let json = Header::from_bytes("Content-Type", "application/json").unwrap();
    let mut response = match &reply.body {
        Some(body) => Response::from_string(format!("{body}\n")),
        None => Response::from_string(String::new()),
    }
    .with_status_code(reply.status)
    .with_header(json);
    if let Some(allow) = reply.allow {
        response.add_header(Header::from_bytes("Allow", allow).unwrap());
    }
    // the client may have gone away: nothing to do about it
    let _ = rq.respond(response);
}

fn main() -> ExitCode {
    let addr = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // handlers first, so that a signal that comes early still stops us cleanly
    let mut signals = match Signals::new([SIGTERM, SIGINT]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cronyx-rust-plugin: cannot handle signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match Server::http(addr.as_str()) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("cronyx-rust-plugin: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let shown = match server.server_addr() {
        ListenAddr::IP(a) => a.to_string(),
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{shown}");
        let _ = out.flush();
    }

    let store = Arc::new(Store::new());
    let stopping = Arc::new(AtomicBool::new(false));

    let scheduler = {
        let store = store.clone();
        thread::spawn(move || store.run_scheduler())
    };
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (server, store, stopping) = (server.clone(), store.clone(), stopping.clone());
            thread::spawn(move || loop {
                match server.recv() {
                    Ok(mut rq) => {
                        let method = rq.method().as_str().to_string();
                        let url = rq.url().to_string();
                        let reply = api::handle(&store, &method, &url, rq.as_reader());
                        respond(rq, reply);
                    }
                    Err(_) if stopping.load(Ordering::SeqCst) => break,
                    Err(e) => eprintln!("cronyx-rust-plugin: {e}"),
                }
            })
        })
        .collect();

    // wait for SIGTERM/SIGINT
    let sig = signals.forever().next();
    eprintln!("cronyx-rust-plugin: signal {}, stopping", sig.unwrap_or(0));
    stopping.store(true, Ordering::SeqCst);
    for _ in 0..WORKERS {
        server.unblock(); // each call frees one worker blocked in recv()
    }
    store.stop();
    for w in workers {
        let _ = w.join();
    }
    let _ = scheduler.join();
    drop(server);
    eprintln!("cronyx-rust-plugin: stopped");
    ExitCode::SUCCESS
}
