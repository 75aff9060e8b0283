//! The test's side: the fixture function started as a child process under the emulator,
//! its log, invocations, and the figures the scenarios read.

use lambda_simulator::{InvocationState, InvocationStatus, Simulator};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// The variable that makes this test binary the fixture function instead of the tests.
pub const ROLE: &str = "LMMS_LAMBDA_FIXTURE";

/// The longest any one wait may take.
pub const WAIT: Duration = Duration::from_secs(60);

/// Children alive, for the watchdog.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Ends every child and the test if the whole run takes longer than `limit` (a hang
/// anywhere becomes a failure, not a stuck CI).
pub fn watchdog(limit: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("lambda_simulator: the run took longer than {limit:?}; stopping");
        for pid in CHILDREN.lock().unwrap().iter() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        std::process::exit(101);
    });
}

/// The fixture function, running as a child process, its stdout and stderr in a file.
pub struct Function {
    child: Child,
    pub log: PathBuf,
}

impl Function {
    /// Starts it with the variables Lambda sets (from the emulator) and `env`, and
    /// registers it for freezing.
    pub fn start(sim: &Simulator, name: &str, env: &[(&str, &str)]) -> Function {
        let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("lambda_sim_{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.env_clear()
            .envs(sim.lambda_env_vars())
            .env(ROLE, "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        let child = cmd.spawn().expect("the fixture function starts");
        CHILDREN.lock().unwrap().push(child.id());
        sim.register_freeze_pid(child.id());
        Function { child, log }
    }

    /// Waits until the emulator has frozen the process and the process is stopped.
    ///
    /// lambda-simulator 0.2 marks the environment frozen just before it sends SIGSTOP; an
    /// event sent in that gap would be delivered (SIGCONT) before the SIGSTOP lands, which
    /// then stops the process with the event pending. Sending the next event only once the
    /// process is stopped closes that gap. After [`wait`] has had to resume a process
    /// (another form of the race), the emulator can stay marked frozen without stopping it
    /// again: then this returns after 2 s with a line saying so, and the callers wait for
    /// the log lines they read.
    pub async fn frozen(&self, sim: &Simulator, what: &str) {
        (sim.wait_for_frozen(WAIT).await)
            .unwrap_or_else(|e| panic!("not frozen {what} within {WAIT:?}: {e}"));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        let status = format!("/proc/{}/status", self.child.id());
        while !stopped(&std::fs::read_to_string(&status).unwrap_or_default()) {
            if tokio::time::Instant::now() >= deadline {
                println!("[lambda_simulator] marked frozen {what}, not stopped (the emulator's freeze race)");
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Every EMF line so far, parsed: a line that starts like one and is not valid JSON
    /// fails the test.
    pub fn emf_lines(&self) -> Vec<Value> {
        (self.output().lines())
            .filter(|l| l.starts_with('{') && l.contains("\"_aws\""))
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("EMF line not JSON ({e}): {l}"))
            })
            .collect()
    }

    /// The EMF line of one invocation.
    pub fn emf_of(&self, request_id: &str) -> Option<Value> {
        self.emf_lines()
            .into_iter()
            .find(|v| v["request_id"] == request_id)
    }

    /// A `/proc/PID/status` figure in KiB (`VmHWM`: peak RSS; `VmRSS`: RSS now).
    pub fn status_kib(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with(key)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        // SIGKILL ends a stopped (frozen) process too.
        let _ = self.child.kill();
        let _ = self.child.wait();
        CHILDREN.lock().unwrap().retain(|p| *p != self.child.id());
    }
}

/// An emulator that freezes the function between invocations (`freeze`), or not, with
/// deadlines and the wait for extensions far enough away that they never cut a test short.
pub async fn simulator(freeze: bool) -> Simulator {
    let mode = if freeze {
        lambda_simulator::FreezeMode::Process
    } else {
        lambda_simulator::FreezeMode::None
    };
    Simulator::builder()
        .freeze_mode(mode)
        .invocation_timeout(WAIT)
        .extension_ready_timeout(WAIT)
        .function_name("lmms-fixture")
        .build()
        .await
        .expect("the emulator starts on loopback")
}

/// Waits until the function's INIT is over (its runtime asked for the first event). Lambda
/// sends no event before; the emulator would, and an extension registering meanwhile
/// would miss that event's `INVOKE`.
pub async fn initialized(sim: &Simulator) {
    sim.wait_for(|| sim.is_initialized(), WAIT)
        .await
        .unwrap_or_else(|e| panic!("the function's INIT did not end within {WAIT:?}: {e}"));
}

/// Sends one event and waits for its answer.
pub async fn invoke(sim: &Simulator, payload: Value) -> InvocationState {
    let id = sim.enqueue_payload(payload).await;
    wait(sim, &id).await
}

/// Waits (up to [`WAIT`]) for the answer to `request_id`.
///
/// A function process found stopped while the event waits for its answer is resumed
/// (SIGCONT), with a line saying so: lambda-simulator 0.2 can stop the process after it has
/// delivered the next event (its freeze checks the epoch, marks the environment frozen and
/// sends SIGSTOP as three steps, and an unfreeze can fall between them; seen about once
/// in 20 runs on the loaded 2-core machine, even with [`Function::frozen`]). Lambda never
/// freezes an environment during an invocation, so resuming it is not a test of lmms.
pub async fn wait(sim: &Simulator, request_id: &str) -> InvocationState {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let step = Duration::from_millis(500);
        match sim.wait_for_invocation_complete(request_id, step).await {
            Ok(s) => return s,
            Err(e) if tokio::time::Instant::now() >= deadline => {
                panic!("no answer to {request_id} within {WAIT:?}: {e}")
            }
            Err(_) => resume_stopped(request_id),
        }
    }
}

/// Whether a `/proc/PID/status` text is a stopped process's.
fn stopped(status: &str) -> bool {
    (status.lines()).any(|l| l.starts_with("State:") && l.contains("T (stopped)"))
}

/// Resumes every fixture process stopped while `request_id` waits for its answer.
fn resume_stopped(request_id: &str) {
    for pid in CHILDREN.lock().unwrap().iter() {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if stopped(&status) {
            println!(
                "[lambda_simulator] process {pid} stopped with {request_id} pending (the \
                 emulator's freeze race): SIGCONT"
            );
            let _ = Command::new("kill")
                .args(["-CONT", &pid.to_string()])
                .status();
        }
    }
}

/// When the answer (response or error) reached the emulator, ms since the Unix epoch.
pub fn answered_ms(s: &InvocationState) -> i64 {
    match (&s.response, &s.error) {
        (Some(r), _) => r.received_at.timestamp_millis(),
        (_, Some(e)) => e.received_at.timestamp_millis(),
        _ => panic!("{} has no answer: {:?}", s.invocation.request_id, s.status),
    }
}

/// The function's response time: from the runtime taking the event to the answer, ms.
pub fn response_ms(s: &InvocationState) -> f64 {
    let started = s.started_at.expect("started").timestamp_micros();
    let answered = match (&s.response, &s.error) {
        (Some(r), _) => r.received_at.timestamp_micros(),
        (_, Some(e)) => e.received_at.timestamp_micros(),
        _ => panic!("no answer"),
    };
    (answered - started) as f64 / 1000.0
}

/// The successful response's payload.
pub fn payload(s: &InvocationState) -> &Value {
    assert_eq!(s.status, InvocationStatus::Success, "{:?}", s.error);
    &s.response.as_ref().unwrap().payload
}

/// Waits (bounded) until `cond` holds on the function's log.
pub async fn wait_log(f: &Function, what: &str, cond: impl Fn(&str) -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond(&f.output()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not in the log within {WAIT:?}:\n{}",
            f.output()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The `q` quantile (0..=1) of `v`, nearest rank.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}
