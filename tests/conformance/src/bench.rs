//! What the adapters' throughput benchmarks share (`adapters/mysql/benches/
//! throughput.rs`, `adapters/sqlite/benches/stores.rs`): the catalog they
//! sell from, the random stream of their carts, and the results file with
//! the header of `bench/results.py`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use shopcore::seed::{self, SeedData};
use shopcore::{
    Customer, CustomerId, CustomerName, Email, Money, PricingRule, Product, ProductId, Quantity,
    MAX_STOCK,
};

/// Lines in every cart.
pub const LINES: usize = 3;

/// A number of at least `LINES` from the environment, or `default`.
fn env_or(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n: &i64| n >= LINES as i64)
        .unwrap_or(default)
}

/// Catalog size: `SHOPCORE_BENCH_PRODUCTS` (default 100; `make bench-http`
/// uses the 5 seed products, like its HTTP load, so both meet the same row locks).
pub fn products() -> i64 {
    static PRODUCTS: OnceLock<i64> = OnceLock::new();
    *PRODUCTS.get_or_init(|| env_or("SHOPCORE_BENCH_PRODUCTS", 100))
}

/// Number of customers: `SHOPCORE_BENCH_CUSTOMERS` (default 64).
pub fn customers() -> i64 {
    static CUSTOMERS: OnceLock<i64> = OnceLock::new();
    *CUSTOMERS.get_or_init(|| env_or("SHOPCORE_BENCH_CUSTOMERS", 64))
}

/// The client counts to run: `SHOPCORE_BENCH_CLIENTS` (a comma-separated
/// list, e.g. `1,16`), or `default`.
pub fn client_counts(default: &[u64]) -> Vec<u64> {
    let listed: Vec<u64> = std::env::var("SHOPCORE_BENCH_CLIENTS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .filter(|&n| n > 0)
        .collect();
    if listed.is_empty() {
        default.to_vec()
    } else {
        listed
    }
}

/// The results file's name for this catalog: `stem` for the default one,
/// `<stem>_hot` for 5 products and 3 customers, or one naming the sizes.
pub fn results_name(stem: &str) -> String {
    match (products(), customers()) {
        (100, 64) => stem.to_owned(),
        (5, 3) => format!("{stem}_hot"),
        (p, c) => format!("{stem}_{p}_products_{c}_customers"),
    }
}

/// `products` products (stock `MAX_STOCK`, so a bench never runs out; a 5 %
/// tier from 3 units each) and `customers` customers, with the seed's tax
/// rates.
pub fn catalog(products: i64, customers: i64) -> SeedData {
    SeedData {
        products: (1..=products)
            .map(|i| Product {
                id: ProductId::new(i).expect("positive"),
                name: shopcore::ProductName::parse(&format!("Product {i}")).expect("name"),
                quantity_available: MAX_STOCK,
                unit_price: Money::from_cents(500 + i * 137).expect("price"),
                last_updated: DateTime::UNIX_EPOCH,
                retired: false,
            })
            .collect(),
        customers: (1..=customers)
            .map(|i| Customer {
                id: CustomerId::new(i).expect("positive"),
                name: CustomerName::parse(&format!("Customer {i}")).expect("name"),
                email: Email::parse(&format!("c{i}@example.com")).expect("email"),
                phone: None,
                loyalty_points: 0,
                created_at: DateTime::UNIX_EPOCH,
            })
            .collect(),
        rules: (1..=products)
            .map(|i| PricingRule {
                product_id: ProductId::new(i).expect("positive"),
                min_quantity: Quantity::new(3).expect("quantity"),
                discount: "5".parse().expect("percent"),
            })
            .collect(),
        tax_rates: seed::demo_data().tax_rates,
    }
}

/// A small deterministic generator, so that every variant or store of a
/// bench sees the same carts.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number below `bound`.
    pub fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// The output of `command` run in `dir`, trimmed; `None` if it cannot run or fails.
fn output(command: &mut Command, dir: &Path) -> Option<String> {
    let out = command.current_dir(dir).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The short hash of HEAD, `-dirty` when the tree has changes outside
/// bench/results, `unknown` outside git (bench/results.py's `commit`).
fn commit(root: &Path) -> String {
    let Some(sha) = output(
        Command::new("git").args(["rev-parse", "--short", "HEAD"]),
        root,
    ) else {
        return "unknown".to_owned();
    };
    let status = Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--",
            ".",
            ":(exclude)bench/results",
        ])
        .current_dir(root)
        .output();
    match status {
        Ok(out) if out.status.success() && out.stdout.iter().all(u8::is_ascii_whitespace) => sha,
        Ok(out) if out.status.success() => format!("{sha}-dirty"),
        _ => "unknown".to_owned(),
    }
}

/// Writes `bench/results/<name>.md` of this checkout: `# title`, the line
/// saying how the numbers were made (`program`, the date, the commit, the
/// machine and its cores, the compiler; then `settings`), the body.
pub fn write_result(program: &str, name: &str, title: &str, settings: &str, body: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().unwrap_or(root);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let compiler = output(Command::new("rustc").arg("--version"), &root)
        .map(|v| v.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "rustc unknown".to_owned());
    let header = format!(
        "`{program}`, {}, commit {}, {} with {cores} cores, {compiler}; {settings}",
        Utc::now().date_naive(),
        commit(&root),
        std::env::consts::ARCH,
    );
    let path = root.join("bench/results").join(format!("{name}.md"));
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("bench/results");
    std::fs::write(&path, format!("# {title}\n\n{header}\n\n{}\n", body.trim()))
        .expect("write the results");
    path
}
