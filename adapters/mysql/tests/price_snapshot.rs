//! Prices that change during checkouts, on the real server: while buyers keep
//! ordering one product, an administrator changes its unit price, its tier
//! ladder and the region's tax rate, one after the other, each to a value
//! never used before. Every step leaves a price list that was valid at one
//! instant; every stored order must be priced from exactly one of them — never
//! the new price with the old ladder, or the old rate with the new price.
//!
//! The buyers reach the server through a proxy that delays every packet by
//! 2 ms each way (as a network between hosts would), so each checkout's reads
//! are spread over several milliseconds in which the administrator, connected
//! directly, commits changes.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{request, TestDb};
use rust_decimal::Decimal;
use shopcore::{
    Actor, CatalogAdministration, CatalogCommand, Money, OrderRepository, Percent, ProductId,
    Quantity, Region, TierLadder, TierRung,
};
use shopcore_mysql::{MySqlStore, PoolSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy on 127.0.0.1 to `target` that holds every chunk `delay` before
/// passing it on, in both directions.
async fn delaying_proxy(target: SocketAddr, delay: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(target).await else {
                    return;
                };
                let (from_client, to_client) = client.into_split();
                let (from_server, to_server) = server.into_split();
                tokio::spawn(pipe(from_client, to_server, delay));
                tokio::spawn(pipe(from_server, to_client, delay));
            });
        }
    });
    address
}

async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Duration) {
    let mut buffer = vec![0; 16 * 1024];
    while let Ok(read) = from.read(&mut buffer).await {
        if read == 0 {
            return;
        }
        tokio::time::sleep(delay).await;
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

/// One price list of the product in the region: unit price, tier discount, tax rate.
#[derive(Clone, Copy, Debug, PartialEq)]
struct PriceList {
    unit_price: Decimal,
    discount: Decimal,
    tax_rate: Decimal,
}

const BUYERS: usize = 6;
const STEPS: usize = 60;
const QUANTITY: i64 = 10;

fn ladder(discount: Decimal) -> TierLadder {
    TierLadder::new(vec![TierRung {
        min_quantity: Quantity::new(1).unwrap(),
        discount: Percent::new(discount).unwrap(),
    }])
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_order_is_priced_from_one_price_list_that_existed() {
    let settings = PoolSettings {
        max_connections: 12,
        retry_budget: Duration::from_secs(10),
        ..PoolSettings::default()
    };
    let Some(db) = TestDb::seeded_with(settings).await else {
        return;
    };
    let store = db.store.clone();
    let mouse = ProductId::new(2).unwrap();
    let cairo = Region::parse("Cairo").unwrap();
    let admin = Actor::Anonymous;
    // Enough mice for every order; a known starting list.
    shopcore::CatalogRepository::adjust_stock(&*store, mouse, 500_000)
        .await
        .unwrap();
    let mut list = PriceList {
        unit_price: Decimal::new(2999, 2),
        discount: Decimal::new(15, 0),
        tax_rate: Decimal::new(14, 0),
    };
    store
        .administer(
            &admin,
            &CatalogCommand::ReplaceLadder {
                product: mouse,
                ladder: ladder(list.discount),
            },
        )
        .await
        .unwrap();
    let mut lists = vec![list];
    // The buyers' own store, through the delaying proxy.
    let server: url_parts::Server = url_parts::parse(&db.url);
    let proxy = delaying_proxy(server.address, Duration::from_millis(2)).await;
    let buyers_store = Arc::new(
        MySqlStore::connect_with(
            &server.with_address(proxy),
            shopcore::ShopConfig::default(),
            settings,
        )
        .await
        .unwrap(),
    );

    let done = Arc::new(AtomicBool::new(false));
    let buyers: Vec<_> = (0..BUYERS)
        .map(|i| {
            let (store, done) = (buyers_store.clone(), done.clone());
            tokio::spawn(async move {
                let mut placed = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    let order = shopcore::OrderWorkflow::checkout(
                        &*store,
                        &request(i as i64 % 3 + 1, &[(2, QUANTITY)]),
                        None,
                    )
                    .await
                    .expect("a checkout of plenty of stock succeeds");
                    placed.push(order.order.id);
                }
                placed
            })
        })
        .collect();

    for step in 1..=STEPS {
        let value = Decimal::from(step as u64);
        let command = match step % 3 {
            0 => {
                list.unit_price = Decimal::new(3000, 2) + value;
                CatalogCommand::UpdateProduct {
                    product: mouse,
                    name: None,
                    unit_price: Some(Money::new(list.unit_price).unwrap()),
                }
            }
            1 => {
                list.discount = Decimal::new(step as i64 % 40 + 1, 0) + Decimal::new(5, 1);
                CatalogCommand::ReplaceLadder {
                    product: mouse,
                    ladder: ladder(list.discount),
                }
            }
            _ => {
                list.tax_rate = Decimal::new(step as i64 % 30 + 1, 0) + Decimal::new(25, 2);
                CatalogCommand::SetTaxRate {
                    region: cairo.clone(),
                    rate: Percent::new(list.tax_rate).unwrap(),
                }
            }
        };
        store.administer(&admin, &command).await.unwrap();
        lists.push(list);
        tokio::time::sleep(Duration::from_millis(8)).await; // time for a few checkouts per step
    }
    done.store(true, Ordering::Relaxed);
    let mut orders = Vec::new();
    for buyer in buyers {
        orders.extend(buyer.await.unwrap());
    }
    assert!(
        orders.len() > STEPS,
        "the buyers ran during the changes: {}",
        orders.len()
    );

    let policy = shopcore::PricingPolicy::default();
    let mut mixed = Vec::new();
    for id in &orders {
        let order = store.order(*id).await.unwrap();
        let item = &order.items[0];
        let matches = |list: &PriceList| {
            let base = list.unit_price * Decimal::from(QUANTITY);
            let discount = policy
                .rounding
                .round(base * list.discount / Decimal::ONE_HUNDRED);
            let tax = policy
                .rounding
                .round((base - discount) * list.tax_rate / Decimal::ONE_HUNDRED);
            item.unit_price.amount() == list.unit_price
                && item.discount.amount() == discount
                && order.tax.amount() == tax
        };
        if !lists.iter().any(matches) {
            mixed.push((order.id, item.unit_price, item.discount, order.tax));
        }
    }
    println!(
        "{} orders during {STEPS} price changes; {} priced from a mix of price lists",
        orders.len(),
        mixed.len()
    );
    assert!(
        mixed.is_empty(),
        "orders priced from lists that never existed: {mixed:?}"
    );
    db.drop_database().await;
}

/// The server address in a `mysql://user@host:port/db` URL, and the URL with another.
mod url_parts {
    use std::net::SocketAddr;

    pub struct Server {
        pub address: SocketAddr,
        before: String,
        after: String,
    }

    pub fn parse(url: &str) -> Server {
        let start = url.find('@').map_or("mysql://".len(), |at| at + 1);
        let end = start + url[start..].find('/').unwrap();
        let host = &url[start..end];
        let host = if host.contains(':') {
            host.to_owned()
        } else {
            format!("{host}:3306")
        };
        Server {
            address: host.replace("localhost", "127.0.0.1").parse().unwrap(),
            before: url[..start].to_owned(),
            after: url[end..].to_owned(),
        }
    }

    impl Server {
        pub fn with_address(&self, address: SocketAddr) -> String {
            format!("{}{address}{}", self.before, self.after)
        }
    }
}
