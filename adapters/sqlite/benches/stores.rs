//! Checkouts per second through the three stores side by side, in one run:
//! the in-memory engine (`shopcore-memory`), SQLite (`shopcore-sqlite`) and
//! MySQL (`shopcore-mysql`), at 1, 4 and 16 concurrent clients through one
//! store (tokio tasks sharing it), then at 4 and 16 clients spread over 4
//! processes on one SQLite file, and on one MySQL database, each process
//! with its own store. The in-memory engine has no multi-process form (each
//! process would have its own memory).
//!
//! Every client places 3-line orders (random products, random quantities
//! 1–5, a random customer) back to back for the cell's duration, over 100
//! products and 64 customers, stock deep enough never to run out
//! (`MAX_STOCK`). `SHOPCORE_BENCH_PRODUCTS=5 SHOPCORE_BENCH_CUSTOMERS=3` is
//! the hot catalog. A SQLite cell opens a fresh file (migrated and seeded)
//! in `CARGO_TARGET_TMPDIR`, a real disk rather than a tmpfs, so that its
//! fsyncs cost what they cost; a memory cell a fresh store; MySQL uses one
//! scratch database for the run (as `throughput.rs` does), dropped at the end.
//!
//! SQLite is also run with `synchronous = NORMAL` (a column of its own):
//! the adapter always opens its files with `FULL`, so the bench sets the
//! pragma on every connection of the store's pool before the cell and
//! checks afterwards that they all still have it. The difference between
//! the two columns is the commit's fsync. A last measurement is the raw
//! cost of one commit on the same disk: `BEGIN IMMEDIATE; INSERT; COMMIT`
//! on one connection, `FULL` and `NORMAL`.
//!
//! A second table takes one client's checkout apart on each SQL store:
//! sqlx's statement log is switched on for 200 checkouts (a `log` logger
//! here counts the records and sums their `elapsed_secs`), giving the
//! statements per checkout, their time where they ran (in SQLite, on the
//! connection's worker thread; on MySQL, a round trip), the `COMMIT`'s
//! share of it, and the rest of the checkout's time.
//!
//! Per SQLite cell the table gives the transactions rerun because the file
//! was busy (`RetryCause::Busy` in the store's metrics) and the time the
//! checkouts spent beginning their transaction — waiting for a pooled
//! connection and then for `BEGIN IMMEDIATE`, the file's one write lock —
//! as a mean per checkout and as a share of all the clients' time.
//!
//! The "processes" cells: the bench starts copies of itself
//! (`current_exe()`, the role in `SHOPCORE_BENCH_CHILD`), each opening its
//! own store on the file or database and running C/4 clients; they start
//! together on the parent's word and each prints its count, which the
//! parent sums (its p99 is the worst child's).
//!
//! Run with `make bench-stores` (both catalogs). MySQL is the server at
//! `SHOPCORE_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306`). Each
//! cell runs for `SHOPCORE_BENCH_SECONDS` (default 3); the stores alternate,
//! three rounds with each store going first once, and each cell is the best
//! of its three. `SHOPCORE_BENCH_CLIENTS` (e.g. `1,16`) runs only those
//! client counts. The table is printed and written to
//! `bench/results/store_throughput.md` (`store_throughput_hot.md` for the
//! hot catalog) under the header of bench/results.py.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shopcore::seed::SeedData;
use shopcore::{
    Cart, CartLine, CheckoutRequest, CustomerId, Instrumented, OrderWorkflow, ProductId, Quantity,
    RetryCause, ShopConfig,
};
use shopcore_conformance::bench::{self, customers, products, Lcg, LINES};
use shopcore_memory::MemoryStore;
use shopcore_mysql::{MySqlStore, PoolSettings};
use shopcore_sqlite::SqliteStore;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection, MySqlConnection};

/// Processes in the multi-process cells.
const PROCESSES: u64 = 4;
/// A child's role: `sqlite` or `mysql`.
const CHILD: &str = "SHOPCORE_BENCH_CHILD";
/// A child's file path or database URL.
const CHILD_TARGET: &str = "SHOPCORE_BENCH_CHILD_TARGET";
/// How many clients a child runs.
const CHILD_CLIENTS: &str = "SHOPCORE_BENCH_CHILD_CLIENTS";
/// A child's index (its clients' random streams).
const CHILD_INDEX: &str = "SHOPCORE_BENCH_CHILD_INDEX";
/// `normal` when a SQLite child runs with `synchronous = NORMAL`.
const CHILD_SYNC: &str = "SHOPCORE_BENCH_CHILD_SYNC";

/// Seconds per cell: `SHOPCORE_BENCH_SECONDS` (default 3).
fn seconds() -> u64 {
    std::env::var("SHOPCORE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(3)
}

fn bench_data() -> SeedData {
    bench::catalog(products(), customers())
}

/// A random customer buying `LINES` distinct random products.
fn request(rng: &mut Lcg) -> CheckoutRequest {
    let mut lines: Vec<CartLine> = Vec::with_capacity(LINES);
    while lines.len() < LINES {
        let product = ProductId::new(rng.next(products() as u64) as i64 + 1).expect("positive");
        if lines.iter().all(|line| line.product_id != product) {
            lines.push(CartLine {
                product_id: product,
                quantity: Quantity::new(rng.next(5) as i64 + 1).expect("quantity"),
            });
        }
    }
    CheckoutRequest {
        customer_id: CustomerId::new(rng.next(customers() as u64) as i64 + 1).expect("positive"),
        cart: Cart::new(lines).expect("cart"),
        region: None,
        expected_total: None,
        coupon: None,
        redeem_points: 0,
    }
}

/// What one cell (or one child's share of it) did.
#[derive(Clone, Copy, Debug, Default)]
struct Outcome {
    orders: u64,
    elapsed: Duration,
    p99: Duration,
    /// Clients that ran (the denominator of the time shares).
    clients: u64,
    /// Transactions rerun because the database was busy.
    busy: u64,
    /// Transactions begun, and the time spent beginning them (waiting for a
    /// connection, then `BEGIN`); zero for the in-memory store.
    begins: u64,
    begin_time: Duration,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.orders as f64 / self.elapsed.as_secs_f64()
    }

    /// Sums the children's shares of one cell: their counts add up over
    /// the longest child's time; the p99 is the worst child's.
    fn merge(parts: &[Outcome]) -> Outcome {
        parts.iter().fold(Outcome::default(), |sum, part| Outcome {
            orders: sum.orders + part.orders,
            elapsed: sum.elapsed.max(part.elapsed),
            p99: sum.p99.max(part.p99),
            clients: sum.clients + part.clients,
            busy: sum.busy + part.busy,
            begins: sum.begins + part.begins,
            begin_time: sum.begin_time + part.begin_time,
        })
    }

    fn line(&self) -> String {
        format!(
            "done {} {} {} {} {} {} {}",
            self.orders,
            self.elapsed.as_nanos(),
            self.p99.as_nanos(),
            self.clients,
            self.busy,
            self.begins,
            self.begin_time.as_nanos()
        )
    }

    fn parse(line: &str) -> Outcome {
        let fields: Vec<u64> = line
            .strip_prefix("done ")
            .unwrap_or_else(|| panic!("a child said {line:?}"))
            .split(' ')
            .map(|field| field.parse().expect("a number"))
            .collect();
        let [orders, elapsed, p99, clients, busy, begins, begin_time] = fields[..] else {
            panic!("a child said {line:?}");
        };
        Outcome {
            orders,
            elapsed: Duration::from_nanos(elapsed),
            p99: Duration::from_nanos(p99),
            clients,
            busy,
            begins,
            begin_time: Duration::from_nanos(begin_time),
        }
    }
}

/// Runs `clients` tasks placing orders through `store` for `seconds`.
async fn drive<S>(store: Arc<S>, clients: u64, stream: u64, seconds: u64) -> Outcome
where
    S: OrderWorkflow + Instrumented + 'static,
{
    let before = store.metrics();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut rng = Lcg((stream * 1000 + client) * 7919 + 1);
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let request = request(&mut rng);
                    let t = Instant::now();
                    store.checkout(&request, None).await.expect("checkout");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client task"));
    }
    let elapsed = started.elapsed();
    let after = store.metrics();
    latencies.sort_unstable();
    let p99 = if latencies.is_empty() {
        Duration::ZERO
    } else {
        latencies[((latencies.len() - 1) as f64 * 0.99).round() as usize]
    };
    let (begins, begin_time) = match (before.pool, after.pool) {
        (Some(b), Some(a)) => (a.acquires - b.acquires, a.acquire_time - b.acquire_time),
        _ => (0, Duration::ZERO),
    };
    Outcome {
        orders: latencies.len() as u64,
        elapsed,
        p99,
        clients,
        busy: after.retries(RetryCause::Busy) - before.retries(RetryCause::Busy),
        begins,
        begin_time,
    }
}

/// A SQLite file's `synchronous` setting for a cell.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sync {
    /// The adapter's: every commit is fsynced before it returns.
    Full,
    /// Set by the bench: WAL commits are not fsynced (checkpoints are).
    Normal,
}

/// Sets `synchronous = NORMAL` on every connection of `store`'s pool (all
/// of them opened and held at once, so none is left out), or checks that
/// they all still have it (`check`). The pool keeps its idle connections for
/// minutes, far longer than a cell.
async fn relax(store: &SqliteStore, check: bool) {
    for conn in &mut hold_all(store).await {
        if check {
            let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut **conn)
                .await
                .expect("PRAGMA synchronous");
            assert_eq!(level, 1, "a connection lost synchronous = NORMAL");
        } else {
            sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(&mut **conn)
                .await
                .expect("PRAGMA synchronous = NORMAL");
        }
    }
}

/// Every connection `store`'s pool may open, opened and held.
async fn hold_all(store: &SqliteStore) -> Vec<sqlx::pool::PoolConnection<sqlx::Sqlite>> {
    let pool = store.pool();
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await.expect("a connection"));
    }
    held
}

async fn open_sqlite(path: &Path, sync: Sync) -> Arc<SqliteStore> {
    let store = SqliteStore::open(path, ShopConfig::default())
        .await
        .expect("open the SQLite file");
    if sync == Sync::Normal {
        relax(&store, false).await;
    }
    Arc::new(store)
}

async fn open_mysql(url: &str) -> Arc<MySqlStore> {
    let settings = PoolSettings {
        max_connections: 16,
        ..PoolSettings::default()
    };
    Arc::new(
        MySqlStore::connect_with(url, ShopConfig::default(), settings)
            .await
            .expect("connect to MySQL"),
    )
}

/// A fresh SQLite file, migrated and seeded, in `dir`.
async fn fresh_sqlite(dir: &Path, cell: &mut u64) -> PathBuf {
    *cell += 1;
    let path = dir.join(format!("cell-{cell}.db"));
    let store = SqliteStore::open(&path, ShopConfig::default())
        .await
        .expect("create the SQLite file");
    store.migrate().await.expect("migrate");
    store.seed(&bench_data()).await.expect("seed");
    store.close().await;
    path
}

/// A store under test, and where it is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Memory,
    Sqlite(Sync),
    MySql,
}

/// Where every cell of the run puts its data.
struct Places {
    dir: PathBuf,
    mysql_url: String,
    mysql: Arc<MySqlStore>,
    cells: u64,
}

/// One cell: `clients` through one store of `kind`.
async fn one_store(kind: Kind, clients: u64, places: &mut Places) -> Outcome {
    match kind {
        Kind::Memory => {
            let store = Arc::new(MemoryStore::from_seed(ShopConfig::default(), bench_data()));
            drive(store, clients, 0, seconds()).await
        }
        Kind::Sqlite(sync) => {
            let path = fresh_sqlite(&places.dir, &mut places.cells).await;
            let store = open_sqlite(&path, sync).await;
            let outcome = drive(store.clone(), clients, 0, seconds()).await;
            if sync == Sync::Normal {
                relax(&store, true).await;
            }
            store.close().await;
            remove_db(&path);
            outcome
        }
        Kind::MySql => drive(places.mysql.clone(), clients, 0, seconds()).await,
    }
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// A child process of this bench, waiting for the word to start.
struct ChildProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl ChildProcess {
    fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("a child's stdout");
        line.trim_end().to_owned()
    }
}

/// One cell: `clients` spread over `PROCESSES` copies of this bench, each
/// with its own store of `kind` on one file or database.
async fn run_processes(kind: Kind, clients: u64, places: &mut Places) -> Outcome {
    let (role, target, sync, path) = match kind {
        Kind::Sqlite(sync) => {
            let path = fresh_sqlite(&places.dir, &mut places.cells).await;
            let target = path.to_str().expect("a UTF-8 path").to_owned();
            ("sqlite", target, sync, Some(path))
        }
        Kind::MySql => ("mysql", places.mysql_url.clone(), Sync::Full, None),
        Kind::Memory => unreachable!("one memory per process"),
    };
    let exe = std::env::current_exe().expect("this bench's executable");
    let mut children: Vec<ChildProcess> = (0..PROCESSES)
        .map(|index| {
            let mut child = Command::new(&exe)
                .env(CHILD, role)
                .env(CHILD_TARGET, &target)
                .env(CHILD_CLIENTS, (clients / PROCESSES).to_string())
                .env(CHILD_INDEX, (index + 1).to_string())
                .env(
                    CHILD_SYNC,
                    if sync == Sync::Normal {
                        "normal"
                    } else {
                        "full"
                    },
                )
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("start a child");
            let stdin = child.stdin.take().expect("piped");
            let stdout = BufReader::new(child.stdout.take().expect("piped"));
            ChildProcess {
                child,
                stdin,
                stdout,
            }
        })
        .collect();
    for child in &mut children {
        assert_eq!(child.read_line(), "ready", "a child did not start");
    }
    for child in &mut children {
        writeln!(child.stdin, "go").expect("tell a child");
        child.stdin.flush().expect("tell a child");
    }
    let parts: Vec<Outcome> = children
        .iter_mut()
        .map(|child| Outcome::parse(&child.read_line()))
        .collect();
    for mut child in children {
        let status = child.child.wait().expect("a child's exit");
        assert!(status.success(), "a child failed: {status}");
    }
    if let Some(path) = path {
        remove_db(&path);
    }
    Outcome::merge(&parts)
}

/// The child's side of a "processes" cell.
async fn child(role: &str) {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"));
    let target = var(CHILD_TARGET);
    let clients: u64 = var(CHILD_CLIENTS).parse().expect("a number");
    let index: u64 = var(CHILD_INDEX).parse().expect("a number");
    let sync = if var(CHILD_SYNC) == "normal" {
        Sync::Normal
    } else {
        Sync::Full
    };
    let say = |line: &str| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}").expect("stdout");
        out.flush().expect("stdout");
    };
    let wait_for_go = || {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).expect("stdin");
        assert_eq!(line.trim_end(), "go", "the parent's word");
    };
    let outcome = match role {
        "sqlite" => {
            let store = open_sqlite(Path::new(&target), sync).await;
            say("ready");
            wait_for_go();
            let outcome = drive(store.clone(), clients, index, seconds()).await;
            if sync == Sync::Normal {
                relax(&store, true).await;
            }
            store.close().await;
            outcome
        }
        "mysql" => {
            let store = open_mysql(&target).await;
            say("ready");
            wait_for_go();
            let outcome = drive(store.clone(), clients, index, seconds()).await;
            store.close().await;
            outcome
        }
        other => panic!("unknown role {other}"),
    };
    say(&outcome.line());
}

/// Commits per second of `BEGIN IMMEDIATE; INSERT; COMMIT` on one
/// connection to a new file in `dir`, in WAL mode with `sync`.
async fn raw_commits(dir: &Path, sync: Sync) -> f64 {
    let path = dir.join(format!("raw-{sync:?}.db"));
    remove_db(&path);
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match sync {
            Sync::Full => SqliteSynchronous::Full,
            Sync::Normal => SqliteSynchronous::Normal,
        })
        .connect()
        .await
        .expect("open a raw file");
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        .execute(&mut conn)
        .await
        .expect("create");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds());
    let mut commits = 0u64;
    while Instant::now() < deadline {
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .expect("begin");
        sqlx::query("INSERT INTO t (v) VALUES ('an order')")
            .execute(&mut conn)
            .await
            .expect("insert");
        sqlx::query("COMMIT")
            .execute(&mut conn)
            .await
            .expect("commit");
        commits += 1;
    }
    let rate = commits as f64 / started.elapsed().as_secs_f64();
    conn.close().await.expect("close");
    remove_db(&path);
    rate
}

/// Counts the statements sqlx runs and the time each took where it ran
/// (its `sqlx::query` log records, which both stores write at `DEBUG`,
/// with `elapsed_secs`), while the log level lets them through.
struct StatementLog {
    statements: AtomicU64,
    nanos: AtomicU64,
    commit_nanos: AtomicU64,
}

impl log::Log for StatementLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.target() == "sqlx::query"
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let text = record.args().to_string();
        let secs: f64 = text
            .split_once("elapsed_secs=")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .and_then(|secs| secs.parse().ok())
            .unwrap_or(0.0);
        let nanos = (secs * 1e9) as u64;
        self.statements.fetch_add(1, Ordering::Relaxed);
        self.nanos.fetch_add(nanos, Ordering::Relaxed);
        if text.starts_with("summary=\"COMMIT\"") {
            self.commit_nanos.fetch_add(nanos, Ordering::Relaxed);
        }
    }

    fn flush(&self) {}
}

static STATEMENTS: StatementLog = StatementLog {
    statements: AtomicU64::new(0),
    nanos: AtomicU64::new(0),
    commit_nanos: AtomicU64::new(0),
};

/// One checkout, taken apart (means over [`profile`]'s checkouts).
#[derive(Clone, Copy, Debug, Default)]
struct Profile {
    statements: f64,
    /// The whole checkout, as its client saw it.
    wall: Duration,
    /// The statements as sqlx timed them where they ran (on SQLite, on
    /// the connection's worker thread; on MySQL, a round trip to the server).
    in_statements: Duration,
    /// Of those, the `COMMIT` (on SQLite, the fsync with `FULL`).
    commit: Duration,
}

/// One client's checkouts through `store` taken apart: 200 checkouts in a
/// row with sqlx's statement log on (off during the cells: formatting each
/// record costs time of its own, counted in `wall` here).
async fn profile<S>(store: &S) -> Profile
where
    S: OrderWorkflow,
{
    const CHECKOUTS: u32 = 200;
    let mut rng = Lcg(42);
    let requests: Vec<CheckoutRequest> = (0..CHECKOUTS).map(|_| request(&mut rng)).collect();
    for counter in [
        &STATEMENTS.statements,
        &STATEMENTS.nanos,
        &STATEMENTS.commit_nanos,
    ] {
        counter.store(0, Ordering::Relaxed);
    }
    log::set_max_level(log::LevelFilter::Debug);
    let started = Instant::now();
    for request in &requests {
        store.checkout(request, None).await.expect("checkout");
    }
    let wall = started.elapsed();
    log::set_max_level(log::LevelFilter::Off);
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    Profile {
        statements: load(&STATEMENTS.statements) as f64 / f64::from(CHECKOUTS),
        wall: wall / CHECKOUTS,
        in_statements: Duration::from_nanos(load(&STATEMENTS.nanos)) / CHECKOUTS,
        commit: Duration::from_nanos(load(&STATEMENTS.commit_nanos)) / CHECKOUTS,
    }
}

/// One row of the table: a client count, one store or several processes.
struct Row {
    clients: u64,
    processes: u64,
    /// Best of the rounds per store (memory, SQLite FULL, SQLite NORMAL, MySQL).
    best: [Option<Outcome>; 4],
}

const KINDS: [Kind; 4] = [
    Kind::Memory,
    Kind::Sqlite(Sync::Full),
    Kind::Sqlite(Sync::Normal),
    Kind::MySql,
];

/// Runs one row: three rounds, the stores alternating so that each goes
/// first once (SQLite's two settings run back to back as one store).
async fn run_row(clients: u64, processes: u64, places: &mut Places) -> Row {
    let mut best: [Option<Outcome>; 4] = [None; 4];
    let groups: [&[usize]; 3] = [&[0], &[1, 2], &[3]];
    for round in 0..3 {
        let mut order = groups;
        order.rotate_left(round);
        for group in order {
            for &slot in group {
                let kind = KINDS[slot];
                if processes > 1 && kind == Kind::Memory {
                    continue;
                }
                let outcome = if processes > 1 {
                    run_processes(kind, clients, places).await
                } else {
                    one_store(kind, clients, places).await
                };
                eprintln!(
                    "  round {round}: {kind:?} {clients} clients x {processes} processes: {:.0}/s, busy {}",
                    outcome.rate(),
                    outcome.busy
                );
                if best[slot].is_none_or(|b| outcome.rate() > b.rate()) {
                    best[slot] = Some(outcome);
                }
            }
        }
    }
    Row {
        clients,
        processes,
        best,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `orders/s (p99 ms)`, or `n/a`.
fn rate_cell(outcome: Option<Outcome>) -> String {
    outcome.map_or("n/a".to_owned(), |o| {
        format!("{:.0} ({:.1})", o.rate(), ms(o.p99))
    })
}

/// Mean time beginning a transaction per checkout, and its share of the clients' time.
fn begin_cell(o: &Outcome) -> String {
    if o.orders == 0 {
        return "n/a".to_owned();
    }
    let mean = ms(o.begin_time) / o.orders as f64;
    let share = o.begin_time.as_secs_f64() / (o.clients as f64 * o.elapsed.as_secs_f64());
    format!("{mean:.2} ms ({:.0}%)", share * 100.0)
}

/// What the notes say besides the table.
struct Measured {
    /// Raw commits per second, `FULL` and `NORMAL`.
    raw_full: f64,
    raw_normal: f64,
    /// One client's checkout taken apart: SQLite `FULL` and `NORMAL`, MySQL.
    sqlite: [Profile; 2],
    mysql: Profile,
}

/// A second table: one client's checkout taken apart on each SQL store.
fn profile_table(m: &Measured) -> String {
    let columns = [m.sqlite[0], m.sqlite[1], m.mysql];
    let row = |what: &str, cell: &dyn Fn(&Profile) -> String| {
        let cells: Vec<String> = columns.iter().map(cell).collect();
        format!("| {what} | {} |", cells.join(" | "))
    };
    let ms = |d: Duration| format!("{:.3}", d.as_secs_f64() * 1e3);
    [
        "| one client, per checkout | SQLite | SQLite, synchronous=NORMAL | MySQL |".to_owned(),
        "|---|---:|---:|---:|".to_owned(),
        row("statements", &|p| format!("{:.1}", p.statements)),
        row("whole checkout, ms", &|p| ms(p.wall)),
        row("in the statements, ms", &|p| ms(p.in_statements)),
        row("of which `COMMIT`, ms", &|p| ms(p.commit)),
        row("outside the statements, ms", &|p| {
            ms(p.wall.saturating_sub(p.in_statements))
        }),
    ]
    .join("\n")
}

/// The notes under the tables: how the cells were made, then where
/// SQLite's time goes, from this run's numbers.
fn notes(rows: &[Row], m: &Measured) -> String {
    let find = |clients: u64, processes: u64| {
        rows.iter()
            .find(|row| row.clients == clients && row.processes == processes)
    };
    let mut notes = vec![format!(
        "Cells are orders per second (p99 latency in ms). SQLite: a fresh file per cell, WAL, \
         `BEGIN IMMEDIATE` writes, the default pool of 8 connections per store; \
         `synchronous=NORMAL` is set by the bench on the pool's connections (the adapter opens \
         with `FULL`). MySQL: one database for the run, a pool of 16 per store. \"4 processes\": \
         four copies of the bench, each with its own store on the same file or database and a \
         quarter of the clients, their counts summed (p99: the worst process's). Busy reruns and \
         time beginning are the SQLite (`FULL`) cell's best round: transactions rerun after \
         `SQLITE_BUSY`, and the time spent getting a pooled connection plus `BEGIN IMMEDIATE` \
         (the write lock) per checkout, with its share of all the clients' time. A raw commit on \
         this disk (one connection, `BEGIN IMMEDIATE; INSERT; COMMIT`, best of 3): {:.2} ms with \
         `FULL`, {:.3} ms with `NORMAL`.",
        1e3 / m.raw_full,
        1e3 / m.raw_normal,
    )];
    notes.push(profile_table(m));
    notes.push(
        "One client, 200 checkouts in a row, best of 3 (a fresh SQLite file each time; \
         MySQL: the run's database), with sqlx's statement log on (which adds its own cost \
         to the whole checkout): the statements as sqlx times them \
         where they run — on SQLite inside the connection's worker thread, on MySQL a round \
         trip to the server — and the rest: getting each statement to the worker thread and \
         its answer back, the core's pricing and checks, tokio."
            .to_owned(),
    );
    let per = |o: Outcome| 1e3 / o.rate();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let [full, normal] = m.sqlite;
    let mut time = vec![format!(
        "Where SQLite's time goes. One checkout is {:.0} statements between `BEGIN IMMEDIATE` \
         and `COMMIT`; with `FULL` the `COMMIT` (writing the WAL and its fsync) takes {:.2} \
         ms of the checkout's {:.2} ms; with `NORMAL` {:.3} ms (no fsync per commit: what is \
         left is writing the WAL and, now and then, an automatic checkpoint, which copies the \
         WAL into the file and does fsync it). The other statements take {:.2} ms together in \
         SQLite, and {:.2} ms goes between them.",
        full.statements,
        ms(full.commit),
        ms(full.wall),
        ms(normal.commit),
        ms(full.in_statements.saturating_sub(full.commit)),
        ms(full.wall.saturating_sub(full.in_statements)),
    )];
    if let (Some(one), Some(many)) = (find(1, 1), find(16, 1)) {
        if let (Some(one), Some(many)) = (one.best[1], many.best[1]) {
            time.push(format!(
                "More clients add little: `BEGIN IMMEDIATE` holds the file's one write lock \
                 from the checkout's first read to its fsynced commit, so checkouts run one at \
                 a time, whatever the number of clients. At 16 clients through one store SQLite \
                 makes {:.0} orders/s ({:.2}x one client): {:.2} ms per order against one \
                 client's {:.2} ms, as the lock is held through the whole checkout, the time \
                 between statements included. Its clients spend {:.0}% of their time \
                 waiting to begin — for one of the pool's 8 connections, then for the lock.",
                many.rate(),
                many.rate() / one.rate(),
                per(many),
                per(one),
                100.0 * many.begin_time.as_secs_f64()
                    / (many.clients as f64 * many.elapsed.as_secs_f64()),
            ));
        }
    }
    if let (Some(one), Some(spread)) = (find(16, 1), find(16, PROCESSES)) {
        if let (Some(one), Some(spread)) = (one.best[1], spread.best[1]) {
            time.push(format!(
                "Over {PROCESSES} processes the 16 clients make {:.0} orders/s (p99 {:.0} ms) \
                 against {:.0} (p99 {:.0} ms) in one. A connection waiting for the write lock \
                 is not woken when it is released: SQLite's busy handler sleeps 1, 2, 5, 10 … \
                 up to 100 ms between tries, so the lock can sit free while its waiters sleep, \
                 and an unlucky one waits long; in one process half the clients queue in the \
                 pool instead, which hands a returned connection on at once. Busy reruns: {} \
                 (a rerun needs a wait past the busy timeout, 5 s).",
                spread.rate(),
                ms(spread.p99),
                one.rate(),
                ms(one.p99),
                spread.busy,
            ));
        }
    }
    time.push(
        "With `FULL` every commit waits for the WAL's fsync while holding the lock, so the \
         disk's fsync time is a floor under every checkout and, with one writer, a ceiling on \
         the file's throughput; `NORMAL` loses nothing to a crash of the process, only the \
         last commits to a power loss. MySQL locks rows, not the database: its writers \
         overlap, and InnoDB can flush several commits with one fsync."
            .to_owned(),
    );
    notes.push(time.join(" "));
    notes.join("\n\n")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Ok(role) = std::env::var(CHILD) {
        runtime.block_on(child(&role));
        return;
    }
    log::set_logger(&STATEMENTS).expect("the only logger");
    log::set_max_level(log::LevelFilter::Off);
    runtime.block_on(async {
        let server = std::env::var("SHOPCORE_TEST_MYSQL_URL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned());
        let name = format!("shopcore_stores_{}", std::process::id());
        let mut admin = MySqlConnection::connect(&server)
            .await
            .expect("connect to MySQL (SHOPCORE_TEST_MYSQL_URL; make bench-stores starts it)");
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
            .execute(&mut admin)
            .await
            .expect("create the scratch database");
        let mysql_url = format!("{}/{name}", server.trim_end_matches('/'));
        let mysql = open_mysql(&mysql_url).await;
        mysql.migrate().await.expect("migrate MySQL");
        mysql.seed(&bench_data()).await.expect("seed MySQL");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("store-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        let mut places = Places {
            dir,
            mysql_url,
            mysql,
            cells: 0,
        };

        let seconds = seconds();
        println!(
            "checkouts per second (p99 ms), {LINES}-line carts over {} products and {} customers, \
             {seconds} s per cell, best of 3",
            products(),
            customers()
        );
        let mut rows = Vec::new();
        let counts = bench::client_counts(&[1, 4, 16]);
        for &clients in &counts {
            rows.push(run_row(clients, 1, &mut places).await);
        }
        for &clients in &counts {
            if clients >= PROCESSES && clients % PROCESSES == 0 {
                rows.push(run_row(clients, PROCESSES, &mut places).await);
            }
        }
        let (mut full, mut normal) = (0.0f64, 0.0f64);
        for _ in 0..3 {
            full = full.max(raw_commits(&places.dir, Sync::Full).await);
            normal = normal.max(raw_commits(&places.dir, Sync::Normal).await);
        }
        // Best of 3 (the quickest whole checkout), the stores alternating.
        let mut sqlite_profiles: [Option<Profile>; 2] = [None; 2];
        let mut mysql_profile: Option<Profile> = None;
        let keep = |best: &mut Option<Profile>, new: Profile| {
            if best.is_none_or(|best| new.wall < best.wall) {
                *best = Some(new);
            }
        };
        for _ in 0..3 {
            for (sync, slot) in [(Sync::Full, 0), (Sync::Normal, 1)] {
                let path = fresh_sqlite(&places.dir, &mut places.cells).await;
                let store = open_sqlite(&path, sync).await;
                // Every connection opened (and its PRAGMAs logged) before counting.
                drop(hold_all(&store).await);
                keep(&mut sqlite_profiles[slot], profile(&*store).await);
                store.close().await;
                remove_db(&path);
            }
            keep(&mut mysql_profile, profile(&*places.mysql).await);
        }
        let sqlite_profiles = sqlite_profiles.map(|p| p.expect("profiled"));
        let mysql_profile = mysql_profile.expect("profiled");

        let mut table = vec![
            "| clients | through | memory | SQLite | SQLite, synchronous=NORMAL | MySQL \
             | SQLite busy reruns | SQLite time beginning (share) |"
                .to_owned(),
            format!("|---|---|{}", "---:|".repeat(6)),
        ];
        for row in &rows {
            let through = if row.processes > 1 {
                format!("{} processes", row.processes)
            } else {
                "one store".to_owned()
            };
            let [memory, sqlite, relaxed, mysql] = row.best;
            let sqlite_ = sqlite.expect("SQLite ran");
            table.push(format!(
                "| {} | {through} | {} | {} | {} | {} | {} | {} |",
                row.clients,
                rate_cell(memory),
                rate_cell(sqlite),
                rate_cell(relaxed),
                rate_cell(mysql),
                sqlite_.busy,
                begin_cell(&sqlite_),
            ));
        }
        let table = table.join("\n");
        println!("{table}");

        let notes = notes(
            &rows,
            &Measured {
                raw_full: full,
                raw_normal: normal,
                sqlite: sqlite_profiles,
                mysql: mysql_profile,
            },
        );
        println!("\n{notes}");

        let settings = format!(
            "{LINES}-line carts over {} products and {} customers, {seconds} s per cell, \
             each cell the best of 3 rounds with the stores alternating.",
            products(),
            customers()
        );
        let path = bench::write_result(
            "adapters/sqlite/benches/stores.rs",
            &bench::results_name("store_throughput"),
            &format!(
                "Checkouts per second: memory, SQLite and MySQL ({} products, {} customers)",
                products(),
                customers()
            ),
            &settings,
            &format!("{table}\n\n{notes}"),
        );
        println!("\nwritten to {}", path.display());

        places.mysql.close().await;
        let _ = std::fs::remove_dir_all(&places.dir);
        sqlx::query(AssertSqlSafe(format!("DROP DATABASE `{name}`")))
            .execute(&mut admin)
            .await
            .expect("drop the scratch database");
    });
}
