//! Tests that run several processes on one database file: the test binary
//! starts copies of itself (`current_exe()`), each running one named test
//! (`--exact NAME`) with [`ROLE`] set, and talks to them through their
//! standard streams — tagged lines out ([`say`]), plain lines in ([`listen`]).
//!
//! A child's test function looks at [`role`]: set, it plays the role and
//! returns (the harness then exits 0, or 101 if the child panicked); unset
//! (the ordinary test run), it does nothing.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The environment variable naming a child's role.
pub const ROLE: &str = "SHOPCORE_TEST_CHILD_ROLE";

/// Marks a child's own lines among the test harness's output (which may
/// share a line with them: `test child ... @@ ready`).
const TAG: &str = "@@ ";

/// The role this process was started in, or `None` in the ordinary test run.
pub fn role() -> Option<String> {
    std::env::var(ROLE).ok()
}

/// The value of the environment variable `name`, which the parent set.
pub fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("the parent sets {name}"))
}

/// Writes one tagged line to the parent and flushes it at once: a line the
/// parent has read was written before anything the child did afterwards.
pub fn say(line: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "\n{TAG}{line}").expect("stdout");
    out.flush().expect("flush stdout");
}

/// Waits for the parent's next line (without its newline); `None` once the
/// parent closed the stream.
pub fn listen() -> Option<String> {
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end().to_owned()),
    }
}

/// What the parent hears from its children.
#[derive(Debug)]
pub enum Heard {
    /// Child `.0` said `.1` (a whole tagged line, tag removed).
    Line(usize, String),
    /// Child `.0` closed its standard output (it ended, or was killed).
    Closed(usize),
}

/// Running children of the test binary, all in one test's role.
pub struct Children {
    children: Vec<Child>,
    stdins: Vec<Option<ChildStdin>>,
    heard: Receiver<Heard>,
    /// Heard from a child that had already answered the step being waited
    /// for: kept for the next step.
    early: VecDeque<Heard>,
}

impl Children {
    /// Starts `count` children running the test `test` in `role`, each with
    /// `env(i)` (child `i`'s extra environment) set.
    pub fn spawn(
        count: usize,
        test: &str,
        role: &str,
        env: impl Fn(usize) -> Vec<(String, String)>,
    ) -> Children {
        let exe = std::env::current_exe().expect("the test binary");
        let (tell, heard) = channel();
        let mut children = Vec::new();
        let mut stdins = Vec::new();
        for i in 0..count {
            let mut child = Command::new(&exe)
                .args([test, "--exact", "--nocapture", "--test-threads=1"])
                .env(ROLE, role)
                .envs(env(i))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start a child");
            stdins.push(child.stdin.take());
            let stdout = child.stdout.take().expect("its stdout");
            let tell = tell.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stdout);
                let mut line = String::new();
                loop {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        // Only whole lines: one cut short by a kill was never said.
                        Ok(_) if line.ends_with('\n') => {
                            if let Some(at) = line.find(TAG) {
                                let said = line[at + TAG.len()..].trim_end().to_owned();
                                if tell.send(Heard::Line(i, said)).is_err() {
                                    return;
                                }
                            }
                        }
                        Ok(_) => {}
                    }
                }
                let _ = tell.send(Heard::Closed(i));
            });
            children.push(child);
        }
        Children {
            children,
            stdins,
            heard,
            early: VecDeque::new(),
        }
    }

    /// How many children there are.
    pub fn len(&self) -> usize {
        self.children.len()
    }

    /// The next thing heard from any child, waiting at most until `deadline`.
    pub fn next(&mut self, deadline: Instant) -> Option<Heard> {
        if let Some(early) = self.early.pop_front() {
            return Some(early);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.heard.recv_timeout(left) {
            Ok(heard) => Some(heard),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits for one line starting with `word` from every child (within
    /// `timeout`) and answers them by child, the word removed. Panics if a
    /// child ends first, says anything else, or the time runs out.
    pub fn each_says(&mut self, word: &str, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut said: Vec<Option<String>> = vec![None; self.len()];
        let mut later = VecDeque::new();
        while said.iter().any(Option::is_none) {
            match self.next(deadline) {
                Some(heard @ (Heard::Line(i, _) | Heard::Closed(i))) if said[i].is_some() => {
                    later.push_back(heard);
                }
                Some(Heard::Line(i, line)) => {
                    let rest = line
                        .strip_prefix(word)
                        .unwrap_or_else(|| panic!("child {i} said {line:?}, not {word:?}"));
                    said[i] = Some(rest.trim().to_owned());
                }
                Some(Heard::Closed(i)) => panic!("child {i} ended before saying {word:?}"),
                None => panic!("no {word:?} from every child within {timeout:?}: {said:?}"),
            }
        }
        later.extend(self.early.drain(..));
        self.early = later;
        said.into_iter().map(Option::unwrap).collect()
    }

    /// Sends `line` to every child.
    pub fn tell_all(&mut self, line: &str) {
        for (i, stdin) in self.stdins.iter_mut().enumerate() {
            let stdin = stdin
                .as_mut()
                .unwrap_or_else(|| panic!("child {i}: closed"));
            writeln!(stdin, "{line}").expect("write to a child");
            stdin.flush().expect("flush to a child");
        }
    }

    /// Kills child `i` with `SIGKILL` and reaps it.
    pub fn kill(&mut self, i: usize) {
        self.children[i].kill().expect("kill a child");
        let _ = self.children[i].wait();
    }

    /// Closes the children's standard input, waits for them to end (within
    /// `timeout`) and asserts that each one passed.
    pub fn finish(mut self, timeout: Duration) {
        self.stdins.iter_mut().for_each(|stdin| drop(stdin.take()));
        let deadline = Instant::now() + timeout;
        for (i, child) in self.children.iter_mut().enumerate() {
            loop {
                if let Some(status) = child.try_wait().expect("wait for a child") {
                    assert!(status.success(), "child {i} failed: {status}");
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    panic!("child {i} did not end within {timeout:?}");
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        // A parent that failed half-way leaves no child behind.
        for child in &mut self.children {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}
