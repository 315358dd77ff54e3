//! Quotes and places an order on the seed data, then prints both.
//!
//! Run with `cargo run --example checkout`.

use shopcore::{
    Cart, CartLine, CheckoutRequest, CustomerId, CustomerRepository, ErrorCode, OrderWorkflow,
    ProductId, Quantity, QuoteRequest,
};
use shopcore_memory::MemoryStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    pollster::block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let store = MemoryStore::seeded();
    let line = |id, qty| -> Result<CartLine, shopcore::ValueError> {
        Ok(CartLine {
            product_id: ProductId::new(id)?,
            quantity: Quantity::new(qty)?,
        })
    };
    let cart = Cart::new([line(1, 1)?, line(2, 10)?])?;

    let quote = shopcore::quote_order(&store, &QuoteRequest::cart(cart.clone())).await?;
    println!("Quote (region {}):", store.config().default_region);
    for l in &quote.lines {
        println!(
            "  product {:>2}  {:>3} x {:>8}  base {:>9}  -{:>6}% = -{:>8}  final {:>9}",
            l.product_id,
            l.quantity,
            l.unit_price,
            l.base,
            l.discount_rate,
            l.discount,
            l.final_price
        );
    }
    println!(
        "  subtotal {}  tax {} ({}%)  total {}",
        quote.subtotal, quote.tax, quote.tax_rate, quote.total
    );

    let customer_id = CustomerId::new(1)?;
    let request = CheckoutRequest::new(customer_id, cart);
    let placed = store.checkout(&request, None).await?;
    println!(
        "\nPlaced order #{} for {}:",
        placed.order.id, placed.order.total_amount
    );
    println!("{}", placed.confirmation.message);
    let customer = store.customer(customer_id).await?;
    println!(
        "\n{} now has {} loyalty points.",
        customer.name, customer.loyalty_points
    );

    // Errors carry stable codes for the bindings and HTTP layer.
    let too_many = CheckoutRequest {
        customer_id,
        cart: Cart::new([line(1, 1000)?])?,
        region: None,
        expected_total: None,
        coupon: None,
        redeem_points: 0,
    };
    if let Err(error) = store.checkout(&too_many, None).await {
        println!(
            "\nBuying 1000 laptops fails: [{}/{}] {error}",
            error.category().as_str(),
            error.code()
        );
    }
    Ok(())
}
