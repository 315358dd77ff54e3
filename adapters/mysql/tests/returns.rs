//! Returns and refunds on MySQL beyond the shared conformance suite: what
//! is found by a return's id alone, the listing by status, and every read of
//! an order (one order, a customer's, a page, the books) carrying the same
//! releases, returns and refunds.

mod common;

use common::{request, TestDb};
use shopcore::{
    BooksRepository, CatalogRepository, ErrorCode, FulfillmentRequest, LineQuantity, Money,
    OrderFilter, OrderId, OrderRepository, OrderReturns, OrderSettlement, OrderWorkflow, PageLimit,
    PaymentMethod, PaymentReference, PaymentRequest, ProductId, Quantity, ReturnId, ReturnRequest,
    ReturnRequester, ReturnStatus,
};

fn mice(units: i64) -> Vec<LineQuantity> {
    vec![LineQuantity {
        product_id: ProductId::new(2).unwrap(),
        quantity: Quantity::new(units).unwrap(),
    }]
}

fn goodwill(amount: Money) -> shopcore::RefundRequest {
    shopcore::RefundRequest {
        amount,
        reason: None,
        key: None,
    }
}

fn asked(units: i64) -> ReturnRequest {
    ReturnRequest {
        lines: mice(units),
        restock: false,
        reason: Some("too many".parse().unwrap()),
        key: None,
    }
}

const CUSTOMER: ReturnRequester = ReturnRequester::Customer {
    window: chrono::Duration::days(30),
};

#[tokio::test]
async fn unknown_returns_and_orders_are_refused_by_their_codes() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let store = &*db.store;
    let nowhere = OrderId::new(999).unwrap();
    let no_return = ReturnId::new(999).unwrap();
    assert_eq!(
        store
            .receive_return(no_return, None)
            .await
            .unwrap_err()
            .code(),
        "unknown_return"
    );
    assert_eq!(
        store.reject_return(no_return).await.unwrap_err().code(),
        "unknown_return"
    );
    assert_eq!(
        store
            .create_return(nowhere, &asked(1), ReturnRequester::Staff)
            .await
            .unwrap_err()
            .code(),
        "order_not_found"
    );
    assert_eq!(
        store
            .refund(nowhere, &goodwill("1.00".parse().unwrap()))
            .await
            .unwrap_err()
            .code(),
        "order_not_found"
    );
    assert_eq!(
        store
            .cancel_units(nowhere, &mice(1))
            .await
            .unwrap_err()
            .code(),
        "order_not_found"
    );
    assert!(store.returns(None).await.unwrap().is_empty());
    db.drop_database().await;
}

#[tokio::test]
async fn returns_are_listed_by_status_and_every_read_of_an_order_carries_its_records() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let store = &*db.store;
    let order = store
        .checkout(&request(1, &[(1, 1), (2, 10)]), None)
        .await
        .unwrap()
        .order
        .id;
    let paid = PaymentRequest {
        amount: "1430.59".parse().unwrap(),
        method: PaymentMethod::parse("card").unwrap(),
        reference: PaymentReference::parse("pi_all").unwrap(),
        capture: true,
    };
    store.record_payment(order, &paid).await.unwrap();
    store
        .fulfill(order, &FulfillmentRequest::default())
        .await
        .unwrap();
    // Three requests: one received, one rejected, one left open.
    let mut ids = Vec::new();
    for _ in 0..3 {
        let asked = store.create_return(order, &asked(2), CUSTOMER).await;
        ids.push(asked.unwrap().returned.unwrap().id);
    }
    // Asked without restocking, received restocked.
    let mouse = ProductId::new(2).unwrap();
    let before = store.product(mouse).await.unwrap().quantity_available;
    store.receive_return(ids[0], Some(true)).await.unwrap();
    let after = store.product(mouse).await.unwrap().quantity_available;
    assert_eq!(after, before + 2);
    store.reject_return(ids[1]).await.unwrap();
    assert_eq!(
        store.reject_return(ids[1]).await.unwrap_err().code(),
        "return_not_requested"
    );
    let goodwill = store
        .refund(order, &goodwill(Money::from_cents(500).unwrap()))
        .await
        .unwrap();

    let listed = |status| async move {
        let found = store.returns(status).await.unwrap();
        found.iter().map(|r| r.id).collect::<Vec<_>>()
    };
    assert_eq!(listed(None).await, ids);
    assert_eq!(listed(Some(ReturnStatus::Received)).await, [ids[0]]);
    assert_eq!(listed(Some(ReturnStatus::Rejected)).await, [ids[1]]);
    assert_eq!(listed(Some(ReturnStatus::Requested)).await, [ids[2]]);

    let one = store.order(order).await.unwrap();
    assert_eq!(one, goodwill.order);
    assert_eq!(one.returns.len(), 3);
    assert_eq!(one.releases.len(), 1);
    assert_eq!(one.refunds.len(), 2);
    assert_eq!(one.refunds[0].lines.len(), 1);
    assert_eq!(one.refunds[1].parts.len(), 1);
    assert_eq!(one.payments[0].amount_refunded, one.amount_refunded());
    let of_customer = store
        .orders_of_customer(one.customer_id)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.id == order);
    assert_eq!(of_customer.as_ref(), Some(&one));
    let page = store
        .order_page(&OrderFilter::default(), None, PageLimit::new(10).unwrap())
        .await
        .unwrap();
    assert_eq!(page.items.iter().find(|o| o.id == order), Some(&one));
    let books = store.books().await.unwrap();
    assert_eq!(books.orders.iter().find(|o| o.id == order), Some(&one));
    let kinds: Vec<_> = books
        .notices
        .iter()
        .filter(|(id, _)| *id == order)
        .map(|(_, kind)| kind.as_str())
        .collect();
    assert!(kinds.contains(&"return_received"), "{kinds:?}");
    assert!(kinds.contains(&"refund_created"), "{kinds:?}");
    db.drop_database().await;
}
